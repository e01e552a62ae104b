package workflows_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// runContained starts an incident on ws-9 (no known asset: T1 decides),
// has t1-analyst approve every proposed action a minute in, and returns
// the result and the audit record's state.
func runContained(t *testing.T, h *harness, pol *policy.Policy) (workflows.IncidentResult, workflows.IncidentState) {
	t.Helper()
	a := networkAlert("ws-9", "203.0.113.9")
	a.Category = "endpoint" // the standard playbook: it proposes isolation
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "t1-analyst", Actions: []string{"isolate_host:ws-9"}}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if rejected != nil {
		t.Fatalf("approval refused: %v", rejected)
	}
	return res, h.audit(t)
}

// audit is the last audit record the incident wrote.
func (h *harness) audit(t *testing.T) workflows.IncidentState {
	t.Helper()
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if len(h.f.audits) == 0 {
		t.Fatal("no audit record")
	}
	var st workflows.IncidentState
	if err := json.Unmarshal(h.f.audits[len(h.f.audits)-1], &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func result(t *testing.T, st workflows.IncidentState, id string) alert.ActionResult {
	t.Helper()
	for _, r := range slices.Backward(st.Results) {
		if r.Action.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", id, st.Results)
	return alert.ActionResult{}
}

func timeline(st workflows.IncidentState) string {
	var b strings.Builder
	for _, e := range st.Timeline {
		b.WriteString(e.Actor + ": " + e.Message + "\n")
	}
	return b.String()
}

// An isolation the EDR has taken but not confirmed is pending
// verification, visible in the state, until the vendor says it is done.
// Before, the incident was contained the moment the request was sent.
func TestIsolationIsPendingUntilTheVendorConfirms(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.pendingReads = 3
	var mid workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { mid = h.state(t) }, time.Minute+2*time.Second)
	res, st := runContained(t, h, pol)
	if m := result(t, mid, "isolate_host:ws-9"); m.Status != alert.ActionPending || mid.Status != workflows.StatusContaining || m.VerifyBy.IsZero() {
		t.Fatalf("right after the request: %s (%s), incident %s; want pending_verification with a deadline, containing", m.Status, m.State, mid.Status)
	}
	r := result(t, st, "isolate_host:ws-9")
	if res.Status != workflows.StatusContained || r.Status != alert.ActionDone || r.VerifiedAt.IsZero() {
		t.Fatalf("ended %s with %s (verified %v), want contained, done, verified", res.Status, r.Status, r.VerifiedAt)
	}
	if !strings.Contains(timeline(st), "verified: isolate_host:ws-9 isolated") {
		t.Errorf("timeline has no verification line:\n%s", timeline(st))
	}
}

// A vendor that does not confirm within the kind's deadline leaves the
// action unverified and sends the incident to the next tier with the
// vendor's last state.
func TestMissedVerificationDeadlineEscalates(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Containment.Verify = map[alert.ActionKind]time.Duration{alert.ActionIsolateHost: 3 * time.Minute}
	})
	h := newHarness(t, pol, nil)
	h.f.neverConfirm = true
	res, st := runContained(t, h, pol)
	r := result(t, st, "isolate_host:ws-9")
	if res.Status != workflows.StatusUnverified || r.Status != alert.ActionUnverified || st.Tier != "T2" {
		t.Fatalf("ended %s at %s with %s, want containment_unverified at T2 with the action unverified", res.Status, st.Tier, r.Status)
	}
	tl := timeline(st)
	if !strings.Contains(tl, "escalated to T2: not confirmed by the vendor within its verification deadline: isolate_host:ws-9 (vendor's last state: turning_on)") {
		t.Errorf("timeline does not name the escalation and the vendor's state:\n%s", tl)
	}
	if k := h.f.kinds(); len(slices.DeleteFunc(slices.Clone(k), func(n activities.NotifyKind) bool { return n != activities.NotifyEscalation })) < 2 {
		t.Errorf("notifications %v: want a second escalation message, to T2", k)
	}
}

// The vendor's own failure (a Defender machine action Failed) fails the
// action with its reason; nothing is left half-contained.
func TestVendorFailureFailsTheAction(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.vendorFails = "Failed: the device is offline"
	res, st := runContained(t, h, pol)
	r := result(t, st, "isolate_host:ws-9")
	if res.Status != workflows.StatusPartial || r.Status != alert.ActionFailed || !strings.Contains(r.Detail, "the device is offline") {
		t.Fatalf("ended %s with %s %q, want partially_contained, failed with the vendor's reason", res.Status, r.Status, r.Detail)
	}
}

