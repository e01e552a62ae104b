package integration

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows"
)

var record = flag.Bool("record", false, "write the recorded histories to ../replay/testdata (see README: re-recording histories)")

// TestRecordHistories runs both workflows to completion on the real server
// and replays their histories with the current code. With -record it also
// stores them as the replay suite's fixtures:
//
//	go test ./tests/integration -run TestRecordHistories -record
func TestRecordHistories(t *testing.T) {
	// Incidents stay open 3s after their last step: long enough for the
	// revert below on a loaded machine, short enough to finish the test.
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Routing.Rules[0].Window = 3 * time.Second
	}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// dc01: approved, contained, then reverted as a false positive.
	dc01 := readExample(t, "network-anomaly-dc01.json")
	var resp intake.Response
	s.post("/v1/alerts", "application/json", dc01, &resp)
	alertID := resp.Results[0].WorkflowID
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	// A duplicate, counted on the incident before anyone decides (with
	// one-second windows a later one would open a new incident).
	s.post("/v1/alerts", "application/json", dc01, nil)
	eventually(t, 30*time.Second, "duplicate forwarded", func() (bool, string) {
		st := s.waitStatus("host:dc01", time.Second, workflows.StatusAwaiting)
		return st.Occurrences == 2, st.Status
	})
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "approve", By: "alice"})
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusContained)
	decide(t, s, "host:dc01", workflows.DecideInput{Verdict: "revert", By: "alice", Note: "red team exercise"})

	// prn-01: escalated by bob, denied by carol.
	s.post("/v1/alerts", "application/json", readExample(t, "network-anomaly-printer.json"), nil)
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "escalate", By: "bob", Note: "odd hour"})
	decide(t, s, "host:prn-01", workflows.DecideInput{Verdict: "deny", By: "carol"})

	dir := t.TempDir()
	if *record {
		dir = "../replay/testdata"
	}
	files := map[string]string{
		"respond_to_alert.json":              alertID,
		"incident_contained.json":            workflows.IncidentWorkflowID("host:dc01"),
		"incident_escalated_and_denied.json": workflows.IncidentWorkflowID("host:prn-01"),
	}
	for name, id := range files {
		waitClosed(t, s.client, id)
		path := filepath.Join(dir, name)
		writeHistory(ctx, t, s.client, id, path)
		replayer := worker.NewWorkflowReplayer()
		workflows.New(playbooks.Builtin()).Register(replayer)
		if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, path); err != nil {
			t.Errorf("replay %s (%s): %v", name, id, err)
		}
	}
}

func decide(t *testing.T, s *stack, key string, in workflows.DecideInput) {
	t.Helper()
	body, _ := json.Marshal(in)
	var out json.RawMessage
	eventually(t, 30*time.Second, "decision "+string(in.Verdict)+" on "+key, func() (bool, string) {
		code := s.post("/v1/incidents/"+key+"/decision", "application/json", body, &out)
		return code == http.StatusOK, string(out)
	})
}

func waitClosed(t *testing.T, c client.Client, id string) {
	t.Helper()
	eventually(t, 60*time.Second, id+" closed", func() (bool, string) {
		d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
		if err != nil {
			return false, err.Error()
		}
		return d.GetWorkflowExecutionInfo().GetCloseTime() != nil, d.GetWorkflowExecutionInfo().GetStatus().String()
	})
}

func writeHistory(ctx context.Context, t *testing.T, c client.Client, id, path string) {
	t.Helper()
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
