// Package intel is an in-memory threat-intelligence index: watchlists of
// IP addresses, CIDR ranges, domains, URLs and file hashes, loaded from CSV
// and plain-text blocklists, STIX 2.1 bundles, MISP events and feed folders
// and TAXII collections, that answer "is this indicator listed?" without
// any I/O, so that enrichment can run the lookup as a local activity.
//
// Exact values are found with one map access. A CIDR range is found by
// masking the address once per prefix length that has entries, so a lookup
// costs at most 33 (IPv4) or 129 (IPv6) map accesses however many ranges
// are loaded.
//
// The index is built for a million indicators: addresses and hashes are
// kept as fixed-size binary keys (no string, nothing for the garbage
// collector to scan), each entry is 12 bytes, and what entries share (the
// source, labels, description and validity window) is stored once.
//
// Feeds owns the index in a running worker: it loads a set of sources,
// swaps in a fresh index when one of them changes, and keeps the previous
// index when a reload fails.
package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Indicator types, as alert.IntelHit.Type names them.
const (
	TypeIPv4   = "ipv4"
	TypeIPv6   = "ipv6"
	TypeCIDR   = "cidr"
	TypeDomain = "domain"
	TypeURL    = "url"
	TypeMD5    = "md5"
	TypeSHA1   = "sha1"
	TypeSHA256 = "sha256"
)

// Types lists the indicator types the index understands.
func Types() []string {
	return []string{TypeIPv4, TypeIPv6, TypeCIDR, TypeDomain, TypeURL, TypeMD5, TypeSHA1, TypeSHA256}
}

// DefaultConfidence is the confidence of an entry whose file gives none:
// the midpoint, because a bare list says nothing about its own quality.
const DefaultConfidence = 50

// kind is an indicator type as the index stores it; 0 means "not known
// yet" (infer it from the value).
type kind uint8

const (
	kindIPv4 kind = iota + 1
	kindIPv6
	kindCIDR
	kindDomain
	kindURL
	kindMD5
	kindSHA1
	kindSHA256
)

// String returns the type's name, as Types spells it.
func (k kind) String() string {
	switch k {
	case kindIPv4:
		return TypeIPv4
	case kindIPv6:
		return TypeIPv6
	case kindCIDR:
		return TypeCIDR
	case kindDomain:
		return TypeDomain
	case kindURL:
		return TypeURL
	case kindMD5:
		return TypeMD5
	case kindSHA1:
		return TypeSHA1
	case kindSHA256:
		return TypeSHA256
	}
	return ""
}

// kindOf returns the kind named typ (exactly as Types spells it).
func kindOf(typ string) (kind, bool) {
	for k := kindIPv4; k <= kindSHA256; k++ {
		if k.String() == typ {
			return k, true
		}
	}
	return 0, false
}

// Entry is one indicator with everything a feed says about it. The
// validity window is optional: a zero ValidFrom or ValidUntil leaves that
// side open.
type Entry struct {
	alert.IntelHit
	// ValidFrom is when the indicator starts to count; Lookup ignores the
	// entry before then.
	ValidFrom time.Time
	// ValidUntil is when the indicator stops counting; Lookup ignores the
	// entry from then on.
	ValidUntil time.Time
}

// Option configures an Index.
type Option func(*Index)

// WithClock sets the clock Lookup checks validity windows against; tests
// inject a fixed one. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(ix *Index) {
		if now != nil {
			ix.now = now
		}
	}
}

// Index is an in-memory set of indicators. Build it with New and Add,
// AddEntry, AddFile, AddPath or AddSTIX (or LoadFile), then share it:
// Lookup and AppendLookup are safe for concurrent use, but the Add
// methods must not run
// concurrently with anything else. To reload, build a new Index and swap it
// in, which is what Feeds does.
//
// Entries with a validity window (STIX valid_from/valid_until) are stored
// with it and checked at lookup time against the index's clock, so an
// indicator starts and stops matching on time without a reload. An entry
// already expired when it is loaded is not stored at all.
type Index struct {
	now func() time.Time

	// entries holds every entry; the maps below point at the first entry
	// for a key, and entry.next chains the others (one per source).
	entries []entry
	metas   []meta
	metaIDs map[metaKey]uint32
	// gen counts commits, so that upsert can tell an entry of the load in
	// progress from one of an earlier load.
	gen uint16

	// names holds domains and URLs, keyed by their normalised text. The
	// forms cannot collide: a URL has "://", a domain does not.
	names  map[string]uint32
	md5    map[[16]byte]uint32
	sha1   map[[20]byte]uint32
	sha256 map[[32]byte]uint32
	// v4 and v6 hold single addresses, unmapped and zoneless. Ranges live
	// in r4 and r6.
	v4 map[uint32]uint32
	v6 map[[16]byte]uint32
	r4 rangeTable[uint32]
	r6 rangeTable[[16]byte]
}

