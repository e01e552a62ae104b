package events

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

const incident = "incident/host:dc01"

// forEachCaseStore runs test against every available store, as
// forEachStore does, with the store's own type for the case methods.
func forEachCaseStore(t *testing.T, test func(t *testing.T, s *SQLStore)) {
	forEachStore(t, func(t *testing.T, s Store) { test(t, s.(*SQLStore)) })
}

// newCase is a case of incident opened at base, with nothing in it.
func newCase(id, batch string) CaseRecord {
	return CaseRecord{IncidentID: incident, CaseID: id, OpenedAt: base, Batch: batch}
}

func mustAppendCase(t testing.TB, s *SQLStore, recs ...CaseRecord) {
	t.Helper()
	for _, rec := range recs {
		if err := s.AppendCase(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// lines makes n timeline lines, one a second from base, numbered from
// first.
func lines(first, n int) []alert.TimelineEvent {
	out := make([]alert.TimelineEvent, n)
	for i := range out {
		out[i] = alert.TimelineEvent{At: base.Add(time.Duration(first+i) * time.Second), Stage: "triage", Actor: "socflow", Message: fmt.Sprintf("line %d", first+i)}
	}
	return out
}

// readAll follows a listing's cursors to its end, checking that every
// page but the last is full and that every page reports the same total.
func readAll[T any](t *testing.T, limit int, read func(cursor string) (CasePage[T], error)) ([]T, int) {
	t.Helper()
	var all []T
	cur, total := "", -1
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("the listing does not end")
		}
		p, err := read(cur)
		if err != nil {
			t.Fatal(err)
		}
		if total >= 0 && p.Total != total {
			t.Errorf("page %d reports total %d, the first %d", pages, p.Total, total)
		}
		total = p.Total
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, total
		}
		if len(p.Items) != limit {
			t.Errorf("page %d has %d items and a next cursor, want %d", pages, len(p.Items), limit)
		}
		cur = p.Next
	}
}

// messages are the lines' texts, each checked to sit at the position
// lines gave it.
func messages(t *testing.T, evs []CaseLine) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, e := range evs {
		if want := fmt.Sprintf("line %d", e.Position); strings.HasPrefix(e.Message, "line ") && e.Message != want {
			t.Errorf("%q at position %d", e.Message, e.Position)
		}
		out[i] = e.Message
	}
	return out
}

// lineTexts are the texts lines(first, n) makes.
func lineTexts(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("line %d", first+i)
	}
	return out
}

func TestCaseRoundTrip(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		cet := time.FixedZone("CET", 3600)
		rec := CaseRecord{
			IncidentID: incident, CaseID: "run-1", OpenedAt: base.In(cet).Add(999 * time.Nanosecond), Batch: "run-1/1",
			Alerts: []CaseAlert{{
				WorkflowID: "alert/suricata-1", AlertID: "a-1", Source: "suricata", Rule: "r1",
				// Alert text is the attacker's: a NUL byte must not make
				// PostgreSQL refuse the batch for ever.
				Title: "Inbound SMB\x00 to dc01 \xff", Severity: alert.SeverityHigh, Score: 90, Occurrences: 3,
				FirstSeen: base.In(cet), LastSeen: base.Add(time.Minute + 1500*time.Nanosecond),
			}},
			Occurrences: []CaseOccurrences{{WorkflowID: "alert/suricata-1", IDs: []string{"e-3", "e-1", "", "e-2", "e-1"}}},
			Related: []CaseRelated{{AlertID: "a-1", Events: []alert.RelatedEvent{
				{Time: base.Add(-time.Minute), Kind: KindProcessStart, Summary: "process_start powershell.exe on dc01"},
				{Time: base.Add(-2 * time.Minute).In(cet), Kind: KindDNS, Summary: "dns evil.example\x00"},
			}}},
			Timeline: []alert.TimelineEvent{
				{At: base, Stage: "ingest", Actor: "socflow", Message: "alert received", AlertID: "a-1"},
				{At: base.Add(time.Second).In(cet), Stage: "route", Actor: "socflow", Message: "P1 \x00to IR"},
			},
		}
		mustAppendCase(t, s, rec)
		q := CaseQuery{IncidentID: incident}
		ctx := context.Background()

		tl, err := s.CaseTimeline(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		wantTL := []CaseLine{
			{0, alert.TimelineEvent{At: base, Stage: "ingest", Actor: "socflow", Message: "alert received", AlertID: "a-1"}},
			{1, alert.TimelineEvent{At: base.Add(time.Second), Stage: "route", Actor: "socflow", Message: "P1 \uFFFDto IR"}},
		}
		if tl.CaseID != "run-1" || tl.Total != 2 || tl.Next != "" || !reflect.DeepEqual(tl.Items, wantTL) {
			t.Errorf("timeline = %+v\nwant items %+v", tl, wantTL)
		}

		al, err := s.CaseAlerts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		wantAlert := CaseAlert{
			WorkflowID: "alert/suricata-1", AlertID: "a-1", Source: "suricata", Rule: "r1",
			Title: "Inbound SMB\uFFFD to dc01 \uFFFD", Severity: alert.SeverityHigh, Score: 90, Occurrences: 3,
			FirstSeen: base, LastSeen: base.Add(time.Minute + time.Microsecond),
		}
		if al.Total != 1 || len(al.Items) != 1 || !reflect.DeepEqual(al.Items[0], wantAlert) {
			t.Errorf("alerts = %+v\nwant %+v", al, wantAlert)
		}
		if loc := al.Items[0].FirstSeen.Location(); loc != time.UTC {
			t.Errorf("first_seen in %v, want UTC", loc)
		}

		ids, err := s.CaseOccurrenceIDs(ctx, q, "alert/suricata-1")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"e-3", "e-1", "e-2"}; ids.Total != 3 || !reflect.DeepEqual(ids.Items, want) {
			t.Errorf("ids = %+v, want %v in the order recorded, blanks and repeats dropped", ids, want)
		}

		rel, err := s.CaseRelatedEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		wantRel := []CaseRelatedEvent{
			{AlertID: "a-1", RelatedEvent: alert.RelatedEvent{Time: base.Add(-2 * time.Minute), Kind: KindDNS, Summary: "dns evil.example\uFFFD"}},
			{AlertID: "a-1", RelatedEvent: alert.RelatedEvent{Time: base.Add(-time.Minute), Kind: KindProcessStart, Summary: "process_start powershell.exe on dc01"}},
		}
		if rel.Total != 2 || !reflect.DeepEqual(rel.Items, wantRel) {
			t.Errorf("related = %+v\nwant %+v (oldest first)", rel, wantRel)
		}
	})
}

