package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/intel/inteltest"
)

// IntelFigures are the intel index's figures at scale.
type IntelFigures struct {
	Indicators int `json:"indicators"`
	// LoadS is the time to load them from a CSV watchlist with every
	// column; HeapMB the heap the loaded index holds.
	LoadS  float64 `json:"load_s"`
	HeapMB float64 `json:"heap_mb"`
	// Lookup costs, hit and miss, and the allocations per lookup.
	HitNs       float64 `json:"lookup_hit_ns"`
	MissNs      float64 `json:"lookup_miss_ns"`
	HitAllocs   float64 `json:"lookup_hit_allocs"`
	MissAllocs  float64 `json:"lookup_miss_allocs"`
	LoadAllocMB float64 `json:"load_alloc_mb"`
}

// runIntel loads a generated watchlist of a third each IPv4 addresses,
// domains and SHA-256 hashes, then times lookups.
func runIntel(_ context.Context, o *Options, r *Report) error {
	n := o.Sizes.Intel
	if n <= 0 {
		return nil
	}
	path := filepath.Join(o.DataDir, "watchlist.csv")
	if err := inteltest.WriteWatchlist(path, n, true); err != nil {
		return err
	}
	defer os.Remove(path)
	base := heapInUse()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	ix, err := intel.LoadFile(path)
	if err != nil {
		return err
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	heap := heapInUse() - base
	if ix.Len() != n {
		return fmt.Errorf("index holds %d of %d indicators", ix.Len(), n)
	}
	f := &IntelFigures{
		Indicators: n, LoadS: round(took.Seconds(), 3), HeapMB: round(float64(heap)/(1<<20), 1),
		LoadAllocMB: round(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), 1),
	}
	hit, miss := inteltest.Indicator(3*(n/6)+1), "benign.example.org"
	f.HitNs, f.HitAllocs = timeLookups(ix, hit)
	f.MissNs, f.MissAllocs = timeLookups(ix, miss)
	runtime.KeepAlive(ix)
	r.Intel = f
	o.progress("  %d indicators loaded in %.2f s into %.1f MB (target < 2 s, < 100 MB); lookup hit %.0f ns %.0f allocs, miss %.0f ns %.0f allocs",
		n, f.LoadS, f.HeapMB, f.HitNs, f.HitAllocs, f.MissNs, f.MissAllocs)
	return nil
}

// timeLookups returns the mean time and allocations of a lookup.
func timeLookups(ix *intel.Index, v string) (ns, allocs float64) {
	const n = 200_000
	// The activity appends into a slice it reuses, as here.
	dst := make([]alert.IntelHit, 0, 8)
	if len(ix.AppendLookup(dst, v)) == 0 && v != "benign.example.org" {
		return -1, -1
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range n {
		dst = ix.AppendLookup(dst[:0], v)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return round(float64(took.Nanoseconds())/n, 0), round(float64(after.Mallocs-before.Mallocs)/n, 2)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
