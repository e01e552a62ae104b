package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// Server is an embedded Temporal server, started afresh for each phase so
// that no phase measures what an earlier one left behind.
type Server interface {
	FrontendAddr() string
	Stop() error
}

// ServerOptions configure the embedded server a phase runs on.
type ServerOptions struct {
	Namespace        string
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           *slog.Logger
}

// StartServer starts an in-memory embedded Temporal server. The binary
// injects it (the CLI does not link the server; see cli.DevServerStarter).
type StartServer func(ctx context.Context, o ServerOptions) (Server, error)

// stack is socflow as `socflow dev --ephemeral` runs it: the embedded
// server, the worker with the built-in EDR and identity provider fakes, and
// the HTTP API on a loopback port.
type stack struct {
	cfg *config.Config
	// token is the stored ingest token alerts are sent with.
	token  string
	server Server
	client client.Client
	worker *worker.Worker
	events *events.SQLStore
	http   *http.Client
	apiURL string
	// closers run in reverse order on stop.
	closers []func() error
}

// startStack brings a stack up. A bare stack (socflow=false) has the
// server and a client only: the bare pipeline registers its own worker.
func (o *Options) startStack(ctx context.Context, withSocflow bool) (*stack, error) {
	cfg := *o.Config
	cfg.DataDir = o.dataDir()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	srv, err := o.StartServer(ctx, ServerOptions{Namespace: cfg.Temporal.Namespace, SearchAttributes: sa, Logger: o.logger()})
	if err != nil {
		return nil, fmt.Errorf("bench: start Temporal: %w", err)
	}
	s := &stack{cfg: &cfg, server: srv, http: &http.Client{Timeout: 2 * time.Minute}}
	s.closers = append(s.closers, srv.Stop)
	cfg.Temporal.Address = srv.FrontendAddr()
	if withSocflow && !cfg.Codec.Enabled() {
		// socflow encrypts its payloads as `socflow dev` does, with a
		// key of its own; the bare pipeline is the engine alone.
		if err := useNewCodecKey(&cfg); err != nil {
			s.stop()
			return nil, err
		}
	}
	if s.client, err = worker.Dial(ctx, &cfg, o.logger()); err != nil {
		s.stop()
		return nil, err
	}
	s.closers = append(s.closers, func() error { s.client.Close(); return nil })
	if !withSocflow {
		return s, nil
	}
	if err := s.startSocflow(o); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startSocflow adds the worker and the API, composed as `socflow dev`
// composes them.
func (s *stack) startSocflow(o *Options) error {
	cfg := s.cfg
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		return err
	}
	s.events = store
	s.closers = append(s.closers, store.Close)
	hc := &http.Client{Timeout: 30 * time.Second}
	edr := defendertest.New(defendertest.WithToken("bench"))
	edrURL, err := edr.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { edr.Close(); return nil })
	idp := oktatest.New(oktatest.WithToken("bench"))
	idpURL, err := idp.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { idp.Close(); return nil })
	wo := worker.Options{Config: cfg, Client: s.client, Logger: o.logger(), Console: io.Discard, Events: store, HTTPClient: hc}
	if wo.EDR, err = defender.New(hc, edrURL, "bench"); err != nil {
		return err
	}
	if wo.IDP, err = okta.New(hc, idpURL, "bench"); err != nil {
		return err
	}
	if s.worker, err = worker.New(wo); err != nil {
		return err
	}
	if err := s.worker.Start(); err != nil {
		return err
	}
	s.closers = append(s.closers, s.worker.Stop)
	// The bench sends alerts as a SIEM would: with a stored ingest token,
	// so that authentication costs what it costs in a deployment.
	tok, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	if err := store.CreateToken(context.Background(), auth.TokenRecord{ID: "tok_bench", Name: "bench-siem", Roles: []auth.Role{auth.RoleIngest},
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: "bench"}, hash); err != nil {
		return err
	}
	s.token = tok
	api, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: s.client, Logger: o.logger(), Events: store})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	s.closers = append(s.closers, func() error {
		err := hs.Close()
		return errors.Join(err, closeAPI(context.Background()))
	})
	s.apiURL = "http://" + ln.Addr().String()
	return nil
}

// stop shuts everything down in reverse order of start.
func (s *stack) stop() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i]()
	}
	s.closers = nil
}

// post sends body to the API and decodes the answer into out; any status
// but want is an error naming the path and the body returned.
func (s *stack) post(ctx context.Context, path string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: HTTP %d: %.300s", path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("POST %s: %w", path, err)
		}
	}
	return nil
}

// useNewCodecKey gives cfg a fresh local codec key in its data directory.
func useNewCodecKey(cfg *config.Config) error {
	key, err := codec.NewKeyMaterial()
	if err != nil {
		return err
	}
	if err := os.WriteFile(config.LocalCodecKeyPath(cfg.DataDir), key, 0o600); err != nil {
		return fmt.Errorf("bench: codec key: %w", err)
	}
	return cfg.UseLocalCodecKey()
}
