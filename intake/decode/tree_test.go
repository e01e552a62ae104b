package decode

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func mustTree(t *testing.T, s string) map[string]any {
	t.Helper()
	doc, err := parseObject("test", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestGet(t *testing.T) {
	doc := `{
		"kibana.alert.rule.name": "dotted",
		"kibana": {"alert": {"severity": "nested", "rule.uuid": "mixed"}},
		"host": {"name": "h1", "ip": ["10.0.0.1", "10.0.0.2"], "os.name": "Linux"},
		"evidence": [{"type": "user", "name": "u1"}, {"type": "file", "sha1": "s1", "details": {"path": "/p"}}],
		"matrix": [[1, 2], [3, 4]],
		"nothing": null,
		"a": {"b": 1},
		"a.b": 2,
		"weird[0]": "literal"
	}`
	tests := []struct {
		path string
		want string // "" means absent
	}{
		{"kibana.alert.rule.name", "dotted"},
		{"kibana.alert.severity", "nested"},
		{"kibana.alert.rule.uuid", "mixed"},
		{"host.name", "h1"},
		{"host.os.name", "Linux"},
		{"host.ip[1]", "10.0.0.2"},
		{"host.ip", "10.0.0.1"},
		{"evidence[1].sha1", "s1"},
		{"evidence.sha1", "s1"},
		{"evidence.details.path", "/p"},
		{"evidence[0].name", "u1"},
		{"evidence[2].name", ""},
		{"evidence[-1].name", ""},
		{"evidence[x].name", ""},
		{"evidence[0", ""},
		{"matrix[1][0]", "3"},
		// Nested wins over dotted when both exist: the shortest key first.
		{"a.b", "1"},
		{"weird[0]", "literal"},
		{"nothing", ""},
		{"nothing.deeper", ""},
		{"host.name.deeper", ""},
		{"missing", ""},
		{"", ""},
		{".host", ""},
		{"host.", ""},
		{"host..name", ""},
	}
	tree := mustTree(t, doc)
	for _, tt := range tests {
		if got := scalar(get(tree, tt.path)); got != tt.want {
			t.Errorf("get(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if got := strs(tree, "host.ip"); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("strs(host.ip) = %q", got)
	}
}

func TestScalarsAreLenient(t *testing.T) {
	tree := mustTree(t, `{"n": 42, "s": " 42 ", "f": "4.5", "neg": -3, "big": 1e300, "na": "N/A", "dash": "-",
		"b": true, "arr": [null, "", "x"], "one": ["7"], "obj": {"k": 1}, "frac": 3.5}`)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"str of a number", str(tree, "n"), "42"},
		{"str trims", str(tree, "s"), "42"},
		{"str drops N/A", str(tree, "na"), ""},
		{"str drops -", str(tree, "dash"), ""},
		{"rawStr keeps placeholders", rawStr(tree, "na"), "N/A"},
		{"str falls through paths", str(tree, "missing", "na", "n"), "42"},
		{"str of a bool", str(tree, "b"), "true"},
		{"str of an array skips empties", str(tree, "arr"), "x"},
		{"str of an object", str(tree, "obj"), ""},
		{"port from a string", port(tree, "s"), 42},
		{"port out of range", port(tree, "big"), 0},
		{"port negative", port(tree, "neg"), 0},
		{"port of a fraction", port(tree, "frac"), 0},
		{"integer of a one-element array", func() int { n, _ := integer(tree, "one"); return n }(), 7},
		{"pid negative", pid(tree, "neg"), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      any
		want    string
		errHas  string
		comment string
	}{
		{in: "2026-05-14T09:12:31Z", want: "2026-05-14T09:12:31Z"},
		{in: "2026-05-14T09:12:31.4483127Z", want: "2026-05-14T09:12:31.4483127Z", comment: "Microsoft's 7 digits"},
		{in: "2026-05-14T11:12:31.448312+0200", want: "2026-05-14T09:12:31.448312Z", comment: "Suricata offset without colon"},
		{in: "2026-05-14T09:12:31.512+0000", want: "2026-05-14T09:12:31.512Z", comment: "Wazuh"},
		{in: "2026-05-14T09:12:31", want: "2026-05-14T09:12:31Z", comment: "no zone is UTC"},
		{in: "2026-05-14 09:12:31.000 UTC", want: "2026-05-14T09:12:31Z"},
		{in: "2026-05-14 09:12:31", want: "2026-05-14T09:12:31Z"},
		{in: "Thu, 14 May 2026 09:12:31 +0000", want: "2026-05-14T09:12:31Z"},
		{in: "1778750385", want: "2026-05-14T09:19:45Z", comment: "epoch seconds as text"},
		{in: "1778753001.372", want: "2026-05-14T10:03:21.372Z", comment: "exact fraction"},
		{in: json.Number("1778752967118"), want: "2026-05-14T10:02:47.118Z", comment: "epoch ms"},
		{in: json.Number("1778752967118123"), want: "2026-05-14T10:02:47.118123Z", comment: "epoch µs"},
		{in: json.Number("1778752967118123456"), want: "2026-05-14T10:02:47.118123456Z", comment: "epoch ns"},
		{in: json.Number("1.778750385e9"), want: "2026-05-14T09:19:45Z", comment: "exponent"},
		{in: []any{"2026-05-14T09:12:31Z"}, want: "2026-05-14T09:12:31Z"},
		{in: json.Number("0"), errHas: "not a plausible alert time"},
		{in: "-5", errHas: "not a plausible alert time"},
		{in: "99999999999999999999999", errHas: "not a plausible alert time"},
		{in: "2026-13-45T00:00:00Z", errHas: "is not an RFC 3339 time"},
		{in: "yesterday", errHas: "is not an RFC 3339 time"},
		{in: "   ", errHas: "missing"},
		{in: nil, errHas: "missing"},
		{in: true, errHas: "expected a time, got a boolean"},
		{in: map[string]any{}, errHas: "expected a time, got an object"},
		{in: []any{}, errHas: "missing"},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("parseTime(%#v) = %v, %v; want error with %q", tt.in, got, err, tt.errHas)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
			t.Errorf("parseTime(%#v) [%s] = %v, %v; want %s UTC", tt.in, tt.comment, got, err, tt.want)
		}
	}
}

func TestTechniqueIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"T1059.001", []string{"T1059.001"}},
		{"t1110", []string{"T1110"}},
		{"T1566.001 - Spearphishing Attachment", []string{"T1566.001"}},
		{"T1003,T1003.001;T1078", []string{"T1003", "T1003.001", "T1078"}},
		{"https://attack.mitre.org/techniques/T1059/001/", []string{"T1059"}},
		{"AT1059 T10590 T105 T1059.01", nil},
		{"PowerShell", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := techniqueIDs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("techniqueIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIP(t *testing.T) {
	tests := []struct {
		in   string
		addr string
		port int
		ok   bool
	}{
		{"10.0.0.1", "10.0.0.1", 0, true},
		{" 10.0.0.1 ", "10.0.0.1", 0, true},
		{"10.0.0.1:443", "10.0.0.1", 443, true},
		{"[2001:db8::1]:8443", "2001:db8::1", 8443, true},
		{"[2001:db8::1]", "2001:db8::1", 0, true},
		{"2001:DB8::1", "2001:db8::1", 0, true},
		{"::ffff:10.0.0.1", "10.0.0.1", 0, true},
		{"fe80::1%eth0", "fe80::1%eth0", 0, true},
		{"0.0.0.0", "", 0, false},
		{"::", "", 0, false},
		{"10.0.0.256", "", 0, false},
		{"host.example", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		addr, port, ok := normalizeIP(tt.in)
		if addr != tt.addr || port != tt.port || ok != tt.ok {
			t.Errorf("normalizeIP(%q) = %q, %d, %v; want %q, %d, %v", tt.in, addr, port, ok, tt.addr, tt.port, tt.ok)
		}
	}
}

func TestBuilderEntities(t *testing.T) {
	b := newBuilder("test")
	b.host("WS-1", "", []string{"10.0.0.1, 10.0.0.2", "bogus"}, "")
	b.host("ws-1", "aid-1", []string{"10.0.0.3"}, "Windows")
	b.host("", "", []string{"10.0.0.9"}, "")
	b.user(`CORP\alice`, "", "", "")
	b.user("alice", "CORP", "alice@corp.example", "sid-1")
	b.user("bob@corp.example", "", "", "")
	b.user("SYSTEM", "NT AUTHORITY", "", "")
	b.user("LOCAL SERVICE", "", "", "")
	b.user("WS-1$", "CORP", "", "")
	b.user("", "", "", "only-an-id")
	b.ip("src", "203.0.113.5", alert.DirectionUnknown, 0)
	b.ip("src", "203.0.113.5", alert.DirectionSource, 4444)
	b.ip("src", "203.0.113.5", alert.DirectionUnknown, 0)
	b.ip("dst", "203.0.113.5", alert.DirectionDestination, 0)
	b.ip("bad", "300.1.1.1", alert.DirectionSource, 0)
	b.file(alert.FileHash{Name: "a.exe", SHA256: strings.ToUpper(psSHA256)})
	b.file(alert.FileHash{Path: `C:\a.exe`, MD5: psMD5, SHA256: psSHA256})
	b.file(alert.FileHash{SHA1: strings.Repeat("0", 40)})
	b.file(alert.FileHash{MD5: "xyz"})
	b.domain("Evil.Example.")
	b.domain("evil.example")
	b.domain("10.0.0.1")
	b.domain("localhost")
	b.domain("not a domain.example")
	b.techniques("T1059.001", "t1059.001", "T1110")
	want := []string{
		"host WS-1 id=aid-1 ip=10.0.0.1,10.0.0.2,10.0.0.3 os=Windows",
		"user alice domain=CORP email=alice@corp.example id=sid-1",
		"user bob@corp.example email=bob@corp.example",
		"ip 10.0.0.9",
		"ip 203.0.113.5 source port=4444",
		"ip 203.0.113.5 destination",
		`file a.exe path=C:\a.exe md5=` + psMD5 + " sha256=" + psSHA256,
		"domain evil.example",
	}
	if got := entityLines(b.a.Entities); !slices.Equal(got, want) {
		t.Errorf("entities:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if !slices.Equal(b.a.Techniques, []string{"T1059.001", "T1110"}) {
		t.Errorf("techniques = %q", b.a.Techniques)
	}
	if !slices.Equal(b.dropped, []string{`bad "300.1.1.1" is not an IP address`}) {
		t.Errorf("dropped = %q", b.dropped)
	}
}

// TestHostNamedByID: a host known only by its EDR ID is named by it when
// the alert is finished, and only then, so that a later mention of the same
// ID with a name still names it; a native alert gets the same.
func TestHostNamedByID(t *testing.T) {
	b := newBuilder("test")
	b.a.Rule, b.a.Severity, b.a.Time = "r", alert.SeverityHigh, time.Date(2026, 5, 14, 12, 0, 0, 0, time.UTC)
	b.host("", "aid-1", nil, "")
	b.host("ws-1", "aid-1", nil, "")
	b.host("", "aid-2", nil, "")
	b.host("ws-3", "", nil, "")
	a, err := b.finish([]byte(`{}`), "hosts")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"host ws-1 id=aid-1", "host aid-2 id=aid-2", "host ws-3"}
	if got := entityLines(a.Entities); !slices.Equal(got, want) {
		t.Errorf("entities:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}

	res, err := Builtin().Decode([]byte(`{"source":"edr","rule":"r","title":"t","severity":"high",`+
		`"time":"2026-05-14T12:00:00Z","entities":{"hosts":[{"name":"","id":"dev-9"}]}}`), "native")
	if err != nil {
		t.Fatal(err)
	}
	if got := entityLines(res.Alerts[0].Entities); !slices.Equal(got, []string{"host dev-9 id=dev-9"}) {
		t.Errorf("native entities = %q", got)
	}
}

// TestSeverityMappings pins every vendor scale at its band edges.
func TestSeverityMappings(t *testing.T) {
	type c struct {
		in   string
		want alert.Severity
	}
	check := func(name string, f func(string) alert.Severity, cases []c) {
		t.Helper()
		for _, tt := range cases {
			if got := f(tt.in); got != tt.want {
				t.Errorf("%s(%s) = %q, want %q", name, tt.in, got, tt.want)
			}
		}
	}
	atoi := func(s string) int {
		n, _ := integer(map[string]any{"v": s}, "v")
		return n
	}
	atof := func(s string) float64 {
		f, _ := num(map[string]any{"v": s}, "v")
		return f
	}
	check("suricata", func(s string) alert.Severity { return suricataSeverity(atoi(s), nil) }, []c{
		{"1", "high"}, {"2", "medium"}, {"3", "low"}, {"4", "info"}, {"255", "info"},
	})
	check("suricata with ET Critical", func(s string) alert.Severity { return suricataSeverity(atoi(s), []string{"Critical"}) }, []c{
		{"1", "critical"}, {"2", "medium"},
	})
	check("wazuh", func(s string) alert.Severity { return wazuhSeverity(atoi(s)) }, []c{
		{"0", "info"}, {"3", "info"}, {"4", "low"}, {"6", "low"}, {"7", "medium"}, {"11", "medium"},
		{"12", "high"}, {"14", "high"}, {"15", "critical"}, {"16", "critical"},
	})
	check("guardduty", func(s string) alert.Severity { return guarddutySeverity(atof(s)) }, []c{
		{"0.1", "low"}, {"3.9", "low"}, {"4", "medium"}, {"6.9", "medium"}, {"7", "high"}, {"8.9", "high"}, {"9", "critical"}, {"10", "critical"},
	})
	check("elastic risk score", func(s string) alert.Severity { return elasticRiskSeverity(atof(s)) }, []c{
		{"0", "low"}, {"21", "low"}, {"22", "medium"}, {"47", "medium"}, {"48", "high"}, {"73", "high"}, {"74", "critical"}, {"99", "critical"},
	})
	check("splunk", func(s string) alert.Severity { sev, _ := splunkSeverity(s); return sev }, []c{
		{"informational", "info"}, {"low", "low"}, {"medium", "medium"}, {"high", "high"}, {"critical", "critical"},
		{"unknown", "medium"}, {"1", "info"}, {"2", "info"}, {"3", "low"}, {"4", "medium"}, {"5", "high"}, {"6", "critical"},
	})
	check("microsoft", func(s string) alert.Severity {
		sev, _, _ := microsoftSeverity("test", map[string]any{"severity": s})
		return sev
	}, []c{
		{"Informational", "info"}, {"Low", "low"}, {"medium", "medium"}, {"High", "high"},
		{"UnSpecified", "medium"}, {"unknown", "medium"}, {"unknownFutureValue", "medium"}, {"", "medium"},
	})
	check("falcon", func(s string) alert.Severity {
		sev, _, _ := falconSeverity(map[string]any{"Severity": s})
		return sev
	}, []c{
		{"1", "info"}, {"2", "low"}, {"3", "medium"}, {"4", "high"}, {"5", "critical"},
	})
	check("ocsf", func(s string) alert.Severity {
		sev, _, _ := ocsfSeverity(map[string]any{"severity_id": json.Number(s)})
		return sev
	}, []c{
		{"0", "medium"}, {"1", "info"}, {"2", "low"}, {"3", "medium"}, {"4", "high"}, {"5", "critical"}, {"6", "critical"}, {"99", "medium"},
	})
}

func TestCategories(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{classCategory("Credential Access"), "identity"},
		{classCategory("CredentialAccess", "Execution"), "identity"},
		{classCategory("Execution", "Command and Control"), "malware"},
		{classCategory("credential_access", "exfiltration"), "exfiltration"},
		{classCategory("TA0011"), "network"},
		{classCategory("Initial Access", "Discovery"), ""},
		{keywordCategory("Brute Force Access Behavior Detected"), "identity"},
		{keywordCategory("Outbound data transfer over 5GB"), "exfiltration"},
		{keywordCategory("Trojan"), "malware"},
		{keywordCategory("Possible port scan"), "network"},
		{keywordCategory("Weird thing"), ""},
		{classCategory("Phishing", "Execution"), "phishing"},
		{keywordCategory("Email reported by user as malware or phish"), "phishing"},
		{keywordCategory("Credential phishing link clicked"), "phishing"},
		{guarddutyCategory("UnauthorizedAccess:EC2/RDPBruteForce", "NETWORK_CONNECTION"), "identity"},
		{guarddutyCategory("Exfiltration:S3/AnomalousBehavior", "AWS_API_CALL"), "exfiltration"},
		{guarddutyCategory("Execution:EC2/MaliciousFile", ""), "malware"},
		{guarddutyCategory("Recon:EC2/Portscan", "NETWORK_CONNECTION"), "network"},
		{guarddutyCategory("Policy:IAMUser/RootCredentialUsage", "AWS_API_CALL"), "identity"},
		{guarddutyCategory("UnauthorizedAccess:EC2/TorClient", "NETWORK_CONNECTION"), "network"},
		{guarddutyCategory("Impact:S3/ObjectDelete.Unusual", "AWS_API_CALL"), "identity"},
		{guarddutyCategory("Unknown", ""), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: category %q, want %q", i, tt.got, tt.want)
		}
	}
}
