package defender_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/httpx"
)

// The worker finds HostDirectory and IPBlocker's calls on a Defender
// client as it is; the state reads go through the worker's adapter.
var _ activities.HostDirectory = (*defender.Client)(nil)

// setup serves h on a loopback server and returns a client for it.
func setup(t *testing.T, h http.Handler, token string) *defender.Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := defender.New(ts.Client(), ts.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func calls(fake *defendertest.Server, method, suffix string) int {
	n := 0
	for _, c := range fake.Calls() {
		if c.Method == method && strings.HasSuffix(c.Path, suffix) {
			n++
		}
	}
	return n
}

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

func TestNew(t *testing.T) {
	tests := []struct {
		name, base, token string
		wantErr           error
		ok                bool
	}{
		{"default base", "", "t", nil, true},
		{"custom base", "https://eu.api.security.microsoft.com/", "t", nil, true},
		{"no token", "", "", httpx.ErrNotConfigured, false},
		{"not a URL", "api.securitycenter.microsoft.com", "t", nil, false},
		{"bad scheme", "ftp://x", "t", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := defender.New(nil, tt.base, tt.token)
			if (err == nil) != tt.ok || (c != nil) != tt.ok {
				t.Fatalf("New = %v, %v; want ok=%v", c, err, tt.ok)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func named(name string) alert.Host { return alert.Host{Name: name} }

// TestIsolateAndRelease: isolate sends the documented body and returns the
// machine action's ID; the state reads the action; release does the
// reverse with an action of its own.
func TestIsolateAndRelease(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)

	if st, err := c.Isolation(ctx, named("web1"), ""); err != nil || st.Last != nil || st.Asked != nil || st.MachineID == "" {
		t.Fatalf("Isolation before = %+v, %v; want none on record", st, err)
	}
	ref, err := c.IsolateHost(ctx, named("WEB1"), "socflow INC-1: isolate web1")
	if err != nil {
		t.Fatal(err)
	}
	if ref == "" || !fake.Isolated("web1") {
		t.Fatalf("ref = %q, isolated = %v; want an action id and an isolated host", ref, fake.Isolated("web1"))
	}
	var body map[string]string
	for _, call := range fake.Calls() {
		if strings.HasSuffix(call.Path, "/isolate") {
			if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if body["Comment"] != "socflow INC-1: isolate web1" || body["IsolationType"] != "Full" {
		t.Errorf("isolate body = %v", body)
	}
	st, err := c.Isolation(ctx, named("web1"), ref)
	if err != nil || st.Last == nil || st.Last.ID != ref || st.Last.Type != defender.ActionIsolate ||
		st.Last.Status != defender.StatusSucceeded || st.Asked == nil || st.Asked.ID != ref || st.Failure() != "" {
		t.Fatalf("Isolation after = %+v, %v", st, err)
	}
	if n := calls(fake, http.MethodGet, "/api/machineactions/"+ref); n != 1 {
		t.Errorf("%d reads of the action by ID, want 1", n)
	}

	rel, err := c.ReleaseHost(ctx, named("web1"), "socflow INC-1: release web1")
	if err != nil {
		t.Fatal(err)
	}
	if rel == "" || rel == ref || fake.Isolated("web1") {
		t.Fatalf("release ref = %q (isolate ref %q), isolated = %v", rel, ref, fake.Isolated("web1"))
	}
	if st, err := c.Isolation(ctx, named("web1"), rel); err != nil || st.Last.Type != defender.ActionUnisolate || st.Last.Status != defender.StatusSucceeded {
		t.Fatalf("Isolation after release = %+v, %v", st, err)
	}
}

// TestPendingThenSucceeded: WithPendingReads keeps the action Pending for
// that many reads, then Succeeded; WithPendingFor by the clock.
func TestPendingThenSucceeded(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New(defendertest.WithPendingReads(2))
	c := setup(t, fake, defendertest.DefaultToken)
	ref, err := c.IsolateHost(ctx, named("web1"), "x")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for range 3 {
		st, err := c.Isolation(ctx, named("web1"), ref)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, st.Asked.Status)
	}
	if got := strings.Join(seen, ","); got != "Pending,Pending,Succeeded" {
		t.Errorf("statuses = %s, want Pending,Pending,Succeeded", got)
	}

	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	fake = defendertest.New(defendertest.WithPendingFor(3*time.Second), defendertest.WithClock(func() time.Time { return now }))
	c = setup(t, fake, defendertest.DefaultToken)
	if ref, err = c.IsolateHost(ctx, named("web1"), "x"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if st, err := c.Isolation(ctx, named("web1"), ref); err != nil || st.Last.Status != defender.StatusPending {
			t.Fatalf("within the time: %+v, %v", st, err)
		}
	}
	now = now.Add(3 * time.Second)
	if st, err := c.Isolation(ctx, named("web1"), ref); err != nil || st.Last.Status != defender.StatusSucceeded || !fake.Isolated("web1") {
		t.Fatalf("after it: %+v, %v", st, err)
	}
}

// TestFailedActions: an action that fails, times out or is cancelled is
// no longer the machine's state, and the state asked about it by ID says
// why, in Defender's words.
func TestFailedActions(t *testing.T) {
	for _, tt := range []struct {
		status, want string
	}{
		{defender.StatusFailed, "Isolate Failed (errorHResult 0x80004005)"},
		{defender.StatusTimeOut, "Isolate TimeOut"},
		{defender.StatusCancelled, "Isolate Cancelled by " + defendertest.CancelledBy + ": Cancelled in the portal"},
	} {
		t.Run(tt.status, func(t *testing.T) {
			ctx := context.Background()
			fake := defendertest.New(defendertest.WithPendingReads(1), defendertest.WithOutcome(tt.status))
			c := setup(t, fake, defendertest.DefaultToken)
			ref, err := c.IsolateHost(ctx, named("web1"), "x")
			if err != nil {
				t.Fatal(err)
			}
			if st, err := c.Isolation(ctx, named("web1"), ref); err != nil || st.Failure() != "" || st.Last == nil || st.Last.Status != defender.StatusPending {
				t.Fatalf("first read = %+v, %v; want Pending", st, err)
			}
			st, err := c.Isolation(ctx, named("web1"), ref)
			if err != nil {
				t.Fatal(err)
			}
			if st.Failure() != tt.want || st.Last != nil || fake.Isolated("web1") {
				t.Errorf("Failure = %q, Last = %+v; want %q and no isolation", st.Failure(), st.Last, tt.want)
			}
		})
	}
}

// TestMachineByID: a machine ID (an alert's machineId) is read by ID
// first, even when the name is shared or absent; an unknown ID falls back
// to the name.
func TestMachineByID(t *testing.T) {
	const id1, id2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	fake := defendertest.New(defendertest.WithMachines(
		defendertest.Machine{ID: id1, ComputerDNSName: "dup"},
		defendertest.Machine{ID: id2, ComputerDNSName: "dup"},
		defendertest.Machine{ID: "3333333333333333333333333333333333333333", ComputerDNSName: "web1"},
	))
	c := setup(t, fake, defendertest.DefaultToken)
	ctx := context.Background()
	for _, host := range []alert.Host{{ID: id2}, {Name: "dup", ID: strings.ToUpper(id2)}, {Name: id2}} {
		if m, err := c.Machine(ctx, host); err != nil || m.ID != id2 {
			t.Errorf("Machine(%+v) = %+v, %v", host, m, err)
		}
	}
	if n := calls(fake, http.MethodGet, "/api/machines"); n != 0 {
		t.Errorf("%d lookups by name for an ID", n)
	}
	if m, err := c.Machine(ctx, alert.Host{Name: "web1", ID: "9999999999999999999999999999999999999999"}); err != nil || m.ComputerDNSName != "web1" {
		t.Errorf("unknown ID, known name: %+v, %v", m, err)
	}
	_, err := c.Machine(ctx, alert.Host{ID: "9999999999999999999999999999999999999999"})
	statusError(t, err, http.StatusNotFound)

	// The shared name alone is refused, listing both.
	_, err = c.IsolateHost(ctx, named("dup"), "x")
	if se := statusError(t, err, http.StatusConflict); se.Retryable() || !strings.Contains(se.Body, id1) || !strings.Contains(se.Body, id2) {
		t.Errorf("shared name: %v", err)
	}
	if n := calls(fake, http.MethodPost, "/isolate"); n != 0 {
		t.Errorf("%d isolate requests for an ambiguous name", n)
	}
}

// TestActionStatusRateLimited: the machine action API allows 100 calls a
// minute; its 429 carries Defender's Retry-After to the retry delay.
func TestActionStatusRateLimited(t *testing.T) {
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)
	ctx := context.Background()
	ref, err := c.IsolateHost(ctx, named("web1"), "x")
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext("GET /api/machineactions/*", http.StatusTooManyRequests, 1, "12")
	_, err = c.Isolation(ctx, named("web1"), ref)
	se := statusError(t, err, http.StatusTooManyRequests)
	if !se.Retryable() || se.RetryAfter != 12*time.Second {
		t.Errorf("429: retryable %v, RetryAfter %v", se.Retryable(), se.RetryAfter)
	}
	if _, err := c.Isolation(ctx, named("web1"), ref); err != nil {
		t.Errorf("after the limit: %v", err)
	}
}

// TestIsolateRacingAnotherRequest covers an analyst isolating the host from
// the portal between our look at its actions and our request: Defender
// refuses ours as already in progress, and theirs does the job.
func TestIsolateRacingAnotherRequest(t *testing.T) {
	fake := defendertest.New(defendertest.WithPendingActions())
	var portal struct{ ID string }
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/isolate") && portal.ID == "" {
			req := httptest.NewRequest(http.MethodPost, r.URL.Path, strings.NewReader(`{"Comment":"portal","IsolationType":"Selective"}`))
			req.Header.Set("Authorization", "Bearer "+defendertest.DefaultToken)
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, req)
			if err := json.Unmarshal(rec.Body.Bytes(), &portal); err != nil || portal.ID == "" {
				t.Errorf("portal isolate: %d %s", rec.Code, rec.Body)
			}
		}
		fake.ServeHTTP(w, r)
	})
	c := setup(t, h, defendertest.DefaultToken)
	ref, err := c.IsolateHost(context.Background(), named("web1"), "socflow")
	if err != nil {
		t.Fatal(err)
	}
	if ref != portal.ID {
		t.Fatalf("ref = %q, want the portal's action %q", ref, portal.ID)
	}
	statuses := map[int]int{}
	for _, call := range fake.Calls() {
		if strings.HasSuffix(call.Path, "/isolate") {
			statuses[call.Status]++
		}
	}
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusBadRequest] != 1 {
		t.Errorf("isolate answers = %v, want one 201 (portal) and one 400 (ours)", statuses)
	}
}

