package incidents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// bigCase is a case file holding incident/host:dc01 with n timeline lines
// (more than one page of MaxCaseLimit) and three alerts of three sources.
func bigCase(t *testing.T, n int) *events.SQLStore {
	t.Helper()
	s, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	rec := events.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: opened, Batch: "run-1/1",
		Alerts: []events.CaseAlert{
			{WorkflowID: "alert/edr", Source: "defender", Title: "Mimikatz on dc01", Score: 90, FirstSeen: opened.Add(2 * time.Minute)},
			{WorkflowID: "alert/ndr", Source: "suricata", Title: "Inbound SMB <script>alert(1)</script>", Score: 60, FirstSeen: opened},
			{WorkflowID: "alert/cloud", Source: "guardduty", Title: "Console login | from *BR*", Score: 40, FirstSeen: opened.Add(time.Minute)},
		},
	}
	for i := range n {
		rec.Timeline = append(rec.Timeline, alert.TimelineEvent{At: opened.Add(time.Duration(i) * time.Second), Stage: alert.StageEnrich,
			Actor: "socflow", Message: fmt.Sprintf("line %d", i)})
	}
	if err := s.AppendCase(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExportReadsEverything: the export follows the timeline's cursors to
// the end (2,345 lines, three pages of the case file), keeps every alert,
// and carries the decisions and the containment record.
func TestExportReadsEverything(t *testing.T) {
	const n = 2345
	st := workflows.IncidentState{
		ID: "incident/host:dc01", Key: "host:dc01", Title: "Inbound SMB to dc01", Status: workflows.StatusContained, Tier: "IR",
		CaseID: "run-1", TimelineTotal: n, OpenedAt: opened,
		Score:     alert.Score{Value: 95, Priority: alert.P1, Factors: []alert.Factor{{Name: "asset", Detail: "tier 1", Effect: "x1.5"}}},
		Decisions: []alert.Decision{{Verdict: alert.VerdictApprove, By: "alice", Via: "web", Tier: "IR", At: opened.Add(time.Hour)}},
		Results: []alert.ActionResult{{Action: alert.NewAction(alert.ActionIsolateHost, "dc01", "P1"), Status: alert.ActionDone,
			At: opened.Add(time.Hour), LeaseUntil: opened.Add(5 * time.Hour)}},
		Context: alert.ContextPacket{Gaps: []alert.Gap{{Source: "intel", Reason: "timed out"}}},
	}
	svc := &Service{Client: &fakeClient{byQuery: map[string]any{workflows.QueryStatus: st}}, Cases: bigCase(t, n)}
	now := opened.Add(2 * time.Hour)
	e, err := Collect(context.Background(), svc, "host:dc01", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Timeline) != n || e.Timeline[0].Message != "line 0" || e.Timeline[n-1].Message != fmt.Sprintf("line %d", n-1) {
		t.Fatalf("timeline has %d lines (first %q), want all %d", len(e.Timeline), e.Timeline[0].Message, n)
	}
	if len(e.Alerts) != 3 || len(e.Decisions) != 1 || len(e.Results) != 1 || e.CaseID != "run-1" || !e.GeneratedAt.Equal(now) {
		t.Errorf("export = alerts %d, decisions %d, results %d, case %q, generated %s", len(e.Alerts), len(e.Decisions), len(e.Results), e.CaseID, e.GeneratedAt)
	}
	if _, err := json.Marshal(e); err != nil {
		t.Fatal(err)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, e); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{
		"# Incident host:dc01: Inbound SMB to dc01",
		"| asset | x1.5 | tier 1 |",
		"| 2026-05-14 10:00:00Z | approve | alice | web | IR | all proposed |",
		"done, lease until 14:00Z",
		"intel",
		"## Timeline (2345)",
		"| line 2344 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Alerts read in the order they arrived, whatever their source.
	ndr, cloud, edr := strings.Index(out, "suricata"), strings.Index(out, "guardduty"), strings.Index(out, "defender")
	if ndr < 0 || !(ndr < cloud && cloud < edr) {
		t.Errorf("alerts not in time order: suricata at %d, guardduty at %d, defender at %d", ndr, cloud, edr)
	}
	// Hostile alert text is escaped: no HTML, no forged table cell.
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("alert HTML not escaped")
	}
	if !strings.Contains(out, `Console login \| from \*BR\*`) {
		t.Errorf("table and emphasis characters not escaped")
	}
}

// endless answers every timeline page with the same cursor.
type endless struct{ ExportSource }

func (endless) Get(context.Context, string) (*workflows.IncidentState, error) {
	return &workflows.IncidentState{Key: "host:dc01"}, nil
}

func (endless) Alerts(context.Context, string, Page) (*AlertsPage, error) { return &AlertsPage{}, nil }

func (endless) Timeline(context.Context, string, Page) (*TimelinePage, error) {
	return &TimelinePage{Events: []alert.TimelineEvent{{Message: "again"}}, NextCursor: "same"}, nil
}

func TestExportRefusesEndlessListing(t *testing.T) {
	_, err := Collect(context.Background(), endless{}, "host:dc01", opened)
	if !errors.Is(err, errEndless) {
		t.Errorf("err = %v, want errEndless", err)
	}
}

// TestMergeAlerts: an alert the case file has not received yet is added
// from the state; one in both takes the state's fresher counts.
func TestMergeAlerts(t *testing.T) {
	cases := []events.CaseAlert{{WorkflowID: "alert/a", Occurrences: 1, Score: 40, FirstSeen: opened, LastSeen: opened}}
	refs := []workflows.AlertRef{
		{WorkflowID: "alert/a", Occurrences: 3, Score: 60, LastSeen: opened.Add(time.Minute)},
		{WorkflowID: "alert/b", Source: "guardduty", Occurrences: 1, FirstSeen: opened.Add(time.Minute)},
	}
	got := MergeAlerts(cases, refs)
	if len(got) != 2 || got[0].Occurrences != 3 || got[0].Score != 60 || !got[0].FirstSeen.Equal(opened) || got[1].Source != "guardduty" {
		t.Errorf("merged %+v", got)
	}
	if cases[0].Occurrences != 1 {
		t.Errorf("the case file's slice was changed")
	}
}
