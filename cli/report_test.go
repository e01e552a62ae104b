package cli

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/report"
)

// fakeFigures is a report.Reader over fixtures, recording the queries and
// whether it was closed; the window and drills are filtered as the store
// filters them.
type fakeFigures struct {
	cases []events.CaseFigures
	err   error

	mu      sync.Mutex
	queries []events.FiguresQuery
	closed  int
}

func (ff *fakeFigures) open(context.Context) (report.Reader, func(), error) {
	return ff, func() { ff.mu.Lock(); ff.closed++; ff.mu.Unlock() }, nil
}

func (ff *fakeFigures) CaseFigures(_ context.Context, q events.FiguresQuery) ([]events.CaseFigures, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	ff.queries = append(ff.queries, q)
	if ff.err != nil {
		return nil, ff.err
	}
	out := []events.CaseFigures{}
	for _, c := range ff.cases {
		inWindow := !c.OpenedAt.Before(q.Since) && c.OpenedAt.Before(q.Until)
		if inWindow && (q.Drill == nil || *q.Drill == c.Drill) {
			out = append(out, c)
		}
	}
	return out, nil
}

// weekOfIncidents is a week of three incidents and a drill: dc01, a P1
// that went all the way within its SLA; prn-01, a P1 acknowledged late
// and still open; bob, a P3 the policy decided on a timeout.
func weekOfIncidents() *fakeFigures {
	day := 24 * time.Hour
	ago := func(d time.Duration) time.Time { return goldenNow.Add(-d) }
	dc01 := ago(3 * day)
	prn := ago(2 * day)
	bob := ago(day)
	drill := ago(12 * time.Hour)
	return &fakeFigures{cases: []events.CaseFigures{
		{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: dc01, ClosedAt: dc01.Add(3 * time.Hour), Status: "contained", Priority: "P1", Tier: "IR",
			Milestones: alert.Milestones{Received: dc01.Add(-1500 * time.Millisecond), Enriched: dc01, Opened: dc01, Notified: dc01.Add(2 * time.Second),
				Acknowledged: dc01.Add(4 * time.Minute), AcknowledgedBy: "alice", Decided: dc01.Add(9 * time.Minute), DecidedBy: "bob",
				Contained: dc01.Add(10 * time.Minute), Closed: dc01.Add(3 * time.Hour),
				AcknowledgeDue: dc01.Add(15 * time.Minute), ContainDue: dc01.Add(time.Hour)}},
		{IncidentID: "incident/host:prn-01", CaseID: "run-2", OpenedAt: prn, Status: "awaiting_decision", Priority: "P1", Tier: "T2",
			Milestones: alert.Milestones{Received: prn.Add(-3 * time.Second), Enriched: prn, Opened: prn, Notified: prn.Add(5 * time.Second),
				Acknowledged: prn.Add(40 * time.Minute), AcknowledgedBy: "carol",
				AcknowledgeDue: prn.Add(15 * time.Minute), ContainDue: prn.Add(time.Hour)}},
		{IncidentID: "incident/user:bob", CaseID: "run-3", OpenedAt: bob, ClosedAt: bob.Add(2 * time.Hour), Status: "false_positive", Priority: "P3", Tier: "T1",
			Milestones: alert.Milestones{Opened: bob, Notified: bob.Add(time.Second), Decided: bob.Add(time.Hour), DecidedBy: "timeout",
				Closed: bob.Add(2 * time.Hour), AcknowledgeDue: bob.Add(4 * time.Hour)}},
		{IncidentID: "drill/d-1", CaseID: "run-4", OpenedAt: drill, Priority: "P2", Tier: "T1", Drill: true,
			Milestones: alert.Milestones{Opened: drill, Notified: drill.Add(time.Second)}},
	}}
}