func TestCaseBatchAppliedOnce(t *testing.T) {
	full := func(batch string, score, occurrences int, msg string) CaseRecord {
		rec := newCase("run-1", batch)
		rec.Alerts = []CaseAlert{{WorkflowID: "alert/a", Title: msg, Score: score, Occurrences: occurrences, FirstSeen: base, LastSeen: base}}
		rec.Occurrences = []CaseOccurrences{{WorkflowID: "alert/a", IDs: []string{"id-1", "id-2"}}}
		rec.Related = []CaseRelated{{AlertID: "a", Events: []alert.RelatedEvent{{Time: base, Kind: KindDNS, Summary: "dns x"}}}}
		rec.Timeline = []alert.TimelineEvent{{At: base, Stage: "ingest", Actor: "socflow", Message: msg}}
		return rec
	}
	tests := []struct {
		name      string
		batches   []CaseRecord
		wantScore int
		wantTitle string
	}{
		{"one batch", []CaseRecord{full("run-1/1", 50, 1, "first")}, 50, "first"},
		{"a batch retried", []CaseRecord{full("run-1/1", 50, 1, "first"), full("run-1/1", 50, 1, "first")}, 50, "first"},
		{
			"an old batch redelivered after a newer one changes nothing",
			[]CaseRecord{full("run-1/1", 50, 1, "first"), full("run-1/2", 80, 2, "second"), full("run-1/1", 50, 1, "first")},
			80, "second",
		},
		{
			// Without a batch name, the keys alone keep rows single; the
			// alert is simply written again.
			"unnamed batches",
			[]CaseRecord{full("", 50, 1, "first"), full("", 60, 1, "again")},
			60, "again",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
				mustAppendCase(t, s, tt.batches...)
				q, ctx := CaseQuery{IncidentID: incident}, context.Background()
				tl, err := s.CaseTimeline(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if tl.Total != 1 || len(tl.Items) != 1 || tl.Items[0].Message != "first" {
					t.Errorf("timeline = %+v, want the one line of the first write", tl)
				}
				al, err := s.CaseAlerts(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if al.Total != 1 || len(al.Items) != 1 || al.Items[0].Score != tt.wantScore || al.Items[0].Title != tt.wantTitle {
					t.Errorf("alerts = %+v, want one with score %d and title %q", al, tt.wantScore, tt.wantTitle)
				}
				ids, err := s.CaseOccurrenceIDs(ctx, q, "alert/a")
				if err != nil {
					t.Fatal(err)
				}
				if ids.Total != 2 || len(ids.Items) != 2 {
					t.Errorf("ids = %+v, want 2", ids)
				}
				rel, err := s.CaseRelatedEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if rel.Total != 1 || len(rel.Items) != 1 {
					t.Errorf("related = %+v, want 1", rel)
				}
			})
		})
	}
}

