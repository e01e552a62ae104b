package activities

import (
	"context"
	"fmt"
)

// Tracker keeps one ticket per incident in a ticketing system (Jira).
type Tracker interface {
	// EnsureIssue returns the incident's issue, creating it if it does not
	// exist yet; it returns "" for incidents below the tracker's minimum
	// priority. It must be idempotent: a retry finds the issue it made.
	EnsureIssue(ctx context.Context, card IncidentCard, project string) (key string, created bool, err error)
	Comment(ctx context.Context, key, text string) error
	MarkContained(ctx context.Context, key string) error
	MarkClosed(ctx context.Context, key string) error
}

// Transitioner moves a ticket through its workflow by the transition's
// name ("Start Progress", "Resolve"): a playbook's Transition step. A
// tracker without workflows need not offer it.
type Transitioner interface {
	Transition(ctx context.Context, key, name string) error
}

// Ticket keeps incidents' tickets.
type Ticket struct {
	Tracker Tracker
	// Format renders a step as a comment.
	Format func(kind NotifyKind, card IncidentCard) string
	// IssueURL turns a key into a link for responders.
	IssueURL func(key string) string
}

// EnsureTicketInput asks for the incident's ticket.
type EnsureTicketInput struct {
	Card IncidentCard `json:"card"`
	// Project overrides the tracker's default project (the tier's).
	Project string `json:"project,omitempty"`
}

// EnsureTicketResult names the ticket ("" when the incident gets none).
type EnsureTicketResult struct {
	Key     string `json:"key,omitempty"`
	URL     string `json:"url,omitempty"`
	Created bool   `json:"created,omitempty"`
}

// EnsureTicket opens (or finds) the incident's ticket.
func (t *Ticket) EnsureTicket(ctx context.Context, in EnsureTicketInput) (EnsureTicketResult, error) {
	if t.Tracker == nil {
		return EnsureTicketResult{}, nil
	}
	key, created, err := t.Tracker.EnsureIssue(ctx, in.Card, in.Project)
	if err != nil {
		return EnsureTicketResult{}, Classify("ticket "+in.Card.IncidentID, err)
	}
	res := EnsureTicketResult{Key: key, Created: created}
	if key != "" && t.IssueURL != nil {
		res.URL = t.IssueURL(key)
	}
	return res, nil
}

// UpdateTicketInput records one step of the incident on its ticket.
type UpdateTicketInput struct {
	Key  string       `json:"key"`
	Kind NotifyKind   `json:"kind"`
	Card IncidentCard `json:"card"`
}

// UpdateTicketResult acknowledges the update.
type UpdateTicketResult struct{}

// UpdateTicket comments the step and, for containment and closing, moves
// the ticket through its workflow.
func (t *Ticket) UpdateTicket(ctx context.Context, in UpdateTicketInput) (UpdateTicketResult, error) {
	if t.Tracker == nil || in.Key == "" {
		return UpdateTicketResult{}, nil
	}
	if t.Format != nil {
		if text := t.Format(in.Kind, in.Card); text != "" {
			if err := t.Tracker.Comment(ctx, in.Key, text); err != nil {
				return UpdateTicketResult{}, Classify(fmt.Sprintf("ticket %s: comment", in.Key), err)
			}
		}
	}
	var err error
	switch in.Kind {
	case NotifyContainment:
		if in.Card.Status == "contained" {
			err = t.Tracker.MarkContained(ctx, in.Key)
		}
	case NotifyClosed:
		err = t.Tracker.MarkClosed(ctx, in.Key)
	}
	return UpdateTicketResult{}, Classify(fmt.Sprintf("ticket %s: transition", in.Key), err)
}

// TransitionTicketInput moves the incident's ticket.
type TransitionTicketInput struct {
	Key        string `json:"key"`
	Transition string `json:"transition"`
}

// TransitionTicketResult acknowledges the transition.
type TransitionTicketResult struct{}

// TransitionTicket performs a playbook's named transition on the ticket.
func (t *Ticket) TransitionTicket(ctx context.Context, in TransitionTicketInput) (TransitionTicketResult, error) {
	tr, ok := t.Tracker.(Transitioner)
	if !ok {
		return TransitionTicketResult{}, Classify("ticket "+in.Key+": transition", errNotConfigured("the ticket tracker has no workflow transitions"))
	}
	return TransitionTicketResult{}, Classify(fmt.Sprintf("ticket %s: transition %q", in.Key, in.Transition), tr.Transition(ctx, in.Key, in.Transition))
}
