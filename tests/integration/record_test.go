package integration

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/tests/replay"
	"github.com/socflow/socflow/workflows"
)

var record = flag.Bool("record", false, "keep the recorded histories in ../replay/testdata and list them in histories.sum (README, Tests and benchmarks)")

// historiesDir is the replay suite's testdata, seen from this package.
const historiesDir = "../replay/testdata"

// The TestRecordHistories* tests run every path of replay.Scenarios that
// the embedded stack can produce, one group of scenarios per stack, and
// replay each run's history with the current code. With -record they keep
// the histories for the replay suite:
//
//	go test -count=1 -run TestRecordHistories ./tests/integration/ -args -record
//
// which writes ../replay/testdata/<YYYYMMDD>-<commit>-<type>-<scenario>.json,
// never over an existing file, and appends each one's line to histories.sum.

// TestRecordHistoriesDecisions: decisions through the API, and a
// containment whose second action fails.
func TestRecordHistoriesDecisions(t *testing.T) {
	rec := newRecorder(t)
	// Incidents stay open 3s after their last step: long enough for the
	// revert below on a loaded machine, short enough to finish the test.
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Routing.Rules[0].Window = 3 * time.Second
	}})

	// dc01: approved, contained, then reverted as a false positive.
	dc01 := readExample(t, "network-anomaly-dc01.json")
	dc01Run := postAlert(t, s, dc01)
	rec.keep(dc01Run, workflows.RespondToAlertType, "duplicate")
	rec.keep(workflows.IncidentWorkflowID("host:dc01"), workflows.IncidentType, "contained_reverted")
	// ws-042 waits for its decision meanwhile.
	postAlert(t, s, readExample(t, "malware-ws042.json"))
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	// A duplicate, counted on the incident before anyone decides (with
	// one-second windows a later one would open a new incident).
	s.post("/v1/alerts", "application/json", dc01, nil)
	eventually(t, 30*time.Second, "duplicate forwarded", func() (bool, string) {
		st := s.waitStatus("host:dc01", time.Second, workflows.StatusAwaiting)
		return st.Occurrences == 2, st.Status
	})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "alice"})
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusContained)
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "revert", By: "alice", Note: "red team exercise"})
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusFalsePositive)

	// prn-01: escalated by bob, denied by carol.
	prnRun := postAlert(t, s, readExample(t, "network-anomaly-printer.json"))
	rec.keep(prnRun, workflows.RespondToAlertType, "new")
	rec.keep(workflows.IncidentWorkflowID("host:prn-01"), workflows.IncidentType, "escalated_denied")
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "escalate", By: "bob", Note: "odd hour"})
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "deny", By: "carol"})

	// ws-042: the host is isolated, the block of its callback address is
	// refused for good, and the saga releases the host. dc01's containment
	// and revert are over, so the EDR calls from here on are ws-042's.
	rec.keep(workflows.IncidentWorkflowID("host:ws-042"), workflows.IncidentType, "saga_compensation")
	s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusAwaiting)
	s.edr.FailNext("POST /api/indicators", http.StatusBadRequest, 1, "")
	before := len(s.edr.Calls())
	decide(t, s, "host:ws-042", workflows.DecideInput{Verdict: "approve", By: "bob"})

	var dup, prn workflows.RespondToAlertResult
	runResult(t, s, dc01Run, &dup)
	runResult(t, s, prnRun, &prn)
	if dup.Disposition != workflows.DispositionHandedOff || dup.Occurrences != 2 {
		t.Errorf("dc01's alert run = %+v, want handed off with 2 occurrences", dup)
	}
	if prn.Disposition != workflows.DispositionHandedOff || prn.Occurrences != 1 {
		t.Errorf("prn-01's alert run = %+v, want handed off with 1 occurrence", prn)
	}
	wantIncident(t, s, "host:dc01", workflows.StatusFalsePositive)
	wantIncident(t, s, "host:prn-01", workflows.StatusDenied)
	wantIncident(t, s, "host:ws-042", workflows.StatusPartial)
	var calls []string
	for _, c := range s.edr.Calls()[before:] {
		if c.Method != http.MethodPost {
			continue
		}
		result := "ok"
		if c.Status >= 300 {
			result = fmt.Sprint(c.Status)
		}
		calls = append(calls, c.Path[strings.LastIndexByte(c.Path, '/')+1:]+" "+result)
	}
	if got := strings.Join(calls, ", "); got != "isolate ok, indicators 400, unisolate ok" || s.edr.Isolated("ws-042") {
		t.Errorf("ws-042's containment called the EDR with %s (isolated now: %v); want isolate, a refused block, then the release", got, s.edr.Isolated("ws-042"))
	}
	rec.save(s)
}

