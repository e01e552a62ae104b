package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// Containment that is verified, leased and undoes only what socflow did
// (rulesVerifiedContainment). An action is done only once the vendor
// confirms it; a target that was already so is left as found and never
// undone; an undo counts only when it succeeded.

// Verification polls: the first soon after the request (an EDR usually
// confirms within seconds), then backing off to one a minute, which keeps
// a ten-minute wait to a dozen activities and Defender's machine-action
// API (100 calls a minute) far from its limit.
const (
	verifyFirstPoll = 5 * time.Second
	verifyMaxPoll   = time.Minute
)

// containVerified runs the saga's actions, then waits for the vendor to
// confirm those it took but has not confirmed, then starts their leases.
func (inc *incident) containVerified(ctx workflow.Context, pos int, sg *SagaState) ([]alert.ActionResult, error) {
	var c *activities.Contain
	for ; sg.Next < len(sg.Actions); sg.Next++ {
		if inc.rolloverDue(ctx) {
			inc.rollingOver = true
			return nil, errRollover
		}
		a := sg.Actions[sg.Next]
		s, ok := steps[a.Kind]
		if !ok {
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("unknown action kind %q skipped", a.Kind))
			continue
		}
		if a.Kind == alert.ActionIsolateHost && a.TargetID == "" {
			a.TargetID = inc.st.HostIDs[strings.ToLower(a.Target)]
		}
		if a.Lease == 0 {
			a.Lease = inc.pol.Containment.LeaseFor(a)
		}
		var res activities.ContainResult
		err := workflow.ExecuteActivity(containOptions(ctx, string(a.Kind)+" "+a.Target), s.do(c), activities.ContainInput{
			IncidentID: inc.st.ID, Action: a, Drill: inc.st.Drill,
		}).Get(ctx, &res)
		now := workflow.Now(ctx)
		r := alert.ActionResult{Action: a, Reference: res.Reference, Detail: res.Detail, At: now, State: res.State}
		if err != nil {
			if temporal.IsCanceledError(err) {
				return sg.Results, err
			}
			r.Status, r.Detail = alert.ActionFailed, errText(err)
			inc.addResult(sg, r, false)
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("%s failed: %s", a.ID, r.Detail))
			return inc.sagaFailed(ctx, pos, sg, -1), nil
		}
		switch {
		case res.Already:
			r.Status = alert.ActionLeftAsFound
		case res.Pending:
			r.Status = alert.ActionPending
			r.VerifyBy = now.Add(inc.pol.Containment.VerifyWithin(a.Kind))
		default:
			r.Status, r.VerifiedAt = alert.ActionDone, now
		}
		// An action without an undo is done and stays done: nothing is
		// registered to undo it.
		inc.addResult(sg, r, !res.Already && s.undo != nil)
		inc.note(ctx, alert.StageContain, "socflow", r.Detail)
	}
	if slices.ContainsFunc(sg.Done, func(i int) bool { return inc.st.Results[i].Status == alert.ActionPending }) {
		inc.publish(ctx) // "pending verification" shows while the vendor works
	}
	failed, err := inc.awaitVerified(ctx, sg.Done, false)
	inc.syncSaga(sg)
	if err != nil {
		return sg.Results, err
	}
	if failed >= 0 {
		return inc.sagaFailed(ctx, pos, sg, failed), nil
	}
	inc.startLeases(ctx, sg.Done)
	inc.syncSaga(sg)
	inc.st.Status = StatusContained
	if slices.ContainsFunc(sg.Done, func(i int) bool { return inc.st.Results[i].Status == alert.ActionUnverified }) {
		inc.st.Status = StatusUnverified
	}
	inc.st.Metrics.TimeToContain = workflow.Now(ctx).Sub(inc.st.OpenedAt)
	inc.markContained(ctx)
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
	inc.endStep(StepOutcome{Step: pos, Kind: StepContain, Results: sg.Results})
	return sg.Results, nil
}

// addResult records one action's result in the state and the saga;
// inForce registers its undo.
func (inc *incident) addResult(sg *SagaState, r alert.ActionResult, inForce bool) {
	inc.st.Results = append(inc.st.Results, r)
	i := len(inc.st.Results) - 1
	sg.Results = append(sg.Results, r)
	sg.Indexes = append(sg.Indexes, i)
	if inForce {
		sg.Done = append(sg.Done, i)
	}
}