// rangeHead leads to a range's entries and keeps its text, so that an
// address inside many ranges does not format each of them per lookup.
type rangeHead struct {
	head uint32
	text string
}

// entry is one (indicator, source) pair. The indicator itself is the map
// key that leads to it.
type entry struct {
	meta uint32
	// next is 1 + the index of the next entry for the same key, or 0.
	next uint32
	typ  kind
	conf uint8
	// gen is the commit that wrote the entry.
	gen uint16
}

// meta is what many entries share: everything but the value and the
// confidence. A CSV file has one per distinct (source, labels,
// description); a STIX indicator one for all the values its pattern lists.
type meta struct {
	source      string
	description string
	labels      []string
	from, until time.Time
	// bounded is set when from or until is set, so that lookups of
	// unbounded entries (nearly all) never read the clock.
	bounded bool
}

// metaKey interns metas. Labels are joined with a separator no label
// contains in practice; a collision would only share a label list.
type metaKey struct {
	source, description, labels string
	from, until                 int64
}

func (m *meta) key() metaKey {
	return metaKey{source: m.source, description: m.description, labels: strings.Join(m.labels, "\x1f"), from: unixNano(m.from), until: unixNano(m.until)}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// rangeTable finds the ranges containing an address: byLen[l] maps a
// masked /l prefix to its first entry, and lens lists the lengths that have
// entries, longest first, so that the most specific ranges come first.
type rangeTable[K comparable] struct {
	byLen []map[K]rangeHead
	lens  []int
}

func (t *rangeTable[K]) table(bits int) map[K]rangeHead {
	m := t.byLen[bits]
	if m == nil {
		m = map[K]rangeHead{}
		t.byLen[bits] = m
		t.lens = append(t.lens, bits)
		slices.SortFunc(t.lens, func(a, b int) int { return b - a })
	}
	return m
}

// New returns an empty index.
func New(opts ...Option) *Index {
	ix := &Index{
		now:     time.Now,
		metaIDs: map[metaKey]uint32{},
		names:   map[string]uint32{},
		md5:     map[[16]byte]uint32{},
		sha1:    map[[20]byte]uint32{},
		sha256:  map[[32]byte]uint32{},
		v4:      map[uint32]uint32{},
		v6:      map[[16]byte]uint32{},
		r4:      rangeTable[uint32]{byLen: make([]map[uint32]rangeHead, 33)},
		r6:      rangeTable[[16]byte]{byLen: make([]map[[16]byte]rangeHead, 129)},
	}
	for _, o := range opts {
		o(ix)
	}
	return ix
}

// Len returns the number of entries: distinct (indicator, source) pairs.
func (ix *Index) Len() int { return len(ix.entries) }

// Add validates and normalises one entry and adds it. An empty Type is
// inferred from the indicator's shape, an empty Source becomes "manual".
// Adding an indicator again from the same source replaces the earlier
// entry, so loading a file twice does not double its hits. (Within one
// load, such as one file or MISP feed, an indicator the source lists twice
// keeps its most confident entry instead: two MISP events naming one
// address should not leave it at the lesser event's confidence.)
func (ix *Index) Add(h alert.IntelHit) error {
	return ix.AddEntry(Entry{IntelHit: h})
}

// AddEntry is Add for an entry with a validity window. An entry whose
// ValidUntil has passed is accepted but not stored: it can never match.
func (ix *Index) AddEntry(e Entry) error {
	if !e.ValidUntil.IsZero() && !e.ValidFrom.IsZero() && e.ValidUntil.Before(e.ValidFrom) {
		return fmt.Errorf("intel: %s: valid until %s is before valid from %s", e.Indicator, e.ValidUntil.Format(time.RFC3339), e.ValidFrom.Format(time.RFC3339))
	}
	v, err := parseHit(e.IntelHit)
	if err != nil {
		return fmt.Errorf("intel: %w", err)
	}
	if v.src == "" {
		v.src = "manual"
	}
	if !e.ValidUntil.IsZero() && !ix.now().Before(e.ValidUntil) {
		return nil
	}
	var b batch
	b.add(v.val, uint8(v.conf), meta{source: v.src, labels: slices.Clone(e.Labels), description: e.Description, from: e.ValidFrom, until: e.ValidUntil})
	ix.commit(&b)
	return nil
}

// parsedHit is an alert.IntelHit validated and parsed.
type parsedHit struct {
	val  value
	src  string
	conf int
}

// parseHit checks h's type, confidence and indicator and returns it
// parsed.
func parseHit(h alert.IntelHit) (parsedHit, error) {
	v := strings.TrimSpace(h.Indicator)
	if v == "" {
		return parsedHit{}, errors.New("indicator is empty")
	}
	var k kind
	if typ := strings.ToLower(strings.TrimSpace(h.Type)); typ != "" {
		var ok bool
		if k, ok = kindOf(typ); !ok {
			return parsedHit{}, fmt.Errorf("unknown type %q: want one of %s", h.Type, strings.Join(Types(), ", "))
		}
	}
	if h.Confidence < 0 || h.Confidence > 100 {
		return parsedHit{}, fmt.Errorf("confidence %d is out of range 0-100", h.Confidence)
	}
	val, err := parseValue(k, v)
	if err != nil {
		return parsedHit{}, err
	}
	return parsedHit{val: val, src: h.Source, conf: h.Confidence}, nil
}

// Lookup returns every entry that matches indicator, or nil. An IP address
// matches its exact entries first, then the ranges that contain it, most
// specific first. A CIDR matches the same range listed. Other values match
// exactly, after the same normalisation the entries had. Entries outside
// their validity window are left out. The hits are copies: changing them
// does not change the index.
func (ix *Index) Lookup(indicator string) []alert.IntelHit {
	hits := ix.AppendLookup(nil, indicator)
	for i := range hits {
		hits[i].Labels = slices.Clone(hits[i].Labels)
	}
	return hits
}

// AppendLookup appends the hits Lookup would return to dst and returns
// the extended slice (dst itself, unchanged, when nothing matches). It is
// for callers that look up many indicators: with a dst that has room it
// allocates nothing, hit or miss, where Lookup allocates the slice and a
// copy of each hit's labels. To afford that, the hits' Labels share the
// index's memory (capped, so appending to them copies) and must not be
// modified. The one allocation left is for an indicator that must be
// spelled anew for its hit, such as an upper-case hash or domain or a
// non-canonical IPv6 address.
func (ix *Index) AppendLookup(dst []alert.IntelHit, indicator string) []alert.IntelHit {
	v := strings.TrimSpace(indicator)
	if v == "" {
		return dst
	}
	var c clock
	if mayBeAddr(v) {
		if a, err := netip.ParseAddr(v); err == nil {
			return ix.appendAddr(dst, a, v, &c)
		}
	}
	if strings.IndexByte(v, '/') >= 0 && !strings.Contains(v, "://") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return dst
		}
		p = canonicalPrefix(p)
		a := p.Addr()
		if a.Is4() {
			if r, ok := ix.r4.byLen[p.Bits()][v4Key(a)]; ok {
				return ix.appendChain(dst, r.head, r.text, &c)
			}
			return dst
		}
		if r, ok := ix.r6.byLen[p.Bits()][a.As16()]; ok {
			return ix.appendChain(dst, r.head, r.text, &c)
		}
		return dst
	}
	switch len(v) {
	case 32:
		if k, ok := hexKey[[16]byte](v); ok {
			if head, ok := ix.md5[k]; ok {
				return ix.appendChain(dst, head, strings.ToLower(v), &c)
			}
			return dst
		}
	case 40:
		if k, ok := hexKey[[20]byte](v); ok {
			if head, ok := ix.sha1[k]; ok {
				return ix.appendChain(dst, head, strings.ToLower(v), &c)
			}
			return dst
		}
	case 64:
		if k, ok := hexKey[[32]byte](v); ok {
			if head, ok := ix.sha256[k]; ok {
				return ix.appendChain(dst, head, strings.ToLower(v), &c)
			}
			return dst
		}
	}
	key := lookupKey(v)
	if head, ok := ix.names[key]; ok {
		return ix.appendChain(dst, head, key, &c)
	}
	return dst
}

