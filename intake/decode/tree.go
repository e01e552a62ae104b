package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Decoders read payloads as a generic JSON tree (map[string]any, []any,
// string, json.Number, bool, nil) rather than as vendor structs: the same
// field arrives as a string or a number, nested or as a dotted key, or as an
// array where the documentation promises a scalar, and a tree lets every
// read tolerate that in one place. Numbers stay json.Number so that 64-bit
// identifiers (Suricata flow_id) keep every digit.

// parseObject decodes one entry into a tree whose top level is an object.
func parseObject(format string, raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &FieldError{Format: format, Reason: describe(raw, err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Format: format, Reason: "more than one JSON value in one entry"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &FieldError{Format: format, Reason: "expected a JSON object, got " + kind(v)}
	}
	return obj, nil
}

// kind names a tree value's JSON type for error messages.
func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// get returns the value at path, or nil when it is absent or null.
//
// A path is dot-separated keys with optional [n] indexes
// ("evidence[0].fileDetails.sha1"). Because ECS documents mix nested objects
// with keys that themselves contain dots ({"kibana.alert.rule.name": ...} next
// to {"host": {"name": ...}}), each step tries the shortest key first and, when
// that misses, longer keys made of the following segments joined with dots,
// up to the whole remaining path as one key. A key segment met on an array
// applies to its elements, first match wins, as Elasticsearch flattens arrays
// of objects.
func get(v any, path string) any {
	got, _ := lookup(v, path, 0)
	return got
}

// maxLookupDepth bounds the recursion of lookup on hostile input.
const maxLookupDepth = 64

func lookup(v any, path string, depth int) (any, bool) {
	if path == "" {
		return v, v != nil
	}
	if depth > maxLookupDepth {
		return nil, false
	}
	switch t := v.(type) {
	case map[string]any:
		for i := 0; i <= len(path); i++ {
			if i < len(path) && path[i] != '.' && path[i] != '[' {
				continue
			}
			if i == 0 {
				// An empty key (a path starting with "." or "[") matches
				// nothing.
				continue
			}
			child, ok := t[path[:i]]
			if !ok {
				continue
			}
			rest := path[i:]
			if rest != "" && rest[0] == '.' {
				rest = rest[1:]
				if rest == "" {
					continue
				}
			}
			if got, ok := lookup(child, rest, depth+1); ok {
				return got, true
			}
		}
	case []any:
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(path[1:end])
			if err != nil || n < 0 || n >= len(t) {
				return nil, false
			}
			rest := path[end+1:]
			if rest != "" && rest[0] == '.' {
				rest = rest[1:]
				if rest == "" {
					return nil, false
				}
			}
			return lookup(t[n], rest, depth+1)
		}
		for _, el := range t {
			if got, ok := lookup(el, path, depth+1); ok {
				return got, true
			}
		}
	}
	return nil, false
}

// obj returns the object at path, or nil.
func obj(v any, path string) map[string]any {
	m, _ := get(v, path).(map[string]any)
	return m
}

// list returns the array at path; a single value is a one-element list,
// because producers emit a scalar where the schema has an array of one.
func list(v any, path string) []any {
	switch t := get(v, path).(type) {
	case nil:
		return nil
	case []any:
		return t
	default:
		return []any{t}
	}
}

// objects returns the objects in the array at path, skipping anything else.
func objects(v any, path string) []map[string]any {
	var out []map[string]any
	for _, el := range list(v, path) {
		if m, ok := el.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// scalar renders a string, number or boolean as text; for an array it
// renders the first element that is a non-empty scalar. It trims spaces.
func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case []any:
		for _, el := range t {
			if s := scalar(el); s != "" {
				if _, nested := el.([]any); !nested {
					return s
				}
			}
		}
	}
	return ""
}

// placeholders are the values products write when they have none. They
// are read as absent, so that "N/A" never becomes a user to disable.
var placeholders = map[string]bool{
	"-": true, "--": true, "n/a": true, "na": true, "null": true, "nil": true, "none": true,
	"(none)": true, "(null)": true, "unknown": true, "undefined": true, "<unknown>": true,
}

// clean drops placeholder values.
func clean(s string) string {
	if len(s) <= len("<unknown>") && placeholders[strings.ToLower(s)] {
		return ""
	}
	return s
}

// str returns the first of the paths holding a usable value, as text, with
// placeholders read as absent.
func str(v any, paths ...string) string {
	for _, p := range paths {
		if s := clean(scalar(get(v, p))); s != "" {
			return s
		}
	}
	return ""
}

// rawStr is str without placeholder cleaning, for enumerations such as a
// severity where "unknown" is a value with a meaning.
func rawStr(v any, paths ...string) string {
	for _, p := range paths {
		if s := scalar(get(v, p)); s != "" {
			return s
		}
	}
	return ""
}

// strs returns every usable scalar at the path: an array's elements, or the
// single value.
func strs(v any, path string) []string {
	var out []string
	for _, el := range list(v, path) {
		if s := clean(scalar(el)); s != "" {
			if _, nested := el.([]any); !nested {
				out = append(out, s)
			}
		}
	}
	return out
}

// number reads a JSON number or a numeric string ("4", " 8.0 ").
func number(v any) (float64, bool) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	case []any:
		if len(t) == 1 {
			return number(t[0])
		}
		return 0, false
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// num returns the first of the paths holding a number.
func num(v any, paths ...string) (float64, bool) {
	for _, p := range paths {
		if f, ok := number(get(v, p)); ok {
			return f, true
		}
	}
	return 0, false
}

// integer returns the first of the paths holding a whole number that fits
// an int.
func integer(v any, paths ...string) (int, bool) {
	f, ok := num(v, paths...)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int(f), true
}

// port returns the first of the paths holding a TCP/UDP port, or 0.
func port(v any, paths ...string) int {
	p, ok := integer(v, paths...)
	if !ok || p < 1 || p > 65535 {
		return 0
	}
	return p
}

// pid returns the first of the paths holding a process ID, or 0.
func pid(v any, paths ...string) int {
	p, ok := integer(v, paths...)
	if !ok || p < 0 {
		return 0
	}
	return p
}

// timeLayouts are the textual time forms the products emit, tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // Suricata, Wazuh: +0000
	"2006-01-02T15:04:05.999999999",      // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	time.RFC1123Z,
	time.RFC1123,
}

