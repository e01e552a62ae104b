package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// The case file (activities.CaseRecord) takes what an incident's state
// cannot hold: every alert, occurrence ID, related event and timeline
// line. The incident gathers writes in a buffer and a loop writes them in
// batches, so a storm costs one activity every caseFileDelay, not one per
// alert.

// caseFileDelay gathers a batch before it is written.
const caseFileDelay = 2 * time.Second

// maxBufferedIDs bounds the occurrence IDs waiting for the case file (its
// store may be down); past it, IDs are counted in Omitted.IDs.
const maxBufferedIDs = 20000

// caseBuffer is the batch being gathered.
type caseBuffer struct {
	alerts   []activities.CaseAlert
	alertIdx map[string]int
	occ      []activities.CaseOccurrences
	occIdx   map[string]int
	ids      int
	related  []activities.CaseRelated
	timeline []alert.TimelineEvent
	// start is the timeline position of timeline[0].
	start int
	// retry is a batch whose write failed, written again (under the same
	// batch ID) before the next.
	retry *activities.CaseRecord
	// flushing is set while a write is in flight.
	flushing bool
}

func (b *caseBuffer) empty() bool {
	return len(b.alerts) == 0 && len(b.occ) == 0 && len(b.related) == 0 && len(b.timeline) == 0
}

// upsertAlert records an alert's latest figures; several in one batch
// become one write.
func (b *caseBuffer) upsertAlert(a activities.CaseAlert) {
	if b.alertIdx == nil {
		b.alertIdx = map[string]int{}
	}
	if i, ok := b.alertIdx[a.WorkflowID]; ok {
		prev := b.alerts[i]
		a.Occurrences = max(a.Occurrences, prev.Occurrences)
		if a.Title == "" {
			// A delta: keep what the first signal said about the alert.
			a.AlertID, a.Source, a.Rule, a.Title, a.Severity, a.FirstSeen = prev.AlertID, prev.Source, prev.Rule, prev.Title, prev.Severity, prev.FirstSeen
		}
		b.alerts[i] = a
		return
	}
	b.alertIdx[a.WorkflowID] = len(b.alerts)
	b.alerts = append(b.alerts, a)
}

func (b *caseBuffer) addIDs(inc *incident, wfID string, ids []string) {
	room := max(maxBufferedIDs-b.ids, 0)
	if len(ids) > room {
		inc.st.Omitted.IDs += len(ids) - room
		ids = ids[:room]
	}
	if len(ids) == 0 {
		return
	}
	if b.occIdx == nil {
		b.occIdx = map[string]int{}
	}
	b.ids += len(ids)
	if i, ok := b.occIdx[wfID]; ok {
		b.occ[i].IDs = append(b.occ[i].IDs, ids...)
		return
	}
	b.occIdx[wfID] = len(b.occ)
	b.occ = append(b.occ, activities.CaseOccurrences{WorkflowID: wfID, IDs: append([]string(nil), ids...)})
}

func (b *caseBuffer) addRelated(alertID string, evs []alert.RelatedEvent) {
	b.related = append(b.related, activities.CaseRelated{AlertID: alertID, Events: evs})
}

// addTimeline appends lines whose first has position pos.
func (b *caseBuffer) addTimeline(pos int, evs []alert.TimelineEvent) {
	if len(evs) == 0 {
		return
	}
	if len(b.timeline) == 0 {
		b.start = pos
	}
	b.timeline = append(b.timeline, evs...)
}

// take moves the gathered writes into a record.
func (b *caseBuffer) take(inc *incident) *activities.CaseRecord {
	if b.empty() {
		return nil
	}
	rec := &activities.CaseRecord{
		IncidentID: inc.st.ID, CaseID: inc.st.CaseID, OpenedAt: inc.st.OpenedAt,
		Alerts: b.alerts, Occurrences: b.occ, Related: b.related,
		Timeline: b.timeline, TimelineStart: b.start,
	}
	if inc.v.link {
		rec.Status, rec.ClosedAt = inc.st.Status, inc.st.ClosedAt
	}
	// The latest figures ride with every batch (the store keeps the
	// latest): the report reads them without touching Temporal.
	if inc.v.milestones {
		m := inc.st.Milestones
		rec.Priority, rec.Tier, rec.Drill, rec.Milestones = string(inc.st.Score.Priority), inc.st.Tier, inc.st.Drill, &m
	}
	b.alerts, b.alertIdx, b.occ, b.occIdx, b.ids, b.related, b.timeline = nil, nil, nil, nil, 0, nil, nil
	return rec
}

