package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// fakeIngester answers with a fixed response, or the real parser's verdict
// on the body when resp is nil, and records the bodies it received.
type fakeIngester struct {
	resp  *intake.Response
	err   error
	panic bool

	mu      sync.Mutex
	bodies  []string
	origins []intake.Origin
}

func (f *fakeIngester) Ingest(_ context.Context, body []byte, _ string, from intake.Origin) (*intake.Response, error) {
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.origins = append(f.origins, from)
	f.mu.Unlock()
	if f.panic {
		panic("ingester exploded")
	}
	if f.err != nil || f.resp != nil {
		return f.resp, f.err
	}
	// Without a canned answer, parse for real and accept every valid alert
	// as new, so tests see the parser's own rejections.
	items, err := intake.Parse(body)
	if err != nil {
		return nil, err
	}
	resp := &intake.Response{Rejected: []intake.Rejection{}, Results: []intake.Result{}}
	for _, it := range items {
		if it.Err != nil {
			resp.Rejected = append(resp.Rejected, intake.Rejection{Index: it.Index, Line: it.Line, Error: it.Err.Error()})
			continue
		}
		resp.Accepted++
		resp.Results = append(resp.Results, intake.Result{Index: it.Index, WorkflowID: workflows.AlertWorkflowID(intake.Fingerprint(it.Alert, nil))})
	}
	return resp, nil
}

// fakeIncidents knows one incident, "host:dc01".
type fakeIncidents struct {
	decideErr error
	panicOn   string

	mu           sync.Mutex
	listed       []incidents.ListOptions
	decisions    []workflows.DecideInput
	answers      []workflows.AnswerInput
	pages        []incidents.Page
	fingerprints []string
}

const knownKey = "host:dc01"

func (f *fakeIncidents) List(_ context.Context, o incidents.ListOptions) ([]incidents.Summary, error) {
	f.mu.Lock()
	f.listed = append(f.listed, o)
	f.mu.Unlock()
	if f.panicOn == "list" {
		panic("list exploded")
	}
	if o.Status == workflows.StatusClosed {
		return nil, errors.New("visibility store down")
	}
	if o.Priority == "P4" {
		return nil, nil
	}
	return []incidents.Summary{{ID: "incident/" + knownKey, Priority: "P1", Score: 100, Status: workflows.StatusAwaiting, Running: true}}, nil
}

func (f *fakeIncidents) Get(_ context.Context, key string) (*workflows.IncidentState, error) {
	if key != knownKey {
		return nil, fmt.Errorf("incidents: query incident/%s: %w", key, incidents.ErrNotFound)
	}
	return &workflows.IncidentState{ID: "incident/" + key, Key: key, Status: workflows.StatusAwaiting, Tier: "IR"}, nil
}

// page records the page asked for and answers a cursor "bad" as the
// service does one it did not return.
func (f *fakeIncidents) page(key string, p incidents.Page) error {
	if key != knownKey {
		return fmt.Errorf("incidents: query incident/%s: %w", key, incidents.ErrNotFound)
	}
	f.mu.Lock()
	f.pages = append(f.pages, p)
	f.mu.Unlock()
	if p.Cursor == "bad" {
		return fmt.Errorf("incidents: timeline of incident/%s: %w: not one this listing returned", key, incidents.ErrBadCursor)
	}
	return nil
}

func (f *fakeIncidents) Timeline(_ context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error) {
	if err := f.page(key, p); err != nil {
		return nil, err
	}
	return &incidents.TimelinePage{ID: "incident/" + key, Source: incidents.SourceWorkflow, Total: 1,
		Events: []alert.TimelineEvent{{Stage: "route", Actor: "socflow", Message: "opened"}}}, nil
}

func (f *fakeIncidents) Alerts(_ context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error) {
	if err := f.page(key, p); err != nil {
		return nil, err
	}
	return &incidents.AlertsPage{ID: "incident/" + key, Source: incidents.SourceCaseFile, Total: 2, NextCursor: "next",
		Alerts: []events.CaseAlert{{WorkflowID: "alert/suricata-1", Score: 90}}}, nil
}

func (f *fakeIncidents) AlertIDs(_ context.Context, key, fingerprint string, p incidents.Page) (*incidents.AlertIDsPage, error) {
	if err := f.page(key, p); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.fingerprints = append(f.fingerprints, fingerprint)
	f.mu.Unlock()
	if fingerprint != "suricata-1" {
		return nil, fmt.Errorf("incidents: alert/%s in incident/%s: %w", fingerprint, key, incidents.ErrAlertNotFound)
	}
	return &incidents.AlertIDsPage{ID: "incident/" + key, WorkflowID: "alert/" + fingerprint, Source: incidents.SourceCaseFile, Total: 1, IDs: []string{"ev-1"}}, nil
}

