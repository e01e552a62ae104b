package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
func (w *Workflows) Incident(ctx workflow.Context, in IncidentInput) (IncidentResult, error) {
	inc, err := newIncident(ctx, in)
	if err != nil {
		return IncidentResult{}, err
	}
	if inc.st.Phase != PhaseSettled {
		if err := inc.open(ctx); err != nil {
			return IncidentResult{}, err
		}
		if err := inc.runPlaybook(ctx, w.Playbooks); err != nil {
			return IncidentResult{}, err
		}
		inc.settle(ctx)
	}
	if err := inc.waitQuiet(ctx); err != nil {
		return IncidentResult{}, err // includes continue-as-new
	}
	return inc.close(ctx)
}

// incident is one Incident run's state and steps. It implements
// playbooks.Case.
type incident struct {
	st  IncidentState
	pol *policy.Policy
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
}

func newIncident(ctx workflow.Context, in IncidentInput) (*incident, error) {
	inc := &incident{st: IncidentState{
		ID:     IncidentWorkflowID(in.Key),
		Key:    in.Key,
		Status: StatusOpen,
		Seen:   map[string]int{},
	}}
	if in.Resume != nil {
		inc.st = *in.Resume
		inc.received = true
		inc.lastActivity = inc.st.UpdatedAt
		if inc.st.Seen == nil {
			inc.st.Seen = map[string]int{}
		}
	}
	pol, err := loadPolicy(ctx)
	if err != nil {
		return nil, err
	}
	inc.pol = pol

	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (IncidentState, error) { return inc.st, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryTimeline, func() (TimelineResult, error) {
		return TimelineResult{Events: inc.st.Timeline}, nil
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
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s IncidentAlertSignal
			ch.Receive(ctx, &s)
			inc.merge(ctx, s)
		}
	})
	attempts := workflow.GetSignalChannel(ctx, SignalAttempt)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var a AttemptSignal
			attempts.Receive(ctx, &a)
			inc.note(ctx, "decide", a.By, fmt.Sprintf("refused %s via %s: %s", a.Verdict, orNone(a.Via), a.Reason))
		}
	})
	workflow.Go(ctx, inc.sendUpdates)
	return inc, nil
}

// sendUpdates tells responders about alerts that join an incident they
// already know of. Up to the overflow threshold each burst of new alerts
// gets its own update (after a short pause that batches a burst); past it,
// one summary per summary interval, so that a storm does not become a
// storm of messages.
func (inc *incident) sendUpdates(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return inc.st.NotifyRef != "" && (inc.news.NewAlerts > 0 || inc.news.NewOccurrences > 0)
		}); err != nil {
			return
		}
		pause := 5 * time.Second
		summarise := len(inc.st.Alerts) > inc.pol.Triage.IncidentOverflow
		if summarise {
			pause = inc.pol.Triage.SummaryInterval
		}
		if err := workflow.Sleep(ctx, pause); err != nil {
			return
		}
		u := inc.news
		u.Summarised = summarise
		inc.news = activities.Update{}
		inc.notifyWith(ctx, activities.NotifyUpdate, &u)
	}
}

// open waits for the first alert and announces the incident.
func (inc *incident) open(ctx workflow.Context) error {
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      24 * time.Hour,
		TimerOptions: workflow.TimerOptions{Summary: "await first alert"},
	}, func() bool { return inc.received })
	if err != nil {
		return err
	}
	if !ok {
		return temporal.NewNonRetryableApplicationError("no alert arrived: incidents are started by RespondToAlert", "NoAlert", nil)
	}
	inc.st.Phase = PhaseResponding
	inc.note(ctx, "route", "socflow", fmt.Sprintf("incident opened by routing rule %q (group by %s), playbook %s",
		inc.st.Route.Rule, inc.st.Route.GroupBy, inc.st.Playbook))
	inc.publish(ctx)
	return nil
}

// runPlaybook runs the routed playbook. A playbook bug must not lose the
// case: its error is recorded and the incident escalates for a human.
func (inc *incident) runPlaybook(ctx workflow.Context, reg *playbooks.Registry) error {
	pb, ok := reg.Get(inc.st.Playbook)
	if !ok {
		inc.note(ctx, "route", "socflow", fmt.Sprintf("playbook %q is not registered; using standard", inc.st.Playbook))
		pb, _ = reg.Get("standard")
	}
	if pb.Run == nil {
		return temporal.NewNonRetryableApplicationError("no playbook available", "NoPlaybook", nil)
	}
	if err := pb.Run(ctx, inc); err != nil {
		if temporal.IsCanceledError(err) {
			return err
		}
		inc.note(ctx, "playbook", "socflow", "playbook "+pb.Name+" failed: "+err.Error())
	}
	return nil
}

