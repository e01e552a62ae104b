package workflows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// decideNow sends a decision from outside the workflow (an activity's
// goroutine) and waits for its answer: the update is posted to the test
// environment's main loop, which serves it while the activity runs.
func (h *harness) decideNow(t *testing.T, in workflows.DecideInput) (accepted bool, rejected error) {
	t.Helper()
	done := make(chan error, 1)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateDecide, "now-"+in.By+string(in.Verdict), &testsuite.TestUpdateCallback{
			OnAccept:   func() { done <- nil },
			OnReject:   func(err error) { done <- err },
			OnComplete: func(any, error) {},
		}, in)
	}, 0)
	select {
	case err := <-done:
		return err == nil, err
	case <-time.After(10 * time.Second):
		t.Error("the decision got no answer within 10s")
		return false, nil
	}
}

// A revert sent while the incident sends its closing message is refused
// with the reason. Before, it was accepted and dropped: the host stayed
// isolated although the caller was told "accepted".
func TestRevertWhileClosingIsRefused(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	var accepted bool
	var rejected error
	h.f.onNotify = func(k activities.NotifyKind) {
		if k == activities.NotifyClosed {
			accepted, rejected = h.decideNow(t, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "alice", Via: "cli"})
		}
	}
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if r1 != nil {
		t.Fatal(r1)
	}
	if accepted || rejected == nil || !strings.Contains(rejected.Error(), "closing") {
		t.Fatalf("revert while closing: accepted %v, refused with %v; want refused because the incident is closing", accepted, rejected)
	}
	if res.Status != workflows.StatusContained || slices.Contains(h.f.edrCalls, "release dc01") {
		t.Errorf("status %s, EDR calls %v: want contained, nothing released", res.Status, h.f.edrCalls)
	}
}

// nothingToContain is a P1 on an internal address with no host: the
// network-anomaly playbook proposes no action.
func nothingToContain(t *testing.T, pol *policy.Policy) workflows.IncidentAlertSignal {
	t.Helper()
	a := networkAlert("", "10.0.0.5")
	a.Entities.Hosts = nil
	a.Severity = alert.SeverityCritical
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	if sig.Score.Priority != alert.P1 || sig.Route.Playbook != "network-anomaly" {
		t.Fatalf("test alert is %s on %s, want P1 on network-anomaly", sig.Score.Priority, sig.Route.Playbook)
	}
	return sig
}

// A P1 whose timeout default is "contain", with nothing to contain: the
// policy's decision sets the status, and a later deny is refused because
// the playbook has finished. Before, the incident stayed
// awaiting_decision and the deny was accepted and ignored.
func TestPolicyDecisionWithNothingToContainSetsTheStatus(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	sig := nothingToContain(t, pol)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var after workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { after = h.state(t) }, time.Hour+time.Minute)
	var rejected error
	h.decide(t, time.Hour+2*time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "ir-lead"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if after.Status != workflows.StatusNoAction || after.Phase != workflows.PhaseSettled {
		t.Errorf("after the timeout default: status %s, phase %s; want %s, settled", after.Status, after.Phase, workflows.StatusNoAction)
	}
	if rejected == nil || !strings.Contains(rejected.Error(), "settled") {
		t.Errorf("deny after the playbook settled: %v, want refused because the incident is settled", rejected)
	}
	if res.Status != workflows.StatusNoAction {
		t.Errorf("closed as %s, want %s", res.Status, workflows.StatusNoAction)
	}
}

// Once contained, only a revert can change the incident: a deny is
// refused with the reason, not accepted and ignored.
func TestDenyAfterContainmentIsRefused(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	h.decide(t, 10*time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "bob"}, &r2)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if r1 != nil {
		t.Fatal(r1)
	}
	if r2 == nil || !strings.Contains(r2.Error(), "revert") {
		t.Errorf("deny after containment: %v, want refused, naming revert", r2)
	}
}

