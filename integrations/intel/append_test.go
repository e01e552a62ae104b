package intel_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/intel"
)

func TestAppendLookup(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ix := intel.New(intel.WithClock(func() time.Time { return now }))
	for _, h := range []alert.IntelHit{
		{Indicator: "203.0.113.7", Source: "exact", Confidence: 90, Labels: []string{"c2", "cobalt-strike"}, Description: "team server"},
		{Indicator: "203.0.113.0/24", Source: "range", Confidence: 60},
		{Indicator: "2001:db8::1", Source: "exact6", Confidence: 90},
		{Indicator: "update-check.example.net", Source: "dom", Confidence: 80},
		{Indicator: strings.Repeat("ab", 32), Source: "sha256", Confidence: 95},
	} {
		if err := ix.Add(h); err != nil {
			t.Fatalf("Add(%+v): %v", h, err)
		}
	}
	// Windows are checked as Lookup checks them.
	for _, e := range []intel.Entry{
		{IntelHit: alert.IntelHit{Indicator: "later.example.net", Source: "future"}, ValidFrom: now.Add(time.Hour)},
		{IntelHit: alert.IntelHit{Indicator: "update-check.example.net", Source: "window"}, ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(time.Hour)},
	} {
		if err := ix.AddEntry(e); err != nil {
			t.Fatal(err)
		}
	}

	prefix := alert.IntelHit{Indicator: "already-there", Source: "caller"}
	tests := []struct {
		name, query string
		want        []string
		// allocs is what AppendLookup may allocate into a dst with room:
		// nothing, unless the hit's indicator has to be spelled anew.
		allocs float64
	}{
		{"v4 hit then its range", "203.0.113.7", []string{"203.0.113.7@exact", "203.0.113.0/24@range"}, 0},
		{"range hit only", "203.0.113.50", []string{"203.0.113.0/24@range"}, 0},
		{"CIDR as listed", "203.0.113.0/24", []string{"203.0.113.0/24@range"}, 0},
		{"v6 hit, canonical", "2001:db8::1", []string{"2001:db8::1@exact6"}, 0},
		{"v6 hit, respelled", "2001:DB8:0::1", []string{"2001:db8::1@exact6"}, 1},
		{"domain hit from two sources", "update-check.example.net", []string{"update-check.example.net@dom", "update-check.example.net@window"}, 0},
		{"hash hit", strings.Repeat("ab", 32), []string{strings.Repeat("ab", 32) + "@sha256"}, 0},
		{"hash hit, upper case", strings.Repeat("AB", 32), []string{strings.Repeat("ab", 32) + "@sha256"}, 1},
		{"not yet valid", "later.example.net", nil, 0},
		{"v4 miss", "192.0.2.44", nil, 0},
		{"domain miss", "benign.example.org", nil, 0},
		{"hash miss", strings.Repeat("cd", 32), nil, 0},
		{"url miss", "https://benign.example.org/index.html", nil, 0},
		{"empty", " ", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]alert.IntelHit, 1, 8)
			dst[0] = prefix
			got := ix.AppendLookup(dst, tt.query)
			if &got[0] != &dst[0] {
				t.Error("AppendLookup did not append into dst, which had room")
			}
			if got[0].Indicator != prefix.Indicator || got[0].Source != prefix.Source {
				t.Errorf("dst[0] = %+v, want the caller's hit untouched", got[0])
			}
			if keys := hitKeys(got[1:]); !slices.Equal(keys, tt.want) {
				t.Errorf("AppendLookup(%q) appended %q, want %q", tt.query, keys, tt.want)
			}
			// The same hits as Lookup, field for field.
			if want := ix.Lookup(tt.query); !sameHits(got[1:], want) {
				t.Errorf("AppendLookup(%q) = %+v, Lookup = %+v", tt.query, got[1:], want)
			}
			allocs := testing.AllocsPerRun(50, func() {
				dst = ix.AppendLookup(dst[:0], tt.query)
			})
			if allocs != tt.allocs {
				t.Errorf("AppendLookup(%q) into a reused dst allocates %v times, want %v", tt.query, allocs, tt.allocs)
			}
		})
	}

	t.Run("nil dst and no hit stays nil", func(t *testing.T) {
		if got := ix.AppendLookup(nil, "192.0.2.44"); got != nil {
			t.Errorf("AppendLookup(nil, miss) = %v, want nil", got)
		}
	})
	t.Run("labels are shared but capped", func(t *testing.T) {
		hs := ix.AppendLookup(nil, "203.0.113.7")
		if got := hs[0].Labels; !slices.Equal(got, []string{"c2", "cobalt-strike"}) || cap(got) != len(got) {
			t.Fatalf("Labels = %q (cap %d), want [c2 cobalt-strike] with no spare capacity", got, cap(got))
		}
		_ = append(hs[0].Labels, "appended")
		if again := ix.Lookup("203.0.113.7"); !slices.Equal(again[0].Labels, []string{"c2", "cobalt-strike"}) {
			t.Errorf("appending to a hit's Labels reached the index: %q", again[0].Labels)
		}
	})
}

