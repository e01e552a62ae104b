package workflows

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// The playbook steps beyond Decide and Contain. Each is recorded in the
// progress (beginStep, endStep) like them, so that after continue-as-new
// the playbook's earlier steps return what they returned without acting
// again. The shipped playbooks call none of them, so a run recorded before
// them takes no new path: they need no version marker. A playbook that
// starts calling one is the playbook's change to guard.

// errStepFailed is a Run whose activity failed, as a continued run
// returns it again.
var errStepFailed = errors.New("playbook step failed")

// Wait implements playbooks.Case.
func (inc *incident) Wait(ctx workflow.Context, d time.Duration, why string) error {
	pos, done, err := inc.beginStep(StepWait)
	if err != nil || done != nil {
		return err
	}
	var w *WaitState
	if p := inc.st.Progress; p != nil && p.Wait != nil && p.Wait.Step == pos {
		w = p.Wait // resumed: the same deadline
	} else {
		w = &WaitState{Step: pos, Until: workflow.Now(ctx).Add(d)}
		if p != nil {
			p.Wait = w
		}
		inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("waiting %s: %s", alert.ShortDuration(d), why))
	}
	if wait := w.Until.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      wait,
			TimerOptions: workflow.TimerOptions{Summary: "playbook: " + alert.Truncate(alert.OneLine(why), 150)},
		}, func() bool { return inc.engine >= 1 && inc.rolloverDue(ctx) }); err != nil {
			return err
		}
	}
	if inc.engine >= 1 && inc.rolloverDue(ctx) && workflow.Now(ctx).Before(w.Until) {
		inc.rollingOver = true
		return errRollover
	}
	inc.endStep(StepOutcome{Step: pos, Kind: StepWait})
	return nil
}

// Notify implements playbooks.Case.
func (inc *incident) Notify(ctx workflow.Context, message string) error {
	pos, done, err := inc.beginStep(StepNotify)
	if err != nil || done != nil {
		return err
	}
	// Before the ladder has asked anyone, the message goes to the tier it
	// will ask first.
	tier := cmp.Or(inc.st.Tier, inc.st.Score.Tier)
	inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, "told "+tier+": "+message)
	inc.notifyWith(ctx, activities.NotifyMessage, func(c *activities.IncidentCard) {
		c.Message = message
		if c.Tier == "" {
			c.Tier, c.Channel = tier, inc.channel(tier)
		}
	})
	inc.endStep(StepOutcome{Step: pos, Kind: StepNotify})
	return nil
}

// Comment implements playbooks.Case.
func (inc *incident) Comment(ctx workflow.Context, message string) error {
	pos, done, err := inc.beginStep(StepComment)
	if err != nil || done != nil {
		return err
	}
	if inc.st.TicketKey == "" && inc.ticketing() {
		inc.ensureTicket(ctx)
	}
	if inc.st.TicketKey == "" {
		inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, "no ticket to comment on: "+message)
	} else {
		card := inc.card()
		card.Message = message
		inc.updateTicket(ctx, activities.NotifyMessage, card)
	}
	inc.endStep(StepOutcome{Step: pos, Kind: StepComment})
	return nil
}

// Run implements playbooks.Case.
func (inc *incident) Run(ctx workflow.Context, activity string, in, out any) error {
	pos, done, err := inc.beginStep(StepRun)
	if err != nil {
		return err
	}
	if done == nil {
		o := StepOutcome{Step: pos, Kind: StepRun}
		var raw json.RawMessage
		opts := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 5 * time.Minute,
			RetryPolicy: &temporal.RetryPolicy{MaximumInterval: time.Minute},
			Summary:     "playbook: " + activity,
		})
		if err := workflow.ExecuteActivity(opts, activity, in).Get(ctx, &raw); err != nil {
			o.Error = errText(err)
		} else if len(raw) > MaxRunOutputBytes {
			o.Error = fmt.Sprintf("its result is %d bytes, over the %d a playbook step may keep", len(raw), MaxRunOutputBytes)
		} else {
			o.Output = raw
		}
		if o.Error != "" {
			inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("%s failed: %s", activity, o.Error))
		}
		inc.endStep(o)
		done = &o
	}
	if done.Error != "" {
		return fmt.Errorf("%w: %s: %s", errStepFailed, activity, done.Error)
	}
	if out != nil && len(done.Output) > 0 {
		if err := json.Unmarshal(done.Output, out); err != nil {
			return fmt.Errorf("playbook step %s: decode its result: %w", activity, err)
		}
	}
	return nil
}
