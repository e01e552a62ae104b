package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ContextPacket is everything enrichment learned about an alert before a
// human looks at it. It is rendered the same way wherever it appears
// (console, Slack, Jira, CLI), by Lines.
type ContextPacket struct {
	// Asset is the inventory record of the alert's primary host, if known.
	Asset *Asset `json:"asset,omitempty"`
	// Host is what the EDR knows of the host right now.
	Host *HostDetails `json:"host,omitempty"`
	// Hashes are the file hashes the alert names, looked up in intel.
	Hashes []string `json:"hashes,omitempty"`
	// IntelHits are watchlist matches for the alert's IPs, domains, URLs and
	// hashes.
	IntelHits []IntelHit `json:"intel_hits,omitempty"`
	// Users carries what is known about the alert's users.
	Users []UserContext `json:"users,omitempty"`
	// Related are telemetry events on the same host, user or addresses in the
	// window before the alert.
	Related []RelatedEvent `json:"related,omitempty"`
	// Gaps name the sources that failed or timed out, so that a responder
	// knows the packet is incomplete and why.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Clone is a deep copy of the packet: a playbook's View holds one, so that
// nothing it changes reaches the incident's state. A packet is plain data,
// so a JSON round trip copies all of it.
func (p ContextPacket) Clone() ContextPacket {
	b, err := json.Marshal(p)
	if err != nil {
		return p // plain data always encodes; keep the shallow copy
	}
	var out ContextPacket
	if json.Unmarshal(b, &out) != nil {
		return p
	}
	return out
}

// Asset is an inventory (CMDB) record.
type Asset struct {
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"`
	Role  string `json:"role,omitempty"`
	// Tier is the criticality tier: 1 is the most critical (a domain
	// controller), 4 the least (a printer).
	Tier int      `json:"tier"`
	Tags []string `json:"tags,omitempty"`
	// MatchedBy says how the alert was matched to the record: "hostname",
	// "ip" or "cidr".
	MatchedBy string `json:"matched_by,omitempty"`
}

// IntelHit is one indicator match.
type IntelHit struct {
	Indicator string `json:"indicator"`
	// Type is "ipv4", "ipv6", "cidr", "domain", "url", "md5", "sha1" or
	// "sha256".
	Type   string `json:"type"`
	Source string `json:"source"`
	// Confidence is 0-100, as STIX and MISP express it.
	Confidence  int      `json:"confidence"`
	Labels      []string `json:"labels,omitempty"`
	Description string   `json:"description,omitempty"`
}

// HostDetails is the EDR's view of a host.
type HostDetails struct {
	Name     string    `json:"name"`
	ID       string    `json:"id,omitempty"`
	OS       string    `json:"os,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Isolation is "isolated", "not isolated" or "" when unknown.
	Isolation string `json:"isolation,omitempty"`
	Health    string `json:"health,omitempty"`
	Source    string `json:"source,omitempty"`
}

// UserContext is what the login history knows about a user.
type UserContext struct {
	Name      string    `json:"name"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// IP is the address the alert saw the user at, and Country, City and
	// ASN where GeoIP places it.
	IP      string `json:"ip,omitempty"`
	Country string `json:"country,omitempty"`
	City    string `json:"city,omitempty"`
	ASN     uint   `json:"asn,omitempty"`
	ASOrg   string `json:"as_org,omitempty"`
	// NewCountry and ImpossibleTravel are the geo anomalies, also worded
	// in Anomalies.
	NewCountry       bool `json:"new_country,omitempty"`
	ImpossibleTravel bool `json:"impossible_travel,omitempty"`
	// Anomalies are human-readable findings such as "first login from BR"
	// or "impossible travel: 9,200 km in 1h".
	Anomalies []string `json:"anomalies,omitempty"`
}

// RelatedEvent is one telemetry event found near the alert.
type RelatedEvent struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Summary string    `json:"summary"`
	// Host and User are the event's, for playbooks to act on (the other
	// recipients of a phishing mail).
	Host string `json:"host,omitempty"`
	User string `json:"user,omitempty"`
}

