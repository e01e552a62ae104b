package decode

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestBuiltinOrder(t *testing.T) {
	want := []string{"ocsf", "falcon", "guardduty", "suricata", "elastic", "defender", "graph", "wazuh", "splunk", "native"}
	if got := Builtin().Names(); !slices.Equal(got, want) {
		t.Errorf("Builtin().Names() = %q, want %q", got, want)
	}
}

// stubFormat is a format that claims objects with a given key.
type stubFormat struct{ name, key string }

func (s stubFormat) Name() string { return s.name }
func (s stubFormat) Detect(o map[string]json.RawMessage) bool {
	_, ok := o[s.key]
	return ok
}
func (s stubFormat) Decode([]byte) (Result, error) {
	return Result{Skipped: 1, SkipReason: s.name}, nil
}

func TestRegistryAdd(t *testing.T) {
	tests := []struct {
		name    string
		add     []Format
		errHas  string
		wantEnd []string // the last names, in order
	}{
		{name: "a mapping goes before native", add: []Format{stubFormat{"site", "x"}}, wantEnd: []string{"splunk", "site", "native"}},
		{name: "mappings keep their order", add: []Format{stubFormat{"one", "x"}, stubFormat{"two", "y"}}, wantEnd: []string{"one", "two", "native"}},
		{name: "duplicate of a built-in", add: []Format{stubFormat{"suricata", "x"}}, errHas: `format "suricata" is already registered`},
		{name: "duplicate without regard to case", add: []Format{stubFormat{"site", "x"}, stubFormat{"SITE", "y"}}, errHas: `format "SITE" is already registered`},
		{name: "empty name", add: []Format{stubFormat{" ", "x"}}, errHas: "empty name"},
		{name: "nil", add: []Format{nil}, errHas: "nil format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Builtin()
			var err error
			for _, f := range tt.add {
				if err = r.Add(f); err != nil {
					break
				}
			}
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Add error = %v, want one containing %q", err, tt.errHas)
				}
				if len(r.Names()) != len(Builtin().Names())+len(tt.add)-1 {
					t.Errorf("a rejected format was registered: %q", r.Names())
				}
				return
			}
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			names := r.Names()
			if got := names[len(names)-len(tt.wantEnd):]; !slices.Equal(got, tt.wantEnd) {
				t.Errorf("detection order ends %q, want %q", got, tt.wantEnd)
			}
		})
	}
}

func TestRegistryZeroValue(t *testing.T) {
	var r Registry
	if _, err := r.Decode([]byte(`{"k":1}`), ""); err == nil || !strings.Contains(err.Error(), "no known alert format") {
		t.Errorf("empty registry Decode error = %v, want no format matched", err)
	}
	if err := r.Add(stubFormat{"s", "k"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.Decode([]byte(`{"k":1}`), "")
	if err != nil || res.SkipReason != "s" {
		t.Errorf("Decode = %+v, %v; want the stub's result", res, err)
	}
}

func TestRegistryGet(t *testing.T) {
	r := Builtin()
	for _, name := range []string{"suricata", "Suricata", "SURICATA"} {
		if f, ok := r.Get(name); !ok || f.Name() != "suricata" {
			t.Errorf("Get(%q) = %v, %v", name, f, ok)
		}
	}
	if _, ok := r.Get("sentinel"); ok {
		t.Error(`Get("sentinel") found a format`)
	}
}

func TestRegistryDecodeUnknownFormat(t *testing.T) {
	_, err := Builtin().Decode([]byte(`{}`), "sentinel")
	if err == nil {
		t.Fatal("Decode with an unknown format succeeded")
	}
	for _, s := range []string{`unknown alert format "sentinel"`, "ocsf, falcon, guardduty, suricata, elastic, defender, graph, wazuh, splunk, native"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestRegistryDetectErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		has  []string
	}{
		{name: "empty", body: "", has: []string{"the entry is empty"}},
		{name: "white space", body: " \r\n\t ", has: []string{"the entry is empty"}},
		{name: "byte order mark only", body: "\xef\xbb\xbf\n", has: []string{"the entry is empty"}},
		{name: "array", body: `[{"event_type":"alert"}]`, has: []string{"not a JSON object", `it starts with "[{`}},
		{name: "number", body: `42`, has: []string{"not a JSON object"}},
		{name: "broken object", body: "{\n  \"event_type\": \"alert\",\n  \"src_ip\": ,\n}", has: []string{"invalid JSON at line 3, column 13"}},
		{name: "truncated object", body: `{"event_type": "alert"`, has: []string{"unexpected end"}},
		{
			name: "unknown object", body: `{"foo": 1, "bar": {"baz": 2}}`,
			has: []string{"no known alert format matches", "tried ocsf, falcon, guardduty, suricata, elastic, defender, graph, wazuh, splunk, native", "top-level keys: bar, foo"},
		},
		{
			name: "many keys are elided", body: `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1}`,
			has: []string{"top-level keys: a, b, c, d, e, f, g, h and 2 more"},
		},
		{name: "empty object", body: `{}`, has: []string{"top-level keys: none"}},
	}
	r := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := r.Detect([]byte(tt.body))
			if err == nil {
				t.Fatalf("Detect = %s, want an error", f.Name())
			}
			for _, s := range tt.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if _, derr := r.Decode([]byte(tt.body), ""); derr == nil || derr.Error() != err.Error() {
				t.Errorf("Decode error %v differs from Detect error %v", derr, err)
			}
		})
	}
}

