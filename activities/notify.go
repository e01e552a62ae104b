package activities

import (
	"context"

	"github.com/socflow/socflow/alert"
)

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
)

// IncidentCard is what a responder sees: everything needed to decide
// without opening another tool.
type IncidentCard struct {
	IncidentID  string              `json:"incident_id"`
	Title       string              `json:"title"`
	Status      string              `json:"status"`
	Tier        string              `json:"tier"`
	Channel     string              `json:"channel,omitempty"`
	Score       alert.Score         `json:"score"`
	Hosts       []string            `json:"hosts,omitempty"`
	Users       []string            `json:"users,omitempty"`
	Alerts      int                 `json:"alerts"`
	Occurrences int                 `json:"occurrences"`
	Context     alert.ContextPacket `json:"context"`
	Proposed    []alert.Action      `json:"proposed,omitempty"`
	// History carries the earlier tiers' decisions, and Notes the
	// escalation steps (timeouts, triggers, refusals), so that a handoff
	// loses nothing.
	History []alert.Decision     `json:"history,omitempty"`
	Notes   []string             `json:"notes,omitempty"`
	Results []alert.ActionResult `json:"results,omitempty"`
	Drill   bool                 `json:"drill,omitempty"`
	// Update says what is new since the last notification (kind update).
	Update *Update `json:"update,omitempty"`
	// TicketKey and TicketURL name the incident's ticket, for links.
	TicketKey string `json:"ticket_key,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
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

// Notifier delivers incident cards to humans.
type Notifier interface {
	// Notify sends or updates the incident's message. ref is the handle a
	// previous call returned ("" the first time); the returned handle is
	// kept in workflow state so that a retry updates instead of posting
	// twice.
	Notify(ctx context.Context, kind NotifyKind, card IncidentCard, ref string) (string, error)
}

// Notify delivers notifications.
type Notify struct {
	Notifier Notifier
}

// NotifyInput is one notification.
type NotifyInput struct {
	Kind NotifyKind   `json:"kind"`
	Card IncidentCard `json:"card"`
	Ref  string       `json:"ref,omitempty"`
}

// NotifyResult carries the message handle.
type NotifyResult struct {
	Ref string `json:"ref"`
}

// NotifyIncident sends the card.
func (n *Notify) NotifyIncident(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	ref, err := n.Notifier.Notify(ctx, in.Kind, in.Card, in.Ref)
	if err != nil {
		return NotifyResult{}, Classify("notify "+string(in.Kind), err)
	}
	return NotifyResult{Ref: ref}, nil
}
