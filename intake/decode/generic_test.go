package decode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

func TestGenericMappingValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(m *GenericMapping)
		errHas []string // nil means valid
	}{
		{name: "the acme mapping", edit: func(*GenericMapping) {}},
		{name: "no name", edit: func(m *GenericMapping) { m.Name = "" }, errHas: []string{"name: is required"}},
		{name: "bad name", edit: func(m *GenericMapping) { m.Name = "Acme IDS" }, errHas: []string{`name: "Acme IDS" must be lower-case`}},
		{name: "built-in name", edit: func(m *GenericMapping) { m.Name = "suricata" }, errHas: []string{`name: "suricata" is a built-in format`}},
		{name: "no detect", edit: func(m *GenericMapping) { m.Detect = nil }, errHas: []string{"detect: at least one path is required"}},
		{name: "empty detect value", edit: func(m *GenericMapping) { m.Detect["vendor"] = "" }, errHas: []string{`detect["vendor"]: the value is empty`}},
		{name: "bad detect path", edit: func(m *GenericMapping) { m.Detect["a..b"] = "*" }, errHas: []string{`detect["a..b"]: empty key`}},
		{name: "unknown field", edit: func(m *GenericMapping) { m.Fields["hostname"] = "h" }, errHas: []string{`fields["hostname"]: unknown field; known fields are`, "command_line"}},
		{name: "bad index", edit: func(m *GenericMapping) { m.Fields["url"] = "links[first].href" }, errHas: []string{`fields["url"]: path "links[first].href": index "first"`}},
		{name: "unclosed index", edit: func(m *GenericMapping) { m.Fields["url"] = "links[0" }, errHas: []string{`'[' at offset 5 is not closed`}},
		{name: "stray bracket", edit: func(m *GenericMapping) { m.Fields["url"] = "links]" }, errHas: []string{`']' at offset 5 has no '['`}},
		{name: "text after index", edit: func(m *GenericMapping) { m.Fields["url"] = "links[0]href" }, errHas: []string{"must be followed by"}},
		{name: "trailing dot", edit: func(m *GenericMapping) { m.Fields["url"] = "links." }, errHas: []string{"does not end with '.'"}},
		{name: "empty path", edit: func(m *GenericMapping) { m.Fields["url"] = "" }, errHas: []string{`fields["url"]: path "": the path is empty`}},
		{name: "no rule or title", edit: func(m *GenericMapping) { delete(m.Fields, "rule"); delete(m.Fields, "title") }, errHas: []string{"fields: rule or title is required"}},
		{name: "title alone will do", edit: func(m *GenericMapping) { delete(m.Fields, "rule") }},
		{name: "no time", edit: func(m *GenericMapping) { delete(m.Fields, "time") }, errHas: []string{"fields: time is required"}},
		{
			name: "no entity field",
			edit: func(m *GenericMapping) {
				for _, f := range genericEntityFields {
					delete(m.Fields, f)
				}
			},
			errHas: []string{"fields: at least one of host, host_ip, user"},
		},
		{name: "bad severity", edit: func(m *GenericMapping) { m.SeverityMap["P0"] = "urgent" }, errHas: []string{`severity_map["P0"]: "urgent" is not one of info, low, medium, high, critical`}},
		{name: "empty severity key", edit: func(m *GenericMapping) { m.SeverityMap[""] = "low" }, errHas: []string{"severity_map: an empty key"}},
		{name: "unix time", edit: func(m *GenericMapping) { m.TimeFormat = "unix_ms" }},
		{name: "layout", edit: func(m *GenericMapping) { m.TimeFormat = "02/01/2006 15:04:05" }},
		{name: "bad layout", edit: func(m *GenericMapping) { m.TimeFormat = "dd/mm/yyyy" }, errHas: []string{`time_format: "dd/mm/yyyy" is neither`}},
		{
			name:   "every problem at once",
			edit:   func(m *GenericMapping) { m.Name = ""; m.Detect = nil; m.Fields = nil },
			errHas: []string{"name: is required", "detect: at least one", "rule or title is required", "time is required", "at least one of host"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := acmeMapping()
			tt.edit(&m)
			err := m.Validate()
			_, nerr := NewGeneric(m)
			if (err == nil) != (nerr == nil) {
				t.Errorf("Validate = %v but NewGeneric = %v", err, nerr)
			}
			if tt.errHas == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted the mapping")
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// TestGenericMappingJSON checks the snake_case keys configuration uses.
func TestGenericMappingJSON(t *testing.T) {
	cfg := `{"name":"acme-ids","detect":{"vendor":"acme"},"fields":{"rule":"event.sig","time":"event.ts","src_ip":"net.src"},
		"source":"acme","severity_map":{"P1":"critical"},"time_format":"unix_ms"}`
	dec := json.NewDecoder(strings.NewReader(cfg))
	dec.DisallowUnknownFields()
	var m GenericMapping
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "acme-ids" || m.Source != "acme" || m.SeverityMap["P1"] != "critical" || m.TimeFormat != "unix_ms" || m.Fields["src_ip"] != "net.src" {
		t.Errorf("decoded %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestGenericDecode(t *testing.T) {
	base := func() GenericMapping {
		return GenericMapping{
			Name:   "site",
			Detect: map[string]string{"kind": "*"},
			Fields: map[string]string{"rule": "r", "time": "t", "severity": "s", "src_ip": "ip", "user": "u", "sha256": "h", "process": "p", "command_line": "cmd"},
		}
	}
	tests := []struct {
		name    string
		edit    func(m *GenericMapping)
		body    string
		sev     alert.Severity
		time    string
		source  string
		errHas  string
		entity0 string
	}{
		{name: "defaults", body: `{"kind":1,"r":"R","t":"2026-05-14T09:00:00Z","ip":"192.0.2.1"}`, sev: "medium", time: "2026-05-14T09:00:00Z", source: "site", entity0: "ip 192.0.2.1 source"},
		{name: "source constant", edit: func(m *GenericMapping) { m.Source = "acme" }, body: `{"r":"R","t":"1778750000","ip":"192.0.2.1"}`, sev: "medium", time: "2026-05-14T09:13:20Z", source: "acme"},
		{name: "severity by name", body: `{"r":"R","t":"1778750000","s":"High","ip":"192.0.2.1"}`, sev: "high", time: "2026-05-14T09:13:20Z", source: "site"},
		{name: "severity as a 0-100 score", body: `{"r":"R","t":"1778750000","s":95,"ip":"192.0.2.1"}`, sev: "critical", time: "2026-05-14T09:13:20Z", source: "site"},
		{name: "unmapped severity", body: `{"r":"R","t":"1778750000","s":"sev-a","ip":"192.0.2.1"}`, errHas: `site: s: unknown value "sev-a" (add it to severity_map)`},
		{name: "default severity", edit: func(m *GenericMapping) { m.SeverityMap = map[string]string{"*": "low"} }, body: `{"r":"R","t":"1778750000","s":"sev-a","ip":"192.0.2.1"}`, sev: "low", time: "2026-05-14T09:13:20Z", source: "site"},
		{name: "unix seconds", edit: func(m *GenericMapping) { m.TimeFormat = "unix" }, body: `{"r":"R","t":1778750000.5,"ip":"192.0.2.1"}`, sev: "medium", time: "2026-05-14T09:13:20.5Z", source: "site"},
		{name: "unix ms", edit: func(m *GenericMapping) { m.TimeFormat = "unix_ms" }, body: `{"r":"R","t":"1778750000123","ip":"192.0.2.1"}`, sev: "medium", time: "2026-05-14T09:13:20.123Z", source: "site"},
		{name: "unix ms given seconds", edit: func(m *GenericMapping) { m.TimeFormat = "unix_ms" }, body: `{"r":"R","t":"abc","ip":"192.0.2.1"}`, errHas: `site: t: "abc" is not an epoch number`},
		{name: "layout", edit: func(m *GenericMapping) { m.TimeFormat = "02/01/2006 15:04:05" }, body: `{"r":"R","t":"14/05/2026 09:00:00","ip":"192.0.2.1"}`, sev: "medium", time: "2026-05-14T09:00:00Z", source: "site"},
		{name: "layout mismatch", edit: func(m *GenericMapping) { m.TimeFormat = "02/01/2006 15:04:05" }, body: `{"r":"R","t":"2026-05-14","ip":"192.0.2.1"}`, errHas: `site: t: "2026-05-14" does not match the layout`},
		{name: "no rule", body: `{"t":"1778750000","ip":"192.0.2.1"}`, errHas: "site: r: missing"},
		{name: "no entity", body: `{"r":"R","t":"1778750000","ip":"nope"}`, errHas: `site: u, ip, p, cmd, h: none present`},
		{name: "user and process", body: `{"r":"R","t":"1778750000","u":"CORP\\eve","p":"C:\\x\\evil.exe","cmd":"evil.exe -q"}`, sev: "medium", time: "2026-05-14T09:13:20Z", source: "site", entity0: "user eve domain=CORP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			if tt.edit != nil {
				tt.edit(&m)
			}
			f, err := NewGeneric(m)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.Decode([]byte(tt.body))
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Decode error = %v, want %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := res.Alerts[0]
			if a.Severity != tt.sev || a.Time.Format("2006-01-02T15:04:05.999999999Z07:00") != tt.time || a.Source != tt.source {
				t.Errorf("got severity %s, time %s, source %s; want %s, %s, %s", a.Severity, a.Time, a.Source, tt.sev, tt.time, tt.source)
			}
			if tt.entity0 != "" && entityLines(a.Entities)[0] != tt.entity0 {
				t.Errorf("first entity %q, want %q", entityLines(a.Entities)[0], tt.entity0)
			}
		})
	}
}

// TestGenericDetect checks exact values, "*", arrays and numbers.
func TestGenericDetect(t *testing.T) {
	m := acmeMapping()
	m.Detect = map[string]string{"vendor": "acme", "meta.version": "2", "tags": "ids", "event.sig": "*"}
	f, err := NewGeneric(m)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want bool
	}{
		{`{"vendor":"acme","meta":{"version":2},"tags":["edr","ids"],"event":{"sig":"x"}}`, true},
		{`{"vendor":"acme","meta.version":"2","tags":"ids","event.sig":"x"}`, true},
		{`{"vendor":"acme","meta":{"version":2},"tags":["edr"],"event":{"sig":"x"}}`, false},
		{`{"vendor":"acme","meta":{"version":2},"tags":["ids"],"event":{"sig":null}}`, false},
		{`{"vendor":"ACME","meta":{"version":2},"tags":["ids"],"event":{"sig":"x"}}`, false},
		{`{"vendor":"acme","meta":{"version":"2.0"},"tags":["ids"],"event":{"sig":"x"}}`, false},
		{`{"vendor":"acme","meta":[1,2],"tags":["ids"],"event":{"sig":"x"}}`, false},
		{`{"vendor":"acme","meta":{"version":2},"tags":["ids"],"event":"broken`, false},
	}
	for _, tt := range tests {
		var obj map[string]json.RawMessage
		_ = json.Unmarshal([]byte(tt.body), &obj)
		if got := f.Detect(obj); got != tt.want {
			t.Errorf("Detect(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// TestNewGenericCopies checks that changing a mapping after NewGeneric
// changes nothing.
func TestNewGenericCopies(t *testing.T) {
	m := acmeMapping()
	f, err := NewGeneric(m)
	if err != nil {
		t.Fatal(err)
	}
	m.Fields["rule"] = "elsewhere"
	m.SeverityMap["P1"] = "info"
	m.Detect["vendor"] = "other"
	res, err := f.Decode(readFixture(t, "generic/acme_ids.json", 0))
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Alerts[0]; a.Rule != "ACME-2024-0042 SMB lateral movement" || a.Severity != alert.SeverityCritical {
		t.Errorf("mapping changed after NewGeneric: rule %q severity %s", a.Rule, a.Severity)
	}
}