func TestFindMachine(t *testing.T) {
	now := time.Now()
	fake := defendertest.New(defendertest.WithMachines(
		defendertest.Machine{ID: "aaa", ComputerDNSName: "web1.prod.example.com", LastSeen: now},
		defendertest.Machine{ID: "bbb", ComputerDNSName: "web1.dev.example.com", LastSeen: now},
		defendertest.Machine{ID: "ccc", ComputerDNSName: "db1.prod.example.com", LastSeen: now},
		defendertest.Machine{ID: "ddd", ComputerDNSName: "kiosk7", LastSeen: now},
		defendertest.Machine{ID: "old", ComputerDNSName: "laptop9.corp.example", LastSeen: now.Add(-48 * time.Hour)},
		defendertest.Machine{ID: "new", ComputerDNSName: "laptop9.corp.example", LastSeen: now},
		defendertest.Machine{ID: "fff", ComputerDNSName: "Solo", LastSeen: now},
		defendertest.Machine{ID: "eee", ComputerDNSName: "o'brien-pc", LastSeen: now},
	))
	c := setup(t, fake, defendertest.DefaultToken)
	tests := []struct {
		host   string
		wantID string
		code   int
	}{
		{"web1.prod.example.com", "aaa", 0},
		{"WEB1.Prod.Example.COM.", "aaa", 0},
		{"db1", "ccc", 0},                                 // bare name, one FQDN
		{"kiosk7.corp.example", "ddd", 0},                 // FQDN, machine in no domain
		{"laptop9.corp.example", "", http.StatusConflict}, // two records: refuse to guess
		{"laptop9", "", http.StatusConflict},              // and by the bare name
		{"solo", "fff", 0},
		{"o'brien-pc", "eee", 0},          // quote escaped in the filter
		{"web1", "", http.StatusConflict}, // two FQDNs: refuse to guess
		{"web1.test.example.com", "", http.StatusNotFound},
		{"nope", "", http.StatusNotFound},
		{"10.0.0.1", "", http.StatusNotFound},
		{" ", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			m, err := c.FindMachine(context.Background(), tt.host)
			if tt.code != 0 {
				se := statusError(t, err, tt.code)
				if tt.code == http.StatusNotFound && !strings.Contains(err.Error(), tt.host) {
					t.Errorf("error %q does not name the host", se)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != tt.wantID {
				t.Errorf("machine = %q, want %q", m.ID, tt.wantID)
			}
		})
	}
}

func TestFindMachineQuery(t *testing.T) {
	var raw string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw = r.URL.RawQuery
		w.Write([]byte(`{"@odata.context":"x","value":[{"id":"m1","computerDnsName":"web1"}]}`))
	})
	c := setup(t, h, "t")
	if _, err := c.FindMachine(context.Background(), "web1"); err != nil {
		t.Fatal(err)
	}
	if want := "$filter=computerDnsName%20eq%20%27web1%27"; raw != want {
		t.Errorf("query = %q, want %q", raw, want)
	}
}

