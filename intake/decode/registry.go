package decode

import (
	segjson "github.com/segmentio/encoding/json"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Registry holds the formats socflow can decode, in detection order. The
// zero value is an empty registry ready for Add; it is safe for concurrent
// use, so a configuration reload may Add while intake decodes.
type Registry struct {
	mu      sync.RWMutex
	formats []Format
}

// fallbackFormat marks a format that must stay last in detection order.
// Only native is one: it claims anything shaped like a socflow alert and
// rejects unknown fields, so anything tried after it would never be reached
// for such payloads.
type fallbackFormat interface {
	Format
	fallback()
}

// Builtin returns a registry holding every built-in format in detection
// order, most specific first:
//
//	ocsf, falcon, guardduty, suricata, elastic, defender, graph, wazuh, splunk, native
//
// The detectors are written to be disjoint, so the order only matters for
// payloads that look like two formats at once:
//
//   - ocsf first: class_uid with a metadata object is unmistakable, and it
//     claims every OCSF class so that a non-detection class is rejected with a
//     message naming class_uid instead of "no format matched".
//   - falcon, guardduty and suricata key on envelope fields only they use
//     (metadata.eventType with event; schemaVersion/type or source
//     aws.guardduty; a known EVE event_type with timestamp).
//   - elastic before wazuh: Elastic alert documents carry ECS rule.* and
//     agent.* objects that look like a Wazuh alert's rule and agent; the
//     kibana.alert.* fields settle it, so elastic is asked first.
//   - defender before graph: both use {"value": [...]} pages; each checks
//     @odata.context or the first element, and an empty page with no context
//     decodes to no alerts whichever claims it.
//   - splunk late: search_name with a result object is specific, but the
//     result may hold anything, so every vendor detector goes first.
//   - native last, and formats added later (generic mappings) go before it:
//     native claims whatever is shaped like a socflow alert and rejects
//     unknown fields, so a site mapping for a similar-looking product must get
//     its chance first. Generic mappings go after the built-ins: a loose
//     Detect in a site mapping must not take Suricata or Falcon alerts away
//     from their decoders. A site that wants its mapping for a payload a
//     built-in also detects forces the format by name.
func Builtin() *Registry {
	return &Registry{formats: []Format{
		ocsfFormat{}, falconFormat{}, guarddutyFormat{}, suricataFormat{}, elasticFormat{},
		defenderFormat{}, graphFormat{}, wazuhFormat{}, splunkFormat{}, nativeFormat{},
	}}
}

// Add appends f to the detection order, ahead of the native fallback. It
// rejects a nil format, an empty name, and a name already registered
// (compared without regard to case, as Get looks names up).
func (r *Registry) Add(f Format) error {
	if f == nil {
		return errors.New("decode: cannot add a nil format")
	}
	name := f.Name()
	if strings.TrimSpace(name) == "" {
		return errors.New("decode: cannot add a format with an empty name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.formats {
		if strings.EqualFold(g.Name(), name) {
			return fmt.Errorf("decode: format %q is already registered", name)
		}
	}
	at := len(r.formats)
	if _, last := f.(fallbackFormat); !last {
		for at > 0 {
			if _, fb := r.formats[at-1].(fallbackFormat); !fb {
				break
			}
			at--
		}
	}
	// Copy on write: Detect iterates a snapshot of the slice without the
	// lock, so the backing array it reads must never change.
	next := make([]Format, 0, len(r.formats)+1)
	next = append(next, r.formats[:at]...)
	next = append(next, f)
	r.formats = append(next, r.formats[at:]...)
	return nil
}

// Get returns the format with this name, compared without regard to case.
func (r *Registry) Get(name string) (Format, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.formats {
		if strings.EqualFold(f.Name(), name) {
			return f, true
		}
	}
	return nil, false
}

// Names lists the registered formats in detection order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, len(r.formats))
	for i, f := range r.formats {
		names[i] = f.Name()
	}
	return names
}

// Detect returns the format of one entry, or an error listing what was
// tried (and the entry's top-level keys) when none matches.
func (r *Registry) Detect(raw []byte) (Format, error) {
	obj, err := topLevel(raw)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	formats := r.formats
	r.mu.RUnlock()
	for _, f := range formats {
		if f.Detect(obj) {
			return f, nil
		}
	}
	if looksNative(obj) {
		if f, ok := r.Get("native"); ok {
			return f, nil
		}
	}
	tried := make([]string, len(formats))
	for i, f := range formats {
		tried[i] = f.Name()
	}
	return nil, fmt.Errorf("no known alert format matches this entry (tried %s; top-level keys: %s); name the format to force one",
		strings.Join(tried, ", "), keySample(obj))
}

// Decode detects the format of one entry, or uses the format named name
// when it is not empty, and decodes the entry. As with Format.Decode, a page
// holding unusable elements returns its usable alerts and an error naming
// the others.
func (r *Registry) Decode(raw []byte, name string) (Result, error) {
	raw = trimEntry(raw)
	if name != "" {
		f, ok := r.Get(name)
		if !ok {
			return Result{}, fmt.Errorf("unknown alert format %q: known formats are %s", name, strings.Join(r.Names(), ", "))
		}
		if len(raw) == 0 {
			return Result{}, &FieldError{Format: f.Name(), Reason: "the entry is empty"}
		}
		return f.Decode(raw)
	}
	f, err := r.Detect(raw)
	if err != nil {
		return Result{}, err
	}
	return f.Decode(raw)
}

// trimEntry drops a byte order mark and surrounding white space, which
// files exported on Windows and hand-edited payloads carry.
func trimEntry(raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	return bytes.TrimSpace(raw)
}

// topLevel splits an entry into its top-level fields for Detect.
func topLevel(raw []byte) (map[string]json.RawMessage, error) {
	raw = trimEntry(raw)
	if len(raw) == 0 {
		return nil, errors.New("the entry is empty")
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("the entry is not a JSON object (it starts with %q)", firstChars(raw))
	}
	// encoding/json's Valid at a third of the cost; FuzzTopLevel holds
	// them equal, except that segmentio sets no nesting limit (an entry
	// deeper than encoding/json's 10,000 levels fails in the decoder).
	if !segjson.Valid(raw) {
		var obj map[string]json.RawMessage
		err := json.Unmarshal(raw, &obj) // for the error's position
		return nil, errors.New(describe(raw, err))
	}
	return scanObject(raw), nil
}

// scanObject splits a valid JSON object into its top-level fields without
// decoding or copying their values (each is a slice of raw, capped so that
// appending copies). Measured in a storm, detection by json.Unmarshal into
// a map was a third of intake's CPU; this costs the validity check and one
// pass. As with json.Unmarshal, a repeated key keeps its last value.
func scanObject(raw []byte) map[string]json.RawMessage {
	obj := make(map[string]json.RawMessage, 16)
	i := skipSpace(raw, 1)
	if raw[i] == '}' {
		return obj
	}
	for {
		end := skipString(raw, i)
		key := string(raw[i+1 : end-1])
		if bytes.IndexByte(raw[i:end], '\\') >= 0 || !utf8.Valid(raw[i:end]) {
			_ = json.Unmarshal(raw[i:end], &key) // valid: cannot fail
		}
		i = skipSpace(raw, skipSpace(raw, end)+1) // past ':'
		vend := skipValue(raw, i)
		obj[key] = raw[i:vend:vend]
		i = skipSpace(raw, vend)
		if raw[i] == '}' {
			return obj
		}
		i = skipSpace(raw, i+1) // past ','
	}
}

// SplitArray splits a JSON array into its elements without decoding or
// copying them (each is a slice of raw, capped so that appending copies),
// as json.Unmarshal into []json.RawMessage would after checking it: it
// reports false, splitting nothing, when raw is not one valid array.
// Intake splits every batch this way; json.Unmarshal was a twentieth of a
// storm's CPU.
func SplitArray(raw []byte) ([][]byte, bool) {
	raw = trimJSONSpace(raw) // not bytes.TrimSpace: "\v" is not JSON's
	if len(raw) == 0 || raw[0] != '[' || !segjson.Valid(raw) {
		return nil, false
	}
	var out [][]byte
	i := skipSpace(raw, 1)
	if raw[i] == ']' {
		return out, true
	}
	for {
		end := skipValue(raw, i)
		out = append(out, raw[i:end:end])
		i = skipSpace(raw, end)
		if raw[i] == ']' {
			return out, true
		}
		i = skipSpace(raw, i+1) // past ','
	}
}

// trimJSONSpace drops the white space JSON allows around a value.
func trimJSONSpace(raw []byte) []byte {
	return bytes.Trim(raw, " \t\r\n")
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that opens at raw[i].
func skipString(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(raw)
}

// skipValue returns the index after the value that starts at raw[i].
func skipValue(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(raw); j++ {
			switch raw[j] {
			case '"':
				j = skipString(raw, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(raw)
	}
	j := i
	for j < len(raw) && !strings.ContainsRune(",}] \t\r\n", rune(raw[j])) {
		j++
	}
	return j
}

// keySample lists up to eight top-level keys, sorted, so that a "no format
// matched" error shows what the payload looked like.
func keySample(obj map[string]json.RawMessage) string {
	if len(obj) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		return strings.Join(keys[:8], ", ") + fmt.Sprintf(" and %d more", len(keys)-8)
	}
	return strings.Join(keys, ", ")
}
