package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// WorkerOptions are `socflow worker`'s flags.
type WorkerOptions struct {
	MaxConcurrentActivities int
	// MetricsAddr serves the Temporal SDK's metrics for Prometheus ("":
	// off). A worker serves no API, so its /metrics is its own.
	MetricsAddr string
}

func newCmdWorker(f *Factory, runF func(context.Context, *WorkerOptions) error) *cobra.Command {
	opts := &WorkerOptions{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the socflow worker against a Temporal cluster",
		Long: `worker polls the socflow task queue of an existing Temporal cluster or
Temporal Cloud (--temporal-address / TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS_* or the configuration's temporal section)
and runs socflow's workflows and activities. Run as many as you need.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runWorker(ctx, f, opts) })
		},
	}
	cmd.Flags().IntVar(&opts.MaxConcurrentActivities, "max-concurrent-activities", 0, "bound on activities run at once (0: the SDK's default)")
	cmd.Flags().StringVar(&opts.MetricsAddr, "metrics-addr", "", "serve the Temporal SDK's metrics at http://ADDR/metrics for Prometheus (default: off)")
	return cmd
}

func runWorker(ctx context.Context, f *Factory, opts *WorkerOptions) error {
	cfg, c, err := f.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	log := f.logger()
	wk, err := worker.New(worker.Options{
		Config: cfg, Client: c, Logger: log, Console: f.Out, MaxConcurrentActivities: opts.MaxConcurrentActivities,
		Playbooks: f.Playbooks, Activities: f.Activities,
	})
	if err != nil {
		return err
	}
	if opts.MetricsAddr != "" {
		addr, stop, err := serveMetrics(opts.MetricsAddr, worker.TemporalMetrics())
		if err != nil {
			return err
		}
		defer stop()
		log.Info("metrics served", "url", "http://"+addr+"/metrics")
	}
	if err := wk.Start(); err != nil {
		return unavailable(err)
	}
	log.Info("worker started", "temporal", cfg.Temporal.Address, "namespace", cfg.Temporal.Namespace,
		"task_queue", workflows.TaskQueue, "config", cfg.Path)
	<-ctx.Done()
	fmt.Fprintln(f.ErrOut, "socflow worker: stopping")
	return wk.Stop()
}

// serveMetrics serves g at /metrics on addr until stop, returning the
// address it listens on (addr may name port 0).
func serveMetrics(addr string, g prometheus.Gatherer) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, usageErrorf("--metrics-addr: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}
