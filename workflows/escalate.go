package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
)

// View implements playbooks.Case.
func (inc *incident) View() playbooks.View {
	return playbooks.View{
		IncidentID:     inc.st.ID,
		Title:          inc.st.Title,
		Score:          inc.st.Score,
		Categories:     slices.Clone(inc.st.Categories),
		Rules:          slices.Clone(inc.st.Rules),
		Techniques:     slices.Clone(inc.st.Techniques),
		Context:        inc.st.Context.Clone(),
		Hosts:          slices.Clone(inc.st.Hosts),
		Users:          slices.Clone(inc.st.Users),
		SourceIPs:      slices.Clone(inc.st.SourceIPs),
		DestinationIPs: slices.Clone(inc.st.DestinationIPs),
		Domains:        slices.Clone(inc.st.Domains),
		URLs:           slices.Clone(inc.st.URLs),
		Hashes:         slices.Clone(inc.st.Hashes),
		Drill:          inc.st.Drill,
	}
}

// Note implements playbooks.Case.
func (inc *incident) Note(ctx workflow.Context, message string) {
	pos, done, err := inc.beginStep(StepNote)
	if err != nil || done != nil {
		return
	}
	inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, message)
	inc.endStep(StepOutcome{Step: pos, Kind: StepNote})
}

// Decide implements playbooks.Case: the escalation ladder. It asks the
// score's first tier, and climbs T1 -> T2 -> IR when a tier escalates or
// does not answer in time; at a tier whose timeout is "default" the score's
// timeout default applies (contain, close, or hold and remind). The ladder
// survives continue-as-new: its tier and deadline are carried, and the new
// run waits out the same deadline without asking again.
func (inc *incident) Decide(ctx workflow.Context, proposal []alert.Action) (playbooks.Outcome, error) {
	pos, done, err := inc.beginStep(StepDecide)
	if err != nil {
		return playbooks.Outcome{}, err
	}
	if done != nil {
		d, approved := decisionOutcome(done)
		return playbooks.Outcome{Decision: d, Approved: approved}, nil
	}
	out, err := inc.ladder(ctx, pos, proposal)
	if err != nil {
		return out, err
	}
	d := out.Decision
	inc.endStep(StepOutcome{Step: pos, Kind: StepDecide, Decision: &d, Approved: out.Approved})
	return out, nil
}

