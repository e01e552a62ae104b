package falcon_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/internal/testclock"
)

// The worker finds HostDirectory on a Falcon client as it is; isolation
// goes through the worker's adapter, which reads Containment.
var _ activities.HostDirectory = (*falcon.Client)(nil)

const (
	web1ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
	web2ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"
	dupAID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1"
	dupBID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"
)

func inventory() []falcontest.Device {
	return []falcontest.Device{
		{DeviceID: web1ID, Hostname: "WEB1", OSVersion: "Windows Server 2022", LastSeen: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)},
		{DeviceID: web2ID, Hostname: "web2", Status: falcontest.StatusContained},
		{DeviceID: dupAID, Hostname: "dup", LastSeen: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{DeviceID: dupBID, Hostname: "dup", LastSeen: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
	}
}

// setup serves fake on a loopback server and returns a client for it.
func setup(t *testing.T, fake *falcontest.Server, clock func() time.Time) *falcon.Client {
	t.Helper()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = fake.Close() })
	c, err := falcon.New(ts.Client(), falcon.Config{
		BaseURL: ts.URL, ClientID: falcontest.DefaultClientID,
		ClientSecret: falcontest.DefaultClientSecret, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func calls(fake *falcontest.Server, method, path string) []falcontest.Call {
	var out []falcontest.Call
	for _, c := range fake.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

const actions = "/devices/entities/devices-actions/v2"

func statusError(t *testing.T, err error, code int) *httpx.StatusError {
	t.Helper()
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a *httpx.StatusError", err)
	}
	if se.Code != code {
		t.Fatalf("status = %d, want %d (%v)", se.Code, code, err)
	}
	return se
}

// TestContainThenLift: contain sends the documented action for the device
// found by name and returns its ID; the state reads containment_pending
// until the sensor checks in, then contained; lift does the reverse.
func TestContainThenLift(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...), falcontest.WithPendingReads(1))
	c := setup(t, fake, nil)
	ctx := context.Background()
	web1 := alert.Host{Name: "web1"}

	if d, err := c.Containment(ctx, web1); err != nil || d.Status != falcon.StatusNormal || d.DeviceID != web1ID {
		t.Fatalf("Containment before = %+v, %v", d, err)
	}
	ref, err := c.IsolateHost(ctx, web1, "socflow INC-1: isolate web1")
	if err != nil || ref != web1ID {
		t.Fatalf("IsolateHost = %q, %v; want %s", ref, err, web1ID)
	}
	posts := calls(fake, http.MethodPost, actions)
	if len(posts) != 1 || posts[0].Query.Get("action_name") != "contain" || posts[0].Status != http.StatusAccepted {
		t.Fatalf("action calls = %+v", posts)
	}
	var body struct{ IDs []string }
	if err := json.Unmarshal([]byte(posts[0].Body), &body); err != nil || len(body.IDs) != 1 || body.IDs[0] != web1ID {
		t.Fatalf("action body = %s", posts[0].Body)
	}
	// Verification: pending for one read, then contained.
	for _, want := range []string{falcon.StatusContainmentPending, falcon.StatusContained} {
		if d, err := c.Containment(ctx, web1); err != nil || d.Status != want {
			t.Fatalf("Containment = %+v, %v; want %s", d, err, want)
		}
	}

	// The undo, by device ID.
	if ref, err := c.ReleaseHost(ctx, alert.Host{ID: web1ID}, ""); err != nil || ref != web1ID {
		t.Fatalf("ReleaseHost = %q, %v", ref, err)
	}
	posts = calls(fake, http.MethodPost, actions)
	if len(posts) != 2 || posts[1].Query.Get("action_name") != "lift_containment" {
		t.Fatalf("action calls = %+v", posts)
	}
	for _, want := range []string{falcon.StatusLiftContainmentPending, falcon.StatusNormal} {
		if d, err := c.Containment(ctx, web1); err != nil || d.Status != want {
			t.Fatalf("Containment after lift = %+v, %v; want %s", d, err, want)
		}
	}
	d, err := c.HostDetails(ctx, "web1")
	if err != nil || d.Isolation != "not isolated" {
		t.Fatalf("after the lift settled: %+v, %v", d, err)
	}
}