// settle marks the playbook finished.
func (inc *incident) settle(ctx workflow.Context) {
	inc.st.Phase = PhaseSettled
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
		wait := deadline.Sub(workflow.Now(ctx))
		if wait > 0 {
			last := inc.lastActivity
			_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
				Timeout:      wait,
				TimerOptions: workflow.TimerOptions{Summary: "incident quiet window"},
			}, func() bool { return inc.lastActivity != last || inc.decision != nil })
			if err != nil {
				return err
			}
		}
		if inc.decision != nil {
			if err := inc.applyLateDecision(ctx); err != nil {
				return err
			}
			continue
		}
		if !workflow.Now(ctx).Before(inc.lastActivity.Add(window)) {
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
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

// applyLateDecision handles a decision that arrives after the playbook:
// only revert is accepted then (the validator refuses the rest).
func (inc *incident) applyLateDecision(ctx workflow.Context) error {
	d := *inc.decision
	inc.decision = nil
	if d.Verdict == alert.VerdictRevert {
		inc.revert(ctx, d)
	}
	inc.lastActivity = workflow.Now(ctx)
	return nil
}

// close writes the audit record and ends the run.
func (inc *incident) close(ctx workflow.Context) (IncidentResult, error) {
	inc.drainSignals(ctx)
	inc.st.ClosedAt = workflow.Now(ctx)
	switch inc.st.Status {
	case StatusAwaiting, StatusOpen, StatusContaining:
		inc.st.Status = StatusClosed
	}
	inc.note(ctx, "close", "socflow", fmt.Sprintf("closed as %s after %s quiet", inc.st.Status, inc.st.Route.Window))
	inc.notify(ctx, activities.NotifyClosed)
	inc.publish(ctx)

	record, err := json.Marshal(inc.st)
	if err != nil {
		return IncidentResult{}, fmt.Errorf("encode audit record: %w", err)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		Summary:             "audit record",
	})
	var rec *activities.Record
	if err := workflow.ExecuteActivity(actx, rec.WriteAudit, activities.WriteAuditInput{
		IncidentID: inc.st.ID, Record: record,
	}).Get(ctx, nil); err != nil {
		// The history remains the record; say so rather than fail the case.
		workflow.GetLogger(ctx).Error("audit record not written", "error", err)
	}
	return IncidentResult{
		Status:   inc.st.Status,
		Priority: string(inc.st.Score.Priority),
		Alerts:   len(inc.st.Alerts),
		Metrics:  inc.st.Metrics,
	}, nil
}

// merge applies one alert signal. Redelivered signals (same source and
// seq) are ignored, so the handoff's retries never double-count.
func (inc *incident) merge(ctx workflow.Context, s IncidentAlertSignal) {
	if last, ok := inc.st.Seen[s.Source]; ok && s.Seq <= last {
		return
	}
	inc.st.Seen[s.Source] = s.Seq
	now := workflow.Now(ctx)
	inc.lastActivity = now
	wfID := s.Source
	if i := strings.LastIndexByte(wfID, '/'); i > 0 {
		wfID = wfID[:i]
	}
	idx := slices.IndexFunc(inc.st.Alerts, func(r AlertRef) bool { return r.WorkflowID == wfID })
	// A signal reports its new occurrences; an alert joining for the first
	// time counts at least once.
	count := max(s.Count, 0)
	if idx < 0 {
		count = max(count, 1)
	}
	inc.st.Occurrences += count
	if idx >= 0 {
		ref := &inc.st.Alerts[idx]
		ref.Occurrences += count
		ref.IDs = appendIDs(ref.IDs, s.IDs)
		inc.news.NewOccurrences += count
		ref.LastSeen = s.SentAt
		ref.Score = s.Score.Value
		inc.note(ctx, "ingest", "socflow", fmt.Sprintf("%d more occurrence(s) of %q (now %d)", count, ref.Title, ref.Occurrences))
	} else {
		a := &s.Alert
		inc.st.Alerts = append(inc.st.Alerts, AlertRef{
			WorkflowID: wfID, AlertID: a.ID, Source: a.Source, Rule: a.Rule, Title: a.Title,
			Severity: a.Severity, Score: s.Score.Value, Occurrences: count, FirstSeen: a.Time, LastSeen: s.SentAt,
			IDs: appendIDs(nil, s.IDs),
		})
		inc.addEntities(a)
		mergeContext(&inc.st.Context, &s.Context)
		inc.news.NewAlerts++
		inc.news.NewOccurrences += count
		if len(inc.news.Titles) < 5 {
			inc.news.Titles = append(inc.news.Titles, a.Title)
		}
		if !inc.received {
			inc.received = true
			inc.st.Title = a.Title
			inc.st.Route = s.Route
			inc.st.Playbook = s.Route.Playbook
			inc.st.OpenedAt = now
			inc.st.Drill = a.Drill
			if !s.ReceivedAt.IsZero() && s.EnrichedAt.After(s.ReceivedAt) {
				inc.st.Metrics.TimeToEnrich = s.EnrichedAt.Sub(s.ReceivedAt)
			}
		} else {
			inc.st.Title = fmt.Sprintf("%d alerts on %s: %s", len(inc.st.Alerts), inc.st.Key, inc.st.Alerts[0].Title)
		}
		inc.pipeline(ctx, s)
	}
	if s.Score.Value > inc.st.Score.Value || inc.st.Score.Priority == "" {
		if inc.st.Score.Priority != "" && s.Score.Priority != inc.st.Score.Priority {
			inc.note(ctx, "score", "socflow", fmt.Sprintf("priority raised from %s to %s (score %d)", inc.st.Score.Priority, s.Score.Priority, s.Score.Value))
		}
		inc.st.Score = s.Score
	}
	if s.Alert.Correlation != "" {
		inc.st.Correlated = true
	}
	inc.st.UpdatedAt = now
	inc.evaluateTriggers(ctx)
	if inc.st.Phase != "" {
		inc.publish(ctx)
	}
}

