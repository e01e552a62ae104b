package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows/enrich"
)

// RespondToAlert is the pipeline for one alert fingerprint:
//
//	ingest -> triage -> correlate -> enrich -> score -> route -> handoff -> absorb duplicates
//
// Intake starts it with SignalWithStart, so the first occurrence and every
// duplicate arrive the same way, as AlertSignals; duplicates become a count
// forwarded to the incident, never a second run. Triage is asked of the
// policy in force again for every batch of duplicates, so a suppression
// that expires or is removed stops applying to a running run.
func (w *Workflows) RespondToAlert(ctx workflow.Context, in RespondToAlertInput) (RespondToAlertResult, error) {
	r, err := newResponder(ctx, in)
	if err != nil {
		return RespondToAlertResult{}, err
	}
	if r.engine = engineVersion(ctx); r.engine == 0 {
		return r.runEngine0(ctx, in)
	}
	if err := r.loadPolicy(ctx, in.Policy); err != nil {
		return RespondToAlertResult{}, err
	}
	if in.Resume == nil {
		if err := r.ingest(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		if err := r.process(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
	}
	return r.absorbDuplicates(ctx)
}

// responder is one RespondToAlert run's state and steps.
type responder struct {
	st AlertState
	// pending counts occurrences received but not yet acted on.
	pending int
	started bool
	// signals counts the signals this run received, against the limit.
	signals int
	engine  int
	pol     *policy.Policy
	plan    activities.EnrichmentPlan
	snap    *activities.PolicyForResult
	// published is what the search attributes were last set to.
	published string
}

// newResponder registers the query and the signal handler before anything
// blocks, so that nothing sent in a run's first task is refused.
func newResponder(ctx workflow.Context, in RespondToAlertInput) (*responder, error) {
	r := &responder{st: AlertState{Fingerprint: in.Fingerprint}}
	if in.Resume != nil {
		r.st, r.started = *in.Resume, true
		r.pending = r.st.Pending
		r.st.Pending = 0
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (AlertState, error) { return r.st, nil }); err != nil {
		return nil, err
	}
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s AlertSignal
			ch.Receive(ctx, &s)
			r.receive(s)
		}
	})
	return r, nil
}

// loadPolicy takes the policy subset carried across continue-as-new, or
// reads it from the worker.
func (r *responder) loadPolicy(ctx workflow.Context, carried *activities.PolicyForResult) error {
	if r.st.Engine == 0 && r.started {
		// State carried over from the first engine: keep only the IDs not
		// yet forwarded.
		r.st.IDs = append([]string(nil), r.st.IDs[min(r.st.IDsForwarded, len(r.st.IDs)):]...)
		r.st.IDsForwarded = 0
	}
	r.st.Engine = r.engine
	snap := carried
	if snap == nil {
		var p *activities.Policy
		var res activities.PolicyForResult
		err := workflow.ExecuteLocalActivity(policyOptions(ctx), p.PolicyFor, activities.PolicyForInput{Workflow: activities.PolicyForAlert}).Get(ctx, &res)
		if err != nil {
			return fmt.Errorf("load policy: %w", err)
		}
		snap = &res
	}
	r.snap, r.pol, r.plan = snap, &snap.Policy, snap.Enrichment
	return nil
}

// receive takes one (possibly merged) occurrence signal.
func (r *responder) receive(s AlertSignal) {
	r.signals++
	n := max(s.Count, 1)
	if !r.started {
		r.started = true
		r.st.Alert = s.Alert
		r.st.FirstSeen = s.ReceivedAt
	} else {
		r.pending += n
	}
	r.st.Occurrences += n
	ids := s.IDs
	if len(ids) == 0 && s.Alert.ID != "" {
		ids = []string{s.Alert.ID}
	}
	limit := maxRunIDs
	if r.engine >= 1 {
		limit = maxPendingIDs
	}
	room := max(limit-len(r.st.IDs), 0)
	r.st.IDs = append(r.st.IDs, ids[:min(room, len(ids))]...)
	if r.engine >= 1 {
		r.st.IDsOmitted += len(ids) - min(room, len(ids))
	}
	if s.Alert.Time.After(r.st.LastAlertTime) {
		r.st.LastAlertTime = s.Alert.Time
	}
	if s.ReceivedAt.After(r.st.LastSeen) {
		r.st.LastSeen = s.ReceivedAt
	}
}

