package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
)

// stixIndicator is the part of a STIX 2.x indicator the index reads. The
// 2.0 fields are read too: labels (which 2.0 used for the indicator type)
// and a missing pattern_type, which 2.0 did not have.
type stixIndicator struct {
	Type           string   `json:"type"`
	ID             string   `json:"id"`
	Modified       string   `json:"modified"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until"`
	Confidence     *int     `json:"confidence"`
	Labels         []string `json:"labels"`
	IndicatorTypes []string `json:"indicator_types"`
	Revoked        bool     `json:"revoked"`
}

// AddSTIX adds the indicators among objects (STIX 2.0 or 2.1 objects, as a
// bundle or a TAXII collection holds them) under source, and reports what
// it loaded and skipped. It does not fail: objects it cannot use are
// skipped and counted.
//
// An indicator yields one entry per value its pattern reduces to (see
// pattern.go: an OR of equality tests on ipv4-addr, ipv6-addr (an address
// or a CIDR), domain-name, url and file hashes MD5, SHA-1 and SHA-256).
// Its confidence is the indicator's, DefaultConfidence when it has none;
// its labels are indicator_types and labels; its description is the name,
// or the description when it has no name. valid_from and valid_until are
// kept and checked at lookup time; an indicator already expired, or
// revoked, is skipped. When objects hold several versions of one
// indicator, the one modified last counts.
func (ix *Index) AddSTIX(source string, objects []json.RawMessage) Report {
	l := &loader{now: ix.now()}
	rep := Report{Source: source}
	l.stix(&rep, source, objects, func(id string) string { return source })
	ix.commit(&l.b)
	return rep
}

// stix queues the indicators among objects under source. where names an
// object's place for a note: file:line, or the collection.
func (l *loader) stix(rep *Report, source string, objects []json.RawMessage, where func(id string) string) {
	var inds []stixIndicator
	latest := map[string]int{}
	for i, raw := range objects {
		var ind stixIndicator
		if err := json.Unmarshal(raw, &ind); err != nil {
			// Without knowing its type this may not even be an
			// indicator, but a feed with broken objects deserves a
			// mention.
			rep.skip(SkipMalformed, fmt.Sprintf("%s: object %d: %v", where(""), i, err))
			continue
		}
		if ind.Type != "indicator" {
			continue
		}
		if j, ok := latest[ind.ID]; ok && ind.ID != "" {
			if !stixNewer(ind.Modified, inds[j].Modified) {
				continue
			}
			inds[j] = ind
			continue
		}
		latest[ind.ID] = len(inds)
		inds = append(inds, ind)
	}
	for i := range inds {
		l.stixIndicator(rep, source, &inds[i], where)
	}
}

// stixNewer reports whether modified timestamp a is later than b; an
// unreadable one is never newer.
func stixNewer(a, b string) bool {
	ta, err := time.Parse(time.RFC3339Nano, a)
	if err != nil {
		return false
	}
	tb, err := time.Parse(time.RFC3339Nano, b)
	return err != nil || ta.After(tb)
}

func (l *loader) stixIndicator(rep *Report, source string, ind *stixIndicator, where func(id string) string) {
	note := func(format string, args ...any) string {
		return fmt.Sprintf("%s: %s: %s", where(ind.ID), ind.ID, fmt.Sprintf(format, args...))
	}
	if ind.Revoked {
		rep.skip(SkipRevoked, "")
		return
	}
	if pt := strings.ToLower(ind.PatternType); pt != "" && pt != "stix" {
		rep.skip(SkipPatternType, note("pattern_type %q", ind.PatternType))
		return
	}
	from, err1 := stixTime(ind.ValidFrom)
	until, err2 := stixTime(ind.ValidUntil)
	if err := errors.Join(err1, err2); err != nil {
		rep.skip(SkipValidity, note("%v", err))
		return
	}
	if !from.IsZero() && !until.IsZero() && until.Before(from) {
		rep.skip(SkipValidity, note("valid_until %s is before valid_from %s", ind.ValidUntil, ind.ValidFrom))
		return
	}
	if !until.IsZero() && !l.now.Before(until) {
		rep.skip(SkipExpired, "")
		return
	}
	conf := DefaultConfidence
	if ind.Confidence != nil {
		conf = *ind.Confidence
		if conf < 0 || conf > 100 {
			rep.skip(SkipConfidence, note("confidence %d is out of range 0-100", conf))
			return
		}
	}
	red, err := reducePattern(ind.Pattern)
	if err != nil {
		rep.skip(SkipPatternSyntax, note("pattern %q: %v", ind.Pattern, err))
		return
	}
	m := meta{
		source:      source,
		description: ind.Name,
		labels:      stixLabels(ind),
		from:        from,
		until:       until,
	}
	if m.description == "" {
		m.description = ind.Description
	}
	loaded := 0
	var bad []patternSkip
	for _, pv := range red.values {
		v, err := stixValue(pv)
		if err != nil {
			bad = append(bad, patternSkip{reason: SkipInvalidValue, detail: err.Error()})
			continue
		}
		l.b.add(v, uint8(conf), m)
		loaded++
	}
	rep.Loaded += loaded
	skips := append(red.skips, bad...)
	if loaded == 0 && len(skips) > 0 {
		// Nothing of the indicator is usable: count it once, for the
		// first reason.
		rep.skip(skips[0].reason, note("%s", skips[0].detail))
		return
	}
	for _, s := range skips {
		rep.skip(s.reason, note("%s (other values of the pattern loaded)", s.detail))
	}
}

