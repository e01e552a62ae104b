package policy_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
)

// defaultPolicy is the shipped policy; tests that need a variation copy it.
func defaultPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p := config.Default().Policy
	return &p
}

// schemaPolicy is the shipped policy without SSVC, whose priority floor
// would otherwise hide the arithmetic these tests check.
func schemaPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p := defaultPolicy(t)
	p.Scoring.SSVC.Enabled = false
	return p
}

func networkAnomaly() *alert.Alert {
	return &alert.Alert{
		Source:   "suricata",
		Rule:     "SOCFLOW-NET-0042",
		Title:    "Inbound SMB from the internet",
		Category: "network",
		Severity: alert.SeverityMedium,
		Time:     time.Date(2026, 5, 14, 9, 12, 31, 0, time.UTC),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: "DC01"}},
			IPs: []alert.IP{
				{Addr: "203.0.113.7", Direction: alert.DirectionSource},
				{Addr: "10.0.0.10", Direction: alert.DirectionDestination},
			},
		},
		Labels: map[string]string{"team": "Infra"},
	}
}

func factorNames(s alert.Score) []string {
	names := make([]string, len(s.Factors))
	for i, f := range s.Factors {
		names[i] = f.Name
	}
	return names
}

func factor(s alert.Score, name string) (alert.Factor, bool) {
	for _, f := range s.Factors {
		if f.Name == name {
			return f, true
		}
	}
	return alert.Factor{}, false
}

// TestScoreShippedPolicy is the demo's story: the same network anomaly is
// urgent on a domain controller and routine on a printer.
func TestScoreShippedPolicy(t *testing.T) {
	p := defaultPolicy(t)
	tests := []struct {
		name  string
		asset *alert.Asset
		prio  alert.Priority
		tier  string
	}{
		{"domain controller", &alert.Asset{Name: "dc01", Role: "domain controller", Tier: 1}, alert.P1, "IR"},
		{"printer", &alert.Asset{Name: "prn-3f", Role: "printer", Tier: 4}, alert.P4, "T1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Score(networkAnomaly(), &alert.ContextPacket{Asset: tt.asset}, 1)
			if got.Priority != tt.prio || got.Tier != tt.tier {
				t.Errorf("Score = %d %s %s, want %s %s\n%s", got.Value, got.Priority, got.Tier, tt.prio, tt.tier, got.Explain())
			}
			names := factorNames(got)
			if len(names) < 3 || names[0] != "severity" || names[1] != "asset" || names[len(names)-1] != "priority" {
				t.Errorf("factors = %v, want severity, asset first and priority last", names)
			}
		})
	}
}

