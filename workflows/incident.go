package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
)

// Incident holds one case: the alerts routed to the same key, their merged
// context, the escalation ladder and the containment. It runs the routed
// playbook once, then stays open for the routing window to collect
// follow-up alerts (and revert decisions), and closes with an audit record.
// Its state stays bounded however many alerts join (the bulky record goes
// to the case file), and it continues as new in any phase, the ladder and
// a containment included, before Temporal's limits.
func (w *Workflows) Incident(ctx workflow.Context, in IncidentInput) (IncidentResult, error) {
	inc, err := newIncident(ctx, in)
	if err != nil {
		return IncidentResult{}, err
	}
	if err := inc.start(ctx, in); err != nil {
		return IncidentResult{}, err
	}
	for {
		if inc.st.Phase != PhaseSettled {
			if inc.st.Phase == "" {
				if err := inc.open(ctx); err != nil {
					return IncidentResult{}, err
				}
			}
			if err := inc.runPlaybook(ctx, w.Playbooks); err != nil {
				if errors.Is(err, errRollover) {
					return IncidentResult{}, inc.continueAsNew(ctx)
				}
				return IncidentResult{}, err
			}
			inc.settle(ctx)
		}
		err := inc.waitQuiet(ctx)
		if errors.Is(err, errReopen) {
			inc.reenter(ctx)
			continue
		}
		if err != nil {
			return IncidentResult{}, err // includes continue-as-new
		}
		return inc.close(ctx)
	}
}

// errReopen is what waitQuiet returns when a follow-up alert sends a
// settled incident back up the ladder (follow-up-reenters).
var errReopen = errors.New("incident: a follow-up alert re-enters the ladder")

// reenter runs the playbook again for a follow-up alert: a new round of
// steps, whose ladder asks the tier the new score names.
func (inc *incident) reenter(ctx workflow.Context) {
	inc.note(ctx, alert.StageEscalate, "policy", fmt.Sprintf("follow-up alert after the playbook settled as %s: %s; re-entering the ladder", inc.st.Status, inc.reopen))
	inc.reopen = ""
	inc.st.Phase = PhaseResponding
	inc.st.Approvals = nil
	inc.st.Round++
	inc.calls = 0
	if inc.engine >= 1 {
		inc.st.Progress = &PlaybookProgress{}
	}
}

// errRollover is what every Case call returns once the incident has
// decided to continue as new: the playbook unwinds (it must return the
// errors of Case calls), and the new run re-runs it from its progress.
var errRollover = errors.New("incident: continuing as new")

// incident is one Incident run's state and steps. It implements
// playbooks.Case.
type incident struct {
	st     IncidentState
	pol    *policy.Policy
	snap   *activities.PolicyForResult
	engine int
	// decision is the accepted decision not yet acted on.
	decision *alert.Decision
	// triggered is set when the escalation trigger matrix demands IR; the
	// ladder jumps to the last tier when it sees it.
	triggered bool
	// news counts what arrived since the last message to responders.
	news activities.Update
	// lastActivity is when the last alert, decision or containment step
	// happened: the incident stays open for its routing window after it,
	// which leaves time to revert a containment.
	lastActivity time.Time
	received     bool
	// signals counts the signals this run received, against the limit.
	signals int
	// calls counts this run's Case calls, the playbook's position.
	calls int
	// rollingOver is set once the run has decided to continue as new.
	rollingOver bool
	// buf is the case-file batch being gathered; published is what the
	// search attributes were last set to.
	buf           caseBuffer
	published     string
	publishedMemo string
	dirty         bool
	// publishDue is set by publish on engine 2 for the publisher loop;
	// closing makes publish upsert at once (the run is ending).
	publishDue, closing bool
	// v says which decision changes this run follows (versions.go).
	v decisionVersions
	// reopen says why a follow-up alert sends the settled incident back
	// up the ladder ("" when none does).
	reopen string
	// ending is set once the quiet window is over: from then on the
	// validator refuses decisions, which the run could no longer carry
	// out.
	ending bool
	// leaseGen changes when a renewal moves a lease, so that the quiet
	// wait recomputes its deadline.
	leaseGen int
	// notifying counts the notifications under way (notifyWith).
	notifying int
}

