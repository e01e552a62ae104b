package events

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	// The pure-Go SQLite driver, registered as "sqlite": no cgo, so the
	// binary stays static.
	_ "modernc.org/sqlite"
)

// sqlitePragmas are applied to every connection. WAL lets enrichment read
// while ingestion writes; synchronous=NORMAL is durable across process
// crashes in WAL mode and several times faster than FULL; busy_timeout
// makes a writer wait for the lock instead of failing. temp_store=MEMORY
// keeps multi-row INSERTs' statement journals off disk, and a 32 MB page
// cache (allocated as used) holds a 500-event batch's index pages, which
// land all over four indexes, without spilling them mid-transaction.
// _txlock=immediate takes the write lock at BEGIN, where busy_timeout
// applies, rather than at the first write, where a lock upgrade can fail
// at once.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
	"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)&_txlock=immediate"

// OpenSQLite opens (creating if needed) the SQLite event store at path and
// brings its schema up to date. "" or ":memory:" opens a private in-memory
// database, gone when the store is closed.
func OpenSQLite(path string) (*SQLStore, error) {
	memory := path == "" || path == ":memory:"
	dsn := ":memory:?_pragma=busy_timeout(5000)&_txlock=immediate"
	if !memory {
		// A file: URI so that a path containing ? or # is not mistaken
		// for parameters; EscapedPath escapes them and keeps the slashes.
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("events: open sqlite %s: %w", path, err)
	}
	if memory {
		// Every connection to :memory: is a different, empty database:
		// keep exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		// SQLite has one writer at a time; a few connections let readers
		// run beside it without piling up waiters.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
	}
	return openSQLStore(db, sqliteDialect(), false)
}

// sqliteReadPragmas are a reader's: mode=ro, busy_timeout for the rare
// moments a WAL reader must wait (while the writer resets the log), and no
// journal mode, which is the writer's to choose (WAL, which is what lets
// this reader run beside it).
const sqliteReadPragmas = "mode=ro&_pragma=busy_timeout(5000)"

// OpenSQLiteReadOnly opens the SQLite event store at path for reading only
// (see OpenReadOnly). The file must exist: a reader never creates one, so
// that a mistyped path is an error rather than an empty store.
func OpenSQLiteReadOnly(path string) (*SQLStore, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("events: a read-only SQLite store needs a file, not an in-memory database")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("events: open sqlite %s read-only: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+sqliteReadPragmas)
	if err != nil {
		return nil, fmt.Errorf("events: open sqlite %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return openSQLStore(db, sqliteDialect(), true)
}

func sqliteDialect() dialect {
	return dialect{
		name: "sqlite",
		// modernc's bind looks each parameter up among all the arguments,
		// so a statement's cost grows with the square of its parameters:
		// 16 rows (224 parameters) measured fastest.
		chunk: 16,
		types: strings.NewReplacer("{{id}}", "INTEGER PRIMARY KEY", "{{time}}", "INTEGER"),
		// Times are Unix microseconds: an integer sorts and compares
		// exactly, where SQLite's text times depend on their format.
		timeArg: func(t time.Time) any { return t.UnixMicro() },
		newTimeDest: func() (any, func() time.Time) {
			var us int64
			return &us, func() time.Time { return time.UnixMicro(us).UTC() }
		},
	}
}
