package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// merge applies one alert signal. Redelivered signals (same source and
// seq) are ignored, so the handoff's retries never double-count. A signal
// is an alert's first (it carries the alert and its packet) or a delta.
func (inc *incident) merge(ctx workflow.Context, s IncidentAlertSignal) {
	fresh, known := inc.fresh(ctx, s)
	if !fresh {
		return
	}
	now := workflow.Now(ctx)
	inc.lastActivity = now
	wfID := s.Source
	if i := strings.LastIndexByte(wfID, '/'); i > 0 {
		wfID = wfID[:i]
	}
	idx := slices.IndexFunc(inc.st.Alerts, func(r AlertRef) bool { return r.WorkflowID == wfID })
	joins := idx < 0 && s.Alert != nil
	if inc.engine >= 1 {
		// A first signal joins; so does a full signal from a first-engine
		// alert run (which always carries the alert) never seen before.
		joins = s.Alert != nil && (s.First || (idx < 0 && !known))
	}
	// A signal reports its new occurrences; an alert joining for the first
	// time counts at least once.
	count := max(s.Count, 0)
	if joins {
		count = max(count, 1)
	}
	inc.st.Occurrences += count
	switch {
	case joins:
		inc.join(ctx, s, wfID, count, now)
	case idx >= 0:
		ref := &inc.st.Alerts[idx]
		ref.Occurrences += count
		if inc.engine == 0 {
			ref.IDs = appendIDs(ref.IDs, s.IDs)
		}
		inc.news.NewOccurrences += count
		ref.LastSeen = s.SentAt
		ref.Score = s.Score.Value
		inc.noteAlert(ctx, alert.StageIngest, fmt.Sprintf("%d more occurrence(s) of %q (now %d)", count, ref.Title, ref.Occurrences), ref.AlertID)
		inc.buf.upsertAlert(caseAlert(*ref))
	default:
		// A delta for an alert outside the top alerts kept in state: the
		// case file has its record.
		inc.news.NewOccurrences += count
		inc.buf.upsertAlert(activities.CaseAlert{WorkflowID: wfID, Score: s.Score.Value, Occurrences: s.Total, LastSeen: s.SentAt})
		if count > 0 {
			inc.noteAlert(ctx, alert.StageIngest, fmt.Sprintf("%d more occurrence(s) of %s", count, wfID), "")
		}
	}
	if inc.engine >= 1 && len(s.IDs) > 0 {
		inc.buf.addIDs(inc, wfID, s.IDs)
	}
	prevRank, prevTrigger := inc.st.Score.Priority.Rank(), inc.st.Trigger
	if s.Score.Value > inc.st.Score.Value || inc.st.Score.Priority == "" {
		if inc.st.Score.Priority != "" && s.Score.Priority != inc.st.Score.Priority {
			inc.note(ctx, alert.StageScore, "socflow", fmt.Sprintf("priority raised from %s to %s (score %d)", inc.st.Score.Priority, s.Score.Priority, s.Score.Value))
		}
		inc.st.Score = s.Score
	}
	inc.setDeadlines()
	if s.Alert != nil && s.Alert.Correlation != "" {
		inc.st.Correlated = true
	}
	inc.st.UpdatedAt = now
	inc.evaluateTriggers(ctx)
	if inc.v.reenter && inc.st.Phase == PhaseSettled && !inc.ending && inc.reopen == "" {
		switch {
		case inc.st.Trigger != prevTrigger:
			inc.reopen = "escalation trigger " + inc.st.Trigger
		case inc.st.Score.Priority.Rank() > prevRank:
			inc.reopen = fmt.Sprintf("priority raised to %s (score %d)", inc.st.Score.Priority, inc.st.Score.Value)
		}
	}
	if inc.st.Phase != "" {
		if inc.engine >= 1 {
			// Published by the case-file loop, at most once per batch: an
			// upsert per alert would be a history event per alert.
			inc.dirty = true
		} else {
			inc.publish(ctx)
		}
	}
}

// fresh reports whether the signal is new, and records it; known says
// whether its source was heard of before.
func (inc *incident) fresh(ctx workflow.Context, s IncidentAlertSignal) (fresh, known bool) {
	if inc.engine == 0 {
		last, ok := inc.st.Seen[s.Source]
		if ok && s.Seq <= last {
			return false, true
		}
		inc.st.Seen[s.Source] = s.Seq
		return true, ok
	}
	k := sourceKey(s.Source)
	m, known := inc.st.Sources[k]
	if known && s.Seq <= m.Seq {
		return false, true
	}
	if inc.st.Sources == nil {
		inc.st.Sources = map[string]SourceMark{}
	}
	inc.st.Sources[k] = SourceMark{Seq: s.Seq, At: workflow.Now(ctx).Unix()}
	if len(inc.st.Sources) > MaxSources {
		pruneSources(inc.st.Sources, MaxSources*9/10)
	}
	return true, known
}

