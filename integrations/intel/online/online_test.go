package online_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/intel/online"
	"github.com/socflow/socflow/integrations/internal/testclock"
)

func newClock() *testclock.Clock { return testclock.New(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)) }

// counter is a fetch that answers from a table and counts its calls.
type counter struct {
	calls  atomic.Int32
	answer map[string][]alert.IntelHit
	err    error
}

func (c *counter) fetch(key string) func(context.Context) ([]alert.IntelHit, error) {
	return func(context.Context) ([]alert.IntelHit, error) {
		c.calls.Add(1)
		if c.err != nil {
			return nil, c.err
		}
		return c.answer[key], nil
	}
}

func hit(ind string) []alert.IntelHit {
	return []alert.IntelHit{{Indicator: ind, Source: "test", Confidence: 80, Labels: []string{"c2"}}}
}

func TestCache(t *testing.T) {
	g := online.New(online.Config{Name: "test", CacheSize: 2, TTL: time.Hour})
	f := &counter{answer: map[string][]alert.IntelHit{"a": hit("a"), "b": hit("b"), "c": hit("c")}}
	ctx := context.Background()
	look := func(key string) []alert.IntelHit {
		t.Helper()
		hs, err := g.Lookup(ctx, key, f.fetch(key))
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	tests := []struct {
		name      string
		key       string
		wantCalls int32
		wantHits  int
	}{
		{"first lookup calls", "a", 1, 1},
		{"second is cached", "a", 1, 1},
		{"unknown calls", "x", 2, 0},
		{"unknown is cached too", "x", 2, 0},
		{"a third key evicts the least recently used (a)", "b", 3, 1},
		{"x is still cached", "x", 3, 0},
		{"a was evicted", "a", 4, 1},
	}
	for _, tt := range tests {
		hs := look(tt.key)
		if got := f.calls.Load(); got != tt.wantCalls || len(hs) != tt.wantHits {
			t.Errorf("%s: calls = %d, hits = %d; want %d, %d", tt.name, got, len(hs), tt.wantCalls, tt.wantHits)
		}
	}
	// Callers get copies.
	hs := look("a")
	hs[0].Labels[0] = "changed"
	if again := look("a"); again[0].Labels[0] != "c2" {
		t.Errorf("the cache changed through a returned hit: %+v", again[0])
	}
	if g.Len() != 2 {
		t.Errorf("Len() = %d, want 2", g.Len())
	}
}

// TestCacheExpires checks the TTL on the real clock the cache keeps: an
// answer is served from the cache within it, and fetched again once it has
// passed.
func TestCacheExpires(t *testing.T) {
	const ttl = 20 * time.Millisecond
	g := online.New(online.Config{Name: "test", TTL: ttl})
	f := &counter{answer: map[string][]alert.IntelHit{"a": hit("a")}}
	look := func() {
		t.Helper()
		if _, err := g.Lookup(context.Background(), "a", f.fetch("a")); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	look()
	look()
	// Only a second lookup made within the TTL proves the cache served it.
	if time.Since(start) < ttl && f.calls.Load() != 1 {
		t.Errorf("calls = %d within the TTL, want 1", f.calls.Load())
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.calls.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the answer was still cached long after its TTL")
		}
		time.Sleep(ttl / 4)
		look()
	}
}

func TestDisabledCache(t *testing.T) {
	g := online.New(online.Config{Name: "test", CacheSize: -1})
	f := &counter{answer: map[string][]alert.IntelHit{"a": hit("a")}}
	for range 2 {
		if _, err := g.Lookup(context.Background(), "a", f.fetch("a")); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls.Load() != 2 || g.Len() != 0 {
		t.Errorf("calls = %d, Len() = %d; want 2 calls and nothing cached", f.calls.Load(), g.Len())
	}
}

func TestErrorsAreNotCached(t *testing.T) {
	g := online.New(online.Config{Name: "test"})
	f := &counter{err: errors.New("connection reset")}
	for range 2 {
		if _, err := g.Lookup(context.Background(), "a", f.fetch("a")); err == nil {
			t.Fatal("want an error")
		}
	}
	if f.calls.Load() != 2 {
		t.Errorf("calls = %d, want 2: an error must not be cached", f.calls.Load())
	}
}

func TestTooManyRequestsPauses(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		wantPause  time.Duration
	}{
		{"Retry-After", 30 * time.Second, 30 * time.Second},
		{"no Retry-After", 0, online.DefaultPause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			g := online.New(online.Config{Name: "test", Now: clk.Now})
			f := &counter{err: &httpx.StatusError{Method: "GET", URL: "http://x/y", Code: http.StatusTooManyRequests, RetryAfter: tt.retryAfter}}
			ctx := context.Background()
			if _, err := g.Lookup(ctx, "a", f.fetch("a")); err == nil {
				t.Fatal("want the 429")
			}
			f.err = nil
			clk.Add(tt.wantPause - time.Second)
			_, err := g.Lookup(ctx, "b", f.fetch("b"))
			var se *httpx.StatusError
			if !errors.As(err, &se) || !se.Retryable() || se.RetryAfter != time.Second {
				t.Fatalf("error during the pause = %v, want a retryable StatusError with 1s left", err)
			}
			if !strings.Contains(err.Error(), "test: not calling") {
				t.Errorf("error %q lacks the prefix", err)
			}
			if f.calls.Load() != 1 {
				t.Errorf("calls = %d during the pause, want 1", f.calls.Load())
			}
			clk.Add(time.Second)
			if _, err := g.Lookup(ctx, "b", f.fetch("b")); err != nil {
				t.Errorf("after the pause: %v", err)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	g := online.New(online.Config{Name: "test", Limit: rate.Every(time.Hour), Burst: 1})
	f := &counter{}
	if _, err := g.Lookup(context.Background(), "a", f.fetch("a")); err != nil {
		t.Fatal(err)
	}
	// The next token is an hour away: the limiter refuses at once rather
	// than wait past the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := g.Lookup(ctx, "b", f.fetch("b"))
	if err == nil || !strings.Contains(err.Error(), "test: waiting for the rate limit") {
		t.Errorf("error = %v, want the rate limit", err)
	}
	if f.calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", f.calls.Load())
	}
	// A cached answer needs no token.
	if _, err := g.Lookup(ctx, "a", f.fetch("a")); err != nil {
		t.Errorf("cached lookup: %v", err)
	}
}

func TestConcurrentLookupsShareOneCall(t *testing.T) {
	g := online.New(online.Config{Name: "test"})
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int32
	fetch := func(context.Context) ([]alert.IntelHit, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return hit("a"), nil
	}
	var wg sync.WaitGroup
	results := make(chan int, 8)
	wg.Go(func() {
		hs, _ := g.Lookup(context.Background(), "a", fetch)
		results <- len(hs)
	})
	<-started
	for range 7 {
		wg.Go(func() {
			hs, _ := g.Lookup(context.Background(), "a", fetch)
			results <- len(hs)
		})
	}
	close(release)
	wg.Wait()
	close(results)
	for n := range results {
		if n != 1 {
			t.Errorf("a lookup got %d hits, want 1", n)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", calls.Load())
	}
}

func TestWaiterGivesUpWithItsContext(t *testing.T) {
	g := online.New(online.Config{Name: "test"})
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = g.Lookup(context.Background(), "a", func(context.Context) ([]alert.IntelHit, error) {
			close(started)
			<-release
			return nil, nil
		})
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Lookup(ctx, "a", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	close(release)
}

func TestPublic(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"203.0.113.7", true},
		{"2606:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"100.64.0.1", false},
		{"100.128.0.1", true},
		{"127.0.0.1", false},
		{"169.254.1.1", false},
		{"0.0.0.0", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::1", false},
		{"fe80::1", false},
		{"fd00::1", false},
	}
	for _, tt := range tests {
		if got := online.Public(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Public(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}
