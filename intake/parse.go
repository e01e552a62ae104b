// Package intake turns what detection tools send into canonical alerts and
// hands them to Temporal: it decodes a body (one JSON object, a JSON array or
// NDJSON), validates each alert, fingerprints it, merges duplicates within a
// batch, and signals-with-start one RespondToAlert run per fingerprint.
package intake

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
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

// Parse reads a body holding one alert object, a JSON array of them, or
// NDJSON (one object per line). A bad entry is reported in its Item and
// does not affect the others; only a body that cannot be split into entries
// at all returns an error (wrapping ErrMalformed, with the position).
func Parse(body []byte) ([]Item, error) {
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
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrMalformed, describe(trimmed, err))
		}
		items := make([]Item, len(raws))
		for i, raw := range raws {
			items[i] = decodeOne(i, 0, raw)
		}
		return items, nil
	case '{':
		if json.Valid(trimmed) {
			return []Item{decodeOne(0, 0, trimmed)}, nil
		}
		return parseNDJSON(body)
	}
	return nil, fmt.Errorf("%w: expected a JSON object, an array or NDJSON, got %q", ErrMalformed, firstChars(trimmed))
}

// parseNDJSON reads one entry per non-blank line. When not even the first
// entry is JSON, the body is malformed as a whole (most likely a truncated
// or broken single object) and that is what the caller hears.
func parseNDJSON(body []byte) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), len(body)+1)
	line := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if len(items) == 0 && !json.Valid(raw) {
			// Decode the whole body, not the line, so that a broken
			// pretty-printed object is reported where it breaks rather
			// than at its opening brace.
			var v any
			err := json.Unmarshal(body, &v)
			return nil, fmt.Errorf("%w: %s", ErrMalformed, describe(body, err))
		}
		items = append(items, decodeOne(len(items), line, append([]byte(nil), raw...)))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return items, nil
}

// decodeOne decodes and validates one native-format alert.
func decodeOne(index, line int, raw []byte) Item {
	it := Item{Index: index, Line: line}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// The native format is socflow's own: an unknown field is a typo
	// ("severty") that would otherwise silently lose data.
	dec.DisallowUnknownFields()
	var a alert.Alert
	if err := dec.Decode(&a); err != nil {
		it.Err = errors.New(describe(raw, err))
		return it
	}
	if dec.More() {
		it.Err = errors.New("more than one JSON value in one entry")
		return it
	}
	if err := a.Validate(); err != nil {
		it.Err = err
		return it
	}
	a.TruncateRaw(raw)
	if a.ID == "" {
		sum := sha256.Sum256(raw)
		a.ID = "sha256:" + hex.EncodeToString(sum[:8])
	}
	it.Alert = &a
	return it
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
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

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
