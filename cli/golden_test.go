package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the commands print")

// goldenNow is the clock of every golden run.
var goldenNow = time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)

// goldenCase is one command line of a golden test.
type goldenCase struct {
	// name is the golden file, testdata/<command>/<name>.golden.
	name string
	args []string
	// code is the exit code the command must give; the golden file
	// records it too, but -update must not bless a wrong one.
	code int
}

// runGolden runs c on f (a testFactory with its fakes) and compares the
// exit code, stdout and stderr with the golden file; with -update it
// writes the file instead. An -o json run must print JSON.
func runGolden(t *testing.T, command string, f *Factory, out, errOut *bytes.Buffer, c goldenCase) {
	t.Helper()
	f.Now = func() time.Time { return goldenNow }
	code := Run(f, c.args)
	if code != c.code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
	}
	if isJSON(c.args) && out.Len() > 0 && !json.Valid(out.Bytes()) {
		t.Errorf("-o json printed something else:\n%s", out)
	}
	line := make([]string, len(c.args))
	for i, a := range c.args {
		line[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$") {
			line[i] = strconv.Quote(a)
		}
	}
	got := fmt.Sprintf("$ socflow %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(line, " "), code, out, errOut)
	path := filepath.Join("testdata", command, c.name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cli -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cli -run %s -update rewrites it)\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

func isJSON(args []string) bool {
	for i, a := range args {
		if a == "-ojson" || a == "--output=json" || (a == "-o" || a == "--output") && i+1 < len(args) && args[i+1] == "json" {
			return true
		}
	}
	return false
}

// fakeIncidents is an IncidentReader over fixtures, recording what the
// commands asked for.
type fakeIncidents struct {
	list     []incidents.Summary
	state    *workflows.IncidentState
	timeline []alert.TimelineEvent
	alerts   []events.CaseAlert

	mu     sync.Mutex
	opened []bool
	listed []incidents.ListOptions
	closed int
}

func (fi *fakeIncidents) open(_ context.Context, cases bool) (IncidentReader, func(), error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.opened = append(fi.opened, cases)
	return fi, func() { fi.mu.Lock(); fi.closed++; fi.mu.Unlock() }, nil
}

func (fi *fakeIncidents) List(_ context.Context, o incidents.ListOptions) ([]incidents.Summary, error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.listed = append(fi.listed, o)
	return fi.list, nil
}

func (fi *fakeIncidents) find(key string) (string, error) {
	if fi.state == nil || workflows.IncidentKey(key) != fi.state.Key {
		return "", fmt.Errorf("incidents: query %s: %w", workflows.IncidentWorkflowID(workflows.IncidentKey(key)), incidents.ErrNotFound)
	}
	return fi.state.ID, nil
}

func (fi *fakeIncidents) Get(_ context.Context, key string) (*workflows.IncidentState, error) {
	if _, err := fi.find(key); err != nil {
		return nil, err
	}
	return fi.state, nil
}

// Timeline pages the fixture; a cursor is the index of the next line.
func (fi *fakeIncidents) Timeline(_ context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error) {
	id, err := fi.find(key)
	if err != nil {
		return nil, err
	}
	from := 0
	if p.Cursor != "" {
		if from, err = strconv.Atoi(p.Cursor); err != nil || from < 0 || from > len(fi.timeline) {
			return nil, fmt.Errorf("incidents: timeline of %s: %w", id, incidents.ErrBadCursor)
		}
	}
	to := min(from+max(p.Limit, 1), len(fi.timeline))
	page := &incidents.TimelinePage{ID: id, CaseID: "run-1", Source: incidents.SourceCaseFile, Events: fi.timeline[from:to], Total: len(fi.timeline)}
	if to < len(fi.timeline) {
		page.NextCursor = strconv.Itoa(to)
	}
	return page, nil
}

func (fi *fakeIncidents) Alerts(_ context.Context, key string, _ incidents.Page) (*incidents.AlertsPage, error) {
	id, err := fi.find(key)
	if err != nil {
		return nil, err
	}
	return &incidents.AlertsPage{ID: id, CaseID: "run-1", Source: incidents.SourceCaseFile, Alerts: fi.alerts, Total: len(fi.alerts)}, nil
}

// dc01Opened is when the fixture incident opened.
var dc01Opened = time.Date(2026, 5, 14, 9, 12, 31, 0, time.UTC)

func at(d time.Duration) time.Time { return dc01Opened.Add(d) }

// dc01 is the README's incident: a network anomaly on a domain
// controller, P1, waiting for incident response.
func dc01() *fakeIncidents {
	isolate := alert.NewAction(alert.ActionIsolateHost, "dc01", "P1 on a tier 1 asset")
	block := alert.NewAction(alert.ActionBlockIP, "203.0.113.7", "external source on the watchlist")
	return &fakeIncidents{
		list: []incidents.Summary{
			{ID: "incident/host:dc01", RunID: "run-1", Title: "Inbound SMB connection to dc01 from external address 203.0.113.7", Status: workflows.StatusAwaiting,
				Running: true, Priority: "P1", Score: 100, Tier: "IR", Host: "dc01", Rule: "SOCFLOW-NET-0042", Playbook: "network-anomaly", Alerts: 2, StartedAt: dc01Opened, SLA: incidents.SLADueSoon},
			{ID: "incident/host:prn-01", RunID: "run-2", Title: "Inbound SMB connection to prn-01 from external address 198.51.100.23", Status: workflows.StatusAwaiting,
				Running: true, Priority: "P4", Score: 25, Tier: "T1", Host: "prn-01", Playbook: "network-anomaly", Alerts: 1, StartedAt: at(2 * time.Minute)},
			{ID: "incident/user:bob", RunID: "run-3", Title: "Brute force against bob", Status: workflows.StatusFalsePositive,
				Priority: "P3", Score: 45, Tier: "T1", User: "bob", Alerts: 7, StartedAt: at(-3 * time.Hour), ClosedAt: at(-2 * time.Hour), SLA: incidents.SLAOnTime},
		},
		state: &workflows.IncidentState{
			ID: "incident/host:dc01", Key: "host:dc01", Title: "Inbound SMB connection to dc01 from external address 203.0.113.7",
			Status: workflows.StatusAwaiting, Tier: "IR", Playbook: "network-anomaly", Phase: "responding",
			Score: alert.Score{Value: 100, Priority: alert.P1, Tier: "IR", SLA: time.Hour, Factors: []alert.Factor{
				{Name: "severity", Detail: "medium", Effect: "50"},
				{Name: "asset tier", Detail: "dc01 is tier 1", Effect: "x2"},
				{Name: "intel", Detail: "203.0.113.7 on watchlist (confidence 90)", Effect: "+27"},
			}},
			Route:          policy.Route{Rule: "network", Key: "host:dc01", GroupBy: "host", Playbook: "network-anomaly", Window: time.Hour},
			Hosts:          []string{"dc01"},
			SourceIPs:      []string{"203.0.113.7"},
			DestinationIPs: []string{"10.0.0.10"},
			Categories:     []string{"network"},
			Alerts: []workflows.AlertRef{{WorkflowID: "alert/suricata-0113a19e", AlertID: "a-1", Source: "suricata", Rule: "SOCFLOW-NET-0042",
				Title: "Inbound SMB connection to dc01", Severity: alert.SeverityMedium, Score: 100, Occurrences: 2, FirstSeen: dc01Opened, LastSeen: at(time.Minute)}},
			Occurrences: 3,
			Context: alert.ContextPacket{
				Asset:     &alert.Asset{Name: "dc01", Owner: "it-infra", Role: "domain-controller", Tier: 1, MatchedBy: "hostname"},
				IntelHits: []alert.IntelHit{{Indicator: "203.0.113.7", Type: "ipv4", Source: "watchlist.csv", Confidence: 90, Labels: []string{"c2"}}},
				Gaps:      []alert.Gap{{Source: "virustotal", Reason: "not configured"}},
			},
			Proposed: []alert.Action{isolate, block},
			Decisions: []alert.Decision{{Verdict: alert.VerdictEscalate, By: "alice", Via: "slack", Tier: "T2", Note: "DC, IR's call",
				At: at(4 * time.Minute)}},
			Results:   []alert.ActionResult{{Action: block, Status: alert.ActionDone, Reference: "ind-77", Detail: "indicator added", At: at(5 * time.Minute)}},
			OpenedAt:  dc01Opened,
			UpdatedAt: at(5 * time.Minute),
			Metrics:   workflows.Metrics{TimeToEnrich: 1200 * time.Millisecond, TimeToDecide: 4 * time.Minute},
		},
		timeline: []alert.TimelineEvent{
			{At: dc01Opened, Stage: "ingest", Actor: "socflow", Message: "alert from suricata: SOCFLOW-NET-0042", AlertID: "a-1"},
			{At: at(1200 * time.Millisecond), Stage: "enrich", Actor: "socflow", Message: "asset dc01 tier 1; 203.0.113.7 on watchlist"},
			{At: at(1300 * time.Millisecond), Stage: "score", Actor: "socflow", Message: "score 100 (P1)"},
			{At: at(2 * time.Second), Stage: "escalate", Actor: "socflow", Message: "asked T2 in #soc-t2"},
			{At: at(4 * time.Minute), Stage: "decide", Actor: "alice", Message: "escalate: DC, IR's call"},
		},
		alerts: []events.CaseAlert{
			{WorkflowID: "alert/suricata-0113a19e", AlertID: "a-1", Source: "suricata", Rule: "SOCFLOW-NET-0042", Title: "Inbound SMB connection to dc01",
				Severity: alert.SeverityMedium, Score: 100, Occurrences: 2, FirstSeen: dc01Opened, LastSeen: at(time.Minute)},
			{WorkflowID: "alert/defender-77c2", AlertID: "a-2", Source: "defender", Rule: "Suspicious service creation", Title: "New service on dc01",
				Severity: alert.SeverityHigh, Score: 90, Occurrences: 1, FirstSeen: at(3 * time.Minute), LastSeen: at(3 * time.Minute)},
		},
	}
}

// apiCall is one request the fake API expects, and its answer.
type apiCall struct {
	method, path string
	// body is the request as JSON; "" expects none.
	body string
	// answer is decoded into the command's out; err is returned instead.
	answer any
	err    error
}

// fakeAPI is an APIClient that answers the calls it expects, in order,
// and fails the test on any other; verify checks every one was made.
type fakeAPI struct {
	t     *testing.T
	mu    sync.Mutex
	calls []apiCall
	flags []APIFlags
}

func newFakeAPI(t *testing.T, calls ...apiCall) *fakeAPI {
	a := &fakeAPI{t: t, calls: calls}
	t.Cleanup(a.verify)
	return a
}

func (a *fakeAPI) client(flags APIFlags) (APIClient, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flags = append(a.flags, flags)
	return a, nil
}

func (a *fakeAPI) Do(_ context.Context, method, path string, in, out any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.calls) == 0 {
		a.t.Errorf("unexpected API call %s %s", method, path)
		return fmt.Errorf("unexpected API call %s %s", method, path)
	}
	c := a.calls[0]
	a.calls = a.calls[1:]
	body := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = string(b)
	}
	if method != c.method || path != c.path || body != c.body {
		a.t.Errorf("API call %s %s %s\nwant         %s %s %s", method, path, body, c.method, c.path, c.body)
	}
	if c.err != nil {
		return c.err
	}
	b, err := json.Marshal(c.answer)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (a *fakeAPI) verify() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.calls {
		a.t.Errorf("API call %s %s was never made", c.method, c.path)
	}
}

