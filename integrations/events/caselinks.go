package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// An incident key can open several cases over time: once an incident
// closes, the next alert for its key starts a new workflow run, and so a
// new case. The case file links each case to the one before it, and keeps
// how each ended, so that the new case says at once "this key was closed
// as a false positive on Monday" instead of starting from nothing.

// CaseLink names another case of the same incident key and how it stood
// when it last wrote to the case file.
type CaseLink struct {
	CaseID   string    `json:"case_id"`
	OpenedAt time.Time `json:"opened_at"`
	// Status is the incident's status in its last batch ("" when the case
	// was written by a socflow that did not record it).
	Status   string    `json:"status,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// caseLinkMigration is schema version 4: the link from each case to the
// previous case of its incident key, and its status. A table of its own
// rather than columns on socflow_cases keeps every statement idempotent
// (SQLite has no ADD COLUMN IF NOT EXISTS). Cases written before it have
// no row; PreviousCase still finds them through socflow_cases.
func caseLinkMigration() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS socflow_case_links (
			case_id TEXT PRIMARY KEY,
			previous_case_id TEXT NOT NULL DEFAULT '',
			status TEXT NOT NULL DEFAULT '',
			closed_at {{time}}
		)`,
	}
}

// linkCase records, in the transaction that creates a case, the newest
// earlier case of its incident key.
func (s *SQLStore) linkCase(ctx context.Context, tx *sql.Tx, rec CaseRecord) error {
	var prev string
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT case_id FROM socflow_cases
		WHERE incident_id = ? AND case_id <> ? AND opened_at <= ?
		ORDER BY opened_at DESC, case_id DESC LIMIT 1`),
		rec.IncidentID, rec.CaseID, s.d.timeArg(rec.OpenedAt)).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("previous case: %w", err)
	}
	_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO socflow_case_links (case_id, previous_case_id) VALUES (?, ?)
		ON CONFLICT (case_id) DO UPDATE SET previous_case_id = excluded.previous_case_id`), rec.CaseID, prev)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	return nil
}

// recordStatus keeps the case's latest status (batches apply in order, so
// the last applied is the newest).
func (s *SQLStore) recordStatus(ctx context.Context, tx *sql.Tx, rec CaseRecord) error {
	if rec.Status == "" {
		return nil
	}
	var closed any
	if !rec.ClosedAt.IsZero() {
		closed = s.d.timeArg(rec.ClosedAt)
	}
	_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO socflow_case_links (case_id, status, closed_at) VALUES (?, ?, ?)
		ON CONFLICT (case_id) DO UPDATE SET status = excluded.status, closed_at = excluded.closed_at`),
		rec.CaseID, rec.Status, closed)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	return nil
}

// PreviousCase returns the case of incidentID that came before caseID (the
// newest one opened no later than it), or nil when caseID is the first.
// It is ErrNoCase when caseID is not one of the incident's cases.
func (s *SQLStore) PreviousCase(ctx context.Context, incidentID, caseID string) (*CaseLink, error) {
	var prev string
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT COALESCE(l.previous_case_id, '') FROM socflow_cases c
		LEFT JOIN socflow_case_links l ON l.case_id = c.case_id
		WHERE c.case_id = ? AND c.incident_id = ?`), caseID, incidentID).Scan(&prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%w: %s has no case %q", ErrNoCase, incidentID, caseID)
	case err != nil:
		return nil, fmt.Errorf("events: previous case of %s: %w", caseID, err)
	case prev == "":
		return nil, nil
	}
	link, err := s.caseLink(ctx, prev)
	if err != nil {
		return nil, fmt.Errorf("events: previous case of %s: %w", caseID, err)
	}
	return link, nil
}

// caseLink reads one case's link fields.
func (s *SQLStore) caseLink(ctx context.Context, caseID string) (*CaseLink, error) {
	link := &CaseLink{CaseID: caseID}
	opened, getOpened := s.d.newTimeDest()
	closed, getClosed := s.d.newNullTimeDest()
	var status sql.NullString
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT c.opened_at, l.status, l.closed_at FROM socflow_cases c
		LEFT JOIN socflow_case_links l ON l.case_id = c.case_id WHERE c.case_id = ?`), caseID).Scan(opened, &status, closed)
	if err != nil {
		return nil, err
	}
	link.OpenedAt, link.Status = getOpened(), status.String
	if t, ok := getClosed(); ok {
		link.ClosedAt = t
	}
	return link, nil
}
