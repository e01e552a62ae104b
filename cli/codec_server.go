package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
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
Authorization: Bearer <server token> (SOCFLOW_API_TOKEN or server.token);
without a token it only listens on loopback, and only answers requests
addressed to its loopback address. Browsers may call it only from
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
	token := cfg.Server.Token
	if !token.IsSet() && !isLoopbackHost(host) {
		return usageErrorf("refusing to serve decoded payloads on %s without a token: set %s (server.token) or bind to 127.0.0.1", addr, token.Ref)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("codec-server: listen on %s: %w", addr, err)
	}
	authorize := codec.BearerToken(token.Value())
	if !token.IsSet() {
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
		"auth", token.IsSet(), "cors_origins", cfg.Codec.CORSOrigins)
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
func isLoopbackHost(host string) bool {
	return host == "localhost" || isLoopback(host)
}
