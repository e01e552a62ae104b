package events

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeBatch(t *testing.T) {
	const dns = `{"time":"2026-03-14T12:00:00Z","kind":"dns","host":"ws-042","domain":"evil.example"}`
	const auth = `{"time":"2026-03-14T11:59:00+01:00","kind":"authentication","user":"Bob","src_ip":"203.0.113.50","outcome":"failure"}`
	tests := []struct {
		name     string
		body     string
		accepted []string // Summary of each accepted event
		rejected []Rejection
	}{
		{"one object", dns, []string{"dns evil.example on ws-042"}, nil},
		{"pretty-printed object", "{\n  \"time\": \"2026-03-14T12:00:00Z\",\n  \"kind\": \"dns\",\n  \"host\": \"ws-042\"\n}\n", []string{"dns on ws-042"}, nil},
		{"byte order mark", "\xef\xbb\xbf" + dns, []string{"dns evil.example on ws-042"}, nil},
		{"array", "[" + dns + "," + auth + "]", []string{"dns evil.example on ws-042", "authentication failure bob from 203.0.113.50"}, nil},
		{"ndjson with blank lines", dns + "\n\n" + auth + "\r\n", []string{"dns evil.example on ws-042", "authentication failure bob from 203.0.113.50"}, nil},
		{"unix seconds", `{"time":1773489600.25,"kind":"dns","host":"h"}`, []string{"dns on h"}, nil},
		{"array with bad entries", "[" + dns + `,{"kind":"dns","host":"h"},42,{"time":"2026-03-14T12:00:00Z","kind":"dns","host":"h","dst_port":"443"}]`,
			[]string{"dns evil.example on ws-042"},
			[]Rejection{
				{Index: 1, Field: "time", Error: "time: is required (RFC 3339 or Unix seconds)"},
				{Index: 2, Error: "expected a JSON object, got JSON number"},
				{Index: 3, Field: "dst_port", Error: "dst_port: expected int, got JSON string"},
			}},
		{"ndjson with bad lines", dns + "\n" + `{"time":"yesterday","kind":"dns","host":"h"}` + "\n\n" + `{"time":"2026-03-14T12:00:00Z","kind":"dns","hostname":"h"}` + "\n{broken\n" + auth,
			[]string{"dns evil.example on ws-042", "authentication failure bob from 203.0.113.50"},
			[]Rejection{
				{Index: 1, Line: 2, Field: "time", Error: `time: must be RFC 3339 (2006-01-02T15:04:05Z) or Unix seconds, got "yesterday"`},
				{Index: 2, Line: 4, Field: "hostname", Error: "hostname: unknown field; put vendor-specific data in raw"},
				{Index: 3, Line: 5, Error: "invalid JSON at line 1, column 2: invalid character 'b' looking for beginning of object key string"},
			}},
		{"milliseconds refused", `{"time":1773489600000,"kind":"dns","host":"h"}`, nil,
			[]Rejection{{Index: 0, Field: "time", Error: "time: must be RFC 3339 text or Unix seconds, got 1773489600000"}}},
		{"several problems in one entry", `{"time":"2026-03-14T12:00:00Z","kind":"authentication"}`, nil,
			[]Rejection{{Index: 0, Field: "host", Error: "host: an event must name at least one of host, user, src_ip or dst_ip; outcome: is required for authentication: success or failure; user: is required for authentication"}}},
		{"two values on one line", dns + " " + dns + "\n" + dns, nil,
			// The first line is not one JSON value, so the body is read as
			// one broken document.
			[]Rejection{{Index: -1, Error: "malformed JSON: invalid JSON at line 1, column 86: invalid character '{' after top-level value"}}},
		{"empty", "  \n", nil, []Rejection{{Index: -1, Error: "malformed JSON: the body is empty"}}},
		{"not JSON", "kind=dns host=h", nil, []Rejection{{Index: -1, Error: `malformed JSON: expected a JSON object, an array or NDJSON, got "kind=dns host=h"`}}},
		{"broken array", "[" + dns + ",", nil, []Rejection{{Index: -1, Error: "malformed JSON: invalid JSON at line 1, column 86: unexpected end of JSON input"}}},
		{"broken object", "{\n \"time\": \"2026-03-14T12:00:00Z\",\n \"kind\": \"dns\"\n \"host\": \"h\"\n}", nil,
			[]Rejection{{Index: -1, Error: "malformed JSON: invalid JSON at line 4, column 2: invalid character '\"' after object key:value pair"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, rej := DecodeBatch([]byte(tt.body))
			var got []string
			for _, e := range evs {
				got = append(got, Summary(e))
			}
			if !reflect.DeepEqual(got, tt.accepted) {
				t.Errorf("accepted %q, want %q", got, tt.accepted)
			}
			if !reflect.DeepEqual(rej, tt.rejected) {
				t.Errorf("rejected\n got %+v\nwant %+v", rej, tt.rejected)
			}
		})
	}
}

func TestDecodeBatchTimes(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Time
	}{
		{`"2026-03-14T13:00:00.123456789+01:00"`, time.Date(2026, 3, 14, 12, 0, 0, 123456000, time.UTC)},
		{`1773489600`, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)},
		{`1773489600.5`, time.Date(2026, 3, 14, 12, 0, 0, 500000000, time.UTC)},
	}
	for _, tt := range tests {
		evs, rej := DecodeBatch([]byte(`{"time":` + tt.raw + `,"kind":"dns","host":"h"}`))
		if len(rej) != 0 || len(evs) != 1 {
			t.Fatalf("%s: rejected %+v", tt.raw, rej)
		}
		if !evs[0].Time.Equal(tt.want) || evs[0].Time.Location() != time.UTC {
			t.Errorf("%s: time %v, want %v UTC", tt.raw, evs[0].Time, tt.want)
		}
	}
}

func TestDecodeBatchLongLine(t *testing.T) {
	// A line longer than bufio.Scanner's default 64 KiB buffer is still
	// read; its raw is then too large and refused on its own.
	big := `{"time":"2026-03-14T12:00:00Z","kind":"dns","host":"h","raw":"` + strings.Repeat("a", 100<<10) + `"}`
	small := `{"time":"2026-03-14T12:00:00Z","kind":"dns","host":"h"}`
	evs, rej := DecodeBatch([]byte(small + "\n" + big + "\n" + small))
	if len(evs) != 2 || len(rej) != 1 || rej[0].Line != 2 || rej[0].Field != "raw" {
		t.Errorf("got %d events and %+v; want 2 and line 2 rejected for raw", len(evs), rej)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"time":"2026-03-14T12:00:00Z","kind":"dns","host":"h"}`))
	f.Add([]byte(`[{"time":1,"kind":"authentication","user":"u","outcome":"success"}]`))
	f.Add([]byte("{\"time\":1,\"kind\":\"dns\",\"host\":\"h\"}\n{\"x\":1}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, rej := DecodeBatch(body)
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Fatalf("accepted an invalid event: %v", err)
			}
			if !reflect.DeepEqual(e, e.Normalize()) {
				t.Fatalf("accepted an event that is not normalised: %#v", e)
			}
		}
		for _, r := range rej {
			if r.Error == "" || r.Index < -1 {
				t.Fatalf("bad rejection %+v", r)
			}
		}
	})
}
