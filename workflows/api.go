package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// TaskQueue is the one task queue socflow's workers poll.
const TaskQueue = "socflow"

// Workflow type names. They are registered explicitly so that renaming a Go
// function never orphans running workflows.
const (
	RespondToAlertType = "RespondToAlert"
	IncidentType       = "Incident"
	CorrelateType      = "Correlate"
)

// Signal, update and query names.
const (
	// SignalAlert carries an alert occurrence: into alert/<fingerprint> from
	// intake (AlertSignal), and into incident/<key> from RespondToAlert
	// (IncidentAlertSignal).
	SignalAlert = "alert"
	// SignalEvent carries an alert occurrence into a correlation window
	// (CorrelationSignal).
	SignalEvent = "event"
	// UpdateDecide records a responder's decision on an incident.
	UpdateDecide = "decide"
	// QueryStatus returns IncidentStatus (or AlertStatus on an alert run).
	QueryStatus = "status"
	// QueryTimeline returns TimelineResult.
	QueryTimeline = "timeline"
	// QueryContext returns ContextResult.
	QueryContext = "context"
)

// Workflow ID prefixes.
const (
	alertPrefix       = "alert/"
	incidentPrefix    = "incident/"
	correlationPrefix = "correlation/"
)

// AlertWorkflowID is the ID of the RespondToAlert run for a fingerprint.
// One ID per fingerprint is what turns a duplicate into a signal instead of
// a second run.
func AlertWorkflowID(fingerprint string) string { return alertPrefix + fingerprint }

// IncidentWorkflowID is the ID of the Incident run for a routing key such
// as "host:dc01".
func IncidentWorkflowID(key string) string { return incidentPrefix + key }

// CorrelationWorkflowID is the ID of the window of one correlation rule
// for one group key ("correlation/password_spray/src_ip=203.0.113.50").
func CorrelationWorkflowID(rule, key string) string { return correlationPrefix + rule + "/" + key }

// IncidentKey accepts an incident as a user types it ("incident/host:dc01"
// or "host:dc01") and returns its key.
func IncidentKey(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), incidentPrefix) }

// Search attributes socflow sets on its workflows. `socflow dev` registers
// them; on a cluster, create them as the README shows.
var (
	SAPriority = temporal.NewSearchAttributeKeyKeyword("SocflowPriority")
	SAScore    = temporal.NewSearchAttributeKeyInt64("SocflowScore")
	SATier     = temporal.NewSearchAttributeKeyKeyword("SocflowTier")
	SAStatus   = temporal.NewSearchAttributeKeyKeyword("SocflowStatus")
	SAHost     = temporal.NewSearchAttributeKeyKeyword("SocflowHost")
	SAUser     = temporal.NewSearchAttributeKeyKeyword("SocflowUser")
	SARule     = temporal.NewSearchAttributeKeyKeyword("SocflowRule")
	SAPlaybook = temporal.NewSearchAttributeKeyKeyword("SocflowPlaybook")
	SADrill    = temporal.NewSearchAttributeKeyBool("SocflowDrill")
)

// SearchAttributeKeys lists every search attribute, for registration.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{SAPriority, SAScore, SATier, SAStatus, SAHost, SAUser, SARule, SAPlaybook, SADrill}
}

// RespondToAlertInput starts the run for one fingerprint. The alert itself
// arrives as the first AlertSignal, so that the first occurrence and its
// duplicates take the same path (intake always uses SignalWithStart).
type RespondToAlertInput struct {
	Fingerprint string `json:"fingerprint"`
	// Resume carries state across continue-as-new.
	Resume *AlertState `json:"resume,omitempty"`
}

// AlertSignal is one or more occurrences of a fingerprint, merged by intake
// before they reach Temporal.
type AlertSignal struct {
	Alert alert.Alert `json:"alert"`
	// Count is how many occurrences this signal stands for (at least 1).
	Count int `json:"count"`
	// IDs are the source IDs of every occurrence merged into the signal.
	IDs        []string  `json:"ids,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// Dispositions of an alert run.
const (
	DispositionHandedOff  = "handed_off"
	DispositionSuppressed = "suppressed"
	// DispositionCorrelationInput is an alert that only feeds correlation
	// rules (Sigma's generate: false): recorded and counted, no incident.
	DispositionCorrelationInput = "correlation_input"
)

// AlertState is what a RespondToAlert run knows; it is the status query's
// answer and what continue-as-new carries.
type AlertState struct {
	Fingerprint string `json:"fingerprint"`
	// Disposition is "" while processing, then handed_off or suppressed.
	Disposition string `json:"disposition"`
	// Suppression names the suppression rule that matched, and why.
	Suppression string      `json:"suppression,omitempty"`
	Alert       alert.Alert `json:"alert"`
	Occurrences int         `json:"occurrences"`
	// IDs are the source IDs of every occurrence, for the audit: an
	// incident keeps the first MaxRefIDs per alert, this run up to 50,000.
	IDs []string `json:"ids,omitempty"`
	// IDsForwarded counts the IDs already handed to the incident.
	IDsForwarded int                 `json:"ids_forwarded,omitempty"`
	Context      alert.ContextPacket `json:"context"`
	Score        alert.Score         `json:"score"`
	Route        policy.Route        `json:"route"`
	IncidentID   string              `json:"incident_id,omitempty"`
	// Correlations are the correlation windows this alert feeds.
	Correlations []policy.Membership `json:"correlations,omitempty"`
	// Fed is how many occurrences the correlation windows have been told
	// about.
	Fed int `json:"fed,omitempty"`
	// Forwarded is how many occurrences the incident has been told about.
	Forwarded int       `json:"forwarded"`
	Seq       int       `json:"seq"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastAlertTime is the newest source time among the occurrences, the
	// clock correlation windows use.
	LastAlertTime time.Time `json:"last_alert_time"`
	EnrichedAt    time.Time `json:"enriched_at,omitzero"`
}

