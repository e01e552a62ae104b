package cli

import (
	"testing"
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
