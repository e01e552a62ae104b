package incidents

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

var opened = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

// caseFile is a real in-memory case file holding incident/host:dc01 with
// five timeline lines, three alerts and three IDs of alert/a.
func caseFile(t *testing.T) *events.SQLStore {
	t.Helper()
	s, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	rec := events.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: opened, Batch: "run-1/1",
		Alerts: []events.CaseAlert{
			{WorkflowID: "alert/a", Score: 40, FirstSeen: opened},
			{WorkflowID: "alert/b", Score: 90, FirstSeen: opened},
			{WorkflowID: "alert/c", Score: 40, FirstSeen: opened.Add(-time.Minute)},
		},
		Occurrences: []events.CaseOccurrences{{WorkflowID: "alert/a", IDs: []string{"a-1", "a-2", "a-3"}}},
	}
	for i := range 5 {
		rec.Timeline = append(rec.Timeline, alert.TimelineEvent{At: opened.Add(time.Duration(i) * time.Second), Message: fmt.Sprintf("case %d", i)})
	}
	if err := s.AppendCase(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return s
}

// workflowTimeline is what the timeline query answers.
var workflowTimeline = workflows.TimelineResult{Events: []alert.TimelineEvent{{Message: "wf 0"}, {Message: "wf 1"}, {Message: "wf 2"}}}

func timelineMessages(p *TimelinePage) []string {
	var out []string
	for _, e := range p.Events {
		out = append(out, e.Message)
	}
	return out
}

func TestTimelinePages(t *testing.T) {
	store := caseFile(t)
	closed, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	tests := []struct {
		name     string
		cases    CaseReader
		key      string
		page     Page
		queryErr error
		want     []string
		source   string
		total    int
		next     bool
		err      error
		errText  string
	}{
		{name: "no case file: the query", key: "host:dc01", want: []string{"wf 0", "wf 1", "wf 2"}, source: SourceWorkflow, total: 3},
		{name: "no case file, paged", key: "host:dc01", page: Page{Limit: 2}, want: []string{"wf 0", "wf 1"}, source: SourceWorkflow, total: 3, next: true},
		{name: "no case file, second page", key: "host:dc01", page: Page{Limit: 2, Cursor: "workflow:2"}, want: []string{"wf 2"}, source: SourceWorkflow, total: 3},
		{name: "no case file, a case asked", key: "host:dc01", page: Page{CaseID: "run-1"}, err: ErrNotFound},
		{name: "no case file, a bad cursor", key: "host:dc01", page: Page{Cursor: "workflow:x"}, err: ErrBadCursor},
		{name: "no case file, a case file's cursor", key: "host:dc01", page: Page{Cursor: "eyJrIjoidGltZWxpbmUifQ"}, err: ErrBadCursor},
		{name: "no case file, no incident", key: "host:nope", queryErr: serviceerror.NewNotFound("gone"), err: ErrNotFound},
		{name: "the case file", cases: store, key: "incident/host:dc01", page: Page{Limit: 2}, want: []string{"case 0", "case 1"}, source: SourceCaseFile, total: 5, next: true},
		{name: "the case file, a case by ID", cases: store, key: "host:dc01", page: Page{CaseID: "run-1"}, want: []string{"case 0", "case 1", "case 2", "case 3", "case 4"}, source: SourceCaseFile, total: 5},
		{name: "the case file lacks the incident: the query", cases: store, key: "host:ws-1", want: []string{"wf 0", "wf 1", "wf 2"}, source: SourceWorkflow, total: 3},
		{name: "the case file lacks the case asked", cases: store, key: "host:dc01", page: Page{CaseID: "run-9"}, err: ErrNotFound, errText: "run-9"},
		{name: "a workflow listing stays on the workflow", cases: store, key: "host:dc01", page: Page{Cursor: "workflow:1"}, want: []string{"wf 1", "wf 2"}, source: SourceWorkflow, total: 3},
		{name: "a bad case file cursor", cases: store, key: "host:dc01", page: Page{Cursor: "nonsense"}, err: ErrBadCursor, errText: "cursor"},
		{name: "the case file is down: no silent fallback", cases: closed, key: "host:dc01", errText: "case file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeClient{queryVal: workflowTimeline, queryErr: tt.queryErr}
			svc := &Service{Client: fc, Cases: tt.cases}
			p, err := svc.Timeline(context.Background(), tt.key, tt.page)
			if tt.err != nil || tt.errText != "" {
				if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want %v containing %q", err, tt.err, tt.errText)
				}
				if !strings.HasPrefix(err.Error(), "incidents: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := timelineMessages(p); !reflect.DeepEqual(got, tt.want) || p.Source != tt.source || p.Total != tt.total || (p.NextCursor != "") != tt.next {
				t.Errorf("page = %+v\nwant %v from %s, total %d, next %v", p, tt.want, tt.source, tt.total, tt.next)
			}
			if p.ID != "incident/"+workflows.IncidentKey(tt.key) {
				t.Errorf("page of %s", p.ID)
			}
			if queried := slices.Contains(fc.queries, "incident/host:dc01 timeline") || slices.Contains(fc.queries, "incident/host:ws-1 timeline"); queried != (tt.source == SourceWorkflow) {
				t.Errorf("queries %v for a page from %s", fc.queries, tt.source)
			}
		})
	}
}

