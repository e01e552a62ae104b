package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

var opened = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

// caseFileReader is the real service over a real case file, with the
// status query answered from state: no Temporal needed.
type caseFileReader struct {
	*incidents.Service
	state *workflows.IncidentState
}

func (r caseFileReader) Get(_ context.Context, key string) (*workflows.IncidentState, error) {
	if workflows.IncidentKey(key) != r.state.Key {
		return nil, fmt.Errorf("incidents: query incident/%s: %w", key, incidents.ErrNotFound)
	}
	return r.state, nil
}

// readerWith opens an in-memory case file holding incident/host:dc01
// with n timeline lines and alerts alerts, and the OpenIncidents for it.
func readerWith(t *testing.T, n, alerts int) OpenIncidents {
	t.Helper()
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rec := events.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: opened}
	for i := range n {
		rec.Timeline = append(rec.Timeline, alert.TimelineEvent{At: opened.Add(time.Duration(i) * time.Second), Stage: "triage", Actor: "socflow", Message: fmt.Sprintf("line %d", i)})
	}
	for i := range alerts {
		rec.Alerts = append(rec.Alerts, events.CaseAlert{WorkflowID: fmt.Sprintf("alert/suricata-%03d", i), Source: "suricata",
			Severity: alert.SeverityHigh, Score: 100 - i%50, Occurrences: 1, Title: fmt.Sprintf("alert %d", i), FirstSeen: opened})
	}
	if err := store.AppendCase(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	state := &workflows.IncidentState{ID: "incident/host:dc01", Key: "host:dc01", Title: "Inbound SMB to dc01", Status: workflows.StatusAwaiting,
		Alerts: []workflows.AlertRef{{WorkflowID: "alert/suricata-000", Source: "suricata", Score: 100}}}
	r := caseFileReader{&incidents.Service{Cases: store}, state}
	return func(context.Context, bool) (IncidentReader, func(), error) { return r, func() {}, nil }
}

func TestIncidentTimelineFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *IncidentTimelineOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"host:dc01"}, want: &IncidentTimelineOptions{Incident: "host:dc01", Limit: 100}},
		{
			name: "a page", args: []string{"incident/host:dc01", "--limit", "1000", "--cursor", "abc", "--case", "run-1"},
			want: &IncidentTimelineOptions{Incident: "incident/host:dc01", Limit: 1000, Cursor: "abc", Case: "run-1"},
		},
		{name: "every page", args: []string{"host:dc01", "--all", "--limit", "500"}, want: &IncidentTimelineOptions{Incident: "host:dc01", Limit: 500, All: true}},
		{name: "limit 0", args: []string{"host:dc01", "--limit", "0"}, wantErr: "--limit must be from 1 to 1000"},
		{name: "limit over the most", args: []string{"host:dc01", "--limit", "1001"}, wantErr: "--limit"},
		{name: "limit not a number", args: []string{"host:dc01", "--limit", "all"}, wantErr: "limit"},
		{name: "no incident", args: []string{"--all"}, wantErr: "name one incident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(nil)
			var got *IncidentTimelineOptions
			cmd := newCmdIncidentTimeline(f, func(_ context.Context, o *IncidentTimelineOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
			err := cmd.Execute()
			if tt.wantErr != "" {
				if ExitCode(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), tt.wantErr) || got != nil {
					t.Fatalf("err = %v (exit %d, ran %v), want a usage error about %q", err, ExitCode(err), got != nil, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.IO.Out != f.Out || got.Incidents == nil || got.Now == nil {
				t.Errorf("the factory did not hand the command its output, incidents and clock: %+v", got)
			}
			got.IO, got.Incidents, got.Now = IOStreams{}, nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %+v\nwant      %+v", got, tt.want)
			}
		})
	}
}