// TestRecordHistoriesTriage: a suppressed alert, and failed logins that
// only feed a password-spray correlation until it fires.
func TestRecordHistoriesTriage(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Triage.Suppressions = append(c.Policy.Triage.Suppressions, policy.Suppression{
			Name: "recorder-scan", Match: policy.Match{"source": "suricata", "src_ip": "10.0.9.6"},
			Reason: "the recorder's authorised scan", Expires: time.Now().Add(24 * time.Hour),
		})
		// Windows close a few seconds after their last event, not minutes.
		for i := range c.Policy.Correlations.Rules {
			c.Policy.Correlations.Rules[i].Timespan = 4 * time.Second
		}
	}})
	now := time.Now().UTC().Truncate(time.Second)

	scan := alert.Alert{ID: "scan-1", Source: "suricata", Rule: "ET SCAN Nmap Scripting Engine", Title: "Nmap scan of web-01",
		Category: "network", Severity: alert.SeverityMedium, Time: now,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "web-01"}},
			IPs: []alert.IP{{Addr: "10.0.9.6", Direction: alert.DirectionSource}, {Addr: "10.0.2.15", Direction: alert.DirectionDestination}}}}
	scanRun := postAlert(t, s, mustMarshal(t, scan))
	rec.keep(scanRun, workflows.RespondToAlertType, "suppressed")

	// Five users fail to log in from one address: each alert only feeds
	// the windows (failed_login is generate: false); password_spray fires.
	var logins []alert.Alert
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		logins = append(logins, alert.Alert{ID: "login-" + u, Source: "okta", Rule: "User login failure", Title: "Failed login for " + u,
			Category: "identity", Severity: alert.SeverityLow, Time: now,
			Entities: alert.Entities{Users: []alert.User{{Name: u}}, IPs: []alert.IP{{Addr: "203.0.113.50", Direction: alert.DirectionSource}}}})
	}
	var resp intake.Response
	if code := s.post("/v1/alerts", "application/json", mustMarshal(t, logins), &resp); code != http.StatusAccepted || len(resp.Results) != len(logins) {
		t.Fatalf("POST logins = %d %+v", code, resp)
	}
	loginRun := resp.Results[0].WorkflowID
	rec.keep(loginRun, workflows.RespondToAlertType, "correlation_input")
	window := workflows.CorrelationWorkflowID("password_spray", "src_ip=203.0.113.50")
	rec.keep(window, workflows.CorrelateType, "fired")

	var suppressed, input workflows.RespondToAlertResult
	runResult(t, s, scanRun, &suppressed)
	runResult(t, s, loginRun, &input)
	if suppressed.Disposition != workflows.DispositionSuppressed || !strings.Contains(suppressed.Suppression, "recorder-scan") {
		t.Errorf("scan's alert run = %+v, want suppressed by recorder-scan", suppressed)
	}
	if input.Disposition != workflows.DispositionCorrelationInput || input.IncidentID != "" {
		t.Errorf("alice's alert run = %+v, want a correlation input without an incident", input)
	}
	var fired workflows.CorrelateResult
	runResult(t, s, window, &fired)
	if fired.Fired != 1 || len(fired.Raised) != 1 {
		t.Errorf("%s = %+v, want one correlated alert", window, fired)
	}
	rec.save(s)
}