func TestCaseAlertMerge(t *testing.T) {
	t1, t2, t3 := base, base.Add(time.Minute), base.Add(2*time.Minute)
	tests := []struct {
		name     string
		old, new CaseAlert
		want     CaseAlert
	}{
		{
			"newer write",
			CaseAlert{Title: "old", Score: 40, Occurrences: 1, FirstSeen: t1, LastSeen: t1},
			CaseAlert{Title: "new", Score: 70, Occurrences: 5, FirstSeen: t2, LastSeen: t3},
			CaseAlert{Title: "new", Score: 70, Occurrences: 5, FirstSeen: t1, LastSeen: t3},
		},
		{
			"counts and last seen never go back",
			CaseAlert{Score: 70, Occurrences: 5, FirstSeen: t2, LastSeen: t3},
			CaseAlert{Score: 60, Occurrences: 2, FirstSeen: t1, LastSeen: t2},
			CaseAlert{Score: 60, Occurrences: 5, FirstSeen: t1, LastSeen: t3},
		},
		{
			"an unknown first seen keeps the known one",
			CaseAlert{Score: 10, Occurrences: 1, FirstSeen: t1, LastSeen: t1},
			CaseAlert{Score: 10, Occurrences: 2, LastSeen: t2},
			CaseAlert{Score: 10, Occurrences: 2, FirstSeen: t1, LastSeen: t2},
		},
		{
			// The workflow's deltas carry only the figures.
			"a delta keeps what the first write said",
			CaseAlert{AlertID: "a-1", Source: "suricata", Rule: "r1", Title: "Inbound SMB", Severity: alert.SeverityHigh, Score: 40, Occurrences: 1, FirstSeen: t1, LastSeen: t1},
			CaseAlert{Score: 55, Occurrences: 4, LastSeen: t3},
			CaseAlert{AlertID: "a-1", Source: "suricata", Rule: "r1", Title: "Inbound SMB", Severity: alert.SeverityHigh, Score: 55, Occurrences: 4, FirstSeen: t1, LastSeen: t3},
		},
		{
			"a first seen learnt later",
			CaseAlert{Score: 10, Occurrences: 1, LastSeen: t2},
			CaseAlert{Score: 10, Occurrences: 1, FirstSeen: t1, LastSeen: t2},
			CaseAlert{Score: 10, Occurrences: 1, FirstSeen: t1, LastSeen: t2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
				for i, a := range []CaseAlert{tt.old, tt.new} {
					a.WorkflowID = "alert/a"
					rec := newCase("run-1", fmt.Sprintf("run-1/%d", i))
					rec.Alerts = []CaseAlert{a}
					mustAppendCase(t, s, rec)
				}
				al, err := s.CaseAlerts(context.Background(), CaseQuery{IncidentID: incident})
				if err != nil {
					t.Fatal(err)
				}
				want := tt.want
				want.WorkflowID, want.FirstSeen, want.LastSeen = "alert/a", storedTime(want.FirstSeen), storedTime(want.LastSeen)
				if al.Total != 1 || len(al.Items) != 1 || !reflect.DeepEqual(al.Items[0], want) {
					t.Errorf("merged = %+v\nwant     %+v", al.Items, want)
				}
			})
		})
	}
}

