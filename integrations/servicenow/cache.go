package servicenow

import (
	"container/list"
	"sync"
	"time"

	"github.com/socflow/socflow/alert"
)

// cache keeps Find's answers, nil ("no such asset") included, for a TTL,
// dropping the least recently used beyond its size. A nil answer is
// cached because an alert storm on an unknown host would otherwise call
// ServiceNow for every alert.
type cache struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *entry, most recent first
	byKey map[string]*list.Element
}

type entry struct {
	key     string
	asset   *alert.Asset
	expires time.Time
}

func newCache(size int, ttl time.Duration, now func() time.Time) *cache {
	if now == nil {
		now = time.Now
	}
	return &cache{size: size, ttl: ttl, now: now, lru: list.New(), byKey: map[string]*list.Element{}}
}

// get returns a copy of the answer for key, if one is cached and fresh.
func (c *cache) get(key string) (*alert.Asset, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.byKey, key)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return cloneAsset(e.asset), true
}

// put stores a copy of the answer for key.
func (c *cache) put(key string, a *alert.Asset) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry{key: key, asset: cloneAsset(a), expires: c.now().Add(c.ttl)}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.byKey[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.byKey, last.Value.(*entry).key)
	}
}
