// Package online is what the online intel lookups (virustotal, abuseipdb)
// share: a bounded cache with a time to live, a rate limiter, respect for
// the service's 429 Retry-After, and one call for concurrent lookups of
// one indicator, so that every client spends its quota the same careful
// way.
//
// Free API tiers allow a handful of calls a minute, while one incident can
// carry dozens of indicators and the same addresses come back in every
// alert of a storm. So an answer, including "not known", is kept for the
// TTL; a call waits for the limiter rather than earn a 429; and after a 429
// no call is made until the Retry-After has passed, because every call in
// between would only be refused and count against the quota.
package online

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// DefaultPause is how long a 429 without a Retry-After stops the calls.
const DefaultPause = time.Minute

// Config configures a Guard. The zero value works: no rate limit, a
// 10,000-entry cache for an hour, the real clock.
type Config struct {
	// Name prefixes errors, such as "virustotal".
	Name string
	// Limit and Burst configure the rate limiter; a zero Limit means no
	// limit.
	Limit rate.Limit
	Burst int
	// CacheSize bounds the cache, least recently used out first; 0 means
	// 10,000 and a negative size disables the cache.
	CacheSize int
	// TTL is how long an answer is kept, by the real clock; 0 means an
	// hour.
	TTL time.Duration
	// Now is the clock for the 429 pause; nil means time.Now.
	Now func() time.Time
}

// Guard runs lookups through the cache, the limiter and the 429 pause. It
// is safe for concurrent use.
type Guard struct {
	name    string
	limiter *rate.Limiter
	now     func() time.Time
	// cache is nil when disabled.
	cache *expirable.LRU[string, []alert.IntelHit]

	mu       sync.Mutex
	inflight map[string]*call
	paused   time.Time
	// pauseErr is the 429 that started the pause.
	pauseErr *httpx.StatusError
}

// call is a fetch in progress that other lookups of the same key wait for.
type call struct {
	done chan struct{}
	hits []alert.IntelHit
	err  error
}

// New returns a Guard configured by c.
func New(c Config) *Guard {
	g := &Guard{name: c.Name, now: c.Now, inflight: map[string]*call{}}
	if g.name == "" {
		g.name = "online"
	}
	if g.now == nil {
		g.now = time.Now
	}
	if c.CacheSize >= 0 {
		size, ttl := c.CacheSize, c.TTL
		if size == 0 {
			size = 10_000
		}
		if ttl <= 0 {
			ttl = time.Hour
		}
		g.cache = expirable.NewLRU[string, []alert.IntelHit](size, nil, ttl)
	}
	if c.Limit > 0 && c.Limit != rate.Inf {
		g.limiter = rate.NewLimiter(c.Limit, max(c.Burst, 1))
	}
	return g
}

// Lookup returns the answer for key: from the cache when it holds one,
// else from fetch, called once the limiter allows and not during a 429
// pause. Answers are cached, "not known" (nil) included; errors are not,
// except that a 429 pauses every lookup until its Retry-After (or
// DefaultPause) has passed, with an error wrapping a retryable
// *httpx.StatusError whose RetryAfter is the time left. The hits returned
// are copies.
func (g *Guard) Lookup(ctx context.Context, key string, fetch func(context.Context) ([]alert.IntelHit, error)) ([]alert.IntelHit, error) {
	g.mu.Lock()
	if hits, ok := g.get(key); ok {
		g.mu.Unlock()
		return cloneHits(hits), nil
	}
	if err := g.pausedErr(); err != nil {
		g.mu.Unlock()
		return nil, err
	}
	if c, ok := g.inflight[key]; ok {
		g.mu.Unlock()
		select {
		case <-c.done:
			return cloneHits(c.hits), c.err
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", g.name, ctx.Err())
		}
	}
	c := &call{done: make(chan struct{})}
	g.inflight[key] = c
	g.mu.Unlock()

	c.hits, c.err = g.fetch(ctx, fetch)

	g.mu.Lock()
	delete(g.inflight, key)
	if c.err == nil {
		g.put(key, c.hits)
	}
	g.mu.Unlock()
	close(c.done)
	return cloneHits(c.hits), c.err
}

func (g *Guard) fetch(ctx context.Context, fetch func(context.Context) ([]alert.IntelHit, error)) ([]alert.IntelHit, error) {
	if g.limiter != nil {
		if err := g.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: waiting for the rate limit: %w", g.name, err)
		}
	}
	hits, err := fetch(ctx)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Code == http.StatusTooManyRequests {
		pause := se.RetryAfter
		if pause <= 0 {
			pause = DefaultPause
		}
		g.mu.Lock()
		if until := g.now().Add(pause); until.After(g.paused) {
			g.paused, g.pauseErr = until, se
		}
		g.mu.Unlock()
	}
	return hits, err
}

// pausedErr returns the error for a lookup during a 429 pause, or nil.
// g.mu is held.
func (g *Guard) pausedErr() error {
	left := g.paused.Sub(g.now())
	if left <= 0 || g.pauseErr == nil {
		return nil
	}
	se := *g.pauseErr
	se.RetryAfter = left
	return fmt.Errorf("%s: not calling: the service asked to wait %s more after a 429: %w", g.name, left.Round(time.Second), &se)
}

// Len returns the number of cached answers, expired ones included until
// the cache's cleanup drops them.
func (g *Guard) Len() int {
	if g.cache == nil {
		return 0
	}
	return g.cache.Len()
}

// get returns the cached answer for key.
func (g *Guard) get(key string) ([]alert.IntelHit, bool) {
	if g.cache == nil {
		return nil, false
	}
	return g.cache.Get(key)
}

// put caches a copy of an answer.
func (g *Guard) put(key string, hits []alert.IntelHit) {
	if g.cache != nil {
		g.cache.Add(key, cloneHits(hits))
	}
}

// cloneHits copies hits, labels included, so that neither the cache nor
// its callers can change what the other holds.
func cloneHits(hits []alert.IntelHit) []alert.IntelHit {
	if hits == nil {
		return nil
	}
	out := slices.Clone(hits)
	for i := range out {
		out[i].Labels = slices.Clone(out[i].Labels)
	}
	return out
}

// Public reports whether a is worth asking an online service about: a
// global unicast address outside the private (RFC 1918, fc00::/7) and
// shared (100.64.0.0/10) ranges. Asking about internal addresses would
// spend quota on answers no service has, and tell a third party about the
// network.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		return !(b[0] == 100 && b[1]&0xc0 == 64)
	}
	return true
}