func (inc *incident) ladder(ctx workflow.Context, pos int, proposal []alert.Action) (playbooks.Outcome, error) {
	var l *LadderState
	if p := inc.st.Progress; p != nil && p.Ladder != nil && p.Ladder.Step == pos {
		// Resumed: the responders were asked about the carried proposal.
		l, proposal = p.Ladder, inc.st.Proposed
	} else {
		if inc.v.reenter {
			// A later round proposes only what is not already in force.
			proposal = slices.DeleteFunc(slices.Clone(proposal), func(a alert.Action) bool {
				return slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool {
					return (r.Status == alert.ActionDone || inc.v.verified && r.Status.InForce()) && r.Action.ID == a.ID
				})
			})
		}
		if inc.v.capable {
			proposal = inc.leaveOutUnavailable(ctx, proposal)
		}
		if inc.v.verified {
			proposal = inc.markProtected(ctx, proposal)
		}
		inc.st.Proposed = proposal
		tier := inc.st.Score.Tier
		if inc.pol.Tier(tier) == nil && len(inc.pol.Tiers) > 0 {
			tier = inc.pol.Tiers[0].Name
		}
		l = &LadderState{Step: pos, Tier: tier, Reason: fmt.Sprintf("%s, score %d", inc.st.Score.Priority, inc.st.Score.Value)}
		if p := inc.st.Progress; p != nil {
			p.Ladder = l
		}
	}
	last := l.Tier
	if n := len(inc.pol.Tiers); n > 0 {
		last = inc.pol.Tiers[n-1].Name
	}
	ask := func(tier, reason string) { l.Tier, l.Reason, l.Asked = tier, reason, false }
	for {
		if inc.triggered && l.Tier != last {
			ask(last, "escalation trigger "+inc.st.Trigger)
		}
		t := inc.pol.Tier(l.Tier)
		if !l.Asked {
			if inc.st.Tier != l.Tier {
				// Approvals given at one tier do not carry over to the next.
				inc.st.Approvals = nil
			}
			inc.st.Tier, inc.st.Status = l.Tier, StatusAwaiting
			inc.decision = nil
			inc.note(ctx, alert.StageEscalate, "socflow", fmt.Sprintf("asked %s (%s) to decide on %d proposed action(s): %s; answer within %s",
				l.Tier, orNone(t.Channel), len(proposal), l.Reason, t.Timeout))
			inc.publish(ctx)
			inc.notify(ctx, activities.NotifyEscalation)
			l.Asked, l.Deadline = true, workflow.Now(ctx).Add(t.Timeout)
		}
		wait := t.Timeout
		if inc.engine >= 1 {
			wait = max(l.Deadline.Sub(workflow.Now(ctx)), 0)
		}
		tier := l.Tier
		answered, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      wait,
			TimerOptions: workflow.TimerOptions{Summary: tier + " decision timeout"},
		}, func() bool {
			return inc.decision != nil || (inc.triggered && tier != last) || (inc.engine >= 1 && inc.rolloverDue(ctx))
		})
		if err != nil {
			return playbooks.Outcome{}, err
		}
		if inc.decision == nil && inc.triggered && tier != last {
			continue
		}
		if inc.decision == nil && answered {
			// Nothing to decide on yet, and the run is due to roll over:
			// the new run waits out the same deadline.
			inc.rollingOver = true
			return playbooks.Outcome{}, errRollover
		}
		if answered {
			d := *inc.decision
			inc.decision = nil
			inc.markDecided(ctx, d)
			switch d.Verdict {
			case alert.VerdictEscalate:
				next := inc.pol.NextTier(tier)
				inc.st.RequestedBy = d.By
				ask(next.Name, fmt.Sprintf("escalated by %s from %s", d.By, d.Tier))
				continue
			case alert.VerdictApprove:
				return playbooks.Outcome{Decision: d, Approved: selectActions(proposal, d.Actions)}, nil
			case alert.VerdictDeny:
				inc.st.Status = StatusDenied
			case alert.VerdictFalsePositive:
				inc.st.Status = StatusFalsePositive
			}
			inc.publish(ctx)
			inc.notify(ctx, activities.NotifyDecision)
			return playbooks.Outcome{Decision: d}, nil
		}

		inc.note(ctx, alert.StageEscalate, "timer", fmt.Sprintf("%s did not answer within %s", tier, t.Timeout))
		if next := inc.pol.NextTier(tier); t.OnTimeout == policy.OnTimeoutEscalate && next != nil {
			ask(next.Name, fmt.Sprintf("%s did not answer in %s", t.Name, t.Timeout))
			continue
		}
		def := inc.pol.TimeoutDefault(inc.st.Score.Priority)
		if inc.v.trust {
			if refused := inc.judgeDefault(ctx, def, proposal); refused != "" {
				ask(tier, fmt.Sprintf("reminder: still no decision; the timeout default %s does not apply: %s", def, refused))
				continue
			}
		}
		if def == policy.DefaultHold {
			ask(tier, fmt.Sprintf("reminder: still no decision (%s holds until someone decides)", inc.st.Score.Priority))
			continue
		}
		d := alert.Decision{
			By: "policy", Via: "timeout", Tier: tier, At: workflow.Now(ctx),
			Note: fmt.Sprintf("no answer at %s; %s default for %s", tier, def, inc.st.Score.Priority),
		}
		if def == policy.DefaultContain {
			d.Verdict = alert.VerdictApprove
			if inc.v.carryOut && len(proposal) == 0 {
				// Approved, and nothing to carry out: say so, rather than
				// leave the incident awaiting a decision already taken.
				inc.st.Status = StatusNoAction
				d.Note += "; nothing to contain"
			}
		} else {
			d.Verdict = alert.VerdictDeny
			inc.st.Status = StatusClosed
		}
		inc.st.Decisions = append(inc.st.Decisions, d)
		inc.note(ctx, alert.StageDecide, "policy", d.Note)
		inc.markDecided(ctx, d)
		if d.Verdict == alert.VerdictApprove && (len(proposal) > 0 || !inc.v.carryOut) {
			return playbooks.Outcome{Decision: d, Approved: proposal}, nil
		}
		inc.publish(ctx)
		inc.notify(ctx, activities.NotifyDecision)
		return playbooks.Outcome{Decision: d}, nil
	}
}

