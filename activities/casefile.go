package activities

import (
	"context"

	"github.com/socflow/socflow/integrations/events"
)

// The case file is the bulky, append-only record of an incident that does
// not belong in Temporal: every alert that joined, every occurrence ID,
// every related event and the full timeline. The Incident workflow keeps
// only what its decisions need (counts, the top alerts, the latest timeline
// lines) and writes the rest here in batches; `incident show`, the API and
// the renderers page it back.

// The case file's records are the event store's own (activities may
// import integrations, never the reverse), so the workflows, this activity
// and the store speak one type.
type (
	// CaseAlert is one fingerprint's record in an incident.
	CaseAlert = events.CaseAlert
	// CaseOccurrences are source IDs of occurrences of one fingerprint.
	CaseOccurrences = events.CaseOccurrences
	// CaseRelated are related telemetry events found for one alert.
	CaseRelated = events.CaseRelated
	// CaseRecord is one batch of writes to an incident's case file; a
	// store applies a batch (by its Batch ID) once.
	CaseRecord = events.CaseRecord
	// CaseLink names an earlier case of the same incident key.
	CaseLink = events.CaseLink
)

// CaseWriter stores case records durably.
type CaseWriter interface {
	// AppendCase applies one batch; applying a batch already applied is a
	// no-op. It must be durable when it returns.
	AppendCase(ctx context.Context, rec CaseRecord) error
	// PreviousCase returns the case of the incident before caseID, or nil
	// when caseID is its first.
	PreviousCase(ctx context.Context, incidentID, caseID string) (*CaseLink, error)
}

// CaseFile writes incidents' case files.
type CaseFile struct {
	Store CaseWriter
}

// RecordCaseInput is one batch for the case file.
type RecordCaseInput struct {
	Record CaseRecord `json:"record"`
	// Link asks for the incident key's previous case, once the batch is
	// written: a new case asks until it has an answer.
	Link bool `json:"link,omitempty"`
}

// RecordCaseResult acknowledges the write and, when asked, names the
// previous case of the incident key (nil when there is none).
type RecordCaseResult struct {
	Linked   bool      `json:"linked,omitempty"`
	Previous *CaseLink `json:"previous,omitempty"`
}

// RecordCase appends one batch to an incident's case file.
func (c *CaseFile) RecordCase(ctx context.Context, in RecordCaseInput) (RecordCaseResult, error) {
	prefix := "case file " + in.Record.IncidentID
	if c.Store == nil {
		return RecordCaseResult{}, Classify(prefix, errNotConfigured("no case store"))
	}
	if err := c.Store.AppendCase(ctx, in.Record); err != nil {
		return RecordCaseResult{}, Classify(prefix, err)
	}
	if !in.Link {
		return RecordCaseResult{}, nil
	}
	prev, err := c.Store.PreviousCase(ctx, in.Record.IncidentID, in.Record.CaseID)
	if err != nil {
		return RecordCaseResult{}, Classify(prefix+": previous case", err)
	}
	return RecordCaseResult{Linked: true, Previous: prev}, nil
}
