package intake_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
)

// alertJSON is a valid native-format alert on one line; host and rule vary
// so tests can make distinct fingerprints.
func alertJSON(host, rule string) string {
	return `{"source":"suricata","rule":"` + rule + `","title":"Inbound SMB to ` + host + `","category":"network",` +
		`"severity":"medium","time":"2026-05-14T09:12:31Z","entities":{"hosts":[{"name":"` + host + `"}],` +
		`"ips":[{"addr":"203.0.113.7","direction":"source"}]}}`
}

const prettyAlert = `{
  "source": "suricata",
  "rule": "SOCFLOW-NET-0042",
  "title": "Inbound SMB to dc01",
  "severity": "medium",
  "time": "2026-05-14T09:12:31Z",
  "entities": {
    "hosts": [{"name": "dc01"}]
  }
}
`

// entry summarises an Item for comparison: "ok" or the error text.
type entry struct {
	index, line int
	ok          bool
	errHas      []string
}

func checkItems(t *testing.T, got []intake.Item, want []entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		it := got[i]
		if it.Index != w.index || it.Line != w.line {
			t.Errorf("item %d: index %d line %d, want index %d line %d", i, it.Index, it.Line, w.index, w.line)
		}
		if (it.Alert != nil) == (it.Err != nil) {
			t.Errorf("item %d: want exactly one of Alert and Err, got %v and %v", i, it.Alert, it.Err)
			continue
		}
		if w.ok && it.Err != nil {
			t.Errorf("item %d: unexpected error %v", i, it.Err)
		}
		if !w.ok {
			if it.Err == nil {
				t.Errorf("item %d: accepted, want rejected", i)
				continue
			}
			for _, s := range w.errHas {
				if !strings.Contains(it.Err.Error(), s) {
					t.Errorf("item %d: error %q does not mention %q", i, it.Err, s)
				}
			}
		}
	}
}