// A host that was isolated before socflow acted is left as found: no
// request is sent, and a revert does not release it. Before, an existing
// isolation counted as socflow's own and a revert lifted it.
func TestAlreadyIsolatedIsLeftAsFound(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.already("host:ws-9")
	var revert error
	h.decide(t, 20*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "t1-analyst"}, &revert)
	_, st := runContained(t, h, pol)
	r := result(t, st, "isolate_host:ws-9")
	if r.Status != alert.ActionLeftAsFound || !strings.Contains(r.Detail, "already isolated") {
		t.Fatalf("result %s %q, want left_as_found, already isolated", r.Status, r.Detail)
	}
	if len(h.f.edrCalls) != 0 {
		t.Errorf("EDR calls %v, want none", h.f.edrCalls)
	}
	if revert == nil || !strings.Contains(revert.Error(), "no containment to revert") {
		t.Errorf("revert: %v, want refused: nothing of socflow's to revert", revert)
	}
}

// An undo is counted by success: a release that fails leaves the
// incident revert_failed and escalates. Before, the revert said
// "reverted 1 action(s)" whatever happened.
func TestFailedUndoLeavesRevertFailed(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.failRelease = true
	var revert error
	h.decide(t, 20*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "t1-analyst"}, &revert)
	res, st := runContained(t, h, pol)
	if revert != nil {
		t.Fatal(revert)
	}
	r := result(t, st, "isolate_host:ws-9")
	tl := timeline(st)
	if res.Status != workflows.StatusRevertFailed || r.Status != alert.ActionRevertFailed {
		t.Fatalf("ended %s with %s, want revert_failed twice", res.Status, r.Status)
	}
	if !strings.Contains(tl, "reverted 0 of 1 action(s); still in force: isolate_host:ws-9") || !strings.Contains(tl, "escalated to T2: revert failed") {
		t.Errorf("timeline:\n%s", tl)
	}
}

// An action with a lease is undone when the lease runs out, after a
// notice to the tier, and keeps the incident open until then.
func TestLeaseRunsOutAndUndoes(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Containment.Lease = map[alert.ActionKind]time.Duration{alert.ActionIsolateHost: 4 * time.Hour}
		p.Containment.LeaseNotice = 30 * time.Minute
	})
	h := newHarness(t, pol, nil)
	var before, noticed workflows.IncidentState
	var beforeEDR []string
	h.env.RegisterDelayedCallback(func() { before, beforeEDR = h.state(t), slices.Clone(h.f.edrCalls) }, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() { noticed = h.state(t) }, 4*time.Hour-10*time.Minute)
	res, st := runContained(t, h, pol)
	if b := result(t, before, "isolate_host:ws-9"); b.Status != alert.ActionDone || b.LeaseUntil.IsZero() || b.Noticed || slices.Contains(beforeEDR, "release ws-9") {
		t.Fatalf("at 3h: %s, lease until %v, noticed %v, EDR %v; want done, leased, no notice yet, not released", b.Status, b.LeaseUntil, b.Noticed, beforeEDR)
	}
	if n := result(t, noticed, "isolate_host:ws-9"); !n.Noticed || !strings.Contains(timeline(noticed), "lease runs out: isolate_host:ws-9") {
		t.Fatalf("10 minutes before the end: noticed %v; timeline:\n%s", n.Noticed, timeline(noticed))
	}
	r := result(t, st, "isolate_host:ws-9")
	if res.Status != workflows.StatusLeaseEnded || r.Status != alert.ActionReverted || !slices.Contains(h.f.edrCalls, "release ws-9") {
		t.Fatalf("ended %s with %s, EDR %v; want lease_ended, reverted, released", res.Status, r.Status, h.f.edrCalls)
	}
	if !strings.Contains(timeline(st), "timer: lease ran out: undoing isolate_host:ws-9") {
		t.Errorf("timeline:\n%s", timeline(st))
	}
}

// A renewal pushes the lease out by its length from the renewal; a
// renewal without a lease in force is refused.
func TestRenewPushesTheLeaseOut(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Containment.Lease = map[alert.ActionKind]time.Duration{alert.ActionIsolateHost: 2 * time.Hour}
	})
	h := newHarness(t, pol, nil)
	var early, renew error
	h.decide(t, 30*time.Second, workflows.DecideInput{Verdict: alert.VerdictRenew, By: "t1-early"}, &early)
	h.decide(t, 100*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRenew, By: "t1-analyst"}, &renew)
	var late workflows.IncidentState
	var lateEDR []string
	h.env.RegisterDelayedCallback(func() { late, lateEDR = h.state(t), slices.Clone(h.f.edrCalls) }, 2*time.Hour+30*time.Minute)
	res, st := runContained(t, h, pol)
	if early == nil || !strings.Contains(early.Error(), "no containment with a lease") {
		t.Errorf("renewal before containment: %v, want refused", early)
	}
	if renew != nil {
		t.Fatal(renew)
	}
	if l := result(t, late, "isolate_host:ws-9"); l.Status != alert.ActionDone || slices.Contains(lateEDR, "release ws-9") {
		t.Fatalf("after the first lease's end: %s, EDR %v; want still isolated\n%s", l.Status, lateEDR, timeline(late))
	}
	if res.Status != workflows.StatusLeaseEnded || !slices.Contains(h.f.edrCalls, "release ws-9") {
		t.Fatalf("ended %s, EDR %v; want the renewed lease to run out too", res.Status, h.f.edrCalls)
	}
	if !strings.Contains(timeline(st), "renewed lease via no channel: isolate_host:ws-9 until") {
		t.Errorf("timeline:\n%s", timeline(st))
	}
}