func TestCasePaging(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		// 250 lines in three batches, the last one overlapping the second
		// (a retried batch the workflow re-sliced): nothing twice.
		for _, b := range []struct{ start, n int }{{0, 100}, {100, 120}, {200, 50}} {
			rec := newCase("run-1", fmt.Sprintf("run-1/tl-%d", b.start))
			rec.TimelineStart, rec.Timeline = b.start, lines(b.start, b.n)
			mustAppendCase(t, s, rec)
		}
		for _, limit := range []int{1, 7, 100, 250, 1000} {
			got, total := readAll(t, limit, func(c string) (CasePage[CaseLine], error) {
				return s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Cursor: c, Limit: limit})
			})
			if total != 250 || len(got) != 250 {
				t.Fatalf("limit %d: %d lines, total %d; want 250", limit, len(got), total)
			}
			if !reflect.DeepEqual(messages(t, got), lineTexts(0, 250)) {
				t.Errorf("limit %d: lines out of order: %v", limit, messages(t, got)[:10])
			}
		}
		first, err := s.CaseTimeline(ctx, CaseQuery{IncidentID: incident})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Items) != DefaultCaseLimit || first.Next == "" {
			t.Errorf("default page: %d items, next %q; want %d and a cursor", len(first.Items), first.Next, DefaultCaseLimit)
		}
		if _, err := s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Limit: -1}); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Errorf("negative limit: %v", err)
		}

		// Alerts: ties on score and on first seen cross page boundaries.
		var alerts []CaseAlert
		for i := range 23 {
			alerts = append(alerts, CaseAlert{
				WorkflowID: fmt.Sprintf("alert/%02d", (i*7)%23), Score: []int{90, 50, 50, 10}[i%4],
				FirstSeen: base.Add(time.Duration(i%3) * time.Second), LastSeen: base.Add(time.Hour),
			})
		}
		rec := newCase("run-1", "run-1/alerts")
		rec.Alerts = alerts
		mustAppendCase(t, s, rec)
		got, total := readAll(t, 4, func(c string) (CasePage[CaseAlert], error) {
			return s.CaseAlerts(ctx, CaseQuery{IncidentID: incident, Cursor: c, Limit: 4})
		})
		if total != 23 || len(got) != 23 {
			t.Fatalf("%d alerts, total %d; want 23", len(got), total)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			ordered := a.Score > b.Score || (a.Score == b.Score && (a.FirstSeen.Before(b.FirstSeen) ||
				(a.FirstSeen.Equal(b.FirstSeen) && a.WorkflowID < b.WorkflowID)))
			if !ordered {
				t.Errorf("alerts %d and %d out of order: %+v before %+v", i-1, i, a, b)
			}
		}

		// Occurrence IDs keep the order they arrived in across batches.
		var want []string
		for b := range 3 {
			rec := newCase("run-1", fmt.Sprintf("run-1/ids-%d", b))
			var ids []string
			for i := range 40 {
				ids = append(ids, fmt.Sprintf("z-%d-%d", b, 39-i))
			}
			ids = append(ids, "z-0-39") // seen in the first batch already
			want = append(want, ids[:40]...)
			rec.Occurrences = []CaseOccurrences{{WorkflowID: "alert/00", IDs: ids}, {WorkflowID: "alert/01", IDs: []string{"other"}}}
			mustAppendCase(t, s, rec)
		}
		ids, total := readAll(t, 9, func(c string) (CasePage[string], error) {
			return s.CaseOccurrenceIDs(ctx, CaseQuery{IncidentID: incident, Cursor: c, Limit: 9}, "alert/00")
		})
		if total != 120 || !reflect.DeepEqual(ids, want) {
			t.Errorf("ids (total %d) = %v\nwant %v", total, ids, want)
		}

		// Related events of one time are told apart by their order.
		var evs []alert.RelatedEvent
		for i := range 30 {
			evs = append(evs, alert.RelatedEvent{Time: base.Add(time.Duration(i/4) * time.Second), Kind: KindDNS, Summary: fmt.Sprintf("dns %02d", i)})
		}
		rec = newCase("run-1", "run-1/related")
		rec.Related = []CaseRelated{{AlertID: "a", Events: evs}}
		mustAppendCase(t, s, rec)
		rel, total := readAll(t, 4, func(c string) (CasePage[CaseRelatedEvent], error) {
			return s.CaseRelatedEvents(ctx, CaseQuery{IncidentID: incident, Cursor: c, Limit: 4})
		})
		if total != 30 || len(rel) != 30 {
			t.Fatalf("%d related, total %d; want 30", len(rel), total)
		}
		for i, e := range rel {
			if want := fmt.Sprintf("dns %02d", i); e.Summary != want {
				t.Errorf("related %d = %q, want %q", i, e.Summary, want)
			}
		}
	})
}

func TestCaseLimitBound(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		rec := newCase("run-1", "b")
		rec.Timeline = lines(0, MaxCaseLimit+1)
		mustAppendCase(t, s, rec)
		p, err := s.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident, Limit: MaxCaseLimit * 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != MaxCaseLimit || p.Next == "" || p.Total != MaxCaseLimit+1 {
			t.Errorf("page of %d items (next %q, total %d), want the %d most", len(p.Items), p.Next, p.Total, MaxCaseLimit)
		}
	})
}

func TestCaseSelection(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		// The newer case is written first: readers order by opened_at,
		// not by arrival.
		newer := CaseRecord{IncidentID: incident, CaseID: "run-b", OpenedAt: base.Add(7 * 24 * time.Hour), TimelineStart: 100, Timeline: lines(100, 3)}
		older := CaseRecord{IncidentID: incident, CaseID: "run-a", OpenedAt: base, Timeline: lines(0, 2)}
		other := CaseRecord{IncidentID: "incident/host:prn-01", CaseID: "run-c", OpenedAt: base.Add(30 * 24 * time.Hour), Timeline: lines(0, 1)}
		mustAppendCase(t, s, newer, older, other)

		tests := []struct {
			name      string
			q         CaseQuery
			wantCase  string
			wantTotal int
			wantErr   error
		}{
			{"newest by default", CaseQuery{IncidentID: incident}, "run-b", 3, nil},
			{"an older case by ID", CaseQuery{IncidentID: incident, CaseID: "run-a"}, "run-a", 2, nil},
			{"another incident's case", CaseQuery{IncidentID: incident, CaseID: "run-c"}, "", 0, ErrNoCase},
			{"an unknown case", CaseQuery{IncidentID: incident, CaseID: "run-z"}, "", 0, ErrNoCase},
			{"an incident without a case file", CaseQuery{IncidentID: "incident/host:nowhere"}, "", 0, ErrNoCase},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.CaseTimeline(ctx, tt.q)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					if !strings.Contains(err.Error(), tt.q.IncidentID) {
						t.Errorf("error %q does not name the incident", err)
					}
					return
				}
				if p.CaseID != tt.wantCase || p.Total != tt.wantTotal {
					t.Errorf("page of case %s with total %d, want %s with %d", p.CaseID, p.Total, tt.wantCase, tt.wantTotal)
				}
			})
		}

		// A cursor keeps its listing on its case when a newer one opens.
		first, err := s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		mustAppendCase(t, s, CaseRecord{IncidentID: incident, CaseID: "run-d", OpenedAt: base.Add(14 * 24 * time.Hour), TimelineStart: 500, Timeline: lines(500, 9)})
		rest, err := s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Cursor: first.Next, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rest.CaseID != "run-b" || !reflect.DeepEqual(messages(t, rest.Items), []string{"line 102"}) || rest.Next != "" {
			t.Errorf("second page = %+v, want the last line of run-b", rest)
		}
	})
}

