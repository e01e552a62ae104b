package events

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func figures(t *testing.T, s *SQLStore, q FiguresQuery) []CaseFigures {
	t.Helper()
	got, err := s.CaseFigures(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func caseIDs(fs []CaseFigures) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.CaseID)
	}
	return ids
}

// TestCaseFiguresMerge is one incident's batches as the workflow writes
// them: each carries the milestones so far, some none at all, and a stale
// retry of an early batch comes last. The latest priority and tier win; a
// milestone once set is never cleared; a drill stays a drill.
func TestCaseFiguresMerge(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		at := func(d time.Duration) time.Time { return base.Add(d) }
		first := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "run-1/1", Status: "open",
			Priority: "P3", Tier: "T1", Milestones: &alert.Milestones{
				Received: at(-2 * time.Second), Enriched: at(-time.Second), Opened: base,
				AcknowledgeDue: at(15 * time.Minute), ContainDue: at(4 * time.Hour),
			}}
		second := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "run-1/2", Status: "awaiting_decision",
			Priority: "P1", Milestones: &alert.Milestones{Notified: at(3 * time.Second), Acknowledged: at(2 * time.Minute), AcknowledgedBy: "alice",
				// A tighter SLA now the priority rose.
				AcknowledgeDue: at(5 * time.Minute), ContainDue: at(time.Hour)}}
		// Nothing about the figures: they stay as they were.
		third := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "run-1/3", Timeline: lines(0, 1)}
		fourth := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "run-1/4", Status: "contained",
			Tier: "IR", Drill: true, Milestones: &alert.Milestones{Decided: at(10 * time.Minute), DecidedBy: "timeout", Contained: at(12 * time.Minute)}}
		last := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "run-1/5", Status: "closed", ClosedAt: at(time.Hour),
			Priority: "P2", Milestones: &alert.Milestones{Closed: at(time.Hour)}}
		mustAppendCase(t, s, first, second, third, fourth, last, first)

		got := figures(t, s, FiguresQuery{Since: base, Until: base.Add(time.Second)})
		want := []CaseFigures{{
			IncidentID: incident, CaseID: "run-1", OpenedAt: base, ClosedAt: at(time.Hour), Status: "closed",
			Priority: "P2", Tier: "IR", Drill: true, Milestones: alert.Milestones{
				Received: at(-2 * time.Second), Enriched: at(-time.Second), Opened: base, Notified: at(3 * time.Second),
				Acknowledged: at(2 * time.Minute), AcknowledgedBy: "alice", Decided: at(10 * time.Minute), DecidedBy: "timeout",
				Contained: at(12 * time.Minute), Closed: at(time.Hour), AcknowledgeDue: at(5 * time.Minute), ContainDue: at(time.Hour),
			},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("figures after five batches and a retry:\n got %+v\nwant %+v", got, want)
		}
	})
}

// TestCaseFiguresWindow: cases opened in [Since, Until), oldest first,
// drills kept or left out, a case without figures (written before they
// existed, or by a batch that carried none) included with empty ones, and
// pages that continue after their last case.
func TestCaseFiguresWindow(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		day := 24 * time.Hour
		rec := func(id string, opened time.Time, drill bool) CaseRecord {
			return CaseRecord{IncidentID: "incident/" + id, CaseID: id, OpenedAt: opened, Status: "open", Priority: "P2", Tier: "T1", Drill: drill,
				Milestones: &alert.Milestones{Opened: opened}}
		}
		mustAppendCase(t, s,
			rec("before", base.Add(-time.Microsecond), false),
			rec("at-since", base, false),
			rec("drill", base.Add(time.Hour), true),
			rec("tie-b", base.Add(2*time.Hour), false),
			rec("tie-a", base.Add(2*time.Hour), false),
			rec("at-until", base.Add(day), false),
			// No figures at all.
			CaseRecord{IncidentID: "incident/old", CaseID: "old", OpenedAt: base.Add(3 * time.Hour), Timeline: lines(0, 1)},
		)
		q := FiguresQuery{Since: base, Until: base.Add(day)}
		if got, want := caseIDs(figures(t, s, q)), []string{"at-since", "drill", "tie-a", "tie-b", "old"}; !reflect.DeepEqual(got, want) {
			t.Errorf("the window = %v, want %v", got, want)
		}
		yes, no := true, false
		q.Drill = &yes
		if got, want := caseIDs(figures(t, s, q)), []string{"drill"}; !reflect.DeepEqual(got, want) {
			t.Errorf("drills only = %v, want %v", got, want)
		}
		q.Drill = &no
		all := figures(t, s, q)
		if got, want := caseIDs(all), []string{"at-since", "tie-a", "tie-b", "old"}; !reflect.DeepEqual(got, want) {
			t.Errorf("without drills = %v, want %v", got, want)
		}
		old := all[len(all)-1]
		if want := (CaseFigures{IncidentID: "incident/old", CaseID: "old", OpenedAt: base.Add(3 * time.Hour)}); !reflect.DeepEqual(old, want) {
			t.Errorf("a case without figures = %+v, want %+v", old, want)
		}

		// Pages of two, each continuing after the last case of the one
		// before, through the tie at the same opening time.
		var paged []string
		q = FiguresQuery{Since: base, Until: base.Add(day), Limit: 2}
		for range 10 {
			page := figures(t, s, q)
			paged = append(paged, caseIDs(page)...)
			if len(page) < q.Limit {
				break
			}
			q.After = &page[len(page)-1]
		}
		if want := []string{"at-since", "drill", "tie-a", "tie-b", "old"}; !reflect.DeepEqual(paged, want) {
			t.Errorf("paged = %v, want %v", paged, want)
		}
	})
}

func TestCaseFiguresQueryErrors(t *testing.T) {
	s := openSQLite(t, "")
	for _, c := range []struct {
		q    FiguresQuery
		want string
	}{
		{FiguresQuery{Until: base}, "since and until are required"},
		{FiguresQuery{Since: base, Until: base}, "must be before until"},
		{FiguresQuery{Since: base, Until: base.Add(time.Hour), Limit: -1}, "limit must not be negative"},
	} {
		if _, err := s.CaseFigures(context.Background(), c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CaseFigures(%+v) = %v, want an error saying %q", c.q, err, c.want)
		}
	}
	ro := openSQLite(t, "")
	ro.readOnly = true
	if err := ro.AppendCase(context.Background(), CaseRecord{IncidentID: incident, CaseID: "c", OpenedAt: base, Priority: "P1"}); err == nil {
		t.Error("a read-only store wrote figures")
	}
}