// TestBlockIndicator: the block state is any indicator that blocks the
// address, whoever submitted it; an audit-only one does not count.
func TestBlockIndicator(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := defender.New(ts.Client(), ts.URL, defendertest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	if ind, err := c.BlockIndicator(ctx, "203.0.113.7"); err != nil || ind != nil {
		t.Fatalf("before = %+v, %v; want none", ind, err)
	}
	// Another team's indicators, submitted straight to the API.
	for _, body := range []string{
		`{"indicatorValue":"203.0.113.7","indicatorType":"IpAddress","action":"Audit","title":"watch","description":"watch"}`,
		`{"indicatorValue":"198.51.100.9","indicatorType":"IpAddress","action":"AlertAndBlock","title":"theirs","description":"theirs"}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/indicators", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+defendertest.DefaultToken)
		resp, err := ts.Client().Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("submit: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if ind, err := c.BlockIndicator(ctx, "203.0.113.7"); err != nil || ind != nil {
		t.Errorf("audit only = %+v, %v; want none", ind, err)
	}
	if ind, err := c.BlockIndicator(ctx, "198.51.100.9"); err != nil || ind == nil || ind.Action != "AlertAndBlock" || ind.ID == "" {
		t.Errorf("another's block = %+v, %v", ind, err)
	}
	ref, err := c.BlockIP(ctx, "192.0.2.4", "x")
	if err != nil {
		t.Fatal(err)
	}
	if ind, err := c.BlockIndicator(ctx, "192.0.2.4"); err != nil || ind == nil || ind.ID != ref {
		t.Errorf("ours = %+v, %v; want indicator %s", ind, err, ref)
	}
	_, err = c.BlockIndicator(ctx, "192.0.2.0/24")
	statusError(t, err, http.StatusBadRequest)
}

func TestBlockAndUnblock(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)

	ref, err := c.BlockIP(ctx, "203.0.113.7", "socflow INC-1: block 203.0.113.7")
	if err != nil {
		t.Fatal(err)
	}
	if ref == "" || !fake.Blocked("203.0.113.7") {
		t.Fatalf("ref = %q, blocked = %v", ref, fake.Blocked("203.0.113.7"))
	}
	again, err := c.BlockIP(ctx, "203.0.113.7", "retry")
	if err != nil || again != ref {
		t.Fatalf("second block = %q, %v; want the same indicator %q", again, err, ref)
	}
	var body map[string]any
	for _, call := range fake.Calls() {
		if call.Method == http.MethodPost && call.Path == "/api/indicators" {
			if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	for k, want := range map[string]any{
		"indicatorValue": "203.0.113.7", "indicatorType": "IpAddress", "action": "Block",
		"description": "socflow INC-1: block 203.0.113.7", "severity": "High", "generateAlert": true,
	} {
		if body[k] != want {
			t.Errorf("indicator %s = %v, want %v", k, body[k], want)
		}
	}
	if body["title"] == "" {
		t.Error("indicator has no title")
	}

	if err := c.UnblockIP(ctx, "203.0.113.7", ref); err != nil {
		t.Fatal(err)
	}
	if fake.Blocked("203.0.113.7") {
		t.Fatal("still blocked after unblock")
	}
	if err := c.UnblockIP(ctx, "203.0.113.7", ref); err != nil {
		t.Fatalf("repeated unblock: %v", err)
	}
}

func TestUnblockWithoutReference(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)
	for _, ip := range []string{"203.0.113.7", "198.51.100.1"} {
		if _, err := c.BlockIP(ctx, ip, "block"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.UnblockIP(ctx, "203.0.113.7", ""); err != nil {
		t.Fatal(err)
	}
	if fake.Blocked("203.0.113.7") || !fake.Blocked("198.51.100.1") {
		t.Fatalf("blocked: 203.0.113.7=%v 198.51.100.1=%v; want false, true",
			fake.Blocked("203.0.113.7"), fake.Blocked("198.51.100.1"))
	}
	if err := c.UnblockIP(ctx, "203.0.113.7", ""); err != nil {
		t.Fatalf("unblock with nothing left: %v", err)
	}
}

func TestBlockIPRefusesRanges(t *testing.T) {
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)
	for _, ip := range []string{"10.0.0.0/8", "", "not-an-ip"} {
		_, err := c.BlockIP(context.Background(), ip, "x")
		statusError(t, err, http.StatusBadRequest)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("requests = %d, want none", n)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		token      string
		fail       string // FailNext pattern
		status     int
		retryAfter string
		op         func(*defender.Client) error
		wantCode   int
		wantAfter  time.Duration
		wantText   string
	}{
		{
			name: "wrong token", token: "stale",
			op:       func(c *defender.Client) error { _, err := c.IsolateHost(ctx, named("web1"), "x"); return err },
			wantCode: 401, wantText: "Unauthorized",
		},
		{
			name: "rate limited lookup", fail: "GET /api/machines", status: 429, retryAfter: "7",
			op:       func(c *defender.Client) error { _, err := c.IsolateHost(ctx, named("web1"), "x"); return err },
			wantCode: 429, wantAfter: 7 * time.Second, wantText: "TooManyRequests",
		},
		{
			name: "rate limited block", fail: "POST /api/indicators", status: 429, retryAfter: "30",
			op:       func(c *defender.Client) error { _, err := c.BlockIP(ctx, "203.0.113.7", "x"); return err },
			wantCode: 429, wantAfter: 30 * time.Second,
		},
		{
			name: "server error on isolate", fail: "POST /api/machines/*/isolate", status: 500,
			op:       func(c *defender.Client) error { _, err := c.IsolateHost(ctx, named("web1"), "x"); return err },
			wantCode: 500,
		},
		{
			name: "server error on unblock", fail: "DELETE /api/indicators/*", status: 503,
			op:       func(c *defender.Client) error { return c.UnblockIP(ctx, "203.0.113.7", "42") },
			wantCode: 503,
		},
		{
			name: "forbidden state read", fail: "/api/machineactions", status: 403,
			op:       func(c *defender.Client) error { _, err := c.Isolation(ctx, named("web1"), ""); return err },
			wantCode: 403,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := defendertest.New()
			if tt.fail != "" {
				fake.FailNext(tt.fail, tt.status, 1, tt.retryAfter)
			}
			token := tt.token
			if token == "" {
				token = defendertest.DefaultToken
			}
			err := tt.op(setup(t, fake, token))
			se := statusError(t, err, tt.wantCode)
			if se.RetryAfter != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantAfter)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), `{"error"`) {
				t.Errorf("error %q carries the raw OData body", err)
			}
		})
	}
}

func TestUnknownHostIsNotFound(t *testing.T) {
	fake := defendertest.New(defendertest.WithMachines())
	c := setup(t, fake, defendertest.DefaultToken)
	_, err := c.IsolateHost(context.Background(), named("ghost.corp.example"), "x")
	statusError(t, err, http.StatusNotFound)
	if !strings.Contains(err.Error(), "ghost.corp.example") {
		t.Errorf("error %q does not name the host", err)
	}
	if !activities.IsType(activities.Classify("isolate host", err), activities.ErrNotFound) {
		t.Errorf("Classify(%v) is not %s", err, activities.ErrNotFound)
	}
}

// TestRealBodies decodes answers recorded from the documentation, not the
// fake's, so that the client does not only understand its own fake.
func TestRealBodies(t *testing.T) {
	isolate, err := os.ReadFile("testdata/machineaction_isolate_response.json")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/machines":
			w.Write([]byte(`{"@odata.context":"https://api.securitycenter.microsoft.com/api/$metadata#Machines","value":[{"id":"7b1f4967d9728e5aa3c06a9e617a22a4a5a17378","computerDnsName":"desktop-test","firstSeen":"2018-08-02T14:55:03.7791856Z","lastSeen":"2018-08-02T14:55:03.7791856Z","osPlatform":"Windows10","osBuild":18209,"rbacGroupId":140,"machineTags":["test tag 1"]}]}`))
		case r.URL.Path == "/api/machineactions":
			w.Write([]byte(`{"@odata.context":"x","value":[]}`))
		case strings.HasSuffix(r.URL.Path, "/isolate"):
			w.WriteHeader(http.StatusCreated)
			w.Write(isolate)
		case r.URL.Path == "/api/indicators":
			// The documentation shows the id both as a string and as a
			// number.
			w.Write([]byte(`{"@odata.context":"https://api.securitycenter.microsoft.com/api/$metadata#Indicators/$entity","id":995,"indicatorValue":"203.0.113.7","indicatorType":"IpAddress","action":"Block","title":"t","generateAlert":true,"rbacGroupNames":[]}`))
		default:
			http.NotFound(w, r)
		}
	})
	c := setup(t, h, "t")
	ref, err := c.IsolateHost(context.Background(), named("desktop-test"), "x")
	if err != nil {
		t.Fatal(err)
	}
	if ref != "5382f7ea-7557-4ab7-9782-d50480024a4e" {
		t.Errorf("isolate ref = %q", ref)
	}
	ref, err = c.BlockIP(context.Background(), "203.0.113.7", "x")
	if err != nil || ref != "995" {
		t.Errorf("block = %q, %v; want 995", ref, err)
	}
}

const fileSHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// submit posts an indicator straight to the fake, as another team would.
func submit(t *testing.T, ts *httptest.Server, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/indicators", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+defendertest.DefaultToken)
	resp, err := ts.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestBlockHashAndUnblock: the block is a BlockAndRemediate file
// indicator of the hash's type (POST /api/indicators), read back by a
// $filter on the value, repeated as an upsert of the same indicator, and
// undone by deleting it (DELETE /api/indicators/{id}) as often as asked.
func TestBlockHashAndUnblock(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	c := setup(t, fake, defendertest.DefaultToken)
	if ind, err := c.HashIndicator(ctx, fileSHA256); err != nil || ind != nil {
		t.Fatalf("before = %+v, %v; want none", ind, err)
	}
	ref, err := c.BlockHash(ctx, strings.ToUpper(fileSHA256), "socflow INC-1: block "+fileSHA256)
	if err != nil || ref == "" || !fake.HashBlocked(fileSHA256) {
		t.Fatalf("block = %q, %v; blocked %v", ref, err, fake.HashBlocked(fileSHA256))
	}
	var body map[string]any
	for _, call := range fake.Calls() {
		if call.Method == http.MethodPost && call.Path == "/api/indicators" {
			if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
				t.Fatal(err)
			}
		}
		if call.Method == http.MethodGet && call.Filter != "indicatorValue eq '"+fileSHA256+"'" {
			t.Errorf("state read with $filter %q, want the lower-case value", call.Filter)
		}
	}
	for k, want := range map[string]any{
		"indicatorValue": fileSHA256, "indicatorType": "FileSha256", "action": "BlockAndRemediate",
		"severity": "High", "generateAlert": true, "description": "socflow INC-1: block " + fileSHA256,
	} {
		if body[k] != want {
			t.Errorf("indicator %s = %v, want %v", k, body[k], want)
		}
	}
	if ind, err := c.HashIndicator(ctx, fileSHA256); err != nil || ind == nil || ind.ID != ref {
		t.Errorf("after = %+v, %v; want indicator %s", ind, err, ref)
	}
	if again, err := c.BlockHash(ctx, fileSHA256, "retry"); err != nil || again != ref {
		t.Errorf("second block = %q, %v; want the same indicator %s", again, err, ref)
	}
	for range 2 {
		if err := c.UnblockHash(ctx, fileSHA256, ref); err != nil {
			t.Fatal(err)
		}
	}
	if fake.HashBlocked(fileSHA256) || calls(fake, http.MethodDelete, "/api/indicators/"+ref) != 2 {
		t.Errorf("blocked %v after two unblocks; deletes %d", fake.HashBlocked(fileSHA256), calls(fake, http.MethodDelete, "/api/indicators/"+ref))
	}
}

// TestBlockHashLeavesAnothersIndicator: another's audit indicator for the
// hash is not overwritten (the undo would delete it): a 409 that names
// it. Another's block is answered with its ID. An undo without a
// reference deletes only socflow's own indicators. SHA-1 and MD5 are
// file indicators of their own types.
func TestBlockHashLeavesAnothersIndicator(t *testing.T) {
	ctx := context.Background()
	fake := defendertest.New()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := defender.New(ts.Client(), ts.URL, defendertest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, ts, `{"indicatorValue":"`+fileSHA256+`","indicatorType":"FileSha256","action":"Audit","title":"watch","description":"watch","generateAlert":true}`)
	_, err = c.BlockHash(ctx, fileSHA256, "x")
	se := statusError(t, err, http.StatusConflict)
	if !strings.Contains(se.Body, "action Audit") || !activities.IsType(activities.Classify("block hash", err), activities.ErrBadRequest) {
		t.Errorf("refusal %v, want a non-retryable one naming the audit indicator", err)
	}
	if n := calls(fake, http.MethodPost, "/api/indicators"); n != 1 {
		t.Errorf("%d submits, want the other team's alone", n)
	}

	const sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	submit(t, ts, `{"indicatorValue":"`+sha1+`","indicatorType":"FileSha1","action":"AlertAndBlock","title":"theirs","description":"theirs"}`)
	if ind, err := c.HashIndicator(ctx, sha1); err != nil || ind == nil || ind.Action != "AlertAndBlock" {
		t.Errorf("another's block = %+v, %v", ind, err)
	}
	if err := c.UnblockHash(ctx, sha1, ""); err != nil || !fake.HashBlocked(sha1) {
		t.Errorf("undo without a reference: %v, blocked %v; want another's block left", err, fake.HashBlocked(sha1))
	}
	const md5 = "d41d8cd98f00b204e9800998ecf8427e"
	if _, err := c.BlockHash(ctx, md5, "x"); err != nil || !fake.HashBlocked(md5) {
		t.Fatalf("md5 block: %v", err)
	}
	if err := c.UnblockHash(ctx, md5, ""); err != nil || fake.HashBlocked(md5) {
		t.Errorf("undo of socflow's own without a reference: %v, blocked %v", err, fake.HashBlocked(md5))
	}
	_, err = c.BlockHash(ctx, "evil.exe", "x")
	statusError(t, err, http.StatusBadRequest)
}

// TestRealIndicatorList decodes the List Indicators answer of Microsoft's
// documentation: its FileSha1 AlertAndBlock indicator is a block in force.
func TestRealIndicatorList(t *testing.T) {
	raw, err := os.ReadFile("testdata/indicators_filesha1_response.json")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/indicators" || r.URL.Query().Get("$filter") != "indicatorValue eq '220e7d15b0b3d7fac48f2bd61114db1022197f7f'" {
			http.NotFound(w, r)
			return
		}
		w.Write(raw)
	})
	ind, err := setup(t, h, "t").HashIndicator(context.Background(), "220E7D15B0B3D7FAC48F2BD61114DB1022197F7F")
	if err != nil || ind == nil || ind.ID != "996" || ind.Action != "AlertAndBlock" {
		t.Fatalf("indicator = %+v, %v; want 996", ind, err)
	}
}
