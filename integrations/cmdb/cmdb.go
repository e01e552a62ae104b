// Package cmdb is an in-memory asset inventory: which machine a host name
// or address is, who owns it and how critical it is. It is loaded from
// YAML or CSV files and answers from memory, so that enrichment can run it
// as a local activity.
//
// A lookup tries, in order: the host name (case-insensitive, a short name
// matching a fully qualified one and the reverse), an exact address, and
// the longest CIDR range containing an address.
package cmdb

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/socflow/socflow/alert"
)

// How an alert was matched to a record, as alert.Asset.MatchedBy says it.
const (
	MatchedByHostname = "hostname"
	MatchedByIP       = "ip"
	MatchedByCIDR     = "cidr"
)

// Record is one asset as an inventory file describes it.
type Record struct {
	// Name is the host name, short ("dc01") or fully qualified
	// ("dc01.corp.example"); unique in the inventory, ignoring case.
	Name string `yaml:"name"`
	// IPs are the host's own addresses.
	IPs []string `yaml:"ips"`
	// CIDRs are ranges that stand for the asset, such as a web farm's
	// subnet, matched when no host name or exact address is.
	CIDRs []string `yaml:"cidrs"`
	Owner string   `yaml:"owner"`
	Role  string   `yaml:"role"`
	// Tier is the criticality tier, 1 (most critical) to 4.
	Tier int      `yaml:"tier"`
	Tags []string `yaml:"tags"`
}

// Inventory is a set of asset records. Build it with New and Add or
// AddFile (or LoadFile), then share it: Find is safe for concurrent use,
// but Add and AddFile must not run concurrently with anything else. To
// reload, build a new Inventory and swap it in.
type Inventory struct {
	records []Record
	// byName maps a lower-case name to its record.
	byName map[string]int
	// byShort maps the first label of each qualified name to its records,
	// so that "dc01" finds "dc01.corp.example". It may list several
	// records, in which case a short name is ambiguous and matches none.
	byShort map[string][]int
	byIP    map[netip.Addr]int
	v4      prefixTable
	v6      prefixTable
}

// prefixTable finds the longest range containing an address: byLen[l]
// maps a /l prefix to its record, and lens lists the lengths that have
// entries, longest first.
type prefixTable struct {
	byLen []map[netip.Prefix]int
	lens  []int
}

func (t prefixTable) clone() prefixTable {
	c := prefixTable{byLen: make([]map[netip.Prefix]int, len(t.byLen)), lens: slices.Clone(t.lens)}
	for i, m := range t.byLen {
		if m != nil {
			c.byLen[i] = maps.Clone(m)
		}
	}
	return c
}

func (t *prefixTable) add(p netip.Prefix, rec int) {
	m := t.byLen[p.Bits()]
	if m == nil {
		m = map[netip.Prefix]int{}
		t.byLen[p.Bits()] = m
		t.lens = append(t.lens, p.Bits())
		slices.SortFunc(t.lens, func(a, b int) int { return b - a })
	}
	m[p] = rec
}

func (t *prefixTable) get(p netip.Prefix) (int, bool) {
	m := t.byLen[p.Bits()]
	rec, ok := m[p]
	return rec, ok
}

// longest returns the record of the longest range containing a.
func (t *prefixTable) longest(a netip.Addr) (rec, bits int, ok bool) {
	for _, l := range t.lens {
		p, err := a.Prefix(l)
		if err != nil {
			continue
		}
		if rec, ok := t.byLen[l][p]; ok {
			return rec, l, true
		}
	}
	return 0, 0, false
}

// New returns an empty inventory.
func New() *Inventory {
	return &Inventory{
		byName:  map[string]int{},
		byShort: map[string][]int{},
		byIP:    map[netip.Addr]int{},
		v4:      prefixTable{byLen: make([]map[netip.Prefix]int, 33)},
		v6:      prefixTable{byLen: make([]map[netip.Prefix]int, 129)},
	}
}