// fakeSubmitter accepts every parsed alert as the real submitter would
// answer: the first of a fingerprint starts a run, the rest are
// duplicates; an entry that did not parse is rejected.
type fakeSubmitter struct {
	mu        sync.Mutex
	connected int
	submitted [][]intake.Item
}

func (s *fakeSubmitter) connect(_ context.Context, _ *config.Config, sub *intake.Submitter) (AlertSubmitter, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected++
	if sub == nil || sub.Now == nil || !sub.Now().Equal(goldenNow) {
		return nil, nil, fmt.Errorf("the submitter does not have the factory's clock")
	}
	return s, func() {}, nil
}

func (s *fakeSubmitter) SubmitItems(_ context.Context, items []intake.Item) *intake.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.submitted = append(s.submitted, items)
	resp := &intake.Response{Rejected: []intake.Rejection{}, Results: []intake.Result{}}
	seen := map[string]bool{}
	for _, it := range items {
		if it.Err != nil {
			resp.Rejected = append(resp.Rejected, intake.Rejection{Index: it.Index, Line: it.Line, Error: it.Err.Error()})
			continue
		}
		fp := intake.Fingerprint(it.Alert, nil)
		resp.Results = append(resp.Results, intake.Result{Index: it.Index, WorkflowID: workflows.AlertWorkflowID(fp), Duplicate: seen[fp]})
		resp.Accepted++
		if seen[fp] {
			resp.Duplicates++
		}
		seen[fp] = true
	}
	resp.RejectedTotal = len(resp.Rejected)
	return resp
}