// With four-eyes, undoing an isolation takes two approvers, as the
// isolation did, each an approver at the tier that approved it. Before,
// one approver reverted it alone.
func TestRevertNeedsTheApprovalsOfWhatItUndoes(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Approvals.Destructive = 2
		p.Tiers[2].Approvers = []string{"alice", "bob", "carol"}
	})
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2, r3, r4, r5 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	h.decide(t, 2*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "bob"}, &r2)
	h.decide(t, 20*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "mallory"}, &r3)
	h.decide(t, 21*time.Minute, workflows.DecideInput{Verdict: alert.VerdictFalsePositive, By: "alice", Note: "pentest"}, &r4)
	var mid workflows.IncidentState
	var midEDR []string
	h.env.RegisterDelayedCallback(func() { mid, midEDR = h.state(t), slices.Clone(h.f.edrCalls) }, 22*time.Minute)
	h.decide(t, 23*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "carol"}, &r5)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	for i, err := range []error{r1, r2, r4, r5} {
		if err != nil {
			t.Fatalf("decision %d refused: %v", i, err)
		}
	}
	if r3 == nil || !strings.Contains(r3.Error(), "not an approver at tier IR") {
		t.Errorf("mallory's revert: %v, want refused (not an IR approver)", r3)
	}
	if mid.Status != workflows.StatusContained || slices.Contains(midEDR, "release dc01") || len(mid.Approvals) != 1 {
		t.Fatalf("after one approver: status %s, EDR %v, %d approvals; want still contained, waiting for a second", mid.Status, midEDR, len(mid.Approvals))
	}
	if res.Status != workflows.StatusFalsePositive || !slices.Contains(h.f.edrCalls, "release dc01") {
		t.Fatalf("status %s, EDR %v: want false_positive with dc01 released", res.Status, h.f.edrCalls)
	}
}

// A critical ransomware alert joining an incident already marked false
// positive fires the ransomware trigger: the incident goes back up the
// ladder, to IR, with a message to IR's channel. Before, the only message
// was an update, and the incident ended false positive.
func TestFollowUpAfterSettleReentersTheLadder(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	first := networkAlert("ws-9", "203.0.113.9")
	sig := incidentSignal(t, pol, first, alert.ContextPacket{}, "alert/fp1/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictFalsePositive, By: "t1-analyst"}, &r1)
	ransom := networkAlert("ws-9", "203.0.113.9")
	ransom.ID, ransom.Rule, ransom.Title, ransom.Category, ransom.Severity = "a-2", "Ransomware note written", "Ransomware on ws-9", "ransomware", alert.SeverityCritical
	follow := incidentSignal(t, pol, ransom, alert.ContextPacket{}, "alert/fp2/run1", 1, 1)
	follow.Route = sig.Route
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, follow) }, 10*time.Minute)
	var mid workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { mid = h.state(t) }, 11*time.Minute)
	h.decide(t, 12*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "ir-lead"}, &r2)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if r1 != nil || r2 != nil {
		t.Fatalf("false positive: %v, IR's approval: %v", r1, r2)
	}
	if mid.Status != workflows.StatusAwaiting || mid.Tier != "IR" {
		t.Fatalf("after the ransomware alert: status %s at %s, want awaiting IR", mid.Status, mid.Tier)
	}
	var toIR bool
	for _, n := range h.f.notes {
		toIR = toIR || n.Kind == activities.NotifyEscalation && n.Card.Channel == "#incident-response"
	}
	if !toIR {
		t.Errorf("no escalation message to IR's channel: %v", h.f.kinds())
	}
	if res.Status != workflows.StatusContained || !slices.Contains(h.f.edrCalls, "isolate ws-9") {
		t.Errorf("ended %s with EDR %v, want contained with ws-9 isolated", res.Status, h.f.edrCalls)
	}
}

