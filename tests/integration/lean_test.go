package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/socflow/socflow/workflows"
)

// TestNewAlertCostsOnlyWhatTheEngineMust: a unique alert used to cost 8
// workflow tasks, 6 activities and 5 search-attribute upserts
// (`socflow bench`, before the lean engine). Steps in the worker's own
// process (the handoff, the event store, the case file) went through the
// server's task queues, an incident without a ticket tracker asked it
// anyway at every message, each publish was an upsert, and a day-long
// timer was started for a first alert already delivered. This checks the
// histories of one alert: only the EDR is a remote activity in the alert
// run, only the notification in the incident, one upsert of socflow's
// attributes in each of the incident's first tasks, no such timer.
func TestNewAlertCostsOnlyWhatTheEngineMust(t *testing.T) {
	s := startStack(t, stackOptions{})
	alertID := postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	incID := workflows.IncidentWorkflowID("host:dc01")
	eventually(t, 30*time.Second, "the case file's first batch", func() (bool, string) {
		st, err := s.incidents().Get(context.Background(), "host:dc01")
		if err != nil {
			return false, err.Error()
		}
		return st.CaseBatches > 0, "no batch yet"
	})

	alertRun := historyOf(t, s, alertID)
	if got := activityTypes(alertRun); strings.Join(got, ",") != "DescribeHost" {
		t.Errorf("alert run scheduled activities %v, want only the EDR's DescribeHost (the rest run in process)", got)
	}
	inc := historyOf(t, s, incID)
	for _, typ := range activityTypes(inc) {
		if typ != "NotifyIncident" {
			t.Errorf("incident scheduled %s: with no ticket tracker only notifications leave the process", typ)
		}
	}
	for name, h := range map[string][]*historypb.HistoryEvent{"alert run": alertRun, "incident": inc} {
		for _, e := range h {
			if a := e.GetTimerStartedEventAttributes(); a != nil && a.GetStartToFireTimeout().AsDuration() == 24*time.Hour {
				t.Errorf("%s started a day-long timer for a first alert it already had", name)
			}
		}
		tasks, upserts := 0, 0
		for _, e := range h {
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				tasks++
				upserts = 0
			case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
				if _, ok := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()[workflows.SAStatus.GetName()]; ok {
					if upserts++; upserts > 1 {
						t.Errorf("%s: two upserts of socflow's search attributes after workflow task %d", name, tasks)
					}
				}
			}
		}
	}
}

func historyOf(t *testing.T, s *stack, id string) []*historypb.HistoryEvent {
	t.Helper()
	var out []*historypb.HistoryEvent
	it := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func activityTypes(h []*historypb.HistoryEvent) []string {
	var out []string
	for _, e := range h {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			out = append(out, a.GetActivityType().GetName())
		}
	}
	return out
}
