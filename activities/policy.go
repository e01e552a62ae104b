package activities

import (
	"context"

	"github.com/socflow/socflow/policy"
)

// Policy serves the current response policy to workflows. Reading it
// through a local activity records the snapshot in history, so a replay
// decides exactly as the original run did even after the file changed.
type Policy struct {
	// Current returns the policy in force; the worker may swap it on reload.
	Current func() *policy.Policy
}

// GetPolicyInput asks for the current policy.
type GetPolicyInput struct{}

// GetPolicyResult is the policy snapshot.
type GetPolicyResult struct {
	Policy policy.Policy `json:"policy"`
}

// GetPolicy returns the policy in force.
func (p *Policy) GetPolicy(_ context.Context, _ GetPolicyInput) (GetPolicyResult, error) {
	return GetPolicyResult{Policy: *p.Current()}, nil
}
