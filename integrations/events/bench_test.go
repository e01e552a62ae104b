package events

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchStores are the stores the benchmarks measure: a SQLite file (the
// default deployment), SQLite in memory, and PostgreSQL when configured.
func benchStores(b *testing.B) map[string]func(b *testing.B) Store {
	m := map[string]func(b *testing.B) Store{
		"sqlite-file":   func(b *testing.B) Store { return openSQLite(b, filepath.Join(b.TempDir(), "events.db")) },
		"sqlite-memory": func(b *testing.B) Store { return openSQLite(b, "") },
	}
	if dsn := os.Getenv("SOCFLOW_TEST_POSTGRES_DSN"); dsn != "" {
		m["postgres"] = func(b *testing.B) Store { return openPostgresSchema(b, dsn) }
	}
	return m
}

// telemetry makes n events shaped like a busy network: a mix of kinds over
// 500 hosts, 200 users and 1,000 external addresses, one every 10 ms from
// start.
func telemetry(n int, start time.Time) []Event {
	kinds := Kinds()
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			Time:    start.Add(time.Duration(i) * 10 * time.Millisecond),
			Kind:    kinds[i%len(kinds)],
			Host:    fmt.Sprintf("ws-%03d", i%500),
			User:    fmt.Sprintf("user%03d", i%200),
			SrcIP:   fmt.Sprintf("10.0.%d.%d", i%4, i%250+1),
			DstIP:   fmt.Sprintf("203.0.%d.%d", 113+i%4, i%250+1),
			DstPort: 443,
			Process: "chrome.exe",
			Outcome: OutcomeSuccess,
			Source:  "bench",
		}
	}
	return evs
}

// BenchmarkAppend measures ingestion in batches of 500, as POST /v1/events
// receives them from a log shipper.
func BenchmarkAppend(b *testing.B) {
	const batch = 500
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			evs := telemetry(batch, time.Now())
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Append(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkRelated measures the enrichment query (one host, one user and
// one address, a one-hour window, at most 100 events) against a store
// holding 100,000 events. They span about 17 minutes, so the window covers
// them all and the entity indexes, not the time bound, do the work.
//
// "busy entity" asks about a firewall that reported every one of the
// events: the query must still read only the newest few, not sort them all.
func BenchmarkRelated(b *testing.B) {
	const stored = 100_000
	start := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	before := start.Add(stored * 10 * time.Millisecond)
	queries := map[string]func(n int) Query{
		"host+user+ip": func(n int) Query {
			return Query{
				Hosts: []string{fmt.Sprintf("ws-%03d", n%500)},
				Users: []string{fmt.Sprintf("user%03d", n%200)},
				IPs:   []string{fmt.Sprintf("203.0.113.%d", n%250+1)},
			}
		},
		"busy entity": func(int) Query { return Query{Hosts: []string{"fw-1"}} },
		"busy entity+user": func(n int) Query {
			return Query{Hosts: []string{"fw-1"}, Users: []string{fmt.Sprintf("user%03d", n%200)}}
		},
	}
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			evs := telemetry(stored, start)
			fw := make([]Event, len(evs))
			for i, e := range evs {
				e.Kind, e.Host, e.User = KindFirewallAllow, "fw-1", ""
				fw[i] = e
			}
			for _, all := range [][]Event{evs, fw} {
				for i := 0; i < len(all); i += 5000 {
					if _, err := s.Append(context.Background(), all[i:min(i+5000, len(all))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			for qname, query := range queries {
				b.Run(qname, func(b *testing.B) {
					ctx := context.Background()
					n := 0
					for b.Loop() {
						q := query(n)
						q.Before, q.Window, q.Limit = before, time.Hour, 100
						got, err := s.Related(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						if len(got) == 0 {
							b.Fatal("no events found")
						}
						n++
					}
				})
			}
		})
	}
}