// Gap records an enrichment source that did not answer.
type Gap struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Priority is the response priority, P1 the most urgent.
type Priority string

// The priorities.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// Rank orders priorities so that a higher rank is more urgent: P1 is 4, P4
// is 1, an unknown priority 0.
func (p Priority) Rank() int {
	switch p {
	case P1:
		return 4
	case P2:
		return 3
	case P3:
		return 2
	case P4:
		return 1
	}
	return 0
}

// Score is the outcome of the scoring policy for one alert or incident.
type Score struct {
	// Value is 0-100.
	Value    int      `json:"value"`
	Priority Priority `json:"priority"`
	// Tier is the first tier on the escalation path ("T1", "T2", "IR").
	Tier string `json:"tier"`
	// SLA is how long that tier has to respond.
	SLA time.Duration `json:"sla"`
	// Factors explain the score: every input and what it contributed.
	Factors []Factor `json:"factors"`
	// SSVC is the SSVC decision (track, track*, attend, act) when enabled.
	SSVC string `json:"ssvc,omitempty"`
}

// Factor is one line of a score's explanation.
type Factor struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
	// Effect is how the factor was applied, such as "+20" or "x1.5".
	Effect string `json:"effect"`
}

// Explain renders the factors as one line per factor, in columns; each
// factor's text is flattened with OneLine, so a line holds one factor.
func (s Score) Explain() string {
	var b strings.Builder
	for _, f := range s.Factors {
		fmt.Fprintf(&b, "  %-18s %-8s %s\n", OneLine(f.Name), OneLine(f.Effect), OneLine(f.Detail))
	}
	return b.String()
}

// ActionKind names a containment action.
type ActionKind string

// The containment actions socflow can take. Each has an undo but
// ActionRevokeSessions (see [ActionKind.NoUndo]).
const (
	ActionIsolateHost ActionKind = "isolate_host"
	ActionBlockIP     ActionKind = "block_ip"
	ActionDisableUser ActionKind = "disable_user"
	// ActionRevokeSessions ends a user's sign-in sessions at the identity
	// provider, leaving the account enabled: every app must sign the user
	// in again. Sessions cannot be restored, so it has no undo.
	ActionRevokeSessions ActionKind = "revoke_sessions"
	// ActionBlockHash blocks a file by its hash (SHA-256, or SHA-1 or MD5
	// where the EDR takes them) with a custom indicator at the EDR.
	ActionBlockHash ActionKind = "block_hash"
	// ActionBlockSenderDomain blocks mail from a sender domain at the mail
	// gateway.
	ActionBlockSenderDomain ActionKind = "block_sender_domain"
)

// ActionKinds are the known action kinds, in the order a plan lists them.
func ActionKinds() []ActionKind {
	return []ActionKind{ActionIsolateHost, ActionBlockIP, ActionDisableUser, ActionRevokeSessions, ActionBlockHash, ActionBlockSenderDomain}
}

// Valid reports whether k is a known action.
func (k ActionKind) Valid() bool {
	switch k {
	case ActionIsolateHost, ActionBlockIP, ActionDisableUser, ActionRevokeSessions, ActionBlockHash, ActionBlockSenderDomain:
		return true
	}
	return false
}

// NoUndo says why an action of kind k cannot be undone ("" when it can):
// socflow registers no undo for it, gives it no lease, and a revert leaves
// it as it is. Proposals and results say so, so that nobody approves it
// expecting a way back.
func (k ActionKind) NoUndo() string {
	if k == ActionRevokeSessions {
		return "sessions cannot be restored"
	}
	return ""
}

// Hash kinds, as [HashKind] names them.
const (
	HashSHA256 = "sha256"
	HashSHA1   = "sha1"
	HashMD5    = "md5"
)

