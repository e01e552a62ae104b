package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/worker"
)

// ServeOptions are `socflow serve`'s flags.
type ServeOptions struct {
	Addr string
}

func newCmdServe(f *Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the socflow HTTP API against a Temporal cluster",
		Long: `serve runs the HTTP API (alert intake, incidents, health, metrics) against
an existing Temporal cluster. It refuses to listen beyond loopback unless a
bearer token is set (SOCFLOW_API_TOKEN or server.token).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runServe(ctx, f, opts) })
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "listen address (default: the configuration's server.addr)")
	return cmd
}

func runServe(ctx context.Context, f *Factory, opts *ServeOptions) error {
	cfg, c, err := f.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	addr := opts.Addr
	if addr == "" {
		addr = cfg.Server.Addr
	}
	if err := worker.CheckExposure(addr, cfg); err != nil {
		return usageErrorf("%v", err)
	}
	log := f.logger()
	api, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: c, Logger: log})
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
		log.Info("API listening", "addr", a, "temporal", cfg.Temporal.Address, "auth", cfg.Server.Token.IsSet())
	case err := <-errc:
		return err
	}
	return <-errc
}
