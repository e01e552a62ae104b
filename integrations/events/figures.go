package events

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/socflow/socflow/alert"
)

// A case's figures are what a response-time report reads: the incident's
// priority, tier and drill flag, and its milestones. They live beside the
// case file, written in the transaction of each batch, because Temporal's
// retention deletes the histories they could otherwise be read from.

// CaseFigures are one case's response figures as the store keeps them.
// A case written before the figures existed has empty ones: a zero
// Milestones, no priority or tier.
type CaseFigures struct {
	IncidentID string    `json:"incident_id"`
	CaseID     string    `json:"case_id"`
	OpenedAt   time.Time `json:"opened_at"`
	// ClosedAt and Status are the case file's latest (see CaseLink).
	ClosedAt   time.Time        `json:"closed_at,omitzero"`
	Status     string           `json:"status,omitempty"`
	Priority   string           `json:"priority,omitempty"`
	Tier       string           `json:"tier,omitempty"`
	Drill      bool             `json:"drill,omitempty"`
	Milestones alert.Milestones `json:"milestones"`
}

// FiguresQuery selects the cases opened in [Since, Until), oldest first.
type FiguresQuery struct {
	Since, Until time.Time
	// Drill, when set, keeps only drills (true) or only real incidents
	// (false); nil keeps both.
	Drill *bool
	// After continues a listing after the case it names (the last of the
	// previous page): its OpenedAt and CaseID.
	After *CaseFigures
	// Limit bounds the page: zero means DefaultFiguresLimit, more than
	// MaxFiguresLimit means MaxFiguresLimit. A page that comes back full
	// may have more after it.
	Limit int
}

// Page sizes of CaseFigures. A week of a busy SOC is a few thousand
// cases: one page, usually.
const (
	DefaultFiguresLimit = 5000
	MaxFiguresLimit     = 50000
)

// figuresMigration is schema version 5: the figures of each case, and the
// index that selects cases by when they opened. A table of its own, as
// the links have, keeps every statement idempotent; a case without a row
// has no figures. Milestone times are NULL until reached.
func figuresMigration() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS socflow_case_figures (
			case_id TEXT PRIMARY KEY,
			priority TEXT NOT NULL DEFAULT '',
			tier TEXT NOT NULL DEFAULT '',
			drill INTEGER NOT NULL DEFAULT 0,
			received_at {{time}},
			enriched_at {{time}},
			opened_at {{time}},
			notified_at {{time}},
			acknowledged_at {{time}},
			acknowledged_by TEXT NOT NULL DEFAULT '',
			decided_at {{time}},
			decided_by TEXT NOT NULL DEFAULT '',
			contained_at {{time}},
			closed_at {{time}},
			acknowledge_due {{time}},
			contain_due {{time}}
		)`,
		`CREATE INDEX IF NOT EXISTS socflow_cases_opened ON socflow_cases (opened_at, case_id)`,
	}
}

// hasFigures reports whether a batch says anything about its figures.
func (rec CaseRecord) hasFigures() bool {
	return rec.Priority != "" || rec.Tier != "" || rec.Drill || rec.Milestones != nil
}

// milestoneTimes are the times of m in the columns' order, for reading
// into and writing from.
func milestoneTimes(m *alert.Milestones) []*time.Time {
	return []*time.Time{&m.Received, &m.Enriched, &m.Opened, &m.Notified, &m.Acknowledged, &m.Decided,
		&m.Contained, &m.Closed, &m.AcknowledgeDue, &m.ContainDue}
}

const (
	milestoneColumns = `received_at, enriched_at, opened_at, notified_at, acknowledged_at, decided_at,
		contained_at, closed_at, acknowledge_due, contain_due`
	figuresColumns = `priority, tier, drill, acknowledged_by, decided_by, ` + milestoneColumns
)

// mergeMilestones is m with newer's reached points: a time newer has
// replaces m's, a zero one keeps it, so that a batch that does not carry
// a milestone never clears it; the same for who acknowledged and decided.
func mergeMilestones(m, newer alert.Milestones) alert.Milestones {
	old, now := milestoneTimes(&m), milestoneTimes(&newer)
	for i := range old {
		if !now[i].IsZero() {
			*old[i] = storedTime(*now[i])
		}
	}
	m.AcknowledgedBy = cmp.Or(validText(newer.AcknowledgedBy), m.AcknowledgedBy)
	m.DecidedBy = cmp.Or(validText(newer.DecidedBy), m.DecidedBy)
	return m
}

// recordFigures merges the batch's figures into the case's row: a
// priority or tier the batch names replaces the stored one (batches apply
// in order, so the last applied is the newest), milestones merge field by
// field (mergeMilestones), and a drill stays a drill, since a false Drill
// cannot tell "not a drill" from "not said". Like upsertAlerts it reads
// the row and merges in Go.
func (s *SQLStore) recordFigures(ctx context.Context, tx *sql.Tx, rec CaseRecord) error {
	if !rec.hasFigures() {
		return nil
	}
	old, found, err := s.readFigures(ctx, tx, rec.CaseID)
	if err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	m := old.Milestones
	if rec.Milestones != nil {
		m = mergeMilestones(m, *rec.Milestones)
	}
	drill := 0
	if old.Drill || rec.Drill {
		drill = 1
	}
	args := []any{cmp.Or(validText(rec.Priority), old.Priority), cmp.Or(validText(rec.Tier), old.Tier), drill, m.AcknowledgedBy, m.DecidedBy}
	for _, t := range milestoneTimes(&m) {
		args = append(args, s.nullTime(*t))
	}
	query := `UPDATE socflow_case_figures SET priority = ?, tier = ?, drill = ?, acknowledged_by = ?, decided_by = ?,
		received_at = ?, enriched_at = ?, opened_at = ?, notified_at = ?, acknowledged_at = ?, decided_at = ?,
		contained_at = ?, closed_at = ?, acknowledge_due = ?, contain_due = ? WHERE case_id = ?`
	if !found {
		query = `INSERT INTO socflow_case_figures (` + figuresColumns + `, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(query), append(args, rec.CaseID)...); err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	return nil
}