// TestPendingFor: a WithPendingFor fake reads pending until its clock has
// moved on, however often it is read.
func TestPendingFor(t *testing.T) {
	clk := testclock.New(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	fake := falcontest.New(falcontest.WithDevices(inventory()...), falcontest.WithClock(clk.Now), falcontest.WithPendingFor(5*time.Second))
	c := setup(t, fake, clk.Now)
	ctx := context.Background()
	if _, err := c.IsolateHost(ctx, alert.Host{Name: "web1"}, ""); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if d, err := c.Containment(ctx, alert.Host{ID: web1ID}); err != nil || d.Status != falcon.StatusContainmentPending {
			t.Fatalf("within the pending time: %+v, %v", d, err)
		}
	}
	clk.Add(5 * time.Second)
	if d, err := c.Containment(ctx, alert.Host{ID: web1ID}); err != nil || d.Status != falcon.StatusContained {
		t.Fatalf("after it: %+v, %v", d, err)
	}
}

// TestAlreadySo: the state read shows a device contained by someone else
// before anything is sent, which is what the caller decides on.
func TestAlreadySo(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...))
	c := setup(t, fake, nil)
	d, err := c.Containment(context.Background(), alert.Host{Name: "web2"})
	if err != nil || d.DeviceID != web2ID || d.Status != falcon.StatusContained {
		t.Errorf("Containment of a contained device = %+v, %v", d, err)
	}
	if n := len(calls(fake, http.MethodPost, actions)); n != 0 {
		t.Errorf("%d action calls, want none", n)
	}
}

// TestByDeviceID: the alert's device ID wins over a name that is
// ambiguous or stale; an ID Falcon does not know falls back to the name,
// and without a name is a 404.
func TestByDeviceID(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...))
	c := setup(t, fake, nil)
	ctx := context.Background()
	if d, err := c.Containment(ctx, alert.Host{Name: "dup", ID: strings.ToUpper(dupBID)}); err != nil || d.DeviceID != dupBID {
		t.Errorf("ambiguous name with an ID: %+v, %v", d, err)
	}
	if n := len(calls(fake, http.MethodGet, "/devices/queries/devices/v1")); n != 0 {
		t.Errorf("a lookup by ID queried by name too (%d)", n)
	}
	if d, err := c.Containment(ctx, alert.Host{Name: "web1", ID: "cccccccccccccccccccccccccccccccc"}); err != nil || d.DeviceID != web1ID {
		t.Errorf("unknown ID, known name: %+v, %v", d, err)
	}
	_, err := c.Containment(ctx, alert.Host{ID: "cccccccccccccccccccccccccccccccc"})
	statusError(t, err, http.StatusNotFound)
	_, err = c.IsolateHost(ctx, alert.Host{ID: "not-an-id"}, "")
	statusError(t, err, http.StatusBadRequest)
}

// TestFindDevice: by name without regard to case, by ID without a query,
// an FQDN by its short name, and an unknown host is a 404.
func TestFindDevice(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...))
	c := setup(t, fake, nil)
	ctx := context.Background()

	for _, host := range []string{"web1", "Web1", "web1.corp.example", "WEB1.corp.example."} {
		d, err := c.FindDevice(ctx, host)
		if err != nil || d.DeviceID != web1ID {
			t.Errorf("FindDevice(%q) = %+v, %v", host, d, err)
		}
	}
	q := calls(fake, http.MethodGet, "/devices/queries/devices/v1")
	if len(q) == 0 || q[0].Query.Get("filter") != "hostname:'web1'" {
		t.Errorf("queries = %+v", q)
	}

	before := len(calls(fake, http.MethodGet, "/devices/queries/devices/v1"))
	d, err := c.FindDevice(ctx, strings.ToUpper(web2ID))
	if err != nil || d.Hostname != "web2" {
		t.Errorf("FindDevice by ID = %+v, %v", d, err)
	}
	if after := len(calls(fake, http.MethodGet, "/devices/queries/devices/v1")); after != before {
		t.Errorf("a lookup by ID queried by name too")
	}

	_, err = c.FindDevice(ctx, "ghost.corp.example")
	if se := statusError(t, err, http.StatusNotFound); se.Retryable() || !strings.Contains(se.Body, `"ghost.corp.example"`) {
		t.Errorf("unknown host: %v", err)
	}
	// An ID Falcon does not know is looked up as a name, and not found.
	_, err = c.FindDevice(ctx, "cccccccccccccccccccccccccccccccc")
	statusError(t, err, http.StatusNotFound)
}

