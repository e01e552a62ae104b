package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// publish sets the search attributes and memo the UI and `incident list`
// read. Engine 1 upserts only what changed: every upsert is a history
// event. Engine 2 also upserts at most once per workflow task: publish
// marks the incident due and the publisher loop, which runs once the rest
// of the task's code has blocked, upserts the last values (each upsert is
// a visibility write on the server, the costliest step of a new incident
// in the bench's profile).
func (inc *incident) publish(ctx workflow.Context) {
	if inc.engine >= 2 && !inc.closing {
		inc.publishDue = true
		return
	}
	inc.publishNow(ctx)
}

// publisher is engine 2's loop that upserts what publish marked due.
func (inc *incident) publisher(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return inc.publishDue }); err != nil {
			return
		}
		inc.publishDue = false
		inc.publishNow(ctx)
	}
}

// flushPublish upserts now what is due, before the run completes or
// continues as new (the loop would not run again).
func (inc *incident) flushPublish(ctx workflow.Context) {
	if inc.publishDue {
		inc.publishDue = false
		inc.publishNow(ctx)
	}
}

func (inc *incident) publishNow(ctx workflow.Context) {
	inc.dirty = false
	// The Temporal UI's current details (state only: no command, no
	// event), refreshed with everything else a list reads.
	workflow.SetCurrentDetails(ctx, inc.currentDetails(ctx))
	upd := []temporal.SearchAttributeUpdate{
		SAStatus.ValueSet(inc.st.Status),
		SAPlaybook.ValueSet(inc.st.Playbook),
		SADrill.ValueSet(inc.st.Drill),
	}
	key := fmt.Sprint(inc.st.Status, "|", inc.st.Playbook, "|", inc.st.Drill, "|", inc.st.Score.Priority, "|", inc.st.Score.Value, "|", inc.st.Tier)
	if inc.v.playbookSA && inc.snap != nil && inc.snap.PlaybookVersionSA && inc.st.Playbook != "" {
		upd = append(upd, SAPlaybookVersion.ValueSet(int64(max(inc.st.PlaybookVersion, 1))))
		key += fmt.Sprint("|v", inc.st.PlaybookVersion)
	}
	if inc.st.Score.Priority != "" {
		upd = append(upd, SAPriority.ValueSet(string(inc.st.Score.Priority)), SAScore.ValueSet(int64(inc.st.Score.Value)))
	}
	if inc.st.Tier != "" {
		upd = append(upd, SATier.ValueSet(inc.st.Tier))
	}
	if len(inc.st.Hosts) > 0 {
		upd = append(upd, SAHost.ValueSet(inc.st.Hosts[0]))
		key += "|" + inc.st.Hosts[0]
	}
	if len(inc.st.Users) > 0 {
		upd = append(upd, SAUser.ValueSet(inc.st.Users[0]))
		key += "|" + inc.st.Users[0]
	}
	if rule := inc.firstRule(); rule != "" {
		upd = append(upd, SARule.ValueSet(rule))
		key += "|" + rule
	}
	memo := fmt.Sprint(inc.st.Title, "|", inc.alertCount())
	if inc.v.sla {
		// The list's SLA column: a memo changes only when a deadline is
		// set or met, a few times in an incident's life.
		memo += fmt.Sprint("|", inc.slaMemo())
	}
	if inc.engine == 0 || key != inc.published {
		if err := workflow.UpsertTypedSearchAttributes(ctx, upd...); err != nil {
			workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
		}
		inc.published = key
	}
	if inc.engine == 0 || memo != inc.publishedMemo {
		inc.upsertMemo(ctx)
		inc.publishedMemo = memo
	}
}

func (inc *incident) upsertMemo(ctx workflow.Context) {
	memo := map[string]any{MemoTitle: inc.st.Title, MemoAlerts: inc.alertCount()}
	if inc.v.sla {
		memo[MemoSLA] = inc.slaMemo()
	}
	if err := workflow.UpsertMemo(ctx, memo); err != nil {
		workflow.GetLogger(ctx).Warn("memo not updated", "error", err)
	}
}

// currentDetails is what the Temporal UI shows of the incident now.
func (inc *incident) currentDetails(ctx workflow.Context) string {
	c := activities.IncidentCard{Status: inc.st.Status, Tier: inc.st.Tier, Channel: inc.channel(inc.st.Tier), Score: inc.st.Score,
		Alerts: inc.alertCount(), Occurrences: inc.st.Occurrences, Drill: inc.st.Drill}
	return alert.CurrentDetails(c, inc.st.Milestones.ForStatus(inc.st.Status), workflow.Now(ctx))
}