// takeAll returns everything not yet written, the failed batch included,
// as one record (carried across continue-as-new), or nil.
func (b *caseBuffer) takeAll(inc *incident) *activities.CaseRecord {
	rec := b.retry
	b.retry = nil
	next := b.take(inc)
	switch {
	case rec == nil:
		return next
	case next == nil:
		return rec
	}
	// Keep the timeline contiguous: the failed batch's lines come first.
	if len(rec.Timeline) == 0 {
		rec.TimelineStart = next.TimelineStart
	}
	rec.Alerts = append(rec.Alerts, next.Alerts...)
	rec.Occurrences = append(rec.Occurrences, next.Occurrences...)
	rec.Related = append(rec.Related, next.Related...)
	rec.Timeline = append(rec.Timeline, next.Timeline...)
	return rec
}

// writeCaseFile is the loop that writes the case file and, at the same
// cadence, the search attributes changed by merged alerts.
func (inc *incident) writeCaseFile(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool {
			return !inc.rollingOver && (inc.dirty || !inc.buf.empty() || inc.buf.retry != nil)
		}); err != nil {
			return
		}
		// Engine 2 writes a case's first batch at once, in the task that
		// opened it: a new incident then costs no timer and no workflow
		// task for its case file. Later batches gather for caseFileDelay.
		if inc.engine < 2 || inc.st.CaseBatches > 0 {
			if err := sleep(ctx, caseFileDelay, "case file: gather the batch"); err != nil {
				return
			}
		}
		if inc.rollingOver {
			continue
		}
		if inc.dirty {
			inc.publish(ctx)
		}
		inc.writeBatch(ctx)
	}
}

// flushCaseFile writes what is gathered now, after any write in flight.
func (inc *incident) flushCaseFile(ctx workflow.Context) {
	if err := workflow.Await(ctx, func() bool { return !inc.buf.flushing }); err != nil {
		return
	}
	if inc.dirty {
		inc.publish(ctx)
	}
	inc.writeBatch(ctx)
}

// writeBatch writes the failed batch (if any) and then the gathered one. A
// write that fails for good is noted and kept for the next try; nothing is
// dropped.
func (inc *incident) writeBatch(ctx workflow.Context) {
	if inc.buf.flushing {
		return
	}
	inc.buf.flushing = true
	defer func() { inc.buf.flushing = false }()
	if inc.buf.retry != nil {
		if !inc.writeRecord(ctx, inc.buf.retry, false) {
			return
		}
		inc.buf.retry = nil
	}
	if rec := inc.buf.take(inc); rec != nil && !inc.writeRecord(ctx, rec, true) {
		inc.buf.retry = rec
	}
}

// writeRecord writes one batch; a retried batch keeps its ID, so a write
// that did land before its answer was lost is not applied twice.
func (inc *incident) writeRecord(ctx workflow.Context, rec *activities.CaseRecord, first bool) bool {
	if rec.Batch == "" {
		inc.st.CaseBatches++
		rec.Batch = fmt.Sprintf("%s/%d", inc.st.CaseID, inc.st.CaseBatches)
	}
	var cf *activities.CaseFile
	in := activities.RecordCaseInput{Record: *rec, Link: inc.v.link && !inc.st.Linked}
	var res activities.RecordCaseResult
	var err error
	if inc.engine >= 2 {
		err = workflow.ExecuteLocalActivity(caseFileLocalOptions(ctx), cf.RecordCase, in).Get(ctx, &res)
	} else {
		err = workflow.ExecuteActivity(caseFileOptions(ctx), cf.RecordCase, in).Get(ctx, &res)
	}
	if err != nil {
		if first {
			inc.note(ctx, alert.StageCase, "socflow", "case file not written, will retry: "+errText(err))
		}
		return false
	}
	if in.Link && res.Linked {
		inc.link(ctx, res.Previous)
	}
	return true
}

// link records the case file's answer about the key's previous case.
// The line goes to the responders' handoff notes (stage escalate): "this
// host was closed as a false positive yesterday" is what the next tier
// needs first. A run that is closing keeps the link in its state (the
// audit record) without a line the case file could no longer take.
func (inc *incident) link(ctx workflow.Context, prev *activities.CaseLink) {
	inc.st.Linked = true
	if prev == nil {
		return
	}
	inc.st.Previous = prev
	if !inc.closing {
		inc.note(ctx, alert.StageEscalate, "socflow", previousCaseLine(IncidentKey(inc.st.ID), prev))
	}
}

// previousCaseLine is the timeline line naming the previous case.
func previousCaseLine(key string, prev *activities.CaseLink) string {
	how := "its outcome was not recorded"
	switch {
	case !prev.ClosedAt.IsZero():
		how = fmt.Sprintf("closed %s as %s", prev.ClosedAt.UTC().Format(time.RFC3339), prev.Status)
	case prev.Status != "":
		how = "last recorded as " + prev.Status
	}
	return fmt.Sprintf("%s was a case before: %s, opened %s, %s (socflow incident timeline %s --case %s)",
		key, prev.CaseID, prev.OpenedAt.UTC().Format(time.RFC3339), how, key, prev.CaseID)
}
