package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDefaultsAreValid(t *testing.T) {
	c, err := config.Parse(nil, "", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policy.Tiers) != 3 || c.Policy.Tiers[2].Name != "IR" {
		t.Errorf("default tiers = %+v, want T1, T2, IR", c.Policy.Tiers)
	}
	if c.Policy.Scoring.Paths[alert.P1] != "IR" {
		t.Errorf("P1 path = %q, want IR", c.Policy.Scoring.Paths[alert.P1])
	}
}

func TestFileOverridesDefaults(t *testing.T) {
	yml := `
triage:
  dedupe_window: 10m
scoring:
  paths: {P2: T1}
tiers:
  - {name: L1, timeout: 5m, on_timeout: escalate, approvers: [alice]}
  - {name: L2, timeout: 10m, on_timeout: default}
routing:
  default: {group_by: [user], window: 30m, playbook: standard}
`
	// Paths must name existing tiers: P1, P3 and P4 still say IR/T1.
	_, err := config.Parse([]byte(yml), "s.yaml", env(nil))
	if err == nil || !strings.Contains(err.Error(), `scoring.paths.P1: names tier "IR", which is not in tiers`) {
		t.Fatalf("err = %v, want the P1 path reported against the replaced tiers", err)
	}
	yml += "  rules: []\n"
	yml = strings.Replace(yml, "paths: {P2: T1}", "paths: {P1: L2, P2: L1, P3: L1, P4: L1}", 1)
	c, err := config.Parse([]byte(yml), "s.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policy.Tiers) != 2 || c.Policy.Tiers[0].Approvers[0] != "alice" {
		t.Errorf("tiers = %+v: a list in the file replaces the default list", c.Policy.Tiers)
	}
	if c.Policy.Triage.DedupeWindow != 10*time.Minute {
		t.Errorf("dedupe window = %s", c.Policy.Triage.DedupeWindow)
	}
	if c.Policy.Scoring.SeverityBase[alert.SeverityHigh] != 75 {
		t.Errorf("a map key the file does not set keeps its default")
	}
	if len(c.Policy.Routing.Default.GroupBy) != 1 || len(c.Policy.Routing.Rules) != 0 {
		t.Errorf("routing = %+v", c.Policy.Routing)
	}
}

func TestErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"unknown field", "triage:\n  dedupe_windw: 1h\n", "s.yaml:2: field dedupe_windw not found"},
		{"bad duration", "triage:\n  dedupe_window: soon\n", "s.yaml:2:"},
		{"last tier escalates", "tiers:\n  - {name: T1, timeout: 1m, on_timeout: default}\n  - {name: IR, timeout: 1m, on_timeout: escalate}\nscoring:\n  paths: {P1: IR, P2: T1, P3: T1, P4: T1}\n", "s.yaml:3: tiers[1].on_timeout: the last tier has no tier to escalate to"},
		{"suppression without expiry", "triage:\n  suppressions:\n    - name: x\n      match: {rule: r}\n      reason: noisy\n", "s.yaml:3: triage.suppressions[0].expires: is required"},
		{"unknown match field", "triage:\n  suppressions:\n    - name: x\n      match: {colour: red}\n      reason: noisy\n      expires: 2030-01-01\n", "triage.suppressions[0].match.colour: unknown field"},
		{"literal secret", "integrations:\n  edr:\n    provider: defender\n    url: https://x.example\n    token: hunter2\n", "s.yaml:5: a secret must be an environment reference"},
		{"unset secret", "integrations:\n  edr:\n    provider: defender\n    url: https://x.example\n    token: $NOPE\n", "s.yaml:5: integrations.edr.token: environment variable NOPE is not set"},
		{"bad provider", "integrations:\n  edr: {provider: crowdstrike}\n", `integrations.edr.provider: "crowdstrike" is not one of`},
		{"priorities out of order", "scoring:\n  priorities: {P1: 50, P2: 60, P3: 40}\n", "s.yaml:2: scoring.priorities: thresholds must satisfy"},
		{"negative multiplier", "scoring:\n  asset_tier_multiplier: {2: -1}\n", "s.yaml:2: scoring.asset_tier_multiplier.2: must be a positive multiplier"},
		{"missing intel file", "enrichment:\n  intel:\n    files: [nope.csv]\n", "s.yaml:3: enrichment.intel.files[0]:"},
		{"no alerts per request", "server:\n  max_alerts_per_request: 0\n", "s.yaml:2: server.max_alerts_per_request: must be positive"},
		{"bad allowed host", "server:\n  allowed_hosts: [\"https://soc.example.com/\"]\n", "server.allowed_hosts[0]: \"https://soc.example.com/\" is not a host name"},
		{"http target without a name", "integrations:\n  http:\n    - url: https://soar.example\n", "s.yaml:3: integrations.http[0].name: is required"},
		{"http target bad url", "integrations:\n  http:\n    - name: soar\n      url: soar.example\n", "s.yaml:4: integrations.http[0].url:"},
		{"http target twice", "integrations:\n  http:\n    - {name: soar, url: https://a.example}\n    - {name: soar, url: https://b.example}\n", `integrations.http[1].name: "soar" is named twice`},
		{"http credential in headers", "integrations:\n  http:\n    - name: soar\n      url: https://a.example\n      headers: {Authorization: Bearer x}\n", "s.yaml:5: integrations.http[0].headers: Authorization belongs in token"},
		{"http literal token", "integrations:\n  http:\n    - {name: soar, url: https://a.example, token: hunter2}\n", "s.yaml:3: a secret must be an environment reference"},
		{"sla unknown priority", "sla:\n  priorities:\n    P9: {acknowledge: 15m}\n", "s.yaml:3: sla.priorities.P9: is not a priority"},
		{"sla contain before acknowledge", "sla:\n  priorities:\n    P1: {acknowledge: 1h, contain: 15m}\n", "sla.priorities.P1.contain: 15m0s is shorter than acknowledge"},
		{"bad temporal ui url", "server:\n  ui:\n    temporal_ui_url: ftp://temporal\n", `s.yaml:3: server.ui.temporal_ui_url: "ftp://temporal" is not an http(s) URL`},
		{"bad slack workspace url", "server:\n  ui:\n    slack_workspace_url: acme.slack.com\n", `s.yaml:3: server.ui.slack_workspace_url: "acme.slack.com" is not an http(s) URL`},
		{"lease without an undo", "containment:\n  lease: {revoke_sessions: 1h}\n", "s.yaml:2: containment.lease.revoke_sessions: revoke_sessions has no undo (sessions cannot be restored), so it takes no lease"},
		{"unknown kind", "containment:\n  verify: {quarantine_mail: 1h}\n", "containment.verify.quarantine_mail: is not an action kind (isolate_host, block_ip, disable_user, revoke_sessions, block_hash, block_sender_domain)"},
		{"protected hash", "containment:\n  protected:\n    hashes: [evil.exe]\n", `containment.protected.hashes[0]: "evil.exe" is not a file hash`},
		{"protected domain glob", "containment:\n  protected:\n    domains: [\"[example.com\"]\n", "containment.protected.domains[0]:"},
		{"not yaml", "tiers: [\n", "s.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yml), "s.yaml", env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a *config.Error", err)
			}
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	yml := "triage:\n  dedupe_window: -1m\ntemporal:\n  namespace: \"\"\n"
	_, err := config.Parse([]byte(yml), "s.yaml", env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"s.yaml:2: triage.dedupe_window", "s.yaml:4: temporal.namespace"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
}

