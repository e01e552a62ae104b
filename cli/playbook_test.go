package cli

import (
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
)

// TestPlaybookGolden: the list with the rules routing to each playbook;
// validate on a configuration without providers (each routed playbook's
// actions named, exit 3) and with every provider; test running
// network-anomaly on dc01, answered from a file, its timeline printed.
func TestPlaybookGolden(t *testing.T) {
	everything := func(*config.Config) (activities.ContainmentPlan, error) {
		return activities.ContainmentPlan{Actions: []alert.ActionKind{alert.ActionIsolateHost, alert.ActionBlockIP, alert.ActionDisableUser}}, nil
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
		{goldenCase: goldenCase{name: "test-unknown", args: []string{"playbook", "test", "phishing", "--alert", "testdata/alerts/one.json"}, code: ExitUsage}},
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