// parseTime reads a time written as text in one of timeLayouts, or as epoch
// seconds, milliseconds, microseconds or nanoseconds (a JSON number or a
// numeric string; the unit is told from the magnitude). The result is UTC.
// Times before 1971 or after 9999 are refused: they are a zero or garbage
// value, and a year past 9999 cannot even be encoded as JSON.
func parseTime(v any) (time.Time, error) {
	var t time.Time
	switch x := v.(type) {
	case nil:
		return time.Time{}, errors.New("missing")
	case json.Number:
		var ok bool
		if t, ok = epochText(x.String()); !ok {
			return time.Time{}, fmt.Errorf("%q is not a time", x.String())
		}
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return time.Time{}, errors.New("missing")
		}
		if et, ok := epochText(s); ok {
			t = et
			break
		}
		for _, layout := range timeLayouts {
			if p, err := time.Parse(layout, s); err == nil {
				t = p
				break
			}
		}
		if t.IsZero() {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or epoch number", s)
		}
	case []any:
		if len(x) > 0 {
			return parseTime(x[0])
		}
		return time.Time{}, errors.New("missing")
	default:
		return time.Time{}, fmt.Errorf("expected a time, got %s", kind(v))
	}
	if y := t.Year(); y < 1971 || y > 9999 {
		return time.Time{}, fmt.Errorf("%s is not a plausible alert time", t.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// epochText reads a Unix timestamp written as decimal text ("1778750385",
// "1778753001.372"), exactly: a float64 would turn .372 s into
// .371999999 s. The unit is told from the magnitude as epoch says. It
// reports false for text that is not a number.
func epochText(s string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(whole) || (hasFrac && !allDigits(frac)) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, false
		}
		return epoch(f), true
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		// Too many digits for any unit: a number, but not a time.
		return time.Time{}, true
	}
	switch {
	case n == 0:
		return time.Time{}, true
	case n < 1e11:
		if len(frac) > 9 {
			frac = frac[:9]
		}
		nanos := 0
		if frac != "" {
			nanos, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		}
		return time.Unix(n, int64(nanos)), true
	case n < 1e14:
		return time.UnixMilli(n), true
	case n < 1e17:
		return time.UnixMicro(n), true
	default:
		return time.Unix(0, n), true
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// epoch turns a Unix timestamp of unknown unit into a time: below 1e11 it
// is seconds (until the year 5138), below 1e14 milliseconds, below 1e17
// microseconds, else nanoseconds.
func epoch(f float64) time.Time {
	if f <= 0 || f > 9.2e18 {
		return time.Time{}
	}
	switch {
	case f < 1e11:
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9))
	case f < 1e14:
		return time.UnixMilli(int64(f))
	case f < 1e17:
		return time.UnixMicro(int64(f))
	default:
		return time.Unix(0, int64(f))
	}
}

