package falcontest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/internal/testclock"
)

type page struct {
	Meta      map[string]any    `json:"meta"`
	Resources []json.RawMessage `json:"resources"`
	Errors    []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

func call(t *testing.T, method, u, token, body string) (*http.Response, page) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == http.MethodPost && strings.Contains(u, "/oauth2/") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p page
	_ = json.Unmarshal(b, &p)
	return resp, p
}

func token(t *testing.T, base string) string {
	t.Helper()
	form := url.Values{"client_id": {falcontest.DefaultClientID}, "client_secret": {falcontest.DefaultClientSecret}}
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusCreated ||
		tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 1799 {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, tok, err)
	}
	return tok.AccessToken
}

// TestPendingStates: a containment reads pending for the configured
// number of reads, then contained; the lift likewise ends in normal.
func TestPendingStates(t *testing.T) {
	fake := falcontest.New(falcontest.WithDevices(falcontest.Device{DeviceID: "0000000000000000000000000000000a", Hostname: "web1"}),
		falcontest.WithPendingReads(2))
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	tok := token(t, ts.URL)
	read := func() string {
		t.Helper()
		_, p := call(t, http.MethodGet, ts.URL+"/devices/entities/devices/v2?ids=0000000000000000000000000000000a", tok, "")
		var d struct{ Status string }
		if len(p.Resources) != 1 || json.Unmarshal(p.Resources[0], &d) != nil {
			t.Fatalf("entities: %+v", p)
		}
		return d.Status
	}
	for _, step := range []struct{ action, pending, final string }{
		{"contain", falcontest.StatusContainmentPending, falcontest.StatusContained},
		{"lift_containment", falcontest.StatusLiftContainmentPending, falcontest.StatusNormal},
	} {
		resp, p := call(t, http.MethodPost, ts.URL+"/devices/entities/devices-actions/v2?action_name="+step.action, tok, `{"ids":["0000000000000000000000000000000a"]}`)
		if resp.StatusCode != http.StatusAccepted || len(p.Resources) != 1 || p.Errors == nil || len(p.Errors) != 0 {
			t.Fatalf("%s: %d %+v", step.action, resp.StatusCode, p)
		}
		for i, want := range []string{step.pending, step.pending, step.final, step.final} {
			if got := read(); got != want {
				t.Fatalf("%s: read %d = %q, want %q", step.action, i, got, want)
			}
		}
	}
}

// TestAuthAndFaults: requests without a live token are 401s in Falcon's
// error shape; a 429 fault carries X-RateLimit-RetryAfter as a Unix time.
func TestAuthAndFaults(t *testing.T) {
	clk := testclock.New(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	fake := falcontest.New(falcontest.WithClock(clk.Now))
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	q := ts.URL + "/devices/queries/devices/v1?filter=" + url.QueryEscape("hostname:'web1'")
	if resp, p := call(t, http.MethodGet, q, "nope", ""); resp.StatusCode != http.StatusUnauthorized || len(p.Errors) != 1 || p.Errors[0].Code != 401 {
		t.Fatalf("bad token: %d %+v", resp.StatusCode, p)
	}
	tok := token(t, ts.URL)
	if resp, p := call(t, http.MethodGet, q, tok, ""); resp.StatusCode != http.StatusOK || len(p.Resources) != 1 {
		t.Fatalf("query: %d %+v", resp.StatusCode, p)
	}
	clk.Add(30 * time.Minute)
	if resp, _ := call(t, http.MethodGet, q, tok, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", resp.StatusCode)
	}
	tok = token(t, ts.URL)
	fake.ExpireTokens()
	if resp, _ := call(t, http.MethodGet, q, tok, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", resp.StatusCode)
	}
	fake.FailNext("GET /devices/queries/devices/v1", http.StatusTooManyRequests, 1, "5")
	resp, p := call(t, http.MethodGet, q, "", "")
	want := strconv.FormatInt(clk.Now().Add(5*time.Second).Unix(), 10)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-RetryAfter") != want ||
		resp.Header.Get("Retry-After") != "" || len(p.Errors) != 1 {
		t.Fatalf("429: %d %v %+v", resp.StatusCode, resp.Header, p)
	}
}

// TestIOCs: custom indicators are checked as IOC Management checks them
// (severity for prevent, platforms, a hash of its type), a second of the
// same type and value is a duplicate, the combined query answers the
// entities of an FQL type and value filter, and a delete of an unknown ID
// is a 404.
func TestIOCs(t *testing.T) {
	ts := httptest.NewServer(falcontest.New())
	defer ts.Close()
	tok := token(t, ts.URL)
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	good := `{"indicators":[{"type":"sha256","value":"` + sha + `","action":"prevent","severity":"high","platforms":["windows"],"applied_globally":true,"source":"socflow"}]}`
	for _, bad := range []string{
		strings.Replace(good, `"severity":"high",`, "", 1),
		strings.Replace(good, `["windows"]`, `[]`, 1),
		strings.Replace(good, sha, sha[:40], 1),
		strings.Replace(good, `"applied_globally":true`, `"applied_globally":false`, 1),
	} {
		if resp, _ := call(t, http.MethodPost, ts.URL+"/iocs/entities/indicators/v1", tok, bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, resp.StatusCode)
		}
	}
	resp, p := call(t, http.MethodPost, ts.URL+"/iocs/entities/indicators/v1", tok, good)
	if resp.StatusCode != http.StatusCreated || len(p.Resources) != 1 {
		t.Fatalf("create: %d %+v", resp.StatusCode, p)
	}
	var created struct {
		ID, Type, Value, Action string
	}
	_ = json.Unmarshal(p.Resources[0], &created)
	if resp, p := call(t, http.MethodPost, ts.URL+"/iocs/entities/indicators/v1", tok, good); resp.StatusCode != http.StatusBadRequest || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "Duplicate type") {
		t.Errorf("duplicate: %d %+v", resp.StatusCode, p)
	}
	q := url.Values{"filter": {"value:'" + sha + "'+type:'sha256'"}}
	if resp, p := call(t, http.MethodGet, ts.URL+"/iocs/combined/indicator/v1?"+q.Encode(), tok, ""); resp.StatusCode != http.StatusOK || len(p.Resources) != 1 {
		t.Errorf("combined: %d %+v", resp.StatusCode, p)
	}
	if resp, _ := call(t, http.MethodGet, ts.URL+"/iocs/combined/indicator/v1?filter=action:'prevent'", tok, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unsupported filter: %d, want 400", resp.StatusCode)
	}
	if resp, _ := call(t, http.MethodDelete, ts.URL+"/iocs/entities/indicators/v1?ids="+created.ID, tok, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := call(t, http.MethodDelete, ts.URL+"/iocs/entities/indicators/v1?ids="+created.ID, tok, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second delete: %d, want 404", resp.StatusCode)
	}
}
