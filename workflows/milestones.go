package workflows

import "go.temporal.io/sdk/workflow"

// The incident's milestones (alert.Milestones) are state only: setting
// them schedules nothing, so runs recorded before them replay unchanged.

// acknowledge records the first human interaction: a decision, an
// approval, an escalation, a renewal, or even a refused attempt — someone
// looked. The policy's timeout is not a human.
func (inc *incident) acknowledge(ctx workflow.Context, by string) {
	if m := &inc.st.Milestones; m.Acknowledged.IsZero() && by != "" && by != "policy" {
		m.Acknowledged, m.AcknowledgedBy = workflow.Now(ctx), by
	}
}

// markContained records when containment was confirmed (the first time).
func (inc *incident) markContained(ctx workflow.Context) {
	if m := &inc.st.Milestones; m.Contained.IsZero() {
		m.Contained = workflow.Now(ctx)
	}
}

// setDeadlines sets the SLA deadlines for the incident's current
// priority, from its opening: a priority raised later tightens them.
func (inc *incident) setDeadlines() {
	if inc.pol == nil {
		return
	}
	m := &inc.st.Milestones
	if m.Opened.IsZero() {
		// A run that began before milestones: its opening is in the state.
		m.Opened = inc.st.OpenedAt
	}
	m.AcknowledgeDue, m.ContainDue = inc.pol.SLA.Due(inc.st.Score.Priority, m.Opened)
}
