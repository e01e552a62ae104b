package cli

import (
	"strings"
	"testing"

	"github.com/socflow/socflow/config"
)

// TestConfigCheckGolden: what config check understood from a
// configuration, as text and JSON; the suppression warnings are dated by
// the factory's clock (2026-05-14), so pentest-q1 has expired and
// vuln-scanner has not.
func TestConfigCheckGolden(t *testing.T) {
	for _, c := range []goldenCase{
		{name: "text", args: []string{"config", "check", "--config", "testdata/socflow.yaml"}},
		{name: "json", args: []string{"-o", "json", "config", "check", "--config", "testdata/socflow.yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			runGolden(t, "config-check", f, out, errOut, c)
		})
	}
}

// TestAuthSummary names each method's variables and whether they are
// set, never a value.
func TestAuthSummary(t *testing.T) {
	for _, tc := range []struct {
		yml, want string
	}{
		{"integrations:\n  edr: {provider: defender, url: https://edr.example, token: $EDR_TOKEN}\n", "token $EDR_TOKEN set"},
		{"integrations:\n  edr:\n    provider: defender\n    url: https://edr.example\n    auth:\n      oauth2: {client_id: app-1, client_secret: $EDR_SECRET, token_url: https://login.example/token}\n",
			"oauth2 client app-1 at https://login.example/token, secret $EDR_SECRET set"},
		{"integrations:\n  idp:\n    provider: okta\n    url: https://okta.example\n    auth:\n      basic: {username: socflow, password: $IDP_PASSWORD}\n",
			"basic as socflow, password $IDP_PASSWORD set"},
	} {
		vars := map[string]string{"EDR_TOKEN": "t0ps3cr3t-value", "EDR_SECRET": "s3cr3t-value-oauth", "IDP_PASSWORD": "s3cr3t-password"}
		cfg, err := config.Parse([]byte(tc.yml), "s.yaml", func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		s := cfg.Integrations.EDR
		if s.Provider == "" {
			s = cfg.Integrations.IDP
		}
		got := authSummary(s)
		if got != tc.want || strings.Contains(got, "s3cr3t") {
			t.Errorf("authSummary = %q, want %q", got, tc.want)
		}
	}
}