// evaluateTriggers applies the escalation trigger matrix after every update.
// It fires once per incident: the incident then belongs to IR.
func (inc *incident) evaluateTriggers(ctx workflow.Context) {
	if inc.st.Trigger != "" {
		return
	}
	in := policy.TriggerInput{
		Priority:   inc.st.Score.Priority,
		Correlated: inc.st.Correlated,
		Categories: inc.st.Categories,
		Alerts:     len(inc.st.Alerts),
	}
	if a := inc.st.Context.Asset; a != nil {
		in.AssetTier, in.AssetRole = a.Tier, a.Role
	}
	for _, h := range inc.st.Context.IntelHits {
		in.MaxIntelConfidence = max(in.MaxIntelConfidence, h.Confidence)
	}
	for _, r := range inc.st.Alerts {
		in.Rules = append(in.Rules, r.Rule)
	}
	t := inc.pol.Triggered(in)
	if t == nil {
		return
	}
	inc.st.Trigger = t.Name
	inc.triggered = true
	inc.note(ctx, "escalate", "policy", fmt.Sprintf("escalation trigger %s (%s): %s", t.Name, t.When.Describe(), t.Reason))
}

// pipeline records the alert's own pipeline steps (done in its
// RespondToAlert run) in the incident's timeline, at the times they
// happened, so the timeline tells the whole story from ingest on.
func (inc *incident) pipeline(ctx workflow.Context, s IncidentAlertSignal) {
	a := &s.Alert
	add := func(at time.Time, stage, msg string) {
		if at.IsZero() {
			at = workflow.Now(ctx)
		}
		inc.st.Timeline = append(inc.st.Timeline, alert.TimelineEvent{At: at, Stage: stage, Actor: "socflow", Message: msg, AlertID: a.ID})
	}
	add(s.ReceivedAt, "ingest", fmt.Sprintf("received %q from %s (rule %s, severity %s)", a.Title, a.Source, a.Rule, a.Severity))
	enriched := fmt.Sprintf("context packet: %d intel hit(s)", len(s.Context.IntelHits))
	if s.Context.Asset != nil {
		enriched += fmt.Sprintf(", asset %s tier %d", s.Context.Asset.Name, s.Context.Asset.Tier)
	} else {
		enriched += ", asset unknown"
	}
	for _, g := range s.Context.Gaps {
		enriched += fmt.Sprintf("; gap %s: %s", g.Source, g.Reason)
	}
	if !s.ReceivedAt.IsZero() && s.EnrichedAt.After(s.ReceivedAt) {
		enriched += fmt.Sprintf(" (%s)", s.EnrichedAt.Sub(s.ReceivedAt).Round(time.Millisecond))
	}
	add(s.EnrichedAt, "enrich", enriched)
	add(s.EnrichedAt, "score", fmt.Sprintf("score %d, %s, first tier %s", s.Score.Value, s.Score.Priority, s.Score.Tier))
	add(workflow.Now(ctx), "route", fmt.Sprintf("joined %s (rule %q, group by %s)", inc.st.ID, s.Route.Rule, s.Route.GroupBy))
}

