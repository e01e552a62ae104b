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
	var since, until, drill string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p := opts.Priority; p != "" && !slices.Contains([]string{"P1", "P2", "P3", "P4"}, strings.ToUpper(p)) {
				return usageErrorf("--priority must be P1, P2, P3 or P4, got %q", p)
			}
			opts.IO = f.streams()
			now := f.now().UTC()
			var err error
			if since != "" {
				if opts.Since, err = parseWhen("--since", since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if opts.Until, err = parseWhen("--until", until, now); err != nil {
					return err
				}
			}
			switch drill {
			case "", "any":
			case string(incidents.DrillOnly), string(incidents.DrillReal):
				opts.Drill = incidents.DrillFilter(drill)
			default:
				return usageErrorf("--drill must be drill, real or any, got %q", drill)
			}
			if err := opts.Validate(); err != nil {
				return usageErrorf("%s", strings.TrimPrefix(err.Error(), incidents.ErrBadRequest.Error()+": "))
			}
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
	cmd.Flags().StringVar(&opts.Tier, "tier", "", "only incidents with this tier (T1, T2, IR)")
	cmd.Flags().StringVar(&opts.Entity, "entity", "", "only incidents whose primary host or user is this")
	cmd.Flags().StringVar(&opts.Rule, "rule", "", "only incidents whose first alert's rule is this")
	cmd.Flags().StringVar(&since, "since", "", "only incidents started since this long ago (7d, 36h) or this RFC 3339 time")
	cmd.Flags().StringVar(&until, "until", "", "only incidents started before this long ago or this RFC 3339 time")
	cmd.Flags().StringVar(&drill, "drill", "", "drill lists escalation drills only, real only real incidents (default both)")
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