func TestIncidentTimelineRun(t *testing.T) {
	open := readerWith(t, 5, 0)
	run := func(t *testing.T, json bool, opts IncidentTimelineOptions) (string, string, error) {
		t.Helper()
		f, out, errOut := testFactory(nil)
		if json {
			f.Global.Output = "json"
		}
		opts.Incident, opts.Incidents, opts.IO = "host:dc01", open, f.streams()
		if opts.Limit == 0 {
			opts.Limit = 100
		}
		err := runIncidentTimeline(context.Background(), &opts)
		return out.String(), errOut.String(), err
	}

	out, errOut, err := run(t, false, IncidentTimelineOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "TIME                      STAGE   ACTOR    EVENT\n" +
		"2026-05-14T09:00:00.000Z  triage  socflow  line 0\n" +
		"2026-05-14T09:00:01.000Z  triage  socflow  line 1\n"
	if out != want {
		t.Errorf("first page:\n%s\nwant\n%s", out, want)
	}
	hint, cursor, ok := strings.Cut(strings.TrimSpace(errOut), " --cursor ")
	cursor = strings.TrimSuffix(cursor, " (or --all)")
	if !ok || hint != "2 of 5 lines; next: socflow incident timeline incident/host:dc01" || cursor == "" {
		t.Fatalf("stderr %q, want how to ask for the next page", errOut)
	}

	out, errOut, err = run(t, false, IncidentTimelineOptions{Limit: 2, Cursor: cursor})
	if err != nil || !strings.Contains(out, "line 2\n") || !strings.Contains(out, "line 3\n") || strings.Contains(out, "line 1\n") {
		t.Errorf("second page (%v):\n%s", err, out)
	}
	if !strings.HasPrefix(errOut, "2 of 5 lines") {
		t.Errorf("second page stderr %q", errOut)
	}

	out, errOut, err = run(t, false, IncidentTimelineOptions{Limit: 2, All: true})
	if err != nil || strings.Count(out, "\n") != 6 || !strings.Contains(out, "line 4\n") || errOut != "" {
		t.Errorf("--all (%v):\n%s\nstderr %q", err, out, errOut)
	}

	out, _, err = run(t, true, IncidentTimelineOptions{Limit: 2, All: true})
	var page incidents.TimelinePage
	if err != nil || json.Unmarshal([]byte(out), &page) != nil || len(page.Events) != 5 || page.Total != 5 || page.NextCursor != "" || page.Source != incidents.SourceCaseFile {
		t.Errorf("--all -o json (%v):\n%s", err, out)
	}
	out, _, err = run(t, true, IncidentTimelineOptions{Limit: 2})
	page = incidents.TimelinePage{}
	if err != nil || json.Unmarshal([]byte(out), &page) != nil || len(page.Events) != 2 || page.NextCursor == "" {
		t.Errorf("-o json (%v):\n%s", err, out)
	}

	_, _, err = run(t, false, IncidentTimelineOptions{Cursor: "forged"})
	if ExitCode(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), "bad cursor") {
		t.Errorf("a bad cursor: %v (exit %d), want a usage error", err, ExitCode(err))
	}
	_, _, err = run(t, false, IncidentTimelineOptions{Case: "run-9"})
	if ExitCode(err) != ExitNotFound {
		t.Errorf("an unknown case: %v (exit %d), want not found", err, ExitCode(err))
	}
}

