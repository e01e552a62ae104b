package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// RespondToAlert is the pipeline for one alert fingerprint:
//
//	ingest -> triage -> enrich -> score -> route -> handoff -> absorb duplicates
//
// Intake starts it with SignalWithStart, so the first occurrence and every
// duplicate arrive the same way, as AlertSignals; duplicates become a count
// forwarded to the incident, never a second run.
func (w *Workflows) RespondToAlert(ctx workflow.Context, in RespondToAlertInput) (RespondToAlertResult, error) {
	r, err := newResponder(ctx, in)
	if err != nil {
		return RespondToAlertResult{}, err
	}
	pol, plan, err := loadSnapshot(ctx)
	if err != nil {
		return RespondToAlertResult{}, err
	}
	if in.Resume == nil {
		if err := r.ingest(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		if r.triage(ctx, pol) {
			return r.absorbDuplicates(ctx, pol)
		}
		if err := r.correlate(ctx, pol); err != nil {
			return RespondToAlertResult{}, err
		}
		if r.st.Disposition == DispositionCorrelationInput {
			return r.absorbDuplicates(ctx, pol)
		}
		r.enrich(ctx, plan)
		r.score(pol)
		r.route(pol)
		if err := r.handoff(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		r.publish(ctx)
	}
	return r.absorbDuplicates(ctx, pol)
}

// responder is one RespondToAlert run's state and steps.
type responder struct {
	st AlertState
	// pending counts occurrences received but not yet forwarded.
	pending int
	started bool
}

func newResponder(ctx workflow.Context, in RespondToAlertInput) (*responder, error) {
	r := &responder{st: AlertState{Fingerprint: in.Fingerprint}}
	if in.Resume != nil {
		r.st, r.started = *in.Resume, true
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

// receive takes one (possibly merged) occurrence signal.
func (r *responder) receive(s AlertSignal) {
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
	if room := maxRunIDs - len(r.st.IDs); room > 0 {
		r.st.IDs = append(r.st.IDs, ids[:min(room, len(ids))]...)
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
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      24 * time.Hour,
		TimerOptions: workflow.TimerOptions{Summary: "await first alert"},
	}, func() bool { return r.started })
	if err != nil {
		return err
	}
	if !ok {
		return temporal.NewNonRetryableApplicationError("no alert arrived: start alert runs with SignalWithStart", "NoAlert", nil)
	}
	return nil
}

// triage applies the suppression rules. A suppressed alert is not dropped:
// its run records the rule and keeps counting occurrences.
func (r *responder) triage(ctx workflow.Context, pol *policy.Policy) bool {
	s := pol.Suppressed(&r.st.Alert, workflow.Now(ctx))
	if s == nil {
		return false
	}
	r.st.Disposition = DispositionSuppressed
	r.st.Suppression = fmt.Sprintf("%s: %s (until %s)", s.Name, s.Reason, s.Expires.Format(time.DateOnly))
	r.pending = 0
	r.publish(ctx)
	workflow.GetLogger(ctx).Info("alert suppressed", "fingerprint", r.st.Fingerprint, "rule", s.Name)
	return true
}

// correlate feeds the alert to the correlation windows it belongs to. An
// alert that only feeds correlations (Sigma's generate: false) stops here:
// it is recorded and counted, and makes an incident only through the
// correlated alert its windows raise.
func (r *responder) correlate(ctx workflow.Context, pol *policy.Policy) error {
	r.st.Correlations = pol.Correlations.Memberships(&r.st.Alert)
	if len(r.st.Correlations) == 0 {
		return nil
	}
	if err := r.feed(ctx, r.st.Alert.Time); err != nil {
		return err
	}
	if pol.Correlations.FeedsOnly(&r.st.Alert) {
		r.st.Disposition = DispositionCorrelationInput
		r.publish(ctx)
	}
	return nil
}

// feed tells the correlation windows about the occurrences they have not
// heard of yet.
func (r *responder) feed(ctx workflow.Context, at time.Time) error {
	n := r.st.Occurrences - r.st.Fed
	if len(r.st.Correlations) == 0 || n <= 0 {
		return nil
	}
	r.st.Seq++
	if err := r.feedCorrelations(ctx, n, at); err != nil {
		return err
	}
	r.st.Fed += n
	return nil
}

// enrich runs every configured source in parallel, each with its own
// timeout and retries. A source that fails or times out becomes a named
// gap in the packet; it never fails the alert. In-memory lookups (intel
// index, inventory) are local activities; remote sources are activities.
func (r *responder) enrich(ctx workflow.Context, plan activities.EnrichmentPlan) {
	a := &r.st.Alert
	pkt := &r.st.Context
	pkt.Hashes = a.Hashes()
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 2},
	})
	timeout := plan.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	remote := func(summary string) workflow.Context {
		return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    timeout,
			ScheduleToCloseTimeout: 3 * timeout,
			RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumAttempts: 3},
			Summary:                summary,
		})
	}
	var e *activities.Enrich

	var hosts, hostIPs []string
	for _, h := range a.Entities.Hosts {
		hosts = append(hosts, h.Name)
		hostIPs = append(hostIPs, h.IP...)
	}
	if dst := a.DestinationIP(); len(hosts) == 0 && dst != "" {
		hostIPs = append(hostIPs, dst)
	}
	var users []string
	for _, u := range a.Entities.Users {
		users = append(users, u.Name)
	}
	var ips []string
	for _, ip := range a.Entities.IPs {
		ips = append(ips, ip.Addr)
	}
	assetIn := activities.LookupAssetInput{Hosts: hosts, IPs: hostIPs}
	inds := indicators(a)

	// Each source: its name (the gap's), its future, what to do with it.
	type source struct {
		name  string
		f     workflow.Future
		apply func(workflow.Future) error
	}
	var sources []source
	add := func(name string, f workflow.Future, apply func(workflow.Future) error) {
		sources = append(sources, source{name, f, apply})
	}
	if plan.Intel {
		add("intel", workflow.ExecuteLocalActivity(lctx, e.LookupIntel, activities.LookupIntelInput{Indicators: inds}),
			func(f workflow.Future) error {
				var res activities.LookupIntelResult
				err := f.Get(ctx, &res)
				pkt.IntelHits = append(pkt.IntelHits, res.Hits...)
				return err
			})
	}
	for _, p := range plan.Online {
		if len(inds) == 0 {
			break
		}
		add(p, workflow.ExecuteActivity(remote("intel "+p), e.LookupOnlineIntel, activities.LookupOnlineIntelInput{Provider: p, Indicators: firstN(inds, 10)}),
			func(f workflow.Future) error {
				var res activities.LookupIntelResult
				err := f.Get(ctx, &res)
				pkt.IntelHits = append(pkt.IntelHits, res.Hits...)
				if err == nil && res.Partial != "" {
					err = errors.New(res.Partial)
				}
				return err
			})
	}
	if plan.Assets {
		add("assets", workflow.ExecuteLocalActivity(lctx, e.LookupAsset, assetIn), func(f workflow.Future) error {
			var res activities.LookupAssetResult
			err := f.Get(ctx, &res)
			pkt.Asset = res.Asset
			return err
		})
	}
	if plan.LiveAssets && len(hosts)+len(hostIPs) > 0 {
		add("cmdb", workflow.ExecuteActivity(remote("cmdb"), e.LookupLiveAsset, assetIn), func(f workflow.Future) error {
			var res activities.LookupAssetResult
			err := f.Get(ctx, &res)
			// The static inventory is the site's deliberate record; the
			// live CMDB fills in what it does not know.
			if pkt.Asset == nil {
				pkt.Asset = res.Asset
			}
			return err
		})
	}
	if plan.Users && len(users) > 0 {
		in := activities.AssessUsersInput{Users: users, IP: a.SourceIP(), At: a.Time, Source: a.Source}
		switch strings.ToLower(a.Labels["outcome"]) {
		case "success":
			ok := true
			in.Success = &ok
		case "failure":
			ok := false
			in.Success = &ok
		}
		add("users", workflow.ExecuteActivity(remote("login history"), e.AssessUsers, in), func(f workflow.Future) error {
			var res activities.AssessUsersResult
			err := f.Get(ctx, &res)
			pkt.Users = res.Users
			return err
		})
	}
	if plan.Related {
		window := plan.Window
		if window <= 0 {
			window = 30 * time.Minute
		}
		q := activities.RelatedQuery{Hosts: hosts, Users: users, IPs: ips, Before: a.Time, Window: window, Limit: 20}
		add("events", workflow.ExecuteActivity(remote("related events"), e.FindRelated, q), func(f workflow.Future) error {
			var res activities.FindRelatedResult
			err := f.Get(ctx, &res)
			pkt.Related = res.Events
			return err
		})
	}
	if plan.Hosts && len(hosts) > 0 {
		add("edr", workflow.ExecuteActivity(remote("edr host"), e.DescribeHost, activities.DescribeHostInput{Host: hosts[0]}),
			func(f workflow.Future) error {
				var res activities.DescribeHostResult
				err := f.Get(ctx, &res)
				pkt.Host = res.Host
				return err
			})
	}
	for _, s := range sources {
		if err := s.apply(s.f); err != nil {
			pkt.Gaps = append(pkt.Gaps, alert.Gap{Source: s.name, Reason: errText(err)})
		}
	}
	r.st.EnrichedAt = workflow.Now(ctx)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
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

