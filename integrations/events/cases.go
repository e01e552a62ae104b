package events

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// The case file is an incident's bulky, append-only record (every alert
// that joined, every occurrence ID, every related event, the whole
// timeline), kept in the event store's database instead of Temporal
// workflow state. Workflows write it in batches through an activity;
// `incident show`, the API and the CLI page it back.
//
// Its records mirror the activities' (package activities may import this
// one, never the reverse): the worker converts one into the other.

// CaseAlert is one fingerprint's record in a case. Writing the same
// WorkflowID again updates it: Occurrences and LastSeen only grow,
// FirstSeen only shrinks, Score takes the newer value and so does each
// text field that is set, since the workflow's deltas carry only the
// figures (WorkflowID, Score, Occurrences, LastSeen).
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
	// IncidentID is the incident's workflow ID ("incident/host:dc01").
	IncidentID string `json:"incident_id"`
	// CaseID tells apart the incidents that reuse one workflow ID over
	// time; it is unique across incidents. OpenedAt orders the cases of
	// one IncidentID: readers show the newest unless asked for another.
	CaseID   string    `json:"case_id"`
	OpenedAt time.Time `json:"opened_at"`
	// TimelineStart is the position of Timeline[0] in the whole timeline.
	TimelineStart int `json:"timeline_start,omitempty"`
	// Batch identifies the write; a batch already applied is not applied
	// again. Empty relies on the rows' keys alone.
	Batch       string                `json:"batch"`
	Alerts      []CaseAlert           `json:"alerts,omitempty"`
	Occurrences []CaseOccurrences     `json:"occurrences,omitempty"`
	Related     []CaseRelated         `json:"related,omitempty"`
	Timeline    []alert.TimelineEvent `json:"timeline,omitempty"`
	// Status is the incident's status when the batch was taken, and
	// ClosedAt when it closed (zero while open): the case file keeps the
	// latest, for the cases that follow this one (CaseLink). Empty keeps
	// what an earlier batch said.
	Status   string    `json:"status,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Priority, Tier and Drill are the incident's when the batch was
	// taken, and Milestones its response times so far: the store keeps
	// the latest of each (empty or nil keeps what an earlier batch said),
	// which is what `socflow report` and /metrics read.
	Priority   string            `json:"priority,omitempty"`
	Tier       string            `json:"tier,omitempty"`
	Drill      bool              `json:"drill,omitempty"`
	Milestones *alert.Milestones `json:"milestones,omitempty"`
}

// CaseLine is a timeline line as the case file returns it, with its
// position in the incident's whole timeline (CaseRecord.TimelineStart
// counts the same way), by which a reader tells which of the workflow's
// latest lines the case file has yet to receive.
type CaseLine struct {
	Position int `json:"position"`
	alert.TimelineEvent
}

// CaseRelatedEvent is a related event as the case file returns it: the
// event and the alert it was found for.
type CaseRelatedEvent struct {
	AlertID string `json:"alert_id"`
	alert.RelatedEvent
}

// CaseQuery selects one page of a case file listing.
type CaseQuery struct {
	// IncidentID is the incident's workflow ID ("incident/host:dc01").
	IncidentID string
	// CaseID picks one of the incident's cases; empty means the newest.
	CaseID string
	// Cursor continues the listing after the page that returned it; empty
	// starts at the beginning. A cursor belongs to one listing of one
	// case, so a listing stays on its case while a newer one opens.
	Cursor string
	// Limit bounds the page: zero means DefaultCaseLimit, more than
	// MaxCaseLimit means MaxCaseLimit.
	Limit int
}

// CasePage is one page of a case file listing.
type CasePage[T any] struct {
	CaseID string `json:"case_id"`
	Items  []T    `json:"items"`
	// Next is the cursor of the following page; empty on the last one.
	Next string `json:"next_cursor,omitempty"`
	// Total is how many entries the whole listing has.
	Total int `json:"total"`
}

// Page sizes of the case file reads.
const (
	DefaultCaseLimit = 100
	MaxCaseLimit     = 1000
)

// Errors of the case file. Readers fall back on what the workflow itself
// knows on ErrNoCase; ErrBadCursor and ErrInvalidCase are the caller's to
// fix.
var (
	ErrNoCase      = errors.New("events: no case file")
	ErrNoCaseAlert = errors.New("events: no such alert in the case file")
	ErrBadCursor   = errors.New("events: bad cursor")
	ErrInvalidCase = errors.New("events: invalid case record")
)

// caseMigration is schema version 2: the case file. Counts live in
// socflow_case_counts, kept in the transaction that adds the rows, so
// that a page's total is one key lookup rather than a count of 100,000
// timeline rows on every page.
func caseMigration() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS socflow_cases (
			case_id TEXT PRIMARY KEY,
			incident_id TEXT NOT NULL,
			opened_at {{time}} NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS socflow_cases_incident ON socflow_cases (incident_id, opened_at, case_id)`,
		`CREATE TABLE IF NOT EXISTS socflow_case_counts (
			case_id TEXT NOT NULL,
			counter TEXT NOT NULL,
			n BIGINT NOT NULL,
			PRIMARY KEY (case_id, counter)
		)`,
		`CREATE TABLE IF NOT EXISTS socflow_case_batches (
			case_id TEXT NOT NULL,
			batch TEXT NOT NULL,
			PRIMARY KEY (case_id, batch)
		)`,
		`CREATE TABLE IF NOT EXISTS socflow_case_alerts (
			case_id TEXT NOT NULL,
			workflow_id TEXT NOT NULL,
			alert_id TEXT NOT NULL DEFAULT '',
			source TEXT NOT NULL DEFAULT '',
			rule TEXT NOT NULL DEFAULT '',
			title TEXT NOT NULL DEFAULT '',
			severity TEXT NOT NULL DEFAULT '',
			score BIGINT NOT NULL DEFAULT 0,
			occurrences BIGINT NOT NULL DEFAULT 0,
			first_seen {{time}} NOT NULL,
			last_seen {{time}} NOT NULL,
			PRIMARY KEY (case_id, workflow_id)
		)`,
		`CREATE INDEX IF NOT EXISTS socflow_case_alerts_rank ON socflow_case_alerts (case_id, score DESC, first_seen, workflow_id)`,
		// id keeps insertion order; the unique key drops a redelivered ID.
		`CREATE TABLE IF NOT EXISTS socflow_case_ids (
			id {{id}},
			case_id TEXT NOT NULL,
			workflow_id TEXT NOT NULL,
			occurrence_id TEXT NOT NULL
		)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS socflow_case_ids_key ON socflow_case_ids (case_id, workflow_id, occurrence_id)`,
		`CREATE INDEX IF NOT EXISTS socflow_case_ids_order ON socflow_case_ids (case_id, workflow_id, id)`,
		// A related event has no ID of its own: digest (of its time, kind
		// and summary) keys it, so that finding it again adds nothing.
		`CREATE TABLE IF NOT EXISTS socflow_case_related (
			id {{id}},
			case_id TEXT NOT NULL,
			alert_id TEXT NOT NULL,
			digest TEXT NOT NULL,
			event_time {{time}} NOT NULL,
			kind TEXT NOT NULL DEFAULT '',
			summary TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS socflow_case_related_key ON socflow_case_related (case_id, alert_id, digest)`,
		`CREATE INDEX IF NOT EXISTS socflow_case_related_time ON socflow_case_related (case_id, event_time, id)`,
		`CREATE TABLE IF NOT EXISTS socflow_case_timeline (
			case_id TEXT NOT NULL,
			position BIGINT NOT NULL,
			at {{time}} NOT NULL,
			stage TEXT NOT NULL DEFAULT '',
			actor TEXT NOT NULL DEFAULT '',
			message TEXT NOT NULL DEFAULT '',
			alert_id TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (case_id, position)
		)`,
	}
}

