package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/socflow/socflow/alert"
)

// Trigger is one row of the escalation trigger matrix: a condition under
// which an incident goes to incident response at once, whatever tier it
// is at. Every condition set must hold; unset ones are ignored.
type Trigger struct {
	Name string `yaml:"name" json:"name"`
	// Reason is what responders read: why this mandates IR.
	Reason string           `yaml:"reason" json:"reason"`
	When   TriggerCondition `yaml:"when" json:"when"`
}

// TriggerCondition is the test of one trigger.
type TriggerCondition struct {
	// MinPriority: the incident is at least this urgent (P2 means P1 or P2).
	MinPriority alert.Priority `yaml:"min_priority" json:"min_priority,omitempty"`
	// MaxAssetTier: the asset is at least this critical (1 means tier 1).
	MaxAssetTier int `yaml:"max_asset_tier" json:"max_asset_tier,omitempty"`
	// AssetRoles: the asset has one of these roles.
	AssetRoles []string `yaml:"asset_roles" json:"asset_roles,omitempty"`
	// Correlated: a correlation rule raised one of the incident's alerts.
	Correlated bool `yaml:"correlated" json:"correlated,omitempty"`
	// Categories: an alert of one of these categories is in the incident.
	Categories []string `yaml:"categories" json:"categories,omitempty"`
	// Rules: an alert whose rule matches one of these globs is in it.
	Rules []string `yaml:"rules" json:"rules,omitempty"`
	// MinIntelConfidence: an intel hit at least this confident.
	MinIntelConfidence int `yaml:"min_intel_confidence" json:"min_intel_confidence,omitempty"`
	// MinAlerts: at least this many distinct alerts.
	MinAlerts int `yaml:"min_alerts" json:"min_alerts,omitempty"`
}

// TriggerInput is what an incident knows when the matrix is evaluated.
type TriggerInput struct {
	Priority           alert.Priority
	AssetTier          int // 0: unknown
	AssetRole          string
	Correlated         bool
	Categories         []string
	Rules              []string
	MaxIntelConfidence int
	Alerts             int
}

// Empty reports whether the condition tests nothing; such a trigger would
// send every incident to IR and is refused by validation.
func (c TriggerCondition) Empty() bool {
	return c.MinPriority == "" && c.MaxAssetTier == 0 && len(c.AssetRoles) == 0 && !c.Correlated &&
		len(c.Categories) == 0 && len(c.Rules) == 0 && c.MinIntelConfidence == 0 && c.MinAlerts == 0
}

// Holds reports whether every set condition holds for the input.
func (c TriggerCondition) Holds(in TriggerInput) bool {
	if c.MinPriority != "" && in.Priority.Rank() < c.MinPriority.Rank() {
		return false
	}
	if c.MaxAssetTier > 0 && (in.AssetTier == 0 || in.AssetTier > c.MaxAssetTier) {
		return false
	}
	if len(c.AssetRoles) > 0 && !slices.ContainsFunc(c.AssetRoles, func(r string) bool { return strings.EqualFold(r, in.AssetRole) }) {
		return false
	}
	if c.Correlated && !in.Correlated {
		return false
	}
	if len(c.Categories) > 0 && !slices.ContainsFunc(in.Categories, func(cat string) bool {
		return slices.ContainsFunc(c.Categories, func(w string) bool { return strings.EqualFold(w, cat) })
	}) {
		return false
	}
	if len(c.Rules) > 0 && !slices.ContainsFunc(in.Rules, func(r string) bool {
		return slices.ContainsFunc(c.Rules, func(g string) bool { return Glob(strings.ToLower(g), strings.ToLower(r)) })
	}) {
		return false
	}
	if c.MinIntelConfidence > 0 && in.MaxIntelConfidence < c.MinIntelConfidence {
		return false
	}
	if c.MinAlerts > 0 && in.Alerts < c.MinAlerts {
		return false
	}
	return true
}

// Describe renders the condition as one line, for `config check` and the
// timeline.
func (c TriggerCondition) Describe() string {
	var parts []string
	if c.MinPriority != "" {
		parts = append(parts, fmt.Sprintf("priority %s or higher", c.MinPriority))
	}
	if c.MaxAssetTier > 0 {
		parts = append(parts, fmt.Sprintf("asset tier <= %d", c.MaxAssetTier))
	}
	if len(c.AssetRoles) > 0 {
		parts = append(parts, "asset role in "+strings.Join(c.AssetRoles, "|"))
	}
	if c.Correlated {
		parts = append(parts, "a correlation rule fired")
	}
	if len(c.Categories) > 0 {
		parts = append(parts, "category in "+strings.Join(c.Categories, "|"))
	}
	if len(c.Rules) > 0 {
		parts = append(parts, "rule matches "+strings.Join(c.Rules, "|"))
	}
	if c.MinIntelConfidence > 0 {
		parts = append(parts, fmt.Sprintf("intel confidence >= %d", c.MinIntelConfidence))
	}
	if c.MinAlerts > 0 {
		parts = append(parts, fmt.Sprintf(">= %d alerts", c.MinAlerts))
	}
	return strings.Join(parts, " and ")
}

// Triggered returns the first trigger of the matrix that holds, or nil.
func (p *Policy) Triggered(in TriggerInput) *Trigger {
	for i := range p.EscalationTriggers {
		if p.EscalationTriggers[i].When.Holds(in) {
			return &p.EscalationTriggers[i]
		}
	}
	return nil
}
