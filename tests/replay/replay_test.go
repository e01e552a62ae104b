package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/playbooks"
)

// pendingScenarios have no recorded history yet. TestReplayCoversEveryPath
// skips these and fails for every other scenario without one; it also fails
// once a pending scenario has a history, so remove its entry when you
// record it.
var pendingScenarios = []Scenario{}

// changedPlaybookHistory is the history TestReplayCatchesAChangedPlaybook
// replays: it ran the network-anomaly playbook.
const changedPlaybookHistory = "testdata/incident_contained.json"

func manifest(t *testing.T) []Entry {
	t.Helper()
	entries, err := ReadManifest("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("testdata/histories.sum lists no history")
	}
	return entries
}

// TestReplayManifest keeps the histories kept: every listed file is there
// with the hash it was recorded with, and every history is listed.
func TestReplayManifest(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range manifest(t) {
		if listed[e.File] {
			t.Errorf("histories.sum lists %s twice", e.File)
			continue
		}
		listed[e.File] = true
		path := filepath.Join("testdata", e.File)
		sum, err := SumFile(path)
		switch {
		case os.IsNotExist(err):
			t.Errorf("%s is listed in histories.sum but missing: recorded histories are kept forever, never renamed or deleted; restore it from git", path)
			continue
		case err != nil:
			t.Error(err)
			continue
		case sum != e.SHA256:
			t.Errorf("%s has changed since it was recorded (sha256 %s, listed %s): histories are never edited; restore it from git and record a new one", path, sum, e.SHA256)
		}
		if typ, sc, ok := ParseFileName(e.File); !ok {
			t.Errorf("%s: the name does not follow <YYYYMMDD>-<commit>-<workflowtype>-<scenario>.json", e.File)
		} else if typ != strings.ToLower(e.Scenario.WorkflowType) || sc != e.Scenario.Name {
			t.Errorf("%s: the name says %s/%s, histories.sum says %s", e.File, typ, sc, e.Scenario)
		}
		if !Known(e.Scenario) {
			t.Errorf("%s: scenario %s is not in replay.Scenarios", e.File, e.Scenario)
		}
		if typ, err := WorkflowTypeOf(path); err != nil {
			t.Error(err)
		} else if typ != e.Scenario.WorkflowType {
			t.Errorf("%s is a history of %s, histories.sum says %s", e.File, typ, e.Scenario.WorkflowType)
		}
	}

	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if listed[name] {
			continue
		}
		sum, _ := SumFile(f)
		typ, _ := WorkflowTypeOf(f)
		how := "add the line"
		_, scenario, ok := ParseFileName(name)
		if !ok {
			scenario = "<scenario>"
			how = "name it <YYYYMMDD>-<commit>-<workflowtype>-<scenario>.json and add the line"
		}
		t.Errorf("%s is not listed in testdata/histories.sum. Record histories with `make record-histories`, which names and lists them; "+
			"to keep this file, %s\n%s", f, how, Entry{SHA256: sum, File: name, Scenario: Scenario{typ, scenario}})
	}
}

// TestReplayRecordedHistories replays every listed history against the
// current workflows.
func TestReplayRecordedHistories(t *testing.T) {
	for _, e := range manifest(t) {
		t.Run(e.File, func(t *testing.T) {
			if err := ReplayFile(playbooks.Builtin(), filepath.Join("testdata", e.File)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReplayCoversEveryPath requires a recorded history for every
// scenario, except those still in pendingScenarios.
func TestReplayCoversEveryPath(t *testing.T) {
	recorded := map[Scenario][]string{}
	for _, e := range manifest(t) {
		recorded[e.Scenario] = append(recorded[e.Scenario], e.File)
	}
	pending := map[Scenario]bool{}
	for _, s := range pendingScenarios {
		if !Known(s) {
			t.Errorf("pendingScenarios lists %s, which is not in replay.Scenarios", s)
		}
		pending[s] = true
	}
	for _, s := range Scenarios {
		t.Run(s.String(), func(t *testing.T) {
			files := recorded[s]
			switch {
			case len(files) > 0 && pending[s]:
				t.Errorf("%s is recorded (%s): remove it from pendingScenarios", s, strings.Join(files, ", "))
			case len(files) == 0 && pending[s]:
				t.Skipf("%s: no history recorded yet (pendingScenarios)", s)
			case len(files) == 0:
				t.Errorf("no recorded history covers %s: record one with `make record-histories` (tests/integration/record_test.go has a scenario per path)", s)
			}
		})
	}
}

// TestReplayCatchesAChangedPlaybook proves the suite can fail: a playbook
// that proposes different containment than the recorded one did must be
// reported as non-deterministic.
func TestReplayCatchesAChangedPlaybook(t *testing.T) {
	if _, err := os.Stat(changedPlaybookHistory); err != nil {
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
	err := ReplayFile(changed, changedPlaybookHistory)
	if err == nil || !strings.Contains(err.Error(), "[TMPRL1100]") {
		t.Fatalf("replay with a changed playbook: %v, want a [TMPRL1100] non-determinism error", err)
	}
}
