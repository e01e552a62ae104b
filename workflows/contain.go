package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// step is one containment action's activity and its undo; undo is nil
// for a kind that has none (alert.ActionKind.NoUndo): the saga registers
// nothing to undo for it, and a revert passes it by.
type step struct {
	do, undo func(*activities.Contain) any
}

// steps maps action kinds to activity methods. Methods are named through a
// typed nil pointer, never by string, so a rename is a compile error.
var steps = map[alert.ActionKind]step{
	alert.ActionIsolateHost: {
		do:   func(c *activities.Contain) any { return c.IsolateHost },
		undo: func(c *activities.Contain) any { return c.ReleaseHost },
	},
	alert.ActionBlockIP: {
		do:   func(c *activities.Contain) any { return c.BlockIP },
		undo: func(c *activities.Contain) any { return c.UnblockIP },
	},
	alert.ActionDisableUser: {
		do:   func(c *activities.Contain) any { return c.DisableUser },
		undo: func(c *activities.Contain) any { return c.EnableUser },
	},
	alert.ActionRevokeSessions: {
		do: func(c *activities.Contain) any { return c.RevokeSessions },
	},
	alert.ActionBlockHash: {
		do:   func(c *activities.Contain) any { return c.BlockHash },
		undo: func(c *activities.Contain) any { return c.UnblockHash },
	},
	alert.ActionBlockSenderDomain: {
		do:   func(c *activities.Contain) any { return c.BlockSenderDomain },
		undo: func(c *activities.Contain) any { return c.UnblockSenderDomain },
	},
}

// undoable reports whether an action of kind k has an undo for the saga,
// a revert or a lease to run. Every kind before revoke_sessions has one,
// so for them the answer is always yes and their histories replay as
// recorded.
func undoable(k alert.ActionKind) bool { return steps[k].undo != nil }

// Contain implements playbooks.Case. It is a saga: each action's undo is
// registered only once the action has succeeded, and when an action fails
// for good, the registered undos run newest first. An approver approved
// the plan as a whole; half of it (a user disabled while the host it used
// stays online) is a state nobody approved, so the saga restores the
// starting point and escalates the failure with its exact cause. The saga
// survives continue-as-new between two actions: its done-list is carried.
func (inc *incident) Contain(ctx workflow.Context, actions []alert.Action) ([]alert.ActionResult, error) {
	pos, done, err := inc.beginStep(StepContain)
	if err != nil {
		return nil, err
	}
	if done != nil {
		return done.Results, nil
	}
	var sg *SagaState
	if p := inc.st.Progress; p != nil && p.Saga != nil && p.Saga.Step == pos {
		sg = p.Saga
	} else {
		sg = &SagaState{Step: pos, Actions: actions}
		if p != nil {
			p.Saga = sg
		}
		inc.st.Status = StatusContaining
		inc.st.ContainedTier = inc.higherTier(inc.st.ContainedTier, inc.st.Tier)
		inc.publish(ctx)
	}
	if inc.v.verified {
		return inc.containVerified(ctx, pos, sg)
	}
	var c *activities.Contain
	for ; sg.Next < len(sg.Actions); sg.Next++ {
		if inc.engine >= 1 && inc.rolloverDue(ctx) {
			inc.rollingOver = true
			return nil, errRollover
		}
		a := sg.Actions[sg.Next]
		s, ok := steps[a.Kind]
		if !ok {
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("unknown action kind %q skipped", a.Kind))
			continue
		}
		var res activities.ContainResult
		err := workflow.ExecuteActivity(containOptions(ctx, string(a.Kind)+" "+a.Target), s.do(c), activities.ContainInput{
			IncidentID: inc.st.ID, Action: a, Drill: inc.st.Drill,
		}).Get(ctx, &res)
		r := alert.ActionResult{Action: a, Reference: res.Reference, Detail: res.Detail, At: workflow.Now(ctx)}
		if err != nil {
			if temporal.IsCanceledError(err) {
				return sg.Results, err
			}
			r.Status, r.Detail = alert.ActionFailed, errText(err)
			inc.st.Results = append(inc.st.Results, r)
			sg.Results = append(sg.Results, r)
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("%s failed: %s", a.ID, r.Detail))
			inc.compensate(ctx, sg.Done)
			inc.st.Status = StatusPartial
			if len(sg.Done) > 0 {
				inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("saga: undid %d earlier action(s); containment needs a human", len(sg.Done)))
			}
			inc.publish(ctx)
			inc.notify(ctx, activities.NotifyContainment)
			inc.endStep(StepOutcome{Step: pos, Kind: StepContain, Results: sg.Results})
			return sg.Results, nil
		}
		r.Status = alert.ActionDone
		inc.st.Results = append(inc.st.Results, r)
		if s.undo != nil {
			sg.Done = append(sg.Done, len(inc.st.Results)-1)
		}
		sg.Results = append(sg.Results, r)
		inc.note(ctx, alert.StageContain, "socflow", r.Detail)
	}
	inc.st.Status = StatusContained
	inc.st.Metrics.TimeToContain = workflow.Now(ctx).Sub(inc.st.OpenedAt)
	inc.markContained(ctx)
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
	inc.endStep(StepOutcome{Step: pos, Kind: StepContain, Results: sg.Results})
	return sg.Results, nil
}

// compensate undoes the given results, newest first. An undo that fails is
// recorded; the others still run. It returns how many undos succeeded.
func (inc *incident) compensate(ctx workflow.Context, idx []int) int {
	if inc.v.verified {
		return inc.undoVerified(ctx, idx)
	}
	var c *activities.Contain
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
			inc.note(ctx, alert.StageContain, "socflow", fmt.Sprintf("undo of %s failed: %s", r.Action.ID, errText(err)))
			continue
		}
		r.Status = alert.ActionReverted
		inc.note(ctx, alert.StageContain, "socflow", res.Detail)
	}
	return len(idx)
}

// higherTier returns the later of two tiers on the ladder ("" counts as
// the lowest).
func (inc *incident) higherTier(a, b string) string {
	rank := func(name string) int {
		return slices.IndexFunc(inc.pol.Tiers, func(t policy.Tier) bool { return t.Name == name })
	}
	if a == "" || rank(b) > rank(a) {
		return b
	}
	return a
}

// revert undoes every containment action still in force, on a responder's
// revert decision (a false positive found after containment).
func (inc *incident) revert(ctx workflow.Context, d alert.Decision) {
	if inc.v.verified {
		inc.revertVerified(ctx, d)
		return
	}
	var idx []int
	for i, r := range inc.st.Results {
		if r.Status == alert.ActionDone && undoable(r.Action.Kind) {
			idx = append(idx, i)
		}
	}
	inc.compensate(ctx, idx)
	inc.st.Status = StatusFalsePositive
	inc.note(ctx, alert.StageContain, d.By, fmt.Sprintf("reverted %d action(s)", len(idx)))
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
}