// ingest waits for the first occurrence. SignalWithStart delivers it in the
// run's first workflow task, so this never waits in practice; a run started
// some other way waits a day for it and then ends.
func (r *responder) ingest(ctx workflow.Context) error {
	ok, err := awaitFirst(ctx, r.engine, func() bool { return r.started })
	if err != nil {
		return err
	}
	if !ok {
		return temporal.NewNonRetryableApplicationError("no alert arrived: start alert runs with SignalWithStart", "NoAlert", nil)
	}
	return nil
}

// awaitFirst waits a day for a run's first signal. SignalWithStart
// delivers it with the run's first task, so engine 2 starts no timer when
// it is there already (a timer is a server task and two history events,
// and this one would only be cancelled).
func awaitFirst(ctx workflow.Context, engine int, arrived func() bool) (bool, error) {
	if engine >= 2 && arrived() {
		return true, nil
	}
	return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      24 * time.Hour,
		TimerOptions: workflow.TimerOptions{Summary: "await first alert"},
	}, arrived)
}

// process takes the alert through the pipeline as far as the policy in
// force lets it: suppressed, a correlation input only, or enriched, scored
// and handed to its incident. It runs for the first occurrence, and again
// for each batch while the alert is suppressed.
func (r *responder) process(ctx workflow.Context) error {
	tri, err := r.triage(ctx)
	if err != nil {
		return err
	}
	if s := tri.Suppression; s != nil {
		r.st.Disposition = DispositionSuppressed
		r.st.Suppression = fmt.Sprintf("%s: %s (until %s)", s.Name, s.Reason, s.Expires.Format(time.DateOnly))
		r.st.SuppressedUntil = s.Expires
		r.publish(ctx)
		workflow.GetLogger(ctx).Info("alert suppressed", "fingerprint", r.st.Fingerprint, "rule", s.Name)
		return nil
	}
	if r.st.Disposition == DispositionSuppressed {
		r.st.Disposition, r.st.Suppression, r.st.SuppressedUntil = "", "", time.Time{}
	}
	r.st.Correlations = tri.Memberships
	if err := r.feed(ctx, r.st.LastAlertTime); err != nil {
		return err
	}
	if tri.FeedsOnly {
		r.st.Disposition = DispositionCorrelationInput
		r.publish(ctx)
		return nil
	}
	r.enrich(ctx, r.plan)
	r.score(r.pol)
	r.route(r.pol)
	if err := r.forward(ctx); err != nil {
		return err
	}
	r.publish(ctx)
	return nil
}

// triage asks the worker, which holds the detection and correlation rules,
// how the policy in force treats the alert now.
func (r *responder) triage(ctx workflow.Context) (activities.TriageAlertResult, error) {
	var p *activities.Policy
	var res activities.TriageAlertResult
	err := workflow.ExecuteLocalActivity(policyOptions(ctx), p.TriageAlert, activities.TriageAlertInput{
		Alert: r.st.Alert, At: workflow.Now(ctx),
	}).Get(ctx, &res)
	if err != nil {
		return res, fmt.Errorf("triage: %w", err)
	}
	r.st.PolicyVersion = res.Version
	return res, nil
}

// feed tells the correlation windows about the occurrences they have not
// heard of yet.
func (r *responder) feed(ctx workflow.Context, at time.Time) error {
	n := r.st.Occurrences - r.st.Fed
	if len(r.st.Correlations) == 0 || n <= 0 {
		return nil
	}
	if at.IsZero() {
		at = r.st.Alert.Time
	}
	r.st.Seq++
	if err := r.feedCorrelations(ctx, n, at); err != nil {
		return err
	}
	r.st.Fed += n
	return nil
}

// enrich runs the plan's sources (workflows/enrich) in parallel, each
// with its own timeout and retries. A source that fails or times out
// becomes a named gap in the packet; it never fails the alert. In-memory
// lookups (intel index, inventory) are local activities, remote sources
// activities, and sources in socflow's own store local activities from
// engine 2 on.
func (r *responder) enrich(ctx workflow.Context, plan activities.EnrichmentPlan) {
	pkt := &r.st.Context
	pkt.Hashes = r.st.Alert.Hashes()
	timeout := plan.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	lctx := enrichLocalOptions(ctx)
	in := enrich.NewInput(&r.st.Alert, plan)
	in.Local = func(fn, arg any) workflow.Future { return workflow.ExecuteLocalActivity(lctx, fn, arg) }
	in.Remote = func(summary string, fn, arg any) workflow.Future {
		return workflow.ExecuteActivity(enrichRemoteOptions(ctx, timeout, summary), fn, arg)
	}
	in.Store = func(summary string, fn, arg any) workflow.Future {
		if r.engine >= 2 {
			return workflow.ExecuteLocalActivity(enrichStoreOptions(ctx, timeout), fn, arg)
		}
		return in.Remote(summary, fn, arg)
	}
	enrich.Run(ctx, in, enrich.For(plan), pkt, errText)
	r.st.EnrichedAt = workflow.Now(ctx)
}

