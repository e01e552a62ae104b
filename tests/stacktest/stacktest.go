// Package stacktest starts socflow as `socflow dev` runs it, for the
// end-to-end suites (tests/integration, tests/browser): the embedded, real
// Temporal server, the worker with loopback fakes of the EDR (Defender, or
// Falcon) and the identity provider (Okta), socflow's store, and the HTTP
// API on an httptest server. It is a test kit: every failure is t.Fatal.
package stacktest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
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

// Example is the configuration the stack runs, seen from a suite's
// folder (tests/<suite>): the README's example, whose relative data files
// resolve from its own path.
const Example = "../../examples/socflow.yaml"

// Options shape a stack. The zero value is `socflow dev` on the example
// configuration, in memory.
type Options struct {
	// DBFile persists Temporal's state; "" runs in memory.
	DBFile string
	// ExtraYAML is appended to the example configuration (sections it
	// does not have, such as codec), and Env is the environment it reads.
	ExtraYAML string
	Env       map[string]string
	// Mutate adjusts the parsed configuration (short windows, approvers).
	Mutate func(*config.Config)
	// EDR and IDP are the fakes to use (a restart keeps them); nil starts
	// new ones. Falcon, when set, is the EDR in Defender's place, through
	// its OAuth2 client.
	EDR    *defendertest.Server
	IDP    *oktatest.Server
	Falcon *falcontest.Server
	// HTTPTimeout bounds every integration call (default 10s).
	HTTPTimeout time.Duration
	// Limits set where workflow runs continue as new (zero: defaults).
	Limits activities.Limits
	// Console receives the console notifier's messages (nil: discarded).
	Console io.Writer
}

// Stack is socflow running, and what a test reaches into.
type Stack struct {
	t      testing.TB
	Cfg    *config.Config
	Server *devserver.Server
	Client client.Client
	Worker *worker.Worker
	// API is the HTTP API; Events is socflow's store.
	API    *httptest.Server
	Events *events.SQLStore
	EDR    *defendertest.Server
	IDP    *oktatest.Server

	closeAPI func(context.Context) error
	fakes    []*httptest.Server
	stopOnce sync.Once
}

// QuietLogger discards the stack's logs unless SOCFLOW_TEST_LOG is set.
func QuietLogger() *slog.Logger {
	if os.Getenv("SOCFLOW_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Start runs a stack until the test ends (or Stop).
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, err := os.ReadFile(Example)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(append(data, "\n"+o.ExtraYAML...), Example, func(k string) (string, bool) {
		v, ok := o.Env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	if o.Mutate != nil {
		o.Mutate(cfg)
	}
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	log := QuietLogger()
	srv, err := devserver.Start(ctx, devserver.Options{DBFile: o.DBFile, SearchAttributes: sa, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{t: t, Cfg: cfg, Server: srv, EDR: o.EDR, IDP: o.IDP}
	t.Cleanup(s.Stop)
	cfg.Temporal.Address = srv.FrontendAddr()
	cfg.Temporal.Namespace = srv.Namespace()
	if s.Client, err = worker.Dial(ctx, cfg, log); err != nil {
		t.Fatal(err)
	}

	timeout := o.HTTPTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	hc := &http.Client{Timeout: timeout}
	if s.EDR == nil {
		s.EDR = defendertest.New(defendertest.WithToken("t"))
	}
	if s.IDP == nil {
		s.IDP = oktatest.New(oktatest.WithToken("t"))
	}
	edrClient, err := defender.New(hc, s.fake(s.EDR), "t")
	if err != nil {
		t.Fatal(err)
	}
	idpClient, err := okta.New(hc, s.fake(s.IDP), "t")
	if err != nil {
		t.Fatal(err)
	}
	var edr any = edrClient
	if o.Falcon != nil {
		fc, err := falcon.New(hc, falcon.Config{BaseURL: s.fake(o.Falcon), ClientID: falcontest.DefaultClientID, ClientSecret: falcontest.DefaultClientSecret})
		if err != nil {
			t.Fatal(err)
		}
		edr = fc
	}
	if s.Events, err = worker.OpenEvents(cfg); err != nil {
		t.Fatal(err)
	}
	console := o.Console
	if console == nil {
		console = io.Discard
	}
	s.Worker, err = worker.New(worker.Options{
		Config: cfg, Client: s.Client, Logger: log, Console: console, EDR: edr, IDP: idpClient, HTTPClient: hc,
		Events: s.Events, Limits: o.Limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Worker.Start(); err != nil {
		t.Fatal(err)
	}
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: s.Client, Logger: log, Events: s.Events})
	if err != nil {
		t.Fatal(err)
	}
	s.closeAPI = closeAPI
	s.API = httptest.NewServer(h)
	return s
}

// fake serves a vendor fake on loopback until the stack stops.
func (s *Stack) fake(h http.Handler) string {
	srv := httptest.NewServer(h)
	s.fakes = append(s.fakes, srv)
	return srv.URL
}

// Stop shuts the stack down as Ctrl-C on `socflow dev` does, the API
// first and Temporal last. It is safe to call twice.
func (s *Stack) Stop() {
	s.stopOnce.Do(func() {
		if s.API != nil {
			s.API.Close()
			_ = s.closeAPI(context.Background())
		}
		if s.Worker != nil {
			if err := s.Worker.Stop(); err != nil {
				s.t.Log(err)
			}
		}
		if s.Events != nil {
			_ = s.Events.Close()
		}
		if s.Client != nil {
			s.Client.Close()
		}
		if err := s.Server.Stop(); err != nil {
			s.t.Log(err)
		}
		for _, f := range s.fakes {
			f.Close()
		}
	})
}

// CreateToken stores an API token of name with role, as `socflow token
// create` does, and returns it; autoContain trusts what it submits for
// the policy's automatic containment.
func (s *Stack) CreateToken(name string, role auth.Role, autoContain bool) string {
	s.t.Helper()
	tok, hash, err := auth.NewToken()
	if err != nil {
		s.t.Fatal(err)
	}
	rec := auth.TokenRecord{ID: "tok_" + name, Name: name, Roles: []auth.Role{role}, AutoContain: autoContain,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: "test"}
	if err := s.Events.CreateToken(context.Background(), rec, hash); err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// ReadExample is one of the README's example alerts.
func ReadExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/alerts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Eventually polls cond until it holds or the deadline passes, and fails
// the test with cond's last word on what it saw: the stack is
// asynchronous, and a fixed sleep is not a wait.
func Eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
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
		time.Sleep(50 * time.Millisecond)
	}
}
