package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socflow/socflow/cacao"
)

// TestPlaybookImportExportRun: import validates a CACAO document against
// the configuration's HTTP targets and keeps it as version 1 (then 2 for a
// changed one); a refused document exits 2 naming the step; the imported
// playbook is listed; export writes it back as imported, and a Go
// playbook as a CACAO document that validates.
func TestPlaybookImportExportRun(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "socflow.yaml")
	cfgText := "data_dir: " + filepath.Join(dir, "data") + "\nintegrations:\n  http:\n    - {name: EDR API, url: https://edr.example.net/}\n"
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "playbooks", "cacaobook", "testdata", "triage.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "triage.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		f, out, errOut := testFactory(nil)
		code := Run(f, append([]string{"--config", cfgPath}, args...))
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run("playbook", "import", file); code != 0 || !strings.Contains(out, "imported as playbook triage-with-parallel-lookups version 1") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "playbooks", "cacao", "triage-with-parallel-lookups.v1.json")); err != nil {
		t.Errorf("not kept in the data directory: %v", err)
	}
	if code, out, _ := run("playbook", "import", file); code != 0 || !strings.Contains(out, "already imported") {
		t.Errorf("the same document again: exit %d\n%s", code, out)
	}
	bad := strings.Replace(string(doc), `"type": "manual"`, `"type": "ssh"`, 1)
	if bad == string(doc) {
		t.Fatal("the fixture has no manual command to break")
	}
	badFile := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(badFile, []byte(bad), 0o600)
	if code, _, errOut := run("playbook", "import", badFile); code != ExitUsage || !strings.Contains(errOut, `command type "ssh" is not supported`) || !strings.Contains(errOut, "step action--") {
		t.Errorf("an ssh command: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := run("-o", "json", "playbook", "list"); code != 0 || !strings.Contains(out, `"name": "triage-with-parallel-lookups"`) {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run("playbook", "export", "triage-with-parallel-lookups")
	if code != 0 || strings.TrimSpace(out) != strings.TrimSpace(string(doc)) {
		t.Errorf("export of the imported playbook: exit %d, same document %v\n%s", code, strings.TrimSpace(out) == strings.TrimSpace(string(doc)), errOut)
	}
	code, out, errOut = run("playbook", "export", "malware-on-host")
	if code != 0 {
		t.Fatalf("export malware-on-host: exit %d\n%s", code, errOut)
	}
	p, err := cacao.Validate([]byte(out))
	if err != nil || !json.Valid([]byte(out)) || !strings.Contains(p.Name, "malware-on-host") {
		t.Errorf("the Go playbook's export: %v\n%s", err, out)
	}
	if code, _, errOut := run("playbook", "export", "nope"); code != ExitUsage || !strings.Contains(errOut, `no playbook "nope"`) {
		t.Errorf("an unknown playbook: exit %d %s", code, errOut)
	}
}
