package alert

import (
	"slices"
	"time"
)

// Milestones are when an incident reached each point of its response: the
// durable figures behind a manager's report (time to enrich, notify,
// acknowledge, decide, contain and close, and the SLA breaches). The
// incident workflow keeps them in its state and writes the latest with
// every case-file batch, so the report reads them from socflow's store
// rather than from Temporal histories, which retention deletes.
//
// A zero time means the point was not reached (yet). Times are the
// workflow's clock, so a test with time skipping gets exact figures.
type Milestones struct {
	// Received is when intake accepted the incident's first alert, and
	// Enriched when that alert's context packet was complete: machine time.
	Received time.Time `json:"received,omitzero"`
	Enriched time.Time `json:"enriched,omitzero"`
	// Opened is when the incident workflow took its first alert.
	Opened time.Time `json:"opened,omitzero"`
	// Notified is when the first notification reached the responders
	// (Slack, Jira or the console): from here on the clock is human.
	Notified time.Time `json:"notified,omitzero"`
	// Acknowledged is the first human interaction with the incident (a
	// button, a decision, an escalation), and AcknowledgedBy who.
	Acknowledged   time.Time `json:"acknowledged,omitzero"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	// Decided is the first decision, and DecidedBy who made it: a
	// responder, or "timeout" when the policy's default decided.
	Decided   time.Time `json:"decided,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	// Contained is when containment was verified by the vendors (or, on
	// rules that do not verify, when it finished).
	Contained time.Time `json:"contained,omitzero"`
	// Closed is when the incident closed.
	Closed time.Time `json:"closed,omitzero"`
	// AcknowledgeDue and ContainDue are the SLA's deadlines for the
	// incident's priority when it opened (zero: no SLA applies).
	AcknowledgeDue time.Time `json:"acknowledge_due,omitzero"`
	ContainDue     time.Time `json:"contain_due,omitzero"`
}

// SLA kinds, as the report, the timeline and the breach notice name them.
const (
	SLAAcknowledge = "acknowledge"
	SLAContain     = "contain"
)

// SLA states of an incident in a list.
const (
	SLAOnTime   = "on_time"
	SLADueSoon  = "due_soon"
	SLABreached = "breached"
)

// Breached reports whether the SLA of kind was missed as of now: the
// point was reached after its deadline, or not reached and the deadline
// has passed. An incident closed without the point (a false positive
// never contained) breaches nothing for it.
func (m Milestones) Breached(kind string, now time.Time) bool {
	due, done := m.Deadline(kind)
	switch {
	case due.IsZero():
		return false
	case !done.IsZero():
		return done.After(due)
	case !m.Closed.IsZero():
		return false
	default:
		return now.After(due)
	}
}

// SLAState is the incident's SLA state as of now: breached when any SLA
// was missed, due soon when an open deadline is within soon of now, on
// time otherwise, and "" when no SLA applies.
func (m Milestones) SLAState(now time.Time, soon time.Duration) string {
	if m.AcknowledgeDue.IsZero() && m.ContainDue.IsZero() {
		return ""
	}
	state := SLAOnTime
	for _, kind := range []string{SLAAcknowledge, SLAContain} {
		if m.Breached(kind, now) {
			return SLABreached
		}
		due, done := m.Deadline(kind)
		if !due.IsZero() && done.IsZero() && m.Closed.IsZero() && !now.Add(soon).Before(due) {
			state = SLADueSoon
		}
	}
	return state
}

// NextDue is the earliest SLA deadline neither met nor in announced, for
// the workflow's SLA timer (a deadline already past is still due: its
// breach is to be announced); zero when none is left or the incident
// closed.
func (m Milestones) NextDue(announced []string) (time.Time, string) {
	var next time.Time
	var kind string
	if !m.Closed.IsZero() {
		return next, kind
	}
	for _, k := range []string{SLAAcknowledge, SLAContain} {
		due, done := m.Deadline(k)
		if due.IsZero() || !done.IsZero() || slices.Contains(announced, k) {
			continue
		}
		if next.IsZero() || due.Before(next) {
			next, kind = due, k
		}
	}
	return next, kind
}

// Deadline is the SLA of kind's deadline and when its point was reached
// (zero times: no deadline, not reached).
func (m Milestones) Deadline(kind string) (due, done time.Time) {
	switch kind {
	case SLAAcknowledge:
		return m.AcknowledgeDue, m.Acknowledged
	case SLAContain:
		return m.ContainDue, m.Contained
	}
	return time.Time{}, time.Time{}
}

// ContainPending reports whether an incident in status may still be
// contained: it awaits a decision, or its containment runs or fell short.
// A denial, a false positive, a decision with nothing to contain, or an
// undo leaves nothing for the contain SLA to time.
func ContainPending(status string) bool {
	switch status {
	case "", StatusOpen, StatusAwaiting, StatusContaining, StatusPartial, StatusUnverified:
		return true
	}
	return false
}

// ForStatus is m as its SLAs apply to an incident in status: when nothing
// is left to contain and nothing was contained, the contain SLA no longer
// applies (an incident closed without containment breaches nothing for
// it, and one still open in its quiet window must agree). The acknowledge
// SLA always applies.
func (m Milestones) ForStatus(status string) Milestones {
	if m.Contained.IsZero() && !ContainPending(status) {
		m.ContainDue = time.Time{}
	}
	return m
}
