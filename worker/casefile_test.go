package worker

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/events"
)

var opened = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

// fullRecord sets every field of a case record, nested ones included.
func fullRecord() activities.CaseRecord {
	return activities.CaseRecord{
		IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: opened, TimelineStart: 3, Batch: "run-1/2",
		Alerts: []activities.CaseAlert{{
			WorkflowID: "alert/suricata-1", AlertID: "a-1", Source: "suricata", Rule: "r1", Title: "Inbound SMB to dc01",
			Severity: alert.SeverityHigh, Score: 90, Occurrences: 2, FirstSeen: opened, LastSeen: opened.Add(time.Minute),
		}},
		Occurrences: []activities.CaseOccurrences{{WorkflowID: "alert/suricata-1", IDs: []string{"e-1", "e-2"}}},
		Related:     []activities.CaseRelated{{AlertID: "a-1", Events: []alert.RelatedEvent{{Time: opened.Add(-time.Minute), Kind: "dns", Summary: "dns evil.example"}}}},
		Timeline:    []alert.TimelineEvent{{At: opened, Stage: "route", Actor: "socflow", Message: "P1 to IR", AlertID: "a-1"}},
	}
}

// TestCaseWriterStores writes through the activity as the worker wires
// it and reads the store back.
func TestCaseWriterStores(t *testing.T) {
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cf := &activities.CaseFile{Store: caseWriter{store}}
	for range 2 { // a retried batch
		if _, err := cf.RecordCase(context.Background(), activities.RecordCaseInput{Record: fullRecord()}); err != nil {
			t.Fatal(err)
		}
	}
	q := events.CaseQuery{IncidentID: "incident/host:dc01"}
	tl, err := store.CaseTimeline(context.Background(), q)
	if err != nil || tl.Total != 1 || tl.Items[0].Message != "P1 to IR" {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	al, err := store.CaseAlerts(context.Background(), q)
	if err != nil || al.Total != 1 || al.Items[0] != events.CaseAlert(fullRecord().Alerts[0]) {
		t.Errorf("alerts = %+v, %v", al, err)
	}
	ids, err := store.CaseOccurrenceIDs(context.Background(), q, "alert/suricata-1")
	if err != nil || !reflect.DeepEqual(ids.Items, []string{"e-1", "e-2"}) {
		t.Errorf("ids = %+v, %v", ids, err)
	}
}

// TestOpenEventsReadOnly is the CLI's open beside the worker's: the reader
// sees what the writer stores, and without a store it names the setting.
func TestOpenEventsReadOnly(t *testing.T) {
	cfg, err := config.Parse(nil, "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	if _, err := OpenEventsReadOnly(cfg); err == nil || !strings.Contains(err.Error(), "enrichment.events.path") ||
		!strings.Contains(err.Error(), filepath.Join(cfg.DataDir, "events.db")) {
		t.Errorf("without a store: %v", err)
	}
	w, err := OpenEvents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := OpenEventsReadOnly(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := (caseWriter{w}).AppendCase(context.Background(), fullRecord()); err != nil {
		t.Fatal(err)
	}
	if p, err := r.CaseTimeline(context.Background(), events.CaseQuery{IncidentID: "incident/host:dc01"}); err != nil || p.Total != 1 {
		t.Errorf("the reader sees %+v, %v", p, err)
	}
}