// TestRecordHistoriesLadder: nobody answers. Each tier times out after
// two seconds and escalates; at the last, the P4 default closes the
// incident.
func TestRecordHistoriesLadder(t *testing.T) {
	rec := newRecorder(t)
	const timeout = 2 * time.Second
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		for i := range c.Policy.Tiers {
			c.Policy.Tiers[i].Timeout = timeout
		}
	}})
	postAlert(t, s, readExample(t, "network-anomaly-printer.json"))
	id := workflows.IncidentWorkflowID("host:prn-01")
	rec.keep(id, workflows.IncidentType, "ladder_timeout")
	var res workflows.IncidentResult
	runResult(t, s, id, &res)
	// Every tier's timer ran out before the policy decided.
	if least := time.Duration(len(s.cfg.Policy.Tiers)) * timeout; res.Status != workflows.StatusClosed || res.Metrics.TimeToDecide < least {
		t.Errorf("prn-01 = %s after %s, want closed by the timeout default after at least %s", res.Status, res.Metrics.TimeToDecide, least)
	}
	rec.save(s)
}

// TestRecordHistoriesFourEyes: isolating dc01 takes two approvers.
func TestRecordHistoriesFourEyes(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Approvals.Destructive = 2
	}})
	postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	rec.keep(workflows.IncidentWorkflowID("host:dc01"), workflows.IncidentType, "four_eyes")
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	if d := decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "alice"}); d.Status != "recorded" || d.Approvals != 1 || d.Needed != 2 {
		t.Fatalf("first approval = %+v, want recorded, 1 of 2", d)
	}
	if d := decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "bob"}); d.Status != "accepted" {
		t.Fatalf("second approval = %+v, want accepted", d)
	}
	wantIncident(t, s, "host:dc01", workflows.StatusContained)
	if !s.edr.Isolated("dc01") {
		t.Error("dc01 not isolated after two approvals")
	}
	rec.save(s)
}

// TestRecordHistoriesRollover: with a limit of two signals per run, dc01's
// duplicate rolls its alert run over, and the incident continues as new
// while IR has yet to decide; the runs that resume are kept.
func TestRecordHistoriesRollover(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{limits: activities.Limits{Signals: 2}, mutate: func(c *config.Config) {
		shortWindows(c)
		// Room to post the duplicate before the alert run ends.
		c.Policy.Triage.DedupeWindow = 3 * time.Second
	}})
	dc01 := readExample(t, "network-anomaly-dc01.json")
	alertRun := postAlert(t, s, dc01)
	incident := workflows.IncidentWorkflowID("host:dc01")
	rec.keep(alertRun, workflows.RespondToAlertType, "continue_as_new_resume")
	rec.keep(incident, workflows.IncidentType, "continue_as_new_mid_ladder")
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	s.post("/v1/alerts", "application/json", dc01, nil)
	// The duplicate's handoff is the incident's second signal.
	eventually(t, 30*time.Second, "incident continued as new", func() (bool, string) {
		d, err := s.client.DescribeWorkflowExecution(context.Background(), incident, "")
		if err != nil {
			return false, err.Error()
		}
		info := d.GetWorkflowExecutionInfo()
		return info.GetExecution().GetRunId() != info.GetFirstRunId(), info.GetStatus().String()
	})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "alice"})

	var alertRes workflows.RespondToAlertResult
	runResult(t, s, alertRun, &alertRes)
	if alertRes.Occurrences != 2 {
		t.Errorf("dc01's alert run = %+v, want 2 occurrences across the rollover", alertRes)
	}
	wantIncident(t, s, "host:dc01", workflows.StatusContained)
	var resumed workflows.RespondToAlertInput
	startInput(t, s, alertRun, &resumed)
	if resumed.Resume == nil {
		t.Errorf("%s's last run did not resume a rolled-over one", alertRun)
	}
	var resumedIncident workflows.IncidentInput
	startInput(t, s, incident, &resumedIncident)
	if r := resumedIncident.Resume; r == nil || r.Progress == nil || r.Progress.Ladder == nil {
		t.Errorf("%s's last run did not resume a ladder: %+v", incident, r)
	}
	rec.save(s)
}

