package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// base is the reference time of the store tests: the alert's time.
var base = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// storeFactory opens an empty store for one test.
type storeFactory func(t *testing.T) Store

// factories are the stores every contract test runs against: SQLite in
// memory and in a file always, PostgreSQL when SOCFLOW_TEST_POSTGRES_DSN
// names a database to use.
func factories(t *testing.T) map[string]storeFactory {
	t.Helper()
	f := map[string]storeFactory{
		"sqlite-memory": func(t *testing.T) Store { return openSQLite(t, "") },
		"sqlite-file":   func(t *testing.T) Store { return openSQLite(t, filepath.Join(t.TempDir(), "events.db")) },
	}
	if dsn := os.Getenv("SOCFLOW_TEST_POSTGRES_DSN"); dsn != "" {
		f["postgres"] = func(t *testing.T) Store { return openPostgresSchema(t, dsn) }
	}
	return f
}

func openSQLite(t testing.TB, path string) *SQLStore {
	t.Helper()
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openPostgresSchema opens the store in a schema of its own (see
// postgresSchema).
func openPostgresSchema(t testing.TB, dsn string) *SQLStore {
	t.Helper()
	s, err := OpenPostgres(postgresSchema(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// postgresSchema creates a schema for one test, dropped when the test
// ends, so that tests neither see each other's events nor leave any
// behind, and returns dsn with that schema as its search path.
func postgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	schema := fmt.Sprintf("socflow_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// forEachStore runs test against every available store.
func forEachStore(t *testing.T, test func(t *testing.T, s Store)) {
	for name, open := range factories(t) {
		t.Run(name, func(t *testing.T) { test(t, open(t)) })
	}
	if os.Getenv("SOCFLOW_TEST_POSTGRES_DSN") == "" {
		t.Run("postgres", func(t *testing.T) { t.Skip("set SOCFLOW_TEST_POSTGRES_DSN to test PostgreSQL") })
	}
}

func mustAppend(t testing.TB, s Store, evs ...Event) {
	t.Helper()
	n, err := s.Append(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Fatalf("Append stored %d of %d", n, len(evs))
	}
}

func related(t *testing.T, s Store, q Query) []Event {
	t.Helper()
	evs, err := s.Related(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// summaries makes results easy to compare and to read in failures.
func summaries(evs []Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Time.Sub(base).String()+" "+Summary(e))
	}
	return out
}

func TestStoreRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		in := []Event{
			{Time: base.Add(-3 * time.Minute).Add(123456 * time.Nanosecond), Kind: "process_start", Host: "WS-042", User: "Alice",
				Process: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, CommandLine: "powershell.exe -enc SQBFAFgA",
				ParentProcess: "winword.exe", Source: "sysmon", Raw: json.RawMessage(`{"EventID":1,"Image":"powershell.exe"}`)},
			{Time: base.Add(-2 * time.Minute), Kind: "firewall_block", Host: "fw-1", SrcIP: "10.0.1.42", DstIP: "::ffff:203.0.113.7",
				DstPort: 443, Domain: "Evil.Example.", Source: "pfsense"},
			{Time: base.Add(-time.Minute).In(time.FixedZone("CET", 3600)), Kind: "authentication", User: "bob", SrcIP: "2001:DB8::50",
				Host: "dc01", Outcome: "FAILURE", Source: "okta"},
		}
		mustAppend(t, s, in...)
		got := related(t, s, Query{Hosts: []string{"ws-042", "fw-1"}, Users: []string{"bob"}, Before: base})
		if len(got) != 3 {
			t.Fatalf("got %d events, want 3: %v", len(got), summaries(got))
		}
		for i, want := range []Event{in[2].Normalize(), in[1].Normalize(), in[0].Normalize()} {
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("event %d:\n got %#v\nwant %#v", i, got[i], want)
			}
		}
		if got[0].Time.Location() != time.UTC || !got[0].Time.Equal(base.Add(-time.Minute)) {
			t.Errorf("time = %v, want %v in UTC", got[0].Time, base.Add(-time.Minute))
		}
		if got[1].DstIP != "203.0.113.7" || got[1].Domain != "evil.example" || got[0].SrcIP != "2001:db8::50" || got[2].User != "alice" {
			t.Errorf("values not normalised: %+v", got)
		}
		if want := base.Add(-3 * time.Minute).Add(123 * time.Microsecond); !got[2].Time.Equal(want) {
			t.Errorf("time = %v, want microsecond precision %v", got[2].Time, want)
		}
	})
}

func TestStoreWindowBoundaries(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		window := 30 * time.Minute
		at := func(d time.Duration, name string) Event {
			return Event{Time: base.Add(d), Kind: KindDNS, Host: "ws-042", Domain: name}
		}
		mustAppend(t, s,
			at(-window-time.Microsecond, "just-before-start"),
			at(-window, "start"),
			at(-window/2, "middle"),
			at(0, "end"),
			at(time.Microsecond, "just-after-end"),
		)
		var got []string
		for _, e := range related(t, s, Query{Hosts: []string{"ws-042"}, Before: base, Window: window}) {
			got = append(got, e.Domain)
		}
		if want := []string{"end", "middle", "start"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v (both ends inclusive)", got, want)
		}
	})
}

