package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// step is one containment action's activity and its undo.
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
}

func containOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
		Summary: summary,
	})
}

// Contain implements playbooks.Case. It is a saga: each action's undo is
// registered only once the action has succeeded, and when an action fails
// for good, the registered undos run newest first. An approver approved
// the plan as a whole; half of it (a user disabled while the host it used
// stays online) is a state nobody approved, so the saga restores the
// starting point and escalates the failure with its exact cause.
func (inc *incident) Contain(ctx workflow.Context, actions []alert.Action) ([]alert.ActionResult, error) {
	inc.st.Status = StatusContaining
	inc.publish(ctx)
	var results []alert.ActionResult
	var done []int // indexes into inc.st.Results, for compensation
	var c *activities.Contain
	for _, a := range actions {
		s, ok := steps[a.Kind]
		if !ok {
			inc.note(ctx, "contain", "socflow", fmt.Sprintf("unknown action kind %q skipped", a.Kind))
			continue
		}
		var res activities.ContainResult
		err := workflow.ExecuteActivity(containOptions(ctx, string(a.Kind)+" "+a.Target), s.do(c), activities.ContainInput{
			IncidentID: inc.st.ID, Action: a, Drill: inc.st.Drill,
		}).Get(ctx, &res)
		r := alert.ActionResult{Action: a, Reference: res.Reference, Detail: res.Detail, At: workflow.Now(ctx)}
		if err != nil {
			if temporal.IsCanceledError(err) {
				return results, err
			}
			r.Status, r.Detail = alert.ActionFailed, errText(err)
			inc.st.Results = append(inc.st.Results, r)
			results = append(results, r)
			inc.note(ctx, "contain", "socflow", fmt.Sprintf("%s failed: %s", a.ID, r.Detail))
			inc.compensate(ctx, done)
			inc.st.Status = StatusPartial
			if len(done) > 0 {
				inc.note(ctx, "contain", "socflow", fmt.Sprintf("saga: undid %d earlier action(s); containment needs a human", len(done)))
			}
			inc.publish(ctx)
			inc.notify(ctx, activities.NotifyContainment)
			return results, nil
		}
		r.Status = alert.ActionDone
		inc.st.Results = append(inc.st.Results, r)
		done = append(done, len(inc.st.Results)-1)
		results = append(results, r)
		inc.note(ctx, "contain", "socflow", r.Detail)
	}
	inc.st.Status = StatusContained
	inc.st.Metrics.TimeToContain = workflow.Now(ctx).Sub(inc.st.OpenedAt)
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
	return results, nil
}

// compensate undoes the given results, newest first. An undo that fails is
// recorded; the others still run.
func (inc *incident) compensate(ctx workflow.Context, idx []int) {
	var c *activities.Contain
	for i := len(idx) - 1; i >= 0; i-- {
		r := &inc.st.Results[idx[i]]
		s := steps[r.Action.Kind]
		var res activities.ContainResult
		err := workflow.ExecuteActivity(containOptions(ctx, "undo "+r.Action.ID), s.undo(c), activities.ContainInput{
			IncidentID: inc.st.ID, Action: r.Action, Reference: r.Reference, Drill: inc.st.Drill,
		}).Get(ctx, &res)
		if err != nil {
			inc.note(ctx, "contain", "socflow", fmt.Sprintf("undo of %s failed: %s", r.Action.ID, errText(err)))
			continue
		}
		r.Status = alert.ActionReverted
		inc.note(ctx, "contain", "socflow", res.Detail)
	}
}

// revert undoes every containment action still in force, on a responder's
// revert decision (a false positive found after containment).
func (inc *incident) revert(ctx workflow.Context, d alert.Decision) {
	var idx []int
	for i, r := range inc.st.Results {
		if r.Status == alert.ActionDone {
			idx = append(idx, i)
		}
	}
	inc.compensate(ctx, idx)
	inc.st.Status = StatusFalsePositive
	inc.note(ctx, "contain", d.By, fmt.Sprintf("reverted %d action(s)", len(idx)))
	inc.publish(ctx)
	inc.notify(ctx, activities.NotifyContainment)
}
