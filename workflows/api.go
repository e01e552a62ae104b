package workflows

import (
	"encoding/json"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/activities"
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
	// UpdateAnswer answers a playbook's question (AnswerInput).
	UpdateAnswer = "answer"
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
	// SAPlaybookVersion is the version of the playbook the incident runs
	// (it keeps the one it started with). A worker sets it only where it
	// found it registered (PolicyForResult.PlaybookVersionSA), so that a
	// cluster upgraded without it keeps working.
	SAPlaybookVersion = temporal.NewSearchAttributeKeyInt64("SocflowPlaybookVersion")
)

// Memo fields an incident sets, which a list reads without querying it:
// MemoTitle (string), MemoAlerts (int) and, from rulesSLABreach on,
// MemoSLA (SLAMemo). The memo passes through the workers' data converter
// (and codec); search attributes are kept for what a query filters on,
// so that the SLA needs no attribute a cluster must register first.
const (
	MemoTitle  = "title"
	MemoAlerts = "alerts"
	MemoSLA    = "sla"
)

// SLAMemo is what a list needs to tell an incident's SLA state: its
// deadlines and the points they time (AcknowledgeDue, ContainDue,
// Acknowledged, Contained; the other milestones stay zero), and how long
// before a deadline it counts as due soon. The close and the status come
// from visibility.
type SLAMemo struct {
	alert.Milestones
	DueSoon time.Duration `json:"due_soon,omitempty"`
}

// SearchAttributeKeys lists every search attribute, for registration.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{SAPriority, SAScore, SATier, SAStatus, SAHost, SAUser, SARule, SAPlaybook, SADrill, SAPlaybookVersion}
}

// OptionalSearchAttributeKeys are those a worker does without when the
// cluster lacks them (it warns): each added after clusters were set up.
func OptionalSearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{SAPlaybookVersion}
}

// RespondToAlertInput starts the run for one fingerprint. The alert itself
// arrives as the first AlertSignal, so that the first occurrence and its
// duplicates take the same path (intake always uses SignalWithStart).
type RespondToAlertInput struct {
	Fingerprint string `json:"fingerprint"`
	// Resume carries state across continue-as-new.
	Resume *AlertState `json:"resume,omitempty"`
	// Policy carries the policy subset across continue-as-new, so that the
	// new run decides at once, before any activity.
	Policy *activities.PolicyForResult `json:"policy,omitempty"`
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
	// DispositionFailed is an alert Temporal refused to hand off for good
	// (AlertState.Error says why).
	DispositionFailed = "failed"
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

	// Engine is the workflow engine version whose rules this state follows
	// (0: the first engine, which kept every ID in IDs with IDsForwarded as
	// an index; 1: IDs holds only the IDs not yet forwarded; 2: as 1, with
	// in-process steps as local activities; 3: as 2, with reopening
	// handoffs; see versions.go).
	Engine int `json:"engine,omitempty"`
	// Pending counts occurrences received but not yet acted on, carried
	// across continue-as-new so that none is dropped.
	Pending int `json:"pending,omitempty"`
	// IDsOmitted counts source IDs not kept because the run's buffer was
	// full (the occurrence count stays exact).
	IDsOmitted int `json:"ids_omitted,omitempty"`
	// SuppressedUntil is when the matching suppression expires; the run
	// checks the policy again then.
	SuppressedUntil time.Time `json:"suppressed_until,omitzero"`
	// PolicyVersion names the policy of the latest triage.
	PolicyVersion string `json:"policy_version,omitempty"`
	// Error is why the run failed for good (a handoff Temporal refused).
	Error string `json:"error,omitempty"`
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
	// Policy carries the incident's policy subset across continue-as-new:
	// an incident keeps the policy it opened with, and the new run can
	// validate a decision in its first workflow task.
	Policy *activities.PolicyForResult `json:"policy,omitempty"`
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
	Count int      `json:"count"`
	IDs   []string `json:"ids,omitempty"`
	// Alert and Context travel with an alert's first signal only; later
	// signals are deltas (counts, IDs, score). Signals recorded by the
	// first engine carry them every time.
	Alert   *alert.Alert         `json:"alert,omitempty"`
	Context *alert.ContextPacket `json:"context,omitempty"`
	// First marks an alert's first signal to this incident.
	First bool `json:"first,omitempty"`
	// Total is every occurrence the alert run has forwarded, this one's
	// included, so the case file holds the count without a read.
	Total int          `json:"total,omitempty"`
	Score alert.Score  `json:"score"`
	Route policy.Route `json:"route"`
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
	// Approved says, when the approvals so far have no action enough of
	// them approved, what each approver approved (by approver).
	Approved map[string][]string `json:"approved,omitempty"`
}