func TestStoreEntityMatching(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ev := func(min int, kind, host, user, src, dst, outcome string) Event {
			return Event{Time: base.Add(-time.Duration(min) * time.Minute), Kind: kind, Host: host, User: user, SrcIP: src, DstIP: dst, Outcome: outcome}
		}
		mustAppend(t, s,
			ev(1, KindProcessStart, "ws-042", "alice", "", "", ""),
			ev(2, KindNetworkConnection, "ws-042", "", "10.0.1.42", "203.0.113.7", ""),
			ev(3, KindFirewallBlock, "fw-1", "", "10.0.1.99", "203.0.113.7", ""),
			ev(4, KindAuthentication, "dc01", "bob", "203.0.113.50", "", OutcomeFailure),
			ev(5, KindAuthentication, "dc01", "bob", "203.0.113.50", "", OutcomeSuccess),
			ev(6, KindProcessStart, "ws-007", "carol", "", "", ""),
			ev(7, KindDNS, "ws-007", "", "2001:db8::7", "", ""),
		)
		tests := []struct {
			name string
			q    Query
			want []string // hosts of the matching events, newest first
		}{
			{"host", Query{Hosts: []string{"WS-042"}}, []string{"ws-042", "ws-042"}},
			{"user, any case", Query{Users: []string{"Bob"}}, []string{"dc01", "dc01"}},
			{"ip as destination", Query{IPs: []string{"203.0.113.7"}}, []string{"ws-042", "fw-1"}},
			{"ip as source", Query{IPs: []string{"10.0.1.99"}}, []string{"fw-1"}},
			{"ipv4-mapped ip", Query{IPs: []string{"::ffff:203.0.113.50"}}, []string{"dc01", "dc01"}},
			{"ipv6 in another spelling", Query{IPs: []string{"2001:DB8:0::7"}}, []string{"ws-007"}},
			{"any of several entities", Query{Hosts: []string{"ws-007"}, Users: []string{"alice"}, IPs: []string{"10.0.1.99"}}, []string{"ws-042", "fw-1", "ws-007", "ws-007"}},
			{"kinds", Query{Hosts: []string{"ws-042", "ws-007"}, Kinds: []string{KindProcessStart}}, []string{"ws-042", "ws-007"}},
			{"failed logins", Query{Users: []string{"bob"}, Kinds: []string{KindAuthentication}, Outcome: OutcomeFailure}, []string{"dc01"}},
			{"no match", Query{Hosts: []string{"nowhere"}, Users: []string{"mallory"}, IPs: []string{"192.0.2.1"}}, nil},
			{"no entities", Query{}, nil},
			{"blank entities", Query{Hosts: []string{"", " "}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.Before = base
				var got []string
				for _, e := range related(t, s, tt.q) {
					got = append(got, e.Host)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestStoreLimitAndOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		var evs []Event
		for i := range 10 {
			evs = append(evs, Event{Time: base.Add(-time.Duration(10-i) * time.Second), Kind: KindDNS, Host: "h", Domain: fmt.Sprintf("d%d", i)})
		}
		// Two events in the same microsecond come back in insertion order
		// (reversed for newest first).
		evs = append(evs, Event{Time: base, Kind: KindDNS, Host: "h", Domain: "tie-a"}, Event{Time: base, Kind: KindDNS, Host: "h", Domain: "tie-b"})
		mustAppend(t, s, evs...)
		domains := func(q Query) []string {
			q.Hosts, q.Before = []string{"h"}, base
			var out []string
			for _, e := range related(t, s, q) {
				out = append(out, e.Domain)
			}
			return out
		}
		if got, want := domains(Query{Limit: 4}), []string{"tie-b", "tie-a", "d9", "d8"}; !reflect.DeepEqual(got, want) {
			t.Errorf("newest first: got %v, want %v", got, want)
		}
		if got, want := domains(Query{Limit: 3, OldestFirst: true}), []string{"d0", "d1", "d2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("oldest first: got %v, want %v", got, want)
		}
		if got := domains(Query{}); len(got) != 12 {
			t.Errorf("default limit: got %d events, want all 12", len(got))
		}
	})
}

func TestStorePrune(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		const batch = 4
		s.(*SQLStore).pruneBatch = batch
		var evs []Event
		for i := range 2*batch + 1 { // more than one DELETE batch
			evs = append(evs, Event{Time: base.Add(-48*time.Hour + time.Duration(i)*time.Millisecond), Kind: KindDNS, Host: "old"})
		}
		evs = append(evs, Event{Time: base.Add(-time.Hour), Kind: KindDNS, Host: "new"}, Event{Time: base.Add(-24 * time.Hour), Kind: KindDNS, Host: "boundary"})
		mustAppend(t, s, evs...)
		n, err := s.Prune(context.Background(), base.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2*batch+1 {
			t.Errorf("pruned %d, want %d", n, 2*batch+1)
		}
		got := related(t, s, Query{Hosts: []string{"old", "new", "boundary"}, Before: base, Window: 72 * time.Hour})
		if len(got) != 2 || got[0].Host != "new" || got[1].Host != "boundary" {
			t.Errorf("left %v, want the new event and the one exactly at the cut-off", summaries(got))
		}
		if n, err := s.Prune(context.Background(), base.Add(-24*time.Hour)); err != nil || n != 0 {
			t.Errorf("second prune = %d, %v; want 0, nil", n, err)
		}
	})
}

// bigBatch spans several INSERT statements in every dialect.
const bigBatch = postgresChunk + 7

func TestStoreAppendIsAtomic(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		var evs []Event
		for range bigBatch {
			evs = append(evs, Event{Time: base, Kind: KindDNS, Host: "h"})
		}
		evs = append(evs, Event{Time: base, Kind: "telepathy", Host: "h"})
		_, err := s.Append(context.Background(), evs)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("event %d: kind:", bigBatch)) {
			t.Fatalf("error %v, want one naming event %d and its kind", err, bigBatch)
		}
		if got := related(t, s, Query{Hosts: []string{"h"}, Before: base}); len(got) != 0 {
			t.Errorf("%d events stored from a refused batch", len(got))
		}
		// A large valid batch spans several INSERT chunks.
		n, err := s.Append(context.Background(), evs[:len(evs)-1])
		if err != nil || n != bigBatch {
			t.Fatalf("Append = %d, %v", n, err)
		}
		if got := related(t, s, Query{Hosts: []string{"h"}, Before: base, Limit: MaxLimit}); len(got) != bigBatch {
			t.Errorf("stored %d, want %d", len(got), bigBatch)
		}
		if n, err := s.Append(context.Background(), nil); n != 0 || err != nil {
			t.Errorf("Append(nil) = %d, %v", n, err)
		}
	})
}

func TestStoreQueryErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		many := make([]string, MaxQueryValues+1)
		for i := range many {
			many[i] = fmt.Sprintf("h%d", i)
		}
		tests := []struct {
			name string
			q    Query
			want string
		}{
			{"no before", Query{Hosts: []string{"h"}}, "before is required"},
			{"negative window", Query{Hosts: []string{"h"}, Before: base, Window: -time.Minute}, "window"},
			{"negative limit", Query{Hosts: []string{"h"}, Before: base, Limit: -1}, "limit"},
			{"unknown kind", Query{Hosts: []string{"h"}, Before: base, Kinds: []string{"telepathy"}}, `"telepathy"`},
			{"too many values", Query{Hosts: many, Before: base}, "more than the"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Related(context.Background(), tt.q)
				if err == nil || !strings.HasPrefix(err.Error(), "events: related: ") || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want one containing %q", err, tt.want)
				}
			})
		}
	})
}

func TestStoreCanceledContext(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Append(ctx, []Event{{Time: base, Kind: KindDNS, Host: "h"}}); err == nil {
			t.Error("Append with a canceled context succeeded")
		}
		if _, err := s.Related(ctx, Query{Hosts: []string{"h"}, Before: base}); err == nil {
			t.Error("Related with a canceled context succeeded")
		}
	})
}

func TestSQLiteReopenAndMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub dir?#", "events.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, Event{Time: base, Kind: KindDNS, Host: "h"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}

	// Opening again migrates nothing and keeps the data.
	s = openSQLite(t, path)
	if got := related(t, s, Query{Hosts: []string{"h"}, Before: base}); len(got) != 1 {
		t.Fatalf("after reopening: %d events, want 1", len(got))
	}
	var versions int
	var mode string
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM socflow_events_schema`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations()) || mode != "wal" {
		t.Errorf("schema rows %d (want %d), journal_mode %q (want wal)", versions, len(migrations()), mode)
	}

	// A database from a newer socflow is refused rather than misread.
	if _, err := s.db.Exec(`INSERT INTO socflow_events_schema (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLite(path); err == nil || !strings.Contains(err.Error(), "newer than this socflow") {
		t.Errorf("open of a newer schema: %v", err)
	}
}