// stixValue validates one value of a pattern as the kind its object path
// holds. ipv4-addr and ipv6-addr values may be CIDR ranges, and a range
// must be of the path's family.
func stixValue(pv patternValue) (value, error) {
	v := strings.TrimSpace(pv.value)
	k := pv.kind
	family := kind(0)
	switch k {
	case kindIPv4, kindIPv6:
		family = k
		if strings.Contains(v, "/") {
			k = kindCIDR
		}
	case kindCIDR: // ISSUBSET: a range, or a single address
		family = kindIPv4
		if strings.HasPrefix(pv.path, "ipv6-addr") {
			family = kindIPv6
		}
		if !strings.Contains(v, "/") {
			k = family
		}
	case 0: // network-traffic reference: an address, a range or a domain
		if ik, ok := inferKind(v); ok && (ik == kindIPv4 || ik == kindIPv6 || ik == kindCIDR || ik == kindDomain) {
			k = ik
		} else {
			return value{}, fmt.Errorf("%s = %q: want an IP address, range or domain", pv.path, v)
		}
	}
	val, err := parseValue(k, v)
	if err != nil {
		return value{}, fmt.Errorf("%s: %w", pv.path, err)
	}
	if k == kindCIDR && family != 0 && val.addr.Is4() != (family == kindIPv4) {
		return value{}, fmt.Errorf("%s: %q is not an %s range", pv.path, v, family)
	}
	return val, nil
}

// stixLabels merges indicator_types and labels, dropping repeats.
func stixLabels(ind *stixIndicator) []string {
	var out []string
	for _, l := range slices.Concat(ind.IndicatorTypes, ind.Labels) {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// stixTime parses a STIX timestamp; empty is the zero time.
func stixTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
	}
	return t, nil
}

// jsonDoc is any JSON file AddPath reads: a STIX bundle or lone object, a
// MISP event with or without its {"Event": ...} wrapper, or a MISP search
// result.
type jsonDoc struct {
	Type     string            `json:"type"`
	ID       json.RawMessage   `json:"id"`
	Objects  []json.RawMessage `json:"objects"`
	Event    *mispEvent        `json:"Event"`
	Response []struct {
		Event *mispEvent `json:"Event"`
	} `json:"response"`
	mispEvent
}

// json loads a .json file by what it holds.
func (l *loader) json(path string, data []byte) (Report, error) {
	var doc jsonDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return Report{}, jsonError(path, data, err)
	}
	source := filepath.Base(path)
	rep := Report{Source: path}
	where := noteAt(path, data)
	switch {
	case doc.Type == "bundle":
		l.stix(&rep, source, doc.Objects, where)
	case doc.Event != nil:
		l.mispEvent(&rep, source, doc.Event, where)
	case len(doc.Response) > 0:
		for _, r := range doc.Response {
			if r.Event != nil {
				l.mispEvent(&rep, source, r.Event, where)
			}
		}
	case doc.Type != "" && strings.Contains(string(doc.ID), "--"):
		l.stix(&rep, source, []json.RawMessage{data}, where)
	case doc.Info != "" || len(doc.Attribute) > 0 || len(doc.Object) > 0:
		l.mispEvent(&rep, source, &doc.mispEvent, where)
	default:
		return Report{}, &LineError{File: path, Line: 1, Msg: `neither a STIX bundle ("type": "bundle") nor a MISP event ({"Event": ...})`}
	}
	return rep, nil
}

// jsonError turns a decoding error into a *LineError naming the line.
func jsonError(path string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &LineError{File: path, Line: lineAt(data, syn.Offset), Msg: "invalid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		msg := fmt.Sprintf("%s is a JSON %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type))
		if typ.Field == "" {
			msg = fmt.Sprintf("the document is a JSON %s, want an object", typ.Value)
		}
		return &LineError{File: path, Line: lineAt(data, typ.Offset), Msg: msg}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// jsonKind names what a Go type reads, in JSON terms.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// noteAt returns where for the notes about one file: path:line of the
// object or attribute with the given id.
func noteAt(path string, data []byte) func(id string) string {
	return func(id string) string { return fmt.Sprintf("%s:%d", path, lineOf(data, id)) }
}

// lineOf finds the line of the object whose "id" (STIX) or "uuid" (MISP)
// is id; the first mention of id, or 1, when it cannot. It runs only for
// the few notes a report keeps.
func lineOf(data []byte, id string) int {
	if id == "" {
		return 1
	}
	quoted := []byte(`"` + id + `"`)
	first := -1
	for off := 0; ; {
		i := bytes.Index(data[off:], quoted)
		if i < 0 {
			break
		}
		at := off + i
		if first < 0 {
			first = at
		}
		before := bytes.TrimRight(data[:at], " \t\r\n")
		if key, ok := bytes.CutSuffix(before, []byte(":")); ok {
			key = bytes.TrimRight(key, " \t\r\n")
			if bytes.HasSuffix(key, []byte(`"id"`)) || bytes.HasSuffix(key, []byte(`"uuid"`)) {
				return lineAt(data, int64(at))
			}
		}
		off = at + len(quoted)
	}
	if first < 0 {
		return 1
	}
	return lineAt(data, int64(first))
}