func sameHits(a, b []alert.IntelHit) bool {
	return slices.EqualFunc(a, b, func(x, y alert.IntelHit) bool {
		return x.Indicator == y.Indicator && x.Type == y.Type && x.Source == y.Source &&
			x.Confidence == y.Confidence && x.Description == y.Description && slices.Equal(x.Labels, y.Labels)
	})
}

func TestFeedsAppendLookup(t *testing.T) {
	path := writeFile(t, "list.txt", "203.0.113.7\n")
	f := intel.NewFeeds(intel.Files(path))
	dst := []alert.IntelHit{{Indicator: "kept"}}
	if got := f.AppendLookup(dst, "203.0.113.7"); len(got) != 1 {
		t.Errorf("AppendLookup before the first load = %v, want dst unchanged", got)
	}
	if _, err := f.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.AppendLookup(dst, "203.0.113.7")
	if keys := hitKeys(got); !slices.Equal(keys, []string{"kept@", "203.0.113.7@list.txt"}) {
		t.Errorf("AppendLookup = %q", keys)
	}
}

// lookupOnly hides AppendLookup, so that the activity takes its Lookup
// path.
type lookupOnly struct{ ix *intel.Index }

func (l lookupOnly) Lookup(indicator string) []alert.IntelHit { return l.ix.Lookup(indicator) }

// TestLookupIntelActivity checks that the activity gives the same hits
// whether it appends (an *intel.Index) or only calls Lookup.
func TestLookupIntelActivity(t *testing.T) {
	ix := intel.New()
	for _, h := range []alert.IntelHit{
		{Indicator: "203.0.113.0/24", Source: "range", Confidence: 60, Labels: []string{"scanner"}},
		{Indicator: "203.0.113.7", Source: "exact", Confidence: 90},
		{Indicator: "evil.example", Source: "dom", Confidence: 80},
	} {
		if err := ix.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	in := activities.LookupIntelInput{Indicators: []string{"203.0.113.7", "benign.example", "evil.example", "203.0.113.7", "203.0.113.9"}}
	want := []string{"203.0.113.7@exact", "203.0.113.0/24@range", "evil.example@dom", "203.0.113.0/24@range"}
	for name, idx := range map[string]activities.IntelIndex{"appends": ix, "lookup only": lookupOnly{ix}} {
		t.Run(name, func(t *testing.T) {
			res, err := (&activities.Enrich{Intel: idx}).LookupIntel(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := hitKeys(res.Hits); !slices.Equal(got, want) {
				t.Errorf("hits = %q, want %q", got, want)
			}
			if got := res.Hits[1].Labels; !slices.Equal(got, []string{"scanner"}) {
				t.Errorf("range hit labels = %q", got)
			}
		})
	}
	res, err := (&activities.Enrich{Intel: ix}).LookupIntel(context.Background(), activities.LookupIntelInput{Indicators: []string{"benign.example"}})
	if err != nil || res.Hits != nil {
		t.Errorf("no hits = %+v, %v; want nil hits (omitted from the result)", res, err)
	}
}