// sourceKey shortens an alert run's source ("alert/<fingerprint>/<run>")
// to a fixed 12 characters: a thousand of them must fit the state.
func sourceKey(src string) string {
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:6])
}

// pruneSources drops the least recently heard of sources until keep are
// left. A source dropped and heard of again is accepted as new: only a
// retried handoff older than a thousand other alerts could then count
// twice, which the bound trades for a state that cannot grow.
func pruneSources(m map[string]SourceMark, keep int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := m[keys[i]], m[keys[j]]
		if a.At != b.At {
			return a.At < b.At
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys[:max(len(keys)-keep, 0)] {
		delete(m, k)
	}
}

// join adds an alert that joins the incident for the first time.
func (inc *incident) join(ctx workflow.Context, s IncidentAlertSignal, wfID string, count int, now time.Time) {
	a := s.Alert
	ref := AlertRef{
		WorkflowID: wfID, AlertID: a.ID, Source: a.Source, Rule: a.Rule, Title: a.Title,
		Severity: a.Severity, Score: s.Score.Value, Occurrences: count, FirstSeen: a.Time, LastSeen: s.SentAt,
	}
	if inc.engine == 0 {
		ref.IDs = appendIDs(nil, s.IDs)
		inc.st.Alerts = append(inc.st.Alerts, ref)
	} else {
		inc.st.AlertCount++
		inc.keepTopAlert(ref)
		ca := caseAlert(ref)
		ca.Occurrences = max(s.Total, count)
		inc.buf.upsertAlert(ca)
		inc.st.Rules = appendCapped(inc.st.Rules, a.Rule, MaxEntities, nil)
		for _, t := range a.Techniques {
			inc.st.Techniques = appendCapped(inc.st.Techniques, t, MaxEntities, nil)
		}
	}
	// What playbooks look up and block (a phishing mail's sender domain,
	// URLs and attachments): state only, no command.
	for _, d := range a.Entities.Domains {
		inc.st.Domains = appendCapped(inc.st.Domains, strings.ToLower(d), MaxEntities, nil)
	}
	for _, u := range a.Entities.URLs {
		inc.st.URLs = appendCapped(inc.st.URLs, u, MaxEntities, nil)
	}
	for _, h := range a.Hashes() {
		inc.st.Hashes = appendCapped(inc.st.Hashes, strings.ToLower(h), MaxEntities, nil)
	}
	if inc.v.trust && !a.AutoContainTrusted {
		inc.st.UntrustedAlerts++
		if inc.st.UntrustedBy == "" {
			inc.st.UntrustedBy = a.SubmittedBy
			if inc.st.UntrustedBy == "" {
				inc.st.UntrustedBy = "an unnamed submitter (source " + a.Source + ")"
			}
		}
	}
	inc.addEntities(a)
	pkt := alert.ContextPacket{}
	if s.Context != nil {
		pkt = *s.Context
	}
	inc.mergeContext(&pkt, a.ID)
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
		if inc.v.milestones {
			inc.st.Milestones.Opened, inc.st.Milestones.Received, inc.st.Milestones.Enriched = now, s.ReceivedAt, s.EnrichedAt
		}
	} else {
		first := inc.st.FirstTitle
		if inc.engine == 0 {
			first = inc.st.Alerts[0].Title
		}
		inc.st.Title = fmt.Sprintf("%d alerts on %s: %s", inc.alertCount(), inc.st.Key, first)
	}
	if inc.engine >= 1 && inc.st.FirstTitle == "" {
		inc.st.FirstTitle = a.Title
	}
	inc.pipeline(ctx, s, &pkt)
}

// keepTopAlert keeps the MaxTopAlerts highest-scored alerts in state (the
// earlier first on a tie, so the list is stable).
func (inc *incident) keepTopAlert(ref AlertRef) {
	inc.st.Alerts = append(inc.st.Alerts, ref)
	if len(inc.st.Alerts) <= MaxTopAlerts {
		return
	}
	sort.SliceStable(inc.st.Alerts, func(i, j int) bool { return inc.st.Alerts[i].Score > inc.st.Alerts[j].Score })
	inc.st.Alerts = inc.st.Alerts[:MaxTopAlerts]
	inc.st.Omitted.Alerts = inc.st.AlertCount - MaxTopAlerts
}

