package activities

import (
	"context"

	"github.com/socflow/socflow/alert"
)

// NotifyKind, its values, IncidentCard and Update are the alert package's
// (the cards adapters render); these names keep the activity contract.
type (
	NotifyKind   = alert.NotifyKind
	IncidentCard = alert.IncidentCard
	Update       = alert.Update
)

// Notification kinds (alert.Notify*).
const (
	NotifyEscalation  = alert.NotifyEscalation
	NotifyUpdate      = alert.NotifyUpdate
	NotifyDecision    = alert.NotifyDecision
	NotifyContainment = alert.NotifyContainment
	NotifyClosed      = alert.NotifyClosed
	NotifySLABreach   = alert.NotifySLABreach
	NotifyMessage     = alert.NotifyMessage
	NotifyQuestion    = alert.NotifyQuestion
)

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
