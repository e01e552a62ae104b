package config

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// The policy's types live in package policy, which cannot know about
// config's errors, so its sections are checked by functions here, one per
// top-level key of the file.

func validatePolicy(pol *policy.Policy, p *problems) {
	validateTriage(pol.Triage, p)
	validateScoring(pol, p)
	validateEscalation(pol.EscalationTriggers, p)
	validateRouting(pol.Routing, p)
	validateContainment(pol, p)
	validateTiers(pol.Tiers, p)
	validateSLA(pol.SLA, p)
}

// validateSLA checks the SLA's priorities and durations.
func validateSLA(s policy.SLA, p *problems) {
	for prio, t := range s.Priorities {
		field := "sla.priorities." + string(prio)
		if !slices.Contains([]alert.Priority{alert.P1, alert.P2, alert.P3, alert.P4}, prio) {
			p.add(field, "is not a priority (P1, P2, P3, P4)")
			continue
		}
		if t.Acknowledge < 0 {
			p.add(field+".acknowledge", "must be a positive duration such as 15m, got %s", t.Acknowledge)
		}
		if t.Contain < 0 {
			p.add(field+".contain", "must be a positive duration such as 1h, got %s", t.Contain)
		}
		if t.Acknowledge > 0 && t.Contain > 0 && t.Contain < t.Acknowledge {
			p.add(field+".contain", "%s is shorter than acknowledge (%s): nothing is contained before someone acknowledges it", t.Contain, t.Acknowledge)
		}
	}
	if s.DueSoon < 0 {
		p.add("sla.due_soon", "must be a positive duration such as 5m, got %s", s.DueSoon)
	}
}

// checkMatch checks a match block's field names; required says it must
// name at least one.
func checkMatch(p *problems, field string, m policy.Match, required bool) {
	if required && len(m) == 0 {
		p.add(field, "must name at least one field")
	}
	for k := range m {
		if !policy.KnownField(k) {
			p.add(field+"."+k, "unknown field; known fields are %s", strings.Join(policy.FieldNames(), ", "))
		}
	}
}

func validateTriage(t policy.Triage, p *problems) {
	if t.DedupeWindow <= 0 {
		p.add("triage.dedupe_window", "must be a positive duration such as 1h")
	}
	if t.IncidentOverflow < 1 {
		p.add("triage.incident_overflow", "must be at least 1")
	}
	if t.SummaryInterval <= 0 {
		p.add("triage.summary_interval", "must be a positive duration such as 5m")
	}
	for i, f := range t.Fingerprints {
		field := fmt.Sprintf("triage.fingerprints[%d]", i)
		checkMatch(p, field+".match", f.Match, false)
		if len(f.Fields) == 0 {
			p.add(field+".fields", "must list at least one field")
		}
		for j, name := range f.Fields {
			if !policy.KnownField(name) {
				p.add(fmt.Sprintf("%s.fields[%d]", field, j), "unknown field %q", name)
			}
		}
	}
	seen := map[string]bool{}
	for i, s := range t.Suppressions {
		field := fmt.Sprintf("triage.suppressions[%d]", i)
		if s.Name == "" {
			p.add(field+".name", "is required")
		} else if seen[s.Name] {
			p.add(field+".name", "%q is used twice", s.Name)
		}
		seen[s.Name] = true
		checkMatch(p, field+".match", s.Match, true)
		if strings.TrimSpace(s.Reason) == "" {
			p.add(field+".reason", "is required: say why this noise is safe to suppress")
		}
		if s.Expires.IsZero() {
			p.add(field+".expires", "is required (a date such as 2027-01-31): suppressions must end")
		}
	}
}

