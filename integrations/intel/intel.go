// Package intel is an in-memory threat-intelligence index: watchlists of
// IP addresses, CIDR ranges, domains, URLs and file hashes, loaded from CSV
// and plain-text files, that answer "is this indicator listed?" without any
// I/O, so that enrichment can run the lookup as a local activity.
//
// Exact values are found with one map access. A CIDR range is found by
// masking the address once per prefix length that has entries, so a lookup
// costs at most 33 (IPv4) or 129 (IPv6) map accesses however many ranges
// are loaded.
package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

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

// Index is an in-memory set of indicators. Build it with New and Add or
// AddFile (or LoadFile), then share it: Lookup is safe for concurrent use,
// but Add and AddFile must not run concurrently with anything else. To
// reload, build a new Index and swap it in.
type Index struct {
	// exact holds domains, URLs and hashes, keyed by their normalised text.
	// The forms cannot collide: a hash has no dot, a URL has "://".
	exact map[string][]alert.IntelHit
	// addrs holds single addresses, keyed by the unmapped, zoneless address
	// so that a lookup needs no string conversion. Ranges live in v4 and v6.
	addrs map[netip.Addr][]alert.IntelHit
	v4    prefixTable
	v6    prefixTable
	n     int
}

// prefixTable finds the ranges containing an address: byLen[l] maps a
// masked /l prefix to its entries, and lens lists the lengths that have
// entries, longest first, so that the most specific ranges come first.
type prefixTable struct {
	byLen []map[netip.Prefix][]alert.IntelHit
	lens  []int
}

// New returns an empty index.
func New() *Index {
	return &Index{
		exact: map[string][]alert.IntelHit{},
		addrs: map[netip.Addr][]alert.IntelHit{},
		v4:    prefixTable{byLen: make([]map[netip.Prefix][]alert.IntelHit, 33)},
		v6:    prefixTable{byLen: make([]map[netip.Prefix][]alert.IntelHit, 129)},
	}
}

// Len returns the number of entries: distinct (indicator, source) pairs.
func (ix *Index) Len() int { return ix.n }

// Add validates and normalises one entry and adds it. An empty Type is
// inferred from the indicator's shape, an empty Source becomes "manual".
// Adding an indicator again from the same source replaces the earlier
// entry, so loading a file twice does not double its hits.
func (ix *Index) Add(h alert.IntelHit) error {
	n, err := normalizeHit(h)
	if err != nil {
		return fmt.Errorf("intel: %w", err)
	}
	if n.Source == "" {
		n.Source = "manual"
	}
	ix.add(n)
	return nil
}

// normalizeHit checks h's type, confidence and indicator and returns it
// with the indicator in canonical form.
func normalizeHit(h alert.IntelHit) (alert.IntelHit, error) {
	v := strings.TrimSpace(h.Indicator)
	if v == "" {
		return h, errors.New("indicator is empty")
	}
	typ := strings.ToLower(strings.TrimSpace(h.Type))
	if typ == "" {
		t, ok := InferType(v)
		if !ok {
			return h, fmt.Errorf("cannot tell the type of %q: want an IP, CIDR, domain, URL or MD5/SHA-1/SHA-256 hash", v)
		}
		typ = t
	} else if !slices.Contains(Types(), typ) {
		return h, fmt.Errorf("unknown type %q: want one of %s", h.Type, strings.Join(Types(), ", "))
	}
	if h.Confidence < 0 || h.Confidence > 100 {
		return h, fmt.Errorf("confidence %d is out of range 0-100", h.Confidence)
	}
	canon, err := Normalize(typ, v)
	if err != nil {
		return h, err
	}
	h.Indicator, h.Type = canon, typ
	h.Labels = slices.Clone(h.Labels)
	return h, nil
}

// add stores an already normalised entry.
func (ix *Index) add(h alert.IntelHit) {
	switch h.Type {
	case TypeIPv4, TypeIPv6:
		a := netip.MustParseAddr(h.Indicator)
		ix.addrs[a] = ix.upsert(ix.addrs[a], h)
		return
	case TypeCIDR:
		p := netip.MustParsePrefix(h.Indicator)
		t := &ix.v6
		if p.Addr().Is4() {
			t = &ix.v4
		}
		m := t.byLen[p.Bits()]
		if m == nil {
			m = map[netip.Prefix][]alert.IntelHit{}
			t.byLen[p.Bits()] = m
			t.lens = append(t.lens, p.Bits())
			slices.SortFunc(t.lens, func(a, b int) int { return b - a })
		}
		m[p] = ix.upsert(m[p], h)
		return
	}
	ix.exact[h.Indicator] = ix.upsert(ix.exact[h.Indicator], h)
}

// upsert replaces the entry from h's source in hs, or appends h.
func (ix *Index) upsert(hs []alert.IntelHit, h alert.IntelHit) []alert.IntelHit {
	for i := range hs {
		if hs[i].Source == h.Source {
			hs[i] = h
			return hs
		}
	}
	ix.n++
	return append(hs, h)
}

// Lookup returns every entry that matches indicator, or nil. An IP address
// matches its exact entries first, then the ranges that contain it, most
// specific first. A CIDR matches the same range listed. Other values match
// exactly, after the same normalisation the entries had. The hits are
// copies: changing them does not change the index.
func (ix *Index) Lookup(indicator string) []alert.IntelHit {
	v := strings.TrimSpace(indicator)
	if v == "" {
		return nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return ix.lookupAddr(a)
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		p = canonicalPrefix(p)
		t := &ix.v6
		if p.Addr().Is4() {
			t = &ix.v4
		}
		return appendHits(nil, t.byLen[p.Bits()][p])
	}
	return appendHits(nil, ix.exact[lookupKey(v)])
}

