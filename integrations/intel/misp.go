package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A MISP feed folder, as MISP's feed generator writes it, holds:
//
//   - manifest.json: {"<event uuid>": {"info", "date", "threat_level_id",
//     "Tag", ...}} listing every event of the feed;
//   - <event uuid>.json: {"Event": {"info", "threat_level_id",
//     "Attribute": [...], "Object": [{"Attribute": [...]}], "Tag": [...]}};
//   - hashes.csv: "<md5>,<event uuid>" lines.
//
// Only the events the manifest lists are loaded; an event file it does not
// list is stale and is counted, as is a listed event whose file is missing
// (a feed caught halfway through a sync). hashes.csv is not an indicator
// list: its MD5s are hashes of attribute values, which MISP uses to
// correlate a feed without downloading it, not hashes of files; loading
// them as MD5 indicators would be wrong, so the file is not read. It still
// counts for change detection, since it changes with the feed.
//
// Only attributes with to_ids set are indicators: that is MISP's own
// "usable for detection" flag; the rest (links, comments, context) would
// flag things the event only mentions. Attributes inside objects count
// like top-level ones.
const mispManifest = "manifest.json"

// mispConfidence maps an event's threat_level_id to a confidence. MISP
// events carry no confidence of their own; the threat level is the
// closest signal an analyst set: 1 (high) 90, 2 (medium) 70, 3 (low) 40,
// and 4 (undefined) or none DefaultConfidence, like a bare list.
func mispConfidence(threatLevel int) int {
	switch threatLevel {
	case 1:
		return 90
	case 2:
		return 70
	case 3:
		return 40
	}
	return DefaultConfidence
}

type mispEvent struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	Date          string          `json:"date"`
	ThreatLevelID flexInt         `json:"threat_level_id"`
	Attribute     []mispAttribute `json:"Attribute"`
	Object        []mispObject    `json:"Object"`
	Tag           []mispTag       `json:"Tag"`
}

type mispObject struct {
	Name      string          `json:"name"`
	Deleted   flexBool        `json:"deleted"`
	Attribute []mispAttribute `json:"Attribute"`
}

type mispAttribute struct {
	UUID     string    `json:"uuid"`
	Type     string    `json:"type"`
	Category string    `json:"category"`
	Value    string    `json:"value"`
	Comment  string    `json:"comment"`
	ToIDs    flexBool  `json:"to_ids"`
	Deleted  flexBool  `json:"deleted"`
	Tag      []mispTag `json:"Tag"`
}

type mispTag struct {
	Name string `json:"name"`
}

type mispManifestEntry struct {
	Info          string    `json:"info"`
	Date          string    `json:"date"`
	ThreatLevelID flexInt   `json:"threat_level_id"`
	Tag           []mispTag `json:"Tag"`
}

// flexBool reads MISP's booleans, which exports write as true, "1" or 1.
type flexBool bool

// UnmarshalJSON accepts true/false, 1/0 and their quoted forms.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(string(bytes.Trim(data, `"`))) {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// flexInt reads MISP's numbers, which exports write as 3 or "3".
type flexInt int

