// Package integration runs socflow end to end on the embedded, real
// Temporal server (the one `socflow dev` runs), with loopback fakes for the
// EDR and identity provider, through the HTTP API a SIEM would call.
package integration

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
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// stack is socflow running as `socflow dev` runs it.
type stack struct {
	t        testing.TB
	cfg      *config.Config
	server   *devserver.Server
	client   client.Client
	worker   *worker.Worker
	api      *httptest.Server
	closeAPI func(context.Context) error
	events   *events.SQLStore
	edr      *defendertest.Server
	idp      *oktatest.Server
	console  *syncBuffer
	tokMu    sync.Mutex
	tokens   map[string]string
	// untrusted: ingest tokens are not trusted for automatic containment.
	untrusted bool
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type stackOptions struct {
	// dbFile persists Temporal's state; "" runs in memory.
	dbFile string
	// mutate adjusts the configuration (short windows, approvers).
	mutate func(*config.Config)
	// keepFakes reuses fakes across a restart.
	edr *defendertest.Server
	idp *oktatest.Server
	// env is the environment the configuration reads (secrets, URLs).
	env map[string]string
	// httpTimeout bounds every integration call (default 10s).
	httpTimeout time.Duration
	// limits set where workflow runs continue as new (zero: defaults).
	limits activities.Limits
	// extraYAML is appended to the example configuration (sections it
	// does not have, such as codec).
	extraYAML string
	// untrustedIngest makes the "siem" ingest token one the policy may
	// not contain on without a human.
	untrustedIngest bool
	// falcon, when set, is the EDR in Defender's place: CrowdStrike Falcon
	// through its OAuth2 client.
	falcon *falcontest.Server
}

func quietLogger() *slog.Logger {
	if os.Getenv("SOCFLOW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const example = "../../examples/socflow.yaml"
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	// Parsed under the example's path, so its relative data files resolve.
	cfg, err := config.Parse(append(data, "\n"+o.extraYAML...), example, func(k string) (string, bool) {
		v, ok := o.env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	if o.mutate != nil {
		o.mutate(cfg)
	}
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	log := quietLogger()
	srv, err := devserver.Start(ctx, devserver.Options{DBFile: o.dbFile, SearchAttributes: sa, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, cfg: cfg, server: srv, console: &syncBuffer{}, edr: o.edr, idp: o.idp}
	cfg.Temporal.Address = srv.FrontendAddr()
	cfg.Temporal.Namespace = srv.Namespace()
	if s.client, err = worker.Dial(ctx, cfg, log); err != nil {
		t.Fatal(err)
	}

	timeout := o.httpTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	hc := &http.Client{Timeout: timeout}
	if s.edr == nil {
		s.edr = defendertest.New(defendertest.WithToken("t"))
	}
	if s.idp == nil {
		s.idp = oktatest.New(oktatest.WithToken("t"))
	}
	edrURL := httptest.NewServer(s.edr)
	idpURL := httptest.NewServer(s.idp)
	edrClient, err := defender.New(hc, edrURL.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	idpClient, err := okta.New(hc, idpURL.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	var edr any = edrClient
	if o.falcon != nil {
		falconURL := httptest.NewServer(o.falcon)
		t.Cleanup(falconURL.Close)
		fc, err := falcon.New(hc, falcon.Config{BaseURL: falconURL.URL, ClientID: falcontest.DefaultClientID, ClientSecret: falcontest.DefaultClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		edr = fc
	}
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.events = store
	s.worker, err = worker.New(worker.Options{
		Config: cfg, Client: s.client, Logger: log, Console: s.console, EDR: edr, IDP: idpClient, HTTPClient: hc,
		Events: store, Limits: o.limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.worker.Start(); err != nil {
		t.Fatal(err)
	}
	// Every request carries a stored token, as in a deployment: "siem"
	// ingests (trusted for automatic containment), "admin" reads, and
	// each decider has a responder token of their name (tokenFor).
	s.tokens = map[string]string{}
	s.untrusted = o.untrustedIngest
	s.tokenFor("siem", auth.RoleIngest)
	s.tokenFor("admin", auth.RoleAdmin)
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: s.client, Logger: log, Events: store})
	if err != nil {
		t.Fatal(err)
	}
	s.closeAPI = closeAPI
	s.api = httptest.NewServer(h)
	t.Cleanup(func() {
		s.stop()
		edrURL.Close()
		idpURL.Close()
	})
	return s
}

// stop shuts the stack down as Ctrl-C on `socflow dev` does. It is safe to
// call twice.
func (s *stack) stop() {
	if s.api == nil {
		return
	}
	s.api.Close()
	_ = s.closeAPI(context.Background())
	if err := s.worker.Stop(); err != nil {
		s.t.Log(err)
	}
	_ = s.events.Close()
	s.client.Close()
	if err := s.server.Stop(); err != nil {
		s.t.Log(err)
	}
	s.api = nil
}

func (s *stack) incidents() *incidents.Service {
	svc, err := worker.Incidents(s.cfg, s.client, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return svc
}

// noCredential, as a token, sends no Authorization header.
const noCredential = "-"

// tokenFor returns the stored API token of name, creating one with role
// the first time (ingest tokens are trusted for automatic containment).
func (s *stack) tokenFor(name string, role auth.Role) string {
	s.t.Helper()
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	if tok, ok := s.tokens[name]; ok {
		return tok
	}
	tok, hash, err := auth.NewToken()
	if err != nil {
		s.t.Fatal(err)
	}
	rec := auth.TokenRecord{ID: "tok_" + name, Name: name, Roles: []auth.Role{role}, AutoContain: role == auth.RoleIngest && !s.untrusted,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: "test"}
	if err := s.events.CreateToken(context.Background(), rec, hash); err != nil {
		s.t.Fatal(err)
	}
	s.tokens[name] = tok
	return tok
}

// credentialFor picks the token a request is sent with: the siem's for
// alerts and events, the decider's for a decision (whose "by" the test
// names and the stack moves from the body into the credential, as the
// API wants), the admin's otherwise.
func (s *stack) credentialFor(path string, body []byte) (string, []byte) {
	switch {
	case path == "/v1/alerts" || strings.HasPrefix(path, "/v1/alerts?") || path == "/v1/events":
		return s.tokenFor("siem", auth.RoleIngest), body
	case strings.HasSuffix(path, "/decision"):
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			if by, ok := m["by"].(string); ok && by != "" {
				delete(m, "by")
				delete(m, "via")
				if g, ok := m["groups"].([]any); ok && len(g) == 0 {
					delete(m, "groups")
				}
				b, _ := json.Marshal(m)
				return s.tokenFor(by, auth.RoleResponder), b
			}
		}
	}
	return s.tokenFor("admin", auth.RoleAdmin), body
}

// post sends a request to the API and decodes the JSON answer into out.
func (s *stack) post(path, contentType string, body []byte, out any) int {
	s.t.Helper()
	tok, body := s.credentialFor(path, body)
	req, err := http.NewRequest(http.MethodPost, s.api.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("POST %s: %d %s: %v", path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (s *stack) get(path string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.api.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokenFor("admin", auth.RoleAdmin))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("GET %s: %s: %v", path, data, err)
		}
	}
	return resp.StatusCode
}

// eventually polls cond until it holds or the deadline passes. The Temporal
// server is real and asynchronous: polling with a deadline is the honest way
// to wait for it, a fixed sleep is not.
func eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStatus waits until the incident reports one of the statuses.
func (s *stack) waitStatus(key string, within time.Duration, statuses ...string) *workflows.IncidentState {
	s.t.Helper()
	var st workflows.IncidentState
	eventually(s.t, within, fmt.Sprintf("incident %s in %v", key, statuses), func() (bool, string) {
		code := s.get("/v1/incidents/"+key, &st)
		if code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d", code)
		}
		for _, want := range statuses {
			if st.Status == want {
				return true, ""
			}
		}
		return false, st.Status
	})
	return &st
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/alerts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func contains(list []string, want string) bool {
	for _, v := range list {
		if strings.Contains(v, want) {
			return true
		}
	}
	return false
}
