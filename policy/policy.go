// Package policy holds socflow's response policy as data (triage, scoring,
// routing, tiers) and the pure functions that apply it: suppression,
// fingerprinting, scoring, routing and the escalation ladder.
//
// Every function here is deterministic, so workflows call them directly: a
// workflow obtains the policy once through a local activity (which records it
// in history) and then decides with these functions, so a replay decides the
// same way even if the file on disk has changed since.
package policy

import (
	"time"

	"github.com/socflow/socflow/alert"
)

// Policy is the response policy: the part of socflow.yaml that decides what
// happens to an alert.
type Policy struct {
	Triage  Triage  `yaml:"triage" json:"triage"`
	Scoring Scoring `yaml:"scoring" json:"scoring"`
	Routing Routing `yaml:"routing" json:"routing"`
	Tiers   []Tier  `yaml:"tiers" json:"tiers"`
	// EscalationTriggers are the conditions that mandate immediate
	// escalation to the last tier (incident response), evaluated on every
	// incident update.
	EscalationTriggers []Trigger `yaml:"escalation_triggers" json:"escalation_triggers,omitempty"`
	// Approvals sets how many people must approve.
	Approvals Approvals `yaml:"approvals" json:"approvals"`
	// Containment limits what the timeout default may contain.
	Containment Containment `yaml:"containment" json:"containment,omitzero"`
	// SLA is the response-time promise per priority.
	SLA SLA `yaml:"sla" json:"sla,omitzero"`
	// Correlations are the Sigma correlation rules, read from the rules
	// folder named by the configuration.
	Correlations Correlations `yaml:"-" json:"correlations"`
}

// Triage configures what happens before enrichment.
type Triage struct {
	// DedupeWindow is how long a RespondToAlert run stays open after the
	// last occurrence of its fingerprint, counting duplicates instead of
	// starting new runs.
	DedupeWindow time.Duration `yaml:"dedupe_window" json:"dedupe_window"`
	// Fingerprints override the default fingerprint (source, rule and
	// primary entities) for matching alerts.
	Fingerprints []FingerprintRule `yaml:"fingerprints" json:"fingerprints,omitempty"`
	// IncidentOverflow is the number of distinct alerts in one incident
	// above which responders get a summary every SummaryInterval instead
	// of an update per new alert.
	IncidentOverflow int           `yaml:"incident_overflow" json:"incident_overflow"`
	SummaryInterval  time.Duration `yaml:"summary_interval" json:"summary_interval"`
	// Suppressions silence known noise. A suppressed alert is still
	// recorded, with the rule that matched.
	Suppressions []Suppression `yaml:"suppressions" json:"suppressions,omitempty"`
}

// FingerprintRule picks the fields that identify "the same alert" for the
// alerts it matches.
type FingerprintRule struct {
	Match  Match    `yaml:"match" json:"match"`
	Fields []string `yaml:"fields" json:"fields"`
}

// Suppression silences alerts that match until it expires.
type Suppression struct {
	Name   string `yaml:"name" json:"name"`
	Match  Match  `yaml:"match" json:"match"`
	Reason string `yaml:"reason" json:"reason"`
	// Expires ends the suppression; a suppression without an end date is
	// refused, because forgotten suppressions are how real attacks hide.
	Expires time.Time `yaml:"expires" json:"expires"`
}

// Match is a set of field globs that must all match. Keys are field paths
// (see Fields); values are shell globs as path.Match reads them, compared
// case-insensitively.
type Match map[string]string

