package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/alert"
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
	// Limits say where runs continue as new.
	Limits Limits
	// NoTracker says this worker has no ticket tracker configured.
	NoTracker bool
	// Containment names the action kinds this worker's providers can
	// carry out.
	Containment ContainmentPlan
	// PlaybookVersionSA says the cluster has SocflowPlaybookVersion.
	PlaybookVersionSA bool

	versions versionCache
}

// ContainmentPlan names the containment actions a worker's providers can
// carry out (found by capability: HostIsolator, IPBlocker,
// AccountDisabler, SessionRevoker, HashBlocker, DomainBlocker), so that a
// playbook's proposal leaves out what nothing could do and says why.
type ContainmentPlan struct {
	Actions []alert.ActionKind `json:"actions,omitempty"`
}

// Can reports whether the plan can carry out an action of kind k.
func (p ContainmentPlan) Can(k alert.ActionKind) bool { return slices.Contains(p.Actions, k) }

// EnrichmentPlan tells workflows which enrichment sources are configured,
// so that they schedule only those (an unconfigured source is not a gap),
// and the timeout of each remote source.
type EnrichmentPlan struct {
	// Sources names the configured sources of the enrichment table
	// (workflows/enrich: "intel", "assets", "cmdb", "users", "events",
	// "edr").
	Sources []string `json:"sources,omitempty"`
	// Online names the online intel providers ("virustotal", "abuseipdb").
	Online []string `json:"online,omitempty"`
	// Timeout bounds each remote source's call.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Window is how far back related events are looked for.
	Window time.Duration `json:"window,omitempty"`

	// The flags said the same as Sources before it: plans recorded in
	// histories and carried across continue-as-new still hold them, and
	// Has reads them when Sources is empty.
	Intel      bool `json:"intel,omitempty"`
	Assets     bool `json:"assets,omitempty"`
	LiveAssets bool `json:"live_assets,omitempty"`
	Users      bool `json:"users,omitempty"`
	Related    bool `json:"related,omitempty"`
	Hosts      bool `json:"hosts,omitempty"`
}

// Add names a configured source, once.
func (p *EnrichmentPlan) Add(source string) {
	if !slices.Contains(p.Sources, source) {
		p.Sources = append(p.Sources, source)
	}
}

// Has reports whether the plan names the source.
func (p EnrichmentPlan) Has(source string) bool {
	if len(p.Sources) > 0 {
		return slices.Contains(p.Sources, source)
	}
	switch source {
	case "intel":
		return p.Intel
	case "assets":
		return p.Assets
	case "cmdb":
		return p.LiveAssets
	case "users":
		return p.Users
	case "events":
		return p.Related
	case "edr":
		return p.Hosts
	}
	return false
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

// Limits are where a workflow run continues as new, well below the limits
// at which Temporal terminates it (51,200 events, 10,000 signals, 50 MB of
// history). Zero fields take the defaults; tests set small values to make
// rollovers happen.
type Limits struct {
	// Events is the history length at which a run rolls over.
	Events int `json:"events,omitempty"`
	// Signals is the number of signals one run accepts before rolling over.
	Signals int `json:"signals,omitempty"`
}

// DefaultLimits leave room for the signals that arrive while a run rolls
// over and for the events of a containment in progress.
var DefaultLimits = Limits{Events: 4000, Signals: 3000}

// WithDefaults fills zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	if l.Events <= 0 {
		l.Events = DefaultLimits.Events
	}
	if l.Signals <= 0 {
		l.Signals = DefaultLimits.Signals
	}
	return l
}

// Workflow kinds a policy subset is cut for.
const (
	PolicyForAlert    = "alert"
	PolicyForIncident = "incident"
)

// PolicyForInput names the workflow kind that asks.
type PolicyForInput struct {
	Workflow string `json:"workflow"`
}

// PolicyForResult is the part of the policy one kind of workflow decides
// with, the version of the whole, and the engine's settings. Detection and
// correlation rule bodies never leave the worker: a large rules folder
// would otherwise be recorded in every run's history.
type PolicyForResult struct {
	Policy     policy.Policy  `json:"policy"`
	Version    string         `json:"version"`
	Enrichment EnrichmentPlan `json:"enrichment,omitzero"`
	Limits     Limits         `json:"limits"`
	// NoTracker says the worker has no ticket tracker, so that incidents
	// schedule no ticket activity (absent in snapshots from older workers,
	// which leaves tickets on).
	NoTracker bool `json:"no_tracker,omitempty"`
	// Containment is what the worker can carry out; nil in snapshots from
	// older workers, which proposed every action.
	Containment *ContainmentPlan `json:"containment,omitempty"`
	// PlaybookVersionSA says the cluster has the SocflowPlaybookVersion
	// search attribute, which incidents then set.
	PlaybookVersionSA bool `json:"playbook_version_sa,omitempty"`
}