// The counters of socflow_case_counts; an alert's occurrence IDs are
// counted under counterIDs + its workflow ID.
const (
	counterTimeline = "timeline"
	counterAlerts   = "alerts"
	counterRelated  = "related"
	counterIDs      = "ids/"
)

// validText makes s storable in every dialect: valid UTF-8 without NUL
// bytes, which PostgreSQL refuses. Case text comes from alerts, so an
// attacker must not be able to make a batch fail forever with one byte.
func validText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// storedTime is t as both dialects keep it: UTC, to the microsecond.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// normalize cleans the record's text and times and checks what the store
// relies on, naming the first bad field.
func (rec CaseRecord) normalize() (CaseRecord, error) {
	bad := func(format string, args ...any) (CaseRecord, error) {
		return rec, fmt.Errorf("%w: case %q of %q: %s", ErrInvalidCase, rec.CaseID, rec.IncidentID, fmt.Sprintf(format, args...))
	}
	switch {
	case rec.IncidentID == "":
		return bad("incident_id is required")
	case rec.CaseID == "":
		return bad("case_id is required")
	case rec.OpenedAt.IsZero():
		return bad("opened_at is required: it orders the cases of %s", rec.IncidentID)
	case rec.TimelineStart < 0:
		return bad("timeline_start must not be negative, got %d", rec.TimelineStart)
	}
	rec.OpenedAt = storedTime(rec.OpenedAt)
	rec.Status = validText(rec.Status)
	if !rec.ClosedAt.IsZero() {
		rec.ClosedAt = storedTime(rec.ClosedAt)
	}
	alerts := make([]CaseAlert, len(rec.Alerts))
	for i, a := range rec.Alerts {
		if a.WorkflowID == "" {
			return bad("alerts[%d]: workflow_id is required", i)
		}
		a.WorkflowID, a.AlertID, a.Source, a.Rule, a.Title = validText(a.WorkflowID), validText(a.AlertID), validText(a.Source), validText(a.Rule), validText(a.Title)
		a.Severity = alert.Severity(validText(string(a.Severity)))
		a.FirstSeen, a.LastSeen = storedTime(a.FirstSeen), storedTime(a.LastSeen)
		alerts[i] = a
	}
	rec.Alerts = alerts
	occ := make([]CaseOccurrences, len(rec.Occurrences))
	for i, o := range rec.Occurrences {
		if o.WorkflowID == "" {
			return bad("occurrences[%d]: workflow_id is required", i)
		}
		ids := make([]string, 0, len(o.IDs))
		for _, id := range o.IDs {
			if id = validText(id); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		occ[i] = CaseOccurrences{WorkflowID: validText(o.WorkflowID), IDs: ids}
	}
	rec.Occurrences = occ
	related := make([]CaseRelated, len(rec.Related))
	for i, r := range rec.Related {
		// An alert without an ID still has related events; they are
		// kept under the empty ID rather than failing the batch.
		evs := make([]alert.RelatedEvent, len(r.Events))
		for j, e := range r.Events {
			evs[j] = alert.RelatedEvent{Time: storedTime(e.Time), Kind: validText(e.Kind), Summary: validText(e.Summary)}
		}
		related[i] = CaseRelated{AlertID: validText(r.AlertID), Events: evs}
	}
	rec.Related = related
	timeline := make([]alert.TimelineEvent, len(rec.Timeline))
	for i, e := range rec.Timeline {
		timeline[i] = alert.TimelineEvent{
			At: storedTime(e.At), Stage: alert.Stage(validText(string(e.Stage))), Actor: validText(e.Actor),
			Message: validText(e.Message), AlertID: validText(e.AlertID),
		}
	}
	rec.Timeline = timeline
	return rec, nil
}

// AppendCase applies one batch to an incident's case file, in one
// transaction: all of it or none. Applying a batch again writes nothing:
// its Batch is recorded, and every row has a key (timeline position,
// occurrence ID, related event digest) that a second write skips. It is
// durable when it returns.
func (s *SQLStore) AppendCase(ctx context.Context, rec CaseRecord) error {
	if s.readOnly {
		return fmt.Errorf("events: append case: %w", errReadOnly)
	}
	rec, err := rec.normalize()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("events: append case %s: %w", rec.CaseID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.appendCase(ctx, tx, rec); err != nil {
		if errors.Is(err, ErrInvalidCase) {
			return err
		}
		return fmt.Errorf("events: append case %s: %w", rec.CaseID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("events: append case %s: commit: %w", rec.CaseID, err)
	}
	return nil
}

func (s *SQLStore) appendCase(ctx context.Context, tx *sql.Tx, rec CaseRecord) error {
	exec := func(query string, args ...any) (int, error) {
		res, err := tx.ExecContext(ctx, s.d.rebind(query), args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
	created, err := exec(`INSERT INTO socflow_cases (case_id, incident_id, opened_at) VALUES (?, ?, ?) ON CONFLICT (case_id) DO NOTHING`,
		rec.CaseID, rec.IncidentID, s.d.timeArg(rec.OpenedAt))
	if err != nil {
		return fmt.Errorf("case: %w", err)
	}
	var owner string
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT incident_id FROM socflow_cases WHERE case_id = ?`), rec.CaseID).Scan(&owner); err != nil {
		return fmt.Errorf("case: %w", err)
	}
	if owner != rec.IncidentID {
		return fmt.Errorf("%w: case %q belongs to %q, not %q", ErrInvalidCase, rec.CaseID, owner, rec.IncidentID)
	}
	if created == 1 {
		if err := s.linkCase(ctx, tx, rec); err != nil {
			return err
		}
	}
	if rec.Batch != "" {
		// The batch's row is also what serialises two attempts of one
		// batch in PostgreSQL: the second waits on the first's insert and
		// then finds it.
		n, err := exec(`INSERT INTO socflow_case_batches (case_id, batch) VALUES (?, ?) ON CONFLICT (case_id, batch) DO NOTHING`, rec.CaseID, rec.Batch)
		if err != nil {
			return fmt.Errorf("batch: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
	if err := s.recordStatus(ctx, tx, rec); err != nil {
		return err
	}
	if err := s.recordFigures(ctx, tx, rec); err != nil {
		return err
	}

	added, err := s.upsertAlerts(ctx, tx, rec.CaseID, rec.Alerts)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	if err := s.bump(ctx, tx, rec.CaseID, counterAlerts, added); err != nil {
		return err
	}

	for _, o := range rec.Occurrences {
		rows := make([][]any, len(o.IDs))
		for i, id := range o.IDs {
			rows[i] = []any{rec.CaseID, o.WorkflowID, id}
		}
		n, err := s.insertRows(ctx, tx, "socflow_case_ids", "case_id, workflow_id, occurrence_id", "case_id, workflow_id, occurrence_id", rows)
		if err != nil {
			return fmt.Errorf("occurrences of %s: %w", o.WorkflowID, err)
		}
		if err := s.bump(ctx, tx, rec.CaseID, counterIDs+o.WorkflowID, n); err != nil {
			return err
		}
	}

	var rows [][]any
	for _, r := range rec.Related {
		for _, e := range r.Events {
			rows = append(rows, []any{rec.CaseID, r.AlertID, relatedDigest(e), s.d.timeArg(e.Time), e.Kind, e.Summary})
		}
	}
	n, err := s.insertRows(ctx, tx, "socflow_case_related", "case_id, alert_id, digest, event_time, kind, summary", "case_id, alert_id, digest", rows)
	if err != nil {
		return fmt.Errorf("related events: %w", err)
	}
	if err := s.bump(ctx, tx, rec.CaseID, counterRelated, n); err != nil {
		return err
	}

	rows = rows[:0]
	for i, e := range rec.Timeline {
		rows = append(rows, []any{rec.CaseID, rec.TimelineStart + i, s.d.timeArg(e.At), e.Stage, e.Actor, e.Message, e.AlertID})
	}
	n, err = s.insertRows(ctx, tx, "socflow_case_timeline", "case_id, position, at, stage, actor, message, alert_id", "case_id, position", rows)
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return s.bump(ctx, tx, rec.CaseID, counterTimeline, n)
}

// upsertAlerts writes alerts, merging each into the row of its workflow
// ID as CaseAlert says, and returns how many rows it added. The merge
// reads the row and merges in Go: the rules (an empty field or a zero
// FirstSeen keeps the old value) would be a CASE per column in SQL, whose
// MAX and GREATEST the dialects spell differently anyway.
func (s *SQLStore) upsertAlerts(ctx context.Context, tx *sql.Tx, caseID string, alerts []CaseAlert) (int, error) {
	insert := s.d.rebind(`INSERT INTO socflow_case_alerts (case_id, workflow_id, alert_id, source, rule, title, severity, score, occurrences, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, workflow_id) DO NOTHING`)
	read := s.d.rebind(`SELECT alert_id, source, rule, title, severity, occurrences, first_seen, last_seen
		FROM socflow_case_alerts WHERE case_id = ? AND workflow_id = ?`)
	update := s.d.rebind(`UPDATE socflow_case_alerts SET alert_id = ?, source = ?, rule = ?, title = ?, severity = ?, score = ?,
		occurrences = ?, first_seen = ?, last_seen = ? WHERE case_id = ? AND workflow_id = ?`)
	added := 0
	for _, a := range alerts {
		res, err := tx.ExecContext(ctx, insert, caseID, a.WorkflowID, a.AlertID, a.Source, a.Rule, a.Title, string(a.Severity),
			a.Score, a.Occurrences, s.d.timeArg(a.FirstSeen), s.d.timeArg(a.LastSeen))
		if err != nil {
			return added, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return added, err
		} else if n == 1 {
			added++
			continue
		}
		var old CaseAlert
		var severity string
		first, getFirst := s.d.newTimeDest()
		last, getLast := s.d.newTimeDest()
		if err := tx.QueryRowContext(ctx, read, caseID, a.WorkflowID).Scan(&old.AlertID, &old.Source, &old.Rule, &old.Title, &severity,
			&old.Occurrences, first, last); err != nil {
			return added, err
		}
		a.AlertID, a.Source, a.Rule, a.Title = cmp.Or(a.AlertID, old.AlertID), cmp.Or(a.Source, old.Source), cmp.Or(a.Rule, old.Rule), cmp.Or(a.Title, old.Title)
		a.Severity = cmp.Or(a.Severity, alert.Severity(severity))
		a.Occurrences = max(a.Occurrences, old.Occurrences)
		if old := getFirst(); a.FirstSeen.IsZero() || (!old.IsZero() && old.Before(a.FirstSeen)) {
			a.FirstSeen = old
		}
		if old := getLast(); old.After(a.LastSeen) {
			a.LastSeen = old
		}
		if _, err := tx.ExecContext(ctx, update, a.AlertID, a.Source, a.Rule, a.Title, string(a.Severity), a.Score,
			a.Occurrences, s.d.timeArg(a.FirstSeen), s.d.timeArg(a.LastSeen), caseID, a.WorkflowID); err != nil {
			return added, err
		}
	}
	return added, nil
}

// insertRows inserts rows of the named columns into table, skipping those
// whose key (a unique index) is already there, and returns how many it
// inserted. Each statement carries about as many parameters as an event
// chunk, the size each dialect measured best.
func (s *SQLStore) insertRows(ctx context.Context, tx *sql.Tx, table, columns, key string, rows [][]any) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	width := len(rows[0])
	per := max(1, s.d.chunk*numColumns/width)
	row := "(" + strings.Repeat("?, ", width-1) + "?)"
	inserted := 0
	args := make([]any, 0, min(len(rows), per)*width)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		args = args[:0]
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		b.WriteString(" ON CONFLICT (" + key + ") DO NOTHING")
		res, err := tx.ExecContext(ctx, s.d.rebind(b.String()), args...)
		if err != nil {
			return inserted, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return inserted, err
		}
		inserted += int(n)
	}
	return inserted, nil
}

// bump adds n to one of a case's counters.
func (s *SQLStore) bump(ctx context.Context, tx *sql.Tx, caseID, counter string, n int) error {
	if n == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO socflow_case_counts (case_id, counter, n) VALUES (?, ?, ?)
		ON CONFLICT (case_id, counter) DO UPDATE SET n = socflow_case_counts.n + excluded.n`), caseID, counter, n)
	if err != nil {
		return fmt.Errorf("count %s: %w", counter, err)
	}
	return nil
}

// relatedDigest keys a related event within its alert.
func relatedDigest(e alert.RelatedEvent) string {
	h := sha256.New()
	_ = binary.Write(h, binary.BigEndian, e.Time.UnixMicro())
	h.Write([]byte(e.Kind))
	h.Write([]byte{0})
	h.Write([]byte(e.Summary))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// cursor is where a listing stopped, encoded for the caller as opaque
// base64url JSON. It names its listing (Kind, and Of for one alert's IDs)
// and its case, so that it cannot continue another one.
type cursor struct {
	Kind string `json:"k"`
	Case string `json:"c"`
	Of   string `json:"o,omitempty"`
	// The last entry's sort key: Pos (timeline position, row id), Score
	// and Time (microseconds) and Key (a workflow ID), as the listing
	// orders by.
	Pos   int64  `json:"p,omitempty"`
	Score int64  `json:"s,omitempty"`
	Time  int64  `json:"t,omitempty"`
	Key   string `json:"w,omitempty"`
}

// The listings, as cursors name them.
const (
	listTimeline = "timeline"
	listAlerts   = "alerts"
	listIDs      = "ids"
	listRelated  = "related"
)

// maxCursorBytes bounds what a caller may send back as a cursor.
const maxCursorBytes = 4096

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, kind, of string) (cursor, error) {
	var c cursor
	if len(s) > maxCursorBytes {
		return c, fmt.Errorf("%w: longer than %d bytes", ErrBadCursor, maxCursorBytes)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, fmt.Errorf("%w: not one this store returned", ErrBadCursor)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Case == "" {
		return c, fmt.Errorf("%w: not one this store returned", ErrBadCursor)
	}
	if c.Kind != kind || c.Of != of {
		return c, fmt.Errorf("%w: it continues another listing (%s %s), not %s %s", ErrBadCursor, c.Kind, c.Of, kind, of)
	}
	return c, nil
}

// TimelineCursor is the cursor that continues a case's timeline after
// position after. A reader that ends a page with lines of its own (the
// workflow's latest, which the case file has yet to receive) hands it out
// so that the next page starts after them.
func TimelineCursor(caseID string, after int) string {
	return cursor{Kind: listTimeline, Case: caseID, Pos: int64(after)}.encode()
}

// TimelineAfter is the position a timeline cursor continues after.
func TimelineAfter(c string) (int, error) {
	cur, err := decodeCursor(c, listTimeline, "")
	return int(cur.Pos), err
}

// caseLimit applies a page's default and bound.
func caseLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("limit must not be negative, got %d", n)
	case n == 0:
		return DefaultCaseLimit, nil
	}
	return min(n, MaxCaseLimit), nil
}

// caseRead is one listing's query: it returns up to limit entries after
// the cursor (nil for the first page), each with the cursor that would
// continue after it.
type caseRead[T any] func(ctx context.Context, tx *sql.Tx, caseID string, after *cursor, limit int) ([]T, []cursor, error)

// readCase pages a listing of kind (of one alert when of is set) counted
// by counter. It reads in one read-only, repeatable-read transaction, so
// that the page and its total agree while a batch lands; SQLite ignores
// the level, its read transactions being snapshots anyway.
func readCase[T any](ctx context.Context, s *SQLStore, q CaseQuery, kind, of, counter string, read caseRead[T]) (CasePage[T], error) {
	page := CasePage[T]{Items: []T{}}
	// The case file's own errors already say what is wrong; others get
	// the listing's name.
	failed := func(err error) (CasePage[T], error) {
		for _, own := range []error{ErrNoCase, ErrNoCaseAlert, ErrBadCursor} {
			if errors.Is(err, own) {
				return page, err
			}
		}
		return page, fmt.Errorf("events: case %s of %s: %w", kind, q.IncidentID, err)
	}
	limit, err := caseLimit(q.Limit)
	if err != nil {
		return failed(err)
	}
	var after *cursor
	caseID := q.CaseID
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, kind, of)
		if err != nil {
			return failed(err)
		}
		if caseID != "" && caseID != c.Case {
			return failed(fmt.Errorf("%w: it continues case %q, not %q", ErrBadCursor, c.Case, caseID))
		}
		after, caseID = &c, c.Case
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return failed(err)
	}
	defer func() { _ = tx.Rollback() }()
	if page.CaseID, err = s.findCase(ctx, tx, q.IncidentID, caseID); err != nil {
		if after != nil && errors.Is(err, ErrNoCase) {
			err = fmt.Errorf("%w: its case %q is not one of %s", ErrBadCursor, caseID, q.IncidentID)
		}
		return failed(err)
	}
	items, keys, err := read(ctx, tx, page.CaseID, after, limit+1)
	if err != nil {
		return failed(err)
	}
	if len(items) > limit {
		items, keys = items[:limit], keys[:limit]
		page.Next = keys[limit-1].encode()
	}
	page.Items = append(page.Items, items...)
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT n FROM socflow_case_counts WHERE case_id = ? AND counter = ?`),
		page.CaseID, counter).Scan(&page.Total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return failed(fmt.Errorf("total: %w", err))
	}
	return page, nil
}

// findCase returns caseID when it is one of the incident's cases, or the
// incident's newest case when caseID is empty.
func (s *SQLStore) findCase(ctx context.Context, tx *sql.Tx, incidentID, caseID string) (string, error) {
	var err error
	if caseID != "" {
		err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT case_id FROM socflow_cases WHERE case_id = ? AND incident_id = ?`),
			caseID, incidentID).Scan(&caseID)
	} else {
		err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT case_id FROM socflow_cases WHERE incident_id = ?
			ORDER BY opened_at DESC, case_id DESC LIMIT 1`), incidentID).Scan(&caseID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if caseID != "" {
			return "", fmt.Errorf("%w: %s has no case %q", ErrNoCase, incidentID, caseID)
		}
		return "", fmt.Errorf("%w: %s has none", ErrNoCase, incidentID)
	}
	return caseID, err
}

// The listings' queries. Each reads one index in its order and stops
// after the page (TestCaseReadsUseIndexes checks the plans): the cursor
// is a lower bound on the index, never an OFFSET.
const (
	timelineSQL = `SELECT position, at, stage, actor, message, alert_id FROM socflow_case_timeline
		WHERE case_id = ? AND position > ? ORDER BY position LIMIT ?`
	alertsColumns  = `workflow_id, alert_id, source, rule, title, severity, score, occurrences, first_seen, last_seen`
	alertsOrder    = ` ORDER BY score DESC, first_seen, workflow_id LIMIT ?`
	alertsFirstSQL = `SELECT ` + alertsColumns + ` FROM socflow_case_alerts WHERE case_id = ?` + alertsOrder
	// score <= ? lets the index seek to the cursor's score; the OR then
	// only sorts out the ties.
	alertsAfterSQL = `SELECT ` + alertsColumns + ` FROM socflow_case_alerts WHERE case_id = ?
		AND score <= ? AND (score < ? OR first_seen > ? OR (first_seen = ? AND workflow_id > ?))` + alertsOrder
	idsSQL = `SELECT id, occurrence_id FROM socflow_case_ids
		WHERE case_id = ? AND workflow_id = ? AND id > ? ORDER BY id LIMIT ?`
	relatedColumns  = `id, alert_id, event_time, kind, summary`
	relatedOrder    = ` ORDER BY event_time, id LIMIT ?`
	relatedFirstSQL = `SELECT ` + relatedColumns + ` FROM socflow_case_related WHERE case_id = ?` + relatedOrder
	relatedAfterSQL = `SELECT ` + relatedColumns + ` FROM socflow_case_related WHERE case_id = ?
		AND event_time >= ? AND (event_time > ? OR id > ?)` + relatedOrder
)

// CaseTimeline returns a page of the incident's timeline, oldest first.
func (s *SQLStore) CaseTimeline(ctx context.Context, q CaseQuery) (CasePage[CaseLine], error) {
	return readCase(ctx, s, q, listTimeline, "", counterTimeline,
		func(ctx context.Context, tx *sql.Tx, caseID string, after *cursor, limit int) ([]CaseLine, []cursor, error) {
			pos := int64(-1)
			if after != nil {
				pos = after.Pos
			}
			rows, err := tx.QueryContext(ctx, s.d.rebind(timelineSQL), caseID, pos, limit)
			if err != nil {
				return nil, nil, err
			}
			defer rows.Close()
			var out []CaseLine
			var keys []cursor
			at, getAt := s.d.newTimeDest()
			for rows.Next() {
				var e CaseLine
				if err := rows.Scan(&pos, at, &e.Stage, &e.Actor, &e.Message, &e.AlertID); err != nil {
					return nil, nil, err
				}
				e.Position, e.At = int(pos), getAt()
				out = append(out, e)
				keys = append(keys, cursor{Kind: listTimeline, Case: caseID, Pos: pos})
			}
			return out, keys, rows.Err()
		})
}

// CaseAlerts returns a page of the incident's alerts, highest score first,
// then first seen first.
func (s *SQLStore) CaseAlerts(ctx context.Context, q CaseQuery) (CasePage[CaseAlert], error) {
	return readCase(ctx, s, q, listAlerts, "", counterAlerts,
		func(ctx context.Context, tx *sql.Tx, caseID string, after *cursor, limit int) ([]CaseAlert, []cursor, error) {
			query, args := alertsFirstSQL, []any{caseID, limit}
			if after != nil {
				seen := s.d.timeArg(time.UnixMicro(after.Time).UTC())
				query, args = alertsAfterSQL, []any{caseID, after.Score, after.Score, seen, seen, after.Key, limit}
			}
			rows, err := tx.QueryContext(ctx, s.d.rebind(query), args...)
			if err != nil {
				return nil, nil, err
			}
			defer rows.Close()
			var out []CaseAlert
			var keys []cursor
			first, getFirst := s.d.newTimeDest()
			last, getLast := s.d.newTimeDest()
			for rows.Next() {
				var a CaseAlert
				var severity string
				if err := rows.Scan(&a.WorkflowID, &a.AlertID, &a.Source, &a.Rule, &a.Title, &severity, &a.Score, &a.Occurrences, first, last); err != nil {
					return nil, nil, err
				}
				a.Severity, a.FirstSeen, a.LastSeen = alert.Severity(severity), getFirst(), getLast()
				out = append(out, a)
				keys = append(keys, cursor{Kind: listAlerts, Case: caseID, Score: int64(a.Score), Time: a.FirstSeen.UnixMicro(), Key: a.WorkflowID})
			}
			return out, keys, rows.Err()
		})
}

// CaseOccurrenceIDs returns a page of the source IDs of one alert's
// occurrences (workflowID is the alert run's, "alert/<fingerprint>"), in
// the order they were recorded. It is ErrNoCaseAlert when the case knows
// nothing of that alert.
func (s *SQLStore) CaseOccurrenceIDs(ctx context.Context, q CaseQuery, workflowID string) (CasePage[string], error) {
	return readCase(ctx, s, q, listIDs, workflowID, counterIDs+workflowID,
		func(ctx context.Context, tx *sql.Tx, caseID string, after *cursor, limit int) ([]string, []cursor, error) {
			id := int64(0)
			if after != nil {
				id = after.Pos
			}
			rows, err := tx.QueryContext(ctx, s.d.rebind(idsSQL), caseID, workflowID, id, limit)
			if err != nil {
				return nil, nil, err
			}
			defer rows.Close()
			var out []string
			var keys []cursor
			for rows.Next() {
				var occ string
				if err := rows.Scan(&id, &occ); err != nil {
					return nil, nil, err
				}
				out = append(out, occ)
				keys = append(keys, cursor{Kind: listIDs, Case: caseID, Of: workflowID, Pos: id})
			}
			if err := rows.Err(); err != nil || len(out) > 0 || after != nil {
				return out, keys, err
			}
			var one int
			err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT 1 FROM socflow_case_alerts WHERE case_id = ? AND workflow_id = ?`), caseID, workflowID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil, fmt.Errorf("%w: %s in case %q", ErrNoCaseAlert, workflowID, caseID)
			}
			return nil, nil, err
		})
}

