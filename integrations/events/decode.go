package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rejection is a batch entry refused for what it contains.
type Rejection struct {
	// Index counts entries from 0 in the order they appear. It is -1 when
	// the body as a whole could not be split into entries, and then
	// nothing in it was accepted.
	Index int `json:"index"`
	// Line is the 1-based line of an NDJSON entry, 0 otherwise.
	Line int `json:"line,omitempty"`
	// Field names the first offending field as it appears in JSON, when
	// the problem is with one field.
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// wireEvent is the JSON form POST /v1/events accepts. It differs from
// Event only in the time, which may be RFC 3339 text or Unix seconds (as
// Zeek and many log shippers write it).
type wireEvent struct {
	Time          json.RawMessage `json:"time"`
	Kind          string          `json:"kind"`
	Host          string          `json:"host"`
	User          string          `json:"user"`
	SrcIP         string          `json:"src_ip"`
	DstIP         string          `json:"dst_ip"`
	DstPort       int             `json:"dst_port"`
	Process       string          `json:"process"`
	CommandLine   string          `json:"command_line"`
	ParentProcess string          `json:"parent_process"`
	Domain        string          `json:"domain"`
	Outcome       string          `json:"outcome"`
	Source        string          `json:"source"`
	Raw           json.RawMessage `json:"raw"`
}

// DecodeBatch reads the body of POST /v1/events: one JSON event object, a
// JSON array of them, or NDJSON (one object per line). Each entry is
// normalised and validated on its own: a bad entry becomes a Rejection
// naming its index (and line) and field, and the others are returned.
// Only a body that cannot be split into entries at all is rejected as a
// whole, with Index -1.
func DecodeBatch(body []byte) ([]Event, []Rejection) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(body)
	malformed := func(format string, args ...any) ([]Event, []Rejection) {
		return nil, []Rejection{{Index: -1, Error: "malformed JSON: " + fmt.Sprintf(format, args...)}}
	}
	if len(trimmed) == 0 {
		return malformed("the body is empty")
	}
	b := batch{}
	switch trimmed[0] {
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return malformed("%s", describe(trimmed, err))
		}
		for i, raw := range raws {
			b.add(i, 0, raw)
		}
	case '{':
		if json.Valid(trimmed) {
			b.add(0, 0, trimmed)
			break
		}
		if err := b.addNDJSON(body); err != nil {
			return malformed("%s", err)
		}
	default:
		return malformed("expected a JSON object, an array or NDJSON, got %q", truncate(string(trimmed), 20))
	}
	return b.events, b.rejected
}

// batch collects the outcome of decoding a body's entries.
type batch struct {
	events   []Event
	rejected []Rejection
}

// addNDJSON reads one entry per non-blank line. When not even the first
// line is JSON, the body is most likely one broken pretty-printed object,
// and that is reported for the body as a whole.
func (b *batch) addNDJSON(body []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), len(body)+1)
	line, index := 0, 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if index == 0 && !json.Valid(raw) {
			var v any
			return errors.New(describe(body, json.Unmarshal(body, &v)))
		}
		b.add(index, line, raw)
		index++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading lines: %w", err)
	}
	return nil
}

// add decodes, normalises and validates one entry.
func (b *batch) add(index, line int, raw []byte) {
	e, err := decodeOne(raw)
	if err == nil {
		e = e.Normalize()
		err = e.Validate()
	}
	if err != nil {
		r := Rejection{Index: index, Line: line, Error: strings.ReplaceAll(err.Error(), "\n", "; ")}
		var fe *FieldError
		if errors.As(err, &fe) {
			r.Field = fe.Field
		}
		b.rejected = append(b.rejected, r)
		return
	}
	b.events = append(b.events, e)
}

func decodeOne(raw []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// The format is socflow's own: an unknown field is a mapping mistake
	// ("username" for "user") that would otherwise lose the entity the
	// store matches on.
	dec.DisallowUnknownFields()
	var w wireEvent
	if err := dec.Decode(&w); err != nil {
		return Event{}, decodeError(raw, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Event{}, errors.New("more than one JSON value in one entry")
	}
	t, err := parseTime(w.Time)
	if err != nil {
		return Event{}, &FieldError{Field: "time", Reason: err.Error()}
	}
	return Event{
		Time: t, Kind: w.Kind, Host: w.Host, User: w.User, SrcIP: w.SrcIP, DstIP: w.DstIP, DstPort: w.DstPort,
		Process: w.Process, CommandLine: w.CommandLine, ParentProcess: w.ParentProcess, Domain: w.Domain,
		Outcome: w.Outcome, Source: w.Source, Raw: w.Raw,
	}, nil
}

// parseTime accepts RFC 3339 text or Unix seconds (with a fraction). An
// absent or null time is left zero for Validate to report.
func parseTime(raw json.RawMessage) (time.Time, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if s[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return time.Time{}, fmt.Errorf("is not a string: %w", err)
		}
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return time.Time{}, fmt.Errorf("must be RFC 3339 (2006-01-02T15:04:05Z) or Unix seconds, got %q", truncate(text, 40))
		}
		return t, nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	// 1e11 seconds is the year 5138: a larger number is almost surely
	// milliseconds, which would silently land the event millennia away.
	if err != nil || secs < 0 || secs >= 1e11 {
		return time.Time{}, fmt.Errorf("must be RFC 3339 text or Unix seconds, got %s", truncate(s, 40))
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(math.Round(frac*1e6))*1e3), nil
}

// decodeError turns encoding/json's errors into field errors where it can.
func decodeError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("expected a JSON object, got JSON %s", te.Value)
		}
		return &FieldError{Field: te.Field, Reason: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		return &FieldError{Field: name, Reason: "unknown field; put vendor-specific data in raw"}
	}
	return errors.New(describe(data, err))
}

// describe says where a JSON syntax error is.
func describe(data []byte, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := 1, 1
		for i := int64(0); i < se.Offset-1 && i < int64(len(data)); i++ {
			if data[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	case err == nil:
		return "invalid JSON"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