// newIncident registers the queries and the decide update before anything
// blocks, so that a decision sent in a run's first task is never refused
// as unknown.
func newIncident(ctx workflow.Context, in IncidentInput) (*incident, error) {
	inc := &incident{st: IncidentState{
		ID:     IncidentWorkflowID(in.Key),
		Key:    in.Key,
		Status: StatusOpen,
		Seen:   map[string]int{},
	}}
	inc.v = readDecisionVersions(ctx)
	// A run resumed from one that did not track trust keeps
	// TrustTracked unset: its earlier alerts are of unknown trust.
	inc.st.TrustTracked = inc.v.trust
	if in.Resume != nil {
		inc.st = *in.Resume
		inc.received = true
		inc.lastActivity = inc.st.UpdatedAt
		if inc.st.Seen == nil {
			inc.st.Seen = map[string]int{}
		}
		if inc.st.News != nil {
			inc.news, inc.st.News = *inc.st.News, nil
		}
		inc.triggered = inc.st.Trigger != ""
	}
	if in.Policy != nil {
		// Carried across continue-as-new: the validator can judge a
		// decision delivered with the run's first task, which the SDK hands
		// to it as soon as the handler is registered.
		inc.snap, inc.pol = in.Policy, &in.Policy.Policy
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (IncidentState, error) { return inc.st, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryTimeline, func() (TimelineResult, error) {
		return TimelineResult{Events: inc.st.Timeline, Total: inc.st.TimelineTotal}, nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryContext, func() (ContextResult, error) {
		return ContextResult{Context: inc.st.Context}, nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, inc.decide, workflow.UpdateHandlerOptions{
		Validator:   inc.validateDecision,
		Description: "approve, deny, escalate, mark false positive or revert",
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAnswer, inc.answer, workflow.UpdateHandlerOptions{
		Validator:   inc.validateAnswer,
		Description: "answer a playbook's question",
	}); err != nil {
		return nil, err
	}
	return inc, nil
}

// start reads the policy (or takes the one carried across continue-as-new)
// and starts the loops that take signals, tell responders what is new and
// write the case file.
func (inc *incident) start(ctx workflow.Context, in IncidentInput) error {
	inc.engine = engineVersion(ctx)
	if inc.engine == 0 {
		pol, err := loadPolicy(ctx)
		if err != nil {
			return err
		}
		inc.pol = pol
	} else {
		snap := in.Policy
		if snap == nil {
			var p *activities.Policy
			var res activities.PolicyForResult
			err := workflow.ExecuteLocalActivity(policyOptions(ctx), p.PolicyFor, activities.PolicyForInput{Workflow: activities.PolicyForIncident}).Get(ctx, &res)
			if err != nil {
				return fmt.Errorf("load policy: %w", err)
			}
			snap = &res
		}
		inc.snap, inc.pol = snap, &snap.Policy
		inc.st.PolicyVersion = snap.Version
		if inc.st.Engine == 0 && in.Resume != nil {
			inc.adoptEngine0State()
		}
		inc.st.Engine = inc.engine
		if inc.st.CaseID == "" {
			info := workflow.GetInfo(ctx)
			inc.st.CaseID = info.FirstRunID
			if inc.st.CaseID == "" { // the SDK's test environment sets none
				inc.st.CaseID = info.WorkflowExecution.RunID
			}
		}
		if inc.st.Unflushed != nil {
			inc.buf.retry, inc.st.Unflushed = inc.st.Unflushed, nil
		}
	}
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s IncidentAlertSignal
			ch.Receive(ctx, &s)
			inc.signals++
			inc.merge(ctx, s)
		}
	})
	attempts := workflow.GetSignalChannel(ctx, SignalAttempt)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var a AttemptSignal
			attempts.Receive(ctx, &a)
			inc.signals++
			inc.attempt(ctx, a)
		}
	})
	workflow.Go(ctx, inc.sendUpdates)
	if inc.engine >= 1 {
		workflow.Go(ctx, inc.writeCaseFile)
	}
	if inc.engine >= 2 {
		workflow.Go(ctx, inc.publisher)
	}
	if inc.v.sla {
		workflow.Go(ctx, inc.watchSLA)
	}
	return nil
}

// adoptEngine0State bounds a state carried over from the first engine.
func (inc *incident) adoptEngine0State() {
	inc.st.AlertCount = len(inc.st.Alerts)
	for _, r := range inc.st.Alerts {
		inc.st.Rules = appendCapped(inc.st.Rules, r.Rule, MaxEntities, nil)
	}
	for src, seq := range inc.st.Seen {
		if inc.st.Sources == nil {
			inc.st.Sources = map[string]SourceMark{}
		}
		inc.st.Sources[sourceKey(src)] = SourceMark{Seq: seq, At: inc.st.UpdatedAt.Unix()}
	}
	inc.st.Seen = map[string]int{}
	inc.st.TimelineTotal = len(inc.st.Timeline)
	inc.buf.addTimeline(0, inc.st.Timeline)
	inc.trimState()
}