// TestRecordHistoriesDefaultHeld: a P1 on dc01 from a submitter not
// trusted for automatic containment. IR's timeout passes and the contain
// default does not apply; with four-eyes, two approve the containment and
// two revert it.
func TestRecordHistoriesDefaultHeld(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{untrustedIngest: true, mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Routing.Rules[0].Window = 5 * time.Second
		c.Policy.Approvals.Destructive = 2
		for i := range c.Policy.Tiers {
			c.Policy.Tiers[i].Timeout = 2 * time.Second
		}
	}})
	postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	rec.keep(workflows.IncidentWorkflowID("host:dc01"), workflows.IncidentType, "default_held_revert_four_eyes")
	eventually(t, 30*time.Second, "the contain default refused", func() (bool, string) {
		st := s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
		return st.DefaultAction != nil && !st.DefaultAction.Applied, st.Status
	})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "alice"})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "bob"})
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusContained)
	if d := decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "revert", By: "alice"}); d.Status != "recorded" {
		t.Fatalf("first revert = %+v, want recorded (two approvers needed)", d)
	}
	if d := decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "false_positive", By: "bob", Note: "red team"}); d.Status != "accepted" {
		t.Fatalf("second revert = %+v, want accepted", d)
	}
	wantIncident(t, s, "host:dc01", workflows.StatusFalsePositive)
	if s.edr.Isolated("dc01") {
		t.Error("dc01 still isolated after two approvers reverted")
	}
	rec.save(s)
}

// TestRecordHistoriesFollowUp: prn-01 is marked a false positive; a
// critical ransomware alert on it fires the ransomware trigger and the
// incident goes back up the ladder to IR, who denies.
func TestRecordHistoriesFollowUp(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Routing.Default.Window = 5 * time.Second
		c.Policy.Routing.Rules[0].Window = 5 * time.Second
	}})
	postAlert(t, s, readExample(t, "network-anomaly-printer.json"))
	rec.keep(workflows.IncidentWorkflowID("host:prn-01"), workflows.IncidentType, "follow_up_reenters")
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "false_positive", By: "alice"})
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusFalsePositive)
	ransom := alert.Alert{ID: "ransom-1", Source: "defender", Rule: "Ransomware note written", Title: "Ransomware on prn-01",
		Category: "ransomware", Severity: alert.SeverityCritical, Time: time.Now().UTC().Truncate(time.Second),
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "prn-01"}}}}
	postAlert(t, s, mustMarshal(t, ransom))
	eventually(t, 30*time.Second, "prn-01 back at IR", func() (bool, string) {
		st := s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
		return st.Tier == "IR", st.Tier
	})
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "deny", By: "carol"})
	wantIncident(t, s, "host:prn-01", workflows.StatusDenied)
	rec.save(s)
}

// TestRecordHistoriesLinkedCase: prn-01 closes as a false positive while
// its alert run still counts duplicates, and the next duplicate opens a
// new case (engine 3's reopening handoff) that names the closed one.
func TestRecordHistoriesLinkedCase(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Triage.DedupeWindow = time.Hour
	}})
	prn := readExample(t, "network-anomaly-printer.json")
	postAlert(t, s, prn)
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "false_positive", By: "alice"})
	waitClosed(t, s.client, workflows.IncidentWorkflowID("host:prn-01"))
	postAlert(t, s, prn)
	rec.keep(workflows.IncidentWorkflowID("host:prn-01"), workflows.IncidentType, "follows_closed_case")
	var st workflows.IncidentState
	eventually(t, 30*time.Second, "prn-01's new case linked", func() (bool, string) {
		if code := s.get("/v1/incidents/host:prn-01", &st); code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d", code)
		}
		return st.Status == workflows.StatusAwaiting && st.Linked, st.Status
	})
	if st.Previous == nil || st.Previous.Status != workflows.StatusFalsePositive {
		t.Fatalf("prn-01's new case follows %+v, want the false positive", st.Previous)
	}
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "deny", By: "carol"})
	wantIncident(t, s, "host:prn-01", workflows.StatusDenied)
	rec.save(s)
}

