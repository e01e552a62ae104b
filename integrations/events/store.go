package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Store keeps telemetry events. Implementations are safe for concurrent
// use.
type Store interface {
	// Append normalises, validates and stores events in one transaction:
	// all or none. It returns how many were stored.
	Append(ctx context.Context, evs []Event) (int, error)
	// Related returns the events matching q, newest first.
	Related(ctx context.Context, q Query) ([]Event, error)
	Pruner
	Close() error
}

// Pruner deletes old events; Retain calls it.
type Pruner interface {
	// Prune deletes the events that happened before olderThan and returns
	// how many it deleted.
	Prune(ctx context.Context, olderThan time.Time) (int, error)
}

// Query selects the events on an alert's entities in a window before it.
// An event matches when its host is in Hosts, its user in Users, or its
// source or destination address in IPs. Host and user names are compared
// without regard to case.
type Query struct {
	Hosts []string
	Users []string
	IPs   []string
	// Domains match the events' domain (a DNS query, a connection's name,
	// an email's sender domain).
	Domains []string
	// Before is the end of the window (the alert's time), inclusive.
	Before time.Time
	// Window is how far back from Before to look; the start is inclusive
	// too. Zero means DefaultWindow.
	Window time.Duration
	// Kinds restricts the result to these kinds; empty means all.
	Kinds []string
	// Outcome, when set, keeps only events with that outcome ("success",
	// "failure").
	Outcome string
	// OldestFirst reverses the order, for questions such as "when was this
	// user first seen?" that want the oldest events.
	OldestFirst bool
	// Limit bounds the number of events returned. Zero means DefaultLimit;
	// more than MaxLimit means MaxLimit.
	Limit int
}

// Query defaults and bounds. MaxQueryValues keeps a query within SQLite's
// limit of 500 terms in a compound SELECT (an address is two: source and
// destination) and every database's limit on bound parameters.
const (
	DefaultWindow  = time.Hour
	DefaultLimit   = 100
	MaxLimit       = 10000
	MaxQueryValues = 200
)

