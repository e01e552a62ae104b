package cacao

import (
	"os"
	"path/filepath"
	"testing"
)

// realData returns the shared real playbooks, or skips the test when the
// checkout has no shared/ beside it. shared/ sits next to the repository
// root, so the root is found by its go.mod, whichever package dir the test
// runs in.
func realData(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	rd := filepath.Join(dir, "..", "shared", "realdata", "playbooks", "cacao")
	if _, err := os.Stat(rd); err != nil {
		t.Skipf("real CACAO playbooks not present at %s", rd)
	}
	return rd
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture reads, validates and returns one of testdata's playbooks.
func fixture(t *testing.T, name string) *Playbook {
	t.Helper()
	p, err := Validate(readFile(t, filepath.Join("testdata", name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// stepByName finds a step's ID by its name, so that tests do not repeat UUIDs.
func stepByName(t *testing.T, p *Playbook, name string) string {
	t.Helper()
	for _, id := range p.StepIDs() {
		if p.Workflow[id].Name == name {
			return id
		}
	}
	t.Fatalf("playbook %s has no step named %q", p.ID, name)
	return ""
}