func TestIncidentShowRun(t *testing.T) {
	tests := []struct {
		name   string
		alerts int
		has    []string
		hasNot []string
	}{
		{
			name: "a few alerts, all listed", alerts: 3,
			has:    []string{"incident/host:dc01  Inbound SMB to dc01", "3 alert(s)", "alert/suricata-000", "alert/suricata-002", "alert 2"},
			hasNot: []string{"the rest"},
		},
		{
			// The state keeps the top alerts only; the case file has all
			// of them, and show lists the first page.
			name: "more than a page", alerts: 101,
			has: []string{"101 alert(s)", "alert/suricata-050", "(the 100 highest of 101; the rest: GET /v1/incidents/host:dc01/alerts?cursor="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory(nil)
			if err := runIncidentShow(context.Background(), &IncidentShowOptions{Incident: "host:dc01", IO: f.streams(), Incidents: readerWith(t, 1, tt.alerts)}); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.has {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(out.String(), s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}

	f, out, _ := testFactory(nil)
	f.Global.Output = "json"
	if err := runIncidentShow(context.Background(), &IncidentShowOptions{Incident: "host:dc01", IO: f.streams(), Incidents: readerWith(t, 1, 3)}); err != nil {
		t.Fatal(err)
	}
	var shown struct {
		ID        string                `json:"id"`
		Status    string                `json:"status"`
		Alerts    []workflows.AlertRef  `json:"alerts"`
		AlertPage *incidents.AlertsPage `json:"alert_page"`
	}
	if err := json.Unmarshal(out.Bytes(), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.ID != "incident/host:dc01" || shown.Status != workflows.StatusAwaiting || len(shown.Alerts) != 1 ||
		shown.AlertPage == nil || len(shown.AlertPage.Alerts) != 3 || shown.AlertPage.Source != incidents.SourceCaseFile {
		t.Errorf("-o json keeps the state's fields and adds the alert page:\n%s", out)
	}

	f, _, _ = testFactory(nil)
	err := runIncidentShow(context.Background(), &IncidentShowOptions{Incident: "host:nope", IO: f.streams(), Incidents: readerWith(t, 1, 1)})
	if ExitCode(err) != ExitNotFound {
		t.Errorf("an unknown incident: %v (exit %d)", err, ExitCode(err))
	}
}

// TestIncidentReadsNeedTheCaseFile runs the commands as a user would, on a
// data folder without an event store: they fail before dialing Temporal,
// naming the setting to fix.
func TestIncidentReadsNeedTheCaseFile(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, "socflow.yaml", "data_dir: "+dir+"\n")
	for _, args := range [][]string{
		{"incident", "timeline", "host:dc01", "--config", cfg},
		{"incident", "show", "host:dc01", "--config", cfg},
	} {
		t.Run(args[1], func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			if code := Run(f, args); code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			for _, s := range []string{"enrichment.events.path", filepath.Join(dir, "events.db"), "no such file"} {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out)
			}
		})
	}
}

// TestIncidentListNeedsNoCaseFile: list reads Temporal's visibility only,
// so a data folder without an event store gets as far as Temporal.
func TestIncidentListNeedsNoCaseFile(t *testing.T) {
	cfg := writeFile(t, "socflow.yaml", "data_dir: "+t.TempDir()+"\n")
	f, _, errOut := testFactory(nil)
	if code := Run(f, []string{"incident", "list", "--config", cfg}); code != ExitUnavailable || strings.Contains(errOut.String(), "events") {
		t.Errorf("exit %d, want %d from dialling Temporal, not the case file:\n%s", code, ExitUnavailable, errOut)
	}
}

// TestRenderIncidentShowsWhatCapsLeftOut: a bounded incident says how many
// hosts and users its lists left out, and the errors it met.
func TestRenderIncidentShowsWhatCapsLeftOut(t *testing.T) {
	st := &workflows.IncidentState{
		ID: "incident/host:dc01", Title: "t", Status: workflows.StatusAwaiting,
		Hosts: []string{"dc01"}, Users: []string{"bob"},
		Omitted: workflows.Omitted{Hosts: 12, Users: 3},
		Errors:  []string{"case file: last batch not written; the audit record holds it"},
		Unavailable: []workflows.UnavailableAction{{Action: alert.NewAction(alert.ActionIsolateHost, "dc01", "r"),
			Reason: "no EDR that isolates hosts is configured: integrations.edr"}},
		Previous: &activities.CaseLink{CaseID: "run-a", OpenedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			Status: workflows.StatusFalsePositive, ClosedAt: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)},
	}
	var out bytes.Buffer
	renderIncident(&out, st, &incidents.AlertsPage{Total: 40}, time.Time{})
	for _, want := range []string{"dc01 (+12 more)", "bob (+3 more)", "Errors", "last batch not written", "40 alert(s)",
		"follows case run-a of this key", "isolate_host:dc01  cannot be carried out: no EDR that isolates hosts is configured: integrations.edr", "as false_positive): socflow incident timeline host:dc01 --case run-a",
		"Decide: socflow incident decide host:dc01 --approve|--deny|--escalate|--false-positive\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
