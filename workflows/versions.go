package workflows

import "go.temporal.io/sdk/workflow"

// Workflow code changes are guarded with workflow.GetVersion (see the
// README, "Changing a workflow"). Each change ID below names one change;
// its comment says what the new version does. A run that started before a
// change replays along the old path, so a deploy never strands it; a new
// run records the marker and takes the new one. Never remove a change ID
// while a history recorded before it is kept in tests/replay/testdata.
const (
	// changeBoundedEngine (engine 1): bounded state with the bulky record
	// in the case file, delta handoffs, the policy as a subset plus a
	// version, suppression re-evaluated for every batch, rollover in every
	// phase (ladder and containment included) and drained channels.
	changeBoundedEngine = "bounded-engine"
	// changeCorrelateRuleOnly: a window reads only its own rule, with the
	// rollover limits (GetCorrelationRule), instead of the whole policy,
	// which recorded every Sigma rule body in every window's history.
	changeCorrelateRuleOnly = "correlate-rule-only"
	// changeCorrelateBounded: a window remembers its sources in Sources,
	// each forgotten a timespan after its last signal and at most
	// MaxSources of them; lists only the last MaxRaised alerts it raised;
	// rolls over at the limits, not only when Temporal suggests it; and
	// puts its start in the fingerprints and IDs of the alerts it raises.
	changeCorrelateBounded = "correlate-bounded-window"
	// changeFourEyesExact: with several approvers required, what runs is
	// exactly the actions enough of them approved. Before, an empty
	// intersection of their approvals became an empty list, which means
	// "every proposed action". When no action has enough approvers, the
	// approval is recorded, the answer says what each approved, and the
	// incident waits for more.
	changeFourEyesExact = "four-eyes-exact"
	// changeDecisionsCarriedOut: every accepted decision is carried out.
	// The validator refuses what the incident can no longer do (closing,
	// settled, a revert while the containment still runs) with the reason;
	// a decision accepted while the quiet window ends is applied before the
	// incident closes; a policy (timeout) decision that approves nothing
	// sets the status no_action instead of leaving awaiting_decision.
	changeDecisionsCarriedOut = "decisions-carried-out"
	// changeUndoApprovals: a revert, and a false positive after
	// containment, need the approvals of what they undo: as many distinct
	// approvers as a destructive action when a destructive action is in
	// force, each an approver at the tier that approved the containment.
	// Before, one approver at the current tier reverted anything.
	changeUndoApprovals = "undo-approvals"
	// changeTrustedAutoContain: the timeout default "contain" applies only
	// when every alert that joined was submitted by a principal trusted
	// for automatic containment (alert.Alert.AutoContainTrusted) and no
	// target is protected (policy containment.protected); otherwise the
	// incident holds and reminds the tier. The state says why the
	// default did or did not apply (DefaultAction).
	changeTrustedAutoContain = "trusted-auto-contain"
	// changeFollowUpReenters: a follow-up alert that raises the priority
	// or fires an escalation trigger after the playbook settled runs the
	// playbook again: the ladder asks the tier the new score names (the
	// last on a trigger), with a message to that tier, and proposes only
	// what is not already in force. Before, it sent only an update.
	changeFollowUpReenters = "follow-up-reenters"
	// changePlaybookVersion, followed by a playbook's name, records the
	// version of the playbook a new incident starts on (the marker's
	// version is the playbook's). A history without it started on version
	// 1: every one recorded before a second version existed.
	changePlaybookVersion = "playbook-version:"
	// changeIncidentRules numbers the incident's rule changes under one
	// marker, as changeBoundedEngine numbers the engines: a marker costs
	// two history events and a search attribute upsert, four of them a
	// fifth of a unique alert's upserts. Version 1 is the four changes
	// above together, plus linked cases: the case file records each
	// batch's status, and a new case of an incident key asks it for the
	// previous case and names it in the state and the timeline. A run
	// recorded before it replays the four separate markers. A new change
	// raises the maximum and tests rules >= its version.
	changeIncidentRules = "incident-rules"
)

