package workflows

import "go.temporal.io/sdk/workflow"

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