// syncSaga copies the state's results (which verification and leases
// change) into the saga's.
func (inc *incident) syncSaga(sg *SagaState) {
	for j, i := range sg.Indexes {
		if j < len(sg.Results) && i < len(inc.st.Results) {
			sg.Results[j] = inc.st.Results[i]
		}
	}
}

// sagaFailed ends a containment whose action failed (failed, when >= 0,
// is a result the vendor reported failed after taking it): the actions
// in force are undone newest first, counted by success; an undo that
// fails leaves revert_failed and escalates.
func (inc *incident) sagaFailed(ctx workflow.Context, pos int, sg *SagaState, failed int) []alert.ActionResult {
	undo := slices.DeleteFunc(slices.Clone(sg.Done), func(i int) bool { return i == failed || !inc.st.Results[i].Status.InForce() })
	n := inc.compensate(ctx, undo)
	inc.st.Status = StatusPartial
	switch {
	case n < len(undo):
		inc.st.Status = StatusRevertFailed
		inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("saga: undid %d of %d earlier action(s); %s still in force", n, len(undo), inForceIDs(inc.st.Results, undo)))
		inc.escalateFor(ctx, "containment failed and its undo failed: "+inForceIDs(inc.st.Results, undo)+" still in force")
	case len(undo) > 0:
		inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("saga: undid %d earlier action(s); containment needs a human", n))
	}
	inc.syncSaga(sg)
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
	inc.endStep(StepOutcome{Step: pos, Kind: StepContain, Results: sg.Results})
	return sg.Results
}

// inForceIDs lists the IDs of the results at idx still in force.
func inForceIDs(rs []alert.ActionResult, idx []int) string {
	var ids []string
	for _, i := range idx {
		if rs[i].Status.InForce() {
			ids = append(ids, rs[i].Action.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// awaitVerified polls the vendor about the results at idx that await
// confirmation (of the action, or with undo of its undo) until each is
// confirmed, reported failed, or past its deadline. A missed deadline
// marks the result unverified (an undo: revert_failed) and escalates with
// the vendor's last state. It returns the first action the vendor reported
// failed (-1 when none; an undo's failure is recorded, not returned).
func (inc *incident) awaitVerified(ctx workflow.Context, idx []int, undo bool) (int, error) {
	waiting, done := alert.ActionPending, alert.ActionDone
	if undo {
		waiting, done = alert.ActionReverting, alert.ActionReverted
	}
	var c *activities.Contain
	delay := verifyFirstPoll
	for {
		var pend []int
		for _, i := range idx {
			if inc.st.Results[i].Status == waiting {
				pend = append(pend, i)
			}
		}
		if len(pend) == 0 {
			return -1, nil
		}
		next := inc.st.Results[pend[0]].VerifyBy
		for _, i := range pend[1:] {
			if t := inc.st.Results[i].VerifyBy; t.Before(next) {
				next = t
			}
		}
		if wait := min(delay, next.Sub(workflow.Now(ctx))); wait > 0 {
			if err := workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{Summary: "verify containment"}).Get(ctx, nil); err != nil {
				return -1, err
			}
		}
		delay = min(2*delay, verifyMaxPoll)
		fs := make([]workflow.Future, len(pend))
		for j, i := range pend {
			r := inc.st.Results[i]
			ref := r.Reference
			if undo {
				ref = r.UndoRef
			}
			fs[j] = workflow.ExecuteActivity(verifyOptions(ctx, "verify "+r.Action.ID), c.Verify, activities.VerifyInput{
				IncidentID: inc.st.ID, Action: r.Action, Reference: ref, Undo: undo,
			})
		}
		failed := -1
		for j, i := range pend {
			var res activities.VerifyResult
			err := fs[j].Get(ctx, &res)
			r := &inc.st.Results[i]
			now := workflow.Now(ctx)
			switch {
			case err != nil:
				if temporal.IsCanceledError(err) {
					return -1, err
				}
				r.State = "not read: " + errText(err)
			case res.Done:
				r.Status, r.State = done, res.State
				r.Detail = doneWord(r.Action.Kind, undo) + " " + r.Action.Target + vendorWord(res.State)
				if !undo {
					r.VerifiedAt = now
				}
				inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("verified: %s %s%s", r.Action.ID, doneWord(r.Action.Kind, undo), vendorWord(res.State)))
			case res.Failed != "":
				r.State = res.State
				if undo {
					r.Status = alert.ActionRevertFailed
					inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("undo of %s failed at the vendor: %s", r.Action.ID, res.Failed))
					continue
				}
				r.Status, r.Detail = alert.ActionFailed, "the vendor reports the request failed: "+res.Failed
				inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("%s failed at the vendor: %s", r.Action.ID, res.Failed))
				if failed < 0 {
					failed = i
				}
			default:
				r.State = res.State
			}
		}
		if failed >= 0 {
			return failed, nil
		}
		now := workflow.Now(ctx)
		var missed []string
		for _, i := range pend {
			r := &inc.st.Results[i]
			if r.Status != waiting || now.Before(r.VerifyBy) {
				continue
			}
			r.Status = alert.ActionUnverified
			if undo {
				r.Status = alert.ActionRevertFailed
			}
			missed = append(missed, fmt.Sprintf("%s (vendor's last state: %s)", r.Action.ID, orDashWF(r.State)))
		}
		if len(missed) > 0 {
			what := "not confirmed by the vendor within its verification deadline"
			if undo {
				what = "undo " + what
			}
			inc.note(ctx, alert.StageContain, "socflow", what+": "+strings.Join(missed, "; "))
			inc.escalateFor(ctx, what+": "+strings.Join(missed, "; "))
		}
	}
}