// appendAddr finds address a, which the caller parsed from text.
func (ix *Index) appendAddr(out []alert.IntelHit, a netip.Addr, text string, c *clock) []alert.IntelHit {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		k := v4Key(a)
		if head, ok := ix.v4[k]; ok {
			// Dotted-quad text that parsed is already canonical
			// (ParseAddr refuses leading zeros); only the ::ffff: form
			// needs formatting.
			if strings.IndexByte(text, ':') >= 0 {
				text = a.String()
			}
			out = ix.appendChain(out, head, text, c)
		}
		for _, l := range ix.r4.lens {
			mask := uint32(0)
			if l > 0 {
				mask = ^uint32(0) << (32 - l)
			}
			if r, ok := ix.r4.byLen[l][k&mask]; ok {
				out = ix.appendChain(out, r.head, r.text, c)
			}
		}
		return out
	}
	if head, ok := ix.v6[a.As16()]; ok {
		out = ix.appendChain(out, head, canonicalText(a, text), c)
	}
	for _, l := range ix.r6.lens {
		p, err := a.Prefix(l)
		if err != nil {
			continue
		}
		if r, ok := ix.r6.byLen[l][p.Addr().As16()]; ok {
			out = ix.appendChain(out, r.head, r.text, c)
		}
	}
	return out
}