func TestCaseBadCursors(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		for _, rec := range []CaseRecord{
			{IncidentID: incident, CaseID: "run-a", OpenedAt: base, Timeline: lines(0, 3),
				Alerts:      []CaseAlert{{WorkflowID: "alert/a"}, {WorkflowID: "alert/b"}},
				Occurrences: []CaseOccurrences{{WorkflowID: "alert/a", IDs: []string{"1", "2"}}, {WorkflowID: "alert/b", IDs: []string{"3", "4"}}}},
			{IncidentID: "incident/host:other", CaseID: "run-x", OpenedAt: base, Timeline: lines(0, 3)},
		} {
			mustAppendCase(t, s, rec)
		}
		next := func(p CasePage[CaseLine], err error) string {
			t.Helper()
			if err != nil || p.Next == "" {
				t.Fatalf("page %+v, %v; want a next cursor", p, err)
			}
			return p.Next
		}
		timelineCursor := next(s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Limit: 1}))
		otherIncident := next(s.CaseTimeline(ctx, CaseQuery{IncidentID: "incident/host:other", Limit: 1}))
		idsOfA, err := s.CaseOccurrenceIDs(ctx, CaseQuery{IncidentID: incident, Limit: 1}, "alert/a")
		if err != nil || idsOfA.Next == "" {
			t.Fatalf("ids page %+v, %v", idsOfA, err)
		}
		forged := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"timeline","c":"run-a","p":0,"admin":true}`))

		timeline := func(q CaseQuery) error { _, err := s.CaseTimeline(ctx, q); return err }
		alerts := func(q CaseQuery) error { _, err := s.CaseAlerts(ctx, q); return err }
		idsOfB := func(q CaseQuery) error { _, err := s.CaseOccurrenceIDs(ctx, q, "alert/b"); return err }
		tests := []struct {
			name string
			read func(CaseQuery) error
			q    CaseQuery
		}{
			{"not base64", timeline, CaseQuery{Cursor: "%%%"}},
			{"base64 of no JSON", timeline, CaseQuery{Cursor: base64.RawURLEncoding.EncodeToString([]byte("nope"))}},
			{"unknown fields", timeline, CaseQuery{Cursor: forged}},
			{"too long", timeline, CaseQuery{Cursor: strings.Repeat("A", maxCursorBytes+1)}},
			{"a timeline cursor for the alerts", alerts, CaseQuery{Cursor: timelineCursor}},
			{"one alert's ids cursor for another's", idsOfB, CaseQuery{Cursor: idsOfA.Next}},
			{"a cursor of another case than asked", timeline, CaseQuery{Cursor: timelineCursor, CaseID: "run-z"}},
			{"another incident's cursor", timeline, CaseQuery{Cursor: otherIncident}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.IncidentID = incident
				if err := tt.read(tt.q); !errors.Is(err, ErrBadCursor) {
					t.Errorf("error %v, want ErrBadCursor", err)
				}
			})
		}
		// The good cursors work, so the refusals above are about misuse.
		if err := timeline(CaseQuery{IncidentID: incident, Cursor: timelineCursor, CaseID: "run-a"}); err != nil {
			t.Errorf("the timeline cursor with its own case: %v", err)
		}
	})
}

func TestCaseIDsOfUnknownAlert(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		rec := newCase("run-1", "b")
		rec.Alerts = []CaseAlert{{WorkflowID: "alert/quiet"}}
		mustAppendCase(t, s, rec)
		q := CaseQuery{IncidentID: incident}
		p, err := s.CaseOccurrenceIDs(context.Background(), q, "alert/quiet")
		if err != nil || len(p.Items) != 0 || p.Total != 0 || p.Items == nil {
			t.Errorf("ids of an alert without any = %+v, %v; want an empty page", p, err)
		}
		if _, err := s.CaseOccurrenceIDs(context.Background(), q, "alert/unknown"); !errors.Is(err, ErrNoCaseAlert) || !strings.Contains(err.Error(), "alert/unknown") {
			t.Errorf("ids of an unknown alert: %v, want ErrNoCaseAlert naming it", err)
		}
	})
}

func TestCaseInvalidRecords(t *testing.T) {
	valid := func(edit func(r *CaseRecord)) CaseRecord {
		r := newCase("run-1", "")
		r.Timeline = lines(0, 2)
		edit(&r)
		return r
	}
	tests := []struct {
		name string
		rec  CaseRecord
		want string
	}{
		{"no incident", valid(func(r *CaseRecord) { r.IncidentID = "" }), "incident_id"},
		{"no case", valid(func(r *CaseRecord) { r.CaseID = "" }), "case_id"},
		{"no opening time", valid(func(r *CaseRecord) { r.OpenedAt = time.Time{} }), "opened_at"},
		{"negative timeline start", valid(func(r *CaseRecord) { r.TimelineStart = -1 }), "timeline_start"},
		{"alert without workflow ID", valid(func(r *CaseRecord) { r.Alerts = []CaseAlert{{WorkflowID: "alert/a"}, {}} }), "alerts[1]: workflow_id"},
		{"occurrences without workflow ID", valid(func(r *CaseRecord) { r.Occurrences = []CaseOccurrences{{IDs: []string{"x"}}} }), "occurrences[0]: workflow_id"},
		{"a case of another incident", valid(func(r *CaseRecord) { r.CaseID = "taken" }), `belongs to "incident/host:prn-01"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
				mustAppendCase(t, s, CaseRecord{IncidentID: "incident/host:prn-01", CaseID: "taken", OpenedAt: base})
				err := s.AppendCase(context.Background(), tt.rec)
				if !errors.Is(err, ErrInvalidCase) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want ErrInvalidCase about %q", err, tt.want)
				}
				// All or nothing: the valid part of the batch is not kept.
				if p, err := s.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident}); !errors.Is(err, ErrNoCase) {
					t.Errorf("after a refused batch: %+v, %v; want no case file", p, err)
				}
			})
		})
	}
}