func (f *fakeIncidents) Decide(_ context.Context, key string, in workflows.DecideInput) (*workflows.DecideResult, error) {
	if key != knownKey {
		return nil, fmt.Errorf("incidents: decide incident/%s: %w", key, incidents.ErrNotFound)
	}
	f.mu.Lock()
	f.decisions = append(f.decisions, in)
	f.mu.Unlock()
	if f.decideErr != nil {
		return nil, f.decideErr
	}
	return &workflows.DecideResult{Status: workflows.StatusContaining, Tier: "IR"}, nil
}

func (f *fakeIncidents) Answer(_ context.Context, key string, in workflows.AnswerInput) (*workflows.AnswerResult, error) {
	if key != knownKey {
		return nil, fmt.Errorf("incidents: answer incident/%s: %w", key, incidents.ErrNotFound)
	}
	f.mu.Lock()
	f.answers = append(f.answers, in)
	f.mu.Unlock()
	if f.decideErr != nil {
		return nil, f.decideErr
	}
	return &workflows.AnswerResult{Status: "accepted", Answer: in.Answer}, nil
}

// aliceToken admits "alice", an admin in @soc-leads; requests that name
// no token send it, and noToken sends none.
const (
	aliceToken = "sft_alice-test-token"
	noToken    = "-"
)

// testAuth admits aliceToken.
func testAuth() auth.Authenticator {
	var static auth.Static
	static.Add(aliceToken, auth.Principal{Name: "alice", Roles: []auth.Role{auth.RoleAdmin}, Groups: []string{"@soc-leads"}})
	return auth.Chain{&static}
}

type env struct {
	srv       *httptest.Server
	ingester  *fakeIngester
	incidents *fakeIncidents
}