// TestRecordHistoriesVerifiedLease: an isolation that goes pending and is
// verified, whose lease is noticed and runs out, and whose release is
// verified in turn.
func TestRecordHistoriesVerifiedLease(t *testing.T) {
	rec := newRecorder(t)
	edr := defendertest.New(defendertest.WithToken("t"), defendertest.WithPendingReads(1))
	s := startStack(t, stackOptions{edr: edr, mutate: func(c *config.Config) {
		shortWindows(c)
		// Set past validation (which wants a minute at least), so that the
		// lease runs out within the test.
		c.Policy.Containment.Lease = map[alert.ActionKind]time.Duration{alert.ActionIsolateHost: 4 * time.Second}
	}})
	postAlert(t, s, readExample(t, "malware-ws042.json"))
	rec.keep(workflows.IncidentWorkflowID("host:ws-042"), workflows.IncidentType, "verified_lease_ended")
	s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusAwaiting)
	decide(t, s, "host:ws-042", workflows.DecideInput{Verdict: "approve", By: "alice", Actions: []string{"isolate_host:ws-042"}})
	s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusContained)
	if !edr.Isolated("ws-042") {
		t.Fatal("ws-042 is not isolated")
	}
	wantIncident(t, s, "host:ws-042", workflows.StatusLeaseEnded)
	if edr.Isolated("ws-042") {
		t.Error("ws-042 is still isolated after its lease ran out")
	}
	rec.save(s)
}

// TestRecordHistoriesSLABreach: a P1 nobody acknowledges within its
// (shortened) SLA: the acknowledge and the contain deadlines pass and are
// announced, then a responder denies it.
func TestRecordHistoriesSLABreach(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		// Set past validation (which wants a minute at least), so that the
		// deadlines pass within the test.
		c.Policy.SLA.Priorities[alert.P1] = policy.SLATarget{Acknowledge: time.Second, Contain: 2 * time.Second}
	}})
	postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	rec.keep(workflows.IncidentWorkflowID("host:dc01"), workflows.IncidentType, "sla_breached")
	eventually(t, 30*time.Second, "both SLA breaches announced", func() (bool, string) {
		st, err := s.incidents().Get(context.Background(), "host:dc01")
		if err != nil {
			return false, err.Error()
		}
		return len(st.SLABreaches) == 2, fmt.Sprintf("announced %v, status %s", st.SLABreaches, st.Status)
	})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "deny", By: "alice", Note: "lab traffic"})
	wantIncident(t, s, "host:dc01", workflows.StatusDenied)
	rec.save(s)
}

// startInput decodes the input the latest run of a workflow started with.
func startInput(t *testing.T, s *stack, id string, out any) {
	t.Helper()
	h := history(context.Background(), t, s.client, id)
	payloads := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(payloads) == 0 {
		t.Fatalf("%s started without input", id)
	}
	if err := json.Unmarshal(payloads[0].GetData(), out); err != nil {
		t.Fatalf("%s's input: %v", id, err)
	}
}

// recorder keeps the runs of one test as replay histories.
type recorder struct {
	t    *testing.T
	runs []recording
}

type recording struct {
	id string
	sc replay.Scenario
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t}
}

// keep marks the run with the given workflow ID as the history of a
// scenario. With -record it fails at once if the file exists.
func (r *recorder) keep(id, workflowType, scenario string) {
	r.t.Helper()
	sc := replay.Scenario{WorkflowType: workflowType, Name: scenario}
	if !replay.Known(sc) {
		r.t.Fatalf("scenario %s is not in replay.Scenarios (tests/replay/replay.go): add it there first", sc)
	}
	if *record {
		if path := filepath.Join(historiesDir, historyName(r.t, sc)); exists(path) {
			r.t.Fatalf("%s exists and a recorded history is never overwritten. If it is an uncommitted file of an "+
				"earlier attempt, delete it and its line in histories.sum; otherwise commit first, so that the new one carries the new commit", path)
		}
	}
	r.runs = append(r.runs, recording{id: id, sc: sc})
}