func TestScore(t *testing.T) {
	p := schemaPolicy(t)
	dc := &alert.Asset{Name: "dc01", Role: "domain controller", Tier: 1}
	printer := &alert.Asset{Name: "prn-3f", Role: "printer", Tier: 4}
	anomalies := func(n int) []alert.UserContext {
		u := alert.UserContext{Name: "alice"}
		for i := range n {
			u.Anomalies = append(u.Anomalies, fmt.Sprintf("anomaly %d", i))
		}
		return []alert.UserContext{u}
	}

	tests := []struct {
		name     string
		severity alert.Severity
		ctx      *alert.ContextPacket
		count    int
		want     int
		prio     alert.Priority
		tier     string
		sla      time.Duration
		effects  map[string]string
	}{
		{
			name: "network anomaly on a domain controller is P1 for IR", severity: alert.SeverityMedium,
			ctx: &alert.ContextPacket{Asset: dc}, count: 1,
			want: 100, prio: alert.P1, tier: "IR", sla: time.Hour,
			effects: map[string]string{"severity": "50", "asset": "x2", "priority": "P1"},
		},
		{
			name: "same anomaly on a printer is P4 for T1", severity: alert.SeverityMedium,
			ctx: &alert.ContextPacket{Asset: printer}, count: 1,
			want: 25, prio: alert.P4, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"asset": "x0.5", "priority": "P4"},
		},
		{
			name: "unknown asset uses the unknown multiplier", severity: alert.SeverityMedium,
			ctx: nil, count: 1,
			want: 50, prio: alert.P3, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"asset": "x1"},
		},
		{
			name: "intel adds confidence times weight of the best hit", severity: alert.SeverityMedium,
			ctx: &alert.ContextPacket{IntelHits: []alert.IntelHit{
				{Indicator: "198.51.100.1", Source: "misp", Confidence: 40},
				{Indicator: "203.0.113.7", Source: "watchlist", Confidence: 90},
				{Indicator: "evil.example", Source: "stix", Confidence: 60},
			}},
			count: 1,
			want:  77, prio: alert.P2, tier: "T2", sla: 30 * time.Minute,
			effects: map[string]string{"intel": "+27"},
		},
		{
			name: "anomalies add points each", severity: alert.SeverityLow,
			ctx: &alert.ContextPacket{Users: anomalies(1)}, count: 1,
			want: 35, prio: alert.P4, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"anomaly": "+10"},
		},
		{
			name: "anomalies are capped", severity: alert.SeverityLow,
			ctx: &alert.ContextPacket{Users: append(anomalies(3), anomalies(2)...)}, count: 1,
			want: 45, prio: alert.P3, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"anomaly": "+20"},
		},
		{
			name: "repetition adds log2(count) times points", severity: alert.SeverityLow,
			ctx: nil, count: 8,
			want: 31, prio: alert.P4, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"repetition": "+6"},
		},
		{
			name: "repetition is capped", severity: alert.SeverityLow,
			ctx: nil, count: 1 << 20,
			want: 35, prio: alert.P4, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"repetition": "+10"},
		},
		{
			name: "repetition rounds its explanation", severity: alert.SeverityLow,
			ctx: nil, count: 3,
			want: 28, prio: alert.P4, tier: "T1", sla: 15 * time.Minute,
			effects: map[string]string{"repetition": "+3.2"},
		},
		{
			name: "clamped at 100", severity: alert.SeverityCritical,
			ctx: &alert.ContextPacket{Asset: dc, IntelHits: []alert.IntelHit{{Confidence: 100}}, Users: anomalies(5)}, count: 64,
			want: 100, prio: alert.P1, tier: "IR", sla: time.Hour,
		},
		{
			name: "threshold boundary: exactly P2", severity: alert.SeverityMedium,
			ctx: &alert.ContextPacket{Users: anomalies(1)}, count: 1,
			want: 60, prio: alert.P2, tier: "T2", sla: 30 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := networkAnomaly()
			a.Severity = tt.severity
			got := p.Score(a, tt.ctx, tt.count)
			if got.Value != tt.want || got.Priority != tt.prio || got.Tier != tt.tier || got.SLA != tt.sla {
				t.Errorf("Score = %d %s %s %s, want %d %s %s %s\n%s",
					got.Value, got.Priority, got.Tier, got.SLA, tt.want, tt.prio, tt.tier, tt.sla, got.Explain())
			}
			for name, effect := range tt.effects {
				f, ok := factor(got, name)
				if !ok {
					t.Errorf("no %q factor in %v", name, factorNames(got))
					continue
				}
				if f.Effect != effect {
					t.Errorf("%s effect = %q, want %q", name, f.Effect, effect)
				}
			}
		})
	}
}

func TestScoreClampsAtZero(t *testing.T) {
	p := schemaPolicy(t)
	// A validated file cannot say this, but the function must not depend on
	// validation to stay within 0-100.
	p.Scoring.SeverityBase = map[alert.Severity]float64{alert.SeverityMedium: -40}
	got := p.Score(networkAnomaly(), nil, 1)
	if got.Value != 0 || got.Priority != alert.P4 {
		t.Errorf("Score = %d %s, want 0 P4", got.Value, got.Priority)
	}
}