// Scoring is the rigid scoring schema.
type Scoring struct {
	// SeverityBase is the starting score for each severity.
	SeverityBase map[alert.Severity]float64 `yaml:"severity_base" json:"severity_base"`
	// AssetTierMultiplier scales the base by the asset's criticality tier
	// (1 most critical, 4 least).
	AssetTierMultiplier map[int]float64 `yaml:"asset_tier_multiplier" json:"asset_tier_multiplier"`
	// UnknownAssetMultiplier applies when the inventory has no record.
	UnknownAssetMultiplier float64 `yaml:"unknown_asset_multiplier" json:"unknown_asset_multiplier"`
	// IntelWeight turns the best intel hit's confidence (0-100) into points.
	IntelWeight float64 `yaml:"intel_weight" json:"intel_weight"`
	// AnomalyPoints are added per user anomaly (new country, impossible
	// travel), up to MaxAnomalyPoints.
	AnomalyPoints    float64 `yaml:"anomaly_points" json:"anomaly_points"`
	MaxAnomalyPoints float64 `yaml:"max_anomaly_points" json:"max_anomaly_points"`
	// DuplicatePoints are added per doubling of an alert's occurrence count,
	// up to MaxDuplicatePoints.
	DuplicatePoints    float64 `yaml:"duplicate_points" json:"duplicate_points"`
	MaxDuplicatePoints float64 `yaml:"max_duplicate_points" json:"max_duplicate_points"`
	// CorrelationPoints are added to an alert raised by a correlation rule:
	// several weak signals that line up are worth more than each alone.
	CorrelationPoints float64 `yaml:"correlation_points" json:"correlation_points"`
	// SSVC optionally adds an SSVC decision and a priority floor.
	SSVC SSVC `yaml:"ssvc" json:"ssvc"`
	// Priorities are the minimum scores for P1, P2 and P3; anything lower
	// is P4.
	Priorities map[alert.Priority]int `yaml:"priorities" json:"priorities"`
	// Paths name the first tier for each priority.
	Paths map[alert.Priority]string `yaml:"paths" json:"paths"`
	// OnTimeout is what the last tier's timeout does for each priority:
	// contain, close or hold.
	OnTimeout map[alert.Priority]TimeoutDefault `yaml:"on_timeout" json:"on_timeout"`
}

// TimeoutDefault is what happens when nobody answers and there is no tier
// left to escalate to.
type TimeoutDefault string

// Timeout defaults.
const (
	// DefaultContain approves every proposed action on the policy's
	// authority, when every alert came from a source trusted for
	// automatic containment and no target is protected (Containment);
	// otherwise the incident holds, as with DefaultHold.
	DefaultContain TimeoutDefault = "contain"
	// DefaultClose closes the incident without containment.
	DefaultClose TimeoutDefault = "close"
	// DefaultHold keeps waiting, reminding the tier each timeout.
	DefaultHold TimeoutDefault = "hold"
)

// Routing decides which alerts form one incident and which playbook runs.
type Routing struct {
	Default RouteRule   `yaml:"default" json:"default"`
	Rules   []RouteRule `yaml:"rules" json:"rules,omitempty"`
}

// RouteRule routes the alerts it matches.
type RouteRule struct {
	Name  string `yaml:"name" json:"name,omitempty"`
	Match Match  `yaml:"match" json:"match,omitempty"`
	// GroupBy lists entity fields in order of preference; the first one the
	// alert has becomes the incident key. "host", "user", "src_ip",
	// "dst_ip", or any field path.
	GroupBy []string `yaml:"group_by" json:"group_by"`
	// Window is how long an incident stays open for new alerts after its
	// last one.
	Window   time.Duration `yaml:"window" json:"window"`
	Playbook string        `yaml:"playbook" json:"playbook"`
}

// Approvals is the four-eyes rule.
type Approvals struct {
	// Destructive is how many distinct approvers a decision that approves a
	// destructive action (isolating a host, disabling a user) needs. With
	// 1, the person who escalated the incident still may not approve it
	// alone.
	Destructive int `yaml:"destructive" json:"destructive"`
}

// Tier is one rung of the escalation ladder.
type Tier struct {
	Name    string `yaml:"name" json:"name"`
	Channel string `yaml:"channel" json:"channel,omitempty"`
	// Approvers may decide at this tier. Empty means anyone may, which is
	// only sensible on a development setup; config check warns about it.
	Approvers []string      `yaml:"approvers" json:"approvers,omitempty"`
	Timeout   time.Duration `yaml:"timeout" json:"timeout"`
	// OnTimeout is "escalate" (to the next tier) or "default" (apply the
	// priority's timeout default).
	OnTimeout string `yaml:"on_timeout" json:"on_timeout"`
	// TicketProject is the ticket project (Jira key) for incidents first
	// escalated to this tier; empty uses the integration's default.
	TicketProject string `yaml:"ticket_project" json:"ticket_project,omitempty"`
}

// Tier timeout behaviours.
const (
	OnTimeoutEscalate = "escalate"
	OnTimeoutDefault  = "default"
)
