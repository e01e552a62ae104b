package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"

	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows"
)

// TestTemporalUIReadsLikeAnIncidentList reads, through the Temporal API
// the UI uses, what a manager sees of a started incident: its static
// summary (priority, title, host, rule) and details, its current details
// (status, the tier asked and where), the alert run's summary, a summary
// on every activity and timer of both, and the SLA state a list reads
// from the memo.
func TestTemporalUIReadsLikeAnIncidentList(t *testing.T) {
	s := startStack(t, stackOptions{})
	alertID := postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	ctx := context.Background()
	incID := workflows.IncidentWorkflowID("host:dc01")

	summary, details := userMetadata(t, s, incID)
	for _, want := range []string{"P1 · ", "host dc01", "rule "} {
		if !strings.Contains(summary, want) {
			t.Errorf("incident summary %q lacks %q", summary, want)
		}
	}
	for _, want := range []string{"**Incident**: host:dc01", "**Priority**: P1, score "} {
		if !strings.Contains(details, want) {
			t.Errorf("incident details lack %q:\n%s", want, details)
		}
	}
	if alertSummary, _ := userMetadata(t, s, alertID); !strings.Contains(alertSummary, "host dc01") {
		t.Errorf("alert run summary %q, want its host", alertSummary)
	}

	eventually(t, 30*time.Second, "the incident's current details", func() (bool, string) {
		v, err := s.client.QueryWorkflow(ctx, incID, "", "__temporal_workflow_metadata")
		if err != nil {
			return false, err.Error()
		}
		var md sdkpb.WorkflowMetadata
		if err := v.Get(&md); err != nil {
			return false, err.Error()
		}
		cur := md.GetCurrentDetails()
		return strings.Contains(cur, "**Status**: awaiting decision") && strings.Contains(cur, "**Tier**: IR, asked in ") &&
			strings.Contains(cur, "**SLA acknowledge**: due "), cur
	})

	for _, id := range []string{incID, alertID} {
		seen := 0
		for _, e := range historyOf(t, s, id) {
			if !needsSummary(e) {
				continue
			}
			seen++
			if got := decodeString(t, e.GetUserMetadata().GetSummary()); got == "" {
				t.Errorf("%s: event %d (%s) has no summary", id, e.GetEventId(), e.GetEventType())
			}
		}
		if seen == 0 {
			t.Errorf("%s: no activity or timer to check", id)
		}
	}

	// The playbook and the version it runs, for "which incidents are still
	// on version 1?" in the UI's search.
	eventually(t, 30*time.Second, "the playbook version search attribute", func() (bool, string) {
		d, err := s.client.DescribeWorkflowExecution(ctx, incID, "")
		if err != nil {
			return false, err.Error()
		}
		sa := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
		var name string
		var version int64
		_ = converter.GetDefaultDataConverter().FromPayload(sa["SocflowPlaybook"], &name)
		_ = converter.GetDefaultDataConverter().FromPayload(sa["SocflowPlaybookVersion"], &version)
		latest, ok := playbooks.Builtin().Get(name)
		return ok && version == int64(latest.Version), fmt.Sprintf("SocflowPlaybook %q, SocflowPlaybookVersion %d (latest %d)", name, version, latest.Version)
	})

	list, err := s.incidents().List(ctx, incidents.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range list {
		if sum.ID == incID && sum.SLA != incidents.SLAOnTime {
			t.Errorf("a P1 opened moments ago lists SLA %q, want on_time", sum.SLA)
		}
	}
}

// needsSummary reports whether e is an activity, a local activity or a
// timer: what the UI draws on a workflow's timeline.
func needsSummary(e *historypb.HistoryEvent) bool {
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_TIMER_STARTED:
		return true
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		return e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity"
	}
	return false
}

// userMetadata is a workflow's static summary and details, as the UI
// reads them from DescribeWorkflowExecution.
func userMetadata(t *testing.T, s *stack, id string) (summary, details string) {
	t.Helper()
	d, err := s.client.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	md := d.GetExecutionConfig().GetUserMetadata()
	return decodeString(t, md.GetSummary()), decodeString(t, md.GetDetails())
}

func decodeString(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		t.Fatalf("decode %v: %v", p, err)
	}
	return s
}