// RespondToAlertResult is how an alert run ended.
type RespondToAlertResult struct {
	Disposition string `json:"disposition"`
	Suppression string `json:"suppression,omitempty"`
	IncidentID  string `json:"incident_id,omitempty"`
	Occurrences int    `json:"occurrences"`
	Priority    string `json:"priority,omitempty"`
}

// IncidentInput starts an incident run for a routing key.
type IncidentInput struct {
	Key string `json:"key"`
	// Resume carries state across continue-as-new.
	Resume *IncidentState `json:"resume,omitempty"`
}

// IncidentAlertSignal hands a scored alert (or more occurrences of one) to
// an incident.
type IncidentAlertSignal struct {
	// Source identifies the sending alert run ("alert/<fp>/<run ID>"); with
	// Seq it makes redelivery of the same signal harmless.
	Source string `json:"source"`
	Seq    int    `json:"seq"`
	// Count is the number of new occurrences this signal reports, and IDs
	// their source IDs.
	Count   int                 `json:"count"`
	IDs     []string            `json:"ids,omitempty"`
	Alert   alert.Alert         `json:"alert"`
	Context alert.ContextPacket `json:"context"`
	Score   alert.Score         `json:"score"`
	Route   policy.Route        `json:"route"`
	// ReceivedAt is when intake accepted the first occurrence, EnrichedAt
	// when its context packet was complete: the incident's time to enrich.
	ReceivedAt time.Time `json:"received_at"`
	EnrichedAt time.Time `json:"enriched_at"`
	SentAt     time.Time `json:"sent_at"`
}

// Incident phases.
const (
	PhaseResponding = "responding"
	PhaseSettled    = "settled"
)

// DecideInput is a responder's decision, sent as the decide update.
type DecideInput struct {
	Verdict alert.Verdict `json:"verdict"`
	// Actions approves a subset of the proposed actions by ID; empty
	// approves them all.
	Actions []string `json:"actions,omitempty"`
	By      string   `json:"by"`
	// Groups are the decider's groups (Slack user groups), resolved by the
	// caller, for tiers whose approvers name groups.
	Groups []string `json:"groups,omitempty"`
	Via    string   `json:"via"`
	Note   string   `json:"note,omitempty"`
}

// DecideResult acknowledges an accepted decision.
type DecideResult struct {
	// Status is "accepted", or "recorded" for an approval that still waits
	// for more approvers (four-eyes).
	Status string `json:"status"`
	Tier   string `json:"tier"`
	// Approvals and Needed count approvals of the pending request.
	Approvals int `json:"approvals,omitempty"`
	Needed    int `json:"needed,omitempty"`
}

// SignalAttempt records a refused decision in the timeline. Validators
// cannot change state, so callers whose update was refused send this
// (AttemptSignal) for the audit trail.
const SignalAttempt = "attempt"

// AttemptSignal is a refused decision.
type AttemptSignal struct {
	Verdict alert.Verdict `json:"verdict"`
	By      string        `json:"by"`
	Via     string        `json:"via"`
	Reason  string        `json:"reason"`
}

// MaxRefIDs bounds the alert IDs an incident keeps per fingerprint, so that
// a storm cannot grow the incident's state past Temporal's payload limits.
const MaxRefIDs = 500

// Incident statuses.
const (
	StatusOpen          = "open"
	StatusAwaiting      = "awaiting_decision"
	StatusContaining    = "containing"
	StatusContained     = "contained"
	StatusPartial       = "partially_contained"
	StatusDenied        = "denied"
	StatusFalsePositive = "false_positive"
	StatusClosed        = "closed"
)