// canonicalText returns a's text, which is text itself when that is
// already canonical: formatting into a stack buffer to compare costs no
// allocation, a.String() does.
func canonicalText(a netip.Addr, text string) string {
	var buf [64]byte
	if string(a.AppendTo(buf[:0])) == text {
		return text
	}
	return a.String()
}

// clock reads the index's clock at most once per lookup, and only when an
// entry has a validity window.
type clock struct {
	t  time.Time
	ok bool
}

func (c *clock) valid(ix *Index, m *meta) bool {
	if !m.bounded {
		return true
	}
	if !c.ok {
		c.t, c.ok = ix.now(), true
	}
	if !m.from.IsZero() && c.t.Before(m.from) {
		return false
	}
	return m.until.IsZero() || c.t.Before(m.until)
}

// appendChain appends the valid entries of the chain starting at head as
// hits for indicator. Labels are the index's own, capped so that an
// append by the caller copies them rather than writing into the index;
// Lookup copies them outright.
func (ix *Index) appendChain(out []alert.IntelHit, head uint32, indicator string, c *clock) []alert.IntelHit {
	for i := head; ; {
		e := &ix.entries[i]
		m := &ix.metas[e.meta]
		if c.valid(ix, m) {
			out = append(out, alert.IntelHit{
				Indicator:   indicator,
				Type:        e.typ.String(),
				Source:      m.source,
				Confidence:  int(e.conf),
				Labels:      slices.Clip(m.labels),
				Description: m.description,
			})
		}
		if e.next == 0 {
			return out
		}
		i = e.next - 1
	}
}

// lookupKey normalises a domain or URL the way parseValue normalised the
// entries, without validating it: an unlisted oddity simply misses.
func lookupKey(v string) string {
	if strings.Contains(v, "://") {
		return normalizeURL(v)
	}
	return strings.TrimSuffix(strings.ToLower(v), ".")
}

// mayBeAddr reports whether v could be an IP address: hex digits, dots
// and colons, and an optional %zone. It keeps domains and hashes away from
// netip.ParseAddr, whose error allocates, and it gives up early: the first
// field of an address is at most four characters, and an address before
// its zone at most 45, so a hash is turned away after five characters
// rather than scanned to its end.
func mayBeAddr(v string) bool {
	sep := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '%':
			return sep
		case i >= maxAddrText:
			return false
		case c == '.' || c == ':':
			sep = true
		case hexVal[c]&notHex == 0:
			if !sep && i >= 4 {
				return false
			}
		default:
			return false
		}
	}
	return sep
}

// maxAddrText is the length of the longest IP address text without a
// zone, ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.
const maxAddrText = 45

func v4Key(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// hexKey decodes a hash written in hex (either case) into its bytes; it
// reports false when s is not exactly that many hex digits. It checks
// validity once at the end instead of per digit: hashes are decoded on
// every lookup and every load.
func hexKey[K [16]byte | [20]byte | [32]byte](s string) (K, bool) {
	var k K
	if len(s) != 2*len(k) {
		return k, false
	}
	var bad byte
	for i := range len(k) {
		hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
		bad |= hi | lo
		k[i] = hi<<4 | lo
	}
	return k, bad&notHex == 0
}

// hexVal maps a byte to its value as a hex digit, or to notHex.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = notHex
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	return t
}()

// notHex marks a byte that is not a hex digit; digits have no bit of it.
const notHex = 0xf0
