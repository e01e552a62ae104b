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
)

// CaseWriter stores case records durably.
type CaseWriter interface {
	// AppendCase applies one batch; applying a batch already applied is a
	// no-op. It must be durable when it returns.
	AppendCase(ctx context.Context, rec CaseRecord) error
}

// CaseFile writes incidents' case files.
type CaseFile struct {
	Store CaseWriter
}

// RecordCaseInput is one batch for the case file.
type RecordCaseInput struct {
	Record CaseRecord `json:"record"`
}

// RecordCaseResult acknowledges the write.
type RecordCaseResult struct{}

// RecordCase appends one batch to an incident's case file.
func (c *CaseFile) RecordCase(ctx context.Context, in RecordCaseInput) (RecordCaseResult, error) {
	if c.Store == nil {
		return RecordCaseResult{}, Classify("case file "+in.Record.IncidentID, errNotConfigured("no case store"))
	}
	return RecordCaseResult{}, Classify("case file "+in.Record.IncidentID, c.Store.AppendCase(ctx, in.Record))
}