func TestRegistryDecodeTrimsEntry(t *testing.T) {
	raw := readFixture(t, "suricata/minimal.json", 0)
	for _, body := range []string{
		"\xef\xbb\xbf" + string(raw),
		"\n\n" + string(raw) + "\r\n\r\n\n",
	} {
		res, err := Builtin().Decode([]byte(body), "")
		if err != nil || len(res.Alerts) != 1 {
			t.Errorf("Decode(%.20q...) = %d alerts, %v", body, len(res.Alerts), err)
		}
	}
	if _, err := Builtin().Decode([]byte("  \n"), "suricata"); err == nil || !strings.Contains(err.Error(), "suricata: the entry is empty") {
		t.Errorf("forced Decode of an empty entry: %v", err)
	}
}

// TestRegistryConcurrent runs Add alongside decoding; -race checks it.
func TestRegistryConcurrent(t *testing.T) {
	r := Builtin()
	raw := readFixture(t, "suricata/alert_http.json", 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if _, err := r.Decode(raw, ""); err != nil {
					t.Error(err)
					return
				}
				_ = r.Names()
			}
		}()
		if err := r.Add(stubFormat{name: "site" + string(rune('a'+i)), key: "never"}); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

// TestDetectFixtures checks that every fixture entry is claimed by its own
// format and by no other: the detectors are disjoint, so detection order
// only breaks ties the formats' own documentation leaves open.
func TestDetectFixtures(t *testing.T) {
	r := testRegistry(t)
	var formats []Format
	for _, name := range r.Names() {
		f, _ := r.Get(name)
		formats = append(formats, f)
	}
	for _, fx := range fixtures(t, "") {
		t.Run(fx.name(), func(t *testing.T) {
			got, err := r.Detect(fx.raw)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if got.Name() != fx.format {
				t.Errorf("detected as %s, want %s", got.Name(), fx.format)
			}
			obj, err := topLevel(fx.raw)
			if err != nil {
				t.Fatal(err)
			}
			var claimed []string
			for _, f := range formats {
				if f.Detect(obj) {
					claimed = append(claimed, f.Name())
				}
			}
			if len(claimed) != 1 {
				t.Errorf("claimed by %q, want only %s", claimed, fx.format)
			}
		})
	}
}