// channel is where the policy's tier gets its messages ("" for none).
func (inc *incident) channel(tier string) string {
	if t := inc.pol.Tier(tier); t != nil {
		return t.Channel
	}
	return ""
}

// slaMemo is the memo's SLA field (MemoSLA).
func (inc *incident) slaMemo() SLAMemo {
	m := inc.st.Milestones
	memo := SLAMemo{Milestones: alert.Milestones{AcknowledgeDue: m.AcknowledgeDue, ContainDue: m.ContainDue, Acknowledged: m.Acknowledged, Contained: m.Contained}}
	if inc.pol != nil {
		memo.DueSoon = inc.pol.SLA.DueSoon
	}
	return memo
}

// firstRule is the rule the incident is listed under: its first alert's.
func (inc *incident) firstRule() string {
	if inc.engine >= 1 {
		if len(inc.st.Rules) > 0 {
			return inc.st.Rules[0]
		}
		return ""
	}
	if len(inc.st.Alerts) > 0 {
		return inc.st.Alerts[0].Rule
	}
	return ""
}

// card renders the incident for a notifier: what it needs, never the
// whole state.
func (inc *incident) card() activities.IncidentCard {
	ch := inc.channel(inc.st.Tier)
	return activities.IncidentCard{
		IncidentID:  inc.st.ID,
		Title:       inc.st.Title,
		Status:      inc.st.Status,
		Tier:        inc.st.Tier,
		Channel:     ch,
		Score:       inc.st.Score,
		Hosts:       inc.st.Hosts,
		Users:       inc.st.Users,
		Alerts:      inc.alertCount(),
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
		if e.Stage == alert.StageEscalate || e.Stage == alert.StageDecide {
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
	inc.notifyWith(ctx, kind, func(*activities.IncidentCard) {})
}

// notifyWith notifies with a card that add completes (what is new, which
// SLA was missed). While it runs, inc.notifying is raised: the SLA watcher
// waits for it, so that two messages never race for the same reference.
func (inc *incident) notifyWith(ctx workflow.Context, kind activities.NotifyKind, add func(*activities.IncidentCard)) {
	inc.notifying++
	defer func() { inc.notifying-- }()
	var n *activities.Notify
	var res activities.NotifyResult
	if kind != activities.NotifyClosed && inc.st.TicketKey == "" && inc.ticketing() {
		// Before the message, so that it links the ticket. The tracker
		// decides whether this priority gets one; a priority raised later,
		// or a ticketing system that was down, gets one at a later message.
		inc.ensureTicket(ctx)
	}
	card := inc.card()
	add(&card)
	if kind != activities.NotifyUpdate {
		// Every full message carries what is new; the update loop need not
		// repeat it.
		inc.news = activities.Update{}
	}
	err := workflow.ExecuteActivity(notifyOptions(ctx, "notify "+string(kind)), n.NotifyIncident, activities.NotifyInput{
		Kind: kind, Card: card, Ref: inc.st.NotifyRef,
	}).Get(ctx, &res)
	if err != nil {
		inc.note(ctx, alert.StageNotify, "socflow", fmt.Sprintf("%s notification failed: %s", kind, errText(err)))
		return
	}
	if res.Ref != "" {
		inc.st.NotifyRef = res.Ref
	}
	if inc.v.milestones && inc.st.Milestones.Notified.IsZero() && kind != activities.NotifyClosed {
		inc.st.Milestones.Notified = workflow.Now(ctx)
	}
	inc.updateTicket(ctx, kind, card)
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
		inc.note(ctx, alert.StageTicket, "socflow", "ticket not opened: "+errText(err))
		return
	}
	if res.Key != "" {
		inc.st.TicketKey, inc.st.TicketURL = res.Key, res.URL
		verb := "found"
		if res.Created {
			verb = "opened"
		}
		inc.note(ctx, alert.StageTicket, "socflow", fmt.Sprintf("%s ticket %s", verb, res.Key))
	}
}

// ticketing reports whether the worker has a ticket tracker. Engine 2 asks
// the policy snapshot and skips the activity when there is none; earlier
// engines always asked the tracker, which answered "no ticket".
func (inc *incident) ticketing() bool {
	return inc.engine < 2 || inc.snap == nil || !inc.snap.NoTracker
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
		inc.note(ctx, alert.StageTicket, "socflow", fmt.Sprintf("ticket %s not updated (%s): %s", inc.st.TicketKey, kind, errText(err)))
	}
}