// HashKind names the kind of file hash h is by its length (HashSHA256,
// HashSHA1, HashMD5), or "" when h is not one: hexadecimal digits only,
// 64, 40 or 32 of them.
func HashKind(h string) string {
	for _, r := range h {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return ""
		}
	}
	switch len(h) {
	case 64:
		return HashSHA256
	case 40:
		return HashSHA1
	case 32:
		return HashMD5
	}
	return ""
}

// CheckDomain reports why d is not a DNS name that a mail gateway can
// block as a sender domain, or nil: no scheme, path, port, address or
// wildcard; two labels or more, each of letters, digits and inner
// hyphens (IDNs in their xn-- form), at most 63 bytes, 253 in all; a last
// label that is not all digits, so that an IPv4 address is not one. A
// blocked sender domain stops every message from it, so a value that
// could name more (a URL, "*.example.com") is refused rather than cut to
// a guess.
func CheckDomain(d string) error {
	switch {
	case d == "":
		return fmt.Errorf("no domain given")
	case strings.Contains(d, "://"):
		return fmt.Errorf("%q is a URL, not a domain: give the host name alone", d)
	case strings.ContainsAny(d, "/?#@:*[] \t\n"):
		return fmt.Errorf("%q is not a domain: a domain has no path, port, user, wildcard or space", d)
	case len(d) > 253:
		return fmt.Errorf("%q is longer than a domain can be (253 bytes)", d)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q is not a domain: it has a single label", d)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%q is not a domain: label %q is empty, longer than 63 bytes, or starts or ends with a hyphen", d, l)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a domain: %q is not a letter, digit or hyphen (write an IDN in its xn-- form)", d, r)
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("%q is an address, not a domain", d)
	}
	return nil
}

// Action is one proposed containment step.
type Action struct {
	// ID is stable within an incident ("isolate_host:ws-042") so that a
	// responder can approve a subset by ID.
	ID     string     `json:"id"`
	Kind   ActionKind `json:"kind"`
	Target string     `json:"target"`
	// TargetID is the target's ID at the provider (an EDR device ID) when
	// an alert carried it: containment resolves by it first, since two
	// hosts can share a name.
	TargetID string `json:"target_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Lease, when set, is how long the action stays in force: socflow
	// undoes it when the lease runs out unless a responder renews it. A
	// playbook step sets it; otherwise the policy's lease for the kind
	// applies.
	Lease time.Duration `json:"lease,omitempty"`
	// Destructive actions interrupt someone's work; the requester of an
	// escalation may not approve them alone.
	Destructive bool `json:"destructive"`
	// Protected says why the target is protected and what containing it
	// takes (policy containment.protected), as the proposal shows it.
	Protected string `json:"protected,omitempty"`
}

// NewAction builds an action with its conventional ID.
func NewAction(kind ActionKind, target, reason string) Action {
	// Revoking sessions signs the user out everywhere, with no undo.
	return Action{
		ID:          string(kind) + ":" + target,
		Kind:        kind,
		Target:      target,
		Reason:      reason,
		Destructive: kind == ActionIsolateHost || kind == ActionDisableUser || kind == ActionRevokeSessions,
	}
}

// ActionStatus is where one containment action ended.
type ActionStatus string

// Action outcomes.
const (
	ActionDone     ActionStatus = "done"
	ActionFailed   ActionStatus = "failed"
	ActionReverted ActionStatus = "reverted"
	ActionSkipped  ActionStatus = "skipped"
	// ActionPending is an action the vendor took and has not yet confirmed
	// ("pending verification"); it is undone like a done one.
	ActionPending ActionStatus = "pending_verification"
	// ActionUnverified is an action whose vendor did not confirm it within
	// the verification deadline; the incident escalated. It is undone like
	// a done one.
	ActionUnverified ActionStatus = "unverified"
	// ActionLeftAsFound is an action whose target was already in the wanted
	// state: socflow sent nothing and will undo nothing.
	ActionLeftAsFound ActionStatus = "left_as_found"
	// ActionRevertFailed is an action whose undo failed: it is still in
	// force.
	ActionRevertFailed ActionStatus = "revert_failed"
	// ActionReverting is an undo the vendor took and has not yet
	// confirmed.
	ActionReverting ActionStatus = "revert_pending"
)

// InForce reports whether the action's effect is socflow's and may still
// hold: what an undo must reverse.
func (s ActionStatus) InForce() bool {
	return s == ActionDone || s == ActionPending || s == ActionUnverified || s == ActionRevertFailed || s == ActionReverting
}

// ActionResult is the outcome of one containment action.
type ActionResult struct {
	Action Action       `json:"action"`
	Status ActionStatus `json:"status"`
	// Reference is the provider's ID for the action (an EDR machine action
	// ID, an indicator ID), kept so the undo can name it.
	Reference string    `json:"reference,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	At        time.Time `json:"at"`
	// State is the vendor's last word for the target ("containment_pending",
	// "Succeeded"), shown while the action awaits verification.
	State string `json:"state,omitempty"`
	// VerifyBy is when the vendor must have confirmed the action; past it
	// the incident escalates.
	VerifyBy time.Time `json:"verify_by,omitzero"`
	// VerifiedAt is when the vendor confirmed it.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	// LeaseUntil is when socflow undoes the action unless renewed; Noticed
	// says the tier has been told it is about to run out.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Noticed    bool      `json:"lease_noticed,omitempty"`
	// UndoRef is the provider's handle for the undo request.
	UndoRef string `json:"undo_ref,omitempty"`
}

