// Package replay replays recorded histories of socflow's workflows with the
// current code. A change to workflow or playbook code that would break
// incidents already in flight fails here, before it reaches a worker.
//
// Re-record the histories after an intended, versioned change with:
//
//	go test ./tests/integration -run TestRecordHistories -args -record
package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows"
)

func histories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d recorded histories in testdata, want at least 3 (both workflows)", len(files))
	}
	return files
}

func TestReplayRecordedHistories(t *testing.T) {
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			workflows.New(playbooks.Builtin()).Register(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReplayCatchesAChangedPlaybook proves the suite can fail: a playbook
// that proposes different containment than the recorded one did must be
// reported as non-deterministic.
func TestReplayCatchesAChangedPlaybook(t *testing.T) {
	f := "testdata/incident_contained.json"
	if _, err := os.Stat(f); err != nil {
		t.Fatal(err)
	}
	changed := playbooks.Builtin()
	changed.Add(playbooks.Playbook{Name: "network-anomaly", Run: func(ctx workflow.Context, c playbooks.Case) error {
		// Sleeps first: a new timer where the history has an activity.
		if err := workflow.Sleep(ctx, 1); err != nil {
			return err
		}
		return playbooks.NetworkAnomaly(ctx, c)
	}})
	r := worker.NewWorkflowReplayer()
	workflows.New(changed).Register(r)
	err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
	if err == nil || !strings.Contains(err.Error(), "[TMPRL1100]") {
		t.Fatalf("replay with a changed playbook: %v, want a [TMPRL1100] non-determinism error", err)
	}
}