// attempt records a refused decision.
func (inc *incident) attempt(ctx workflow.Context, a AttemptSignal) {
	inc.acknowledge(ctx, a.By)
	inc.note(ctx, alert.StageDecide, a.By, fmt.Sprintf("refused %s via %s: %s", a.Verdict, orNone(a.Via), a.Reason))
}

// sendUpdates tells responders about alerts that join an incident they
// already know of. Up to the overflow threshold each burst of new alerts
// gets its own update (after a short pause that batches a burst); past it,
// one summary per summary interval, so that a storm does not become a
// storm of messages.
func (inc *incident) sendUpdates(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return inc.st.NotifyRef != "" && (inc.news.NewAlerts > 0 || inc.news.NewOccurrences > 0) && !inc.rollingOver
		}); err != nil {
			return
		}
		pause := 5 * time.Second
		summarise := inc.alertCount() > inc.pol.Triage.IncidentOverflow
		if summarise {
			pause = inc.pol.Triage.SummaryInterval
		}
		if err := sleep(ctx, pause, "batch new alerts for an update"); err != nil {
			return
		}
		if inc.rollingOver {
			continue
		}
		u := inc.news
		u.Summarised = summarise
		inc.news = activities.Update{}
		inc.notifyWith(ctx, activities.NotifyUpdate, func(c *activities.IncidentCard) { c.Update = &u })
	}
}

// open waits for the first alert and announces the incident.
func (inc *incident) open(ctx workflow.Context) error {
	if inc.engine >= 2 {
		// The signal that started the run is delivered with its first
		// task, before the receiving loop has run: take it now.
		inc.drainSignals(ctx)
	}
	ok, err := awaitFirst(ctx, inc.engine, func() bool { return inc.received })
	if err != nil {
		return err
	}
	if !ok {
		return temporal.NewNonRetryableApplicationError("no alert arrived: incidents are started by RespondToAlert", "NoAlert", nil)
	}
	inc.st.Phase = PhaseResponding
	inc.note(ctx, alert.StageRoute, "socflow", fmt.Sprintf("incident opened by routing rule %q (group by %s), playbook %s",
		inc.st.Route.Rule, inc.st.Route.GroupBy, inc.st.Playbook))
	inc.publish(ctx)
	return nil
}

// runPlaybook runs the routed playbook. A playbook bug must not lose the
// case: its error is recorded and the incident escalates for a human.
func (inc *incident) runPlaybook(ctx workflow.Context, reg *playbooks.Registry) error {
	pb, ok := reg.Get(inc.st.Playbook)
	v := inc.st.PlaybookVersion
	if ok && v == 0 {
		// The version a new incident starts on is recorded (a marker per
		// playbook whose number is the version), so that its history
		// replays on that version after a later one is registered; a
		// history recorded before the marker ran version 1.
		got := workflow.GetVersion(ctx, changePlaybookVersion+pb.Name, workflow.DefaultVersion, workflow.Version(pb.Version))
		v = max(int(got), 1)
	}
	if ok && v != 0 && v != pb.Version {
		if pinned, found := reg.GetVersion(inc.st.Playbook, v); found {
			pb = pinned
		} else {
			inc.note(ctx, alert.StagePlaybook, "socflow", fmt.Sprintf("playbook %s version %d is no longer registered; running version %d", pb.Name, v, pb.Version))
		}
	}
	if !ok {
		if inc.st.Progress == nil || inc.st.Progress.Steps == 0 && inc.st.Progress.Ladder == nil {
			inc.note(ctx, alert.StageRoute, "socflow", fmt.Sprintf("playbook %q is not registered; using standard", inc.st.Playbook))
		}
		pb, _ = reg.Get("standard")
	}
	if pb.Run == nil {
		return temporal.NewNonRetryableApplicationError("no playbook available", "NoPlaybook", nil)
	}
	if inc.engine >= 1 && inc.st.Progress == nil {
		inc.st.Progress = &PlaybookProgress{}
	}
	inc.st.PlaybookVersion = pb.Version
	err := pb.Run(ctx, inc)
	if inc.rollingOver {
		return errRollover
	}
	if err != nil {
		if temporal.IsCanceledError(err) {
			return err
		}
		inc.note(ctx, alert.StagePlaybook, "socflow", "playbook "+pb.Name+" failed: "+err.Error())
	}
	return nil
}