// A protected target (by the inventory's role) is never contained by a
// timeout default, its proposal says what containing it takes, and a tier
// below the one the policy names may not approve it.
func TestProtectedRoleNeedsItsTier(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Containment.Protected.Roles = []string{"Domain-Controller"}
		p.Containment.Protected.Tier = "IR"
		for k := range p.Scoring.OnTimeout {
			p.Scoring.OnTimeout[k] = policy.DefaultContain
		}
	})
	h := newHarness(t, pol, nil)
	a := networkAlert("ws-9", "203.0.113.9")
	a.Category = "endpoint"
	a.AutoContainTrusted, a.SubmittedBy = true, "siem-ingest"
	ctx := alert.ContextPacket{Asset: &alert.Asset{Name: "ws-9", Tier: 4, Role: "domain-controller"}}
	sig := incidentSignal(t, pol, a, ctx, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var t1, deny error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "t1-analyst"}, &t1)
	var held workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { held = h.state(t) }, 4*time.Hour)
	h.decide(t, 4*time.Hour+time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "ir-lead"}, &deny)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if t1 == nil || !strings.Contains(t1.Error(), "isolate_host:ws-9: protected target(s); containing them needs tier IR or above") {
		t.Errorf("T1's approval: %v, want refused for the protected host", t1)
	}
	i := slices.IndexFunc(held.Proposed, func(a alert.Action) bool { return a.ID == "isolate_host:ws-9" })
	if i < 0 || !strings.Contains(held.Proposed[i].Protected, "role domain-controller") || !strings.Contains(held.Proposed[i].Protected, "needs tier IR") {
		t.Fatalf("proposal %+v does not say the host is protected and what it takes", held.Proposed)
	}
	if held.DefaultAction == nil || held.DefaultAction.Applied || slices.Contains(h.f.edrCalls, "isolate ws-9") {
		t.Fatalf("default %+v, EDR %v: want the contain default refused for the protected host", held.DefaultAction, h.f.edrCalls)
	}
	if deny != nil || res.Status != workflows.StatusDenied {
		t.Fatalf("IR's deny: %v, ended %s", deny, res.Status)
	}
}

// lostAnswer is a fake EDR whose first isolation request takes effect and
// whose answer is lost (a 503 after the fact), as when a proxy times out.
type lostAnswer struct {
	*fakes
	sends atomic.Int32
}

func (l *lostAnswer) IsolateHost(ctx context.Context, h alert.Host, c string) (string, error) {
	ref, _ := l.fakes.IsolateHost(ctx, h, c)
	if l.sends.Add(1) == 1 {
		return "", &httpx.StatusError{Method: "POST", URL: "/api/machines/isolate", Code: 503}
	}
	return ref, nil
}

// A retried isolation whose first answer was lost sends nothing twice,
// and takes the isolation for its own (it is undone on revert), not for
// one it found.
func TestRetryAfterALostAnswerNeverActsTwice(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.pendingReads = 2
	l := &lostAnswer{fakes: h.f}
	h.env.RegisterActivity(&activities.Contain{Isolator: l, Blocker: h.f, Accounts: h.f})
	var revert error
	h.decide(t, 30*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "t1-analyst"}, &revert)
	_, st := runContained(t, h, pol)
	if n := strings.Count(strings.Join(h.f.edrCalls, ","), "isolate ws-9"); n != 1 {
		t.Fatalf("EDR calls %v: want one isolation request, got %d", h.f.edrCalls, n)
	}
	if revert != nil || !slices.Contains(h.f.edrCalls, "release ws-9") {
		t.Fatalf("revert %v, EDR %v: want the isolation taken as socflow's and released", revert, h.f.edrCalls)
	}
	if r := result(t, st, "isolate_host:ws-9"); r.Status != alert.ActionReverted {
		t.Errorf("result %s, want reverted", r.Status)
	}
}