func TestParse(t *testing.T) {
	ok := func(index, line int) entry { return entry{index: index, line: line, ok: true} }
	bad := func(index, line int, has ...string) entry { return entry{index: index, line: line, errHas: has} }

	tests := []struct {
		name string
		body string
		want []entry
	}{
		{name: "single object", body: alertJSON("dc01", "r1"), want: []entry{ok(0, 0)}},
		{name: "single object with surrounding whitespace", body: "\n\n  " + alertJSON("dc01", "r1") + "\n\n", want: []entry{ok(0, 0)}},
		{name: "pretty-printed single object", body: prettyAlert, want: []entry{ok(0, 0)}},
		{name: "byte order mark", body: "\xef\xbb\xbf" + alertJSON("dc01", "r1"), want: []entry{ok(0, 0)}},
		{name: "array", body: "[" + alertJSON("dc01", "r1") + ",\n" + alertJSON("ws01", "r1") + "]", want: []entry{ok(0, 0), ok(1, 0)}},
		{name: "empty array", body: "[]", want: []entry{}},
		{
			name: "array with one invalid element",
			body: "[" + alertJSON("dc01", "r1") + `, {"source":"x"}, ` + alertJSON("ws01", "r1") + "]",
			want: []entry{ok(0, 0), bad(1, 0, "rule: is required"), ok(2, 0)},
		},
		{
			name: "array with a non-object element",
			body: "[" + alertJSON("dc01", "r1") + `, 42]`,
			want: []entry{ok(0, 0), bad(1, 0, "expected alert.Alert")},
		},
		{
			name: "NDJSON with blank lines and a trailing newline",
			body: alertJSON("dc01", "r1") + "\n\n" + alertJSON("ws01", "r1") + "\n   \n" + alertJSON("ws02", "r1") + "\n",
			want: []entry{ok(0, 1), ok(1, 3), ok(2, 5)},
		},
		{
			name: "NDJSON with CRLF line ends",
			body: alertJSON("dc01", "r1") + "\r\n" + alertJSON("ws01", "r1") + "\r\n",
			want: []entry{ok(0, 1), ok(1, 2)},
		},
		{
			name: "NDJSON with one bad line",
			body: alertJSON("dc01", "r1") + "\n" + `{"source": "suricata", "rule": }` + "\n" + alertJSON("ws01", "r1") + "\n",
			want: []entry{ok(0, 1), bad(1, 2, "invalid JSON", "column"), ok(2, 3)},
		},
		{
			// Only the bad line is refused, with its own line number:
			// the lines after it are alerts.
			name: "NDJSON whose first line is bad",
			body: `{"source": "suricata", "rule": }` + "\n" + alertJSON("dc01", "r1") + "\n" + alertJSON("ws01", "r1") + "\n",
			want: []entry{bad(0, 1, "invalid JSON", "line 1"), ok(1, 2), ok(2, 3)},
		},
		{
			name: "NDJSON whose first lines are blank and bad",
			body: "\n\n" + `{"rule": ` + "\n" + alertJSON("dc01", "r1") + "\n",
			want: []entry{bad(0, 3, "invalid JSON"), ok(1, 4)},
		},
		{
			name: "NDJSON with two values on one line",
			body: alertJSON("dc01", "r1") + "\n" + alertJSON("ws01", "r1") + " {}\n",
			want: []entry{ok(0, 1), bad(1, 2)},
		},
		{
			name: "unknown field",
			body: strings.Replace(alertJSON("dc01", "r1"), `"severity"`, `"severty"`, 1),
			want: []entry{bad(0, 0, `unknown field "severty"`)},
		},
		{
			name: "missing required fields are each named",
			body: `{"category": "network"}`,
			want: []entry{bad(0, 0, "source: is required", "rule: is required", "title: is required", "severity:", "time: is required", "entities:")},
		},
		{
			name: "unknown severity",
			body: strings.Replace(alertJSON("dc01", "r1"), `"medium"`, `"spicy"`, 1),
			want: []entry{bad(0, 0, `unknown severity "spicy"`)},
		},
		{
			name: "wrong type names the field",
			body: strings.Replace(alertJSON("dc01", "r1"), `"title":"Inbound SMB to dc01"`, `"title":7`, 1),
			want: []entry{bad(0, 0, "title", "string")},
		},
		{
			name: "bad IP address",
			body: strings.Replace(alertJSON("dc01", "r1"), `"203.0.113.7"`, `"203.0.113.999"`, 1),
			want: []entry{bad(0, 0, "entities.ips[0].addr")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := intake.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkItems(t, items, tt.want)
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
		has  []string
	}{
		{name: "empty", body: "", has: []string{"empty"}},
		{name: "whitespace only", body: " \n\t\n", has: []string{"empty"}},
		{name: "byte order mark only", body: "\xef\xbb\xbf", has: []string{"empty"}},
		{name: "not UTF-8", body: `{"title": "caf` + "\xe9" + `"}`, has: []string{"UTF-8"}},
		{name: "not JSON at all", body: "hello world", has: []string{"expected a JSON object", "hello"}},
		{name: "broken array", body: "[" + alertJSON("dc01", "r1") + ",\n{", has: []string{"line 2", "column"}},
		{name: "broken one-line object", body: `{"source": "suricata",, "rule": "x"}`, has: []string{"line 1, column 23"}},
		{
			// A broken pretty-printed object must be reported where it
			// breaks, not at its first line.
			name: "broken pretty-printed object",
			body: "{\n  \"source\": \"suricata\",\n  \"rule\": ,\n  \"title\": \"t\"\n}\n",
			has:  []string{"line 3, column 11"},
		},
		{name: "truncated object", body: "{\n  \"source\": \"suricata\",\n", has: []string{"unexpected end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := intake.Parse([]byte(tt.body))
			if !errors.Is(err, intake.ErrMalformed) {
				t.Fatalf("Parse = %d items, %v; want ErrMalformed", len(items), err)
			}
			if items != nil {
				t.Errorf("Parse returned %d items with an error", len(items))
			}
			for _, s := range tt.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestParseDecodesFields(t *testing.T) {
	body := `{"source":"elastic","rule":"r","title":"t","severity":75,"time":"2026-05-14T09:12:31Z",` +
		`"entities":{"users":[{"name":"alice"}]},"labels":{"team":"infra"}}`
	items, err := intake.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := items[0].Alert
	if a == nil {
		t.Fatalf("rejected: %v", items[0].Err)
	}
	if a.Severity != alert.SeverityHigh {
		t.Errorf("numeric severity 75 = %q, want high", a.Severity)
	}
	if a.Labels["team"] != "infra" || a.PrimaryUser() != "alice" {
		t.Errorf("decoded alert = %+v", a)
	}
	if a.Raw != body || a.RawTruncated {
		t.Errorf("Raw = %q (truncated %v), want the entry as sent", a.Raw, a.RawTruncated)
	}
	if !strings.HasPrefix(a.ID, "sha256:") {
		t.Errorf("ID = %q, want one derived from the payload", a.ID)
	}
	again, _ := intake.Parse([]byte(body))
	if again[0].Alert.ID != a.ID {
		t.Errorf("derived ID is not stable: %q then %q", a.ID, again[0].Alert.ID)
	}

	withID := strings.Replace(body, `"source"`, `"id":"evt-1","source"`, 1)
	items, _ = intake.Parse([]byte(withID))
	if items[0].Alert == nil || items[0].Alert.ID != "evt-1" {
		t.Errorf("the source's ID must be kept, got %+v", items[0])
	}
}

func TestParseNumericSeverities(t *testing.T) {
	tests := []struct {
		sev  string
		want alert.Severity
	}{
		{"0", alert.SeverityInfo}, {"25", alert.SeverityLow}, {"50", alert.SeverityMedium},
		{"75", alert.SeverityHigh}, {"99", alert.SeverityCritical}, {`"HIGH"`, alert.SeverityHigh},
		{`"moderate"`, alert.SeverityMedium},
	}
	for _, tt := range tests {
		body := strings.Replace(alertJSON("dc01", "r1"), `"medium"`, tt.sev, 1)
		items, err := intake.Parse([]byte(body))
		if err != nil || items[0].Alert == nil {
			t.Errorf("severity %s: %v %v", tt.sev, err, items)
			continue
		}
		if got := items[0].Alert.Severity; got != tt.want {
			t.Errorf("severity %s = %q, want %q", tt.sev, got, tt.want)
		}
	}
}

func TestParseTruncatesRaw(t *testing.T) {
	tests := []struct {
		name string
		fill string
	}{
		{"ascii", "a"},
		{"multi-byte", "é"},
		{"four-byte", "🔥"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			long := strings.Repeat(tt.fill, alert.MaxRawBytes)
			body := strings.Replace(alertJSON("dc01", "r1"), `"category"`, `"description":"`+long+`","category"`, 1)
			items, err := intake.Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			a := items[0].Alert
			if a == nil {
				t.Fatalf("rejected: %v", items[0].Err)
			}
			if !a.RawTruncated {
				t.Error("RawTruncated = false for an entry over MaxRawBytes")
			}
			if len(a.Raw) > alert.MaxRawBytes || len(a.Raw) < alert.MaxRawBytes-3 {
				t.Errorf("len(Raw) = %d, want at most %d and cut at the last rune boundary", len(a.Raw), alert.MaxRawBytes)
			}
			if !utf8.ValidString(a.Raw) {
				t.Error("Raw was cut inside a UTF-8 sequence")
			}
			if !strings.HasPrefix(body, a.Raw) {
				t.Error("Raw is not a prefix of the entry")
			}
			if a.Description != alert.Truncate(long, alert.MaxDescriptionBytes) {
				t.Error("the description must be cut at its own bound, not at Raw's")
			}
		})
	}
}

func TestParseArrayRawIsTheElement(t *testing.T) {
	one, two := alertJSON("dc01", "r1"), alertJSON("ws01", "r1")
	items, err := intake.Parse([]byte("[" + one + ",\n  " + two + "]"))
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Alert.Raw != one || items[1].Alert.Raw != two {
		t.Errorf("Raw = %q, %q; want each element alone", items[0].Alert.Raw, items[1].Alert.Raw)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(items[1].Alert.Raw), &v); err != nil {
		t.Errorf("Raw of an element is not JSON: %v", err)
	}
}
