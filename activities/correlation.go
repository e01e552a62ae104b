package activities

import (
	"context"

	"github.com/socflow/socflow/policy"
)

// Correlations serves correlation windows the one rule each evaluates.
// Reading it through a local activity records the rule in the window's
// history, so a replay evaluates as the original run did even after the
// rules folder changed; reading only that rule keeps every other Sigma
// rule body out of the history.
type Correlations struct {
	// Current returns the policy in force; the worker may swap it on reload.
	Current func() *policy.Policy
	// Limits say where a window continues as new (zero: the defaults).
	Limits Limits

	versions versionCache
}

// GetCorrelationRuleInput names the rule by its key (policy.Correlation.Key).
type GetCorrelationRuleInput struct {
	Rule string `json:"rule"`
}

// GetCorrelationRuleResult is the rule, the version of the policy it was
// read from, and where the window rolls over.
type GetCorrelationRuleResult struct {
	// Rule is nil when the policy in force no longer has the rule: the
	// window closes.
	Rule    *policy.Correlation `json:"rule,omitempty"`
	Version string              `json:"version"`
	Limits  Limits              `json:"limits"`
}

// GetCorrelationRule returns the correlation rule in force under the
// given key. A missing rule is an answer, not an error: it was removed by
// a reload, and no retry brings it back.
func (c *Correlations) GetCorrelationRule(_ context.Context, in GetCorrelationRuleInput) (GetCorrelationRuleResult, error) {
	cur := c.Current()
	res := GetCorrelationRuleResult{Version: c.versions.of(cur), Limits: c.Limits.WithDefaults()}
	res.Rule = cur.Correlations.Get(in.Rule)
	return res, nil
}