// drainSignals applies signals already delivered but not yet received, so
// that none is lost when the run ends or continues as new.
func (inc *incident) drainSignals(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAlert)
	for {
		var s IncidentAlertSignal
		if !ch.ReceiveAsync(&s) {
			return
		}
		inc.merge(ctx, s)
	}
}

func (inc *incident) addEntities(a *alert.Alert) {
	for _, h := range a.Entities.Hosts {
		inc.st.Hosts = appendUnique(inc.st.Hosts, strings.ToLower(h.Name))
	}
	for _, u := range a.Entities.Users {
		inc.st.Users = appendUnique(inc.st.Users, strings.ToLower(u.Name))
	}
	for _, ip := range a.Entities.IPs {
		switch ip.Direction {
		case alert.DirectionSource:
			inc.st.SourceIPs = appendUnique(inc.st.SourceIPs, ip.Addr)
		case alert.DirectionDestination:
			inc.st.DestinationIPs = appendUnique(inc.st.DestinationIPs, ip.Addr)
		}
	}
	inc.st.Categories = appendUnique(inc.st.Categories, a.Category)
}

func appendIDs(ids, more []string) []string {
	if room := MaxRefIDs - len(ids); room > 0 {
		ids = append(ids, more[:min(room, len(more))]...)
	}
	return ids
}

func appendUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// mergeContext folds an alert's packet into the incident's: the most
// critical asset wins, hits, users, events and gaps accumulate.
func mergeContext(dst, src *alert.ContextPacket) {
	if src.Asset != nil && (dst.Asset == nil || src.Asset.Tier < dst.Asset.Tier) {
		a := *src.Asset
		dst.Asset = &a
	}
	if src.Host != nil && dst.Host == nil {
		h := *src.Host
		dst.Host = &h
	}
	for _, h := range src.Hashes {
		dst.Hashes = appendUnique(dst.Hashes, h)
	}
	for _, h := range src.IntelHits {
		if !slices.ContainsFunc(dst.IntelHits, func(x alert.IntelHit) bool { return x.Indicator == h.Indicator && x.Source == h.Source }) {
			dst.IntelHits = append(dst.IntelHits, h)
		}
	}
	for _, u := range src.Users {
		if !slices.ContainsFunc(dst.Users, func(x alert.UserContext) bool { return x.Name == u.Name }) {
			dst.Users = append(dst.Users, u)
		}
	}
	dst.Related = append(dst.Related, src.Related...)
	for _, g := range src.Gaps {
		if !slices.Contains(dst.Gaps, g) {
			dst.Gaps = append(dst.Gaps, g)
		}
	}
}

// note appends to the timeline.
func (inc *incident) note(ctx workflow.Context, stage, actor, msg string) {
	inc.st.Timeline = append(inc.st.Timeline, alert.TimelineEvent{
		At: workflow.Now(ctx), Stage: stage, Actor: actor, Message: msg,
	})
}

// publish sets the search attributes and memo the UI and `incident list`
// read.
func (inc *incident) publish(ctx workflow.Context) {
	upd := []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(inc.st.Status),
		SAPlaybook.ValueSet(inc.st.Playbook),
		SADrill.ValueSet(inc.st.Drill),
	}
	if inc.st.Score.Priority != "" {
		upd = append(upd, SAPriority.ValueSet(string(inc.st.Score.Priority)), SAScore.ValueSet(int64(inc.st.Score.Value)))
	}
	if inc.st.Tier != "" {
		upd = append(upd, SATier.ValueSet(inc.st.Tier))
	}
	if len(inc.st.Hosts) > 0 {
		upd = append(upd, SAHost.ValueSet(inc.st.Hosts[0]))
	}
	if len(inc.st.Users) > 0 {
		upd = append(upd, SAUser.ValueSet(inc.st.Users[0]))
	}
	if len(inc.st.Alerts) > 0 {
		upd = append(upd, SARule.ValueSet(inc.st.Alerts[0].Rule))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{"title": inc.st.Title, "alerts": len(inc.st.Alerts)}); err != nil {
		workflow.GetLogger(ctx).Warn("memo not updated", "error", err)
	}
}