// save waits for every kept run to close, writes its history, replays it
// with the current code and, with -record, lists it in histories.sum.
func (r *recorder) save(s *stack) {
	t := r.t
	t.Helper()
	dir := t.TempDir()
	if *record {
		dir = historiesDir
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, rec := range r.runs {
		waitClosed(t, s.client, rec.id)
		h := history(ctx, t, s.client, rec.id)
		if got := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(); got != rec.sc.WorkflowType {
			t.Errorf("%s is a %s run, kept as %s", rec.id, got, rec.sc)
			continue
		}
		data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ToLower(rec.sc.WorkflowType) + "-" + rec.sc.Name + ".json"
		if *record {
			name = historyName(t, rec.sc)
		}
		path := filepath.Join(dir, name)
		if err := writeNew(path, data); err != nil {
			t.Error(err)
			continue
		}
		if err := replay.ReplayFile(playbooks.Builtin(), path); err != nil {
			t.Errorf("replay %s (%s, %s): %v", rec.sc, rec.id, path, err)
			if *record {
				_ = os.Remove(path) // a history the code cannot replay is not kept
			}
			continue
		}
		if !*record {
			continue
		}
		sum, err := replay.SumFile(path)
		if err == nil {
			err = replay.AppendManifest(dir, replay.Entry{SHA256: sum, File: name, Scenario: rec.sc})
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", path)
	}
}

// The day and commit every history of one recording carries, taken once,
// before the recording writes anything (which would make the tree dirty).
var stamp struct {
	once   sync.Once
	day    time.Time
	commit string
	err    error
}

func historyName(t *testing.T, sc replay.Scenario) string {
	t.Helper()
	stamp.once.Do(func() {
		stamp.day = time.Now().UTC()
		stamp.commit, stamp.err = gitCommit()
	})
	if stamp.err != nil {
		t.Fatalf("-record names histories by commit: %v", stamp.err)
	}
	return replay.FileName(stamp.day, stamp.commit, sc)
}

// gitCommit is HEAD's short commit, with -dirty when the work tree has
// changes (untracked files included: Go builds those too).
func gitCommit() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse --short HEAD: %w", err)
	}
	commit := strings.TrimSpace(string(out))
	status, err := exec.Command("git", "status", "--porcelain").Output()
	if err != nil {
		return "", fmt.Errorf("git status --porcelain: %w", err)
	}
	if len(strings.TrimSpace(string(status))) > 0 {
		commit += "-dirty"
	}
	return commit, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: a recorded history is never overwritten", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// postAlert submits one alert and returns its run's workflow ID.
func postAlert(t *testing.T, s *stack, body []byte) string {
	t.Helper()
	var resp intake.Response
	if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted || len(resp.Results) != 1 {
		t.Fatalf("POST /v1/alerts = %d %+v", code, resp)
	}
	return resp.Results[0].WorkflowID
}

func decide(t *testing.T, s *stack, key string, in workflows.DecideInput) workflows.DecideResult {
	t.Helper()
	body, _ := json.Marshal(in)
	var out json.RawMessage
	eventually(t, 30*time.Second, "decision "+string(in.Verdict)+" on "+key, func() (bool, string) {
		code := s.post("/v1/incidents/"+key+"/decision", "application/json", body, &out)
		return code == http.StatusOK, string(out)
	})
	var res workflows.DecideResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decision on %s: %s: %v", key, out, err)
	}
	return res
}

