package events

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	// pgx's database/sql driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises schema
// migrations across socflow processes sharing a database (an arbitrary
// constant: "sfev" in ASCII).
const migrationLockKey = 0x73666576

// postgresChunk rows go in one INSERT: a multi-row statement costs one
// round trip where single rows cost one each, and 256×14 parameters stay
// well under PostgreSQL's limit of 65,535.
const postgresChunk = 256

// OpenPostgres connects to the PostgreSQL database dsn names (a URL or a
// key=value string, as pgx accepts) and brings the event store's schema up
// to date. The tables are prefixed socflow_, so the database may be shared.
func OpenPostgres(dsn string) (*SQLStore, error) {
	return openPostgres(dsn, false)
}

// OpenPostgresReadOnly connects to the PostgreSQL database dsn names for
// reading only (see OpenReadOnly): the CLI reads the case file so, without
// migrating a schema that the workers own.
func OpenPostgresReadOnly(dsn string) (*SQLStore, error) {
	return openPostgres(dsn, true)
}

func openPostgres(dsn string, readOnly bool) (*SQLStore, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("events: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return openSQLStore(db, dialect{
		name:     "postgres",
		chunk:    postgresChunk,
		types:    strings.NewReplacer("{{id}}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "{{time}}", "TIMESTAMPTZ"),
		numbered: true,
		lock:     fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
		timeArg:  func(t time.Time) any { return t.UTC() },
		newTimeDest: func() (any, func() time.Time) {
			var t time.Time
			return &t, func() time.Time { return t.UTC() }
		},
	}, readOnly)
}