// card renders the incident for a notifier.
func (inc *incident) card() activities.IncidentCard {
	ch := ""
	if t := inc.pol.Tier(inc.st.Tier); t != nil {
		ch = t.Channel
	}
	return activities.IncidentCard{
		IncidentID:  inc.st.ID,
		Title:       inc.st.Title,
		Status:      inc.st.Status,
		Tier:        inc.st.Tier,
		Channel:     ch,
		Score:       inc.st.Score,
		Hosts:       inc.st.Hosts,
		Users:       inc.st.Users,
		Alerts:      len(inc.st.Alerts),
		Occurrences: inc.st.Occurrences,
		Context:     inc.st.Context,
		Proposed:    inc.st.Proposed,
		History:     inc.st.Decisions,
		Results:     inc.st.Results,
		Drill:       inc.st.Drill,
		TicketKey:   inc.st.TicketKey,
		TicketURL:   inc.st.TicketURL,
		Notes:       inc.handoffNotes(),
	}
}

// handoffNotes are the escalation and decision steps so far (the last
// ten), for the next tier to read.
func (inc *incident) handoffNotes() []string {
	var notes []string
	for _, e := range inc.st.Timeline {
		if e.Stage == "escalate" || e.Stage == "decide" {
			notes = append(notes, fmt.Sprintf("%s %s: %s", e.At.UTC().Format("15:04:05"), e.Actor, e.Message))
		}
	}
	if len(notes) > 10 {
		notes = notes[len(notes)-10:]
	}
	return notes
}

// notify tells the humans. A notifier that keeps failing is recorded in the
// timeline; it does not stop the incident, whose timers still escalate.
func (inc *incident) notify(ctx workflow.Context, kind activities.NotifyKind) {
	inc.notifyWith(ctx, kind, nil)
}

func (inc *incident) notifyWith(ctx workflow.Context, kind activities.NotifyKind, u *activities.Update) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
		Summary: "notify " + string(kind),
	})
	var n *activities.Notify
	var res activities.NotifyResult
	if kind != activities.NotifyClosed && inc.st.TicketKey == "" {
		// Before the message, so that it links the ticket. The tracker
		// decides whether this priority gets one; a priority raised later,
		// or a ticketing system that was down, gets one at a later message.
		inc.ensureTicket(ctx)
	}
	card := inc.card()
	card.Update = u
	if kind != activities.NotifyUpdate {
		// Every full message carries what is new; the update loop need not
		// repeat it.
		inc.news = activities.Update{}
	}
	err := workflow.ExecuteActivity(actx, n.NotifyIncident, activities.NotifyInput{
		Kind: kind, Card: card, Ref: inc.st.NotifyRef,
	}).Get(ctx, &res)
	if err != nil {
		inc.note(ctx, "notify", "socflow", fmt.Sprintf("%s notification failed: %s", kind, errText(err)))
		return
	}
	if res.Ref != "" {
		inc.st.NotifyRef = res.Ref
	}
	inc.updateTicket(ctx, kind, card)
}

func ticketOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// A ticketing system that is down must not hold the message to
		// responders for long: past this, the step is noted and retried
		// at the next message.
		ScheduleToCloseTimeout: 45 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    10,
		},
		Summary: summary,
	})
}

// ensureTicket opens (or finds) the incident's ticket. Creation is
// idempotent in the tracker, and the key is kept in state, so neither a
// retry nor a later escalation opens a second one.
func (inc *incident) ensureTicket(ctx workflow.Context) {
	var t *activities.Ticket
	var res activities.EnsureTicketResult
	project := ""
	if tier := inc.pol.Tier(inc.st.Tier); tier != nil {
		project = tier.TicketProject
	}
	err := workflow.ExecuteActivity(ticketOptions(ctx, "ticket"), t.EnsureTicket, activities.EnsureTicketInput{
		Card: inc.card(), Project: project,
	}).Get(ctx, &res)
	if err != nil {
		inc.note(ctx, "ticket", "socflow", "ticket not opened: "+errText(err))
		return
	}
	if res.Key != "" {
		inc.st.TicketKey, inc.st.TicketURL = res.Key, res.URL
		verb := "found"
		if res.Created {
			verb = "opened"
		}
		inc.note(ctx, "ticket", "socflow", fmt.Sprintf("%s ticket %s", verb, res.Key))
	}
}

// updateTicket records a step on the ticket, if the incident has one.
func (inc *incident) updateTicket(ctx workflow.Context, kind activities.NotifyKind, card activities.IncidentCard) {
	if inc.st.TicketKey == "" {
		return
	}
	var t *activities.Ticket
	err := workflow.ExecuteActivity(ticketOptions(ctx, "ticket "+string(kind)), t.UpdateTicket, activities.UpdateTicketInput{
		Key: inc.st.TicketKey, Kind: kind, Card: card,
	}).Get(ctx, nil)
	if err != nil {
		inc.note(ctx, "ticket", "socflow", fmt.Sprintf("ticket %s not updated (%s): %s", inc.st.TicketKey, kind, errText(err)))
	}
}
