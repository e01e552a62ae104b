package workflows

import (
	"cmp"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// The incident's milestones (alert.Milestones) are kept from
// rulesMilestones on. Setting them schedules nothing; the guard is so
// that a run which began before them reports no figures rather than
// figures that start halfway through its response.

// acknowledge records the first human interaction: a decision, an
// approval, an escalation, a renewal, or even a refused attempt — someone
// looked. The policy's timeout is not a human.
func (inc *incident) acknowledge(ctx workflow.Context, by string) {
	if m := &inc.st.Milestones; inc.v.milestones && m.Acknowledged.IsZero() && by != "" && by != "policy" {
		m.Acknowledged, m.AcknowledgedBy = workflow.Now(ctx), by
	}
}

// markContained records when containment was confirmed (the first time).
func (inc *incident) markContained(ctx workflow.Context) {
	if m := &inc.st.Milestones; inc.v.milestones && m.Contained.IsZero() {
		m.Contained = workflow.Now(ctx)
	}
}

// setDeadlines sets the SLA deadlines for the incident's current
// priority, from its opening: a priority raised later tightens them.
func (inc *incident) setDeadlines() {
	if !inc.v.milestones || inc.pol == nil {
		return
	}
	m := &inc.st.Milestones
	m.AcknowledgeDue, m.ContainDue = inc.pol.SLA.Due(inc.st.Score.Priority, m.Opened)
}

// watchSLA announces each SLA deadline the incident misses
// (rulesSLABreach): one timer for the next deadline still open, reset
// when a milestone or the priority moves it. It posts to the tier's
// channel, in the incident's thread, and writes the timeline. A run
// continuing as new leaves it to the next run, which announces a deadline
// that passed meanwhile at once.
func (inc *incident) watchSLA(ctx workflow.Context) {
	for !inc.rollingOver { // closing sets it too
		due, kind := inc.st.Milestones.NextDue(inc.st.SLABreaches)
		changed := func() bool {
			d, k := inc.st.Milestones.NextDue(inc.st.SLABreaches)
			return !d.Equal(due) || k != kind || inc.rollingOver
		}
		if due.IsZero() {
			if err := workflow.Await(ctx, changed); err != nil {
				return
			}
			continue
		}
		if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
			moved, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
				Timeout:      wait,
				TimerOptions: workflow.TimerOptions{Summary: "SLA: " + kind + " deadline"},
			}, changed)
			if err != nil {
				return
			}
			if moved {
				continue
			}
		}
		if err := workflow.Await(ctx, func() bool { return inc.notifying == 0 || inc.rollingOver }); err != nil || inc.rollingOver {
			return
		}
		if d, k := inc.st.Milestones.NextDue(inc.st.SLABreaches); !d.Equal(due) || k != kind {
			continue // met while a message was being sent
		}
		inc.announceBreach(ctx, kind, due)
	}
}

// announceBreach records the missed deadline and tells the tier. A contain
// deadline that passes when nothing is left to contain (denied, a false
// positive) is recorded as announced without a message: it breached
// nothing (alert.Milestones.ForStatus).
func (inc *incident) announceBreach(ctx workflow.Context, kind string, due time.Time) {
	inc.st.SLABreaches = append(inc.st.SLABreaches, kind)
	if kind == alert.SLAContain && !alert.ContainPending(inc.st.Status) {
		return
	}
	b := &alert.SLABreach{SLA: kind, Due: due, Priority: inc.st.Score.Priority}
	// Before the ladder has asked anyone (a playbook still asking or
	// enriching), the tier told is the one it will ask first.
	tier := cmp.Or(inc.st.Tier, inc.st.Score.Tier)
	inc.note(ctx, alert.StageEscalate, "sla", breachText(b, tier, workflow.Now(ctx)))
	inc.publish(ctx)
	inc.notifyWith(ctx, activities.NotifySLABreach, func(c *activities.IncidentCard) {
		c.Breach = b
		if c.Tier == "" {
			c.Tier, c.Channel = tier, inc.channel(tier)
		}
	})
}

// breachText is the timeline's line for a missed deadline.
func breachText(b *alert.SLABreach, tier string, now time.Time) string {
	s := "SLA breached: " + b.String()
	if late := now.Sub(b.Due).Round(time.Second); late > 0 {
		s += fmt.Sprintf(", %s late", late)
	}
	return s + "; told " + tier
}