// CaseRelatedEvents returns a page of the related events recorded for the
// incident's alerts, oldest first.
func (s *SQLStore) CaseRelatedEvents(ctx context.Context, q CaseQuery) (CasePage[CaseRelatedEvent], error) {
	return readCase(ctx, s, q, listRelated, "", counterRelated,
		func(ctx context.Context, tx *sql.Tx, caseID string, after *cursor, limit int) ([]CaseRelatedEvent, []cursor, error) {
			query, args := relatedFirstSQL, []any{caseID, limit}
			if after != nil {
				at := s.d.timeArg(time.UnixMicro(after.Time).UTC())
				query, args = relatedAfterSQL, []any{caseID, at, at, after.Pos, limit}
			}
			rows, err := tx.QueryContext(ctx, s.d.rebind(query), args...)
			if err != nil {
				return nil, nil, err
			}
			defer rows.Close()
			var out []CaseRelatedEvent
			var keys []cursor
			at, getAt := s.d.newTimeDest()
			for rows.Next() {
				var e CaseRelatedEvent
				var id int64
				if err := rows.Scan(&id, &e.AlertID, at, &e.Kind, &e.Summary); err != nil {
					return nil, nil, err
				}
				e.Time = getAt()
				out = append(out, e)
				keys = append(keys, cursor{Kind: listRelated, Case: caseID, Pos: id, Time: e.Time.UnixMicro()})
			}
			return out, keys, rows.Err()
		})
}