// TestReportGolden: the report as a table, as Markdown and as JSON, with
// and without drills; the window the flags name reaches the store, which
// is closed after.
func TestReportGolden(t *testing.T) {
	week, day := goldenNow.Add(-7*24*time.Hour), 24*time.Hour
	for _, c := range []struct {
		goldenCase
		since, until time.Time
		drills       bool
	}{
		{goldenCase: goldenCase{name: "text", args: []string{"report"}}, since: week, until: goldenNow},
		{goldenCase: goldenCase{name: "md", args: []string{"report", "--since", "7d", "-o", "md"}}, since: week, until: goldenNow},
		{goldenCase: goldenCase{name: "json", args: []string{"-o", "json", "report", "--since", "168h"}}, since: week, until: goldenNow},
		{goldenCase: goldenCase{name: "drills", args: []string{"report", "--since", "1d12h", "--drills"}}, since: goldenNow.Add(-36 * time.Hour), until: goldenNow, drills: true},
		{
			goldenCase: goldenCase{name: "until", args: []string{"report", "--since", "2026-05-10T00:00:00Z", "--until", "1d"}},
			since:      time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC), until: goldenNow.Add(-day),
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			ff := weekOfIncidents()
			f, out, errOut := testFactory(nil)
			f.Figures = ff.open
			runGolden(t, "report", f, out, errOut, c.goldenCase)
			if len(ff.queries) != 1 || ff.closed != 1 {
				t.Fatalf("%d queries, closed %d times; want one, then closed", len(ff.queries), ff.closed)
			}
			q := ff.queries[0]
			if !q.Since.Equal(c.since) || !q.Until.Equal(c.until) || (q.Drill == nil) != c.drills || (q.Drill != nil && *q.Drill) {
				t.Errorf("query %+v; want [%s, %s), drills included %v", q, c.since, c.until, c.drills)
			}
		})
	}
}

// TestReportRefuses: bad windows are usage errors naming the flag, and
// nothing is opened; a failing store is an error.
func TestReportRefuses(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "--since", "7days"}, ExitUsage, `--since "7days": want a time ago`},
		{[]string{"report", "--since", "-7d"}, ExitUsage, `--since "-7d"`},
		{[]string{"report", "--since", ""}, ExitUsage, `--since ""`},
		{[]string{"report", "--until", "soon"}, ExitUsage, `--until "soon"`},
		{[]string{"report", "--since", "1d", "--until", "2d"}, ExitUsage, "--since (2026-05-13T10:00:00.000Z) must be before --until (2026-05-12T10:00:00.000Z)"},
		{[]string{"report", "extra"}, ExitUsage, "unknown command"},
		{[]string{"-o", "md", "incident", "list"}, ExitUsage, `-o md: "socflow incident list" prints text or json, not md`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ff := weekOfIncidents()
			f, _, errOut := testFactory(nil)
			f.Figures, f.Now = ff.open, func() time.Time { return goldenNow }
			if code := Run(f, c.args); code != c.code || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, errOut, c.code, c.want)
			}
			if len(ff.queries) != 0 {
				t.Errorf("read the store %d times after refusing", len(ff.queries))
			}
		})
	}
	ff := &fakeFigures{err: errors.New("database disk image is malformed")}
	f, _, errOut := testFactory(nil)
	f.Figures = ff.open
	if code := Run(f, []string{"report"}); code != ExitError || !strings.Contains(errOut.String(), "report: database disk image is malformed") || ff.closed != 1 {
		t.Errorf("a failing store: exit %d, stderr %q, closed %d; want %d naming the error, closed", code, errOut, ff.closed, ExitError)
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"36h", now.Add(-36 * time.Hour)},
		{"1d12h30m", now.Add(-36*time.Hour - 30*time.Minute)},
		{"0s", now},
		{" 90m ", now.Add(-90 * time.Minute)},
		{"2026-05-01T02:00:00+02:00", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := parseWhen("--since", c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "d", "7", "7 d", "-1h", "1h-5m", "99999999d", "yesterday", "2026-05-01"} {
		if _, err := parseWhen("--since", in, now); err == nil || ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--since") {
			t.Errorf("parseWhen(%q) = %v; want a usage error naming --since", in, err)
		}
	}
}
