// Package intake turns what detection tools send into canonical alerts and
// hands them to Temporal: it decodes a body (one JSON object, a JSON array or
// NDJSON), validates and bounds each alert (alert.Alert.Bound, then its
// size as Temporal receives it), fingerprints it, merges duplicates within
// a batch, and signals-with-start one RespondToAlert run per fingerprint.
// An alert Temporal refuses for what it is (an invalid argument, a size
// limit) is rejected; only one Temporal cannot take now is failed, to be
// resent.
package intake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake/decode"
	"github.com/socflow/socflow/policy"
)

// Item is one entry of a batch: a valid alert, or the reason it was
// rejected. Index counts entries from 0 in the order they appear; Line is
// the 1-based line of an NDJSON entry (0 otherwise).
type Item struct {
	Index int
	Line  int
	Alert *alert.Alert
	Err   error
}

// ErrMalformed means the body as a whole is not JSON, a JSON array, or
// NDJSON; no entry could be read.
var ErrMalformed = errors.New("malformed JSON")

// Parse reads a body of alerts in socflow's native format: one object, a
// JSON array of them, or NDJSON (one object per line). A bad entry is
// reported in its Item and does not affect the others; only a body that
// cannot be split into entries at all returns an error (wrapping
// ErrMalformed, with the position).
func Parse(body []byte) ([]Item, error) {
	b, err := ParseFormat(body, nil, "native")
	if err != nil {
		return nil, err
	}
	return b.Items, nil
}

// Batch is a parsed body: its alerts and rejections, and the events the
// formats skipped as not being alerts (Suricata flow records, say).
type Batch struct {
	Items   []Item
	Skipped int
	// SkipReasons counts the skipped events by reason.
	SkipReasons map[string]int
}

// ParseFormat splits a body into entries (one object, an array, NDJSON)
// and decodes each with dec in the given format ("" to detect it per
// entry). A nil dec reads socflow's native format only. One entry may hold
// several alerts (a Graph or Defender page); every alert of an entry gets
// the entry's index and line. A page with some bad alerts keeps the good
// ones.
func ParseFormat(body []byte, dec *decode.Registry, format string) (*Batch, error) {
	entries, err := split(body)
	if err != nil {
		return nil, err
	}
	if dec == nil {
		dec, format = decode.Builtin(), "native"
	}
	b := &Batch{}
	for _, e := range entries {
		res, err := dec.Decode(e.raw, format)
		for i := range res.Alerts {
			a := res.Alerts[i]
			// Who submitted an alert, and whether it is trusted, is the
			// credential's to say (Origin.Stamp), never the body's.
			a.SubmittedBy, a.AutoContainTrusted = "", false
			it := Item{Index: e.index, Line: e.line, Alert: &a}
			if verr := checkAlert(&a); verr != nil {
				it.Alert, it.Err = nil, verr
			}
			b.Items = append(b.Items, it)
		}
		if res.Skipped > 0 {
			b.Skipped += res.Skipped
			if b.SkipReasons == nil {
				b.SkipReasons = map[string]int{}
			}
			b.SkipReasons[res.SkipReason] += res.Skipped
		}
		if err != nil {
			b.Items = append(b.Items, Item{Index: e.index, Line: e.line, Err: err})
		}
	}
	return b, nil
}

// checkAlert applies what every format shares beyond the model's own
// validation: every field within its bound (alert.Alert.Bound: text cut
// and marked, an overlong name refused), and a CVSS vector that parses,
// since scoring would use it.
func checkAlert(a *alert.Alert) error {
	if err := errors.Join(a.Validate(), a.Bound()); err != nil {
		return err
	}
	if a.CVSS != "" {
		if _, _, err := policy.CVSSBase(a.CVSS); err != nil {
			return &alert.FieldError{Field: "cvss", Reason: err.Error()}
		}
	}
	return nil
}

type entry struct {
	index, line int
	raw         []byte
}

// split cuts a body into its entries.
func split(body []byte) ([]entry, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the body is empty", ErrMalformed)
	}
	if !utf8.Valid(trimmed) {
		return nil, fmt.Errorf("%w: the body is not valid UTF-8", ErrMalformed)
	}
	switch trimmed[0] {
	case '[':
		raws, ok := decode.SplitArray(trimmed)
		if !ok {
			var v []json.RawMessage
			err := json.Unmarshal(trimmed, &v) // for the error's position
			return nil, fmt.Errorf("%w: %s", ErrMalformed, decode.DescribeJSONError(trimmed, err))
		}
		entries := make([]entry, len(raws))
		for i, raw := range raws {
			entries[i] = entry{index: i, raw: raw}
		}
		return entries, nil
	case '{':
		if json.Valid(trimmed) {
			return []entry{{raw: trimmed}}, nil
		}
		return splitNDJSON(body)
	}
	return nil, fmt.Errorf("%w: expected a JSON object, an array or NDJSON, got %q", ErrMalformed, firstChars(trimmed))
}

// splitNDJSON reads one entry per non-blank line; a bad line is an entry
// like any other, refused with its line number. Only when no line at all
// is a JSON object is the body malformed as a whole: most likely a
// truncated or broken single object, reported where it breaks rather than
// at its opening brace.
func splitNDJSON(body []byte) ([]entry, error) {
	var entries []entry
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), len(body)+1)
	line, objects := 0, 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if raw[0] == '{' && json.Valid(raw) {
			objects++
		}
		entries = append(entries, entry{index: len(entries), line: line, raw: append([]byte(nil), raw...)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if objects == 0 {
		var v any
		err := json.Unmarshal(body, &v)
		return nil, fmt.Errorf("%w: %s", ErrMalformed, decode.DescribeJSONError(body, err))
	}
	return entries, nil
}

func firstChars(b []byte) string {
	if len(b) > 20 {
		b = b[:20]
	}
	return string(b)
}