// TestCaseReadsUseIndexes asks each database how it runs every listing's
// query: each must read an index in order, never scan the table or sort.
func TestCaseReadsUseIndexes(t *testing.T) {
	queries := map[string]struct {
		sql  string
		args []any
	}{
		"timeline":       {timelineSQL, []any{"c", 5, 100}},
		"alerts first":   {alertsFirstSQL, []any{"c", 100}},
		"alerts after":   {alertsAfterSQL, []any{"c", 50, 50, base, base, "alert/x", 100}},
		"ids":            {idsSQL, []any{"c", "alert/x", 5, 100}},
		"related first":  {relatedFirstSQL, []any{"c", 100}},
		"related after":  {relatedAfterSQL, []any{"c", base, base, 5, 100}},
		"newest case":    {`SELECT case_id FROM socflow_cases WHERE incident_id = ? ORDER BY opened_at DESC, case_id DESC LIMIT 1`, []any{"i"}},
		"a counter":      {`SELECT n FROM socflow_case_counts WHERE case_id = ? AND counter = ?`, []any{"c", "timeline"}},
		"an alert's row": {`SELECT 1 FROM socflow_case_alerts WHERE case_id = ? AND workflow_id = ?`, []any{"c", "alert/x"}},
		"figures":        {figuresSQL, []any{base, base, base, base, "c", -1, -1, 100}},
	}
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		explain := "EXPLAIN QUERY PLAN "
		if s.d.name == "postgres" {
			// An empty table is cheapest to scan, or to fetch and sort: ask
			// for the plan the planner would choose on a big one. A sort
			// it cannot avoid still shows.
			for _, off := range []string{"seqscan", "bitmapscan", "sort"} {
				if _, err := conn.ExecContext(ctx, "SET enable_"+off+" = off"); err != nil {
					t.Fatal(err)
				}
			}
			explain = "EXPLAIN "
		}
		for name, q := range queries {
			t.Run(name, func(t *testing.T) {
				args := make([]any, len(q.args))
				for i, a := range q.args {
					if tm, ok := a.(time.Time); ok {
						a = s.d.timeArg(tm)
					}
					args[i] = a
				}
				rows, err := conn.QueryContext(ctx, s.d.rebind(explain+q.sql), args...)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				var plan []string
				for rows.Next() {
					dest := make([]any, len(cols))
					vals := make([]sql.NullString, len(cols))
					for i := range dest {
						dest[i] = &vals[i]
					}
					if err := rows.Scan(dest...); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, vals[len(vals)-1].String)
				}
				text := strings.Join(plan, "\n")
				bad := []string{"TEMP B-TREE", "Sort", "Seq Scan"}
				if s.d.name == "sqlite" {
					// A SCAN is a full pass unless it walks an index.
					for _, line := range plan {
						if strings.HasPrefix(strings.TrimSpace(line), "SCAN ") && !strings.Contains(line, "INDEX") {
							t.Errorf("full table scan:\n%s", text)
						}
					}
				}
				for _, b := range bad {
					if strings.Contains(text, b) {
						t.Errorf("plan has %q:\n%s", b, text)
					}
				}
				if !strings.Contains(strings.ToLower(text), "index") && !strings.Contains(text, "PRIMARY KEY") {
					t.Errorf("plan uses no index:\n%s", text)
				}
			})
		}
	})
}

func TestCaseMigratesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	d := sqliteDialect()
	for _, stmt := range append(migrations()[0], `CREATE TABLE socflow_events_schema (version INTEGER NOT NULL)`, `INSERT INTO socflow_events_schema VALUES (1)`) {
		if _, err := db.Exec(d.types.Replace(stmt)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO socflow_events (event_time, kind, host) VALUES (?, 'dns', 'h')`, base.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	s := openSQLite(t, path)
	if got := related(t, s, Query{Hosts: []string{"h"}, Before: base}); len(got) != 1 {
		t.Errorf("events after the migration: %d, want 1", len(got))
	}
	mustAppendCase(t, s, CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Timeline: lines(0, 1)})
	if p, err := s.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident}); err != nil || p.Total != 1 {
		t.Errorf("case file after the migration: %+v, %v", p, err)
	}
}

// TestSQLiteReaderBesideWriter is the CLI reading the case file while the
// worker (`socflow dev`) writes it: neither may see "database is locked",
// and the reader sees each batch once it is committed.
func TestSQLiteReaderBesideWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	w := openSQLite(t, path)
	mustAppendCase(t, w, CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: "0", Timeline: lines(0, 10)})
	r, err := OpenSQLiteReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })

	const batches = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*batches)
	wg.Go(func() {
		for b := 1; b <= batches; b++ {
			rec := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: fmt.Sprint(b), TimelineStart: 10 * b, Timeline: lines(10*b, 10)}
			if err := w.AppendCase(context.Background(), rec); err != nil {
				errs <- err
			}
			if _, err := w.Append(context.Background(), []Event{{Time: base, Kind: KindDNS, Host: "h"}}); err != nil {
				errs <- err
			}
		}
	})
	wg.Go(func() {
		last := 0
		for range batches {
			p, err := r.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident, Limit: MaxCaseLimit})
			if err != nil {
				errs <- err
				continue
			}
			// A page and its total come from one snapshot, and batches
			// only add.
			if p.Total != len(p.Items) || p.Total < last || p.Total%10 != 0 {
				errs <- fmt.Errorf("reader saw %d lines with total %d after %d", len(p.Items), p.Total, last)
			}
			last = p.Total
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p, err := r.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident, Limit: MaxCaseLimit})
	if err != nil || p.Total != 10*(batches+1) {
		t.Errorf("reader after the writer finished: total %d, %v; want %d", p.Total, err, 10*(batches+1))
	}

	// The reader refuses to write, before the database would.
	if err := r.AppendCase(context.Background(), newCase("run-2", "")); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("AppendCase on a reader: %v", err)
	}
	if _, err := r.Append(context.Background(), []Event{{Time: base, Kind: KindDNS, Host: "h"}}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Append on a reader: %v", err)
	}
}

func TestOpenReadOnlyErrors(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	s := openSQLite(t, old)
	if _, err := s.db.Exec(`DELETE FROM socflow_events_schema WHERE version > 1`); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "missing.db"), "missing.db"},
		{"in memory", ":memory:", "needs a file"},
		{"not an event store", empty, "no socflow event store here"},
		{"an older schema", old, "older than this socflow's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenReadOnly(tt.path)
			if err == nil {
				r.Close()
				t.Fatal("opened")
			}
			if !strings.HasPrefix(err.Error(), "events: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one about %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a reader created the missing file: %v", err)
	}
}

func TestPostgresReadOnly(t *testing.T) {
	dsn := os.Getenv("SOCFLOW_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set SOCFLOW_TEST_POSTGRES_DSN to test PostgreSQL")
	}
	dsn = postgresSchema(t, dsn)
	if _, err := OpenPostgresReadOnly(dsn); err == nil || !strings.Contains(err.Error(), "no socflow event store here") {
		t.Errorf("a reader of an empty database: %v", err)
	}
	w, err := OpenPostgres(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	mustAppendCase(t, w, CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Timeline: lines(0, 3)})
	r, err := OpenPostgresReadOnly(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if p, err := r.CaseTimeline(context.Background(), CaseQuery{IncidentID: incident}); err != nil || p.Total != 3 {
		t.Errorf("reader: %+v, %v", p, err)
	}
	if err := r.AppendCase(context.Background(), newCase("run-2", "")); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("AppendCase on a reader: %v", err)
	}
}

// BenchmarkCaseTimeline reads one page of 100 lines of a case holding
// 100,000, at its start and deep inside, beside another case of 10,000:
// each page costs the same, because the cursor seeks the timeline's
// primary key.
func BenchmarkCaseTimeline(b *testing.B) {
	const stored, page = 100_000, 100
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b).(*SQLStore)
			fill := func(caseID string, n int) {
				for start := 0; start < n; start += 5000 {
					rec := CaseRecord{IncidentID: incident, CaseID: caseID, OpenedAt: base, Batch: fmt.Sprint(start), TimelineStart: start, Timeline: lines(start, min(5000, n-start))}
					if caseID == "older" {
						rec.OpenedAt = base.Add(-time.Hour)
					}
					mustAppendCase(b, s, rec)
				}
			}
			fill("older", 10_000)
			fill("run-1", stored)
			ctx := context.Background()
			deep := cursor{Kind: listTimeline, Case: "run-1", Pos: 90_000}.encode()
			for at, cur := range map[string]string{"first page": "", "page at 90000": deep} {
				b.Run(at, func(b *testing.B) {
					for b.Loop() {
						p, err := s.CaseTimeline(ctx, CaseQuery{IncidentID: incident, Cursor: cur, Limit: page})
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Items) != page || p.Total != stored {
							b.Fatalf("page of %d, total %d", len(p.Items), p.Total)
						}
					}
				})
			}
		})
	}
}

// BenchmarkAppendCase measures one typical batch: a few alerts, their
// occurrence IDs, related events and timeline lines.
func BenchmarkAppendCase(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b).(*SQLStore)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				rec := CaseRecord{IncidentID: incident, CaseID: "run-1", OpenedAt: base, Batch: fmt.Sprint(n), TimelineStart: 20 * n, Timeline: lines(20*n, 20)}
				for a := range 5 {
					wf := fmt.Sprintf("alert/%d", a)
					rec.Alerts = append(rec.Alerts, CaseAlert{WorkflowID: wf, Score: a * 10, Occurrences: n + 1, FirstSeen: base, LastSeen: base.Add(time.Duration(n) * time.Second)})
					ids := make([]string, 20)
					for i := range ids {
						ids[i] = fmt.Sprintf("%d-%d", n, i)
					}
					rec.Occurrences = append(rec.Occurrences, CaseOccurrences{WorkflowID: wf, IDs: ids})
				}
				rec.Related = []CaseRelated{{AlertID: "a", Events: []alert.RelatedEvent{{Time: base.Add(time.Duration(n) * time.Second), Kind: KindDNS, Summary: "dns x"}}}}
				if err := s.AppendCase(ctx, rec); err != nil {
					b.Fatal(err)
				}
				n++
			}
		})
	}
}

// TestCaseLinks is an incident key that closes and opens again: the new
// case names the one before it and how it ended, and a case written before
// the links existed is still found.
func TestCaseLinks(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		closed := base.Add(2 * time.Hour)
		first := CaseRecord{IncidentID: incident, CaseID: "run-a", OpenedAt: base, Batch: "run-a/1", Timeline: lines(0, 1), Status: "open"}
		last := CaseRecord{IncidentID: incident, CaseID: "run-a", OpenedAt: base, Batch: "run-a/2", TimelineStart: 1, Timeline: lines(1, 1),
			Status: "false_positive", ClosedAt: closed}
		mustAppendCase(t, s, first, last, first) // a stale retry of the first batch changes nothing
		if p, err := s.PreviousCase(ctx, incident, "run-a"); err != nil || p != nil {
			t.Fatalf("previous of the first case = %+v, %v; want none", p, err)
		}
		other := CaseRecord{IncidentID: "incident/host:other", CaseID: "run-x", OpenedAt: base.Add(time.Hour), Timeline: lines(0, 1), Status: "open"}
		second := CaseRecord{IncidentID: incident, CaseID: "run-b", OpenedAt: base.Add(24 * time.Hour), Batch: "run-b/1", Timeline: lines(0, 1), Status: "awaiting_decision"}
		mustAppendCase(t, s, other, second, second)
		p, err := s.PreviousCase(ctx, incident, "run-b")
		if err != nil {
			t.Fatal(err)
		}
		want := &CaseLink{CaseID: "run-a", OpenedAt: base, Status: "false_positive", ClosedAt: closed}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("previous of run-b = %+v, want %+v", p, want)
		}
		if _, err := s.PreviousCase(ctx, "incident/host:other", "run-b"); !errors.Is(err, ErrNoCase) {
			t.Errorf("run-b under another incident: %v, want ErrNoCase", err)
		}

		// A case from before schema version 4 has no link row of its own.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM socflow_case_links`); err != nil {
			t.Fatal(err)
		}
		third := CaseRecord{IncidentID: incident, CaseID: "run-c", OpenedAt: base.Add(48 * time.Hour), Batch: "run-c/1", Timeline: lines(0, 1)}
		mustAppendCase(t, s, third)
		p, err = s.PreviousCase(ctx, incident, "run-c")
		if err != nil {
			t.Fatal(err)
		}
		want = &CaseLink{CaseID: "run-b", OpenedAt: base.Add(24 * time.Hour)}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("previous of run-c = %+v, want %+v", p, want)
		}
	})
}
