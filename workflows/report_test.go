package workflows_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/report"
	"github.com/socflow/socflow/workflows"
)

// TestReportFromIncidentsWithKnownTimes runs three P1 incidents under time
// skipping, each answered by a person at a known time (approve at 5m,
// approve at 20m, deny at 10m), writes their case files to a real store
// (SQLite) and checks the report it reads back: human waiting exactly as
// scripted, machine time only the 200 ms enrichment each alert carries,
// one missed acknowledgement (20m against P1's 15m) and no contain breach
// (the denied one had nothing left to contain when its hour passed).
func TestReportFromIncidentsWithKnownTimes(t *testing.T) {
	store, err := events.OpenSQLite(filepath.Join(t.TempDir(), "cases.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	runs := []struct {
		host    string
		after   time.Duration
		verdict alert.Verdict
	}{
		{"dc01", 5 * time.Minute, alert.VerdictApprove},
		{"dc02", 20 * time.Minute, alert.VerdictApprove},
		{"dc03", 10 * time.Minute, alert.VerdictDeny},
	}
	for i, r := range runs {
		h, _ := answeredP1(t, r.host, r.after, r.verdict, t0.Add(time.Duration(i)*6*time.Hour))
		h.cases.mu.Lock()
		recs := h.cases.records
		h.cases.mu.Unlock()
		for _, rec := range recs {
			rec.CaseID = "case-" + r.host // the test environment names every run alike
			if err := store.AppendCase(ctx, rec); err != nil {
				t.Fatalf("%s: append case batch: %v", r.host, err)
			}
		}
	}

	figs, err := store.CaseFigures(ctx, events.FiguresQuery{Since: t0.Add(-time.Hour), Until: t0.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rep := report.Compute(figs, t0.Add(24*time.Hour))
	all := rep.Overall
	if all.Incidents != 3 || all.Open != 0 {
		t.Fatalf("incidents %d (open %d), want 3 closed", all.Incidents, all.Open)
	}
	stats := func(figure, kind string) report.Stats {
		for _, f := range all.Figures {
			if f.Figure == figure && f.Kind == kind {
				return f.Stats
			}
		}
		t.Fatalf("no %s %s figure", figure, kind)
		return report.Stats{}
	}
	m := func(d time.Duration) report.Seconds { return report.Seconds(d) }
	for _, fig := range []string{report.FigureAcknowledge, report.FigureDecide} {
		want := report.Stats{Count: 3, Mean: m(35 * time.Minute / 3), P50: m(10 * time.Minute), P90: m(20 * time.Minute), Max: m(20 * time.Minute)}
		if got := stats(fig, report.KindHuman); got != want {
			t.Errorf("%s (human) = %+v, want %+v", fig, got, want)
		}
	}
	if got := stats(report.FigureContain, report.KindTotal); got.Count != 2 || got.P50 != m(5*time.Minute) || got.Max != m(20*time.Minute) {
		t.Errorf("contain (total) = %+v, want the two approvals: 5m and 20m", got)
	}
	if got := stats(report.FigureEnrich, report.KindMachine); got.Count != 3 || got.Max != m(200*time.Millisecond) {
		t.Errorf("enrich (machine) = %+v, want 200ms each", got)
	}
	if all.Human != m(35*time.Minute) || all.Machine != m(600*time.Millisecond) {
		t.Errorf("human %v, machine %v; want 35m of waiting for people and 600ms of machine time",
			time.Duration(all.Human), time.Duration(all.Machine))
	}
	if all.Breaches != (report.Breaches{Acknowledge: 1}) {
		t.Errorf("breaches %+v, want one missed acknowledgement", all.Breaches)
	}
	for _, inc := range rep.Incidents {
		late := inc.IncidentID == workflows.IncidentWorkflowID("host:dc02")
		if got := len(inc.Breached) == 1 && inc.Breached[0] == alert.SLAAcknowledge; got != late {
			t.Errorf("%s breached %v", inc.IncidentID, inc.Breached)
		}
	}
}
