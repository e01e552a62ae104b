package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/worker"
)

// ServeOptions are `socflow serve`'s flags.
type ServeOptions struct {
	Addr string
	// InsecureNoAuth admits every request as "anonymous" (loopback only).
	InsecureNoAuth bool
}

func newCmdServe(f *Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the socflow HTTP API against a Temporal cluster",
		Long: `serve runs the HTTP API (alert intake, incidents, health, metrics) against
an existing Temporal cluster. Every request needs a credential: API tokens
(socflow token create), OIDC bearer tokens (server.oidc) or the bootstrap
admin token ($SOCFLOW_ADMIN_TOKEN). serve refuses to start without a way to
authenticate an admin, unless --insecure-no-auth is given, which admits
everyone as "anonymous" and only on loopback.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runServe(ctx, f, opts) })
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "listen address (default: the configuration's server.addr)")
	cmd.Flags().BoolVar(&opts.InsecureNoAuth, "insecure-no-auth", false, "admit every request without a credential (loopback only; for trying socflow out)")
	return cmd
}

func runServe(ctx context.Context, f *Factory, opts *ServeOptions) error {
	cfg, err := f.loadConfig("")
	if err != nil {
		return err
	}
	addr := opts.Addr
	if addr == "" {
		addr = cfg.Server.Addr
	}
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	// Refuse an API nobody could use, or one open to all beyond loopback,
	// before connecting anywhere.
	log := f.logger()
	apiOpts := worker.APIOptions{Config: cfg, Logger: log, Events: store, Insecure: opts.InsecureNoAuth}
	if err := worker.CheckAuth(ctx, addr, apiOpts, store); err != nil {
		return usageErrorf("%v", err)
	}
	if opts.InsecureNoAuth {
		fmt.Fprintf(f.ErrOut, "WARNING: --insecure-no-auth: every request to %s is admitted as \"anonymous\" with every role\n", addr)
	}
	c, err := f.connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	apiOpts.Client = c
	api, closeAPI, err := worker.NewAPI(apiOpts)
	if err != nil {
		return err
	}
	defer func() { _ = closeAPI(context.Background()) }()
	go func() {
		if err := worker.RunSlackSocketMode(ctx, cfg, c, log); err != nil {
			log.Error("slack socket mode stopped", "error", err)
		}
	}()
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- worker.ServeAPI(ctx, addr, api, ready)
	}()
	select {
	case a := <-ready:
		log.Info("API listening", "addr", a, "incident_view", "http://"+a+"/ui/", "temporal", cfg.Temporal.Address, "insecure_no_auth", opts.InsecureNoAuth, "oidc", cfg.Server.OIDC.Enabled())
	case err := <-errc:
		return err
	}
	return <-errc
}