// nullTime is t as a nullable time column: NULL when zero.
func (s *SQLStore) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(t)
}

// readFigures reads a case's figures row within tx.
func (s *SQLStore) readFigures(ctx context.Context, tx *sql.Tx, caseID string) (CaseFigures, bool, error) {
	var f CaseFigures
	var drill int
	dest := []any{&f.Priority, &f.Tier, &drill, &f.Milestones.AcknowledgedBy, &f.Milestones.DecidedBy}
	get := s.timeDests(&dest, &f.Milestones)
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+figuresColumns+` FROM socflow_case_figures WHERE case_id = ?`), caseID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, err
	}
	get()
	f.Drill = drill != 0
	return f, true, nil
}

// timeDests appends scan destinations for the milestone columns to dest
// and returns the function that moves what they read into m.
func (s *SQLStore) timeDests(dest *[]any, m *alert.Milestones) func() {
	fields := milestoneTimes(m)
	gets := make([]func() (time.Time, bool), len(fields))
	for i := range fields {
		var d any
		d, gets[i] = s.d.newNullTimeDest()
		*dest = append(*dest, d)
	}
	return func() {
		for i, get := range gets {
			if t, ok := get(); ok {
				*fields[i] = t
			}
		}
	}
}

// figuresSQL selects a window of cases through socflow_cases_opened, in
// its order, with their status and figures (TestCaseReadsUseIndexes
// checks the plan). The LEFT JOINs keep cases without a link or figures
// row; COALESCE makes theirs empty. The drill filter is a parameter, -1
// meaning either.
const figuresSQL = `SELECT c.incident_id, c.case_id, c.opened_at, COALESCE(l.status, ''), l.closed_at,
		COALESCE(f.priority, ''), COALESCE(f.tier, ''), COALESCE(f.drill, 0),
		COALESCE(f.acknowledged_by, ''), COALESCE(f.decided_by, ''),
		f.received_at, f.enriched_at, f.opened_at, f.notified_at, f.acknowledged_at, f.decided_at,
		f.contained_at, f.closed_at, f.acknowledge_due, f.contain_due
	FROM socflow_cases c
	LEFT JOIN socflow_case_links l ON l.case_id = c.case_id
	LEFT JOIN socflow_case_figures f ON f.case_id = c.case_id
	WHERE c.opened_at >= ? AND c.opened_at < ? AND (c.opened_at > ? OR (c.opened_at = ? AND c.case_id > ?))
		AND (? < 0 OR COALESCE(f.drill, 0) = ?)
	ORDER BY c.opened_at, c.case_id LIMIT ?`

// CaseFigures returns the figures of the cases q selects, oldest first:
// one page of at most q.Limit; continue with q.After set to the last.
func (s *SQLStore) CaseFigures(ctx context.Context, q FiguresQuery) ([]CaseFigures, error) {
	switch {
	case q.Since.IsZero() || q.Until.IsZero():
		return nil, errors.New("events: case figures: since and until are required")
	case !q.Since.Before(q.Until):
		return nil, fmt.Errorf("events: case figures: since (%s) must be before until (%s)", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	case q.Limit < 0:
		return nil, fmt.Errorf("events: case figures: limit must not be negative, got %d", q.Limit)
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultFiguresLimit
	}
	limit = min(limit, MaxFiguresLimit)
	// Without After, a key just before Since lets every case of the
	// window through the continuation clause.
	afterTime, afterCase := storedTime(q.Since).Add(-time.Microsecond), ""
	if q.After != nil {
		afterTime, afterCase = storedTime(q.After.OpenedAt), q.After.CaseID
	}
	drill := -1
	if q.Drill != nil {
		drill = 0
		if *q.Drill {
			drill = 1
		}
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(figuresSQL), s.d.timeArg(storedTime(q.Since)), s.d.timeArg(storedTime(q.Until)),
		s.d.timeArg(afterTime), s.d.timeArg(afterTime), afterCase, drill, drill, limit)
	if err != nil {
		return nil, fmt.Errorf("events: case figures: %w", err)
	}
	defer rows.Close()
	var out []CaseFigures
	for rows.Next() {
		var f CaseFigures
		var drill int
		opened, getOpened := s.d.newTimeDest()
		closed, getClosed := s.d.newNullTimeDest()
		dest := []any{&f.IncidentID, &f.CaseID, opened, &f.Status, closed, &f.Priority, &f.Tier, &drill,
			&f.Milestones.AcknowledgedBy, &f.Milestones.DecidedBy}
		get := s.timeDests(&dest, &f.Milestones)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("events: case figures: scan: %w", err)
		}
		get()
		f.OpenedAt, f.Drill = getOpened(), drill != 0
		if t, ok := getClosed(); ok {
			f.ClosedAt = t
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: case figures: %w", err)
	}
	return out, nil
}