func (ix *Index) lookupAddr(a netip.Addr) []alert.IntelHit {
	a = a.Unmap().WithZone("")
	out := appendHits(nil, ix.addrs[a])
	t := &ix.v6
	if a.Is4() {
		t = &ix.v4
	}
	for _, l := range t.lens {
		p, err := a.Prefix(l)
		if err != nil {
			continue
		}
		out = appendHits(out, t.byLen[l][p])
	}
	return out
}

// appendHits copies hs onto out, labels included, so callers cannot reach
// into the index.
func appendHits(out, hs []alert.IntelHit) []alert.IntelHit {
	for _, h := range hs {
		h.Labels = slices.Clone(h.Labels)
		out = append(out, h)
	}
	return out
}

// lookupKey normalises a non-IP value the way Normalize normalised the
// entries, without validating it: an unlisted oddity simply misses.
func lookupKey(v string) string {
	if strings.Contains(v, "://") {
		return normalizeURL(v)
	}
	return strings.TrimSuffix(strings.ToLower(v), ".")
}

// InferType guesses an indicator's type from its shape: a URL has "://",
// a CIDR a "/", an IP parses as one, a hash is 32, 40 or 64 hex digits and
// a domain is dot-separated host labels. It reports false when none fits.
func InferType(v string) (string, bool) {
	v = strings.TrimSpace(v)
	switch {
	case strings.Contains(v, "://"):
		return TypeURL, true
	case strings.Contains(v, "/"):
		if _, err := netip.ParsePrefix(v); err == nil {
			return TypeCIDR, true
		}
		return "", false
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Unmap().Is4() {
			return TypeIPv4, true
		}
		return TypeIPv6, true
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return TypeMD5, true
		case 40:
			return TypeSHA1, true
		case 64:
			return TypeSHA256, true
		}
	}
	if domainProblem(strings.TrimSuffix(strings.ToLower(v), ".")) == "" {
		return TypeDomain, true
	}
	return "", false
}

// Normalize checks that v is a valid indicator of type typ and returns its
// canonical form: the shortest text of an IP (IPv4-mapped IPv6 addresses
// become IPv4), a masked CIDR, a lower-case domain without the trailing
// dot, a lower-case hash, a URL with lower-case scheme and host and no
// trailing slash.
func Normalize(typ, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch typ {
	case TypeIPv4, TypeIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", fmt.Errorf("%q is not an IP address", v)
		}
		a = a.Unmap().WithZone("")
		if typ == TypeIPv4 && !a.Is4() {
			return "", fmt.Errorf("%q is not an IPv4 address", v)
		}
		if typ == TypeIPv6 && a.Is4() {
			return "", fmt.Errorf("%q is an IPv4 address, not IPv6", v)
		}
		return a.String(), nil
	case TypeCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return "", fmt.Errorf("%q is not a CIDR range such as 203.0.113.0/24", v)
		}
		// Feeds often list a range by one of its addresses
		// (203.0.113.7/24); the range is what they mean.
		return canonicalPrefix(p).String(), nil
	case TypeDomain:
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if msg := domainProblem(d); msg != "" {
			return "", fmt.Errorf("%q is not a domain: %s", v, msg)
		}
		return d, nil
	case TypeURL:
		if msg := urlProblem(v); msg != "" {
			return "", fmt.Errorf("%q is not a URL: %s", v, msg)
		}
		return normalizeURL(v), nil
	case TypeMD5, TypeSHA1, TypeSHA256:
		want := map[string]int{TypeMD5: 32, TypeSHA1: 40, TypeSHA256: 64}[typ]
		if len(v) != want || !isHex(v) {
			return "", fmt.Errorf("%q is not an %s hash: want %d hex digits", v, typ, want)
		}
		return strings.ToLower(v), nil
	}
	return "", fmt.Errorf("unknown type %q: want one of %s", typ, strings.Join(Types(), ", "))
}

// canonicalPrefix masks p, strips a zone and turns an IPv4-mapped IPv6
// range into the IPv4 range it covers, matching how addresses are looked
// up.
func canonicalPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return netip.PrefixFrom(a, p.Bits()).Masked()
}

// normalizeURL lower-cases the scheme and host (the parts that are case
// insensitive) and trims a trailing slash; the path and query keep their
// case because servers may treat it as significant.
func normalizeURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return strings.TrimSuffix(v, "/")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.TrimSuffix(strings.ToLower(scheme)+"://"+strings.ToLower(rest[:end])+rest[end:], "/")
}

func urlProblem(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	switch {
	case !ok:
		return `want scheme://host/path`
	case scheme == "" || !isScheme(scheme):
		return "bad scheme"
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "contains spaces or control characters"
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return "no host"
	}
	return ""
}

func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// domainProblem says what is wrong with a lower-cased domain without its
// trailing dot, or "" when it is a plausible domain. Non-ASCII letters are
// allowed, because feeds list IDNs in both forms.
func domainProblem(d string) string {
	switch {
	case d == "":
		return "empty"
	case len(d) > 253:
		return "longer than 253 characters"
	case strings.HasPrefix(d, "*."):
		return "wildcards are not supported; list the domain itself"
	case !strings.Contains(d, "."):
		return "want at least two labels, such as example.net"
	}
	if _, err := netip.ParseAddr(d); err == nil {
		return "is an IP address"
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "labels must be 1-63 characters"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "labels may not start or end with '-'"
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r > 0x7f) {
				return fmt.Sprintf("character %q is not allowed", r)
			}
		}
	}
	if isDigits(labels[len(labels)-1]) {
		return "the top-level label is numeric"
	}
	return ""
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