func TestScoreExplainsEveryFactor(t *testing.T) {
	p := schemaPolicy(t)
	ctx := &alert.ContextPacket{
		Asset:     &alert.Asset{Name: "dc01", Role: "domain controller", Tier: 1},
		IntelHits: []alert.IntelHit{{Indicator: "203.0.113.7", Source: "watchlist", Confidence: 80}},
		Users:     []alert.UserContext{{Name: "alice", Anomalies: []string{"first login from BR"}}},
	}
	got := p.Score(networkAnomaly(), ctx, 4)
	want := []string{"severity", "asset", "intel", "anomaly", "repetition", "priority"}
	if !reflect.DeepEqual(factorNames(got), want) {
		t.Fatalf("factors = %v, want %v", factorNames(got), want)
	}
	details := map[string][]string{
		"severity":   {"medium"},
		"asset":      {"dc01", "tier 1", "domain controller"},
		"intel":      {"203.0.113.7", "watchlist", "80"},
		"anomaly":    {"1 user anomaly"},
		"repetition": {"4 times"},
		"priority":   {"score 100", "P1>=80", "IR"},
	}
	for _, f := range got.Factors {
		for _, w := range details[f.Name] {
			if !strings.Contains(f.Detail, w) {
				t.Errorf("%s detail %q does not mention %q", f.Name, f.Detail, w)
			}
		}
	}
	explained := got.Explain()
	for _, name := range want {
		if !strings.Contains(explained, name) {
			t.Errorf("Explain() omits %s:\n%s", name, explained)
		}
	}
}

func TestScoreOmitsAbsentFactors(t *testing.T) {
	p := schemaPolicy(t)
	got := p.Score(networkAnomaly(), &alert.ContextPacket{}, 1)
	want := []string{"severity", "asset", "priority"}
	if !reflect.DeepEqual(factorNames(got), want) {
		t.Errorf("factors = %v, want %v", factorNames(got), want)
	}
}

func TestScoreIsDeterministic(t *testing.T) {
	p := defaultPolicy(t)
	ctx := &alert.ContextPacket{
		Asset: &alert.Asset{Name: "dc01", Tier: 2},
		IntelHits: []alert.IntelHit{
			{Indicator: "a", Source: "s1", Confidence: 70},
			{Indicator: "b", Source: "s2", Confidence: 70},
		},
		Users: []alert.UserContext{{Name: "alice", Anomalies: []string{"x", "y"}}},
	}
	first := p.Score(networkAnomaly(), ctx, 5)
	for range 50 {
		if got := p.Score(networkAnomaly(), ctx, 5); !reflect.DeepEqual(got, first) {
			t.Fatalf("Score changed between calls:\n%+v\n%+v", first, got)
		}
	}
	// On equal confidence the first hit is the one explained.
	if f, _ := factor(first, "intel"); !strings.HasPrefix(f.Detail, "a on s1") {
		t.Errorf("intel detail = %q, want the first of equally confident hits", f.Detail)
	}
}

func TestPriorityFor(t *testing.T) {
	p := defaultPolicy(t)
	tests := []struct {
		score int
		want  alert.Priority
	}{
		{100, alert.P1}, {80, alert.P1}, {79, alert.P2}, {60, alert.P2}, {59, alert.P3},
		{40, alert.P3}, {39, alert.P4}, {0, alert.P4},
	}
	for _, tt := range tests {
		if got := p.PriorityFor(tt.score); got != tt.want {
			t.Errorf("PriorityFor(%d) = %s, want %s", tt.score, got, tt.want)
		}
	}
}