// score applies the scoring schema.
func (r *responder) score(pol *policy.Policy) {
	r.st.Score = pol.Score(&r.st.Alert, &r.st.Context, r.st.Occurrences)
}

// route picks the incident and the playbook.
func (r *responder) route(pol *policy.Policy) {
	r.st.Route = pol.Route(&r.st.Alert, r.st.Fingerprint)
	r.st.IncidentID = IncidentWorkflowID(r.st.Route.Key)
}

// forward hands the occurrences not yet forwarded to the incident,
// starting it if it is not running. The first signal carries the alert and
// its packet; later ones are deltas (count, IDs, score). A signal carries
// at most maxIDsPerSignal IDs, so a backlog goes as several. The incident
// deduplicates by (source, seq), so the activity's retries cannot count an
// occurrence twice.
func (r *responder) forward(ctx workflow.Context) error {
	for first := true; first || len(r.st.IDs) > 0; first = false {
		info := workflow.GetInfo(ctx)
		count := r.st.Occurrences - r.st.Forwarded
		ids := r.st.IDs[:min(len(r.st.IDs), maxIDsPerSignal)]
		if !first && count == 0 && len(ids) == 0 {
			break
		}
		r.st.Seq++
		sig := IncidentAlertSignal{
			Source:     info.WorkflowExecution.ID + "/" + info.FirstRunID,
			Seq:        r.st.Seq,
			Count:      count,
			IDs:        append([]string(nil), ids...),
			Total:      r.st.Forwarded + count,
			Score:      r.st.Score,
			Route:      r.st.Route,
			ReceivedAt: r.st.FirstSeen,
			EnrichedAt: r.st.EnrichedAt,
			SentAt:     workflow.Now(ctx),
		}
		var reopen any
		a, pkt := r.st.Alert, r.st.Context
		if r.st.Disposition != DispositionHandedOff {
			sig.Alert, sig.Context, sig.First = &a, &pkt, true
		} else if r.engine >= 3 {
			// Should the incident have closed, the delta would start a run
			// with no alert to open with: the new case gets the alert.
			full := sig
			full.Alert, full.Context, full.First = &a, &pkt, true
			reopen = full
		}
		meta := alert.IncidentMetadata(r.st.Route.Key, r.st.Alert, r.st.Score)
		if err := signalWithStart(ctx, r.engine >= 2, r.st.IncidentID, IncidentType, IncidentInput{Key: r.st.Route.Key}, sig, reopen, meta); err != nil {
			// Temporal refused it for good, or an hour of retries ran out:
			// say why in the run's status, then fail the run (visible as
			// failed in the UI and in `incident list` of alert runs).
			r.st.Error = "handoff to " + r.st.IncidentID + ": " + errText(err)
			r.st.Disposition = DispositionFailed
			r.publish(ctx)
			return err
		}
		r.st.Forwarded += count
		r.st.IDs = r.st.IDs[len(ids):]
		r.st.Disposition = DispositionHandedOff
	}
	return nil
}

// absorbDuplicates keeps the run open while duplicates arrive, acting on
// them in batches, and ends after a dedupe window with none (or when the
// suppression that held the alert expires). It continues as new before
// the run's history or signal count nears Temporal's limits.
func (r *responder) absorbDuplicates(ctx workflow.Context) (RespondToAlertResult, error) {
	window := r.pol.Triage.DedupeWindow
	if window <= 0 {
		window = 10 * time.Minute
	}
	for {
		wait := window
		if until := r.st.SuppressedUntil; r.st.Disposition == DispositionSuppressed && !until.IsZero() {
			wait = min(wait, max(until.Sub(workflow.Now(ctx)), time.Second))
		}
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      wait,
			TimerOptions: workflow.TimerOptions{Summary: "dedupe window"},
		}, func() bool { return r.pending > 0 || r.behind() })
		if err != nil {
			return RespondToAlertResult{}, err
		}
		if !ok && r.pending == 0 && !r.behind() {
			if r.suppressionLapsed(ctx) {
				// The suppression ended with no new occurrence: this run is
				// done; the next occurrence starts a run of its own, which
				// the policy then judges afresh.
				r.st.Suppression += "; expired"
				r.st.SuppressedUntil = time.Time{}
			}
			r.drain(ctx)
			if r.pending == 0 {
				break
			}
			continue
		}
		// Let a burst settle so that one signal reports many occurrences.
		if err := sleep(ctx, forwardDelay, "let a burst of duplicates settle"); err != nil {
			return RespondToAlertResult{}, err
		}
		r.drain(ctx)
		r.pending = 0
		if err := r.batch(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		r.publish(ctx)
		if r.rolloverDue(ctx) {
			return RespondToAlertResult{}, r.continueAsNew(ctx)
		}
	}
	return r.result(), nil
}

