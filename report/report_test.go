package report

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
)

var t0 = time.Date(2026, 5, 11, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func secs(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, s := range n {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", secs(7), 90, 7 * time.Second},
		{"median of four is the second", secs(1, 2, 3, 4), 50, 2 * time.Second},
		{"median of five is the third", secs(1, 2, 3, 4, 5), 50, 3 * time.Second},
		{"p90 of ten is the ninth", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Second},
		{"p90 of eleven is the tenth", secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 90, 10 * time.Second},
		{"p100 is the largest", secs(1, 2, 3), 100, 3 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Percentile(c.samples, c.p); got != c.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", c.samples, c.p, got, c.want)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	got := Summarise(secs(30, 10, 20, 100))
	want := Stats{Count: 4, Mean: Seconds(40 * time.Second), P50: Seconds(20 * time.Second), P90: Seconds(100 * time.Second), Max: Seconds(100 * time.Second)}
	if got != want {
		t.Errorf("Summarise = %+v, want %+v", got, want)
	}
	if (Summarise(nil) != Stats{}) {
		t.Error("Summarise(nil) is not zero")
	}
}

// full is an incident that went all the way: enriched in 2 s, notified 3
// s after opening, acknowledged after 2 min, decided by alice after 5,
// contained 1 min later, closed after an hour.
func full() events.CaseFigures {
	return events.CaseFigures{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: t0, Priority: "P1", Tier: "IR", Status: "closed",
		ClosedAt: at(time.Hour), Milestones: alert.Milestones{
			Received: at(-2 * time.Second), Enriched: t0, Opened: t0, Notified: at(3 * time.Second),
			Acknowledged: at(3*time.Second + 2*time.Minute), AcknowledgedBy: "alice",
			Decided: at(3*time.Second + 5*time.Minute), DecidedBy: "alice",
			Contained: at(3*time.Second + 6*time.Minute), Closed: at(time.Hour),
			AcknowledgeDue: at(15 * time.Minute), ContainDue: at(time.Hour),
		}}
}

func TestSamples(t *testing.T) {
	timeout := full()
	timeout.Milestones.DecidedBy = DecidedByTimeout
	never := full()
	never.Milestones.Notified = time.Time{}
	auto := full()
	auto.Milestones.Decided, auto.Milestones.DecidedBy, auto.Milestones.Acknowledged = time.Time{}, "", time.Time{}
	old := events.CaseFigures{IncidentID: "incident/old", CaseID: "old", OpenedAt: t0, ClosedAt: at(time.Hour)}
	skewed := events.CaseFigures{OpenedAt: t0, Milestones: alert.Milestones{Received: t0, Enriched: at(-time.Second)}}
	type row = map[Measure]time.Duration
	for _, c := range []struct {
		name string
		in   events.CaseFigures
		want row
	}{
		{"full", full(), row{
			{FigureEnrich, KindMachine}: 2 * time.Second, {FigureNotify, KindMachine}: 3 * time.Second,
			{FigureAcknowledge, KindHuman}: 2 * time.Minute, {FigureDecide, KindHuman}: 5 * time.Minute,
			{FigureContain, KindTotal}: 6*time.Minute + 3*time.Second, {FigureContain, KindMachine}: time.Minute,
			{FigureClose, KindTotal}: time.Hour,
		}},
		{"decided by timeout: no time to decide", timeout, row{
			{FigureEnrich, KindMachine}: 2 * time.Second, {FigureNotify, KindMachine}: 3 * time.Second,
			{FigureAcknowledge, KindHuman}: 2 * time.Minute,
			{FigureContain, KindTotal}:     6*time.Minute + 3*time.Second, {FigureContain, KindMachine}: time.Minute,
			{FigureClose, KindTotal}: time.Hour,
		}},
		{"never notified: people's clock starts at opening", never, row{
			{FigureEnrich, KindMachine}:    2 * time.Second,
			{FigureAcknowledge, KindHuman}: 2*time.Minute + 3*time.Second, {FigureDecide, KindHuman}: 5*time.Minute + 3*time.Second,
			{FigureContain, KindTotal}: 6*time.Minute + 3*time.Second, {FigureContain, KindMachine}: time.Minute,
			{FigureClose, KindTotal}: time.Hour,
		}},
		{"contained without a decision: all machine", auto, row{
			{FigureEnrich, KindMachine}: 2 * time.Second, {FigureNotify, KindMachine}: 3 * time.Second,
			{FigureContain, KindTotal}: 6*time.Minute + 3*time.Second, {FigureContain, KindMachine}: 6*time.Minute + 3*time.Second,
			{FigureClose, KindTotal}: time.Hour,
		}},
		{"a case without milestones: only its close", old, row{{FigureClose, KindTotal}: time.Hour}},
		{"a point before its start gives nothing", skewed, row{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := row{}
			for _, s := range Samples(c.in) {
				got[s.Measure] = s.Duration
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Samples =\n %v\nwant\n %v", got, c.want)
			}
		})
	}
	if m, h := MachineAndHuman(full()); m != 2*time.Second+3*time.Second+time.Minute || h != 5*time.Minute {
		t.Errorf("MachineAndHuman(full) = %v, %v; want 1m5s, 5m0s", m, h)
	}
	if m, h := MachineAndHuman(timeout); h != 5*time.Minute || m != time.Minute+5*time.Second {
		t.Errorf("a timeout's wait is people's time: MachineAndHuman = %v, %v; want 1m5s, 5m0s", m, h)
	}
}

func TestCompute(t *testing.T) {
	now := at(3 * time.Hour)
	late := full() // acknowledged after its deadline
	late.CaseID, late.Milestones.AcknowledgeDue = "run-2", at(time.Minute)
	open := events.CaseFigures{IncidentID: "incident/user:bob", CaseID: "run-3", OpenedAt: at(time.Hour), Priority: "P3", Tier: "T1",
		Milestones: alert.Milestones{Opened: at(time.Hour), Notified: at(time.Hour + 10*time.Second),
			Decided: at(2 * time.Hour), DecidedBy: DecidedByTimeout,
			AcknowledgeDue: at(time.Hour + 30*time.Minute), ContainDue: at(5 * time.Hour)}}
	bare := events.CaseFigures{IncidentID: "incident/old", CaseID: "old", OpenedAt: t0}
	r := Compute([]events.CaseFigures{full(), late, open, bare}, now)

	if r.Overall.Incidents != 4 || r.Overall.Open != 2 || r.Overall.TimeoutDecisions != 1 ||
		r.Overall.Breaches != (Breaches{Acknowledge: 2}) {
		t.Errorf("overall: %d incidents, %d open, %d timeouts, breaches %+v; want 4, 2, 1, {Acknowledge:2}",
			r.Overall.Incidents, r.Overall.Open, r.Overall.TimeoutDecisions, r.Overall.Breaches)
	}
	stats := func(g Group, m Measure) Stats {
		for _, f := range g.Figures {
			if f.Measure == m {
				return f.Stats
			}
		}
		t.Fatalf("no %v in %+v", m, g)
		return Stats{}
	}
	if got := stats(r.Overall, Measure{FigureNotify, KindMachine}); got.Count != 3 || got.P50 != Seconds(3*time.Second) || got.P90 != Seconds(10*time.Second) {
		t.Errorf("time to notify = %+v; want 3 samples, p50 3s, p90 10s", got)
	}
	if got := stats(r.Overall, Measure{FigureDecide, KindHuman}); got.Count != 2 {
		t.Errorf("time to decide counts %d, want 2 (the timeout is not people's)", got.Count)
	}
	if len(r.Overall.Figures) != len(Measures()) {
		t.Errorf("%d figures, want every measure (%d)", len(r.Overall.Figures), len(Measures()))
	}
	var names []string
	for _, g := range r.ByPriority {
		names = append(names, g.Priority)
	}
	for _, g := range r.ByTier {
		names = append(names, g.Tier)
	}
	if want := []string{"P1", "P3", None, "IR", "T1", None}; !reflect.DeepEqual(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
	if p1 := r.ByPriority[0]; p1.Incidents != 2 || p1.Breaches.Acknowledge != 1 || p1.Machine != Seconds(2*(time.Minute+5*time.Second)) ||
		p1.Human != Seconds(10*time.Minute) {
		t.Errorf("P1 = %+v", p1)
	}
	if inc := r.Incidents[2]; !inc.Open || !reflect.DeepEqual(inc.Breached, []string{alert.SLAAcknowledge}) || inc.Human != Seconds(time.Hour-10*time.Second) {
		t.Errorf("the open incident = %+v; want open, acknowledge breached, 59m50s waiting", inc)
	}

	b, err := json.Marshal(r.Overall.Figures[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"figure":"enrich","kind":"machine","count":2,"mean_seconds":2,"p50_seconds":2,"p90_seconds":2,"max_seconds":2}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

// pagedReader serves its cases in pages of the query's limit, recording
// each query.
type pagedReader struct {
	cases   []events.CaseFigures
	queries []events.FiguresQuery
	err     error
}

func (p *pagedReader) CaseFigures(_ context.Context, q events.FiguresQuery) ([]events.CaseFigures, error) {
	p.queries = append(p.queries, q)
	if p.err != nil {
		return nil, p.err
	}
	from := 0
	if q.After != nil {
		for i, c := range p.cases {
			if c.CaseID == q.After.CaseID {
				from = i + 1
			}
		}
	}
	return p.cases[from:min(from+q.Limit, len(p.cases))], nil
}

func TestLoad(t *testing.T) {
	var cases []events.CaseFigures
	for _, id := range []string{"a", "b", "c", "d"} {
		cases = append(cases, events.CaseFigures{CaseID: id})
	}
	r := &pagedReader{cases: cases}
	got, err := Load(context.Background(), r, events.FiguresQuery{Since: t0, Until: at(time.Hour), Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || len(r.queries) != 3 || r.queries[2].After.CaseID != "d" {
		t.Errorf("read %d cases in %d queries (%+v); want 4 in 3, the last after d", len(got), len(r.queries), r.queries)
	}
	r = &pagedReader{err: errors.New("disk on fire")}
	if _, err := Load(context.Background(), r, events.FiguresQuery{}); err == nil || !strings.Contains(err.Error(), "report: disk on fire") {
		t.Errorf("Load on a failing reader: %v", err)
	}
}