// UnmarshalJSON accepts a number or a quoted number.
func (n *flexInt) UnmarshalJSON(data []byte) error {
	s := string(bytes.Trim(data, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%s is not a whole number", data)
	}
	*n = flexInt(v)
	return nil
}

// mispFeed loads a MISP feed folder.
func (l *loader) mispFeed(dir string) (Report, error) {
	source := filepath.Base(dir)
	if abs, err := filepath.Abs(dir); err == nil {
		source = filepath.Base(abs)
	}
	rep := Report{Source: dir}
	manifestPath := filepath.Join(dir, mispManifest)
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return Report{}, err
	}
	var manifest map[string]mispManifestEntry
	if err := json.Unmarshal(data, &manifest); err != nil {
		return Report{}, jsonError(manifestPath, data, err)
	}
	uuids := make([]string, 0, len(manifest))
	for id := range manifest {
		uuids = append(uuids, id)
	}
	slices.Sort(uuids)
	for _, id := range uuids {
		entry := manifest[id]
		if id == "" || strings.ContainsAny(id, `/\`) || strings.Contains(id, "..") {
			rep.skip(SkipMissingEvent, fmt.Sprintf("%s: event %q is not a UUID", manifestPath, id))
			continue
		}
		path := filepath.Join(dir, id+".json")
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			rep.skip(SkipMissingEvent, fmt.Sprintf("%s: event %s (%s) is listed but %s is missing", manifestPath, id, entry.Info, filepath.Base(path)))
			continue
		}
		if err != nil {
			return Report{}, err
		}
		var doc jsonDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			return Report{}, jsonError(path, data, err)
		}
		ev := doc.Event
		if ev == nil {
			ev = &doc.mispEvent
		}
		// The event file is the authority; the manifest fills gaps.
		if ev.UUID == "" {
			ev.UUID = id
		}
		if ev.Info == "" {
			ev.Info = entry.Info
		}
		if ev.ThreatLevelID == 0 {
			ev.ThreatLevelID = entry.ThreatLevelID
		}
		if len(ev.Tag) == 0 {
			ev.Tag = entry.Tag
		}
		l.mispEvent(&rep, source, ev, noteAt(path, data))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return Report{}, err
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || name == mispManifest || !strings.EqualFold(filepath.Ext(name), ".json") {
			continue
		}
		if _, listed := manifest[strings.TrimSuffix(name, filepath.Ext(name))]; !listed {
			rep.skip(SkipUnlistedEvent, fmt.Sprintf("%s: not listed in %s", filepath.Join(dir, name), mispManifest))
		}
	}
	return rep, nil
}

// mispEvent queues the indicators of one event. where names an
// attribute's place in notes.
func (l *loader) mispEvent(rep *Report, source string, ev *mispEvent, where func(uuid string) string) {
	conf := uint8(mispConfidence(int(ev.ThreatLevelID)))
	var labels []string
	for _, t := range ev.Tag {
		if t.Name != "" && !slices.Contains(labels, t.Name) {
			labels = append(labels, t.Name)
		}
	}
	if ev.UUID != "" {
		labels = append(labels, "misp-event:"+ev.UUID)
	}
	attrs := slices.Clone(ev.Attribute)
	for _, o := range ev.Object {
		if o.Deleted {
			for range o.Attribute {
				rep.skip(SkipDeleted, "")
			}
			continue
		}
		attrs = append(attrs, o.Attribute...)
	}
	for _, a := range attrs {
		switch {
		case bool(a.Deleted):
			rep.skip(SkipDeleted, "")
			continue
		case !bool(a.ToIDs):
			rep.skip(SkipNotToIDs, "")
			continue
		}
		vals, ok := mispValues(a.Type, a.Value)
		if !ok {
			rep.skip(SkipAttributeType, fmt.Sprintf("%s: attribute %s: type %q is not one the index holds", where(a.UUID), a.UUID, a.Type))
			continue
		}
		m := meta{source: source, description: ev.Info, labels: labels}
		if c := strings.TrimSpace(a.Comment); c != "" {
			m.description = ev.Info + ": " + c
		}
		if len(a.Tag) > 0 {
			m.labels = slices.Clone(labels)
			for _, t := range a.Tag {
				if t.Name != "" && !slices.Contains(m.labels, t.Name) {
					m.labels = append(m.labels, t.Name)
				}
			}
		}
		for _, mv := range vals {
			v, err := parseValue(mv.kind, strings.TrimSpace(mv.text))
			if err != nil {
				rep.skip(SkipInvalidValue, fmt.Sprintf("%s: attribute %s (%s): %v", where(a.UUID), a.UUID, a.Type, err))
				continue
			}
			l.b.add(v, conf, m)
			rep.Loaded++
		}
	}
}

// mispValue is one indicator inside a MISP attribute value.
type mispValue struct {
	kind kind
	text string
}

// mispValues splits a MISP attribute into the indicators it holds. Composite
// types ("domain|ip", "filename|sha256", "ip-dst|port") join their parts
// with '|'. It reports false for types the index does not hold.
func mispValues(typ, v string) ([]mispValue, bool) {
	before := func() string {
		if i := strings.LastIndexByte(v, '|'); i >= 0 {
			return v[:i]
		}
		return v
	}
	after := func() string {
		if i := strings.LastIndexByte(v, '|'); i >= 0 {
			return v[i+1:]
		}
		return v
	}
	switch typ {
	case "ip-src", "ip-dst":
		return []mispValue{{ipKind(v), v}}, true
	case "ip-src|port", "ip-dst|port":
		ip := before()
		return []mispValue{{ipKind(ip), ip}}, true
	case "domain", "hostname":
		return []mispValue{{kindDomain, v}}, true
	case "hostname|port":
		return []mispValue{{kindDomain, before()}}, true
	case "domain|ip":
		d, ip, _ := strings.Cut(v, "|")
		return []mispValue{{kindDomain, d}, {ipKind(ip), ip}}, true
	case "url":
		return []mispValue{{kindURL, v}}, true
	case "md5":
		return []mispValue{{kindMD5, v}}, true
	case "sha1":
		return []mispValue{{kindSHA1, v}}, true
	case "sha256":
		return []mispValue{{kindSHA256, v}}, true
	case "filename|md5":
		return []mispValue{{kindMD5, after()}}, true
	case "filename|sha1":
		return []mispValue{{kindSHA1, after()}}, true
	case "filename|sha256":
		return []mispValue{{kindSHA256, after()}}, true
	}
	return nil, false
}

// ipKind is the kind of an ip-src/ip-dst value: MISP allows a CIDR there.
// Anything else is taken for IPv4 so that parsing reports it.
func ipKind(v string) kind {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		return kindCIDR
	}
	if a, err := netip.ParseAddr(v); err == nil && !a.Unmap().Is4() {
		return kindIPv6
	}
	return kindIPv4
}