// An alert for a key whose incident closed opens a new case that names
// the earlier one and how it ended, in its state, its timeline and the
// next tier's handoff notes; the case file learns each batch's status.
// Before, the new case started from nothing.
func TestNewCaseNamesThePreviousOne(t *testing.T) {
	pol := testPolicy(t, nil)
	cases := &memCases{}
	opened := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	closed := opened.Add(3 * time.Hour)
	earlier := activities.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "earlier-run", OpenedAt: opened, Batch: "earlier-run/1",
		Status: workflows.StatusFalsePositive, ClosedAt: closed}
	if err := cases.AppendCase(t.Context(), earlier); err != nil {
		t.Fatal(err)
	}
	h := newHarnessFull(t, pol, nil, nil, activities.Limits{}, cases)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var st workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { st = h.state(t) }, 30*time.Second)
	var r error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "alice"}, &r)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := activities.CaseLink{CaseID: "earlier-run", OpenedAt: opened, Status: workflows.StatusFalsePositive, ClosedAt: closed}
	if st.Previous == nil || *st.Previous != want || !st.Linked {
		t.Fatalf("previous case = %+v (linked %v), want %+v", st.Previous, st.Linked, want)
	}
	line := "host:dc01 was a case before: earlier-run, opened 2026-12-01T09:00:00Z, closed 2026-12-01T12:00:00Z as false_positive"
	if !slices.ContainsFunc(st.Timeline, func(e alert.TimelineEvent) bool { return strings.HasPrefix(e.Message, line) }) {
		t.Errorf("timeline %+v has no line %q", st.Timeline, line)
	}
	if !slices.ContainsFunc(h.f.notes, func(n activities.NotifyInput) bool {
		return slices.ContainsFunc(n.Card.Notes, func(n string) bool { return strings.Contains(n, line) })
	}) {
		t.Errorf("no card's handoff notes name the earlier case")
	}
	cases.mu.Lock()
	defer cases.mu.Unlock()
	last := cases.records[len(cases.records)-1]
	if last.CaseID == "earlier-run" || last.Status != workflows.StatusDenied || last.ClosedAt.IsZero() {
		t.Errorf("last batch of the new case: case %s status %q closed %s; want status denied and the close time", last.CaseID, last.Status, last.ClosedAt)
	}
}

// containmentOverride sets what the worker's providers can carry out for
// one test (every kind otherwise).
var containmentOverride = map[string]activities.ContainmentPlan{
	"TestProposalLeavesOutWhatNothingCanDo": {Actions: []alert.ActionKind{alert.ActionBlockIP}},
}

// A worker whose providers can block addresses but not isolate hosts:
// the proposal leaves the isolation out and says why, in the state, the
// timeline and the next tier's notes, so that nobody approves an action
// that could only fail. Before, it was proposed, approved and failed.
func TestProposalLeavesOutWhatNothingCanDo(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	a.Severity = alert.SeverityCritical
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var st workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { st = h.state(t) }, 30*time.Second)
	var r error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "ir-lead"}, &r)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(st.Proposed) != 1 || st.Proposed[0].Kind != alert.ActionBlockIP {
		t.Fatalf("proposed %+v, want only the block", st.Proposed)
	}
	if len(st.Unavailable) != 1 || st.Unavailable[0].Action.ID != "isolate_host:dc01" || !strings.Contains(st.Unavailable[0].Reason, "integrations.edr") {
		t.Fatalf("unavailable %+v, want isolate_host:dc01 naming integrations.edr", st.Unavailable)
	}
	line := "cannot be carried out: isolate_host:dc01 (no EDR that isolates hosts is configured: integrations.edr)"
	if !slices.ContainsFunc(st.Timeline, func(e alert.TimelineEvent) bool { return e.Message == line }) {
		t.Errorf("timeline %+v lacks %q", st.Timeline, line)
	}
	if slices.Contains(h.f.edrCalls, "isolate dc01") || !slices.Contains(h.f.edrCalls, "block 203.0.113.7") {
		t.Errorf("EDR calls %v, want the block and no isolation", h.f.edrCalls)
	}
}
