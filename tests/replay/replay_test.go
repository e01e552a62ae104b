package replay

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// TestReplayCatchesAnUnguardedChangeToEveryShippedPlaybook: for each
// playbook socflow ships, in each version a recorded incident ran, a
// change that is not guarded (a new timer before its first step) makes
// that history fail to replay: an unguarded change to any of them is
// caught before it strands a running incident.
func TestReplayCatchesAnUnguardedChangeToEveryShippedPlaybook(t *testing.T) {
	ran := map[string][]string{} // "name@version" -> files
	for _, e := range manifest(t) {
		if e.Scenario.WorkflowType != "Incident" {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", e.File))
		if err != nil {
			t.Fatal(err)
		}
		if name, version, ok := playbookOf(data); ok {
			k := fmt.Sprintf("%s@%d", name, version)
			ran[k] = append(ran[k], e.File)
		}
	}
	builtin := playbooks.Builtin()
	for _, p := range builtin.List() {
		for _, v := range builtin.Versions(p.Name) {
			k := fmt.Sprintf("%s@%d", p.Name, v)
			t.Run(k, func(t *testing.T) {
				files := ran[k]
				if len(files) == 0 {
					if v == 1 && len(builtin.Versions(p.Name)) > 1 {
						t.Skipf("no recorded incident ran %s, which new incidents no longer start on", k)
					}
					t.Fatalf("no recorded incident history ran %s: record one (make record-histories)", k)
				}
				orig, _ := builtin.GetVersion(p.Name, v)
				if err := ReplayFile(builtin, filepath.Join("testdata", files[0])); err != nil {
					t.Fatalf("%s does not replay unchanged: %v", files[0], err)
				}
				changed := playbooks.Builtin()
				c := orig
				c.Run = func(ctx workflow.Context, cs playbooks.Case) error {
					if err := workflow.Sleep(ctx, 1); err != nil {
						return err
					}
					return orig.Run(ctx, cs)
				}
				changed.Add(c)
				err := ReplayFile(changed, filepath.Join("testdata", files[0]))
				if err == nil || !strings.Contains(err.Error(), "[TMPRL1100]") {
					t.Fatalf("%s replayed with an unguarded change to %s: %v, want a [TMPRL1100] non-determinism error", files[0], k, err)
				}
			})
		}
	}
}

// playbookOf reads the playbook (and version) an incident history ran:
// from its search attributes (SocflowPlaybook, SocflowPlaybookVersion,
// from incident-rules v6 on), else from its payloads (base64 JSON in the
// history file), where a version, when none is named, is 1 (every
// history recorded before version 2 existed).
func playbookOf(history []byte) (name string, version int, ok bool) {
	var doc any
	if json.Unmarshal(history, &doc) != nil {
		return "", 0, false
	}
	decode := func(p any, out any) bool {
		m, isMap := p.(map[string]any)
		d, isStr := m["data"].(string)
		if !isMap || !isStr {
			return false
		}
		raw, err := base64.StdEncoding.DecodeString(d)
		return err == nil && json.Unmarshal(raw, out) == nil
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if f, isMap := x["indexedFields"].(map[string]any); isMap {
				var n string
				var ver int
				if decode(f["SocflowPlaybook"], &n) && n != "" {
					name = n
				}
				if decode(f["SocflowPlaybookVersion"], &ver) && ver > version {
					version = ver
				}
			}
			if name == "" {
				if d, isStr := x["data"].(string); isStr {
					if raw, err := base64.StdEncoding.DecodeString(d); err == nil {
						if m := playbookField.FindSubmatch(raw); m != nil {
							name = string(m[1])
						}
					}
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return name, max(version, 1), name != ""
}

var playbookField = regexp.MustCompile(`"playbook":"([a-z0-9-]+)"`)