func TestRoute(t *testing.T) {
	p := defaultPolicy(t)
	p.Routing.Rules = append([]policy.RouteRule{{
		Name:     "infra-team",
		Match:    policy.Match{"labels.team": "infra", "category": "network"},
		GroupBy:  []string{"labels.team"},
		Window:   2 * time.Hour,
		Playbook: "infra",
	}}, p.Routing.Rules...)

	tests := []struct {
		name     string
		edit     func(a *alert.Alert)
		rule     string
		key      string
		groupBy  string
		playbook string
	}{
		{
			name: "first matching rule wins", rule: "infra-team", key: "labels.team:infra", groupBy: "labels.team", playbook: "infra",
		},
		{
			name: "later rule when the first does not match", edit: func(a *alert.Alert) { a.Labels = nil },
			rule: "network", key: "host:dc01", groupBy: "host", playbook: "network-anomaly",
		},
		{
			name: "group_by falls through to the next field", edit: func(a *alert.Alert) { a.Labels = nil; a.Entities.Hosts = nil },
			rule: "network", key: "src_ip:203.0.113.7", groupBy: "src_ip", playbook: "network-anomaly",
		},
		{
			name: "no group_by field: keyed by fingerprint",
			edit: func(a *alert.Alert) {
				a.Labels = nil
				a.Entities = alert.Entities{Domains: []string{"evil.example"}}
			},
			rule: "network", key: "alert:suricata-0123abcd", groupBy: "fingerprint", playbook: "network-anomaly",
		},
		{
			name: "no rule matches: default", edit: func(a *alert.Alert) { a.Category = "recon" },
			rule: "default", key: "host:dc01", groupBy: "host", playbook: "standard",
		},
		{
			name: "identity rule groups by user",
			edit: func(a *alert.Alert) {
				a.Category = "identity"
				a.Entities.Users = []alert.User{{Name: `CORP\Alice Smith`}}
			},
			rule: "identity", key: "user:corp_alice_smith", groupBy: "user", playbook: "account-compromise",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := networkAnomaly()
			if tt.edit != nil {
				tt.edit(a)
			}
			got := p.Route(a, "suricata-0123abcd")
			if got.Rule != tt.rule || got.Key != tt.key || got.GroupBy != tt.groupBy || got.Playbook != tt.playbook {
				t.Errorf("Route = %+v, want rule %s key %s group_by %s playbook %s", got, tt.rule, tt.key, tt.groupBy, tt.playbook)
			}
			if got.Window <= 0 {
				t.Errorf("Route window = %s, want the rule's window", got.Window)
			}
		})
	}
}

// TestRouteDrill checks that a drill never shares an incident with real
// alerts on the same entity, and that real keys stay as they were.
func TestRouteDrill(t *testing.T) {
	p := defaultPolicy(t)
	tests := []struct {
		name  string
		edit  func(a *alert.Alert)
		drill string
		real  string
	}{
		{name: "grouped by host", drill: "drill:host:dc01", real: "host:dc01"},
		{name: "keyed by fingerprint", edit: func(a *alert.Alert) { a.Entities = alert.Entities{Domains: []string{"evil.example"}} },
			drill: "drill:alert:suricata-0123abcd", real: "alert:suricata-0123abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := networkAnomaly()
			if tt.edit != nil {
				tt.edit(a)
			}
			if got := p.Route(a, "suricata-0123abcd").Key; got != tt.real {
				t.Errorf("real alert: key %q, want %q (real keys must not change)", got, tt.real)
			}
			a.Drill = true
			if got := p.Route(a, "suricata-0123abcd").Key; got != tt.drill {
				t.Errorf("drill: key %q, want %q", got, tt.drill)
			}
		})
	}
}