// settle marks the playbook finished.
func (inc *incident) settle(ctx workflow.Context) {
	inc.st.Phase = PhaseSettled
	inc.st.Progress = nil
	if inc.v.carryOut {
		// Approvals the ladder left pending (a tier that timed out
		// waiting for a second approver) approve nothing any more.
		inc.st.Approvals = nil
	}
	inc.lastActivity = workflow.Now(ctx)
	inc.publish(ctx)
}

// waitQuiet keeps the incident open until no alert has arrived for the
// routing window and no decision is being handled, continuing as new when
// the history grows long.
func (inc *incident) waitQuiet(ctx workflow.Context) error {
	for {
		window := inc.st.Route.Window
		if window <= 0 {
			window = time.Hour
		}
		deadline := inc.lastActivity.Add(window)
		summary := "incident quiet window"
		lease := time.Time{}
		if inc.v.verified {
			// A containment with a lease keeps the incident open until the
			// lease runs out: nobody else would undo it.
			if lease = inc.nextLeaseEvent(); !lease.IsZero() && (lease.Before(deadline) || !workflow.Now(ctx).Before(deadline)) {
				deadline, summary = lease, "containment lease"
			}
		}
		wait := deadline.Sub(workflow.Now(ctx))
		if wait > 0 {
			last, gen := inc.lastActivity, inc.leaseGen
			_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
				Timeout:      wait,
				TimerOptions: workflow.TimerOptions{Summary: summary},
			}, func() bool {
				return inc.lastActivity != last || inc.decision != nil || inc.reopen != "" || (inc.engine >= 1 && inc.rolloverDue(ctx)) || inc.leaseGen != gen
			})
			if err != nil {
				return err
			}
		}
		if !lease.IsZero() && !workflow.Now(ctx).Before(inc.nextLeaseEvent()) && inc.decision == nil {
			inc.runLeases(ctx)
			continue
		}
		if inc.reopen != "" && inc.decision == nil {
			return errReopen
		}
		if inc.decision != nil {
			if err := inc.applyLateDecision(ctx); err != nil {
				return err
			}
			continue
		}
		if !workflow.Now(ctx).Before(inc.lastActivity.Add(window)) && !(inc.v.verified && inc.leased()) {
			if !inc.v.carryOut {
				return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
			}
			// Refuse new decisions, then carry out any accepted while the
			// window ended: it reopens the window.
			inc.ending = true
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			if inc.decision == nil && inc.reopen == "" {
				return nil
			}
			inc.ending = false
			continue
		}
		if inc.engine >= 1 {
			if inc.rolloverDue(ctx) {
				return inc.continueAsNew(ctx)
			}
			continue
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			inc.drainSignals(ctx)
			st := inc.st
			return workflow.NewContinueAsNewError(ctx, IncidentType, IncidentInput{Key: inc.st.Key, Resume: &st})
		}
	}
}

// rolloverDue reports whether the run should continue as new.
func (inc *incident) rolloverDue(ctx workflow.Context) bool {
	return inc.rollingOver || rolloverDue(ctx, inc.snap.Limits, inc.signals)
}

// continueAsNew carries the incident into a new run: after every handler
// has finished, with every delivered signal applied, the case file written
// (or its batch carried), and what responders have not been told yet.
func (inc *incident) continueAsNew(ctx workflow.Context) error {
	inc.rollingOver = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	inc.drainSignals(ctx)
	inc.flushCaseFile(ctx)
	inc.drainSignals(ctx)
	st := inc.st
	st.Unflushed = inc.buf.takeAll(inc)
	if inc.news.NewAlerts > 0 || inc.news.NewOccurrences > 0 {
		n := inc.news
		st.News = &n
	}
	inc.flushPublish(ctx)
	workflow.GetLogger(ctx).Info("incident continues as new", "incident", inc.st.ID,
		"history_events", workflow.GetInfo(ctx).GetCurrentHistoryLength(), "signals", inc.signals)
	return workflow.NewContinueAsNewError(ctx, IncidentType, IncidentInput{Key: inc.st.Key, Resume: &st, Policy: inc.snap})
}

