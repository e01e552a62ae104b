package policy_test

import (
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
)

func shippedRules(t *testing.T) policy.Correlations {
	t.Helper()
	cs, err := config.LoadSigmaDir("../examples/rules")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func ip(n int) *int { return &n }

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func ev(ref string, sec int, count int, value string) policy.CorrelationEvent {
	return policy.CorrelationEvent{Ref: ref, Time: t0.Add(time.Duration(sec) * time.Second), Count: count, Value: value, AlertID: ref + value}
}

func TestEvaluate(t *testing.T) {
	count := policy.Correlation{Type: policy.EventCount, Rules: []string{"a"}, Timespan: 10 * time.Minute, Condition: &policy.Condition{GTE: ip(5)}}
	values := policy.Correlation{Type: policy.ValueCount, Rules: []string{"a"}, Timespan: 30 * time.Minute, Condition: &policy.Condition{Field: "user", GTE: ip(3)}}
	temporal := policy.Correlation{Type: policy.Temporal, Rules: []string{"a", "b", "c"}, Timespan: 5 * time.Minute}
	ordered := policy.Correlation{Type: policy.TemporalOrdered, Rules: []string{"a", "b"}, Timespan: 5 * time.Minute}
	for _, tc := range []struct {
		name   string
		rule   policy.Correlation
		events []policy.CorrelationEvent
		fires  bool
		window int
	}{
		{"count below", count, []policy.CorrelationEvent{ev("a", 0, 2, ""), ev("a", 60, 2, "")}, false, 2},
		{"count reached by merged duplicates", count, []policy.CorrelationEvent{ev("a", 0, 2, ""), ev("a", 60, 3, "")}, true, 2},
		{"count outside timespan", count, []policy.CorrelationEvent{ev("a", 0, 4, ""), ev("a", 601, 1, "")}, false, 1},
		{"distinct values", values, []policy.CorrelationEvent{ev("a", 0, 1, "u1"), ev("a", 1, 5, "u1"), ev("a", 2, 1, "u2")}, false, 3},
		{"distinct values reached", values, []policy.CorrelationEvent{ev("a", 0, 1, "u1"), ev("a", 1, 1, "u2"), ev("a", 2, 1, "u3")}, true, 3},
		{"temporal missing one", temporal, []policy.CorrelationEvent{ev("a", 0, 1, ""), ev("b", 10, 1, "")}, false, 2},
		{"temporal any order", temporal, []policy.CorrelationEvent{ev("c", 0, 1, ""), ev("a", 10, 1, ""), ev("b", 20, 1, "")}, true, 3},
		{"ordered wrong order", ordered, []policy.CorrelationEvent{ev("b", 0, 1, ""), ev("a", 10, 1, "")}, false, 2},
		{"ordered right order", ordered, []policy.CorrelationEvent{ev("b", 0, 1, ""), ev("a", 10, 1, ""), ev("b", 20, 1, "")}, true, 3},
		{"ordered too far apart", ordered, []policy.CorrelationEvent{ev("a", 0, 1, ""), ev("b", 301, 1, "")}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var newest time.Time
			for _, e := range tc.events {
				if e.Time.After(newest) {
					newest = e.Time
				}
			}
			window, fired := tc.rule.Evaluate(tc.events, newest)
			if (len(fired) > 0) != tc.fires || len(window) != tc.window {
				t.Fatalf("fired %v (%d events), window %d; want fires=%v window=%d", len(fired) > 0, len(fired), len(window), tc.fires, tc.window)
			}
		})
	}
}

func failedLogin(user, src string) *alert.Alert {
	return &alert.Alert{
		Source: "okta", Rule: "User login failure", Title: "Failed login", Category: "identity", Severity: alert.SeverityLow,
		Time: t0, Entities: alert.Entities{Users: []alert.User{{Name: user}}, IPs: []alert.IP{{Addr: src, Direction: alert.DirectionSource}}},
	}
}