// AlertRef is an incident's record of one fingerprint that joined it.
type AlertRef struct {
	WorkflowID  string         `json:"workflow_id"`
	AlertID     string         `json:"alert_id"`
	Source      string         `json:"source"`
	Rule        string         `json:"rule"`
	Title       string         `json:"title"`
	Severity    alert.Severity `json:"severity"`
	Score       int            `json:"score"`
	Occurrences int            `json:"occurrences"`
	// IDs are the occurrences' source IDs, the first MaxRefIDs of them;
	// the alert run (WorkflowID) keeps every one.
	IDs       []string  `json:"ids,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Metrics are the response times a manager audits.
type Metrics struct {
	// TimeToEnrich is from the first alert's arrival to its context packet.
	TimeToEnrich time.Duration `json:"time_to_enrich"`
	// TimeToDecide is from the incident opening to the first human (or
	// policy) decision.
	TimeToDecide time.Duration `json:"time_to_decide"`
	// TimeToContain is from the incident opening to containment finishing.
	TimeToContain time.Duration `json:"time_to_contain"`
}

// IncidentState is the whole case: the status query's answer, the audit
// record, and what continue-as-new carries.
type IncidentState struct {
	ID       string       `json:"id"`
	Key      string       `json:"key"`
	Title    string       `json:"title"`
	Status   string       `json:"status"`
	Score    alert.Score  `json:"score"`
	Tier     string       `json:"tier"`
	Playbook string       `json:"playbook"`
	Route    policy.Route `json:"route"`
	// Phase is where the run is: "responding" while the playbook runs,
	// "settled" once it has finished (only then may it continue-as-new).
	Phase          string     `json:"phase"`
	Hosts          []string   `json:"hosts,omitempty"`
	Users          []string   `json:"users,omitempty"`
	SourceIPs      []string   `json:"source_ips,omitempty"`
	DestinationIPs []string   `json:"destination_ips,omitempty"`
	Categories     []string   `json:"categories,omitempty"`
	Alerts         []AlertRef `json:"alerts"`
	// Occurrences counts every alert occurrence, duplicates included.
	Occurrences int                 `json:"occurrences"`
	Context     alert.ContextPacket `json:"context"`
	Proposed    []alert.Action      `json:"proposed,omitempty"`
	// Correlated is set once a correlation rule's alert joined.
	Correlated bool `json:"correlated,omitempty"`
	// Trigger names the escalation trigger that sent the incident to
	// incident response, if one did.
	Trigger string `json:"trigger,omitempty"`
	// RequestedBy is who escalated the pending request; they may not
	// approve destructive actions alone.
	RequestedBy string `json:"requested_by,omitempty"`
	// Approvals are the approvals given so far for the pending request,
	// when it needs several (four-eyes).
	Approvals []alert.Decision     `json:"approvals,omitempty"`
	Decisions []alert.Decision     `json:"decisions,omitempty"`
	Results   []alert.ActionResult `json:"results,omitempty"`
	Drill     bool                 `json:"drill,omitempty"`
	OpenedAt  time.Time            `json:"opened_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	ClosedAt  time.Time            `json:"closed_at,omitzero"`
	Metrics   Metrics              `json:"metrics"`
	// Seen maps an alert run to the last signal Seq applied from it.
	Seen map[string]int `json:"seen,omitempty"`
	// Timeline is the audit trail, oldest first.
	Timeline []alert.TimelineEvent `json:"timeline"`
	// NotifyRef is the notifier's handle on the incident's message (a
	// Slack channel and ts), kept so retries and updates never post twice.
	NotifyRef string `json:"notify_ref,omitempty"`
	// TicketKey and TicketURL name the incident's one ticket (Jira).
	TicketKey string `json:"ticket_key,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
}

// IncidentResult is how an incident ended.
type IncidentResult struct {
	Status   string  `json:"status"`
	Priority string  `json:"priority"`
	Alerts   int     `json:"alerts"`
	Metrics  Metrics `json:"metrics"`
}

// TimelineResult answers QueryTimeline.
type TimelineResult struct {
	Events []alert.TimelineEvent `json:"events"`
}

// ContextResult answers QueryContext.
type ContextResult struct {
	Context alert.ContextPacket `json:"context"`
}

// CorrelateInput starts the window of one correlation rule for one group.
type CorrelateInput struct {
	Rule string `json:"rule"`
	Key  string `json:"key"`
	// Resume carries state across continue-as-new.
	Resume *CorrelationState `json:"resume,omitempty"`
}

// CorrelationSignal is one alert occurrence entering a window.
type CorrelationSignal struct {
	// Source and Seq make redelivery harmless, as for incidents.
	Source string                  `json:"source"`
	Seq    int                     `json:"seq"`
	Event  policy.CorrelationEvent `json:"event"`
	// Entities are the alert's, carried into the correlated alert.
	Entities alert.Entities `json:"entities"`
}

// CorrelationState is a window's state: the status query's answer and
// what continue-as-new carries.
type CorrelationState struct {
	Rule     string                    `json:"rule"`
	Key      string                    `json:"key"`
	Events   []policy.CorrelationEvent `json:"events"`
	Entities alert.Entities            `json:"entities"`
	Seen     map[string]int            `json:"seen,omitempty"`
	// Fired counts the correlated alerts raised; Raised lists their
	// workflow IDs.
	Fired  int      `json:"fired"`
	Raised []string `json:"raised,omitempty"`
	// LastSignal is when the last occurrence arrived (workflow time); the
	// window closes a timespan after it.
	LastSignal time.Time `json:"last_signal"`
}

// CorrelateResult is how a window ended.
type CorrelateResult struct {
	Fired  int      `json:"fired"`
	Raised []string `json:"raised,omitempty"`
}