// Versions of changeIncidentRules.
const (
	// rulesLinkedCases: the decision changes and linked cases.
	rulesLinkedCases workflow.Version = 1
	// rulesCapableProposals: a proposal leaves out the actions no
	// configured provider can carry out (the policy snapshot's
	// Containment), listing each in the state and the timeline with why.
	rulesCapableProposals workflow.Version = 2
	// rulesVerifiedContainment: containment that is verified, leased and
	// undoes only what socflow did. An action the vendor has not
	// confirmed is pending verification, polled until confirmed, failed
	// or past its deadline (then unverified, and the incident escalates);
	// a target already so is left as found with no undo; an undo counts
	// as done only when it succeeded (a failed one leaves revert_failed
	// and escalates); an action with a lease is undone when the lease
	// runs out, after a notice, unless renewed (verdict renew); a
	// protected target needs the tier and approvals the policy names,
	// which the proposal states; and the EDR device ID travels with an
	// isolation.
	rulesVerifiedContainment workflow.Version = 3
	// rulesMilestones: the incident keeps its milestones (opened,
	// notified, acknowledged, decided, contained, closed) and its SLA
	// deadlines in its state and writes them, with its priority, tier and
	// drill flag, in every case-file batch, for `socflow report` and
	// /metrics. A run that began before it records none, rather than
	// figures that start halfway through its response.
	rulesMilestones workflow.Version = 4
	// rulesSLABreach: a timer for the incident's next SLA deadline; when
	// it passes unmet (no human acknowledged, or nothing was contained
	// while containment was still to come), the tier hears of it in the
	// incident's channel (notification sla_breach) and the timeline says
	// so, once per SLA.
	rulesSLABreach workflow.Version = 5
	// rulesPlaybookVersionSA: the incident sets SocflowPlaybookVersion
	// (where the worker found it registered) beside SocflowPlaybook, so
	// that the Temporal UI and `socflow incident list` can find the
	// incidents still on an old version before it is removed.
	rulesPlaybookVersionSA workflow.Version = 6
)

// decisionVersions are the change IDs an incident reads once, before its
// handlers are registered, so that the validator, the handler and the
// main loop agree on the path from the run's first task.
type decisionVersions struct {
	// carryOut: changeDecisionsCarriedOut.
	carryOut bool
	// undo: changeUndoApprovals.
	undo bool
	// trust: changeTrustedAutoContain.
	trust bool
	// reenter: changeFollowUpReenters.
	reenter bool
	// link: linked cases (changeIncidentRules >= rulesLinkedCases).
	link bool
	// capable: rulesCapableProposals.
	capable bool
	// verified: rulesVerifiedContainment.
	verified bool
	// milestones: rulesMilestones.
	milestones bool
	// sla: rulesSLABreach.
	sla bool
	// playbookSA: rulesPlaybookVersionSA.
	playbookSA bool
}

// readDecisionVersions records (or replays) the marker of the incident's
// rules; a run recorded before it replays the four decision markers.
func readDecisionVersions(ctx workflow.Context) decisionVersions {
	if v := workflow.GetVersion(ctx, changeIncidentRules, workflow.DefaultVersion, rulesPlaybookVersionSA); v >= rulesLinkedCases {
		return decisionVersions{carryOut: true, undo: true, trust: true, reenter: true, link: true,
			capable: v >= rulesCapableProposals, verified: v >= rulesVerifiedContainment, milestones: v >= rulesMilestones, sla: v >= rulesSLABreach,
			playbookSA: v >= rulesPlaybookVersionSA}
	}
	on := func(id string) bool {
		return workflow.GetVersion(ctx, id, workflow.DefaultVersion, 1) != workflow.DefaultVersion
	}
	return decisionVersions{
		carryOut: on(changeDecisionsCarriedOut),
		undo:     on(changeUndoApprovals),
		trust:    on(changeTrustedAutoContain),
		reenter:  on(changeFollowUpReenters),
	}
}

// Engines 2 and 3 are recorded under changeBoundedEngine too (GetVersion's
// maximum rises with each), so that one marker says which engine a run
// follows. Engine 3, reopening handoffs: an alert run's delta handoff
// carries the alert's full first signal beside the delta, which the
// Handoff activity sends instead when the incident is not running (it
// closed while the alert run still counted duplicates). Before, the delta
// started a new incident run that had no alert to open with: it waited a
// day for one and failed, and nobody heard of the duplicates. Engine
// 2, the lean pipeline: what runs in the worker's process is a local
// activity, not a task through the server (the handoff's SignalWithStart,
// related events and login history from socflow's own store, the case
// file's writes), and an incident whose worker has no ticket tracker
// schedules no ticket activity. Measured with `socflow bench` (README,
// "Performance").

// engineVersion returns the engine a run follows: 0 for runs recorded
// before changeBoundedEngine, 1 to 3 after (see above).
func engineVersion(ctx workflow.Context) int {
	if v := workflow.GetVersion(ctx, changeBoundedEngine, workflow.DefaultVersion, 3); v != workflow.DefaultVersion {
		return int(v)
	}
	return 0
}