// runResult waits for a workflow (its latest run) to close and decodes its
// result.
func runResult(t *testing.T, s *stack, id string, out any) {
	t.Helper()
	waitClosed(t, s.client, id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.client.GetWorkflow(ctx, id, "").Get(ctx, out); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
}

func wantIncident(t *testing.T, s *stack, key, status string) {
	t.Helper()
	var res workflows.IncidentResult
	runResult(t, s, workflows.IncidentWorkflowID(key), &res)
	if res.Status != status {
		t.Errorf("incident %s ended %s, want %s", key, res.Status, status)
	}
}

func waitClosed(t *testing.T, c client.Client, id string) {
	t.Helper()
	eventually(t, 60*time.Second, id+" closed", func() (bool, string) {
		d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		if err != nil {
			return false, err.Error()
		}
		return d.GetWorkflowExecutionInfo().GetCloseTime() != nil, d.GetWorkflowExecutionInfo().GetStatus().String()
	})
}

func history(ctx context.Context, t *testing.T, c client.Client, id string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	if len(h.Events) == 0 {
		t.Fatalf("%s has no history", id)
	}
	return h
}

// TestRecordHistoriesPhishing: the phishing playbook on a reported mail:
// it enriches again (the links and the attachment, the event store by
// the sender's domain), tells the tier, and blocks the attachment's hash
// at the EDR once approved (no mail gateway is configured, so the
// sender's domain is not proposed).
func TestRecordHistoriesPhishing(t *testing.T) {
	rec := newRecorder(t)
	s := startStack(t, stackOptions{mutate: shortWindows})
	now := time.Now().UTC().Truncate(time.Second)
	sha := strings.Repeat("ab", 32)
	phish := alert.Alert{ID: "phish-1", Source: "defender", Rule: "Email reported by user as phish", Title: "Phish reported by alice",
		Category: "phishing", Severity: alert.SeverityHigh, Time: now,
		Entities: alert.Entities{Users: []alert.User{{Name: "alice"}}, Domains: []string{"evil-invoices.example"},
			URLs: []string{"https://evil-invoices.example/invoice"}, Files: []alert.FileHash{{SHA256: sha}}}}
	postAlert(t, s, mustMarshal(t, phish))
	rec.keep(workflows.IncidentWorkflowID("user:alice"), workflows.IncidentType, "phishing_steps")
	st := s.waitStatus("user:alice", 30*time.Second, workflows.StatusAwaiting)
	if st.Playbook != "phishing" || len(st.Proposed) != 1 || st.Proposed[0].ID != "block_hash:"+sha {
		t.Fatalf("playbook %s proposed %+v, want phishing proposing the hash block", st.Playbook, st.Proposed)
	}
	decide(t, s, "user:alice", workflows.DecideInput{Verdict: "approve", By: "alice"})
	s.waitStatus("user:alice", 30*time.Second, workflows.StatusContained)

	// Impossible travel for bob: account-compromise revokes the sessions
	// and disables the account (Okta), once approved.
	travel := alert.Alert{ID: "travel-1", Source: "okta", Rule: "impossible travel", Title: "Impossible travel for bob",
		Category: "identity", Severity: alert.SeverityHigh, Time: now,
		Entities: alert.Entities{Users: []alert.User{{Name: "bob"}}, IPs: []alert.IP{{Addr: "10.0.3.9", Direction: alert.DirectionSource}}}}
	postAlert(t, s, mustMarshal(t, travel))
	rec.keep(workflows.IncidentWorkflowID("user:bob"), workflows.IncidentType, "account_revoked")
	st = s.waitStatus("user:bob", 30*time.Second, workflows.StatusAwaiting)
	if st.Playbook != "account-compromise" || len(st.Proposed) == 0 || st.Proposed[0].Kind != alert.ActionRevokeSessions {
		t.Fatalf("playbook %s proposed %+v, want account-compromise revoking bob's sessions first", st.Playbook, st.Proposed)
	}
	decide(t, s, "user:bob", workflows.DecideInput{Verdict: "approve", By: "alice"})
	s.waitStatus("user:bob", 30*time.Second, workflows.StatusContained)

	// An alert no routing rule matches: the standard playbook, denied.
	odd := alert.Alert{ID: "odd-1", Source: "wazuh", Rule: "Unusual file permission change", Title: "Unusual permission change on web-01",
		Severity: alert.SeverityMedium, Time: now, Entities: alert.Entities{Hosts: []alert.Host{{Name: "web-01"}}}}
	postAlert(t, s, mustMarshal(t, odd))
	rec.keep(workflows.IncidentWorkflowID("host:web-01"), workflows.IncidentType, "standard_denied")
	if st := s.waitStatus("host:web-01", 30*time.Second, workflows.StatusAwaiting); st.Playbook != "standard" {
		t.Fatalf("playbook %s, want standard", st.Playbook)
	}
	decide(t, s, "host:web-01", workflows.DecideInput{Verdict: "deny", By: "alice"})
	s.waitStatus("host:web-01", 30*time.Second, workflows.StatusDenied)
	rec.save(s)
}
