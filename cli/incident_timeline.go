package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/incidents"
)

// IncidentTimelineOptions are `socflow incident timeline`'s arguments.
type IncidentTimelineOptions struct {
	Incident string
}

func newCmdIncidentTimeline(f *Factory, runF func(context.Context, *IncidentTimelineOptions) error) *cobra.Command {
	opts := &IncidentTimelineOptions{}
	return &cobra.Command{
		Use:   "timeline INCIDENT",
		Short: "Print an incident's audit trail: every step, when, and who",
		Args:  exactlyOneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentTimeline(cmd.Context(), f, opts)
		},
	}
}

func runIncidentTimeline(ctx context.Context, f *Factory, opts *IncidentTimelineOptions) error {
	cfg, c, err := f.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	svc := &incidents.Service{Client: c, Namespace: cfg.Temporal.Namespace}
	tl, err := svc.Timeline(ctx, opts.Incident)
	if err != nil {
		return err
	}
	if f.Global.JSON() {
		return printJSON(f.Out, tl)
	}
	tw := table(f.Out)
	fmt.Fprintln(tw, "TIME\tSTAGE\tACTOR\tEVENT")
	for _, e := range tl.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ts(e.At), e.Stage, e.Actor, e.Message)
	}
	return tw.Flush()
}
