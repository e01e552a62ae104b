package intel

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
)

// batch collects the parsed entries of one load before any of them reach
// the index, so that a file that fails leaves the index unchanged, and
// interns what the entries share once per load rather than once per entry.
type batch struct {
	pend  pendList
	names arena
	metas []meta
	ids   map[metaKey]uint32
	// lastKey and lastID short-cut the common run of entries that share
	// one meta (every line of a plain list).
	lastKey metaKey
	lastID  uint32
	hasLast bool
}

// pending is one parsed entry, 40 bytes without a pointer, so that a
// million of them are one allocation per few thousand and nothing for the
// collector to scan. key holds the indicator as the index keys it: the
// 4 or 16 bytes of an address (a range's address, with v6 telling the
// family), the bytes of a hash, or for a domain or URL where its text sits
// in the batch's arena.
type pending struct {
	key  [32]byte
	meta uint32
	typ  kind
	conf uint8
	bits uint8
	v6   bool
}

// add queues one entry.
func (b *batch) add(v value, conf uint8, m meta) {
	b.addID(v, conf, b.meta(m))
}

// addID queues one entry whose meta the caller interned with b.meta.
func (b *batch) addID(v value, conf uint8, id uint32) {
	p := b.pend.next()
	*p = pending{meta: id, typ: v.typ, conf: conf}
	switch v.typ {
	case kindIPv4:
		a := v.addr.As4()
		copy(p.key[:], a[:])
	case kindIPv6:
		a := v.addr.As16()
		copy(p.key[:], a[:])
	case kindCIDR:
		p.bits, p.v6 = uint8(v.bits), !v.addr.Is4()
		if p.v6 {
			a := v.addr.As16()
			copy(p.key[:], a[:])
		} else {
			a := v.addr.As4()
			copy(p.key[:], a[:])
		}
	case kindMD5:
		k, _ := hexKey[[16]byte](v.key)
		copy(p.key[:], k[:])
	case kindSHA1:
		k, _ := hexKey[[20]byte](v.key)
		copy(p.key[:], k[:])
	case kindSHA256:
		p.key, _ = hexKey[[32]byte](v.key)
	default:
		chunk, off := b.names.add(v.key)
		binary.LittleEndian.PutUint32(p.key[0:], chunk)
		binary.LittleEndian.PutUint32(p.key[4:], off)
		binary.LittleEndian.PutUint32(p.key[8:], uint32(len(v.key)))
	}
}

// name returns the text of a domain or URL entry.
func (b *batch) name(p *pending) string {
	return b.names.get(binary.LittleEndian.Uint32(p.key[0:]), binary.LittleEndian.Uint32(p.key[4:]), binary.LittleEndian.Uint32(p.key[8:]))
}

// addr returns the address of an address or range entry.
func (p *pending) addr() netip.Addr {
	if p.typ == kindIPv6 || p.typ == kindCIDR && p.v6 {
		return netip.AddrFrom16([16]byte(p.key[:16]))
	}
	return netip.AddrFrom4([4]byte(p.key[:4]))
}

// pendList holds pending entries in chunks: a million entries grow it by
// appending chunks, never by copying what is there, and a one-entry batch
// (Add) allocates a small chunk rather than a large one.
type pendList struct {
	chunks [][]pending
	n      int
}

const (
	minPendChunk = 16
	maxPendChunk = 4096
)

// next appends a zero entry and returns it.
func (l *pendList) next() *pending {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == cap(l.chunks[len(l.chunks)-1]) {
		l.chunks = append(l.chunks, make([]pending, 0, min(max(l.n, minPendChunk), maxPendChunk)))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, pending{})
	l.n++
	return &(*c)[len(*c)-1]
}

// arena keeps the text of a batch's domains and URLs back to back in a few
// large strings. A million names then cost a few dozen allocations
// instead of a million, no per-string rounding up to a size class, and
// they never pin the line or document they were cut from. The price is
// that a chunk lives as long as any name in it: a name the index already
// had keeps its bytes here. Chunks double from the first name's length up
// to maxArenaChunk, so that a small batch (Add) wastes little.
type arena struct {
	done []string
	// cur is the chunk being filled. strings.Builder hands out its bytes
	// as a string without copying and only ever appends after them, so
	// names already handed out stay valid.
	cur strings.Builder
}

const maxArenaChunk = 1 << 20

// add copies s into the arena and returns where it went.
func (a *arena) add(s string) (chunk, off uint32) {
	if a.cur.Cap()-a.cur.Len() < len(s) {
		size := len(s)
		if a.cur.Cap() > 0 {
			a.done = append(a.done, a.cur.String())
			size = max(size, min(2*a.cur.Cap(), maxArenaChunk))
		}
		a.cur = strings.Builder{}
		a.cur.Grow(size)
	}
	off = uint32(a.cur.Len())
	a.cur.WriteString(s)
	return uint32(len(a.done)), off
}

// get returns the name add placed at chunk and off.
func (a *arena) get(chunk, off, n uint32) string {
	s := a.cur.String()
	if int(chunk) < len(a.done) {
		s = a.done[chunk]
	}
	return s[off : off+n]
}