// TestDetectLookalikes checks payloads that resemble a format but are not
// it.
func TestDetectLookalikes(t *testing.T) {
	tests := []struct {
		name, body, want string // want "" means no format
	}{
		{
			name: "an ECS event that is not an alert",
			body: `{"@timestamp":"2026-05-14T12:00:00Z","event":{"kind":"event"},"host":{"name":"h"},"rule":{"name":"fw"}}`,
		},
		{
			name: "a Security Hub ASFF finding",
			body: `{"SchemaVersion":"2018-10-08","Id":"x","ProductArn":"arn:aws:securityhub:::product/aws/guardduty","Types":["TTPs"],"Resources":[{"Type":"AwsEc2Instance"}]}`,
		},
		{
			name: "an event_type Suricata does not write",
			body: `{"timestamp":"2026-05-14T12:00:00Z","event_type":"login","user":"bob"}`,
		},
		{
			name: "an Elastic alert that carries ECS rule and agent objects",
			body: `{"@timestamp":"2026-05-14T12:00:00Z","timestamp":"x","kibana.alert.rule.name":"r","rule":{"id":"1","level":3,"name":"fw"},"agent":{"name":"a"}}`,
			want: "elastic",
		},
		{
			name: "Wazuh's own alert of Suricata EVE data",
			body: `{"timestamp":"2026-05-14T12:00:00.000+0000","rule":{"id":"86601","level":3,"description":"Suricata: Alert"},"agent":{"name":"ids"},"data":{"event_type":"alert","src_ip":"192.0.2.1","alert":{"signature":"x"}}}`,
			want: "wazuh",
		},
		{
			name: "a Defender list found by its first element, without context",
			body: `{"value":[{"id":"1","title":"t","alertCreationTime":"2026-05-14T12:00:00Z","machineId":"m","computerDnsName":"h"}]}`,
			want: "defender",
		},
		{
			name: "a Graph page found by its first element, without context",
			body: `{"value":[{"id":"1","title":"t","createdDateTime":"2026-05-14T12:00:00Z","serviceSource":"microsoftDefenderForEndpoint"}]}`,
			want: "graph",
		},
		{name: "a bare empty page says nothing", body: `{"value":[]}`},
		{name: "an empty GetFindings response", body: `{"Findings":[]}`, want: "guardduty"},
		{name: "an empty Elasticsearch response", body: `{"took":1,"timed_out":false,"hits":{"total":{"value":0},"hits":[]}}`, want: "elastic"},
		{name: "OCSF of another class is still OCSF", body: `{"class_uid":3002,"metadata":{"version":"1.1.0"}}`, want: "ocsf"},
		{name: "a Falcon envelope without metadata", body: `{"event":{"DetectName":"x"}}`},
		{name: "a native alert missing entities", body: `{"source":"s","rule":"r","title":"t"}`, want: "native"},
	}
	r := Builtin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := r.Detect([]byte(tt.body))
			got := ""
			if err == nil {
				got = f.Name()
			}
			if got != tt.want {
				t.Errorf("detected as %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// TestScanObjectMatchesUnmarshal: detection splits an entry's top level by
// hand; for every valid object it must agree with json.Unmarshal (escaped
// keys, nested values holding braces in strings, repeated keys, literals).
func TestScanObjectMatchesUnmarshal(t *testing.T) {
	for _, raw := range []string{
		`{}`, ` { } `,
		`{"a":1,"b":"x","c":null,"d":true,"e":false,"f":-1.5e3}`,
		`{"nested":{"x":[1,{"y":"}]"}],"z":"\"{"},"after":"ok"}`,
		"{\n\t\"spaced\" :\r\n [ 1 , 2 ] ,\"k\\u00e9y\":\"v\",\"q\\\"uote\":{}}",
		`{"dup":1,"dup":2}`,
		`{"s":"a\\","t":"\\\""}`,
	} {
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		got, err := topLevel([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d keys, want %d", raw, len(got), len(want))
		}
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Errorf("%s: key %q = %s, want %s", raw, k, got[k], v)
			}
		}
	}
	for _, bad := range []string{`{"a":}`, `{"a":1`, `{"a" 1}`, `{"a":1,}`} {
		if _, err := topLevel([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
