// Package browser drives the incident web view (/ui/) in headless
// Chromium against socflow running as `socflow dev` runs it: the embedded
// Temporal server, the worker with loopback fakes of the EDR and the
// identity provider, and the HTTP API on an httptest server. It mirrors
// tests/integration's stack, which it cannot import (a _test package).
//
// Chromium comes from SOCFLOW_TEST_CHROMIUM (scripts/with-chromium sets
// it) or `chromium` on PATH; without one the tests skip.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/worker"
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

func quietLogger() *slog.Logger {
	if os.Getenv("SOCFLOW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startStack(t testing.TB) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const example = "../../examples/socflow.yaml"
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, example, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	log := quietLogger()
	srv, err := devserver.Start(ctx, devserver.Options{SearchAttributes: sa, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cfg.Temporal.Address = srv.FrontendAddr()
	cfg.Temporal.Namespace = srv.Namespace()
	// The incident page links its workflow in a Temporal UI; any address
	// proves the link is built.
	cfg.Server.UI.TemporalUIURL = "http://127.0.0.1:8233"
	c, err := worker.Dial(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	hc := &http.Client{Timeout: 10 * time.Second}
	s := &stack{t: t, edr: defendertest.New(defendertest.WithToken("t")), tokens: map[string]string{}}
	idp := oktatest.New(oktatest.WithToken("t"))
	edrURL, idpURL := httptest.NewServer(s.edr), httptest.NewServer(idp)
	t.Cleanup(edrURL.Close)
	t.Cleanup(idpURL.Close)
	edrClient, err := defender.New(hc, edrURL.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	idpClient, err := okta.New(hc, idpURL.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	w, err := worker.New(worker.Options{Config: cfg, Client: c, Logger: log, Console: io.Discard, EDR: edrClient, IDP: idpClient,
		HTTPClient: hc, Events: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop() })
	for name, role := range map[string]auth.Role{"siem": auth.RoleIngest, "carol": auth.RoleResponder, "victor": auth.RoleViewer} {
		s.tokens[name] = createToken(t, store, name, role)
	}
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: c, Logger: log, Events: store})
	if err != nil {
		t.Fatal(err)
	}
	s.api = httptest.NewServer(h)
	// Cleanups run last first: the API stops before the worker and the
	// server it talks to.
	t.Cleanup(func() { _ = closeAPI(context.Background()) })
	t.Cleanup(s.api.Close)
	return s
}

func createToken(t testing.TB, store *events.SQLStore, name string, role auth.Role) string {
	t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	rec := auth.TokenRecord{ID: "tok_" + name, Name: name, Roles: []auth.Role{role}, AutoContain: role == auth.RoleIngest,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: "test"}
	if err := store.CreateToken(context.Background(), rec, hash); err != nil {
		t.Fatal(err)
	}
	return tok
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

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/alerts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventually polls cond until it holds or the deadline passes: the server
// and the browser are asynchronous, and a fixed sleep is not a wait.
func eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, within, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

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