func TestEnvironmentWinsAndSecretsStayRedacted(t *testing.T) {
	yml := "integrations:\n  edr:\n    provider: defender\n    url: https://api.example\n    token: ${EDR_TOKEN}\n"
	c, err := config.Parse([]byte(yml), "s.yaml", env(map[string]string{
		"EDR_TOKEN": "s3cret", "TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_API_KEY": "k3y",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.Address != "temporal:7233" || c.Integrations.EDR.Token.Value() != "s3cret" || c.Temporal.APIKey.Value() != "k3y" {
		t.Fatalf("env not applied: %+v", c.Temporal)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), "k3y") {
		t.Fatalf("a secret leaked into JSON: %s", b)
	}
	if !strings.Contains(string(b), `"$EDR_TOKEN"`) {
		t.Errorf("JSON should name the variable: %s", b)
	}
}

func TestRelativeDataFilesResolveFromTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "intel.txt"), []byte("203.0.113.7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "socflow.yaml")
	if err := os.WriteFile(path, []byte("enrichment:\n  intel:\n    files: [intel.txt]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Resolve("intel.txt"); got != filepath.Join(dir, "intel.txt") {
		t.Errorf("Resolve = %s", got)
	}
}

func TestValidatePlaybooks(t *testing.T) {
	yml := "routing:\n  default:\n    group_by: [host]\n    window: 1h\n    playbook: nope\n"
	c, err := config.Parse([]byte(yml), "s.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.ValidatePlaybooks(func(n string) bool { return n != "nope" })
	if err == nil || !strings.Contains(err.Error(), `s.yaml:5: routing.default.playbook: unknown playbook "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	if _, err := config.Load("../examples/socflow.yaml", env(nil)); err != nil {
		t.Fatal(err)
	}
}

// TestWebUIConfig: the web view's links and CSRF key; a short key is
// refused, since replicas share it and it signs every form.
func TestWebUIConfig(t *testing.T) {
	yml := "server:\n  ui:\n    temporal_ui_url: https://temporal.example.com\n    slack_workspace_url: https://acme.slack.com\n    csrf_key: $K\n"
	c, err := config.Parse([]byte(yml), "s.yaml", env(map[string]string{"K": strings.Repeat("k", 32)}))
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Server.UI; u.TemporalUIURL != "https://temporal.example.com" || u.SlackWorkspaceURL != "https://acme.slack.com" || u.CSRFKey.Value() != strings.Repeat("k", 32) {
		t.Errorf("server.ui = %+v", u)
	}
	_, err = config.Parse([]byte(yml), "s.yaml", env(map[string]string{"K": "short"}))
	if err == nil || !strings.Contains(err.Error(), "server.ui.csrf_key: $K is 5 characters: use at least 32") {
		t.Errorf("short key: %v", err)
	}
}