// Verdict is what a responder decided.
type Verdict string

// Verdicts a responder can give.
const (
	VerdictApprove       Verdict = "approve"
	VerdictDeny          Verdict = "deny"
	VerdictEscalate      Verdict = "escalate"
	VerdictFalsePositive Verdict = "false_positive"
	// VerdictRevert undoes containment already carried out, newest first.
	VerdictRevert Verdict = "revert"
	// VerdictRenew renews the leases of containment actions in force (all
	// of them, or those Actions names), from now, by each one's lease.
	VerdictRenew Verdict = "renew"
)

// Valid reports whether v is a known verdict.
func (v Verdict) Valid() bool {
	switch v {
	case VerdictApprove, VerdictDeny, VerdictEscalate, VerdictFalsePositive, VerdictRevert, VerdictRenew:
		return true
	}
	return false
}

// Decision is one responder's (or a timeout's) decision on an incident.
type Decision struct {
	Verdict Verdict `json:"verdict"`
	// Actions are the IDs of the approved actions; empty approves all that
	// were proposed.
	Actions []string `json:"actions,omitempty"`
	// By is the decider's identity ("alice", a Slack user ID, or "timeout").
	By string `json:"by"`
	// Via is the channel the decision came through ("cli", "slack", "api",
	// "policy").
	Via  string    `json:"via"`
	Note string    `json:"note,omitempty"`
	Tier string    `json:"tier"`
	At   time.Time `json:"at"`
}

// Stage is a timeline line's pipeline stage; the timeline, the case file
// and the handoff notes group lines by it.
type Stage string

// The stages, in pipeline order.
const (
	StageIngest   Stage = "ingest"
	StageTriage   Stage = "triage"
	StageEnrich   Stage = "enrich"
	StageScore    Stage = "score"
	StageRoute    Stage = "route"
	StagePlaybook Stage = "playbook"
	StageEscalate Stage = "escalate"
	StageDecide   Stage = "decide"
	StageContain  Stage = "contain"
	StageTicket   Stage = "ticket"
	StageNotify   Stage = "notify"
	StageCase     Stage = "case"
	StageClose    Stage = "close"
)

// TimelineEvent is one entry of an incident's audit trail.
type TimelineEvent struct {
	At time.Time `json:"at"`
	// Stage is the pipeline stage (the Stage constants).
	Stage Stage `json:"stage"`
	// Actor is who acted: "socflow", a responder's identity, or "timer".
	Actor   string `json:"actor"`
	Message string `json:"message"`
	AlertID string `json:"alert_id,omitempty"`
}
