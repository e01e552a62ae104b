package intel

import (
	"slices"
	"strings"
)

// batch collects the parsed entries of one load before any of them reach
// the index, so that a file that fails leaves the index unchanged, and
// interns what the entries share once per load rather than once per entry.
type batch struct {
	pend  []pending
	metas []meta
	ids   map[metaKey]uint32
	// lastKey and lastID short-cut the common run of entries that share
	// one meta (every line of a plain list).
	lastKey metaKey
	lastID  uint32
	hasLast bool
}

// pending is one parsed entry; meta indexes batch.metas.
type pending struct {
	val  value
	conf uint8
	meta uint32
}

// add queues one entry.
func (b *batch) add(v value, conf uint8, m meta) {
	b.pend = append(b.pend, pending{val: v, conf: conf, meta: b.meta(m)})
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
	for i := range b.pend {
		p := &b.pend[i]
		ix.insert(p.val, entry{meta: remap[p.meta], typ: p.val.typ, conf: p.conf, gen: ix.gen})
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
	if len(b.pend) < worth {
		return
	}
	var n [kindSHA256 + 1]int
	for i := range b.pend {
		n[b.pend[i].val.typ]++
	}
	ix.entries = slices.Grow(ix.entries, len(b.pend))
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

// insert stores one entry under its value's key.
func (ix *Index) insert(v value, e entry) {
	switch v.typ {
	case kindIPv4:
		upsert(ix, ix.v4, v4Key(v.addr), e)
	case kindIPv6:
		upsert(ix, ix.v6, v.addr.As16(), e)
	case kindCIDR:
		if v.addr.Is4() {
			upsertRange(ix, ix.r4.table(v.bits), v4Key(v.addr), v, e)
		} else {
			upsertRange(ix, ix.r6.table(v.bits), v.addr.As16(), v, e)
		}
	case kindMD5:
		k, _ := hexKey[[16]byte](v.key)
		upsert(ix, ix.md5, k, e)
	case kindSHA1:
		k, _ := hexKey[[20]byte](v.key)
		upsert(ix, ix.sha1, k, e)
	case kindSHA256:
		k, _ := hexKey[[32]byte](v.key)
		upsert(ix, ix.sha256, k, e)
	default:
		if _, ok := ix.names[v.key]; !ok {
			// A new key is copied so that it does not keep alive the
			// line or document it was cut from.
			v.key = strings.Clone(v.key)
		}
		upsert(ix, ix.names, v.key, e)
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
func upsertRange[K comparable](ix *Index, m map[K]rangeHead, k K, v value, e entry) {
	if r, ok := m[k]; ok {
		ix.chain(r.head, e)
		return
	}
	m[k] = rangeHead{head: ix.push(e), text: v.text()}
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