// handoff delivers the scored alert to its incident, starting the incident
// if it is not running. The incident deduplicates by (source, seq), so the
// activity's retries cannot count an occurrence twice.
func (r *responder) handoff(ctx workflow.Context) error {
	r.st.Seq++
	// Occurrences may arrive while the handoff runs: count and IDs are
	// fixed here, and only what was sent is marked forwarded.
	count := r.st.Occurrences - r.st.Forwarded
	idsEnd := len(r.st.IDs)
	sig := IncidentAlertSignal{
		Source:     workflow.GetInfo(ctx).WorkflowExecution.ID + "/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
		Seq:        r.st.Seq,
		Count:      count,
		IDs:        append([]string(nil), r.st.IDs[min(r.st.IDsForwarded, idsEnd):idsEnd]...),
		Alert:      r.st.Alert,
		Context:    r.st.Context,
		Score:      r.st.Score,
		Route:      r.st.Route,
		ReceivedAt: r.st.FirstSeen,
		EnrichedAt: r.st.EnrichedAt,
		SentAt:     workflow.Now(ctx),
	}
	if err := signalWithStart(ctx, r.st.IncidentID, IncidentType, IncidentInput{Key: r.st.Route.Key}, sig); err != nil {
		return err
	}
	r.st.Forwarded += count
	r.st.IDsForwarded = idsEnd
	r.st.Disposition = DispositionHandedOff
	return nil
}

