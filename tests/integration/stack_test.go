// Package integration runs socflow end to end on the embedded, real
// Temporal server (the one `socflow dev` runs), with loopback fakes for the
// EDR and identity provider, through the HTTP API a SIEM would call.
package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/tests/stacktest"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// stack is socflow running as `socflow dev` runs it (stacktest), with the
// API tokens the tests send.
type stack struct {
	t       testing.TB
	kit     *stacktest.Stack
	cfg     *config.Config
	server  *devserver.Server
	client  client.Client
	worker  *worker.Worker
	api     *httptest.Server
	events  *events.SQLStore
	edr     *defendertest.Server
	idp     *oktatest.Server
	console *syncBuffer
	tokMu   sync.Mutex
	tokens  map[string]string
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

func startStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	s := &stack{t: t, console: &syncBuffer{}, untrusted: o.untrustedIngest}
	k := stacktest.Start(t, stacktest.Options{
		DBFile: o.dbFile, ExtraYAML: o.extraYAML, Env: o.env, Mutate: o.mutate, EDR: o.edr, IDP: o.idp, Falcon: o.falcon,
		HTTPTimeout: o.httpTimeout, Limits: o.limits, Console: s.console,
	})
	s.kit, s.cfg, s.server, s.client, s.worker, s.api, s.events, s.edr, s.idp = k, k.Cfg, k.Server, k.Client, k.Worker, k.API, k.Events, k.EDR, k.IDP
	// Every request carries a stored token, as in a deployment: "siem"
	// ingests (trusted for automatic containment), "admin" reads, and
	// each decider has a responder token of their name (tokenFor).
	s.tokens = map[string]string{}
	s.tokenFor("siem", auth.RoleIngest)
	s.tokenFor("admin", auth.RoleAdmin)
	return s
}

// stop shuts the stack down as Ctrl-C on `socflow dev` does. It is safe to
// call twice.
func (s *stack) stop() { s.kit.Stop() }

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
	tok := s.kit.CreateToken(name, role, role == auth.RoleIngest && !s.untrusted)
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

// eventually and readExample are the kit's (stacktest).
var (
	eventually  = stacktest.Eventually
	readExample = stacktest.ReadExample
)

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

func contains(list []string, want string) bool {
	for _, v := range list {
		if strings.Contains(v, want) {
			return true
		}
	}
	return false
}