// undoVerified undoes the results at idx, newest first, and returns how
// many undos succeeded: confirmed by the vendor, or found already undone.
// A failed undo leaves its result revert_failed (still in force).
func (inc *incident) undoVerified(ctx workflow.Context, idx []int) int {
	var c *activities.Contain
	var reverting []int
	for i := len(idx) - 1; i >= 0; i-- {
		r := &inc.st.Results[idx[i]]
		s := steps[r.Action.Kind]
		if s.undo == nil {
			continue // the callers pass only undoable results
		}
		var res activities.ContainResult
		err := workflow.ExecuteActivity(containOptions(ctx, "undo "+r.Action.ID), s.undo(c), activities.ContainInput{
			IncidentID: inc.st.ID, Action: r.Action, Reference: r.Reference, Drill: inc.st.Drill,
		}).Get(ctx, &res)
		if err != nil {
			r.Status = alert.ActionRevertFailed
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("undo of %s failed: %s", r.Action.ID, errText(err)))
			continue
		}
		r.UndoRef, r.State, r.LeaseUntil = res.Reference, res.State, time.Time{}
		if res.Pending {
			r.Status, r.VerifyBy = alert.ActionReverting, workflow.Now(ctx).Add(inc.pol.Containment.VerifyWithin(r.Action.Kind))
			reverting = append(reverting, idx[i])
		} else {
			r.Status = alert.ActionReverted
		}
		inc.note(ctx, alert.StageContain, "socflow", res.Detail)
	}
	if len(reverting) > 0 {
		if _, err := inc.awaitVerified(ctx, reverting, true); err != nil {
			return 0 // cancelled: nothing more is carried out
		}
	}
	n := 0
	for _, i := range idx {
		if inc.st.Results[i].Status == alert.ActionReverted {
			n++
		}
	}
	return n
}

// revertVerified undoes every action of socflow's still in force, and
// says how many undos succeeded.
func (inc *incident) revertVerified(ctx workflow.Context, d alert.Decision) {
	var idx []int
	for i, r := range inc.st.Results {
		if r.Status.InForce() && undoable(r.Action.Kind) {
			idx = append(idx, i)
		}
	}
	n := inc.compensate(ctx, idx)
	if n < len(idx) {
		inc.st.Status = StatusRevertFailed
		inc.note(ctx, alert.StageContain, d.By, fmt.Sprintf("reverted %d of %d action(s); still in force: %s", n, len(idx), inForceIDs(inc.st.Results, idx)))
		inc.escalateFor(ctx, "revert failed: still in force: "+inForceIDs(inc.st.Results, idx))
	} else {
		inc.st.Status = StatusFalsePositive
		inc.note(ctx, alert.StageContain, d.By, fmt.Sprintf("reverted %d action(s)", n))
	}
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
}

// escalateFor hands the incident to the next tier (the last tier keeps
// it) with why: a containment a human must look at now.
func (inc *incident) escalateFor(ctx workflow.Context, why string) {
	if next := inc.pol.NextTier(inc.st.Tier); next != nil {
		inc.st.Tier = next.Name
	}
	inc.note(ctx, alert.StageEscalate, "socflow", fmt.Sprintf("escalated to %s: %s", inc.st.Tier, why))
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyEscalation)
}

