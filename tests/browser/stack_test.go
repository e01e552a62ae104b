// Package browser drives the incident web view (/ui/) in headless
// Chromium against socflow running as `socflow dev` runs it: the embedded
// Temporal server, the worker with loopback fakes of the EDR and the
// identity provider, and the HTTP API on an httptest server, started by
// the kit tests/integration uses too (tests/stacktest).
//
// Chromium comes from SOCFLOW_TEST_CHROMIUM (scripts/with-chromium sets
// it) or `chromium` on PATH; without one the tests skip.
package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/tests/stacktest"
	"github.com/socflow/socflow/workflows"
)

// stack is socflow as `socflow dev` runs it, with stored API tokens of
// each role: "siem" ingests, "carol" responds, "victor" views.
type stack struct {
	t      testing.TB
	api    *httptest.Server
	edr    *defendertest.Server
	tokens map[string]string
}

func startStack(t testing.TB) *stack {
	t.Helper()
	k := stacktest.Start(t, stacktest.Options{Mutate: func(c *config.Config) {
		// The incident page links its workflow in a Temporal UI; any
		// address proves the link is built.
		c.Server.UI.TemporalUIURL = "http://127.0.0.1:8233"
	}})
	s := &stack{t: t, api: k.API, edr: k.EDR, tokens: map[string]string{}}
	for name, role := range map[string]auth.Role{"siem": auth.RoleIngest, "carol": auth.RoleResponder, "victor": auth.RoleViewer} {
		s.tokens[name] = k.CreateToken(name, role, role == auth.RoleIngest)
	}
	return s
}

// submit posts one alert as the SIEM does.
func (s *stack) submit(body []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.api.URL+"/v1/alerts", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.tokens["siem"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("POST /v1/alerts: %d %s", resp.StatusCode, b)
	}
}

// incident reads an incident through the API, as the viewer.
func (s *stack) incident(key string) (*workflows.IncidentState, int) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.api.URL+"/v1/incidents/"+key, nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens["victor"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var st workflows.IncidentState
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			s.t.Fatal(err)
		}
	}
	return &st, resp.StatusCode
}

// waitIncident waits until the incident is awaiting a decision with at
// least alerts alerts.
func (s *stack) waitIncident(key string, alerts int) *workflows.IncidentState {
	s.t.Helper()
	var st *workflows.IncidentState
	eventually(s.t, time.Minute, fmt.Sprintf("incident %s awaiting a decision with %d alerts", key, alerts), func() (bool, string) {
		var code int
		st, code = s.incident(key)
		return code == http.StatusOK && st.Status == workflows.StatusAwaiting && len(st.Alerts) >= alerts,
			fmt.Sprintf("HTTP %d, status %q, %d alerts", code, st.Status, len(st.Alerts))
	})
	return st
}

// eventually and readExample are the kit's (stacktest).
var (
	eventually  = stacktest.Eventually
	readExample = stacktest.ReadExample
)

// alertJSON is a native alert on host of source, at minute m.
func alertJSON(source, category, rule, title, host string, m int) []byte {
	return fmt.Appendf(nil, `{"source":%q,"rule":%q,"title":%q,"category":%q,"severity":"high","time":"2026-05-14T11:%02d:00Z",`+
		`"entities":{"hosts":[{"name":%q}],"ips":[{"addr":"198.51.100.%d","direction":"destination"}]}}`,
		source, rule, title, category, m, host, 10+m)
}

// chromium finds the browser: SOCFLOW_TEST_CHROMIUM, else chromium on
// PATH.
func chromium() string {
	if p := os.Getenv("SOCFLOW_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
