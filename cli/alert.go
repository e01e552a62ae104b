package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/worker"
)

func newCmdAlert(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alert",
		Short: "Submit alerts",
	}
	cmd.AddCommand(newCmdAlertSubmit(f, nil))
	return group(cmd)
}

// AlertSubmitOptions are `socflow alert submit`'s arguments.
type AlertSubmitOptions struct {
	// File is a path, or "-" for standard input.
	File string
	// MaxBytes bounds what is read, as the API does.
	MaxBytes int64
	// Format forces a vendor format; "" detects it per entry.
	Format string
}

func newCmdAlertSubmit(f *Factory, runF func(context.Context, *AlertSubmitOptions) error) *cobra.Command {
	opts := &AlertSubmitOptions{}
	cmd := &cobra.Command{
		Use:   "submit FILE|-",
		Short: "Submit one alert, a JSON array of alerts, or NDJSON, straight to Temporal",
		Long: `submit reads alerts in socflow's native JSON format (one object, an array,
or one object per line) and starts or signals their RespondToAlert runs. It
prints the same result as POST /v1/alerts and exits 5 if any alert was
rejected, 6 if Temporal did not accept them.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("submit takes exactly one FILE (or - for standard input)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAlertSubmit(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().Int64Var(&opts.MaxBytes, "max-bytes", 64<<20, "refuse input larger than this")
	cmd.Flags().StringVar(&opts.Format, "format", "", "force the format (elastic, splunk, suricata, falcon, defender, graph, guardduty, wazuh, ocsf, native, or a configured mapping); default: detect per entry")
	return cmd
}

func runAlertSubmit(ctx context.Context, f *Factory, opts *AlertSubmitOptions) error {
	var r io.Reader = f.In
	if opts.File != "-" {
		file, err := os.Open(opts.File)
		if err != nil {
			return usageErrorf("%v", err)
		}
		defer file.Close()
		r = file
	}
	body, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", opts.File, err)
	}
	if int64(len(body)) > opts.MaxBytes {
		return usageErrorf("%s is larger than --max-bytes %d: split it", opts.File, opts.MaxBytes)
	}
	cfg, err := f.loadConfig("")
	if err != nil {
		return err
	}
	sub, err := worker.NewSubmitter(cfg, nil)
	if err != nil {
		return err
	}
	if err := sub.CheckFormat(opts.Format); err != nil {
		return usageErrorf("--format: %v", err)
	}
	// Parse before connecting: a broken file is reported without Temporal.
	batch, err := intake.ParseFormat(body, sub.Formats, opts.Format)
	if err == nil {
		err = sub.CheckCount(batch)
	}
	if err != nil {
		return &rejectedError{msg: fmt.Sprintf("%s: %v", opts.File, err)}
	}
	c, err := f.connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	sub.Service = c.WorkflowService()
	resp := sub.SubmitItems(ctx, batch.Items)
	resp.Skipped, resp.SkipReasons = batch.Skipped, batch.SkipReasons
	if err := printSubmit(f, opts.File, resp); err != nil {
		return err
	}
	switch {
	case len(resp.Failed) > 0:
		return unavailable(errors.New(resp.Failed[0].Error))
	case len(resp.Rejected) > 0:
		return &rejectedError{msg: fmt.Sprintf("%d alert(s) rejected", len(resp.Rejected))}
	}
	return nil
}

func printSubmit(f *Factory, file string, resp *intake.Response) error {
	if f.Global.JSON() {
		return printJSON(f.Out, resp)
	}
	for _, r := range resp.Results {
		kind := "new"
		if r.Duplicate {
			kind = "duplicate"
		}
		fmt.Fprintf(f.Out, "%s\t%s\n", r.WorkflowID, kind)
	}
	for _, r := range resp.Rejected {
		where := fmt.Sprintf("entry %d", r.Index)
		if r.Line > 0 {
			where = fmt.Sprintf("line %d", r.Line)
		}
		fmt.Fprintf(f.ErrOut, "rejected %s:%s: %s\n", file, where, r.Error)
	}
	for _, r := range resp.Failed {
		fmt.Fprintf(f.ErrOut, "not accepted (resend) entry %d: %s\n", r.Index, r.Error)
	}
	fmt.Fprintf(f.ErrOut, "accepted %d (%d duplicates), rejected %d", resp.Accepted, resp.Duplicates, len(resp.Rejected))
	if resp.Skipped > 0 {
		fmt.Fprintf(f.ErrOut, ", skipped %d non-alert event(s) %v", resp.Skipped, resp.SkipReasons)
	}
	fmt.Fprintln(f.ErrOut)
	return nil
}
