package cacaobook_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/cacao"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/cacaobook"
	"github.com/socflow/socflow/playbooks/playbookstest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func triage(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "triage.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func edrAPI(name string) bool { return name == "EDR API" }

// TestLoadRefusesWhatItCannotRun: a command type other than manual and
// http-api is refused with the step and the type; an http-api command to
// a target the configuration does not name is refused with the step and
// the name it would need.
func TestLoadRefusesWhatItCannotRun(t *testing.T) {
	if _, err := cacaobook.Load(triage(t), func(string) bool { return false }); err == nil ||
		!strings.Contains(err.Error(), "step action--e0fff5e8") || !strings.Contains(err.Error(), `integrations.http names no target "EDR API"`) {
		t.Errorf("no target configured: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(triage(t), &doc); err != nil {
		t.Fatal(err)
	}
	for id, s := range doc["workflow"].(map[string]any) {
		if st := s.(map[string]any); st["name"] == "Close alert" {
			st["commands"] = []any{map[string]any{"type": "bash", "command": "rm -rf /tmp/evidence"}}
			_, err := cacaobook.Load(mustJSON(t, doc), edrAPI)
			if err == nil || !strings.Contains(err.Error(), "step "+id+`: command type "bash" is not supported`) {
				t.Errorf("a bash command: %v", err)
			}
		}
	}
	if b, err := cacaobook.Load(triage(t), edrAPI); err != nil || b.Name != "triage-with-parallel-lookups" {
		t.Errorf("Load = %+v, %v", b, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCACAOPlaybookRunsInTheIncident: the document with parallel, switch
// and manual steps runs in the real Incident workflow: the severity
// question (free text, it assigns a variable) and the isolation step
// (done or failed) are asked of the tier as durable questions, the
// http-api command goes to the configured target with the document's
// path and body, and the switch takes the branch the answer names.
func TestCACAOPlaybookRunsInTheIncident(t *testing.T) {
	b, err := cacaobook.Load(triage(t), edrAPI)
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{ID: "n-1", Source: "suricata", Title: "Beacon from ws-7", Category: "network", Severity: alert.SeverityHigh, Time: t0,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "ws-7"}}}}
	var sent []string
	opts := playbookstest.Options{Playbook: b.Playbook(), Alert: a,
		HTTP: func(target, method, path, body string) (int, string) {
			sent = append(sent, target+" "+method+" "+path)
			return 201, "T-42"
		}}
	// The questions' IDs are the interpreter's keys: a first run lists
	// them (nobody answers, so the severity stays unknown).
	first, err := playbookstest.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Questions) == 0 {
		t.Fatalf("no question asked:\n%s", first)
	}
	sev := first.Questions[0]
	if !strings.Contains(sev.Text, "Rate the alert on ws-7") || len(sev.Options) != 0 {
		t.Fatalf("first question %+v, want the severity, free text, with the host substituted", sev)
	}

	sent = nil
	opts.Answers = []playbookstest.Answer{{After: 2 * time.Minute, By: "alice", Question: sev.ID, Answer: "high"}}
	second, err := playbookstest.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	var isolate *alert.Question
	for i, q := range second.Questions {
		if strings.Contains(q.Text, "Isolate ws-7 (ticket T-42)") {
			isolate = &second.Questions[i]
		}
	}
	if isolate == nil || !slices.Equal(isolate.Options, []string{"done", "failed"}) {
		t.Fatalf("the high branch's isolation was not asked, with the ticket from the API:\n%+v\n%s", second.Questions, second)
	}
	opts.Answers = append(opts.Answers, playbookstest.Answer{After: 10 * time.Minute, By: "alice", Question: isolate.ID, Answer: "done"},
		playbookstest.Answer{After: 20 * time.Minute, By: "alice", Verdict: alert.VerdictDeny, Note: "handled by hand"})
	sent = nil
	res, err := playbookstest.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sent, []string{"EDR API POST /api/tickets"}) {
		t.Errorf("HTTP calls %v, want the ticket POST to the configured target", sent)
	}
	text := strings.Join(res.Lines(), "\n")
	for _, want := range []string{"answered " + sev.ID + " via playbook test: high", "answered " + isolate.ID + " via playbook test: done",
		"CACAO playbook triage-with-parallel-lookups ended"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Close the alert") || strings.Contains(text, "senior analyst") {
		t.Errorf("the switch took another branch too:\n%s", text)
	}
	if res.Status != alert.StatusDenied || len(res.Refused) > 0 {
		t.Errorf("status %s, refused %v", res.Status, res.Refused)
	}
}

// TestImportVersionsAndExport: importing keeps a version per changed
// document (the same one twice adds nothing); the registry gets every
// version; a Go playbook exports as a CACAO document that validates, and
// an imported one as itself.
func TestImportVersionsAndExport(t *testing.T) {
	dir := cacaobook.Dir(t.TempDir())
	b1, added, err := dir.Import(triage(t), edrAPI)
	if err != nil || !added || b1.Version != 1 {
		t.Fatalf("first import: %+v %v %v", b1, added, err)
	}
	if _, added, err := dir.Import(triage(t), edrAPI); err != nil || added {
		t.Errorf("the same document again: added %v, %v", added, err)
	}
	var doc map[string]any
	_ = json.Unmarshal(triage(t), &doc)
	doc["description"] = "changed"
	b2, added, err := dir.Import(mustJSON(t, doc), edrAPI)
	if err != nil || !added || b2.Version != 2 {
		t.Fatalf("changed import: %+v %v %v", b2, added, err)
	}
	reg := playbooks.Builtin()
	if _, err := dir.Register(reg, edrAPI); err != nil {
		t.Fatal(err)
	}
	if vs := reg.Versions(b1.Name); !slices.Equal(vs, []int{1, 2}) {
		t.Errorf("registered versions %v", vs)
	}
	books, _ := dir.Books(edrAPI)
	pb, _ := reg.GetVersion(b1.Name, 1)
	if raw, err := cacaobook.Export(pb, books); err != nil || string(raw) != string(triage(t)) {
		t.Errorf("an imported playbook exports as imported: %v", err)
	}
	std, _ := reg.Get("account-compromise")
	raw, err := cacaobook.Export(std, books)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cacao.Validate(raw)
	if err != nil {
		t.Fatalf("the export does not validate: %v\n%s", err, raw)
	}
	if err := cacao.Supported(p); err != nil || !strings.Contains(string(raw), "Approve and carry out revoke_sessions") {
		t.Errorf("export: %v\n%s", err, raw)
	}
}