// applyLateDecision handles a decision that arrives after the playbook:
// only an undo of the containment (revert, or false positive once
// contained) is accepted then; the validator refuses the rest.
func (inc *incident) applyLateDecision(ctx workflow.Context) error {
	d := *inc.decision
	inc.decision = nil
	if d.Verdict == alert.VerdictRevert || (inc.v.carryOut && d.Verdict == alert.VerdictFalsePositive) {
		inc.revert(ctx, d)
	}
	inc.lastActivity = workflow.Now(ctx)
	return nil
}

// close writes the audit record and ends the run.
func (inc *incident) close(ctx workflow.Context) (IncidentResult, error) {
	inc.closing, inc.ending = true, true
	inc.flushPublish(ctx)
	inc.drainSignals(ctx)
	inc.st.ClosedAt = workflow.Now(ctx)
	if inc.v.milestones {
		inc.st.Milestones.Closed = inc.st.ClosedAt
	}
	switch inc.st.Status {
	case StatusAwaiting, StatusOpen, StatusContaining:
		inc.st.Status = StatusClosed
	}
	inc.note(ctx, alert.StageClose, "socflow", fmt.Sprintf("closed as %s after %s quiet", inc.st.Status, inc.st.Route.Window))
	inc.notify(ctx, activities.NotifyClosed)
	inc.publish(ctx)
	if inc.engine >= 1 {
		inc.rollingOver = true // the loops stop; the case file is written here
		inc.flushCaseFile(ctx)
		if rest := inc.buf.takeAll(inc); rest != nil {
			inc.st.Errors = appendCapped(inc.st.Errors, "case file: last batch not written; the audit record holds it", MaxEntities, nil)
			inc.st.Unflushed = rest
		}
	}

	record, err := json.Marshal(inc.st)
	if err != nil {
		return IncidentResult{}, fmt.Errorf("encode audit record: %w", err)
	}
	var rec *activities.Record
	if err := workflow.ExecuteActivity(auditOptions(ctx), rec.WriteAudit, activities.WriteAuditInput{
		IncidentID: inc.st.ID, Record: record,
	}).Get(ctx, nil); err != nil {
		// The history remains the record; say so rather than fail the case.
		workflow.GetLogger(ctx).Error("audit record not written", "error", err)
	}
	return IncidentResult{
		Status:   inc.st.Status,
		Priority: string(inc.st.Score.Priority),
		Alerts:   inc.alertCount(),
		Metrics:  inc.st.Metrics,
	}, nil
}

// drainSignals applies signals already delivered but not yet received, so
// that none is lost when the run ends or continues as new. Each counts
// against the run's signal limit like one the receiving loops take: on
// engine 2 the run's first signal comes this way. (Counting here changes
// no earlier engine's commands: they drain only once the run is ending.)
func (inc *incident) drainSignals(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	for {
		var s IncidentAlertSignal
		if !ch.ReceiveAsync(&s) {
			break
		}
		inc.signals++
		inc.merge(ctx, s)
	}
	if inc.engine == 0 {
		return
	}
	attempts := workflow.GetSignalChannel(ctx, SignalAttempt)
	for {
		var a AttemptSignal
		if !attempts.ReceiveAsync(&a) {
			return
		}
		inc.signals++
		inc.attempt(ctx, a)
	}
}

// note appends a line about the case itself to the timeline.
func (inc *incident) note(ctx workflow.Context, stage alert.Stage, actor, msg string) {
	inc.addTimeline(alert.TimelineEvent{At: workflow.Now(ctx), Stage: stage, Actor: actor, Message: msg}, true)
}

// addTimeline appends a line. On the current engine every line goes to the
// case file and only lines about the case (inState) stay in the state,
// the latest MaxTimeline of them: a storm's thousands of per-alert lines
// must neither grow the state nor push the escalation steps out of it.
func (inc *incident) addTimeline(e alert.TimelineEvent, inState bool) {
	inc.st.TimelineTotal++
	if inc.engine == 0 {
		inc.st.Timeline = append(inc.st.Timeline, e)
		return
	}
	inc.buf.addTimeline(inc.st.TimelineTotal-1, []alert.TimelineEvent{e})
	if inState {
		inc.st.Timeline = append(inc.st.Timeline, e)
		if n := len(inc.st.Timeline); n > MaxTimeline {
			inc.st.Timeline = append([]alert.TimelineEvent(nil), inc.st.Timeline[n-MaxTimeline:]...)
		}
	}
}

func (inc *incident) alertCount() int {
	if inc.engine == 0 {
		return len(inc.st.Alerts)
	}
	return inc.st.AlertCount
}
