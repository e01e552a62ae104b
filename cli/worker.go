package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// WorkerOptions are `socflow worker`'s flags.
type WorkerOptions struct {
	MaxConcurrentActivities int
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
	})
	if err != nil {
		return err
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