func newEnv(t *testing.T, edit func(o *httpapi.Options)) *env {
	t.Helper()
	e := &env{ingester: &fakeIngester{}, incidents: &fakeIncidents{}}
	o := httpapi.Options{Intake: e.ingester, Incidents: e.incidents, Registry: prometheus.NewRegistry(), Auth: testAuth()}
	if edit != nil {
		edit(&o)
	}
	e.srv = httptest.NewServer(httpapi.New(o))
	t.Cleanup(e.srv.Close)
	return e
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

func (a answer) errorText(t *testing.T) string {
	t.Helper()
	s, ok := a.json(t)["error"].(string)
	if !ok || s == "" {
		t.Fatalf("no error in %s", a.body)
	}
	return s
}

func (e *env) do(t *testing.T, method, path, contentType, token, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch token {
	case "":
		req.Header.Set("Authorization", "Bearer "+aliceToken)
	case noToken:
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: b}
}

func alertJSON(host string) string {
	return `{"source":"suricata","rule":"r1","title":"Inbound SMB to ` + host + `","severity":"medium",` +
		`"time":"2026-05-14T09:12:31Z","entities":{"hosts":[{"name":"` + host + `"}]}}`
}

func TestPostAlertsAccepted(t *testing.T) {
	e := newEnv(t, nil)
	e.ingester.resp = &intake.Response{
		Accepted: 2, Duplicates: 1, Rejected: []intake.Rejection{},
		Results: []intake.Result{{Index: 0, WorkflowID: "alert/suricata-1"}, {Index: 1, WorkflowID: "alert/suricata-1", Duplicate: true}},
	}
	body := "[" + alertJSON("dc01") + "," + alertJSON("dc01") + "]"
	a := e.do(t, "POST", "/v1/alerts", "application/json; charset=utf-8", "", body)
	if a.code != http.StatusAccepted {
		t.Fatalf("code %d, want 202: %s", a.code, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var got struct {
		Accepted   *int               `json:"accepted"`
		Duplicates *int               `json:"duplicates"`
		Rejected   []intake.Rejection `json:"rejected"`
		Results    []struct {
			WorkflowID *string `json:"workflow_id"`
			Duplicate  *bool   `json:"duplicate"`
		} `json:"results"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	raw := a.json(t)
	if _, ok := raw["rejected"].([]any); !ok {
		t.Errorf("rejected must be a JSON array, even when empty: %s", a.body)
	}
	if got.Accepted == nil || *got.Accepted != 2 || got.Duplicates == nil || *got.Duplicates != 1 {
		t.Errorf("accepted/duplicates wrong: %s", a.body)
	}
	if len(got.Results) != 2 || got.Results[0].WorkflowID == nil || *got.Results[0].WorkflowID != "alert/suricata-1" ||
		got.Results[1].Duplicate == nil || !*got.Results[1].Duplicate || *got.Results[0].Duplicate {
		t.Errorf("results wrong: %s", a.body)
	}
	if len(e.ingester.bodies) != 1 || e.ingester.bodies[0] != body {
		t.Errorf("the ingester got %q, want the body unchanged", e.ingester.bodies)
	}
}

func TestPostAlertsContentTypes(t *testing.T) {
	tests := []struct {
		contentType string
		want        int
	}{
		{"application/json", http.StatusAccepted},
		{"application/json; charset=utf-8", http.StatusAccepted},
		{"application/x-ndjson", http.StatusAccepted},
		{"application/ndjson", http.StatusAccepted},
		{"application/jsonl", http.StatusAccepted},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"application/json; charset", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
	}
	body := alertJSON("dc01") + "\n" + alertJSON("ws01") + "\n"
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.do(t, "POST", "/v1/alerts", tt.contentType, "", body)
			if a.code != tt.want {
				t.Fatalf("code %d, want %d: %s", a.code, tt.want, a.body)
			}
			if tt.want == http.StatusUnsupportedMediaType {
				if msg := a.errorText(t); !strings.Contains(msg, "application/json") {
					t.Errorf("error %q does not say what to send", msg)
				}
				if len(e.ingester.bodies) != 0 {
					t.Error("a refused body reached the ingester")
				}
			} else if a.json(t)["accepted"] != 2.0 {
				t.Errorf("body %s, want 2 accepted", a.body)
			}
		})
	}
}

func TestPostAlertsErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ingest  func(f *fakeIngester)
		code    int
		errHas  []string
		retryIn string
	}{
		{
			name: "malformed JSON", body: "{\n  \"source\": \"suricata\",\n  \"rule\": ,\n}",
			code: http.StatusBadRequest, errHas: []string{"malformed JSON", "line 3"},
		},
		{name: "empty body", body: "", code: http.StatusBadRequest, errHas: []string{"empty"}},
		{
			// A bad first line is one bad entry, named by its line, like
			// any other (it used to reject the batch as malformed).
			name: "NDJSON whose first line is broken", body: alertJSON("dc01")[:20] + "x\n" + `{"source":"x"}` + "\n",
			code: http.StatusBadRequest, errHas: []string{"no alert accepted", "line 1: ", "invalid JSON", "1 more"},
		},
		{
			name: "every entry rejected", body: `[{"source":"x"}, {"severty":"high"}]`,
			code: http.StatusBadRequest, errHas: []string{"no alert accepted", "entry 0", "rule: is required", "1 more"},
		},
		{
			name: "every line rejected", body: `{"source":"x"}` + "\n" + `{"rule":"y"}` + "\n",
			code: http.StatusBadRequest, errHas: []string{"line 1", "title: is required"},
		},
		{
			name: "some entries rejected", body: "[" + alertJSON("dc01") + `, {"source":"x"}]`,
			code: http.StatusAccepted,
		},
		{
			name: "Temporal did not take some", body: alertJSON("dc01"),
			ingest: func(f *fakeIngester) {
				f.resp = &intake.Response{
					Accepted: 1, Rejected: []intake.Rejection{}, Results: []intake.Result{{Index: 0, WorkflowID: "alert/a"}},
					Failed: []intake.Rejection{{Index: 1, Error: "temporal: unavailable"}},
				}
			},
			code: http.StatusServiceUnavailable, retryIn: "5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.ingest != nil {
				tt.ingest(e.ingester)
			}
			a := e.do(t, "POST", "/v1/alerts", "application/json", "", tt.body)
			if a.code != tt.code {
				t.Fatalf("code %d, want %d: %s", a.code, tt.code, a.body)
			}
			if len(tt.errHas) > 0 {
				msg := a.errorText(t)
				for _, s := range tt.errHas {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not mention %q", msg, s)
					}
				}
			}
			if got := a.header.Get("Retry-After"); got != tt.retryIn {
				t.Errorf("Retry-After %q, want %q", got, tt.retryIn)
			}
			if tt.code == http.StatusServiceUnavailable {
				if failed, _ := a.json(t)["failed"].([]any); len(failed) != 1 {
					t.Errorf("a 503 must list what to resend: %s", a.body)
				}
			}
		})
	}
}

func TestPostAlertsRejectedKeepsDetails(t *testing.T) {
	e := newEnv(t, nil)
	a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", `{"source":"x"}`+"\n\n"+`{"rule":"y"}`+"\n")
	if a.code != http.StatusBadRequest {
		t.Fatalf("code %d: %s", a.code, a.body)
	}
	rejected, _ := a.json(t)["rejected"].([]any)
	if len(rejected) != 2 || rejected[0].(map[string]any)["line"] != 1.0 || rejected[1].(map[string]any)["line"] != 3.0 {
		t.Errorf("a 400 for rejected entries must still list them with their lines: %s", a.body)
	}
}

func TestPostAlertsBodyLimit(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.MaxBodyBytes = 256 })
	small := alertJSON("dc01")
	if len(small) > 256 {
		t.Fatalf("fixture is %d bytes", len(small))
	}
	if a := e.do(t, "POST", "/v1/alerts", "application/json", "", small); a.code != http.StatusAccepted {
		t.Fatalf("a body under the limit: code %d: %s", a.code, a.body)
	}
	big := "[" + small + "," + small + "]"
	a := e.do(t, "POST", "/v1/alerts", "application/json", "", big)
	if a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("code %d, want 413: %s", a.code, a.body)
	}
	if msg := a.errorText(t); !strings.Contains(msg, "256") {
		t.Errorf("error %q does not state the limit", msg)
	}
	if len(e.ingester.bodies) != 1 {
		t.Error("an oversized body reached the ingester")
	}
}

func TestIncidentRoutes(t *testing.T) {
	refused := &incidents.RejectedError{Reason: "bob may not decide at tier IR"}
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		decideErr error
		code      int
		has       []string
	}{
		{name: "list", method: "GET", path: "/v1/incidents", code: 200, has: []string{`"incidents"`, "incident/host:dc01"}},
		{name: "list empty is an empty array", method: "GET", path: "/v1/incidents?priority=P4", code: 200, has: []string{`"incidents": []`}},
		{name: "list with a bad limit", method: "GET", path: "/v1/incidents?limit=0", code: 400, has: []string{"limit"}},
		{name: "list with a non-numeric limit", method: "GET", path: "/v1/incidents?limit=ten", code: 400, has: []string{"limit"}},
		{name: "list backend down", method: "GET", path: "/v1/incidents?status=closed", code: 502, has: []string{"visibility store down"}},
		{name: "list with a backslash for status", method: "GET", path: "/v1/incidents?status=%5C", code: 400, has: []string{"status", "awaiting_decision"}},
		{name: "list with an unknown status", method: "GET", path: "/v1/incidents?status=broken", code: 400, has: []string{`"broken"`}},
		{name: "list with an unknown priority", method: "GET", path: "/v1/incidents?priority=P9", code: 400, has: []string{"priority", `"P9"`}},
		{name: "list with a bad since", method: "GET", path: "/v1/incidents?since=yesterday", code: 400, has: []string{"since", "RFC 3339", `"yesterday"`}},
		{name: "list with until before since", method: "GET", path: "/v1/incidents?since=2026-12-07T10:00:00Z&until=2026-12-07T09:00:00Z", code: 400, has: []string{"until", "after since"}},
		{name: "list with an unknown drill filter", method: "GET", path: "/v1/incidents?drill=maybe", code: 400, has: []string{"drill", `"maybe"`}},
		{name: "get with NUL in the key", method: "GET", path: "/v1/incidents/host:dc%0001", code: 400, has: []string{"incident key"}},
		{name: "get with invalid UTF-8 in the key", method: "GET", path: "/v1/incidents/host:%FF%FE", code: 400, has: []string{"incident key", "UTF-8"}},
		{name: "timeline with a control character in the key", method: "GET", path: "/v1/incidents/host:%1B/timeline", code: 400, has: []string{"incident key"}},
		{
			name: "decide with NUL in the key", method: "POST", path: "/v1/incidents/host:%00/decision",
			body: `{"verdict":"deny"}`, code: 400, has: []string{"incident key"},
		},
		{
			name: "decision with trailing data", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"deny"} junk`, code: 400, has: []string{"decision body", "after the JSON object"},
		},
		{
			name: "decision followed by a second object", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"deny"}{"verdict":"approve"}`, code: 400, has: []string{"after the JSON object"},
		},
		{name: "get", method: "GET", path: "/v1/incidents/host:dc01", code: 200, has: []string{`"key": "host:dc01"`, `"tier": "IR"`}},
		{name: "get unknown", method: "GET", path: "/v1/incidents/host:nope", code: 404, has: []string{"incident not found"}},
		{name: "timeline", method: "GET", path: "/v1/incidents/host:dc01/timeline", code: 200, has: []string{`"events"`, "opened"}},
		{name: "timeline unknown", method: "GET", path: "/v1/incidents/host:nope/timeline", code: 404, has: []string{"not found"}},
		{name: "timeline, a page", method: "GET", path: "/v1/incidents/host:dc01/timeline?limit=1000&cursor=abc", code: 200, has: []string{`"events"`, `"total": 1`}},
		{name: "timeline, limit 0", method: "GET", path: "/v1/incidents/host:dc01/timeline?limit=0", code: 400, has: []string{"limit must be an integer from 1 to 1000"}},
		{name: "timeline, limit over the most", method: "GET", path: "/v1/incidents/host:dc01/timeline?limit=1001", code: 400, has: []string{"limit", `"1001"`}},
		{name: "timeline, negative limit", method: "GET", path: "/v1/incidents/host:dc01/timeline?limit=-5", code: 400, has: []string{"limit"}},
		{name: "timeline, limit not a number", method: "GET", path: "/v1/incidents/host:dc01/timeline?limit=all", code: 400, has: []string{"limit"}},
		{name: "timeline, bad cursor", method: "GET", path: "/v1/incidents/host:dc01/timeline?cursor=bad", code: 400, has: []string{"cursor: ", "bad cursor"}},
		{name: "alerts", method: "GET", path: "/v1/incidents/host:dc01/alerts", code: 200, has: []string{`"alerts"`, "alert/suricata-1", `"next_cursor": "next"`, `"source": "case_file"`}},
		{name: "alerts unknown", method: "GET", path: "/v1/incidents/host:nope/alerts", code: 404, has: []string{"not found"}},
		{name: "alerts, bad limit", method: "GET", path: "/v1/incidents/host:dc01/alerts?limit=x", code: 400, has: []string{"limit"}},
		{name: "alerts, bad cursor", method: "GET", path: "/v1/incidents/host:dc01/alerts?cursor=bad", code: 400, has: []string{"cursor"}},
		{name: "ids", method: "GET", path: "/v1/incidents/host:dc01/alerts/suricata-1/ids", code: 200, has: []string{`"ids"`, "ev-1", `"workflow_id": "alert/suricata-1"`}},
		{name: "ids of an unknown alert", method: "GET", path: "/v1/incidents/host:dc01/alerts/nope/ids", code: 404, has: []string{"alert not found"}},
		{name: "ids of an unknown incident", method: "GET", path: "/v1/incidents/host:nope/alerts/suricata-1/ids", code: 404, has: []string{"incident not found"}},
		{name: "ids, bad limit", method: "GET", path: "/v1/incidents/host:dc01/alerts/suricata-1/ids?limit=2000", code: 400, has: []string{"limit"}},
		{name: "ids, bad cursor", method: "GET", path: "/v1/incidents/host:dc01/alerts/suricata-1/ids?cursor=bad", code: 400, has: []string{"cursor"}},
		{
			name: "decide", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"approve","actions":["isolate_host:dc01"],"note":"go"}`,
			code: 200, has: []string{`"status": "containing"`},
		},
		{
			name: "decide unknown", method: "POST", path: "/v1/incidents/host:nope/decision",
			body: `{"verdict":"deny"}`, code: 404, has: []string{"not found"},
		},
		{
			name: "decision refused", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"approve"}`, decideErr: refused, code: 409, has: []string{"bob may not decide at tier IR"},
		},
		{
			name: "decision refused, wrapped", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"approve"}`, decideErr: fmt.Errorf("decide: %w", refused), code: 409, has: []string{"bob may not decide"},
		},
		{
			name: "decision with an unknown field", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"approve","approver":"x"}`, code: 400, has: []string{`unknown field "approver"`},
		},
		{
			name: "decision not JSON", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `verdict=approve`, code: 400, has: []string{"decision body"},
		},
		{
			name: "decision with a wrong type", method: "POST", path: "/v1/incidents/host:dc01/decision",
			body: `{"verdict":"approve","actions":"all"}`, code: 400, has: []string{"actions"},
		},
		{name: "unknown route", method: "GET", path: "/v1/nothing", code: 404, has: []string{"no route"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.incidents.decideErr = tt.decideErr
			a := e.do(t, tt.method, tt.path, "application/json", "", tt.body)
			if a.code != tt.code {
				t.Fatalf("code %d, want %d: %s", a.code, tt.code, a.body)
			}
			text := string(a.body)
			if tt.code >= 400 {
				text = a.errorText(t)
			}
			for _, s := range tt.has {
				if !strings.Contains(text, s) {
					t.Errorf("answer does not contain %s:\n%s", s, text)
				}
			}
		})
	}
}

func TestListPassesFilters(t *testing.T) {
	e := newEnv(t, nil)
	a := e.do(t, "GET", "/v1/incidents?status=awaiting_decision&priority=p1&open=true&limit=20&tier=IR&entity=dc01&rule=ET+SCAN"+
		"&since=2026-12-07T08:00:00Z&until=2026-12-07T10:00:00%2B01:00&drill=real", "", "", "")
	if a.code != 200 {
		t.Fatalf("code %d: %s", a.code, a.body)
	}
	want := incidents.ListOptions{Status: "awaiting_decision", Priority: "p1", OpenOnly: true, Limit: 20, Tier: "IR", Entity: "dc01", Rule: "ET SCAN",
		Since: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Drill: incidents.DrillReal}
	if len(e.incidents.listed) != 1 || e.incidents.listed[0] != want {
		t.Errorf("List got %+v, want %+v", e.incidents.listed, want)
	}
}

// TestPageParams checks that each listing passes its parameters through,
// and that a bad limit never reaches the service.
func TestPageParams(t *testing.T) {
	tests := []struct {
		path        string
		want        incidents.Page
		fingerprint string
	}{
		{"/v1/incidents/host:dc01/timeline", incidents.Page{}, ""},
		{"/v1/incidents/host:dc01/timeline?cursor=c1&limit=50&case=run-1", incidents.Page{Cursor: "c1", Limit: 50, CaseID: "run-1"}, ""},
		{"/v1/incidents/host:dc01/alerts?limit=1&cursor=c2", incidents.Page{Cursor: "c2", Limit: 1}, ""},
		{"/v1/incidents/host:dc01/alerts/suricata-1/ids?cursor=c3&limit=1000", incidents.Page{Cursor: "c3", Limit: 1000}, "suricata-1"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			e := newEnv(t, nil)
			if a := e.do(t, "GET", tt.path, "", "", ""); a.code != http.StatusOK {
				t.Fatalf("code %d: %s", a.code, a.body)
			}
			if len(e.incidents.pages) != 1 || e.incidents.pages[0] != tt.want {
				t.Errorf("service asked for %+v, want %+v", e.incidents.pages, tt.want)
			}
			if tt.fingerprint != "" && (len(e.incidents.fingerprints) != 1 || e.incidents.fingerprints[0] != tt.fingerprint) {
				t.Errorf("fingerprints %v, want %s", e.incidents.fingerprints, tt.fingerprint)
			}
		})
	}
	e := newEnv(t, nil)
	for _, path := range []string{"/v1/incidents/host:dc01/timeline?limit=0", "/v1/incidents/host:dc01/alerts?limit=x", "/v1/incidents/host:dc01/alerts/suricata-1/ids?limit=1001"} {
		if a := e.do(t, "GET", path, "", "", ""); a.code != http.StatusBadRequest {
			t.Errorf("GET %s: code %d, want 400", path, a.code)
		}
	}
	if len(e.incidents.pages) != 0 {
		t.Errorf("bad limits reached the service: %+v", e.incidents.pages)
	}
}

// TestCaseFileOverHTTP pages a real case file through the real service:
// a client that follows next_cursor reads every line once, in order.
func TestCaseFileOverHTTP(t *testing.T) {
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	rec := events.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: at,
		Alerts:      []events.CaseAlert{{WorkflowID: "alert/suricata-1", Score: 90, FirstSeen: at}, {WorkflowID: "alert/suricata-2", Score: 20, FirstSeen: at}},
		Occurrences: []events.CaseOccurrences{{WorkflowID: "alert/suricata-1", IDs: []string{"ev-1", "ev-2", "ev-3"}}},
	}
	for i := range 250 {
		rec.Timeline = append(rec.Timeline, alert.TimelineEvent{At: at.Add(time.Duration(i) * time.Second), Stage: "triage", Actor: "socflow", Message: fmt.Sprintf("line %d", i)})
	}
	if err := store.AppendCase(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	// No Temporal client: the case file answers on its own.
	e := newEnv(t, func(o *httpapi.Options) { o.Incidents = &incidents.Service{Cases: store} })

	var got []string
	next := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the timeline does not end")
		}
		a := e.do(t, "GET", "/v1/incidents/host:dc01/timeline?limit=100&cursor="+url.QueryEscape(next), "", "", "")
		if a.code != http.StatusOK {
			t.Fatalf("code %d: %s", a.code, a.body)
		}
		var page incidents.TimelinePage
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		if page.Total != 250 || page.Source != incidents.SourceCaseFile || page.CaseID != "run-1" {
			t.Errorf("page: total %d, source %s, case %s", page.Total, page.Source, page.CaseID)
		}
		for _, ev := range page.Events {
			got = append(got, ev.Message)
		}
		if next = page.NextCursor; next == "" {
			break
		}
	}
	if len(got) != 250 || got[0] != "line 0" || got[249] != "line 249" {
		t.Errorf("read %d lines: first %v, last %v", len(got), got[:1], got[len(got)-1:])
	}

	a := e.do(t, "GET", "/v1/incidents/host:dc01/alerts?limit=1", "", "", "")
	var alerts incidents.AlertsPage
	if err := json.Unmarshal(a.body, &alerts); err != nil || a.code != 200 || len(alerts.Alerts) != 1 || alerts.Alerts[0].WorkflowID != "alert/suricata-1" || alerts.NextCursor == "" || alerts.Total != 2 {
		t.Errorf("alerts: %d %s", a.code, a.body)
	}
	// The alerts cursor does not continue the timeline.
	if a := e.do(t, "GET", "/v1/incidents/host:dc01/timeline?cursor="+url.QueryEscape(alerts.NextCursor), "", "", ""); a.code != http.StatusBadRequest || !strings.Contains(a.errorText(t), "cursor") {
		t.Errorf("timeline with an alerts cursor: %d %s", a.code, a.body)
	}
	a = e.do(t, "GET", "/v1/incidents/host:dc01/alerts/suricata-1/ids?limit=2", "", "", "")
	var ids incidents.AlertIDsPage
	if err := json.Unmarshal(a.body, &ids); err != nil || a.code != 200 || strings.Join(ids.IDs, ",") != "ev-1,ev-2" || ids.Total != 3 {
		t.Errorf("ids: %d %s", a.code, a.body)
	}
	if a := e.do(t, "GET", "/v1/incidents/host:dc01/timeline?case=run-9", "", "", ""); a.code != http.StatusNotFound {
		t.Errorf("an unknown case: %d %s", a.code, a.body)
	}
}

func TestDecisionDefaultsVia(t *testing.T) {
	e := newEnv(t, nil)
	e.do(t, "POST", "/v1/incidents/host:dc01/decision", "application/json", "", `{"verdict":"deny"}`)
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/incidents/host:dc01/decision", strings.NewReader(`{"verdict":"deny"}`))
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(httpapi.ViaHeader, "cli")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d := e.incidents.decisions
	if len(d) != 2 || d[0].Via != "api" || d[1].Via != "cli" || d[0].By != "alice" || d[0].Verdict != alert.VerdictDeny {
		t.Errorf("decisions = %+v, want via api by default and cli from the header", d)
	}
}

func TestHealthz(t *testing.T) {
	tests := []struct {
		name  string
		ready func(context.Context) error
		code  int
		has   string
	}{
		{"no check", nil, 200, `"ok"`},
		{"ready", func(context.Context) error { return nil }, 200, `"ok"`},
		{"not ready", func(context.Context) error { return errors.New("temporal: connection refused") }, 503, "Temporal is not reachable"},
		{"check honours a deadline", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no deadline on the readiness check")
			}
			return nil
		}, 200, `"ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *httpapi.Options) { o.Ready = tt.ready })
			a := e.do(t, "GET", "/healthz", "", "", "")
			if a.code != tt.code || !bytes.Contains(a.body, []byte(tt.has)) {
				t.Errorf("code %d body %s, want %d with %s", a.code, a.body, tt.code, tt.has)
			}
			// The error's own text is for the log: it can name hosts,
			// ports and certificates.
			if bytes.Contains(a.body, []byte("connection refused")) {
				t.Errorf("body %s carries the internal error", a.body)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	body := alertJSON("dc01") + "\n" + alertJSON("ws01") + "\n" + `{"source":"x"}` + "\n"
	if a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", body); a.code != http.StatusAccepted {
		t.Fatalf("code %d: %s", a.code, a.body)
	}
	e.do(t, "POST", "/v1/alerts", "application/json", "", "{")
	a := e.do(t, "GET", "/metrics", "", "", "")
	if a.code != 200 {
		t.Fatalf("code %d", a.code)
	}
	for _, line := range []string{
		`socflow_alerts_total{outcome="accepted"} 2`,
		`socflow_alerts_total{outcome="rejected"} 1`,
		`socflow_alerts_total{outcome="malformed"} 1`,
		`socflow_http_requests_total{code="202",route="POST /v1/alerts"} 1`,
		`socflow_http_requests_total{code="400",route="POST /v1/alerts"} 1`,
		`socflow_http_request_seconds_count{route="POST /v1/alerts"} 2`,
	} {
		if !bytes.Contains(a.body, []byte(line)) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func TestPanicIsContained(t *testing.T) {
	e := newEnv(t, nil)
	e.ingester.panic = true
	a := e.do(t, "POST", "/v1/alerts", "application/json", "", alertJSON("dc01"))
	if a.code != http.StatusInternalServerError {
		t.Fatalf("code %d, want 500: %s", a.code, a.body)
	}
	if msg := a.errorText(t); strings.Contains(msg, "exploded") {
		t.Errorf("error %q leaks the panic value", msg)
	}

	// The server keeps serving, on that route and the others.
	e.ingester.panic = false
	if a := e.do(t, "POST", "/v1/alerts", "application/json", "", alertJSON("dc01")); a.code != http.StatusAccepted {
		t.Errorf("after a panic: code %d, want 202", a.code)
	}
	e.incidents.panicOn = "list"
	if a := e.do(t, "GET", "/v1/incidents", "", "", ""); a.code != http.StatusInternalServerError {
		t.Errorf("list panic: code %d, want 500", a.code)
	}
	if a := e.do(t, "GET", "/healthz", "", "", ""); a.code != http.StatusOK {
		t.Errorf("after panics: /healthz code %d", a.code)
	}
	m := e.do(t, "GET", "/metrics", "", "", "")
	if !bytes.Contains(m.body, []byte(`socflow_http_requests_total{code="500",route="POST /v1/alerts"} 1`)) {
		t.Errorf("a recovered panic must be counted as a 500:\n%s", m.body)
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/alerts", strings.NewReader(alertJSON(fmt.Sprintf("ws%02d", i))))
			req.Header.Set("Authorization", "Bearer "+aliceToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				errs <- fmt.Errorf("code %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`socflow_alerts_total{outcome="accepted"} 20`)) {
		t.Errorf("accepted counter is not 20 after 20 concurrent posts")
	}
}

// TestDecisionNeedsJSON: a decision changes an incident, so it is taken
// only as application/json, which a browser cannot send to another
// origin without a CORS preflight (a text/plain form post can).
func TestDecisionNeedsJSON(t *testing.T) {
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-seq"} {
		t.Run(ct, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.do(t, "POST", "/v1/incidents/host:dc01/decision", ct, "", `{"verdict":"false_positive"}`)
			if a.code != http.StatusUnsupportedMediaType || !strings.Contains(a.errorText(t), "application/json") {
				t.Errorf("code %d body %s, want 415 naming application/json", a.code, a.body)
			}
			if len(e.incidents.decisions) != 0 {
				t.Errorf("decision reached the incident: %+v", e.incidents.decisions)
			}
		})
	}
	e := newEnv(t, nil)
	if a := e.do(t, "POST", "/v1/incidents/host:dc01/decision", "application/json; charset=utf-8", "", `{"verdict":"deny"}`); a.code != 200 {
		t.Errorf("application/json with a charset: code %d %s", a.code, a.body)
	}
}

// TestHostAllowlist: the API answers loopback names and the configured
// ones only, so that a page rebinding its name to 127.0.0.1 is refused.
func TestHostAllowlist(t *testing.T) {
	tests := []struct {
		host    string
		allowed []string
		code    int
	}{
		{"evil.example", nil, http.StatusForbidden},
		{"evil.example:8080", nil, http.StatusForbidden},
		{"127.0.0.1.evil.example", nil, http.StatusForbidden},
		{"localhost:8080", nil, http.StatusOK},
		{"LOCALHOST", nil, http.StatusOK},
		{"127.0.0.1:8080", nil, http.StatusOK},
		{"127.8.9.10", nil, http.StatusOK},
		{"[::1]:8080", nil, http.StatusOK},
		{"socflow.example.com", []string{"socflow.example.com"}, http.StatusOK},
		{"socflow.example.com:8443", []string{"socflow.example.com"}, http.StatusOK},
		{"socflow.example.com:9999", []string{"socflow.example.com:8443"}, http.StatusForbidden},
		{"SocFlow.Example.com:8443", []string{"socflow.example.com:8443"}, http.StatusOK},
		{"anything.example", []string{"*"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			e := newEnv(t, func(o *httpapi.Options) { o.AllowedHosts = tt.allowed })
			req, err := http.NewRequest("GET", e.srv.URL+"/v1/incidents", nil)
			req.Header.Set("Authorization", "Bearer "+aliceToken)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code {
				t.Fatalf("code %d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			if tt.code == http.StatusForbidden && !bytes.Contains(b, []byte("server.allowed_hosts")) {
				t.Errorf("refusal %s does not say what to configure", b)
			}
		})
	}
}

// TestNoCORS: no origin is granted cross-origin access (there is no CORS
// configuration yet), so a page elsewhere can neither preflight a
// decision nor read an answer.
func TestNoCORS(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ method, path, ctype, body string }{
		{"OPTIONS", "/v1/incidents/host:dc01/decision", "", ""},
		{"GET", "/v1/incidents", "", ""},
		{"POST", "/v1/incidents/host:dc01/decision", "application/json", `{"verdict":"deny"}`},
	} {
		req, err := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s %s answered %s: %s", tc.method, tc.path, k, resp.Header.Get(k))
			}
		}
		if tc.method == "OPTIONS" && resp.StatusCode < 400 {
			t.Errorf("preflight answered %d, want a refusal", resp.StatusCode)
		}
	}
}