// behind reports occurrences counted but not yet forwarded (some arrived
// while the handoff ran).
func (r *responder) behind() bool {
	return r.st.Disposition == DispositionHandedOff && r.st.Occurrences > r.st.Forwarded
}

func (r *responder) suppressionLapsed(ctx workflow.Context) bool {
	return r.st.Disposition == DispositionSuppressed && !r.st.SuppressedUntil.IsZero() &&
		!workflow.Now(ctx).Before(r.st.SuppressedUntil)
}

// batch acts on the occurrences that arrived since the last batch.
func (r *responder) batch(ctx workflow.Context) error {
	switch r.st.Disposition {
	case DispositionSuppressed:
		return r.process(ctx)
	case DispositionHandedOff:
		if r.st.Occurrences > r.st.Forwarded || len(r.st.IDs) > 0 {
			r.st.Score = r.pol.Score(&r.st.Alert, &r.st.Context, r.st.Occurrences)
			if err := r.forward(ctx); err != nil {
				return err
			}
		}
		return r.feed(ctx, r.st.LastAlertTime)
	case DispositionCorrelationInput:
		return r.feed(ctx, r.st.LastAlertTime)
	}
	return nil
}

// drain applies the signals delivered but not yet received, so that none
// is lost when the run ends or continues as new.
func (r *responder) drain(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	for {
		var s AlertSignal
		if !ch.ReceiveAsync(&s) {
			return
		}
		r.receive(s)
	}
}

// rolloverDue reports whether the run should continue as new: when
// Temporal suggests it, or before the history or the signals reach the
// limits at which Temporal would terminate the run.
func (r *responder) rolloverDue(ctx workflow.Context) bool {
	return rolloverDue(ctx, r.snap.Limits, r.signals)
}

func rolloverDue(ctx workflow.Context, l activities.Limits, signals int) bool {
	l = l.WithDefaults()
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= l.Events || signals >= l.Signals
}

// continueAsNew carries the whole state, pending count included, into a
// new run, after every handler has finished and every signal is in.
func (r *responder) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	r.drain(ctx)
	st := r.st
	st.Pending = r.pending
	return workflow.NewContinueAsNewError(ctx, RespondToAlertType,
		RespondToAlertInput{Fingerprint: r.st.Fingerprint, Resume: &st, Policy: r.snap})
}

func (r *responder) result() RespondToAlertResult {
	return RespondToAlertResult{
		Disposition: r.st.Disposition,
		Suppression: r.st.Suppression,
		IncidentID:  r.st.IncidentID,
		Occurrences: r.st.Occurrences,
		Priority:    string(r.st.Score.Priority),
	}
}

// forwardDelay batches duplicate occurrences before they are forwarded.
const forwardDelay = 2 * time.Second

// maxRunIDs bounds the source IDs a first-engine alert run keeps.
const maxRunIDs = 50000

// maxPendingIDs bounds the source IDs an alert run holds before it
// forwards them (the count stays exact beyond it), and maxIDsPerSignal the
// IDs one handoff carries: with IDs of at most 255 bytes (intake's bound)
// the state stays under 600 KB and a signal under 300 KB even at worst.
const (
	maxPendingIDs   = 2000
	maxIDsPerSignal = 1000
)

// publish sets the run's search attributes so that the Temporal UI and
// `incident list` can filter on them. The current engine upserts only
// when a value changed: an upsert is a history event.
func (r *responder) publish(ctx workflow.Context) {
	a := &r.st.Alert
	status := r.st.Disposition
	if status == "" {
		status = "processing"
	}
	upd := []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(status),
		SARule.ValueSet(a.Rule),
		SADrill.ValueSet(a.Drill),
	}
	key := fmt.Sprint(status, "|", r.st.Score.Priority, "|", r.st.Score.Value)
	if r.st.Score.Priority != "" {
		upd = append(upd, SAPriority.ValueSet(string(r.st.Score.Priority)), SAScore.ValueSet(int64(r.st.Score.Value)))
	}
	if h := a.PrimaryHost(); h != "" {
		upd = append(upd, SAHost.ValueSet(h))
	}
	if u := a.PrimaryUser(); u != "" {
		upd = append(upd, SAUser.ValueSet(u))
	}
	if r.engine >= 1 {
		if key == r.published {
			return
		}
		r.published = key
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}
