package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/worker"
)

// CodecServerOptions are `socflow codec-server`'s flags.
type CodecServerOptions struct {
	Addr string
	// Ready, when set, receives the listen address once it is bound
	// (tests use it instead of polling).
	Ready chan<- string
}

func newCmdCodecServer(f *Factory, runF func(context.Context, *CodecServerOptions) error) *cobra.Command {
	opts := &CodecServerOptions{}
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve the payload codec to the Temporal UI and CLI, for authorised users",
		Long: `codec-server serves Temporal's remote codec protocol (POST /encode and
/decode) with socflow's key ring (codec.keys), so that the Temporal Web UI and
the temporal CLI show alert data in clear to those allowed to see it. Point
the UI's codec endpoint at its URL. Every request needs
Authorization: Bearer <credential> of a principal with the viewer role (an
API token, an OIDC bearer token such as the one the Temporal UI forwards with
TEMPORAL_CODEC_PASS_ACCESS_TOKEN, or the bootstrap admin token). Where no
admin could authenticate it only listens on loopback, and only answers
requests addressed to its loopback address. Browsers may call it only from
codec.cors_origins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runCodecServer(ctx, f, opts) })
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "listen address (default: the configuration's codec.addr)")
	return cmd
}

func runCodecServer(ctx context.Context, f *Factory, opts *CodecServerOptions) error {
	cfg, err := f.loadConfig("")
	if err != nil {
		return err
	}
	c, err := worker.Codec(cfg)
	if err != nil {
		return err
	}
	if c == nil {
		return &config.Error{File: cfg.Path, Field: "codec.keys", Msg: "codec-server needs a key ring: list at least one key"}
	}
	addr := opts.Addr
	if addr == "" {
		addr = cfg.Codec.Addr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q is not host:port", addr)
	}
	// Decoded payloads are incident data: a viewer's credential (API
	// token, OIDC bearer token, the bootstrap admin) reads them. Where no
	// admin could ever authenticate, only loopback is served, and only
	// requests addressed to its loopback address.
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	apiOpts := worker.APIOptions{Config: cfg}
	authn, _, err := worker.Authenticator(apiOpts, store)
	if err != nil {
		return fmt.Errorf("codec-server: authentication: %w", err)
	}
	noAuth := worker.CheckAuth(ctx, addr, apiOpts, store) != nil
	if noAuth && !isLoopbackHost(host) {
		return usageErrorf("refusing to serve decoded payloads on %s without a way to authenticate: set %s (server.admin_token) and create viewer tokens, configure server.oidc, or bind to 127.0.0.1",
			addr, cfg.Server.AdminToken.Ref)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("codec-server: listen on %s: %w", addr, err)
	}
	authorize := codecAuthorizer(authn)
	if noAuth {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		authorize = codec.LoopbackHost(port)
	}
	h, err := codec.NewHandler(c, codec.HandlerOptions{Authorize: authorize, CORSOrigins: cfg.Codec.CORSOrigins})
	if err != nil {
		_ = ln.Close()
		return err
	}
	log := f.logger()
	log.Info("codec server listening", "addr", ln.Addr().String(), "encrypt_key", c.EncryptKeyID(), "keys", c.KeyIDs(),
		"authenticated", !noAuth, "cors_origins", cfg.Codec.CORSOrigins)
	if opts.Ready != nil {
		opts.Ready <- ln.Addr().String()
	}
	return serveHTTP(ctx, "codec-server", ln, h, log)
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, name string, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: shutdown: %w", name, err)
	}
	return nil
}

// isLoopbackHost reports whether a listen host is loopback only ("" and
// 0.0.0.0 are every interface).
func isLoopbackHost(host string) bool { return httpx.LoopbackHost(host) }

// codecAuthorizer admits requests whose bearer credential names a
// principal with the viewer role.
func codecAuthorizer(a auth.Authenticator) func(*http.Request) error {
	return func(r *http.Request) error {
		cred, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p, err := a.Authenticate(r.Context(), strings.TrimSpace(cred))
		if err != nil {
			if errors.Is(err, auth.ErrUnauthenticated) {
				return fmt.Errorf("%w: send Authorization: Bearer <a viewer's token>", codec.ErrUnauthorized)
			}
			return fmt.Errorf("codec: authentication unavailable: %w", err)
		}
		if !p.Has(auth.RoleViewer) {
			return fmt.Errorf("codec: %s may not read decoded payloads: it needs the viewer role", p.Name)
		}
		return nil
	}
}