// absorbDuplicates keeps the run open while duplicates arrive, forwarding
// their count to the incident in batches, and ends after a dedupe window
// with none.
func (r *responder) absorbDuplicates(ctx workflow.Context, pol *policy.Policy) (RespondToAlertResult, error) {
	window := pol.Triage.DedupeWindow
	for {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      window,
			TimerOptions: workflow.TimerOptions{Summary: "dedupe window"},
		}, func() bool { return r.pending > 0 })
		if err != nil {
			return RespondToAlertResult{}, err
		}
		if !ok && r.pending == 0 {
			break
		}
		// Let a burst settle so that one signal reports many occurrences.
		if err := workflow.Sleep(ctx, forwardDelay); err != nil {
			return RespondToAlertResult{}, err
		}
		r.pending = 0
		switch r.st.Disposition {
		case DispositionHandedOff:
			// The occurrences that woke this loop may have gone with the
			// first handoff already (they arrived during enrichment).
			if r.st.Occurrences > r.st.Forwarded {
				r.st.Score = pol.Score(&r.st.Alert, &r.st.Context, r.st.Occurrences)
				if err := r.handoff(ctx); err != nil {
					return RespondToAlertResult{}, err
				}
			}
			if err := r.feed(ctx, r.st.LastAlertTime); err != nil {
				return RespondToAlertResult{}, err
			}
		case DispositionCorrelationInput:
			if err := r.feed(ctx, r.st.LastAlertTime); err != nil {
				return RespondToAlertResult{}, err
			}
		}
		r.publish(ctx)
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			st := r.st
			return RespondToAlertResult{}, workflow.NewContinueAsNewError(ctx, RespondToAlertType,
				RespondToAlertInput{Fingerprint: r.st.Fingerprint, Resume: &st})
		}
	}
	return RespondToAlertResult{
		Disposition: r.st.Disposition,
		Suppression: r.st.Suppression,
		IncidentID:  r.st.IncidentID,
		Occurrences: r.st.Occurrences,
		Priority:    string(r.st.Score.Priority),
	}, nil
}

// forwardDelay batches duplicate occurrences before they are forwarded.
const forwardDelay = 2 * time.Second

// maxRunIDs bounds the source IDs one alert run keeps (a storm of one
// fingerprint); the count stays exact beyond it.
const maxRunIDs = 50000

// publish sets the run's search attributes so that the Temporal UI and
// `incident list` can filter on them.
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
	if r.st.Score.Priority != "" {
		upd = append(upd, SAPriority.ValueSet(string(r.st.Score.Priority)), SAScore.ValueSet(int64(r.st.Score.Value)))
	}
	if h := a.PrimaryHost(); h != "" {
		upd = append(upd, SAHost.ValueSet(h))
	}
	if u := a.PrimaryUser(); u != "" {
		upd = append(upd, SAUser.ValueSet(u))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}

// indicators lists what intel can match on: addresses, domains, URLs and
// hashes.
func indicators(a *alert.Alert) []string {
	var out []string
	for _, ip := range a.Entities.IPs {
		out = append(out, ip.Addr)
	}
	for _, h := range a.Entities.Hosts {
		out = append(out, h.IP...)
	}
	out = append(out, a.Entities.Domains...)
	out = append(out, a.Entities.URLs...)
	return append(out, a.Hashes()...)
}

// loadPolicy reads the policy in force through a local activity, which
// records it in history for deterministic replay.
func loadPolicy(ctx workflow.Context) (*policy.Policy, error) {
	p, _, err := loadSnapshot(ctx)
	return p, err
}

// loadSnapshot reads the policy and the worker's enrichment plan.
func loadSnapshot(ctx workflow.Context) (*policy.Policy, activities.EnrichmentPlan, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
	})
	var p *activities.Policy
	var res activities.GetPolicyResult
	if err := workflow.ExecuteLocalActivity(lctx, p.GetPolicy, activities.GetPolicyInput{}).Get(ctx, &res); err != nil {
		return nil, activities.EnrichmentPlan{}, fmt.Errorf("load policy: %w", err)
	}
	return &res.Policy, res.Enrichment, nil
}
