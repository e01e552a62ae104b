package activities

import (
	"context"
	"time"

	"github.com/socflow/socflow/alert"
)

// The case file is the bulky, append-only record of an incident that does
// not belong in Temporal: every alert that joined, every occurrence ID,
// every related event and the full timeline. The Incident workflow keeps
// only what its decisions need (counts, the top alerts, the latest timeline
// lines) and writes the rest here in batches; `incident show`, the API and
// the renderers page it back.

// CaseAlert is one fingerprint's record in an incident. Writing the same
// WorkflowID again updates it (occurrences, score, last seen).
type CaseAlert struct {
	// WorkflowID is the alert run's ID ("alert/<fingerprint>").
	WorkflowID  string         `json:"workflow_id"`
	AlertID     string         `json:"alert_id"`
	Source      string         `json:"source"`
	Rule        string         `json:"rule"`
	Title       string         `json:"title"`
	Severity    alert.Severity `json:"severity"`
	Score       int            `json:"score"`
	Occurrences int            `json:"occurrences"`
	FirstSeen   time.Time      `json:"first_seen"`
	LastSeen    time.Time      `json:"last_seen"`
}

// CaseOccurrences are source IDs of occurrences of one fingerprint.
type CaseOccurrences struct {
	WorkflowID string   `json:"workflow_id"`
	IDs        []string `json:"ids"`
}

// CaseRelated are related telemetry events found for one alert.
type CaseRelated struct {
	AlertID string               `json:"alert_id"`
	Events  []alert.RelatedEvent `json:"events"`
}

// CaseRecord is one batch of writes to an incident's case file.
type CaseRecord struct {
	IncidentID string `json:"incident_id"`
	// CaseID tells apart the incidents that reuse a workflow ID over time
	// (incident/host:dc01 opened again next week): it is the first run ID
	// of the incident's continue-as-new chain. OpenedAt orders the cases
	// of one IncidentID; readers show the newest unless asked for another.
	CaseID   string    `json:"case_id"`
	OpenedAt time.Time `json:"opened_at"`
	// TimelineStart is the position of Timeline[0] in the incident's whole
	// timeline (0 for the first line ever), so rows are keyed by position.
	TimelineStart int `json:"timeline_start,omitempty"`
	// Batch identifies the write ("<run ID>/<n>"); a store applies a batch
	// once, so the activity's retries never write twice.
	Batch       string                `json:"batch"`
	Alerts      []CaseAlert           `json:"alerts,omitempty"`
	Occurrences []CaseOccurrences     `json:"occurrences,omitempty"`
	Related     []CaseRelated         `json:"related,omitempty"`
	Timeline    []alert.TimelineEvent `json:"timeline,omitempty"`
}

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