// clone copies the inventory so that a file can be added all or nothing.
func (inv *Inventory) clone() *Inventory {
	short := make(map[string][]int, len(inv.byShort))
	for k, v := range inv.byShort {
		short[k] = slices.Clone(v)
	}
	return &Inventory{
		records: slices.Clone(inv.records),
		byName:  maps.Clone(inv.byName),
		byShort: short,
		byIP:    maps.Clone(inv.byIP),
		v4:      inv.v4.clone(),
		v6:      inv.v6.clone(),
	}
}

// Len returns the number of records.
func (inv *Inventory) Len() int { return len(inv.records) }

// Add validates a record and adds it. The error lists every problem, each
// naming the field ("tier", "ips[1]").
func (inv *Inventory) Add(r Record) error {
	if probs := inv.check(&r); len(probs) > 0 {
		errs := make([]string, len(probs))
		for i, p := range probs {
			errs[i] = p.name() + ": " + p.msg
		}
		return fmt.Errorf("cmdb: asset %q: %s", r.Name, strings.Join(errs, "; "))
	}
	inv.insert(r)
	return nil
}

// problem is one invalid field of a record; index is the list element at
// fault, or -1.
type problem struct {
	field string
	index int
	msg   string
}

// name is the field as errors name it: "tier", "ips[1]".
func (p problem) name() string {
	if p.index >= 0 {
		return fmt.Sprintf("%s[%d]", p.field, p.index)
	}
	return p.field
}

// check validates r against itself and the records already present and
// normalises it in place: trimmed name, canonical addresses and ranges.
func (inv *Inventory) check(r *Record) []problem {
	var probs []problem
	bad := func(field string, index int, format string, args ...any) {
		probs = append(probs, problem{field: field, index: index, msg: fmt.Sprintf(format, args...)})
	}

	// The lists are rewritten in canonical form below; the caller's must not
	// change under it.
	r.IPs, r.CIDRs = slices.Clone(r.IPs), slices.Clone(r.CIDRs)
	r.Name = strings.TrimSpace(r.Name)
	key := hostKey(r.Name)
	switch {
	case key == "":
		bad("name", -1, "is required")
	case strings.ContainsFunc(key, func(c rune) bool { return c <= ' ' }):
		bad("name", -1, "%q contains spaces", r.Name)
	default:
		if _, err := netip.ParseAddr(key); err == nil {
			bad("name", -1, "%q is an address: put it under ips and give the asset its host name", r.Name)
		} else if i, dup := inv.byName[key]; dup {
			bad("name", -1, "%q is already the name of another asset (%s)", r.Name, inv.records[i].Name)
		}
	}
	if r.Tier < 1 || r.Tier > 4 {
		bad("tier", -1, "must be 1 (most critical) to 4, got %d", r.Tier)
	}

	seenIP := map[netip.Addr]bool{}
	for i, s := range r.IPs {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			bad("ips", i, "%q is not an IP address", s)
			continue
		}
		a = a.Unmap().WithZone("")
		if other, dup := inv.byIP[a]; dup {
			bad("ips", i, "%s already belongs to asset %s", a, inv.records[other].Name)
		} else if seenIP[a] {
			bad("ips", i, "%s is listed twice", a)
		}
		seenIP[a] = true
		r.IPs[i] = a.String()
	}

	seenCIDR := map[netip.Prefix]bool{}
	for i, s := range r.CIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			bad("cidrs", i, "%q is not a CIDR range such as 10.0.2.0/24", s)
			continue
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		// Unlike a threat feed, the inventory is written by hand here, so a
		// range with host bits set is more likely a typo than shorthand.
		if m := p.Masked(); m != p {
			bad("cidrs", i, "%q has host bits set; did you mean %s?", s, m)
			continue
		}
		t := inv.table(p.Addr())
		if other, dup := t.get(p); dup {
			bad("cidrs", i, "%s already belongs to asset %s", p, inv.records[other].Name)
		} else if seenCIDR[p] {
			bad("cidrs", i, "%s is listed twice", p)
		}
		seenCIDR[p] = true
		r.CIDRs[i] = p.String()
	}

	var tags []string
	for _, t := range r.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	r.Tags = tags
	r.Owner, r.Role = strings.TrimSpace(r.Owner), strings.TrimSpace(r.Role)
	return probs
}

