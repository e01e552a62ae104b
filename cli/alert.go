package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/config"
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

	IO IOStreams
	// Config loads the configuration.
	Config func() (*config.Config, error)
	// Connect connects the submitter to Temporal once the file parsed.
	Connect ConnectSubmitter
	// Now dates the alerts' receipt.
	Now func() time.Time
}

// AlertSubmitter hands parsed alerts to Temporal (intake.Submitter, once
// connected).
type AlertSubmitter interface {
	SubmitItems(ctx context.Context, items []intake.Item) *intake.Response
}

// ConnectSubmitter connects sub, built from cfg, to Temporal and returns
// what submits through it and the function that disconnects.
type ConnectSubmitter func(ctx context.Context, cfg *config.Config, sub *intake.Submitter) (AlertSubmitter, func(), error)

// connectSubmitter is the factory's ConnectSubmitter: Factory.Alerts,
// else the configured Temporal.
func (f *Factory) connectSubmitter(ctx context.Context, cfg *config.Config, sub *intake.Submitter) (AlertSubmitter, func(), error) {
	if f.Alerts != nil {
		return f.Alerts(ctx, cfg, sub)
	}
	c, err := f.connect(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	sub.Service = c.WorkflowService()
	return sub, c.Close, nil
}

func newCmdAlertSubmit(f *Factory, runF func(context.Context, *AlertSubmitOptions) error) *cobra.Command {
	opts := &AlertSubmitOptions{
		Config:  func() (*config.Config, error) { return f.loadConfig("") },
		Connect: f.connectSubmitter,
		Now:     f.now,
	}
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
			opts.File, opts.IO = args[0], f.streams()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAlertSubmit(cmd.Context(), opts)
		},
	}
	cmd.Flags().Int64Var(&opts.MaxBytes, "max-bytes", 64<<20, "refuse input larger than this")
	cmd.Flags().StringVar(&opts.Format, "format", "", "force the format (elastic, splunk, suricata, falcon, defender, graph, guardduty, wazuh, ocsf, native, or a configured mapping); default: detect per entry")
	return cmd
}

func runAlertSubmit(ctx context.Context, opts *AlertSubmitOptions) error {
	var r io.Reader = opts.IO.In
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
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	sub, err := worker.NewSubmitter(cfg, nil)
	if err != nil {
		return err
	}
	sub.Now = opts.Now
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
	submitter, done, err := opts.Connect(ctx, cfg, sub)
	if err != nil {
		return err
	}
	defer done()
	resp := submitter.SubmitItems(ctx, batch.Items)
	resp.Skipped, resp.SkipReasons = batch.Skipped, batch.SkipReasons
	if err := printSubmit(opts.IO, opts.File, resp); err != nil {
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

func printSubmit(ios IOStreams, file string, resp *intake.Response) error {
	if ios.JSON {
		return printJSON(ios.Out, resp)
	}
	for _, r := range resp.Results {
		kind := "new"
		if r.Duplicate {
			kind = "duplicate"
		}
		fmt.Fprintf(ios.Out, "%s\t%s\n", r.WorkflowID, kind)
	}
	for _, r := range resp.Rejected {
		where := fmt.Sprintf("entry %d", r.Index)
		if r.Line > 0 {
			where = fmt.Sprintf("line %d", r.Line)
		}
		fmt.Fprintf(ios.ErrOut, "rejected %s:%s: %s\n", file, where, r.Error)
	}
	for _, r := range resp.Failed {
		fmt.Fprintf(ios.ErrOut, "not accepted (resend) entry %d: %s\n", r.Index, r.Error)
	}
	fmt.Fprintf(ios.ErrOut, "accepted %d (%d duplicates), rejected %d", resp.Accepted, resp.Duplicates, len(resp.Rejected))
	if resp.Skipped > 0 {
		fmt.Fprintf(ios.ErrOut, ", skipped %d non-alert event(s) %v", resp.Skipped, resp.SkipReasons)
	}
	fmt.Fprintln(ios.ErrOut)
	return nil
}