// startLeases starts the lease of each result at idx in force that has
// one, from its confirmation.
func (inc *incident) startLeases(ctx workflow.Context, idx []int) {
	for _, i := range idx {
		r := &inc.st.Results[i]
		if !r.Status.InForce() || r.Action.Lease <= 0 {
			continue
		}
		from := r.VerifiedAt
		if from.IsZero() {
			from = workflow.Now(ctx)
		}
		r.LeaseUntil = from.Add(r.Action.Lease)
		inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("lease: %s is undone at %s unless renewed (socflow incident decide %s --renew)",
			r.Action.ID, r.LeaseUntil.UTC().Format(time.RFC3339), inc.st.Key))
	}
}

// nextLeaseEvent is when the next lease notice or expiry is due (zero:
// no lease in force).
func (inc *incident) nextLeaseEvent() time.Time {
	var next time.Time
	for _, r := range inc.st.Results {
		if !r.Status.InForce() || r.LeaseUntil.IsZero() {
			continue
		}
		t := r.LeaseUntil
		if !r.Noticed {
			t = t.Add(-inc.pol.Containment.NoticeBefore(r.Action.Lease))
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// runLeases tells the tier about leases about to run out and undoes the
// actions whose leases have run out.
func (inc *incident) runLeases(ctx workflow.Context) {
	now := workflow.Now(ctx)
	var expired []int
	var soon []string
	for i := range inc.st.Results {
		r := &inc.st.Results[i]
		if !r.Status.InForce() || r.LeaseUntil.IsZero() {
			continue
		}
		if !now.Before(r.LeaseUntil) {
			expired = append(expired, i)
			continue
		}
		if !r.Noticed && !now.Before(r.LeaseUntil.Add(-inc.pol.Containment.NoticeBefore(r.Action.Lease))) {
			r.Noticed = true
			soon = append(soon, fmt.Sprintf("%s at %s", r.Action.ID, r.LeaseUntil.UTC().Format(time.RFC3339)))
		}
	}
	if len(soon) > 0 {
		inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("lease runs out: %s; renew to keep it (socflow incident decide %s --renew)", strings.Join(soon, ", "), inc.st.Key))
		inc.publish(ctx)
		inc.notify(ctx, activities.NotifyContainment)
	}
	if len(expired) == 0 {
		return
	}
	inc.note(ctx, alert.StageContain, "timer", "lease ran out: undoing "+inForceIDs(inc.st.Results, expired))
	n := inc.compensate(ctx, expired)
	if n < len(expired) {
		inc.st.Status = StatusRevertFailed
		inc.escalateFor(ctx, "undo at the end of a lease failed: still in force: "+inForceIDs(inc.st.Results, expired))
	} else if !inc.contained() {
		inc.st.Status = StatusLeaseEnded
	}
	inc.lastActivity = now
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
}

// renew renews the leases of the actions in force that ids names (all
// with a lease, when it names none), from now; it returns what it renewed.
func (inc *incident) renew(ctx workflow.Context, ids []string) []string {
	now := workflow.Now(ctx)
	var renewed []string
	for i := range inc.st.Results {
		r := &inc.st.Results[i]
		if !r.Status.InForce() || r.LeaseUntil.IsZero() || (len(ids) > 0 && !slices.Contains(ids, r.Action.ID)) {
			continue
		}
		r.LeaseUntil, r.Noticed = now.Add(r.Action.Lease), false
		renewed = append(renewed, fmt.Sprintf("%s until %s", r.Action.ID, r.LeaseUntil.UTC().Format(time.RFC3339)))
	}
	inc.leaseGen++
	return renewed
}

// leased reports whether an action in force has a lease.
func (inc *incident) leased() bool {
	return slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool { return r.Status.InForce() && !r.LeaseUntil.IsZero() })
}

func doneWord(k alert.ActionKind, undo bool) string {
	words := map[alert.ActionKind][2]string{
		alert.ActionIsolateHost: {"isolated", "released"},
		alert.ActionBlockIP:     {"blocked", "unblocked"},
		alert.ActionDisableUser: {"disabled", "enabled"},
		// No undo word: revoked sessions are never restored.
		alert.ActionRevokeSessions:    {"revoked the sessions of", ""},
		alert.ActionBlockHash:         {"blocked", "unblocked"},
		alert.ActionBlockSenderDomain: {"blocked", "unblocked"},
	}
	w, ok := words[k]
	if !ok {
		return "done"
	}
	if undo {
		return w[1]
	}
	return w[0]
}

func vendorWord(s string) string {
	if s == "" {
		return ""
	}
	return " (vendor: " + s + ")"
}

func orDashWF(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