// timeAt reads the first of the paths that is present as a time. It
// returns an error naming that path when it is present but unreadable, and
// one naming the first path when none is present.
func timeAt(format string, v any, paths ...string) (time.Time, error) {
	for _, p := range paths {
		val := get(v, p)
		if val == nil {
			continue
		}
		if s, ok := val.(string); ok && clean(strings.TrimSpace(s)) == "" {
			continue
		}
		t, err := parseTime(val)
		if err != nil {
			return time.Time{}, &FieldError{Format: format, Field: p, Reason: err.Error()}
		}
		return t, nil
	}
	return time.Time{}, missing(format, paths[0])
}

// describe turns encoding/json's errors into messages that say where.
func describe(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		l, c := position(data, se.Offset)
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", l, c, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("%s: expected %s, got JSON %s", field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "invalid JSON: unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// DescribeJSONError turns encoding/json's errors into messages that say
// where (line and column) and what, for any JSON socflow reads.
func DescribeJSONError(data []byte, err error) string { return describe(data, err) }

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func firstChars(b []byte) string {
	if len(b) > 20 {
		b = b[:20]
	}
	return string(b)
}

// Helpers for Detect, which sees only the top-level fields as raw JSON and
// must stay cheap: they decode one field at a time and treat anything
// unexpected as "not this format".

// rawHas reports whether key is present and not null.
func rawHas(o map[string]json.RawMessage, key string) bool {
	v, ok := o[key]
	return ok && len(v) > 0 && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// rawString returns the string at key, or "".
func rawString(o map[string]json.RawMessage, key string) string {
	v, ok := o[key]
	if !ok || len(v) == 0 || v[0] != '"' {
		return ""
	}
	if plain, ok := plainString(v); ok {
		return plain
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// plainString reads a JSON string without escapes (alert.PlainJSONString).
func plainString(v json.RawMessage) (string, bool) { return alert.PlainJSONString(v) }

// rawObject returns the object at key split into its fields, or nil.
func rawObject(o map[string]json.RawMessage, key string) map[string]json.RawMessage {
	v := bytes.TrimSpace(o[key])
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil
	}
	return m
}

// rawFirst returns the first element of the array at key split into its
// fields, or nil when the array is empty or its first element is not an
// object. It reports whether key holds an array at all.
func rawFirst(o map[string]json.RawMessage, key string) (first map[string]json.RawMessage, isArray bool) {
	v := bytes.TrimSpace(o[key])
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		return nil, false
	}
	if len(items) == 0 {
		return nil, true
	}
	b := bytes.TrimSpace(items[0])
	if len(b) == 0 || b[0] != '{' {
		return nil, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil, true
	}
	return m, true
}

// rawItems returns the elements of the array found by following keys from
// the top level, each with its own bytes, so that every alert of a page
// keeps its own raw payload.
func rawItems(raw []byte, keys ...string) ([]json.RawMessage, error) {
	cur := json.RawMessage(raw)
	for _, k := range keys {
		var o map[string]json.RawMessage
		if err := json.Unmarshal(cur, &o); err != nil {
			return nil, err
		}
		cur = o[k]
	}
	cur = bytes.TrimSpace(cur)
	if len(cur) == 0 || bytes.Equal(cur, []byte("null")) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(cur, &items); err != nil {
		return nil, err
	}
	return items, nil
}
