package servicenow

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/socflow/socflow/alert"
)

// cache keeps Find's answers, nil ("no such asset") included, for a TTL,
// dropping the least recently used beyond its size. A nil answer is
// cached because an alert storm on an unknown host would otherwise call
// ServiceNow for every alert. It keeps copies, so that neither it nor its
// callers can change what the other holds.
type cache struct {
	lru *expirable.LRU[string, *alert.Asset]
}

func newCache(size int, ttl time.Duration) *cache {
	return &cache{lru: expirable.NewLRU[string, *alert.Asset](size, nil, ttl)}
}

// get returns a copy of the answer for key, if one is cached and fresh.
func (c *cache) get(key string) (*alert.Asset, bool) {
	a, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	return cloneAsset(a), true
}

// put stores a copy of the answer for key.
func (c *cache) put(key string, a *alert.Asset) {
	c.lru.Add(key, cloneAsset(a))
}
