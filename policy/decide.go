package policy

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Suppressed returns the first suppression that matches the alert and has
// not expired at now, or nil.
func (p *Policy) Suppressed(a *alert.Alert, now time.Time) *Suppression {
	for i := range p.Triage.Suppressions {
		s := &p.Triage.Suppressions[i]
		if now.Before(s.Expires) && s.Match.Matches(a) {
			return s
		}
	}
	return nil
}

// Score applies the scoring schema to an alert, its context packet and its
// occurrence count. The result explains every factor, in the order applied:
//
//	score = clamp( base x asset(tier) + intel + anomaly + correlation + repetition, 0, 100 )
//
// where base is 10 x the CVSS base score when the alert carries a vector,
// else the severity's base. Thresholds turn the score into a priority,
// which an SSVC outcome may raise (never lower) when SSVC is enabled.
func (p *Policy) Score(a *alert.Alert, ctx *alert.ContextPacket, count int) alert.Score {
	s := p.Scoring
	var factors []alert.Factor
	add := func(name, effect, format string, args ...any) {
		factors = append(factors, alert.Factor{Name: name, Effect: effect, Detail: fmt.Sprintf(format, args...)})
	}

	base := s.SeverityBase[a.Severity]
	if cv, ver, err := CVSSBase(a.CVSS); a.CVSS != "" && err == nil {
		// A vector measures the weakness itself, which is more precise
		// than the source's severity label.
		base = cv * 10
		add("cvss", fmt.Sprintf("%g", round1(base)), "CVSS %s base %.1f (%s)", ver, cv, a.CVSS)
	} else {
		add("severity", fmt.Sprintf("%g", base), "alert severity %s", a.Severity)
	}
	value := base

	mult, assetDetail := s.UnknownAssetMultiplier, "asset not in inventory"
	if ctx != nil && ctx.Asset != nil {
		if m, ok := s.AssetTierMultiplier[ctx.Asset.Tier]; ok {
			mult = m
		}
		assetDetail = fmt.Sprintf("%s is tier %d", ctx.Asset.Name, ctx.Asset.Tier)
		if ctx.Asset.Role != "" {
			assetDetail += " (" + ctx.Asset.Role + ")"
		}
	}
	value *= mult
	add("asset", fmt.Sprintf("x%g", mult), "%s", assetDetail)

	if ctx != nil && len(ctx.IntelHits) > 0 {
		best := ctx.IntelHits[0]
		for _, h := range ctx.IntelHits[1:] {
			if h.Confidence > best.Confidence {
				best = h
			}
		}
		pts := float64(best.Confidence) * s.IntelWeight
		value += pts
		add("intel", fmt.Sprintf("+%g", round1(pts)), "%s on %s (confidence %d)", best.Indicator, best.Source, best.Confidence)
	}

	if ctx != nil {
		var n int
		for _, u := range ctx.Users {
			n += len(u.Anomalies)
		}
		if n > 0 {
			pts := math.Min(float64(n)*s.AnomalyPoints, s.MaxAnomalyPoints)
			value += pts
			add("anomaly", fmt.Sprintf("+%g", round1(pts)), "%d user anomal%s", n, plural(n, "y", "ies"))
		}
	}

	if a.Correlation != "" && s.CorrelationPoints > 0 {
		value += s.CorrelationPoints
		add("correlation", fmt.Sprintf("+%g", s.CorrelationPoints), "raised by correlation rule %s from %d alert(s)", a.Correlation, len(a.Related))
	}

	if count > 1 {
		pts := math.Min(math.Log2(float64(count))*s.DuplicatePoints, s.MaxDuplicatePoints)
		value += pts
		add("repetition", fmt.Sprintf("+%g", round1(pts)), "seen %d times", count)
	}

	v := int(math.Round(math.Max(0, math.Min(100, value))))
	prio := p.PriorityFor(v)
	var ssvc string
	if s.SSVC.Enabled && s.SSVC.Decisions != nil {
		in := SSVCInputs(a, ctx, count)
		out, err := s.SSVC.Decisions.Decide(in)
		if err != nil {
			add("ssvc", "-", "%v", err)
		} else {
			ssvc = out
			effect := out
			if floor, ok := s.SSVC.PriorityFloor[out]; ok && floor.Rank() > prio.Rank() {
				effect = fmt.Sprintf("%s>=%s", out, floor)
				prio = floor
			}
			add("ssvc", effect, "exploitation %s, automatable %s, technical impact %s, mission impact %s",
				in["exploitation"], in["automatable"], in["technical impact"], in["mission and well-being impact"])
		}
	}
	tier := s.Paths[prio]
	var sla time.Duration
	if t := p.Tier(tier); t != nil {
		sla = t.Timeout
	}
	add("priority", string(prio), "score %d; thresholds P1>=%d P2>=%d P3>=%d; first tier %s", v,
		s.Priorities[alert.P1], s.Priorities[alert.P2], s.Priorities[alert.P3], tier)
	return alert.Score{Value: v, Priority: prio, Tier: tier, SLA: sla, Factors: factors, SSVC: ssvc}
}

