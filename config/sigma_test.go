package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
)

func TestShippedCorrelationRulesLoad(t *testing.T) {
	cs, err := config.LoadSigmaDir("../examples/rules")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"failed_logins_then_firewall_allow": policy.TemporalOrdered,
		"many_failed_logins":                policy.EventCount,
		"password_spray":                    policy.ValueCount,
		"process_then_firewall_block":       policy.TemporalOrdered,
	}
	if len(cs.Rules) != len(want) {
		t.Fatalf("loaded %d rules, want %d", len(cs.Rules), len(want))
	}
	for _, r := range cs.Rules {
		if want[r.Key()] != r.Type {
			t.Errorf("rule %s has type %s, want %s", r.Key(), r.Type, want[r.Key()])
		}
	}
	for _, b := range []string{"failed_login", "firewall_allow", "firewall_block", "new_process"} {
		if _, ok := cs.Bases[b]; !ok {
			t.Errorf("base rule %s not loaded", b)
		}
	}
	spray := cs.Get("password_spray")
	if spray.Timespan != 30*time.Minute || spray.Condition.Field != "user" || *spray.Condition.GTE != 5 || spray.Level != "high" {
		t.Errorf("password_spray = %+v", spray)
	}
	if !cs.Referenced(cs.Get("many_failed_logins")) || cs.Referenced(spray) {
		t.Error("many_failed_logins feeds the brute-force rule; password_spray feeds nothing")
	}
}

func TestSigmaErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"unknown type", "title: x\ncorrelation:\n  type: sometimes\n  rules: [a]\n  group-by: [host]\n  timespan: 5m\n", `r.yml:3: correlation.type: unknown type "sometimes"`},
		{"unsupported type", "title: x\ncorrelation:\n  type: value_sum\n  rules: [a]\n  group-by: [host]\n  timespan: 5m\n  condition: {field: bytes, gt: 1}\n", "value_sum is not supported yet"},
		{"bad timespan", "title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [host]\n  timespan: 10 minutes\n  condition: {gte: 2}\n", `r.yml:6: correlation.timespan: "10 minutes" is not a number`},
		{"missing condition", "title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [host]\n  timespan: 5m\n", "correlation.condition: is required for event_count"},
		{"value_count without field", "title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  group-by: [host]\n  timespan: 5m\n  condition: {gte: 2}\n", "correlation.condition.field: is required for value_count"},
		{"unknown correlation key", "title: x\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  groupby: [host]\n  timespan: 5m\n", "r.yml:5: correlation.groupby: unknown key"},
		{"temporal with one rule", "title: x\ncorrelation:\n  type: temporal\n  rules: [a]\n  group-by: [host]\n  timespan: 5m\n", "temporal needs at least two rules"},
		{"unknown top-level key", "title: x\ncorelation: {}\n", "r.yml:2: corelation: not a Sigma rule field"},
		{"bad detection", "title: x\nname: a\ndetection:\n  sel: {rule: x}\n  condition: sel and other\n", `names "other", which is not a selection`},
		{"bad modifier", "title: x\nname: a\ndetection:\n  sel: {rule|regex: x}\n  condition: sel\n", `modifier "regex" is not supported`},
		{"bad level", "title: x\nlevel: severe\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [host]\n  timespan: 5m\n", `level: "severe" is not a Sigma level`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseSigma("r.yml", []byte(tc.yml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConfigReportsBrokenRulesDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", "bad.yml"), []byte("title: x\ncorrelation:\n  type: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "socflow.yaml")
	if err := os.WriteFile(path, []byte("correlation:\n  rules_dir: rules\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, env(nil))
	if err == nil || !strings.Contains(err.Error(), "socflow.yaml:2: correlation.rules_dir:") || !strings.Contains(err.Error(), "bad.yml:3: correlation.type") {
		t.Fatalf("err = %v", err)
	}
}

// TestSigmaSpecificationExamples reads the specification's own examples
// when the shared real data is present.
func TestSigmaSpecificationExamples(t *testing.T) {
	dir := "../../shared/realdata/sigma/correlation"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("real data not present:", err)
	}
	for file, wantErr := range map[string]string{
		"spec_test_event_count.yml":      "",
		"spec_test_event_count_ecs.yml":  "",
		"spec_test_value_count.yml":      "",
		"spec_test_temporal.yml":         "",
		"spec_test_temporal_ordered.yml": "",
		"spec_test_value_sum.yml":        "value_sum is not supported",
		"spec_test_value_avg.yml":        "value_avg is not supported",
		"spec_test_value_percentile.yml": "value_percentile is not supported",
	} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Skip(err)
			}
			cs, err := config.ParseSigma(file, data)
			switch {
			case wantErr == "" && err != nil:
				t.Fatal(err)
			case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
				t.Fatalf("err = %v, want %q", err, wantErr)
			case wantErr == "" && len(cs.Rules) == 0:
				t.Fatal("no rule loaded")
			}
		})
	}
}
