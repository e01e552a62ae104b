package alert

import (
	"strings"
	"time"
)

// The cards notifiers render (Slack, Jira, the console) and the incident
// statuses they show. They live here, with the records that flow, so that
// adapters in integrations/ speak socflow's model without importing the
// workflow or activity layers; activities and workflows name the same
// types (aliases), so payloads and histories are unchanged.

// NotifyKind says why a responder is being told about an incident.
type NotifyKind string

// Notification kinds.
const (
	// NotifyEscalation asks a tier to decide.
	NotifyEscalation NotifyKind = "escalation"
	// NotifyUpdate reports new alerts in an incident already announced.
	NotifyUpdate NotifyKind = "update"
	// NotifyDecision reports a decision (or a timeout's default).
	NotifyDecision NotifyKind = "decision"
	// NotifyContainment reports containment results.
	NotifyContainment NotifyKind = "containment"
	// NotifyClosed reports the incident's end.
	NotifyClosed NotifyKind = "closed"
	// NotifySLABreach tells the tier an SLA deadline passed unmet
	// (IncidentCard.Breach says which).
	NotifySLABreach NotifyKind = "sla_breach"
	// NotifyMessage is a playbook's own message to the tier
	// (IncidentCard.Message).
	NotifyMessage NotifyKind = "message"
	// NotifyQuestion asks the tier a playbook's question
	// (IncidentCard.Question), with its options as buttons.
	NotifyQuestion NotifyKind = "question"
)

// IncidentCard is what a responder sees: everything needed to decide
// without opening another tool.
type IncidentCard struct {
	IncidentID  string        `json:"incident_id"`
	Title       string        `json:"title"`
	Status      string        `json:"status"`
	Tier        string        `json:"tier"`
	Channel     string        `json:"channel,omitempty"`
	Score       Score         `json:"score"`
	Hosts       []string      `json:"hosts,omitempty"`
	Users       []string      `json:"users,omitempty"`
	Alerts      int           `json:"alerts"`
	Occurrences int           `json:"occurrences"`
	Context     ContextPacket `json:"context"`
	Proposed    []Action      `json:"proposed,omitempty"`
	// History carries the earlier tiers' decisions, and Notes the
	// escalation steps (timeouts, triggers, refusals), so that a handoff
	// loses nothing.
	History []Decision     `json:"history,omitempty"`
	Notes   []string       `json:"notes,omitempty"`
	Results []ActionResult `json:"results,omitempty"`
	Drill   bool           `json:"drill,omitempty"`
	// Update says what is new since the last notification (kind update).
	Update *Update `json:"update,omitempty"`
	// TicketKey and TicketURL name the incident's ticket, for links.
	TicketKey string `json:"ticket_key,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
	// Breach says which SLA deadline passed unmet (kind sla_breach).
	Breach *SLABreach `json:"breach,omitempty"`
	// Message is a playbook's message (kind message).
	Message string `json:"message,omitempty"`
	// Question is a playbook's question (kind question).
	Question *Question `json:"question,omitempty"`
}

// SLABreach is an SLA deadline an incident missed: the SLA (SLAAcknowledge
// or SLAContain), its deadline, and the priority that set it.
type SLABreach struct {
	SLA      string    `json:"sla"`
	Due      time.Time `json:"due"`
	Priority Priority  `json:"priority,omitempty"`
}

// Update is what changed in an incident since it was last announced.
type Update struct {
	NewAlerts      int `json:"new_alerts"`
	NewOccurrences int `json:"new_occurrences"`
	// Titles of the new alerts, at most a handful.
	Titles []string `json:"titles,omitempty"`
	// Summarised is set once the incident is past its overflow threshold:
	// updates then come at most once per summary interval.
	Summarised bool `json:"summarised,omitempty"`
}

// Incident statuses, as the workflows set them and cards show them.
const (
	StatusOpen          = "open"
	StatusAwaiting      = "awaiting_decision"
	StatusContaining    = "containing"
	StatusContained     = "contained"
	StatusPartial       = "partially_contained"
	StatusDenied        = "denied"
	StatusFalsePositive = "false_positive"
	StatusClosed        = "closed"
	// StatusNoAction is a decision (the policy's timeout default contain)
	// that approved containment when there was nothing to contain.
	StatusNoAction = "no_action"
	// StatusUnverified is a containment a vendor did not confirm within
	// its verification deadline: the incident escalated with the vendor's
	// last state.
	StatusUnverified = "containment_unverified"
	// StatusRevertFailed is an undo that failed: some containment is still
	// in force, and the incident escalated.
	StatusRevertFailed = "revert_failed"
	// StatusLeaseEnded is a containment socflow undid itself when its
	// leases ran out.
	StatusLeaseEnded = "lease_ended"
)

// String reads "P1 not acknowledged by 2026-12-07T10:15:00Z (acknowledge
// SLA)", for every notifier's breach notice.
func (b SLABreach) String() string {
	what := "acknowledged"
	if b.SLA == SLAContain {
		what = "contained"
	}
	p := string(b.Priority)
	if p == "" {
		p = "incident"
	}
	return p + " not " + what + " by " + b.Due.UTC().Format(time.RFC3339) + " (" + b.SLA + " SLA)"
}

// Question is a playbook's question to a tier (kind question): a durable
// step answered from Slack, the web view or the CLI.
type Question struct {
	// ID names the question within its incident ("isolate-now", "q1"):
	// answers name it.
	ID   string `json:"id"`
	Text string `json:"text"`
	// Options are the answers offered; empty takes any text.
	Options []string `json:"options,omitempty"`
	Tier    string   `json:"tier"`
	// Deadline is when Default becomes the answer.
	Deadline time.Time `json:"deadline"`
	Default  string    `json:"default,omitempty"`
	AskedAt  time.Time `json:"asked_at"`
	// Answer is set once answered (or timed out).
	Answer *QuestionAnswer `json:"answer,omitempty"`
}

// QuestionAnswer is the answer a question got: who gave it, through
// which channel, or that time ran out and the default applied.
type QuestionAnswer struct {
	Value    string    `json:"value"`
	By       string    `json:"by,omitempty"`
	Via      string    `json:"via,omitempty"`
	At       time.Time `json:"at"`
	TimedOut bool      `json:"timed_out,omitempty"`
}

// Accepts reports whether value is one of the question's options
// (matched without regard to case; any non-empty text when it has none),
// and returns the option as the question spelled it.
func (q *Question) Accepts(value string) (string, bool) {
	value = strings.TrimSpace(value)
	if len(q.Options) == 0 {
		return value, value != ""
	}
	for _, o := range q.Options {
		if strings.EqualFold(o, value) {
			return o, true
		}
	}
	return "", false
}