func TestSanitizeKey(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"dc01", "dc01"},
		{"  DC01.corp.example  ", "dc01.corp.example"},
		{"alice@corp.example", "alice@corp.example"},
		{`CORP\alice`, "corp_alice"},
		{"a/b c?d#e%f", "a_b_c_d_e_f"},
		{"fe80::1", "fe80::1"},
		{"josé", "jos_"},
		{"x_y-z:1", "x_y-z:1"},
		{"", ""},
		{strings.Repeat("a", 300), strings.Repeat("a", 200)},
		{strings.Repeat("é", 300), strings.Repeat("_", 200)},
	}
	for _, tt := range tests {
		if got := policy.SanitizeKey(tt.in); got != tt.want {
			t.Errorf("SanitizeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSuppressed(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p := &policy.Policy{Triage: policy.Triage{Suppressions: []policy.Suppression{
		{Name: "expired-scanner", Match: policy.Match{"src_ip": "203.0.113.*"}, Reason: "old scan", Expires: now.Add(-time.Hour)},
		{Name: "scanner", Match: policy.Match{"source": "suricata", "src_ip": "203.0.113.*"}, Reason: "weekly scan", Expires: now.Add(24 * time.Hour)},
		{Name: "backup", Match: policy.Match{"hosts": "backup-??"}, Reason: "backup jobs", Expires: now.Add(24 * time.Hour)},
		{Name: "ends-now", Match: policy.Match{"rule": "ends-now"}, Reason: "r", Expires: now},
	}}}
	tests := []struct {
		name string
		edit func(a *alert.Alert)
		want string
	}{
		{name: "glob matches; the expired rule before it is ignored", want: "scanner"},
		{name: "every field must match", edit: func(a *alert.Alert) { a.Source = "zeek" }, want: ""},
		{name: "glob on a multi-valued field", edit: func(a *alert.Alert) {
			a.Entities.IPs = nil
			a.Entities.Hosts = []alert.Host{{Name: "ws01"}, {Name: "BACKUP-01"}}
		}, want: "backup"},
		{name: "? is one character", edit: func(a *alert.Alert) {
			a.Entities.IPs = nil
			a.Entities.Hosts = []alert.Host{{Name: "backup-001"}}
		}, want: ""},
		{name: "a suppression ending now no longer applies", edit: func(a *alert.Alert) {
			a.Rule = "ends-now"
			a.Entities.IPs = nil
		}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := networkAnomaly()
			if tt.edit != nil {
				tt.edit(a)
			}
			got := p.Suppressed(a, now)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("Suppressed = %q, want %q", name, tt.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"a", "a", true},
		{"a", "b", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*b*", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abd", false},
		{"https://*.example/*", "https://cdn.example/a/b/c.js", true},
		{`c:\windows\*`, `c:\windows\system32\cmd.exe`, true},
		{"*/tmp/*", "/var/tmp/x", true},
		{"?", "a", true},
		{"?", "", false},
		{"?", "ab", false},
		{"??", "ab", true},
		{"a?c", "abc", true},
		{"a?c", "a/c", true},
		{"jos?", "josé", true},
		{"*a*a*a*", "aaa", true},
		{"*a*a*a*", "aa", false},
		{"*aab", "aaaab", true},
		{"a**b", "ab", true},
		{"10.0.*.5", "10.0.9.5", true},
		{"10.0.*.5", "10.0.9.50", false},
	}
	for _, tt := range tests {
		if got := policy.Glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	a := networkAnomaly()
	a.Techniques = []string{"T1021.002", "T1110"}
	tests := []struct {
		name string
		m    policy.Match
		want bool
	}{
		{"empty matches everything", policy.Match{}, true},
		{"nil matches everything", nil, true},
		{"case-insensitive value", policy.Match{"host": "DC*"}, true},
		{"label", policy.Match{"labels.team": "infra"}, true},
		{"label glob", policy.Match{"labels.team": "in*"}, true},
		{"missing label", policy.Match{"labels.owner": "*"}, false},
		{"wrong label", policy.Match{"labels.team": "web"}, false},
		{"any of several values", policy.Match{"techniques": "t1110"}, true},
		{"all fields must match", policy.Match{"category": "network", "severity": "high"}, false},
		{"unknown field never matches", policy.Match{"nonsense": "*"}, false},
		{"dst_ip", policy.Match{"dst_ip": "10.0.0.*"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Matches(a); got != tt.want {
				t.Errorf("%v.Matches = %v, want %v", tt.m, got, tt.want)
			}
		})
	}
}

func TestKnownField(t *testing.T) {
	for _, name := range []string{"host", "labels.team", "hashes", "src_ip"} {
		if !policy.KnownField(name) {
			t.Errorf("KnownField(%q) = false", name)
		}
	}
	for _, name := range []string{"labels.", "labels", "hostname", ""} {
		if policy.KnownField(name) {
			t.Errorf("KnownField(%q) = true", name)
		}
	}
}

func TestMayDecide(t *testing.T) {
	p := &policy.Policy{Tiers: []policy.Tier{
		{Name: "T1"},
		{Name: "T2", Approvers: []string{"Alice", "U0123"}},
	}}
	tests := []struct {
		tier, who string
		want      bool
	}{
		{"T1", "anyone", true},
		{"T2", "alice", true},
		{"T2", "ALICE", true},
		{"T2", "u0123", true},
		{"T2", "bob", false},
		{"T2", "", false},
		{"IR", "alice", false},
	}
	for _, tt := range tests {
		if got := p.MayDecide(tt.tier, tt.who); got != tt.want {
			t.Errorf("MayDecide(%q, %q) = %v, want %v", tt.tier, tt.who, got, tt.want)
		}
	}
}

func TestNextTier(t *testing.T) {
	p := defaultPolicy(t)
	tests := []struct{ from, want string }{
		{"T1", "T2"}, {"T2", "IR"}, {"IR", ""}, {"nope", ""},
	}
	for _, tt := range tests {
		got := ""
		if n := p.NextTier(tt.from); n != nil {
			got = n.Name
		}
		if got != tt.want {
			t.Errorf("NextTier(%q) = %q, want %q", tt.from, got, tt.want)
		}
	}
	if p.Tier("T2") == nil || p.Tier("T2").Timeout != 30*time.Minute {
		t.Errorf("Tier(T2) = %+v, want the 30m tier", p.Tier("T2"))
	}
	if p.Tier("T9") != nil {
		t.Errorf("Tier(T9) = %+v, want nil", p.Tier("T9"))
	}
}

func TestTimeoutDefault(t *testing.T) {
	p := defaultPolicy(t)
	p.Scoring.OnTimeout = map[alert.Priority]policy.TimeoutDefault{alert.P1: policy.DefaultContain, alert.P3: policy.DefaultClose}
	tests := []struct {
		prio alert.Priority
		want policy.TimeoutDefault
	}{
		{alert.P1, policy.DefaultContain},
		{alert.P2, policy.DefaultHold},
		{alert.P3, policy.DefaultClose},
		{"", policy.DefaultHold},
	}
	for _, tt := range tests {
		if got := p.TimeoutDefault(tt.prio); got != tt.want {
			t.Errorf("TimeoutDefault(%q) = %q, want %q", tt.prio, got, tt.want)
		}
	}
	shipped := defaultPolicy(t)
	if got := shipped.TimeoutDefault(alert.P1); got != policy.DefaultContain {
		t.Errorf("shipped TimeoutDefault(P1) = %q, want contain", got)
	}
}

func BenchmarkScore(b *testing.B) {
	p := defaultPolicy(b)
	a := networkAnomaly()
	ctx := &alert.ContextPacket{
		Asset:     &alert.Asset{Name: "dc01", Role: "domain controller", Tier: 1},
		IntelHits: []alert.IntelHit{{Indicator: "203.0.113.7", Source: "watchlist", Confidence: 80}, {Confidence: 20}},
		Users:     []alert.UserContext{{Name: "alice", Anomalies: []string{"first login from BR"}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Score(a, ctx, 3)
	}
}