// PriorityFor maps a 0-100 score onto a priority.
func (p *Policy) PriorityFor(score int) alert.Priority {
	for _, pr := range []alert.Priority{alert.P1, alert.P2, alert.P3} {
		if min, ok := p.Scoring.Priorities[pr]; ok && score >= min {
			return pr
		}
	}
	return alert.P4
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Route is where an alert goes: which incident it joins and which playbook
// that incident runs.
type Route struct {
	// Rule names the routing rule that matched ("default" when none did).
	Rule string `json:"rule"`
	// Key identifies the incident, as "<field>:<value>" (for example
	// "host:dc01"), prefixed with DrillKeyPrefix for a drill. The
	// incident's workflow ID is built from it.
	Key      string        `json:"key"`
	GroupBy  string        `json:"group_by"`
	Playbook string        `json:"playbook"`
	Window   time.Duration `json:"window"`
}

// DrillKeyPrefix starts the incident key of a drill ("drill:host:dc01"),
// so that a drill and real alerts on the same entity never share an
// incident: a real alert joining a drill would be contained as a drill,
// that is not at all.
const DrillKeyPrefix = "drill:"

// Route picks the first routing rule that matches (or the default) and
// builds the incident key from the first group_by field the alert has. An
// alert with none of them gets an incident of its own, keyed by its
// fingerprint, so it is never lost. A drill's key starts with
// DrillKeyPrefix; a real alert's key has no prefix.
func (p *Policy) Route(a *alert.Alert, fingerprint string) Route {
	rt := p.route(a, fingerprint)
	if a.Drill {
		rt.Key = DrillKeyPrefix + rt.Key
	}
	return rt
}

func (p *Policy) route(a *alert.Alert, fingerprint string) Route {
	rule := p.Routing.Default
	rule.Name = "default"
	for _, r := range p.Routing.Rules {
		if r.Match.Matches(a) {
			rule = r
			break
		}
	}
	rt := Route{Rule: rule.Name, Playbook: rule.Playbook, Window: rule.Window}
	for _, field := range rule.GroupBy {
		if vals := Fields(a, field); len(vals) > 0 {
			rt.GroupBy = field
			rt.Key = field + ":" + SanitizeKey(vals[0])
			return rt
		}
	}
	rt.GroupBy = "fingerprint"
	rt.Key = "alert:" + fingerprint
	return rt
}

// SanitizeKey makes a value safe to use inside a workflow ID and a URL path
// segment: lower case, with anything but letters, digits, '.', '-', '_',
// ':' and '@' replaced by '_'.
func SanitizeKey(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == ':', r == '@':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() > 200 {
		return b.String()[:200]
	}
	return b.String()
}

// Tier returns the named tier, or nil.
func (p *Policy) Tier(name string) *Tier {
	for i := range p.Tiers {
		if p.Tiers[i].Name == name {
			return &p.Tiers[i]
		}
	}
	return nil
}

// NextTier returns the tier after the named one, or nil at the top of the
// ladder.
func (p *Policy) NextTier(name string) *Tier {
	for i := range p.Tiers {
		if p.Tiers[i].Name == name && i+1 < len(p.Tiers) {
			return &p.Tiers[i+1]
		}
	}
	return nil
}

// MayDecide reports whether identity may decide at the named tier. A tier
// with no approvers accepts anyone; otherwise the identity, or one of the
// groups the caller resolved it into (Slack user groups), must be listed.
func (p *Policy) MayDecide(tier, identity string, groups ...string) bool {
	t := p.Tier(tier)
	if t == nil {
		return false
	}
	if len(t.Approvers) == 0 {
		return true
	}
	for _, a := range t.Approvers {
		if strings.EqualFold(a, identity) {
			return true
		}
		for _, g := range groups {
			if strings.EqualFold(a, g) {
				return true
			}
		}
	}
	return false
}

// TimeoutDefault returns what the policy does for a priority when nobody
// answers at the last tier.
func (p *Policy) TimeoutDefault(prio alert.Priority) TimeoutDefault {
	if d, ok := p.Scoring.OnTimeout[prio]; ok {
		return d
	}
	return DefaultHold
}
