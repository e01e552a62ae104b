package intel_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/intel/inteltest"
)

// million is the size the index is built for.
const million = 1_000_000

// writeBenchFile writes n generated indicators as a plain list (.txt) or a
// CSV with every column (.csv).
func writeBenchFile(b *testing.B, name string, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	if err := inteltest.WriteWatchlist(path, n, filepath.Ext(name) == ".csv"); err != nil {
		b.Fatal(err)
	}
	return path
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLoad1M loads a million indicators (a third each IPv4, domains
// and SHA-256) from a plain list and from a CSV. Besides the time and
// allocations per load it reports the heap the loaded index holds.
func BenchmarkLoad1M(b *testing.B) {
	for _, name := range []string{"list.txt", "watchlist.csv"} {
		b.Run(name, func(b *testing.B) {
			path := writeBenchFile(b, name, million)
			b.ReportAllocs()
			var ix *intel.Index
			var heap, alloc uint64
			var took time.Duration
			b.ResetTimer()
			for range b.N {
				// The heap is measured around each load with the timer
				// stopped, so the forced collections are not timed.
				b.StopTimer()
				ix = nil
				base := heapInUse()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				b.StartTimer()
				var err error
				if ix, err = intel.LoadFile(path); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				took += time.Since(start)
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				alloc += after.TotalAlloc - before.TotalAlloc
				heap = heapInUse() - base
				b.StartTimer()
			}
			if ix.Len() != million {
				b.Fatalf("Len() = %d, want %d", ix.Len(), million)
			}
			b.ReportMetric(took.Seconds()/float64(b.N), "s/load")
			b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "MB-alloc/load")
			b.ReportMetric(float64(heap)/(1<<20), "MB-heap")
			b.ReportMetric(float64(heap)/million, "B-heap/indicator")
			runtime.KeepAlive(ix)
		})
	}
}

// BenchmarkLookup1M looks indicators up in a million-entry index: hits and
// misses of every kind, first with Lookup, which allocates the result of a
// hit (and a copy of its labels), then with AppendLookup into a reused
// slice ("append/..."), which allocates nothing.
//
// Each case first runs its lookup warmupLookups times untimed. Without
// that, a run of -benchtime 3x timed the first touches of the index's
// memory after the load and reported 1-10 µs for what costs 50-300 ns,
// and the figure changed with the iteration count (30x, 300x, 3000x gave
// ever smaller ones) rather than with the code.
func BenchmarkLookup1M(b *testing.B) {
	ix, err := intel.LoadFile(writeBenchFile(b, "list.txt", million))
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []string{"172.16.0.0/12", "192.168.0.0/16", "2001:db8::/32"} {
		if err := ix.Add(intelHit(r)); err != nil {
			b.Fatal(err)
		}
	}
	labelled := intelHit("labelled.evil-example.net")
	labelled.Labels = []string{"c2", "botnet"}
	for _, h := range []alert.IntelHit{labelled, intelHit("2001:db8:1::7")} {
		if err := ix.Add(h); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct{ name, value string }{
		{"ipv4-hit", inteltest.Indicator(3 * 4242)},
		{"ipv4-miss", "192.0.2.44"},
		{"ipv4-in-range", "172.16.5.5"},
		{"ipv6-hit", "2001:db8:1::7"},
		{"ipv6-miss", "2001:db9::1"},
		{"domain-hit", inteltest.Indicator(3*4242 + 1)},
		{"domain-hit-labelled", "labelled.evil-example.net"},
		{"domain-miss", "benign.example.org"},
		{"sha256-hit", inteltest.Indicator(3*4242 + 2)},
		{"sha256-miss", "00" + inteltest.Indicator(2)[2:]},
		{"url-miss", "https://benign.example.org/index.html"},
	}
	for _, q := range cases {
		b.Run(q.name, func(b *testing.B) {
			for range warmupLookups {
				ix.Lookup(q.value)
			}
			b.ReportAllocs()
			for b.Loop() {
				ix.Lookup(q.value)
			}
		})
	}
	for _, q := range cases {
		b.Run("append/"+q.name, func(b *testing.B) {
			dst := make([]alert.IntelHit, 0, 8)
			for range warmupLookups {
				dst = ix.AppendLookup(dst[:0], q.value)
			}
			if strings.HasSuffix(q.name, "-hit") || strings.HasSuffix(q.name, "-range") || strings.HasSuffix(q.name, "-labelled") {
				if len(dst) == 0 {
					b.Fatalf("AppendLookup(%q) found nothing, want a hit", q.value)
				}
			} else if len(dst) != 0 {
				b.Fatalf("AppendLookup(%q) = %v, want a miss", q.value, dst)
			}
			b.ReportAllocs()
			for b.Loop() {
				dst = ix.AppendLookup(dst[:0], q.value)
			}
		})
	}
}

// warmupLookups is how often a lookup benchmark runs its lookup before
// timing it; see BenchmarkLookup1M.
const warmupLookups = 1000

func intelHit(indicator string) alert.IntelHit {
	return alert.IntelHit{Indicator: indicator, Source: "bench", Confidence: 60}
}