// TestTimelineLatestLines: the workflow writes its case file every few
// seconds, so a page that reaches the end of the case file gets the lines
// the workflow holds and the case file does not yet.
func TestTimelineLatestLines(t *testing.T) {
	store := caseFile(t) // run-1, lines 0-4
	live := func(caseID string) workflows.IncidentState {
		return workflows.IncidentState{ID: "incident/host:dc01", Key: "host:dc01", CaseID: caseID, TimelineTotal: 7,
			Timeline: []alert.TimelineEvent{{Message: "case 4"}, {Message: "live 5"}, {Message: "live 6"}}}
	}
	read := func(t *testing.T, st workflows.IncidentState, queryErr error, p Page) *TimelinePage {
		t.Helper()
		svc := &Service{Client: &fakeClient{byQuery: map[string]any{workflows.QueryStatus: st}, queryErr: queryErr}, Cases: store}
		page, err := svc.Timeline(context.Background(), "host:dc01", p)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	tests := []struct {
		name     string
		st       workflows.IncidentState
		queryErr error
		page     Page
		want     []string
		source   string
		total    int
	}{
		{"the end of the case file, then the latest lines", live("run-1"), nil, Page{}, []string{"case 0", "case 1", "case 2", "case 3", "case 4", "live 5", "live 6"}, SourceCaseFile, 7},
		{"a page before the end is the case file's alone", live("run-1"), nil, Page{Limit: 3}, []string{"case 0", "case 1", "case 2"}, SourceCaseFile, 7},
		{"an older case asked by ID is complete", live("run-2"), nil, Page{CaseID: "run-1"}, []string{"case 0", "case 1", "case 2", "case 3", "case 4"}, SourceCaseFile, 5},
		{"a case the case file has yet to see is the newest", live("run-2"), nil, Page{}, []string{"case 4", "live 5", "live 6"}, SourceWorkflow, 7},
		{"Temporal down: the case file's page", live("run-1"), serviceerror.NewUnavailable("down"), Page{}, []string{"case 0", "case 1", "case 2", "case 3", "case 4"}, SourceCaseFile, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := read(t, tt.st, tt.queryErr, tt.page)
			if got := timelineMessages(p); !reflect.DeepEqual(got, tt.want) || p.Source != tt.source || p.Total != tt.total {
				t.Errorf("page %v from %s (total %d), want %v from %s (total %d)", got, p.Source, p.Total, tt.want, tt.source, tt.total)
			}
		})
	}

	// A full last page leaves the latest lines to a next page, which
	// starts after them whether the case file has caught up or not.
	first := read(t, live("run-1"), nil, Page{Limit: 5})
	if got := timelineMessages(first); len(got) != 5 || got[4] != "case 4" || first.NextCursor == "" {
		t.Fatalf("full last page %v, next %q; want the case file's five and a cursor", got, first.NextCursor)
	}
	next := read(t, live("run-1"), nil, Page{Limit: 5, Cursor: first.NextCursor})
	if got := timelineMessages(next); !reflect.DeepEqual(got, []string{"live 5", "live 6"}) || next.NextCursor != "" {
		t.Errorf("next page %v, next %q; want the two latest lines and no cursor", got, next.NextCursor)
	}
	small := read(t, live("run-1"), nil, Page{Limit: 1, Cursor: first.NextCursor})
	if got := timelineMessages(small); !reflect.DeepEqual(got, []string{"live 5"}) || small.NextCursor == "" {
		t.Fatalf("a one-line page %v, next %q", got, small.NextCursor)
	}
	last := read(t, live("run-1"), nil, Page{Limit: 1, Cursor: small.NextCursor})
	if got := timelineMessages(last); !reflect.DeepEqual(got, []string{"live 6"}) || last.NextCursor != "" {
		t.Errorf("the last one-line page %v, next %q", got, last.NextCursor)
	}
}

// TestTimelineFollowsCursors reads both sources to the end by cursor.
func TestTimelineFollowsCursors(t *testing.T) {
	for name, cases := range map[string]CaseReader{"case file": caseFile(t), "workflow": nil} {
		t.Run(name, func(t *testing.T) {
			svc := &Service{Client: &fakeClient{queryVal: workflowTimeline}, Cases: cases}
			var all []string
			p := Page{Limit: 2}
			for range 10 {
				page, err := svc.Timeline(context.Background(), "host:dc01", p)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, timelineMessages(page)...)
				if page.NextCursor == "" {
					if len(all) != page.Total {
						t.Errorf("read %d of %d", len(all), page.Total)
					}
					return
				}
				p.Cursor = page.NextCursor
			}
			t.Fatalf("no end after %v", all)
		})
	}
}

