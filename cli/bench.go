package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/bench"
)

// BenchOptions are `socflow bench`'s flags.
type BenchOptions struct {
	// Quick runs every phase at small volumes (a smoke test, not figures).
	Quick bool
	// Only lists the phases to run (all when empty).
	Only []string
	// CPUProfile, when set, receives a CPU profile of the whole process:
	// the embedded server, the worker and the API.
	CPUProfile string
	// Check makes a missed target an error (exit 1), for CI.
	Check bool
}

func newCmdBench(f *Factory, runF func(context.Context, *BenchOptions) error) *cobra.Command {
	opts := &BenchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure socflow against the bare engine on an embedded Temporal server",
		Long: `bench starts a fresh in-memory Temporal server per phase, with socflow's
worker and API as "socflow dev" runs them, and measures:

  intel   a million indicators: load time, heap, lookup cost
  e2e     unique alerts end to end per second, against a bare pipeline of the
          same shape (two workflows, one SignalWithStart handoff, the same
          number of activities, empty bodies): e2e_ratio, target >= 0.7
  storm   duplicates accepted per second through the API against bare
          SignalWithStart calls per second: storm_ratio, target >= 20, and
          storm_alerts_per_s >= 20,000
  enrich  time to enrich at half the maximum rate e2e measured: p99 <= 300 ms
  growth  one incident's state bytes and history after 1,000 and 20,000
          alerts: flat

One progress line per phase goes to stderr; the report to stdout (-o json
for machines). It takes about five minutes on two cores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.DevServer == nil {
				return errNoDevServer
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runBench(ctx, f, opts) })
		},
	}
	cmd.Flags().BoolVar(&opts.Quick, "quick", false, "run every phase at small volumes (checks the bench, gives no figures worth quoting)")
	cmd.Flags().StringSliceVar(&opts.Only, "only", nil, "phases to run: intel, e2e, storm, enrich, growth (default all; enrich needs e2e)")
	cmd.Flags().StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "exit 1 when a target is missed")
	return cmd
}

func runBench(ctx context.Context, f *Factory, opts *BenchOptions) error {
	cfg, err := f.loadConfig(devFallbackConfig)
	if err != nil {
		return err
	}
	sizes := bench.DefaultSizes()
	if opts.Quick {
		sizes = bench.QuickSizes()
	}
	if opts.CPUProfile != "" {
		out, err := os.Create(opts.CPUProfile)
		if err != nil {
			return usageErrorf("--cpuprofile: %v", err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// The stacks' workers start and stop every phase, each time logging
	// at info; between the progress lines only warnings are worth a line,
	// unless --log-level asks for more.
	logger := f.logger()
	if f.Global.LogLevel == "info" {
		logger = slog.New(slog.NewTextHandler(f.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	r, err := bench.Run(ctx, bench.Options{
		Config: cfg, Progress: f.ErrOut, Sizes: sizes, Only: opts.Only, Logger: logger,
		StartServer: func(ctx context.Context, o bench.ServerOptions) (bench.Server, error) {
			return f.DevServer(ctx, DevServerOptions{
				IP: "127.0.0.1", UIPort: 0, Namespace: o.Namespace, SearchAttributes: o.SearchAttributes, Logger: o.Logger,
			})
		},
	})
	if err != nil {
		var unknown *bench.UnknownPhaseError
		if errors.As(err, &unknown) {
			return usageErrorf("--only: %v", err)
		}
		return err
	}
	if f.Global.JSON() {
		if err := printJSON(f.Out, r); err != nil {
			return err
		}
	} else {
		printBench(f.Out, r)
	}
	if missed := r.Missed(); opts.Check && len(missed) > 0 {
		return fmt.Errorf("bench: targets missed: %v", missed)
	}
	return nil
}

func printBench(w io.Writer, r *bench.Report) {
	fmt.Fprintf(w, "socflow bench  %s  %s (%d cores)  %s  %s\n", r.Date, r.CPU, r.Cores, r.Go, dash(r.Revision))
	tw := table(w)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tTARGET\t")
	for _, row := range r.Rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Name, row.Value, dash(row.Target), row.Verdict)
	}
	_ = tw.Flush()
}
