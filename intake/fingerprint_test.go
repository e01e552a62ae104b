package intake_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/policy"
)

func sampleAlert() *alert.Alert {
	return &alert.Alert{
		Source:   "suricata",
		Rule:     "SOCFLOW-NET-0042",
		Title:    "Inbound SMB to dc01",
		Category: "network",
		Severity: alert.SeverityMedium,
		Time:     time.Date(2026, 5, 14, 9, 12, 31, 0, time.UTC),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: "dc01"}},
			Users: []alert.User{{Name: "alice"}},
			IPs: []alert.IP{
				{Addr: "203.0.113.7", Direction: alert.DirectionSource},
				{Addr: "10.0.0.10", Direction: alert.DirectionDestination},
			},
			Domains: []string{"a.example", "b.example"},
		},
	}
}

var fingerprintShape = regexp.MustCompile(`^suricata-[0-9a-f]{32}$`)

func TestFingerprint(t *testing.T) {
	base := intake.Fingerprint(sampleAlert(), nil)
	if !fingerprintShape.MatchString(base) {
		t.Fatalf("Fingerprint = %q, want suricata-<32 hex>", base)
	}

	tests := []struct {
		name string
		edit func(a *alert.Alert)
		same bool
	}{
		{name: "the same alert again", edit: func(*alert.Alert) {}, same: true},
		{name: "a later occurrence", edit: func(a *alert.Alert) { a.Time = a.Time.Add(time.Hour); a.ID = "other" }, same: true},
		{name: "another title or severity", edit: func(a *alert.Alert) { a.Title = "x"; a.Severity = alert.SeverityHigh }, same: true},
		{name: "IP entities in another order", edit: func(a *alert.Alert) {
			a.Entities.IPs[0], a.Entities.IPs[1] = a.Entities.IPs[1], a.Entities.IPs[0]
		}, same: true},
		{name: "non-primary entities in another order", edit: func(a *alert.Alert) {
			a.Entities.Domains = []string{"b.example", "a.example"}
		}, same: true},
		{name: "case of host, user, source and rule", edit: func(a *alert.Alert) {
			a.Entities.Hosts[0].Name = "DC01"
			a.Entities.Users[0].Name = "Alice"
			a.Source = "Suricata"
			a.Rule = "socflow-net-0042"
		}, same: true},
		{name: "surrounding spaces in the rule", edit: func(a *alert.Alert) { a.Rule = "  SOCFLOW-NET-0042 " }, same: true},
		{name: "another rule", edit: func(a *alert.Alert) { a.Rule = "SOCFLOW-NET-0043" }, same: false},
		{name: "another host", edit: func(a *alert.Alert) { a.Entities.Hosts[0].Name = "dc02" }, same: false},
		{name: "another user", edit: func(a *alert.Alert) { a.Entities.Users[0].Name = "bob" }, same: false},
		{name: "another source address", edit: func(a *alert.Alert) { a.Entities.IPs[0].Addr = "203.0.113.8" }, same: false},
		{name: "another destination address", edit: func(a *alert.Alert) { a.Entities.IPs[1].Addr = "10.0.0.11" }, same: false},
		{name: "another source product", edit: func(a *alert.Alert) { a.Source = "zeek" }, same: false},
		{name: "a value moved to another field", edit: func(a *alert.Alert) {
			a.Entities.Hosts[0].Name = "alice"
			a.Entities.Users[0].Name = "dc01"
		}, same: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAlert()
			tt.edit(a)
			got := intake.Fingerprint(a, nil)
			if (got == base) != tt.same {
				t.Errorf("Fingerprint = %s, base %s: same = %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

func TestFingerprintPolicyRules(t *testing.T) {
	rules := []policy.FingerprintRule{
		{Match: policy.Match{"source": "crowdstrike"}, Fields: []string{"source", "hashes"}},
		{Match: policy.Match{"source": "suricata", "rule": "scan-*"}, Fields: []string{"rule", "src_ip"}},
		{Match: policy.Match{"source": "suricata"}, Fields: []string{"source", "rule", "hosts"}},
	}
	mk := func(edit func(a *alert.Alert)) string {
		a := sampleAlert()
		edit(a)
		return intake.Fingerprint(a, rules)
	}

	// The third rule: the host list as a set, users ignored.
	one := mk(func(a *alert.Alert) { a.Entities.Hosts = []alert.Host{{Name: "dc01"}, {Name: "ws01"}} })
	if got := mk(func(a *alert.Alert) {
		a.Entities.Hosts = []alert.Host{{Name: "WS01"}, {Name: "dc01"}}
		a.Entities.Users = []alert.User{{Name: "mallory"}}
	}); got != one {
		t.Errorf("hosts rule: host order, host case and users must not matter: %s != %s", got, one)
	}
	if got := mk(func(a *alert.Alert) { a.Entities.Hosts = []alert.Host{{Name: "dc01"}} }); got == one {
		t.Error("hosts rule: a different host set must differ")
	}
	if got := intake.Fingerprint(sampleAlert(), nil); got == intake.Fingerprint(sampleAlert(), rules) {
		t.Error("a matching rule must override the default fields")
	}

	// First matching rule wins: the scan rule, not the generic suricata one.
	scanA := mk(func(a *alert.Alert) { a.Rule = "scan-ports" })
	scanB := mk(func(a *alert.Alert) {
		a.Rule = "scan-ports"
		a.Entities.Hosts = []alert.Host{{Name: "ws99"}}
	})
	if scanA != scanB {
		t.Errorf("scan rule fingerprints by rule and src_ip only: %s != %s", scanA, scanB)
	}

	// A rule that does not match leaves the default in force.
	other := &alert.Alert{Source: "zeek", Rule: "r", Entities: alert.Entities{Hosts: []alert.Host{{Name: "dc01"}}}}
	if intake.Fingerprint(other, rules) != intake.Fingerprint(other, nil) {
		t.Error("no matching rule: want the default fingerprint")
	}
}

func TestFingerprintSourceIsSanitised(t *testing.T) {
	a := sampleAlert()
	a.Source = "Microsoft Defender/ATP"
	if got := intake.Fingerprint(a, nil); !regexp.MustCompile(`^microsoft_defender_atp-[0-9a-f]{32}$`).MatchString(got) {
		t.Errorf("Fingerprint = %q, want a workflow-ID-safe source prefix", got)
	}
}

// TestFingerprintDrill checks that a drill is never "the same alert" as a
// real one, and that real alerts keep the fingerprints running alert runs
// were started with.
func TestFingerprintDrill(t *testing.T) {
	// Recorded before drills were fingerprinted: a change here orphans
	// every open alert run.
	const realFingerprint = "suricata-66c61535597d376a08eb0187d48fc372"
	real := intake.Fingerprint(sampleAlert(), nil)
	if real != realFingerprint {
		t.Errorf("real alert: Fingerprint = %s, want %s as before", real, realFingerprint)
	}
	drill := sampleAlert()
	drill.Drill = true
	got := intake.Fingerprint(drill, nil)
	if got == real {
		t.Errorf("drill and real alert share fingerprint %s", got)
	}
	if !fingerprintShape.MatchString(got) {
		t.Errorf("drill: Fingerprint = %q, want suricata-<32 hex>", got)
	}
	rules := []policy.FingerprintRule{{Match: policy.Match{"source": "suricata"}, Fields: []string{"rule"}}}
	if intake.Fingerprint(drill, rules) == intake.Fingerprint(sampleAlert(), rules) {
		t.Error("policy fingerprint fields: a drill must still differ from a real alert")
	}
}