// meta interns m within the batch. Its strings are copied on first sight:
// they are often slices of a whole CSV record or JSON document that the
// index must not keep alive.
func (b *batch) meta(m meta) uint32 {
	k := m.key()
	if b.hasLast && k == b.lastKey {
		return b.lastID
	}
	if b.ids == nil {
		b.ids = map[metaKey]uint32{}
	}
	id, ok := b.ids[k]
	if !ok {
		id = uint32(len(b.metas))
		b.metas = append(b.metas, meta{
			source:      strings.Clone(m.source),
			description: strings.Clone(m.description),
			labels:      cloneStrings(m.labels),
			from:        m.from,
			until:       m.until,
			bounded:     !m.from.IsZero() || !m.until.IsZero(),
		})
		b.ids[k] = id
	}
	b.lastKey, b.lastID, b.hasLast = k, id, true
	return id
}

func cloneStrings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.Clone(s)
	}
	return out
}

// commit adds the batch's entries to the index.
func (ix *Index) commit(b *batch) {
	remap := make([]uint32, len(b.metas))
	for i := range b.metas {
		remap[i] = ix.internMeta(&b.metas[i])
	}
	ix.reserve(b)
	ix.gen++
	for _, c := range b.pend.chunks {
		for i := range c {
			p := &c[i]
			ix.insert(b, p, entry{meta: remap[p.meta], typ: p.typ, conf: p.conf, gen: ix.gen})
		}
	}
}

func (ix *Index) internMeta(m *meta) uint32 {
	k := m.key()
	if id, ok := ix.metaIDs[k]; ok {
		return id
	}
	id := uint32(len(ix.metas))
	ix.metas = append(ix.metas, *m)
	ix.metaIDs[k] = id
	return id
}

// reserve sizes the maps a large first load will fill, which saves the
// repeated growth (and most of the garbage) of inserting a million keys
// one by one.
func (ix *Index) reserve(b *batch) {
	const worth = 4096
	if b.pend.n < worth {
		return
	}
	var n [kindSHA256 + 1]int
	for _, c := range b.pend.chunks {
		for i := range c {
			n[c[i].typ]++
		}
	}
	ix.entries = slices.Grow(ix.entries, b.pend.n)
	if len(ix.names) == 0 && n[kindDomain]+n[kindURL] >= worth {
		ix.names = make(map[string]uint32, n[kindDomain]+n[kindURL])
	}
	if len(ix.v4) == 0 && n[kindIPv4] >= worth {
		ix.v4 = make(map[uint32]uint32, n[kindIPv4])
	}
	if len(ix.v6) == 0 && n[kindIPv6] >= worth {
		ix.v6 = make(map[[16]byte]uint32, n[kindIPv6])
	}
	if len(ix.md5) == 0 && n[kindMD5] >= worth {
		ix.md5 = make(map[[16]byte]uint32, n[kindMD5])
	}
	if len(ix.sha1) == 0 && n[kindSHA1] >= worth {
		ix.sha1 = make(map[[20]byte]uint32, n[kindSHA1])
	}
	if len(ix.sha256) == 0 && n[kindSHA256] >= worth {
		ix.sha256 = make(map[[32]byte]uint32, n[kindSHA256])
	}
}

// insert stores one entry of b under its key.
func (ix *Index) insert(b *batch, p *pending, e entry) {
	switch p.typ {
	case kindIPv4:
		upsert(ix, ix.v4, binary.BigEndian.Uint32(p.key[:4]), e)
	case kindIPv6:
		upsert(ix, ix.v6, [16]byte(p.key[:16]), e)
	case kindCIDR:
		if p.v6 {
			upsertRange(ix, ix.r6.table(int(p.bits)), [16]byte(p.key[:16]), p, e)
		} else {
			upsertRange(ix, ix.r4.table(int(p.bits)), binary.BigEndian.Uint32(p.key[:4]), p, e)
		}
	case kindMD5:
		upsert(ix, ix.md5, [16]byte(p.key[:16]), e)
	case kindSHA1:
		upsert(ix, ix.sha1, [20]byte(p.key[:20]), e)
	case kindSHA256:
		upsert(ix, ix.sha256, p.key, e)
	default:
		// The name is the arena's string, not a slice of a line or
		// document, so the map may keep it as it is.
		upsert(ix, ix.names, b.name(p), e)
	}
}

// upsert adds e under m[k]; see chain.
func upsert[K comparable](ix *Index, m map[K]uint32, k K, e entry) {
	if head, ok := m[k]; ok {
		ix.chain(head, e)
		return
	}
	m[k] = ix.push(e)
}

// upsertRange is upsert for a range table.
func upsertRange[K comparable](ix *Index, m map[K]rangeHead, k K, p *pending, e entry) {
	if r, ok := m[k]; ok {
		ix.chain(r.head, e)
		return
	}
	m[k] = rangeHead{head: ix.push(e), text: netip.PrefixFrom(p.addr(), int(p.bits)).String()}
}

// chain replaces the entry from e's source in the chain at head, or
// appends e to it. An entry of the same load is replaced only by a more
// (or equally) confident one.
func (ix *Index) chain(head uint32, e entry) {
	src := ix.metas[e.meta].source
	for i := head; ; {
		cur := &ix.entries[i]
		if ix.metas[cur.meta].source == src {
			if cur.gen != e.gen || e.conf >= cur.conf {
				*cur = entry{meta: e.meta, next: cur.next, typ: e.typ, conf: e.conf, gen: e.gen}
			}
			return
		}
		if cur.next == 0 {
			n := ix.push(e)
			ix.entries[i].next = n + 1
			return
		}
		i = cur.next - 1
	}
}

func (ix *Index) push(e entry) uint32 {
	ix.entries = append(ix.entries, e)
	return uint32(len(ix.entries) - 1)
}
