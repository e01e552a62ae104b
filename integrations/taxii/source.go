package taxii

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/intel"
)

var _ intel.Source = (*Source)(nil)

// Source follows one collection for intel.Feeds. Each Stamp polls for the
// objects added since the last poll and keeps them, the latest version of
// each object by id; its stamp changes only when something new arrived,
// so Feeds rebuilds the index only then. AddTo loads everything kept so
// far with intel.Index.AddSTIX, so a revoked or expired new version
// replaces the indicator it updates.
//
// The objects live in memory for as long as the Source does: a restart
// polls the collection from the start (or from WithAddedAfter) again.
type Source struct {
	c     *Client
	url   string
	name  string
	types []string

	mu    sync.Mutex
	after time.Time
	objs  map[string]*kept
	order []string // ids, first seen first
	// version counts the changes to objs; it is the stamp.
	version int
}

type kept struct {
	modified time.Time
	raw      json.RawMessage
}

// SourceOption configures a Source.
type SourceOption func(*Source)

// WithName sets the source's name: the hits' Source and what reports and
// logs call it. The default is the collection URL.
func WithName(name string) SourceOption {
	return func(s *Source) {
		if name != "" {
			s.name = name
		}
	}
}

// WithAddedAfter starts following the collection at t instead of from its
// first object.
func WithAddedAfter(t time.Time) SourceOption {
	return func(s *Source) { s.after = t }
}

// WithTypes sets the STIX types asked for (match[type]); the default is
// indicators only, the one type the index reads.
func WithTypes(types ...string) SourceOption {
	return func(s *Source) { s.types = types }
}

// NewSource returns a Source for the collection at collectionURL
// ({api-root}/collections/{id}/).
func NewSource(c *Client, collectionURL string, opts ...SourceOption) *Source {
	s := &Source{c: c, url: collectionURL, name: collectionURL, types: []string{"indicator"}, objs: map[string]*kept{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name returns the name given with WithName, or the collection URL.
func (s *Source) Name() string { return s.name }

// Stamp polls the collection for objects added since the last poll, keeps
// them, and returns a stamp that changes when any of them was new.
func (s *Source) Stamp(ctx context.Context) (string, error) {
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	objs, next, err := s.c.Poll(ctx, s.url, after, s.types...)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, raw := range objs {
		s.keep(raw)
	}
	if next.After(s.after) {
		s.after = next
	}
	return strconv.Itoa(s.version), nil
}

// keep stores raw when it is a new object or a newer version; s.mu is
// held. An object without an id cannot be versioned and is dropped; one
// that does not decode is left for AddSTIX to count.
func (s *Source) keep(raw json.RawMessage) {
	var head struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
	}
	_ = json.Unmarshal(raw, &head)
	if head.ID == "" {
		return
	}
	mod, _ := time.Parse(time.RFC3339Nano, head.Modified)
	if k, ok := s.objs[head.ID]; ok {
		if !mod.After(k.modified) {
			return
		}
		k.modified, k.raw = mod, raw
		s.version++
		return
	}
	s.objs[head.ID] = &kept{modified: mod, raw: raw}
	s.order = append(s.order, head.ID)
	s.version++
}

// AddTo loads the objects kept so far into ix.
func (s *Source) AddTo(_ context.Context, ix *intel.Index) (intel.Report, error) {
	s.mu.Lock()
	objs := make([]json.RawMessage, len(s.order))
	for i, id := range s.order {
		objs[i] = s.objs[id].raw
	}
	s.mu.Unlock()
	return ix.AddSTIX(s.name, objs), nil
}

// Len returns the number of objects kept.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.objs)
}