func caseAlert(r AlertRef) activities.CaseAlert {
	return activities.CaseAlert{
		WorkflowID: r.WorkflowID, AlertID: r.AlertID, Source: r.Source, Rule: r.Rule, Title: r.Title,
		Severity: r.Severity, Score: r.Score, Occurrences: r.Occurrences, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen,
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
		Alerts:     inc.alertCount(),
	}
	if a := inc.st.Context.Asset; a != nil {
		in.AssetTier, in.AssetRole = a.Tier, a.Role
	}
	for _, h := range inc.st.Context.IntelHits {
		in.MaxIntelConfidence = max(in.MaxIntelConfidence, h.Confidence)
	}
	if inc.engine >= 1 {
		in.Rules = slices.Clone(inc.st.Rules)
	} else {
		for _, r := range inc.st.Alerts {
			in.Rules = append(in.Rules, r.Rule)
		}
	}
	t := inc.pol.Triggered(in)
	if t == nil {
		return
	}
	inc.st.Trigger = t.Name
	inc.triggered = true
	inc.note(ctx, alert.StageEscalate, "policy", fmt.Sprintf("escalation trigger %s (%s): %s", t.Name, t.When.Describe(), t.Reason))
}

// pipeline records the alert's own pipeline steps (done in its
// RespondToAlert run) in the incident's timeline, at the times they
// happened, so the timeline tells the whole story from ingest on.
func (inc *incident) pipeline(ctx workflow.Context, s IncidentAlertSignal, pkt *alert.ContextPacket) {
	a := s.Alert
	add := func(at time.Time, stage alert.Stage, msg string) {
		if at.IsZero() {
			at = workflow.Now(ctx)
		}
		inc.addTimeline(alert.TimelineEvent{At: at, Stage: stage, Actor: "socflow", Message: msg, AlertID: a.ID}, false)
	}
	add(s.ReceivedAt, alert.StageIngest, fmt.Sprintf("received %q from %s (rule %s, severity %s)", a.Title, a.Source, a.Rule, a.Severity))
	enriched := fmt.Sprintf("context packet: %d intel hit(s)", len(pkt.IntelHits))
	if pkt.Asset != nil {
		enriched += fmt.Sprintf(", asset %s tier %d", pkt.Asset.Name, pkt.Asset.Tier)
	} else {
		enriched += ", asset unknown"
	}
	for _, g := range pkt.Gaps {
		enriched += fmt.Sprintf("; gap %s: %s", g.Source, g.Reason)
	}
	if !s.ReceivedAt.IsZero() && s.EnrichedAt.After(s.ReceivedAt) {
		enriched += fmt.Sprintf(" (%s)", s.EnrichedAt.Sub(s.ReceivedAt).Round(time.Millisecond))
	}
	add(s.EnrichedAt, alert.StageEnrich, enriched)
	add(s.EnrichedAt, alert.StageScore, fmt.Sprintf("score %d, %s, first tier %s", s.Score.Value, s.Score.Priority, s.Score.Tier))
	add(workflow.Now(ctx), alert.StageRoute, fmt.Sprintf("joined %s (rule %q, group by %s)", inc.st.ID, s.Route.Rule, s.Route.GroupBy))
}

// noteAlert records a line about one alert: in the state on the first
// engine, in the case file only on the current one.
func (inc *incident) noteAlert(ctx workflow.Context, stage alert.Stage, msg, alertID string) {
	inc.addTimeline(alert.TimelineEvent{At: workflow.Now(ctx), Stage: stage, Actor: "socflow", Message: msg, AlertID: alertID}, false)
}

func (inc *incident) addEntities(a *alert.Alert) {
	o := &inc.st.Omitted
	for _, h := range a.Entities.Hosts {
		name := strings.ToLower(h.Name)
		inc.st.Hosts = inc.appendEntity(inc.st.Hosts, name, &o.Hosts)
		if h.ID != "" && name != "" && !strings.EqualFold(h.ID, name) && slices.Contains(inc.st.Hosts, name) && len(inc.st.HostIDs) < MaxEntities {
			if inc.st.HostIDs == nil {
				inc.st.HostIDs = map[string]string{}
			}
			if _, ok := inc.st.HostIDs[name]; !ok {
				inc.st.HostIDs[name] = h.ID
			}
		}
	}
	for _, u := range a.Entities.Users {
		inc.st.Users = inc.appendEntity(inc.st.Users, strings.ToLower(u.Name), &o.Users)
	}
	for _, ip := range a.Entities.IPs {
		switch ip.Direction {
		case alert.DirectionSource:
			inc.st.SourceIPs = inc.appendEntity(inc.st.SourceIPs, ip.Addr, &o.SourceIPs)
		case alert.DirectionDestination:
			inc.st.DestinationIPs = inc.appendEntity(inc.st.DestinationIPs, ip.Addr, &o.DestinationIPs)
		}
	}
	inc.st.Categories = inc.appendEntity(inc.st.Categories, a.Category, &o.Categories)
}