// TestAmbiguousName: a name two devices carry is a non-retryable error
// listing both, and nothing is contained.
func TestAmbiguousName(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...))
	c := setup(t, fake, nil)
	_, err := c.IsolateHost(context.Background(), alert.Host{Name: "dup"}, "")
	se := statusError(t, err, http.StatusConflict)
	if se.Retryable() || !strings.Contains(se.Body, dupAID) || !strings.Contains(se.Body, dupBID) {
		t.Errorf("ambiguous: %v", err)
	}
	if n := len(calls(fake, http.MethodPost, actions)); n != 0 {
		t.Errorf("%d action calls, want none", n)
	}
	// The device ID settles it.
	if ref, err := c.IsolateHost(context.Background(), alert.Host{Name: dupBID}, ""); err != nil || ref != dupBID {
		t.Errorf("by ID: %q, %v", ref, err)
	}
}

// TestHostDetails: the packet's view of a device.
func TestHostDetails(t *testing.T) {
	c := setup(t, falcontest.New(falcontest.WithDevices(inventory()...)), nil)
	d, err := c.HostDetails(context.Background(), "web1")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	if d.Name != "WEB1" || d.ID != web1ID || d.OS != "Windows Server 2022" || !d.LastSeen.Equal(want) ||
		d.Isolation != "not isolated" || d.Source != "falcon" {
		t.Errorf("HostDetails = %+v", d)
	}
	d, err = c.HostDetails(context.Background(), "web2")
	if err != nil || d.Isolation != "isolated" {
		t.Errorf("contained host: %+v, %v", d, err)
	}
}

// TestErrors: 4xx answers are final, 429 and 5xx are retried, a 429
// after the time Falcon names; Falcon's error text reaches the
// responder.
func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		pattern    string
		status     int
		retryAfter string
		retryable  bool
	}{
		{"bad request", "POST " + actions, http.StatusBadRequest, "", false},
		{"forbidden", "GET /devices/queries/devices/v1", http.StatusForbidden, "", false},
		{"not found", "GET /devices/entities/devices/v2", http.StatusNotFound, "", false},
		{"rate limited", "POST " + actions, http.StatusTooManyRequests, "7", true},
		{"server error", "POST " + actions, http.StatusInternalServerError, "", true},
		{"unavailable", "GET /devices/entities/devices/v2", http.StatusServiceUnavailable, "", true},
		{"token endpoint down", "POST /oauth2/token", http.StatusBadGateway, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testclock.New(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
			fake := falcontest.New(falcontest.WithDevices(inventory()...), falcontest.WithClock(clk.Now))
			c := setup(t, fake, clk.Now)
			fake.FailNext(tt.pattern, tt.status, 1, tt.retryAfter)
			_, err := c.IsolateHost(context.Background(), alert.Host{Name: "web1"}, "")
			se := statusError(t, err, tt.status)
			if se.Retryable() != tt.retryable {
				t.Errorf("Retryable = %v, want %v (%v)", se.Retryable(), tt.retryable, err)
			}
			if !strings.Contains(err.Error(), "Injected failure") {
				t.Errorf("error %q lacks Falcon's message", err)
			}
			if tt.retryAfter != "" && se.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s from X-RateLimit-RetryAfter", se.RetryAfter)
			}
			if got := activities.Classify("isolate host web1", err); isNonRetryable(got) == tt.retryable {
				t.Errorf("Classify: %v", got)
			}
			// The fault was one answer: the retry goes through.
			if _, err := c.IsolateHost(context.Background(), alert.Host{Name: "web1"}, ""); err != nil {
				t.Errorf("retry: %v", err)
			}
		})
	}
}

