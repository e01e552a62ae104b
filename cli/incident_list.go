package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/incidents"
)

// IncidentListOptions are `socflow incident list`'s flags and what it
// reads through.
type IncidentListOptions struct {
	incidents.ListOptions

	IO        IOStreams
	Incidents OpenIncidents
}

func newCmdIncidentList(f *Factory, runF func(context.Context, *IncidentListOptions) error) *cobra.Command {
	opts := &IncidentListOptions{Incidents: f.openIncidents}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p := opts.Priority; p != "" && !slices.Contains([]string{"P1", "P2", "P3", "P4"}, strings.ToUpper(p)) {
				return usageErrorf("--priority must be P1, P2, P3 or P4, got %q", p)
			}
			opts.IO = f.streams()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Status, "status", "", "only incidents in this status (awaiting_decision, contained, ...)")
	cmd.Flags().StringVar(&opts.Priority, "priority", "", "only incidents of this priority (P1-P4)")
	cmd.Flags().BoolVar(&opts.OpenOnly, "open", false, "only incidents still open")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "at most this many")
	return cmd
}

func runIncidentList(ctx context.Context, opts *IncidentListOptions) error {
	svc, done, err := opts.Incidents(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	list, err := svc.List(ctx, opts.ListOptions)
	if err != nil {
		return unavailable(err)
	}
	if opts.IO.JSON {
		if list == nil {
			list = []incidents.Summary{}
		}
		return printJSON(opts.IO.Out, list)
	}
	tw := table(opts.IO.Out)
	fmt.Fprintln(tw, "INCIDENT\tPRIORITY\tSCORE\tSTATUS\tTIER\tALERTS\tSTARTED\tSLA\tTITLE")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", s.ID, dash(s.Priority), s.Score, dash(s.Status), dash(s.Tier), s.Alerts, ts(s.StartedAt), dash(strings.ReplaceAll(s.SLA, "_", " ")), s.Title)
	}
	return tw.Flush()
}