func TestMembershipsOfShippedRules(t *testing.T) {
	cs := shippedRules(t)
	a := failedLogin("Alice", "203.0.113.50")
	got := map[string]policy.Membership{}
	for _, m := range cs.Memberships(a) {
		got[m.Rule] = m
	}
	if len(got) != 2 {
		t.Fatalf("memberships = %+v, want many_failed_logins and password_spray", got)
	}
	if m := got["password_spray"]; m.Key != "src_ip=203.0.113.50" || m.Value != "alice" || m.Ref != "failed_login" {
		t.Errorf("password_spray membership = %+v", m)
	}
	if m := got["many_failed_logins"]; m.Key != "src_ip=203.0.113.50" {
		t.Errorf("many_failed_logins membership = %+v", m)
	}
	if !cs.FeedsOnly(a) {
		t.Error("a failed login only feeds correlations")
	}

	// The inner correlation's alert feeds the outer rule.
	inner := &alert.Alert{Source: "socflow-correlation", Rule: "many_failed_logins", Correlation: "many_failed_logins", Title: "x",
		Severity: alert.SeverityMedium, Time: t0, Entities: a.Entities}
	ms := cs.Memberships(inner)
	if len(ms) != 1 || ms[0].Rule != "failed_logins_then_firewall_allow" || ms[0].Ref != "many_failed_logins" {
		t.Fatalf("inner correlation memberships = %+v", ms)
	}

	allow := &alert.Alert{Source: "paloalto", Rule: "Firewall allow: ssh", Title: "x", Category: "network", Severity: alert.SeverityInfo, Time: t0,
		Entities: alert.Entities{IPs: []alert.IP{{Addr: "203.0.113.50", Direction: alert.DirectionSource}}}}
	ms = cs.Memberships(allow)
	if len(ms) != 1 || ms[0].Ref != "firewall_allow" || ms[0].Key != "src_ip=203.0.113.50" {
		t.Fatalf("firewall allow memberships = %+v", ms)
	}

	unrelated := &alert.Alert{Source: "x", Rule: "Malware detected", Title: "x", Category: "malware", Severity: alert.SeverityHigh, Time: t0,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "ws-1"}}}}
	if ms := cs.Memberships(unrelated); len(ms) != 0 || cs.FeedsOnly(unrelated) {
		t.Errorf("unrelated alert memberships = %+v", ms)
	}
	// Without the field a rule groups by, an alert cannot join its window.
	noSource := failedLogin("bob", "203.0.113.51")
	noSource.Entities.IPs = nil
	if ms := cs.Memberships(noSource); len(ms) != 0 {
		t.Errorf("alert without a source address joined %+v", ms)
	}
}

func TestDetection(t *testing.T) {
	d := &policy.Detection{
		Selections: map[string][][]policy.FieldMatch{
			"sel_rule": {{{Field: "rule", Modifiers: []string{"contains"}, Values: []string{"failed logon", "4625"}}}},
			"sel_user": {{{Field: "TargetUserName", Values: []string{"adm*"}}}},
			"filter":   {{{Field: "src_ip", Values: []string{"10.*"}}}},
		},
		Condition: "(sel_rule or sel_user) and not filter",
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	a := failedLogin("admin2", "203.0.113.9")
	a.Rule = "Windows: failed logon (4625)"
	if !d.Matches(a) {
		t.Error("should match the rule text")
	}
	a.Entities.IPs[0].Addr = "10.1.1.1"
	if d.Matches(a) {
		t.Error("the filter excludes internal sources")
	}
	d.Condition = "1 of sel_* and not filter"
	a.Entities.IPs[0].Addr = "203.0.113.9"
	a.Rule = "other"
	if !d.Matches(a) {
		t.Error("1 of sel_* should match on the user selection")
	}
	d.Condition = "all of sel_*"
	if d.Matches(a) {
		t.Error("all of sel_* needs the rule selection too")
	}
}