// validateScoring takes the whole policy because the paths name tiers.
func validateScoring(pol *policy.Policy, p *problems) {
	sc := pol.Scoring
	for _, sev := range alert.SeverityNames() {
		v, ok := sc.SeverityBase[alert.Severity(sev)]
		if !ok {
			p.add("scoring.severity_base."+sev, "is missing")
		} else if v < 0 || v > 100 {
			p.add("scoring.severity_base."+sev, "%g is outside 0-100", v)
		}
	}
	for k := range sc.SeverityBase {
		if !k.Valid() {
			p.add("scoring.severity_base."+string(k), "is not a severity")
		}
	}
	for tier := 1; tier <= 4; tier++ {
		if m, ok := sc.AssetTierMultiplier[tier]; !ok || m <= 0 {
			p.add(fmt.Sprintf("scoring.asset_tier_multiplier.%d", tier), "must be a positive multiplier")
		}
	}
	if sc.UnknownAssetMultiplier <= 0 {
		p.add("scoring.unknown_asset_multiplier", "must be positive")
	}
	for name, v := range map[string]float64{"intel_weight": sc.IntelWeight, "anomaly_points": sc.AnomalyPoints,
		"max_anomaly_points": sc.MaxAnomalyPoints, "duplicate_points": sc.DuplicatePoints, "max_duplicate_points": sc.MaxDuplicatePoints} {
		if v < 0 {
			p.add("scoring."+name, "must not be negative")
		}
	}
	p1, p2, p3 := sc.Priorities[alert.P1], sc.Priorities[alert.P2], sc.Priorities[alert.P3]
	if !(p1 > p2 && p2 > p3 && p3 > 0 && p1 <= 100) {
		p.add("scoring.priorities", "thresholds must satisfy 100 >= P1 > P2 > P3 > 0, got P1=%d P2=%d P3=%d", p1, p2, p3)
	}
	for _, pr := range []alert.Priority{alert.P1, alert.P2, alert.P3, alert.P4} {
		tier, ok := sc.Paths[pr]
		if !ok {
			p.add("scoring.paths."+string(pr), "is missing")
		} else if pol.Tier(tier) == nil {
			p.add("scoring.paths."+string(pr), "names tier %q, which is not in tiers", tier)
		}
		switch d := sc.OnTimeout[pr]; d {
		case policy.DefaultContain, policy.DefaultClose, policy.DefaultHold:
		default:
			p.add("scoring.on_timeout."+string(pr), "must be contain, close or hold, got %q", d)
		}
	}
	if sc.CorrelationPoints < 0 {
		p.add("scoring.correlation_points", "must not be negative")
	}
	ssvc := sc.SSVC
	for outcome, pr := range ssvc.PriorityFloor {
		if pr.Rank() == 0 {
			p.add("scoring.ssvc.priority_floor."+outcome, "%q is not P1-P4", pr)
		}
	}
	// Decisions is set by loadFiles when SSVC is on and its table read.
	if ssvc.Enabled && ssvc.Decisions != nil {
		for outcome := range ssvc.PriorityFloor {
			if !slices.ContainsFunc(ssvc.Decisions.Rows, func(r policy.DecisionRow) bool { return r.Outcome == outcome }) {
				p.add("scoring.ssvc.priority_floor."+outcome, "is not an outcome of table %s", ssvc.Decisions.Name)
			}
		}
	}
}

func validateEscalation(triggers []policy.Trigger, p *problems) {
	seen := map[string]bool{}
	for i, t := range triggers {
		field := fmt.Sprintf("escalation_triggers[%d]", i)
		if t.Name == "" {
			p.add(field+".name", "is required")
		} else if seen[t.Name] {
			p.add(field+".name", "%q is used twice", t.Name)
		}
		seen[t.Name] = true
		if strings.TrimSpace(t.Reason) == "" {
			p.add(field+".reason", "is required: responders read why IR was called")
		}
		if t.When.Empty() {
			p.add(field+".when", "sets no condition; it would send every incident to IR")
		}
		if t.When.MinPriority != "" && t.When.MinPriority.Rank() == 0 {
			p.add(field+".when.min_priority", "%q is not P1-P4", t.When.MinPriority)
		}
		if t.When.MaxAssetTier < 0 || t.When.MaxAssetTier > 4 {
			p.add(field+".when.max_asset_tier", "must be 1-4")
		}
	}
}

func validateRouting(r policy.Routing, p *problems) {
	validateRoute(p, "routing.default", r.Default, true)
	for i, rule := range r.Rules {
		validateRoute(p, fmt.Sprintf("routing.rules[%d]", i), rule, false)
	}
}

// validateRoute checks one rule; the default rule has no name and matches
// everything.
func validateRoute(p *problems, field string, r policy.RouteRule, isDefault bool) {
	if !isDefault {
		if r.Name == "" {
			p.add(field+".name", "is required")
		}
		checkMatch(p, field+".match", r.Match, true)
	}
	if len(r.GroupBy) == 0 {
		p.add(field+".group_by", "must list at least one field")
	}
	for j, g := range r.GroupBy {
		if !policy.KnownField(g) {
			p.add(fmt.Sprintf("%s.group_by[%d]", field, j), "unknown field %q", g)
		}
	}
	if r.Window <= 0 {
		p.add(field+".window", "must be a positive duration such as 1h")
	}
	if r.Playbook == "" {
		p.add(field+".playbook", "is required")
	}
}