// judgeDefault records whether the timeout default applies, and why, and
// returns why a contain default does not ("" when it does, and for the
// other defaults). The timeline gets a line when the verdict changes,
// not at every reminder.
func (inc *incident) judgeDefault(ctx workflow.Context, def policy.TimeoutDefault, proposal []alert.Action) string {
	da := DefaultAction{Action: def, Applied: true, At: workflow.Now(ctx)}
	switch def {
	case policy.DefaultHold:
		da.Reason = fmt.Sprintf("%s holds until someone decides", inc.st.Score.Priority)
	case policy.DefaultClose:
		da.Reason = fmt.Sprintf("%s closes when nobody answers", inc.st.Score.Priority)
	case policy.DefaultContain:
		switch {
		case len(proposal) == 0:
			da.Reason = "nothing to contain"
		case !inc.st.TrustTracked:
			da.Applied, da.Reason = false, "the incident began before socflow tracked the trust of alerts"
		case inc.st.UntrustedAlerts > 0:
			da.Applied, da.Reason = false, fmt.Sprintf("%d alert(s) came from a submitter not trusted for automatic containment (first: %s)",
				inc.st.UntrustedAlerts, inc.st.UntrustedBy)
		default:
			if r := inc.pol.ProtectedTarget(proposal, inc.st.Context.Asset); r != "" {
				da.Applied, da.Reason = false, r
			} else {
				da.Reason = "every alert came from a trusted submitter and no target is protected"
			}
		}
	}
	prev := inc.st.DefaultAction
	inc.st.DefaultAction = &da
	if prev == nil || prev.Applied != da.Applied || prev.Reason != da.Reason {
		verb := "applies"
		if !da.Applied {
			verb = "does not apply"
		}
		inc.note(ctx, alert.StageDecide, "policy", fmt.Sprintf("timeout default %s %s: %s", def, verb, da.Reason))
	}
	if da.Applied {
		return ""
	}
	return da.Reason
}

