package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
)

// IncidentTimelineOptions are `socflow incident timeline`'s arguments and
// what it reads through.
type IncidentTimelineOptions struct {
	Incident string
	// Limit, Cursor and Case choose the page; All follows the cursors to
	// the end.
	Limit  int
	Cursor string
	Case   string
	All    bool

	IO        IOStreams
	Incidents OpenIncidents
	// Now dates the -o md report.
	Now func() time.Time
}

func newCmdIncidentTimeline(f *Factory, runF func(context.Context, *IncidentTimelineOptions) error) *cobra.Command {
	opts := &IncidentTimelineOptions{Incidents: f.openIncidents}
	cmd := &cobra.Command{
		Use:   "timeline INCIDENT",
		Short: "Print an incident's audit trail: every step, when, and who",
		Long: `timeline prints the incident's audit trail, oldest first, a page at a time
from its case file (or from the workflow, for an incident the case file does
not have). The end of a page says how to ask for the next one; --all prints
every page.

-o md prints the post-incident report instead: the whole timeline, every
alert, the context packet, the score, the decisions and the containment
record, as Markdown (the web view's export.md).`,
		Args:        exactlyOneIncident,
		Annotations: map[string]string{markdownAnnotation: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident, opts.IO = args[0], f.streams()
			opts.Now = f.now
			if err := pageLimit(opts.Limit); err != nil {
				return err
			}
			if opts.IO.Markdown && (opts.Cursor != "" || opts.Case != "") {
				return usageErrorf("-o md writes the whole record of the incident's newest case: --cursor and --case do not apply")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentTimeline(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", events.DefaultCaseLimit, fmt.Sprintf("lines per page, at most %d", maxPage))
	cmd.Flags().StringVar(&opts.Cursor, "cursor", "", "continue after the page that printed this cursor")
	cmd.Flags().StringVar(&opts.Case, "case", "", "one of the incident's cases by its ID (default: the newest)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "print every page")
	return cmd
}

func runIncidentTimeline(ctx context.Context, opts *IncidentTimelineOptions) error {
	svc, done, err := opts.Incidents(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	if opts.IO.Markdown {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		e, err := incidents.Collect(ctx, svc, opts.Incident, now())
		if err != nil {
			return err
		}
		return incidents.WriteMarkdown(opts.IO.Out, e)
	}
	p := incidents.Page{CaseID: opts.Case, Cursor: opts.Cursor, Limit: opts.Limit}
	var all *incidents.TimelinePage
	tw := table(opts.IO.Out)
	if !opts.IO.JSON {
		fmt.Fprintln(tw, "TIME\tSTAGE\tACTOR\tEVENT")
	}
	shown := 0
	for {
		tl, err := svc.Timeline(ctx, opts.Incident, p)
		if err != nil {
			return err
		}
		shown += len(tl.Events)
		if all == nil {
			all = tl
		} else {
			all.Events = append(all.Events, tl.Events...)
			all.NextCursor, all.Total = tl.NextCursor, tl.Total
		}
		if !opts.IO.JSON {
			for _, e := range tl.Events {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ts(e.At), e.Stage, e.Actor, e.Message)
			}
		}
		if !opts.All || tl.NextCursor == "" || len(tl.Events) == 0 {
			break
		}
		// Later pages follow the cursor, which already names the case.
		p = incidents.Page{Cursor: tl.NextCursor, Limit: opts.Limit}
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, all)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if all.NextCursor != "" {
		// On stderr, so that the table on stdout stays a table.
		fmt.Fprintf(opts.IO.ErrOut, "%d of %d lines; next: socflow incident timeline %s --cursor %s (or --all)\n",
			shown, all.Total, all.ID, all.NextCursor)
	}
	return nil
}