// PolicyFor returns the subset of the current policy the named workflow
// kind uses.
func (p *Policy) PolicyFor(_ context.Context, in PolicyForInput) (PolicyForResult, error) {
	cur := p.Current()
	res := PolicyForResult{Version: p.versions.of(cur), Limits: p.Limits.WithDefaults(), NoTracker: p.NoTracker}
	if in.Workflow == PolicyForIncident {
		plan := p.Containment
		res.Containment = &plan
		res.PlaybookVersionSA = p.PlaybookVersionSA
	}
	switch in.Workflow {
	case PolicyForAlert:
		res.Policy = policy.Policy{
			Triage:  policy.Triage{DedupeWindow: cur.Triage.DedupeWindow},
			Scoring: cur.Scoring,
			Routing: cur.Routing,
		}
		res.Enrichment = p.Enrichment
	case PolicyForIncident:
		res.Policy = policy.Policy{
			Triage: policy.Triage{
				IncidentOverflow: cur.Triage.IncidentOverflow,
				SummaryInterval:  cur.Triage.SummaryInterval,
			},
			Scoring:            policy.Scoring{OnTimeout: cur.Scoring.OnTimeout},
			Tiers:              cur.Tiers,
			EscalationTriggers: cur.EscalationTriggers,
			Approvals:          cur.Approvals,
			Containment:        cur.Containment,
			SLA:                cur.SLA,
		}
		// For the playbooks' Enrich step.
		res.Enrichment = p.Enrichment
	default:
		return PolicyForResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("policy: no subset for workflow kind %q", in.Workflow), ErrBadRequest, nil)
	}
	return res, nil
}

// TriageAlertInput is an alert to check against the current policy's
// suppressions and correlation rules.
type TriageAlertInput struct {
	Alert alert.Alert `json:"alert"`
	At    time.Time   `json:"at"`
}

// TriageAlertResult says whether the alert is suppressed (and until when)
// and which correlation windows it feeds.
type TriageAlertResult struct {
	// Suppression is the matching suppression, nil when none matches.
	Suppression *policy.Suppression `json:"suppression,omitempty"`
	// Memberships are the correlation windows the alert belongs to.
	Memberships []policy.Membership `json:"memberships,omitempty"`
	// FeedsOnly is set when the alert only feeds correlations (Sigma's
	// generate: false) and makes no incident of its own.
	FeedsOnly bool   `json:"feeds_only,omitempty"`
	Version   string `json:"version"`
}

// TriageAlert evaluates the alert against the policy in force now. Alert
// runs call it again for every batch of duplicates, so a suppression that
// expired or was removed stops applying to running runs.
func (p *Policy) TriageAlert(_ context.Context, in TriageAlertInput) (TriageAlertResult, error) {
	cur := p.Current()
	res := TriageAlertResult{Version: p.versions.of(cur)}
	if s := cur.Suppressed(&in.Alert, in.At); s != nil {
		c := *s
		res.Suppression = &c
		return res, nil
	}
	res.Memberships = cur.Correlations.Memberships(&in.Alert)
	if len(res.Memberships) > 0 {
		res.FeedsOnly = cur.Correlations.FeedsOnly(&in.Alert)
	}
	return res, nil
}

// PolicyVersion names a policy by the hash of its content, so that every
// run can record which policy it decided with without recording the
// policy itself.
func PolicyVersion(p *policy.Policy) string {
	if p == nil {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// versionCache is PolicyVersion, cached for the policy in force: a
// policy is never changed in place (a reload swaps the pointer), and
// hashing every rule for every alert or window would cost more than the
// lookup it serves.
type versionCache struct {
	mu     sync.Mutex
	policy *policy.Policy
	text   string
}

func (c *versionCache) of(cur *policy.Policy) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.policy != cur {
		c.policy, c.text = cur, PolicyVersion(cur)
	}
	return c.text
}