func (inc *incident) markDecided(ctx workflow.Context, d alert.Decision) {
	if inc.st.Metrics.TimeToDecide == 0 {
		inc.st.Metrics.TimeToDecide = workflow.Now(ctx).Sub(inc.st.OpenedAt)
	}
	// An escalation hands the decision on: it acknowledges the incident
	// but does not decide it.
	if m := &inc.st.Milestones; inc.v.milestones && m.Decided.IsZero() && d.Verdict != alert.VerdictEscalate {
		m.Decided, m.DecidedBy = workflow.Now(ctx), d.By
		if d.Via == "timeout" {
			m.DecidedBy = "timeout"
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "no channel"
	}
	return s
}

// selectActions returns the proposed actions whose IDs are listed, or all
// of them when none is.
func selectActions(proposal []alert.Action, ids []string) []alert.Action {
	if len(ids) == 0 {
		return proposal
	}
	var out []alert.Action
	for _, a := range proposal {
		if slices.Contains(ids, a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// validateDecision is the decide update's validator. It runs before the
// update is written to history, so a refused decision costs nothing and
// changes nothing; the caller gets the reason.
func (inc *incident) validateDecision(ctx workflow.Context, in DecideInput) error {
	if !in.Verdict.Valid() {
		return fmt.Errorf("unknown verdict %q: use approve, deny, escalate, false_positive, revert or renew", in.Verdict)
	}
	by := strings.TrimSpace(in.By)
	if by == "" {
		return errors.New("the decider's identity is required")
	}
	if inc.pol == nil {
		return errors.New("the incident is starting; try again in a moment")
	}
	if inc.v.carryOut && inc.ending {
		return fmt.Errorf("incident %s is closing as %s and can no longer carry out a decision; undo any containment by hand, or send a new alert to open a new incident", inc.st.ID, inc.st.Status)
	}
	if in.Verdict == alert.VerdictRenew {
		return inc.validateRenew(by, in)
	}
	contained := inc.contained()
	settled := inc.st.Phase == PhaseSettled
	if inc.isUndo(in.Verdict) {
		if !contained {
			return fmt.Errorf("incident %s has no containment to revert", inc.st.ID)
		}
		if inc.v.carryOut && !settled {
			return fmt.Errorf("incident %s is %s: its playbook is still running; revert once it has finished", inc.st.ID, inc.st.Status)
		}
		if inc.decision != nil {
			return errors.New("another decision is being applied; try again")
		}
		tier := inc.undoTier()
		if !inc.pol.MayDecide(tier, by, in.Groups...) {
			return fmt.Errorf("%s is not an approver at tier %s, which approved the containment", by, tier)
		}
		if inc.v.undo {
			for _, prev := range inc.st.Approvals {
				if strings.EqualFold(prev.By, by) {
					return fmt.Errorf("%s has already approved undoing the containment; %d more approver(s) needed", by, inc.undoNeeds()-len(inc.st.Approvals))
				}
			}
		}
		return nil
	}
	if inc.v.carryOut && settled {
		if contained {
			return fmt.Errorf("incident %s is settled as %s: its playbook has finished; only revert (or false_positive, which reverts) can change it", inc.st.ID, inc.st.Status)
		}
		return fmt.Errorf("incident %s is settled as %s: its playbook has finished and there is nothing left to decide", inc.st.ID, inc.st.Status)
	}
	if inc.st.Status != StatusAwaiting || inc.decision != nil {
		return fmt.Errorf("incident %s is %s, not awaiting a decision", inc.st.ID, inc.st.Status)
	}
	if !inc.pol.MayDecide(inc.st.Tier, by, in.Groups...) {
		t := inc.pol.Tier(inc.st.Tier)
		return fmt.Errorf("%s is not an approver at tier %s (approvers: %s)", by, inc.st.Tier, strings.Join(t.Approvers, ", "))
	}
	switch in.Verdict {
	case alert.VerdictEscalate:
		if inc.pol.NextTier(inc.st.Tier) == nil {
			return fmt.Errorf("tier %s is the last tier; nobody to escalate to", inc.st.Tier)
		}
	case alert.VerdictApprove:
		if len(inc.st.Proposed) == 0 {
			return errors.New("no containment action was proposed; decide deny, escalate or false_positive")
		}
		for _, id := range in.Actions {
			if !slices.ContainsFunc(inc.st.Proposed, func(a alert.Action) bool { return a.ID == id }) {
				return fmt.Errorf("action %q was not proposed; proposed: %s", id, actionIDs(inc.st.Proposed))
			}
		}
		if inc.v.verified {
			if err := inc.mayContainProtected(selectActions(inc.st.Proposed, in.Actions)); err != nil {
				return err
			}
		}
		for _, prev := range inc.st.Approvals {
			if strings.EqualFold(prev.By, by) {
				return fmt.Errorf("%s has already approved; %d more approver(s) needed", by, inc.approvalsNeeded(selectActions(inc.st.Proposed, in.Actions))-len(inc.st.Approvals))
			}
		}
		// The escalator may be one of several approvers, never the only one.
		if inc.st.RequestedBy != "" && strings.EqualFold(by, inc.st.RequestedBy) && max(inc.pol.Approvals.Destructive, 1) == 1 {
			for _, a := range selectActions(inc.st.Proposed, in.Actions) {
				if a.Destructive {
					return fmt.Errorf("%s escalated this incident and may not also approve %s (four-eyes rule)", by, a.ID)
				}
			}
		}
	}
	return nil
}

// contained reports whether a containment action is in force.
func (inc *incident) contained() bool {
	if inc.v.verified {
		return slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool { return r.Status.InForce() })
	}
	return slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool { return r.Status == alert.ActionDone })
}

// isUndo reports whether a verdict undoes the containment: a revert, or
// (decisions-carried-out) a false positive once the playbook has settled
// with a containment in force.
func (inc *incident) isUndo(v alert.Verdict) bool {
	return v == alert.VerdictRevert ||
		inc.v.carryOut && v == alert.VerdictFalsePositive && inc.st.Phase == PhaseSettled && inc.contained()
}

// undoTier is the tier whose approvers may undo the containment: the one
// that approved it (undo-approvals), before that the current tier.
func (inc *incident) undoTier() string {
	if inc.v.undo && inc.st.ContainedTier != "" {
		return inc.st.ContainedTier
	}
	return inc.st.Tier
}

// undoNeeds is how many distinct approvers an undo needs: as many as the
// destructive actions it undoes needed (undo-approvals), else one.
func (inc *incident) undoNeeds() int {
	if !inc.v.undo {
		return 1
	}
	if slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool {
		return r.Status == alert.ActionDone && r.Action.Destructive && undoable(r.Action.Kind)
	}) {
		return max(inc.pol.Approvals.Destructive, 1)
	}
	return 1
}

// combineApprovals merges several approvals into one decision: by all of
// them, for the actions every one of them approved.
func combineApprovals(proposal []alert.Action, approvals []alert.Decision) alert.Decision {
	d := approvals[len(approvals)-1]
	var by, notes []string
	var ids []string
	for _, a := range proposal {
		all := true
		for _, ap := range approvals {
			if len(ap.Actions) > 0 && !slices.Contains(ap.Actions, a.ID) {
				all = false
			}
		}
		if all {
			ids = append(ids, a.ID)
		}
	}
	for _, ap := range approvals {
		by = append(by, ap.By)
		if ap.Note != "" {
			notes = append(notes, ap.By+": "+ap.Note)
		}
	}
	d.By, d.Actions, d.Note = strings.Join(by, "+"), ids, strings.Join(notes, "; ")
	return d
}

// approvedBy lists, per approver, the proposed actions each approved (an
// approval naming none approves them all).
func approvedBy(proposal []alert.Action, approvals []alert.Decision) map[string][]string {
	out := make(map[string][]string, len(approvals))
	for _, ap := range approvals {
		var ids []string
		for _, a := range selectActions(proposal, ap.Actions) {
			ids = append(ids, a.ID)
		}
		out[ap.By] = ids
	}
	return out
}

// approvedByEnough returns the proposed actions at least need of the
// approvals approved, in the proposal's order: exactly what four-eyes
// lets run. Approvers are distinct (the validator refuses a second
// approval by the same one).
func approvedByEnough(proposal []alert.Action, approvals []alert.Decision, need int) []string {
	var ids []string
	for _, a := range proposal {
		n := 0
		for _, ap := range approvals {
			if len(ap.Actions) == 0 || slices.Contains(ap.Actions, a.ID) {
				n++
			}
		}
		if n >= need {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// describeApproved says who approved what, in the order they approved.
func describeApproved(approvals []alert.Decision, approved map[string][]string) string {
	parts := make([]string, len(approvals))
	for i, ap := range approvals {
		parts[i] = ap.By + ": " + strings.Join(approved[ap.By], ", ")
	}
	return strings.Join(parts, "; ")
}

func actionIDs(acts []alert.Action) string {
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	return strings.Join(ids, ", ")
}

// decide is the decide update's handler: it records the decision and wakes
// the ladder, which acts on it. An approval of destructive actions that
// needs several approvers is recorded until the last one arrives; the
// approved set is what all of them approved.
func (inc *incident) decide(ctx workflow.Context, in DecideInput) (DecideResult, error) {
	d := alert.Decision{
		Verdict: in.Verdict, Actions: in.Actions, By: strings.TrimSpace(in.By), Via: in.Via,
		Note: in.Note, Tier: inc.st.Tier, At: workflow.Now(ctx),
	}
	if inc.isUndo(d.Verdict) || d.Verdict == alert.VerdictRenew {
		d.Tier = inc.undoTier()
	}
	inc.st.Decisions = append(inc.st.Decisions, d)
	inc.acknowledge(ctx, d.By)
	if d.Verdict == alert.VerdictRenew {
		renewed := inc.renew(ctx, d.Actions)
		inc.note(ctx, alert.StageDecide, d.By, fmt.Sprintf("renewed lease via %s: %s", orNone(d.Via), strings.Join(renewed, ", ")))
		inc.publish(ctx)
		return DecideResult{Status: "accepted", Tier: d.Tier}, nil
	}
	if need := inc.undoNeeds(); need > 1 && inc.isUndo(d.Verdict) {
		inc.st.Approvals = append(inc.st.Approvals, d)
		if len(inc.st.Approvals) < need {
			inc.note(ctx, alert.StageDecide, d.By, fmt.Sprintf("%s: approval %d of %d at %s via %s", d.Verdict, len(inc.st.Approvals), need, d.Tier, orNone(d.Via)))
			return DecideResult{Status: "recorded", Tier: d.Tier, Approvals: len(inc.st.Approvals), Needed: need}, nil
		}
		d = combineApprovals(nil, inc.st.Approvals)
		inc.st.Approvals = nil
	}
	need := inc.pol.Approvals.Destructive
	if inc.v.verified {
		need = inc.approvalsNeeded(selectActions(inc.st.Proposed, d.Actions))
	}
	if d.Verdict == alert.VerdictApprove && need > 1 &&
		slices.ContainsFunc(selectActions(inc.st.Proposed, d.Actions), func(a alert.Action) bool { return a.Destructive }) {
		inc.st.Approvals = append(inc.st.Approvals, d)
		if len(inc.st.Approvals) < need {
			inc.note(ctx, alert.StageDecide, d.By, fmt.Sprintf("approval %d of %d at %s via %s", len(inc.st.Approvals), need, d.Tier, orNone(d.Via)))
			return DecideResult{Status: "recorded", Tier: d.Tier, Approvals: len(inc.st.Approvals), Needed: need}, nil
		}
		if workflow.GetVersion(ctx, changeFourEyesExact, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			d = combineApprovals(inc.st.Proposed, inc.st.Approvals)
		} else {
			ids := approvedByEnough(inc.st.Proposed, inc.st.Approvals, need)
			if len(ids) == 0 {
				approved := approvedBy(inc.st.Proposed, inc.st.Approvals)
				inc.note(ctx, alert.StageDecide, d.By, fmt.Sprintf("approval %d at %s via %s; no action has %d approvers yet (%s): waiting for more",
					len(inc.st.Approvals), d.Tier, orNone(d.Via), need, describeApproved(inc.st.Approvals, approved)))
				return DecideResult{Status: "recorded", Tier: d.Tier, Approvals: len(inc.st.Approvals), Needed: need, Approved: approved}, nil
			}
			d = combineApprovals(inc.st.Proposed, inc.st.Approvals)
			d.Actions = ids
		}
		inc.st.Approvals = nil
	}
	msg := fmt.Sprintf("%s at %s via %s", d.Verdict, d.Tier, orNone(d.Via))
	if len(d.Actions) > 0 {
		msg += " (" + strings.Join(d.Actions, ", ") + ")"
	}
	if d.Note != "" {
		msg += ": " + d.Note
	}
	inc.note(ctx, alert.StageDecide, d.By, msg)
	inc.decision = &d
	return DecideResult{Status: "accepted", Tier: d.Tier}, nil
}

// leaveOutUnavailable returns the actions of proposal that a configured
// provider can carry out, and records each other one with why: an
// approval of an action nothing can do would only fail later, after a
// responder trusted it.
func (inc *incident) leaveOutUnavailable(ctx workflow.Context, proposal []alert.Action) []alert.Action {
	if inc.snap == nil || inc.snap.Containment == nil {
		return proposal // a snapshot from a worker that did not say
	}
	plan := *inc.snap.Containment
	var keep []alert.Action
	for _, a := range proposal {
		if plan.Can(a.Kind) {
			keep = append(keep, a)
			continue
		}
		why := unavailableReason(a.Kind)
		if len(inc.st.Unavailable) < MaxEntities && !slices.ContainsFunc(inc.st.Unavailable, func(u UnavailableAction) bool { return u.Action.ID == a.ID }) {
			inc.st.Unavailable = append(inc.st.Unavailable, UnavailableAction{Action: a, Reason: why})
		}
		inc.note(ctx, alert.StageEscalate, "socflow", fmt.Sprintf("cannot be carried out: %s (%s)", a.ID, why))
	}
	return keep
}

// unavailableReason says what is missing for an action kind.
func unavailableReason(k alert.ActionKind) string {
	switch k {
	case alert.ActionIsolateHost:
		return "no EDR that isolates hosts is configured: integrations.edr"
	case alert.ActionBlockIP:
		return "no firewall or EDR that blocks addresses is configured: integrations.firewall, integrations.edr"
	case alert.ActionDisableUser:
		return "no identity provider is configured: integrations.idp"
	case alert.ActionRevokeSessions:
		return "no identity provider that revokes sessions is configured: integrations.idp"
	case alert.ActionBlockHash:
		return "no EDR that blocks file hashes is configured: integrations.edr"
	case alert.ActionBlockSenderDomain:
		return "no mail gateway that blocks sender domains is configured: integrations.mail"
	}
	return "no provider carries out " + string(k)
}

// markProtected marks each proposed action whose target is protected with
// why and what containing it takes, and says so in the timeline: the
// responder reads it before approving.
func (inc *incident) markProtected(ctx workflow.Context, proposal []alert.Action) []alert.Action {
	out := slices.Clone(proposal)
	needs := inc.pol.ProtectedNeeds()
	for i := range out {
		why := inc.pol.Protection(out[i], inc.st.Context.Asset)
		if why == "" {
			continue
		}
		if needs != "" {
			why += "; " + needs
		}
		why += "; never contained by a timeout default"
		out[i].Protected = why
		inc.note(ctx, alert.StageEscalate, "policy", "protected: "+why)
	}
	return out
}

// mayContainProtected refuses an approval, at a tier below the one the
// policy names, of an action on a protected target.
func (inc *incident) mayContainProtected(acts []alert.Action) error {
	min := inc.pol.Containment.Protected.Tier
	if inc.pol.TierAtLeast(inc.st.Tier, min) {
		return nil
	}
	var ids []string
	for _, a := range acts {
		if a.Protected != "" {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return fmt.Errorf("%s: protected target(s); containing them needs tier %s or above, and this is %s: escalate, or approve the other actions by ID", strings.Join(ids, ", "), min, inc.st.Tier)
}

// approvalsNeeded is how many distinct approvers approving acts takes: the
// destructive count, or the protected count when a protected target is
// among them and asks more.
func (inc *incident) approvalsNeeded(acts []alert.Action) int {
	need := inc.pol.Approvals.Destructive
	if p := inc.pol.Containment.Protected.Approvals; p > need && slices.ContainsFunc(acts, func(a alert.Action) bool { return a.Protected != "" }) {
		need = p
	}
	return need
}

// validateRenew judges a lease renewal: an approver at the tier that
// approved the containment, for leased actions in force.
func (inc *incident) validateRenew(by string, in DecideInput) error {
	if !inc.v.verified {
		return fmt.Errorf("incident %s began before socflow had leases; there is nothing to renew", inc.st.ID)
	}
	if !inc.leased() {
		return fmt.Errorf("incident %s has no containment with a lease in force to renew", inc.st.ID)
	}
	for _, id := range in.Actions {
		if !slices.ContainsFunc(inc.st.Results, func(r alert.ActionResult) bool {
			return r.Action.ID == id && r.Status.InForce() && !r.LeaseUntil.IsZero()
		}) {
			return fmt.Errorf("action %q has no lease in force", id)
		}
	}
	tier := inc.undoTier()
	if !inc.pol.MayDecide(tier, by, in.Groups...) {
		return fmt.Errorf("%s is not an approver at tier %s, which approved the containment", by, tier)
	}
	return nil
}