// appendEntity adds a distinct value, up to MaxEntities on the current
// engine (counting what it leaves out).
func (inc *incident) appendEntity(list []string, v string, omitted *int) []string {
	if inc.engine == 0 {
		return appendCapped(list, v, math.MaxInt, nil)
	}
	return appendCapped(list, v, MaxEntities, omitted)
}

func appendCapped(list []string, v string, limit int, omitted *int) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	if len(list) >= limit {
		if omitted != nil {
			*omitted++
		}
		return list
	}
	return append(list, v)
}

func appendIDs(ids, more []string) []string {
	if room := MaxRefIDs - len(ids); room > 0 {
		ids = append(ids, more[:min(room, len(more))]...)
	}
	return ids
}

// mergeContext folds an alert's packet into the incident's: the most
// critical asset wins, hits, users, events and gaps accumulate (on the
// current engine up to their bounds, related events beyond a handful going
// to the case file only).
func (inc *incident) mergeContext(src *alert.ContextPacket, alertID string) {
	dst := &inc.st.Context
	o := &inc.st.Omitted
	capped := inc.engine >= 1
	room := func(n, limit int, omitted *int) bool {
		if capped && n >= limit {
			*omitted++
			return false
		}
		return true
	}
	if src.Asset != nil && (dst.Asset == nil || src.Asset.Tier < dst.Asset.Tier) {
		a := *src.Asset
		dst.Asset = &a
	}
	if src.Host != nil && dst.Host == nil {
		h := *src.Host
		dst.Host = &h
	}
	for _, h := range src.Hashes {
		if !slices.Contains(dst.Hashes, h) && room(len(dst.Hashes), MaxEntities, &o.Hashes) {
			dst.Hashes = append(dst.Hashes, h)
		}
	}
	for _, h := range src.IntelHits {
		if !slices.ContainsFunc(dst.IntelHits, func(x alert.IntelHit) bool { return x.Indicator == h.Indicator && x.Source == h.Source }) &&
			room(len(dst.IntelHits), MaxEntities, &o.IntelHits) {
			dst.IntelHits = append(dst.IntelHits, h)
		}
	}
	for _, u := range src.Users {
		if !slices.ContainsFunc(dst.Users, func(x alert.UserContext) bool { return x.Name == u.Name }) &&
			room(len(dst.Users), MaxEntities, &o.ContextUsers) {
			dst.Users = append(dst.Users, u)
		}
	}
	if capped {
		if len(src.Related) > 0 {
			inc.buf.addRelated(alertID, src.Related)
		}
		for _, e := range src.Related {
			if room(len(dst.Related), maxRelatedInState, &o.Related) {
				dst.Related = append(dst.Related, e)
			}
		}
	} else {
		dst.Related = append(dst.Related, src.Related...)
	}
	for _, g := range src.Gaps {
		if !slices.Contains(dst.Gaps, g) && room(len(dst.Gaps), maxGapsInState, &o.Gaps) {
			dst.Gaps = append(dst.Gaps, g)
		}
	}
}

// Bounds of the merged packet beyond MaxEntities.
const (
	maxRelatedInState = 20
	maxGapsInState    = 20
)

// trimState applies the current engine's bounds to a state that did not
// have them (one carried over from the first engine).
func (inc *incident) trimState() {
	if n := len(inc.st.Timeline); n > MaxTimeline {
		inc.st.Timeline = append([]alert.TimelineEvent(nil), inc.st.Timeline[n-MaxTimeline:]...)
	}
	if len(inc.st.Alerts) > MaxTopAlerts {
		sort.SliceStable(inc.st.Alerts, func(i, j int) bool { return inc.st.Alerts[i].Score > inc.st.Alerts[j].Score })
		inc.st.Alerts = inc.st.Alerts[:MaxTopAlerts]
		inc.st.Omitted.Alerts = inc.st.AlertCount - MaxTopAlerts
	}
	for i := range inc.st.Alerts {
		inc.st.Alerts[i].IDs = nil
	}
	if len(inc.st.Context.Related) > maxRelatedInState {
		inc.st.Omitted.Related += len(inc.st.Context.Related) - maxRelatedInState
		inc.st.Context.Related = inc.st.Context.Related[:maxRelatedInState]
	}
}