func isNonRetryable(err error) bool {
	var ae interface{ NonRetryable() bool }
	return errors.As(err, &ae) && ae.NonRetryable()
}

// TestWrongSecret: a refused client secret is final and says so.
func TestWrongSecret(t *testing.T) {
	fake := falcontest.New(falcontest.WithClient("id", "right"))
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := falcon.New(ts.Client(), falcon.Config{BaseURL: ts.URL, ClientID: "id", ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.HostDetails(context.Background(), "web1")
	se := statusError(t, err, http.StatusForbidden)
	if se.Retryable() || !strings.Contains(se.Body, "invalid client credentials") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong secret: %v", err)
	}
	tok := calls(fake, http.MethodPost, falcon.TokenPath)
	if len(tok) != 1 || !strings.Contains(tok[0].Body, "client_id=id") {
		t.Errorf("token calls = %+v; want the client ID as a form field", tok)
	}
}

// TestTokenCachedAndRenewed: one token serves many calls; it is renewed
// shortly before it expires, and at once when Falcon revokes it.
func TestTokenCachedAndRenewed(t *testing.T) {
	clk := testclock.New(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	fake := falcontest.New(falcontest.WithDevices(inventory()...), falcontest.WithClock(clk.Now))
	c := setup(t, fake, clk.Now)
	ctx := context.Background()
	for range 3 {
		if _, err := c.HostDetails(ctx, "web1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens for three lookups, want 1", n)
	}

	// 29.5 minutes on, the token has half a minute left: renewed first.
	clk.Add(29*time.Minute + 30*time.Second)
	if _, err := c.HostDetails(ctx, "web1"); err != nil {
		t.Fatal(err)
	}
	if n := fake.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens after nearing expiry, want 2", n)
	}

	// Past the fake's expiry without the client knowing (its clock lags):
	// refused once, renewed, and the call goes through.
	fake.ExpireTokens()
	if _, err := c.IsolateHost(ctx, alert.Host{Name: "web1"}, ""); err != nil {
		t.Fatalf("after the token was revoked: %v", err)
	}
	if n := fake.TokensIssued(); n != 3 {
		t.Errorf("%d tokens after revocation, want 3", n)
	}
	refused := 0
	for _, call := range fake.Calls() {
		if call.Status == http.StatusUnauthorized {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d refused calls, want 1", refused)
	}
}

// TestUnauthorizedTwiceIsFinal: a fresh token refused as well is a
// non-retryable 401, not a loop.
func TestUnauthorizedTwiceIsFinal(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(inventory()...))
	c := setup(t, fake, nil)
	fake.FailNext("GET /devices/queries/devices/v1", http.StatusUnauthorized, 2, "")
	_, err := c.HostDetails(context.Background(), "web1")
	if se := statusError(t, err, http.StatusUnauthorized); se.Retryable() {
		t.Errorf("401: %v", err)
	}
	if n := fake.TokensIssued(); n != 2 {
		t.Errorf("%d tokens, want 2 (one renewal)", n)
	}
}

// TestNew refuses what cannot work before any call.
func TestNew(t *testing.T) {
	if _, err := falcon.New(nil, falcon.Config{ClientID: "id"}); !errors.Is(err, httpx.ErrNotConfigured) {
		t.Errorf("no secret: %v", err)
	}
	if _, err := falcon.New(nil, falcon.Config{BaseURL: "api.crowdstrike.com", ClientID: "id", ClientSecret: "s"}); err == nil || !strings.Contains(err.Error(), "api.crowdstrike.com") {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := falcon.New(nil, falcon.Config{BaseURL: falcon.BaseURLEU1, ClientID: "id", ClientSecret: "s"}); err != nil {
		t.Errorf("EU-1: %v", err)
	}
}