func TestSQLiteOpenErrors(t *testing.T) {
	_, err := OpenSQLite(filepath.Join(t.TempDir(), "missing-dir", "events.db"))
	if err == nil || !strings.HasPrefix(err.Error(), "events: ") {
		t.Errorf("error %v, want an events: error", err)
	}
}

// TestSQLiteConcurrentUse writes and reads from many goroutines at once:
// with WAL, busy_timeout and immediate transactions no caller may see
// "database is locked".
func TestSQLiteConcurrentUse(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "events.db"))
	const writers, batches = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*batches)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				evs := make([]Event, 50)
				for i := range evs {
					evs[i] = Event{Time: base.Add(-time.Duration(b*50+i) * time.Millisecond), Kind: KindDNS, Host: fmt.Sprintf("h%d", w)}
				}
				if _, err := s.Append(context.Background(), evs); err != nil {
					errs <- err
				}
				if _, err := s.Related(context.Background(), Query{Hosts: []string{fmt.Sprintf("h%d", w)}, Before: base}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range batches {
			if _, err := s.Prune(context.Background(), base.Add(-time.Hour)); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := related(t, s, Query{Hosts: []string{"h0", "h1", "h2", "h3"}, Before: base, Limit: MaxLimit})
	if len(got) != writers*batches*50 {
		t.Errorf("stored %d, want %d", len(got), writers*batches*50)
	}
}

// TestPostgresConcurrentOpen opens one database from several stores at
// once, as several socflow processes would: the advisory lock must
// serialise the migrations.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := os.Getenv("SOCFLOW_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set SOCFLOW_TEST_POSTGRES_DSN to test PostgreSQL")
	}
	dsn = postgresSchema(t, dsn)
	var wg sync.WaitGroup
	stores := make([]*SQLStore, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = OpenPostgres(dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var versions int
	if err := stores[0].db.QueryRow(`SELECT COUNT(*) FROM socflow_events_schema`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations()) {
		t.Errorf("%d schema versions recorded, want %d", versions, len(migrations()))
	}
	mustAppend(t, stores[1], Event{Time: base, Kind: KindDNS, Host: "h"})
	if got := related(t, stores[2], Query{Hosts: []string{"h"}, Before: base}); len(got) != 1 {
		t.Errorf("another store sees %d events, want 1", len(got))
	}
}

func TestOpenDispatch(t *testing.T) {
	s, err := Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.d.name != "sqlite" {
		t.Errorf("Open(:memory:) opened %s", s.d.name)
	}
	// An unreachable PostgreSQL URL is tried as PostgreSQL, not as a file.
	_, err = Open("postgres://socflow@127.0.0.1:1/none?connect_timeout=1")
	if err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Errorf("Open(postgres://...) error %v, want a postgres connection error", err)
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		numbered bool
		in, want string
	}{
		{false, "a = ? AND b IN (?, ?)", "a = ? AND b IN (?, ?)"},
		{true, "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{true, "no parameters", "no parameters"},
	}
	for _, tt := range tests {
		if got := (dialect{numbered: tt.numbered}).rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmailRecipientsByDomain: email events are found by the sender's
// domain (any case, trailing dot), kind narrows the answer, each event
// names its recipient, and an email without one is refused.
func TestEmailRecipientsByDomain(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "events.db"))
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mustAppend(t, s,
		Event{Time: at, Kind: KindEmail, User: "Alice@corp.example", Domain: "evil-invoices.example", Source: "o365"},
		Event{Time: at.Add(time.Minute), Kind: KindEmail, User: "bob@corp.example", Domain: "evil-invoices.example", Source: "o365"},
		Event{Time: at.Add(2 * time.Minute), Kind: KindDNS, Host: "ws-7", Domain: "evil-invoices.example"},
		Event{Time: at.Add(3 * time.Minute), Kind: KindEmail, User: "carol@corp.example", Domain: "partner.example", Source: "o365"},
	)
	got := related(t, s, Query{Domains: []string{"Evil-Invoices.example."}, Kinds: []string{KindEmail}, Before: at.Add(time.Hour)})
	var users []string
	for _, e := range RelatedEvents(got) {
		users = append(users, e.User)
	}
	if !slices.Equal(users, []string{"bob@corp.example", "alice@corp.example"}) {
		t.Errorf("recipients %v, want bob and alice, newest first", users)
	}
	if all := related(t, s, Query{Domains: []string{"evil-invoices.example"}, Before: at.Add(time.Hour)}); len(all) != 3 {
		t.Errorf("every kind: %d events, want 3", len(all))
	}
	err := (Event{Time: at, Kind: KindEmail, Domain: "evil-invoices.example"}).Validate()
	if err == nil || !strings.Contains(err.Error(), "required for email") {
		t.Errorf("an email without a recipient: %v", err)
	}
}
