package activities

import (
	"context"
	"time"

	"github.com/socflow/socflow/policy"
)

// Policy serves the current response policy to workflows. Reading it
// through a local activity records the snapshot in history, so a replay
// decides exactly as the original run did even after the file changed.
type Policy struct {
	// Current returns the policy in force; the worker may swap it on reload.
	Current func() *policy.Policy
	// Enrichment says which enrichment sources this worker has and how
	// long each may take.
	Enrichment EnrichmentPlan
}

// EnrichmentPlan tells workflows which enrichment sources are configured,
// so that they schedule only those (an unconfigured source is not a gap),
// and the timeout of each remote source.
type EnrichmentPlan struct {
	Intel      bool `json:"intel,omitempty"`
	Assets     bool `json:"assets,omitempty"`
	LiveAssets bool `json:"live_assets,omitempty"`
	Users      bool `json:"users,omitempty"`
	Related    bool `json:"related,omitempty"`
	Hosts      bool `json:"hosts,omitempty"`
	// Online names the online intel providers ("virustotal", "abuseipdb").
	Online []string `json:"online,omitempty"`
	// Timeout bounds each remote source's call.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Window is how far back related events are looked for.
	Window time.Duration `json:"window,omitempty"`
}

// GetPolicyInput asks for the current policy.
type GetPolicyInput struct{}

// GetPolicyResult is the policy snapshot.
type GetPolicyResult struct {
	Policy     policy.Policy  `json:"policy"`
	Enrichment EnrichmentPlan `json:"enrichment"`
}

// GetPolicy returns the policy in force.
func (p *Policy) GetPolicy(_ context.Context, _ GetPolicyInput) (GetPolicyResult, error) {
	return GetPolicyResult{Policy: *p.Current(), Enrichment: p.Enrichment}, nil
}