// validateContainment checks approvals and the protected assets, the two
// guards on what containment may touch.
func validateContainment(pol *policy.Policy, p *problems) {
	if pol.Approvals.Destructive < 1 || pol.Approvals.Destructive > 5 {
		p.add("approvals.destructive", "must be 1-5 approvers, got %d", pol.Approvals.Destructive)
	}
	pr := pol.Containment.Protected
	for _, l := range []struct {
		field string
		globs []string
	}{{"containment.protected.hosts", pr.Hosts}, {"containment.protected.users", pr.Users}, {"containment.protected.domains", pr.Domains}} {
		for i, g := range l.globs {
			if _, err := path.Match(g, ""); err != nil || strings.TrimSpace(g) == "" {
				p.add(fmt.Sprintf("%s[%d]", l.field, i), "%q is not a name or a glob such as dc*", g)
			}
		}
	}
	for i, h := range pr.Hashes {
		if alert.HashKind(strings.TrimSpace(h)) == "" {
			p.add(fmt.Sprintf("containment.protected.hashes[%d]", i), "%q is not a file hash (64, 40 or 32 hexadecimal digits: SHA-256, SHA-1, MD5)", h)
		}
	}
	if pr.MaxAssetTier < 0 || pr.MaxAssetTier > 4 {
		p.add("containment.protected.max_asset_tier", "must be 0 (off) or 1-4, got %d", pr.MaxAssetTier)
	}
	if pr.Tier != "" && pol.Tier(pr.Tier) == nil {
		p.add("containment.protected.tier", "%q is not a tier of this policy (tiers: %s)", pr.Tier, tierNames(pol.Tiers))
	}
	if pr.Approvals < 0 || pr.Approvals > 5 {
		p.add("containment.protected.approvals", "must be 0 (as approvals.destructive) or 1-5 approvers, got %d", pr.Approvals)
	}
	c := pol.Containment
	for _, l := range []struct {
		field string
		m     map[alert.ActionKind]time.Duration
	}{{"containment.verify", c.Verify}, {"containment.lease", c.Lease}} {
		for k, d := range l.m {
			switch {
			case !k.Valid():
				p.add(l.field+"."+string(k), "is not an action kind (%s)", kindNames())
			case l.field == "containment.lease" && k.NoUndo() != "":
				p.add(l.field+"."+string(k), "%s has no undo (%s), so it takes no lease", k, k.NoUndo())
			case d <= 0:
				p.add(l.field+"."+string(k), "must be a positive duration such as 10m, got %s", d)
			case l.field == "containment.lease" && d < time.Minute:
				p.add(l.field+"."+string(k), "must be at least 1m: a lease shorter than its own verification undoes the containment before anyone can look, got %s", d)
			}
		}
	}
	if c.LeaseNotice < 0 {
		p.add("containment.lease_notice", "must be a positive duration such as 30m, got %s", c.LeaseNotice)
	}
}

func kindNames() string {
	var names []string
	for _, k := range alert.ActionKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

func tierNames(tiers []policy.Tier) string {
	names := make([]string, len(tiers))
	for i, t := range tiers {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func validateTiers(tiers []policy.Tier, p *problems) {
	if len(tiers) == 0 {
		p.add("tiers", "must define at least one tier")
	}
	names := map[string]bool{}
	for i, t := range tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if t.Name == "" {
			p.add(field+".name", "is required")
		} else if names[t.Name] {
			p.add(field+".name", "%q is used twice", t.Name)
		}
		names[t.Name] = true
		if t.Timeout <= 0 {
			p.add(field+".timeout", "must be a positive duration such as 15m")
		}
		switch t.OnTimeout {
		case policy.OnTimeoutEscalate:
			if i == len(tiers)-1 {
				p.add(field+".on_timeout", "the last tier has no tier to escalate to; use default")
			}
		case policy.OnTimeoutDefault:
		default:
			p.add(field+".on_timeout", "must be escalate or default, got %q", t.OnTimeout)
		}
	}
}