// normalize applies defaults, normalises the values as Event.Normalize
// does, drops blanks and duplicates, and checks bounds.
func (q Query) normalize() (Query, error) {
	if q.Before.IsZero() {
		return q, errors.New("before is required")
	}
	if q.Window < 0 {
		return q, fmt.Errorf("window must not be negative, got %s", q.Window)
	}
	if q.Window == 0 {
		q.Window = DefaultWindow
	}
	if q.Limit < 0 {
		return q, fmt.Errorf("limit must not be negative, got %d", q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	q.Limit = min(q.Limit, MaxLimit)
	clean := func(vals []string, norm func(string) string) []string {
		out := make([]string, 0, len(vals))
		for _, v := range vals {
			if v = norm(strings.TrimSpace(v)); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	q.Hosts = clean(q.Hosts, strings.ToLower)
	q.Users = clean(q.Users, strings.ToLower)
	q.IPs = clean(q.IPs, canonicalIP)
	q.Domains = clean(q.Domains, func(d string) string { return strings.TrimSuffix(strings.ToLower(d), ".") })
	q.Kinds = clean(q.Kinds, strings.ToLower)
	for _, k := range q.Kinds {
		if !slices.Contains(Kinds(), k) {
			return q, fmt.Errorf("kinds: must be among %s, got %q", strings.Join(Kinds(), ", "), k)
		}
	}
	q.Outcome = strings.ToLower(strings.TrimSpace(q.Outcome))
	if n := len(q.Hosts) + len(q.Users) + 2*len(q.IPs) + len(q.Domains); n > MaxQueryValues {
		return q, fmt.Errorf("%d hosts, users, IPs and domains (IPs counting twice), more than the %d a query may name", n, MaxQueryValues)
	}
	return q, nil
}

// SQLStore is the Store on a SQL database: SQLite (OpenSQLite) or
// PostgreSQL (OpenPostgres). The SQL is written once, with ? placeholders
// and two type names that each dialect fills in. The same database keeps
// incidents' case files (cases.go).
type SQLStore struct {
	db *sql.DB
	d  dialect
	// readOnly is set by OpenReadOnly: writes are refused before they
	// reach the database, which PostgreSQL would otherwise allow.
	readOnly bool
	// insertFull is the INSERT for a full chunk, built once because nearly
	// every row of a large batch goes through it.
	insertFull string
	// pruneBatch is defaultPruneBatch; tests lower it to exercise
	// multi-batch pruning without inserting thousands of rows.
	pruneBatch int
}

// SQLStore must keep satisfying Store, which callers hold it as.
var _ Store = (*SQLStore)(nil)

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// chunk is how many rows one INSERT carries.
	chunk int
	// types fills the {{id}} and {{time}} holes in the schema.
	types *strings.Replacer
	// numbered placeholders ($1, $2...) rather than ?.
	numbered bool
	// lock, run first in the migration transaction, keeps two processes
	// from migrating at once; "" when BEGIN already does.
	lock string
	// timeArg and newTimeDest convert times to and from the column.
	timeArg     func(time.Time) any
	newTimeDest func() (dest any, get func() time.Time)
}

// newNullTimeDest is newTimeDest for a column that may be NULL: get
// reports whether it held a time.
func (d dialect) newNullTimeDest() (dest any, get func() (time.Time, bool)) {
	if d.name == "sqlite" {
		var us sql.Null[int64]
		return &us, func() (time.Time, bool) { return time.UnixMicro(us.V).UTC(), us.Valid }
	}
	var t sql.NullTime
	return &t, func() (time.Time, bool) { return t.Time.UTC(), t.Valid }
}

// rebind turns ? placeholders into the dialect's. socflow's SQL has no ?
// inside string literals, so a plain scan is enough.
func (d dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrations are the schema versions, oldest first; version i+1 is
// migrations()[i]. Every statement is idempotent on its own, so that a
// migration interrupted before it recorded its version can simply run
// again. Append new versions; never edit a released one.
func migrations() [][]string {
	return [][]string{{
		`CREATE TABLE IF NOT EXISTS socflow_events (
			id {{id}},
			event_time {{time}} NOT NULL,
			kind TEXT NOT NULL,
			host TEXT NOT NULL DEFAULT '',
			user_name TEXT NOT NULL DEFAULT '',
			src_ip TEXT NOT NULL DEFAULT '',
			dst_ip TEXT NOT NULL DEFAULT '',
			dst_port INTEGER NOT NULL DEFAULT 0,
			process TEXT NOT NULL DEFAULT '',
			command_line TEXT NOT NULL DEFAULT '',
			parent_process TEXT NOT NULL DEFAULT '',
			domain TEXT NOT NULL DEFAULT '',
			outcome TEXT NOT NULL DEFAULT '',
			source TEXT NOT NULL DEFAULT '',
			raw TEXT
		)`,
		`CREATE INDEX IF NOT EXISTS socflow_events_host_time ON socflow_events (host, event_time)`,
		`CREATE INDEX IF NOT EXISTS socflow_events_user_time ON socflow_events (user_name, event_time)`,
		`CREATE INDEX IF NOT EXISTS socflow_events_src_time ON socflow_events (src_ip, event_time)`,
		`CREATE INDEX IF NOT EXISTS socflow_events_dst_time ON socflow_events (dst_ip, event_time)`,
		// Retention deletes by time alone.
		`CREATE INDEX IF NOT EXISTS socflow_events_time ON socflow_events (event_time)`,
	}, caseMigration(), tokenMigration(), caseLinkMigration(), figuresMigration(), {
		// Playbooks ask by domain: who else got mail from this sender.
		`CREATE INDEX IF NOT EXISTS socflow_events_domain_time ON socflow_events (domain, event_time)`,
	}}
}

// columns are the stored fields, in the order insert and select use.
const columns = "event_time, kind, host, user_name, src_ip, dst_ip, dst_port, process, command_line, parent_process, domain, outcome, source, raw"

const numColumns = 14

// defaultPruneBatch bounds the rows one DELETE removes, so that retention
// never holds the write lock long enough to stall ingestion.
const defaultPruneBatch = 5000

// openTimeout bounds connecting and migrating when a store is opened.
const openTimeout = 30 * time.Second

// openSQLStore wraps db, migrating it, or, for a read-only store, checking
// that another process has already brought its schema up to date. It
// closes db on failure.
func openSQLStore(db *sql.DB, d dialect, readOnly bool) (*SQLStore, error) {
	s := &SQLStore{db: db, d: d, readOnly: readOnly, pruneBatch: defaultPruneBatch}
	s.insertFull = s.insertSQL(d.chunk)
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("events: connect to %s: %w", d.name, err)
	}
	check, what := s.migrate, "migrate"
	if readOnly {
		check, what = s.checkVersion, "read"
	}
	if err := check(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("events: %s %s schema: %w", what, d.name, err)
	}
	return s, nil
}

// checkVersion is a read-only store's migrate: it only reads the schema
// version, because a reader (the CLI beside a running worker) must neither
// take the write lock nor change a schema that its writer owns.
func (s *SQLStore) checkVersion(ctx context.Context) error {
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM socflow_events_schema`).Scan(&current); err != nil {
		return fmt.Errorf("no socflow event store here (%w): start the worker or `socflow dev` once to create it", err)
	}
	switch all := len(migrations()); {
	case current > all:
		return fmt.Errorf("the database has schema version %d, newer than this socflow knows (%d): upgrade socflow", current, all)
	case current < all:
		return fmt.Errorf("the database has schema version %d, older than this socflow's (%d): start the worker or `socflow dev` once to migrate it", current, all)
	}
	return nil
}

// errReadOnly refuses a write to a store opened with OpenReadOnly.
var errReadOnly = errors.New("the store was opened read-only")

func (s *SQLStore) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if s.d.lock != "" {
		if _, err := tx.ExecContext(ctx, s.d.lock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS socflow_events_schema (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM socflow_events_schema`).Scan(&current); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	all := migrations()
	if current > len(all) {
		return fmt.Errorf("the database has schema version %d, newer than this socflow knows (%d): upgrade socflow", current, len(all))
	}
	for v := current + 1; v <= len(all); v++ {
		for _, stmt := range all[v-1] {
			if _, err := tx.ExecContext(ctx, s.d.types.Replace(stmt)); err != nil {
				return fmt.Errorf("version %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO socflow_events_schema (version) VALUES (?)`), v); err != nil {
			return fmt.Errorf("version %d: %w", v, err)
		}
	}
	return tx.Commit()
}

// insertSQL is the INSERT statement for n rows.
func (s *SQLStore) insertSQL(n int) string {
	row := "(" + strings.Repeat("?, ", numColumns-1) + "?)"
	var b strings.Builder
	b.WriteString("INSERT INTO socflow_events (" + columns + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return s.d.rebind(b.String())
}

// Append implements Store. It refuses the whole batch, naming the first
// bad event's index and field, when any event is invalid: callers that
// want partial acceptance validate first, as DecodeBatch does.
func (s *SQLStore) Append(ctx context.Context, evs []Event) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	if s.readOnly {
		return 0, fmt.Errorf("events: append: %w", errReadOnly)
	}
	rows := make([]Event, len(evs))
	for i, e := range evs {
		e = e.Normalize()
		if err := e.Validate(); err != nil {
			return 0, fmt.Errorf("events: append: event %d: %w", i, err)
		}
		rows[i] = e
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("events: append: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	size := s.d.chunk
	args := make([]any, 0, min(len(rows), size)*numColumns)
	for start := 0; start < len(rows); start += size {
		chunk := rows[start:min(start+size, len(rows))]
		args = args[:0]
		for _, e := range chunk {
			var raw any
			if len(e.Raw) > 0 {
				raw = string(e.Raw)
			}
			args = append(args, s.d.timeArg(e.Time), e.Kind, e.Host, e.User, e.SrcIP, e.DstIP, e.DstPort,
				e.Process, e.CommandLine, e.ParentProcess, e.Domain, e.Outcome, e.Source, raw)
		}
		query := s.insertFull
		if len(chunk) != size {
			query = s.insertSQL(len(chunk))
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return 0, fmt.Errorf("events: append: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("events: append: commit: %w", err)
	}
	return len(rows), nil
}

// Related implements Store. A query that names no host, user or address
// returns nothing rather than every event in the window.
//
// The query has one branch per entity value (host = ?, user_name = ?,
// src_ip = ?, dst_ip = ?), each reading its index newest first and
// stopping after Limit rows, and the branches' union is sorted and cut
// again. One WHERE with ORs would instead collect every matching event in
// the window and sort them all: a firewall that reports every connection
// would make each enrichment read the whole window.
func (s *SQLStore) Related(ctx context.Context, q Query) ([]Event, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, fmt.Errorf("events: related: %w", err)
	}
	if len(q.Hosts)+len(q.Users)+len(q.IPs)+len(q.Domains) == 0 {
		return nil, nil
	}
	// id breaks ties between events of the same microsecond, so that the
	// order is stable (insertion order within a time).
	order := " ORDER BY event_time DESC, id DESC LIMIT ?"
	if q.OldestFirst {
		order = " ORDER BY event_time, id LIMIT ?"
	}
	filter := " AND event_time >= ? AND event_time <= ?"
	filterArgs := []any{s.d.timeArg(q.Before.Add(-q.Window)), s.d.timeArg(q.Before)}
	if len(q.Kinds) > 0 {
		filter += " AND kind IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(q.Kinds)), ", ") + ")"
		for _, k := range q.Kinds {
			filterArgs = append(filterArgs, k)
		}
	}
	if q.Outcome != "" {
		filter += " AND outcome = ?"
		filterArgs = append(filterArgs, q.Outcome)
	}
	var b strings.Builder
	var args []any
	b.WriteString("SELECT " + columns + " FROM (")
	n := 0
	branch := func(column string, vals []string) {
		for _, v := range vals {
			if n > 0 {
				b.WriteString(" UNION ")
			}
			n++
			// SQLite allows ORDER BY and LIMIT only on a whole compound
			// SELECT, hence each branch in a subquery; PostgreSQL before
			// 16 wants the subquery named.
			fmt.Fprintf(&b, "SELECT id, %s FROM (SELECT id, %s FROM socflow_events WHERE %s = ?%s%s) AS b%d",
				columns, columns, column, filter, order, n)
			args = append(args, v)
			args = append(args, filterArgs...)
			args = append(args, q.Limit)
		}
	}
	branch("host", q.Hosts)
	branch("user_name", q.Users)
	branch("src_ip", q.IPs)
	branch("dst_ip", q.IPs)
	branch("domain", q.Domains)
	b.WriteString(") AS matched" + order)
	args = append(args, q.Limit)

	rows, err := s.db.QueryContext(ctx, s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("events: related: %w", err)
	}
	defer rows.Close()
	var out []Event
	dest, get := s.d.newTimeDest()
	for rows.Next() {
		var e Event
		var raw sql.NullString
		if err := rows.Scan(dest, &e.Kind, &e.Host, &e.User, &e.SrcIP, &e.DstIP, &e.DstPort,
			&e.Process, &e.CommandLine, &e.ParentProcess, &e.Domain, &e.Outcome, &e.Source, &raw); err != nil {
			return nil, fmt.Errorf("events: related: scan: %w", err)
		}
		e.Time = get()
		if raw.Valid && raw.String != "" {
			e.Raw = []byte(raw.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: related: %w", err)
	}
	return out, nil
}

// Prune implements Pruner, deleting in batches.
func (s *SQLStore) Prune(ctx context.Context, olderThan time.Time) (int, error) {
	if s.readOnly {
		return 0, fmt.Errorf("events: prune: %w", errReadOnly)
	}
	query := s.d.rebind(`DELETE FROM socflow_events WHERE id IN (SELECT id FROM socflow_events WHERE event_time < ? LIMIT ?)`)
	total := 0
	for {
		res, err := s.db.ExecContext(ctx, query, s.d.timeArg(olderThan.UTC()), s.pruneBatch)
		if err != nil {
			return total, fmt.Errorf("events: prune: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("events: prune: %w", err)
		}
		total += int(n)
		if n < int64(s.pruneBatch) {
			return total, nil
		}
	}
}

// Close closes the database.
func (s *SQLStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("events: close: %w", err)
	}
	return nil
}

// Open opens the store a configuration names: a postgres:// or
// postgresql:// URL opens PostgreSQL, anything else is a SQLite file path
// ("" or ":memory:" for an in-memory database).
func Open(dsn string) (*SQLStore, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(dsn)
	}
	return OpenSQLite(dsn)
}

// OpenReadOnly opens the store dsn names, as Open does, for reading only:
// it neither creates nor migrates anything, and refuses writes. The
// schema must already be this socflow's (a worker opened it with Open).
// A SQLite store must be a file that exists; in WAL mode its reader runs
// beside the process that writes it.
func OpenReadOnly(dsn string) (*SQLStore, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgresReadOnly(dsn)
	}
	return OpenSQLiteReadOnly(dsn)
}