// AnswerInput is a responder's answer to a playbook's question, sent as
// the answer update. By and Groups are established by the caller (the
// API's credential, Slack's signed payload), never typed by the responder.
type AnswerInput struct {
	// Question is the question's ID (alert.Question.ID).
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	By       string   `json:"by"`
	Groups   []string `json:"groups,omitempty"`
	Via      string   `json:"via"`
}

// AnswerResult acknowledges an accepted answer: the option as the
// question spells it.
type AnswerResult struct {
	Status string `json:"status"`
	Answer string `json:"answer"`
}

// MaxQuestions bounds the questions an incident keeps (answered ones
// included, so that a run continued as new does not ask twice): a
// playbook asking more is stopped with an error rather than growing the
// state without end.
const MaxQuestions = 100

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

// Incident statuses (alert.Status*, which cards show).
const (
	StatusOpen          = alert.StatusOpen
	StatusAwaiting      = alert.StatusAwaiting
	StatusContaining    = alert.StatusContaining
	StatusContained     = alert.StatusContained
	StatusPartial       = alert.StatusPartial
	StatusDenied        = alert.StatusDenied
	StatusFalsePositive = alert.StatusFalsePositive
	StatusClosed        = alert.StatusClosed
	StatusNoAction      = alert.StatusNoAction
	StatusUnverified    = alert.StatusUnverified
	StatusRevertFailed  = alert.StatusRevertFailed
	StatusLeaseEnded    = alert.StatusLeaseEnded
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
	ID       string      `json:"id"`
	Key      string      `json:"key"`
	Title    string      `json:"title"`
	Status   string      `json:"status"`
	Score    alert.Score `json:"score"`
	Tier     string      `json:"tier"`
	Playbook string      `json:"playbook"`
	// PlaybookVersion is the version of the playbook the incident runs:
	// the latest when it started, kept across continue-as-new so that a
	// deploy with a new version leaves it on the one it began.
	PlaybookVersion int          `json:"playbook_version,omitempty"`
	Route           policy.Route `json:"route"`
	// Phase is where the run is: "responding" while the playbook runs,
	// "settled" once it has finished (only then may it continue-as-new).
	Phase string   `json:"phase"`
	Hosts []string `json:"hosts,omitempty"`
	// HostIDs maps a host of Hosts to its EDR device ID, when an alert
	// carried one: containment names the device by it first.
	HostIDs        map[string]string `json:"host_ids,omitempty"`
	Users          []string          `json:"users,omitempty"`
	SourceIPs      []string          `json:"source_ips,omitempty"`
	DestinationIPs []string          `json:"destination_ips,omitempty"`
	Categories     []string          `json:"categories,omitempty"`
	Alerts         []AlertRef        `json:"alerts"`
	// Occurrences counts every alert occurrence, duplicates included.
	Occurrences int                 `json:"occurrences"`
	Context     alert.ContextPacket `json:"context"`
	Proposed    []alert.Action      `json:"proposed,omitempty"`
	// Unavailable are the actions a playbook wanted that no configured
	// provider can carry out, left out of Proposed, each with why.
	Unavailable []UnavailableAction `json:"unavailable,omitempty"`
	// AlertCount is the number of distinct alerts (fingerprints) that
	// joined; Alerts holds the MaxTopAlerts highest-scored of them and the
	// case file all of them.
	AlertCount int `json:"alert_count,omitempty"`
	// FirstTitle is the first alert's title, which the incident's title
	// names once several alerts joined.
	FirstTitle string `json:"first_title,omitempty"`
	// Rules are the distinct rules of the alerts that joined (at most
	// MaxEntities), for the escalation triggers and playbooks.
	Rules []string `json:"rules,omitempty"`
	// Techniques are the distinct ATT&CK techniques the alerts that
	// joined name (at most MaxEntities), for playbooks to branch on.
	Techniques []string `json:"techniques,omitempty"`
	// Domains, URLs and Hashes are the distinct ones the alerts name (at
	// most MaxEntities each), for playbooks to look up and block.
	Domains []string `json:"domains,omitempty"`
	URLs    []string `json:"urls,omitempty"`
	Hashes  []string `json:"hashes,omitempty"`
	// Omitted counts what the capped lists left out.
	Omitted Omitted `json:"omitted,omitzero"`
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
	Approvals []alert.Decision `json:"approvals,omitempty"`
	// TrustTracked is set when the incident began on code that tracks
	// the trust of its alerts; UntrustedAlerts counts the alerts whose
	// submitter is not trusted for automatic containment, and UntrustedBy
	// names the first one's submitter. The timeout default contains only
	// when TrustTracked is set and UntrustedAlerts is 0.
	TrustTracked    bool   `json:"trust_tracked,omitempty"`
	UntrustedAlerts int    `json:"untrusted_alerts,omitempty"`
	UntrustedBy     string `json:"untrusted_by,omitempty"`
	// DefaultAction says whether the timeout default applied, and why.
	DefaultAction *DefaultAction `json:"default_action,omitempty"`
	// ContainedTier is the tier whose decision approved the containment
	// in force (the highest, after several): a revert needs its approvers.
	ContainedTier string               `json:"contained_tier,omitempty"`
	Decisions     []alert.Decision     `json:"decisions,omitempty"`
	Results       []alert.ActionResult `json:"results,omitempty"`
	Drill         bool                 `json:"drill,omitempty"`
	OpenedAt      time.Time            `json:"opened_at"`
	UpdatedAt     time.Time            `json:"updated_at"`
	ClosedAt      time.Time            `json:"closed_at,omitzero"`
	Metrics       Metrics              `json:"metrics"`
	// Milestones are when the incident reached each point of its
	// response and its SLA deadlines: written with every case-file batch
	// for `socflow report` and /metrics.
	Milestones alert.Milestones `json:"milestones,omitzero"`
	// Questions are the playbook's questions, open and answered, in the
	// order asked (at most MaxQuestions).
	Questions []alert.Question `json:"questions,omitempty"`
	// Round counts the rounds a follow-up alert began after the playbook
	// settled: a round's questions are its own.
	Round int `json:"round,omitempty"`
	// SLABreaches are the SLAs (alert.SLAAcknowledge, alert.SLAContain)
	// whose missed deadline the incident has announced, so that a run
	// continued as new announces each once.
	SLABreaches []string `json:"sla_breaches,omitempty"`
	// Seen maps an alert run to the last signal Seq applied from it (first
	// engine; unbounded).
	Seen map[string]int `json:"seen,omitempty"`
	// Sources is Seen for the current engine: bounded to MaxSources, the
	// least recently heard of dropped first.
	Sources map[string]SourceMark `json:"sources,omitempty"`
	// Timeline is the audit trail, oldest first: the whole of it on the
	// first engine; on the current one, the latest MaxTimeline lines about
	// the case itself (escalations, decisions, containment), while every
	// line, each alert's pipeline steps included, is in the case file.
	Timeline []alert.TimelineEvent `json:"timeline"`
	// TimelineTotal counts every timeline line ever written; Timeline[0]
	// is line TimelineTotal-len(Timeline).
	TimelineTotal int `json:"timeline_total,omitempty"`
	// Engine is the workflow engine version whose rules this state
	// follows (0: the first engine, unbounded; 1: bounded, case file; 2:
	// as 1, with in-process steps as local activities; 3: as 2, with
	// reopening handoffs; see versions.go).
	Engine int `json:"engine,omitempty"`
	// CaseID is the case file's ID: the first run ID of this incident's
	// continue-as-new chain.
	CaseID string `json:"case_id,omitempty"`
	// Previous is the incident key's case before this one (it closed,
	// and a later alert opened this case), once the case file has
	// answered: Linked says it has.
	Previous *activities.CaseLink `json:"previous_case,omitempty"`
	Linked   bool                 `json:"linked,omitempty"`
	// CaseBatches counts the case-file batches written, across runs: batch
	// IDs ("<case ID>/<n>") never repeat within a case.
	CaseBatches int `json:"case_batches,omitempty"`
	// PolicyVersion names the policy the incident decides with.
	PolicyVersion string `json:"policy_version,omitempty"`
	// News is what responders have not been told yet, carried across
	// continue-as-new.
	News *activities.Update `json:"news,omitempty"`
	// Progress is where the playbook is, so that a run can continue as
	// new in the middle of the ladder or a containment.
	Progress *PlaybookProgress `json:"progress,omitempty"`
	// Unflushed is a case-file batch not yet written when the run rolled
	// over; the next run writes it first.
	Unflushed *activities.CaseRecord `json:"unflushed,omitempty"`
	// Errors are Temporal limit and other permanent failures the incident
	// met (a handoff refused, a payload too large), for `incident show`.
	Errors []string `json:"errors,omitempty"`
	// NotifyRef is the notifier's handle on the incident's message (a
	// Slack channel and ts), kept so retries and updates never post twice.
	NotifyRef string `json:"notify_ref,omitempty"`
	// TicketKey and TicketURL name the incident's one ticket (Jira).
	TicketKey string `json:"ticket_key,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
}

// UnavailableAction is an action left out of a proposal, and why.
type UnavailableAction struct {
	Action alert.Action `json:"action"`
	Reason string       `json:"reason"`
}

// DefaultAction is the last time the policy's timeout default was
// considered: which default, whether it applied, and why (for `incident
// show` and the audit).
type DefaultAction struct {
	Action  policy.TimeoutDefault `json:"action"`
	Applied bool                  `json:"applied"`
	Reason  string                `json:"reason"`
	At      time.Time             `json:"at"`
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
	// Total is the number of lines in the whole timeline; when it is
	// larger than len(Events), Events are the latest and the case file
	// holds the rest.
	Total int `json:"total,omitempty"`
}

// SourceMark is the last signal applied from one alert run; At is when,
// in Unix seconds (compact: a thousand of them stay under 50 KB).
type SourceMark struct {
	Seq int   `json:"seq"`
	At  int64 `json:"at"`
}

// Omitted counts the entries that capped lists of an incident left out.
type Omitted struct {
	Alerts         int `json:"alerts,omitempty"`
	Hosts          int `json:"hosts,omitempty"`
	Users          int `json:"users,omitempty"`
	SourceIPs      int `json:"source_ips,omitempty"`
	DestinationIPs int `json:"destination_ips,omitempty"`
	Categories     int `json:"categories,omitempty"`
	IntelHits      int `json:"intel_hits,omitempty"`
	Related        int `json:"related,omitempty"`
	ContextUsers   int `json:"context_users,omitempty"`
	Hashes         int `json:"hashes,omitempty"`
	Gaps           int `json:"gaps,omitempty"`
	Decisions      int `json:"decisions,omitempty"`
	// IDs are occurrence IDs the case file did not get (its store kept
	// failing and the buffer was full).
	IDs int `json:"ids,omitempty"`
}

// Bounds of an incident's state on the current engine. Together they keep
// the state (and so every status query, notification card and
// continue-as-new input) far below Temporal's 2 MiB payload limit.
const (
	// MaxTopAlerts is how many alerts, highest score first, the state keeps.
	MaxTopAlerts = 20
	// MaxTimeline is how many timeline lines the state keeps.
	MaxTimeline = 50
	// MaxEntities bounds each entity list (hosts, users, addresses).
	MaxEntities = 50
	// MaxSources bounds the alert runs remembered for deduplication.
	MaxSources = 1000
)

// PlaybookProgress records a playbook's steps so that a new run can pick
// it up where the old one stopped. A playbook is re-run from its start
// after continue-as-new; each Case call with a position below Steps
// returns what it returned before, and the call in progress (a ladder or a
// containment) resumes from its carried state.
type PlaybookProgress struct {
	// Steps counts the Case calls (Note, Decide, Contain) completed.
	Steps int `json:"steps"`
	// Outcomes are the results of the completed Decide and Contain calls.
	Outcomes []StepOutcome `json:"outcomes,omitempty"`
	// Ladder is the Decide in progress.
	Ladder *LadderState `json:"ladder,omitempty"`
	// Saga is the Contain in progress.
	Saga *SagaState `json:"saga,omitempty"`
	// Wait is the Wait in progress.
	Wait *WaitState `json:"wait,omitempty"`
}

// WaitState is a playbook's Wait in progress: a new run waits out the
// same deadline.
type WaitState struct {
	Step  int       `json:"step"`
	Until time.Time `json:"until"`
}

// Playbook step kinds, as recorded in PlaybookProgress.
const (
	StepNote    = "note"
	StepDecide  = "decide"
	StepContain = "contain"
	StepWait    = "wait"
	StepNotify  = "notify"
	StepComment = "comment"
	StepRun     = "run"
	StepAsk     = "ask"
	StepEnrich  = "enrich"
	StepTicket  = "ticket"
	StepCall    = "call"
)

// MaxRunOutputBytes bounds what a playbook's own activity (Case.Run) may
// return: the output is kept in the incident's progress, which travels
// with every continue-as-new.
const MaxRunOutputBytes = 64 << 10

// StepOutcome is one completed step other than a note: what it returned,
// so that a new run returns the same without acting again.
type StepOutcome struct {
	Step int    `json:"step"`
	Kind string `json:"kind"`
	// Key names a keyed step (a CACAO command, which may run in parallel
	// branches): it is found by its key, not its position, and Step is -1.
	Key      string               `json:"key,omitempty"`
	Decision *alert.Decision      `json:"decision,omitempty"`
	Approved []alert.Action       `json:"approved,omitempty"`
	Results  []alert.ActionResult `json:"results,omitempty"`
	// Output and Error are a Run's result, or its failure.
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// LadderState is an escalation ladder in progress.
type LadderState struct {
	Step   int    `json:"step"`
	Tier   string `json:"tier"`
	Reason string `json:"reason"`
	// Asked is set once Tier has been asked (noted and notified); a new
	// run does not ask again.
	Asked bool `json:"asked"`
	// Deadline is when Tier's time to answer runs out.
	Deadline time.Time `json:"deadline"`
}

// SagaState is a containment in progress.
type SagaState struct {
	Step    int            `json:"step"`
	Actions []alert.Action `json:"actions"`
	// Next is the index in Actions of the next action to run.
	Next int `json:"next"`
	// Done are indexes into IncidentState.Results of the actions done,
	// undone newest first if a later one fails.
	Done []int `json:"done,omitempty"`
	// Results are this containment's results so far.
	Results []alert.ActionResult `json:"results,omitempty"`
	// Indexes are the indexes into IncidentState.Results of Results
	// (rulesVerifiedContainment), whose statuses verification changes.
	Indexes []int `json:"indexes,omitempty"`
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
	// Seen maps an alert run to the last signal Seq applied from it
	// (windows before correlate-bounded-window; unbounded).
	Seen map[string]int `json:"seen,omitempty"`
	// Sources is Seen for current windows: a source is forgotten a
	// timespan after its last signal, and at most MaxSources are kept.
	Sources map[string]SourceMark `json:"sources,omitempty"`
	// Fired counts every correlated alert the window raised; Raised lists
	// the workflow IDs of the last MaxRaised.
	Fired  int      `json:"fired"`
	Raised []string `json:"raised,omitempty"`
	// Started is when the window began, carried across continue-as-new.
	// It is part of the fingerprints of the alerts the window raises, so
	// that they differ from those of an earlier window on the same key.
	Started time.Time `json:"started,omitzero"`
	// LastSignal is when the last occurrence arrived (workflow time); the
	// window closes a timespan after it.
	LastSignal time.Time `json:"last_signal"`
}

// CorrelateResult is how a window ended: how many correlated alerts it
// raised, and the workflow IDs of the last MaxRaised.
type CorrelateResult struct {
	Fired  int      `json:"fired"`
	Raised []string `json:"raised,omitempty"`
}