func TestPostAnswer(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, body string
		code       int
		has        string
	}{
		{"answered", `{"question":"isolate-now","answer":"yes"}`, 200, `"accepted"`},
		{"who answers is the credential", `{"question":"isolate-now","answer":"yes","by":"mallory"}`, 400, `is not accepted`},
		{"no question", `{"answer":"yes"}`, 400, "question: required"},
		{"no answer", `{"question":"isolate-now","answer":"  "}`, 400, "answer: required"},
		{"unknown field", `{"question":"q1","answer":"yes","verdict":"approve"}`, 400, "verdict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, "POST", "/v1/incidents/host:dc01/answer", "application/json", "", tt.body)
			if a.code != tt.code || !strings.Contains(string(a.body), tt.has) {
				t.Errorf("code %d, body %s; want %d with %q", a.code, a.body, tt.code, tt.has)
			}
		})
	}
	got := e.incidents.answers
	if len(got) != 1 || got[0].By != "alice" || got[0].Via != "api" || got[0].Question != "isolate-now" || got[0].Answer != "yes" {
		t.Errorf("answers sent = %+v, want one from alice via api", got)
	}
	if a := e.do(t, "POST", "/v1/incidents/host:nope/answer", "application/json", "", `{"question":"q1","answer":"yes"}`); a.code != http.StatusNotFound {
		t.Errorf("unknown incident: %d %s", a.code, a.body)
	}
}
