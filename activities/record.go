package activities

import (
	"context"
	"encoding/json"
)

// AuditSink keeps closed incidents' records outside Temporal, whose
// retention eventually deletes histories.
type AuditSink interface {
	// Append stores one record; it must be durable when it returns.
	Append(ctx context.Context, record json.RawMessage) error
}

// Record writes audit records.
type Record struct {
	Sink AuditSink
}

// WriteAuditInput is one incident's final record, as JSON (the incident
// state), so that this package need not import the workflow types.
type WriteAuditInput struct {
	IncidentID string          `json:"incident_id"`
	Record     json.RawMessage `json:"record"`
}

// WriteAuditResult acknowledges the write.
type WriteAuditResult struct{}

// WriteAudit appends the record to the audit sink.
func (r *Record) WriteAudit(ctx context.Context, in WriteAuditInput) (WriteAuditResult, error) {
	if r.Sink == nil {
		return WriteAuditResult{}, Classify("audit "+in.IncidentID, errNotConfigured("no audit sink"))
	}
	return WriteAuditResult{}, Classify("audit "+in.IncidentID, r.Sink.Append(ctx, in.Record))
}