func TestAlertsPages(t *testing.T) {
	state := workflows.IncidentState{ID: "incident/host:dc01", Alerts: []workflows.AlertRef{
		{WorkflowID: "alert/x", Score: 10, FirstSeen: opened},
		{WorkflowID: "alert/y", Score: 80, FirstSeen: opened, IDs: []string{"y-1", "y-2"}},
		{WorkflowID: "alert/w", Score: 10, FirstSeen: opened.Add(-time.Hour)},
	}}
	tests := []struct {
		name   string
		cases  CaseReader
		key    string
		want   []string
		source string
	}{
		{"from the case file, best first", caseFile(t), "host:dc01", []string{"alert/b", "alert/c", "alert/a"}, SourceCaseFile},
		{"from the workflow, in the same order", nil, "host:dc01", []string{"alert/y", "alert/w", "alert/x"}, SourceWorkflow},
		{"the case file lacks the incident", caseFile(t), "host:ws-1", []string{"alert/y", "alert/w", "alert/x"}, SourceWorkflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Service{Client: &fakeClient{queryVal: state}, Cases: tt.cases}
			p, err := svc.Alerts(context.Background(), tt.key, Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range p.Alerts {
				got = append(got, a.WorkflowID)
			}
			if !reflect.DeepEqual(got, tt.want) || p.Source != tt.source || p.Total != len(tt.want) {
				t.Errorf("alerts = %v from %s (total %d), want %v from %s", got, p.Source, p.Total, tt.want, tt.source)
			}
		})
	}
}

func TestAlertIDsPages(t *testing.T) {
	state := workflows.IncidentState{ID: "incident/host:dc01", Alerts: []workflows.AlertRef{{WorkflowID: "alert/y", IDs: []string{"y-1", "y-2", "y-3"}}}}
	tests := []struct {
		name        string
		cases       CaseReader
		fingerprint string
		page        Page
		want        []string
		source      string
		next        bool
		err         error
	}{
		{name: "from the case file", cases: caseFile(t), fingerprint: "a", page: Page{Limit: 2}, want: []string{"a-1", "a-2"}, source: SourceCaseFile, next: true},
		{name: "by the run's ID", cases: caseFile(t), fingerprint: "alert/a", want: []string{"a-1", "a-2", "a-3"}, source: SourceCaseFile},
		{name: "an alert the case file lacks: the workflow", cases: caseFile(t), fingerprint: "y", want: []string{"y-1", "y-2", "y-3"}, source: SourceWorkflow},
		{name: "from the workflow, paged", fingerprint: "y", page: Page{Limit: 2, Cursor: "workflow:2"}, want: []string{"y-3"}, source: SourceWorkflow},
		{name: "an alert nobody knows", cases: caseFile(t), fingerprint: "zzz", err: ErrAlertNotFound},
		{name: "an alert the workflow does not know", fingerprint: "zzz", err: ErrAlertNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Service{Client: &fakeClient{queryVal: state}, Cases: tt.cases}
			p, err := svc.AlertIDs(context.Background(), "host:dc01", tt.fingerprint, tt.page)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), "alert/zzz") {
					t.Fatalf("error %v, want %v naming the alert", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.IDs, tt.want) || p.Source != tt.source || (p.NextCursor != "") != tt.next || p.WorkflowID != workflows.AlertWorkflowID(strings.TrimPrefix(tt.fingerprint, "alert/")) {
				t.Errorf("page = %+v, want %v from %s", p, tt.want, tt.source)
			}
		})
	}
}

func TestSlicePage(t *testing.T) {
	all := make([]int, 250)
	for i := range all {
		all[i] = i
	}
	tests := []struct {
		name       string
		p          Page
		first, n   int
		next       string
		wantErr    error
		wantErrSub string
	}{
		{name: "default limit", p: Page{}, first: 0, n: 100, next: "workflow:100"},
		{name: "middle", p: Page{Cursor: "workflow:100", Limit: 100}, first: 100, n: 100, next: "workflow:200"},
		{name: "last", p: Page{Cursor: "workflow:200", Limit: 100}, first: 200, n: 50},
		{name: "past the end", p: Page{Cursor: "workflow:900"}, n: 0},
		{name: "negative limit", p: Page{Limit: -1}, wantErrSub: "limit"},
		{name: "negative offset", p: Page{Cursor: "workflow:-1"}, wantErr: ErrBadCursor},
		{name: "not a workflow cursor", p: Page{Cursor: "100"}, wantErr: ErrBadCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := slicePage(all, tt.p)
			if tt.wantErr != nil || tt.wantErrSub != "" {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Fatalf("error %v, want %v %q", err, tt.wantErr, tt.wantErrSub)
				}
				return
			}
			if err != nil || len(got) != tt.n || next != tt.next || (tt.n > 0 && got[0] != tt.first) {
				t.Errorf("slicePage = %d items from %v, next %q, %v; want %d from %d, next %q", len(got), got, next, err, tt.n, tt.first, tt.next)
			}
		})
	}
}