// insert adds a record after check. It also takes records check rejected,
// so that the rest of a failing file is still checked against them (a
// duplicate name is reported even when the first copy had a bad tier): it
// then skips the parts that did not parse and never overwrites an entry.
// Such an inventory is only ever discarded.
func (inv *Inventory) insert(r Record) {
	i := len(inv.records)
	inv.records = append(inv.records, r)
	key := hostKey(r.Name)
	if _, taken := inv.byName[key]; key != "" && !taken {
		inv.byName[key] = i
		if short, _, qualified := strings.Cut(key, "."); qualified {
			inv.byShort[short] = append(inv.byShort[short], i)
		}
	}
	for _, s := range r.IPs {
		a, err := netip.ParseAddr(s)
		if _, taken := inv.byIP[a]; err == nil && !taken {
			inv.byIP[a] = i
		}
	}
	for _, s := range r.CIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil || p != p.Masked() {
			continue
		}
		t := inv.table(p.Addr())
		if _, taken := t.get(p); !taken {
			t.add(p, i)
		}
	}
}

func (inv *Inventory) table(a netip.Addr) *prefixTable {
	if a.Is4() {
		return &inv.v4
	}
	return &inv.v6
}

// Find returns the record that best matches the alert's host names and
// addresses, or nil. Host names win over addresses, an exact address over
// a range, and a longer range over a shorter one; among equals, the
// earlier argument wins. A host name that is an address is treated as
// one. The result is a copy.
func (inv *Inventory) Find(hosts, ips []string) *alert.Asset {
	var addrs []netip.Addr
	for _, h := range hosts {
		if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil {
			addrs = append(addrs, a.Unmap().WithZone(""))
			continue
		}
		if i, ok := inv.matchHost(h); ok {
			return inv.asset(i, MatchedByHostname)
		}
	}
	for _, s := range ips {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			addrs = append(addrs, a.Unmap().WithZone(""))
		}
	}
	for _, a := range addrs {
		if i, ok := inv.byIP[a]; ok {
			return inv.asset(i, MatchedByIP)
		}
	}
	best, bestBits := -1, -1
	for _, a := range addrs {
		t := inv.table(a)
		if i, bits, ok := t.longest(a); ok && bits > bestBits {
			best, bestBits = i, bits
		}
	}
	if best >= 0 {
		return inv.asset(best, MatchedByCIDR)
	}
	return nil
}

// matchHost finds a record by name: exactly, then a qualified query by its
// short name ("dc01.corp.example" finds "dc01"), then a short query by the
// one qualified name it starts ("dc01" finds "dc01.corp.example"). Two
// qualified records sharing a short name make that short name ambiguous;
// guessing would put the wrong tier on an incident, so it matches neither.
func (inv *Inventory) matchHost(h string) (int, bool) {
	key := hostKey(h)
	if key == "" {
		return 0, false
	}
	if i, ok := inv.byName[key]; ok {
		return i, true
	}
	if short, _, qualified := strings.Cut(key, "."); qualified {
		i, ok := inv.byName[short]
		return i, ok
	}
	if c := inv.byShort[key]; len(c) == 1 {
		return c[0], true
	}
	return 0, false
}

// hostKey is the form names are compared in: trimmed, lower-case, without
// the root's trailing dot.
func hostKey(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

func (inv *Inventory) asset(i int, matchedBy string) *alert.Asset {
	r := inv.records[i]
	return &alert.Asset{
		Name:      r.Name,
		Owner:     r.Owner,
		Role:      r.Role,
		Tier:      r.Tier,
		Tags:      slices.Clone(r.Tags),
		MatchedBy: matchedBy,
	}
}

// Records returns a copy of every record, in the order added.
func (inv *Inventory) Records() []Record {
	out := make([]Record, len(inv.records))
	for i, r := range inv.records {
		r.IPs, r.CIDRs, r.Tags = slices.Clone(r.IPs), slices.Clone(r.CIDRs), slices.Clone(r.Tags)
		out[i] = r
	}
	return out
}
