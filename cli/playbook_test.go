package cli

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
)

// TestPlaybookGolden: the list with the rules routing to each playbook;
// validate on a configuration without providers (each routed playbook's
// actions named, exit 3) and with every provider; test running
// network-anomaly on dc01, answered from a file, its timeline printed.
func TestPlaybookGolden(t *testing.T) {
	everything := func(*config.Config) (activities.ContainmentPlan, error) {
		return activities.ContainmentPlan{Actions: alert.ActionKinds()}, nil
	}
	for _, c := range []struct {
		goldenCase
		all bool
	}{
		{goldenCase: goldenCase{name: "list", args: []string{"playbook", "list", "--config", "testdata/socflow.yaml"}}},
		{goldenCase: goldenCase{name: "list-json", args: []string{"-o", "json", "playbook", "list", "--config", "testdata/socflow.yaml"}}},
		{goldenCase: goldenCase{name: "validate-no-providers", args: []string{"playbook", "validate", "--config", "testdata/socflow.yaml"}, code: ExitConfig}},
		{goldenCase: goldenCase{name: "validate-ok", args: []string{"playbook", "validate", "--config", "testdata/socflow.yaml"}}, all: true},
		{goldenCase: goldenCase{name: "test", args: []string{"playbook", "test", "network-anomaly", "--config", "testdata/socflow.yaml",
			"--alert", "testdata/alerts/one.json", "--answers", "testdata/playbook/answers.yaml", "--context", "testdata/playbook/context.json"}}},
		{goldenCase: goldenCase{name: "test-nobody-answers", args: []string{"playbook", "test", "network-anomaly", "--config", "testdata/socflow.yaml",
			"--alert", "testdata/alerts/one.json"}}},
		{goldenCase: goldenCase{name: "test-unknown", args: []string{"playbook", "test", "ransomware", "--alert", "testdata/alerts/one.json"}, code: ExitUsage}},
		{goldenCase: goldenCase{name: "test-bad-answers", args: []string{"playbook", "test", "standard", "--alert", "testdata/alerts/one.json",
			"--answers", "testdata/alerts/one.json"}, code: ExitUsage}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			if c.all {
				f.ContainmentPlan = everything
			}
			runGolden(t, "playbook", f, out, errOut, c.goldenCase)
		})
	}
}

// scanner is an extension's own activity.
type scanner struct{}

// Sandbox is the activity: every file is malicious.
func (scanner) Sandbox(_ context.Context, file string) (string, error) {
	return "malicious: " + file, nil
}

// TestExtensionsReachThePlaybookCommands: a binary's own playbook, and the
// activity it runs, are listed, validated and tested like the built-in
// ones.
func TestExtensionsReachThePlaybookCommands(t *testing.T) {
	pb := playbooks.Playbook{Name: "sandbox-first", Version: 2, Description: "detonate, then decide", Actions: []alert.ActionKind{alert.ActionIsolateHost},
		Run: func(ctx workflow.Context, c playbooks.Case) error {
			var verdict string
			if err := c.Run(ctx, "Sandbox", "invoice.pdf", &verdict); err != nil {
				return err
			}
			c.Note(ctx, "sandbox says "+verdict)
			return nil
		}}
	f, out, errOut := testFactory(nil)
	Extensions{Playbooks: []playbooks.Playbook{pb}, Activities: []any{&scanner{}}}.apply(f)
	if code := Run(f, []string{"playbook", "list"}); code != 0 || !strings.Contains(out.String(), "sandbox-first       2        isolate_host") {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	out.Reset()
	if code := Run(f, []string{"playbook", "test", "sandbox-first", "--alert", "testdata/alerts/one.json"}); code != 0 ||
		!strings.Contains(out.String(), "sandbox says malicious: invoice.pdf") {
		t.Fatalf("test: exit %d\n%s%s", code, out, errOut)
	}
}
