package cli

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/report"
	"github.com/socflow/socflow/worker"
)

// ReportOptions are `socflow report`'s flags and what it reads through.
type ReportOptions struct {
	// Since and Until bound when the incidents opened: [Since, Until).
	// The flags give each as a time ago (7d, 36h) or an RFC 3339 time.
	Since, Until time.Time
	// Drills includes drills, which are left out by default.
	Drills bool

	Now     func() time.Time
	IO      IOStreams
	Figures OpenFigures
}

// OpenFigures opens the store the report reads its case figures from and
// returns the function that closes it. The report command takes one in
// its options, so that its run tests need no database.
type OpenFigures func(ctx context.Context) (report.Reader, func(), error)

// openFigures is the factory's OpenFigures: Factory.Figures, else the
// configured event store opened read-only, as the incident commands open
// the case files: the report reads socflow's own records, not Temporal,
// whose retention deletes the histories.
func (f *Factory) openFigures(ctx context.Context) (report.Reader, func(), error) {
	if f.Figures != nil {
		return f.Figures(ctx)
	}
	cfg, err := f.loadConfig("")
	if err != nil {
		return nil, nil, err
	}
	store, err := worker.OpenEventsReadOnly(cfg)
	if err != nil {
		return nil, nil, err
	}
	return store, func() { _ = store.Close() }, nil
}

func newCmdReport(f *Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{Figures: f.openFigures}
	var since, until string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print response times: time to enrich, notify, acknowledge, decide, contain and close, and SLA breaches",
		Long: `report prints the response times of the incidents opened in a window, from
the case files: the machine's time (enrich, notify, containment once decided)
apart from the time incidents waited for people (acknowledge, decide), each
as count, mean, p50 and p90 (nearest rank) of the incidents that reached both
of its points, overall, per priority and per tier, with the SLA breaches and
the incidents still open. Decisions the policy's default made on a timeout
are counted apart, not as people's time to decide. Drills are left out
unless --drills is given.

--since and --until take a time ago (7d, 36h, 90m; d is 24 hours) or an
RFC 3339 time. -o md prints Markdown for a review document.`,
		Example: `  socflow report --since 7d
  socflow report --since 30d --until 7d -o md
  socflow report --since 2026-05-01T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.IO, opts.Now = f.streams(), f.now
			// One reading of the clock: the window's end and the "as of"
			// that SLA breaches are judged by are the same instant.
			now := opts.Now().UTC()
			opts.Now = func() time.Time { return now }
			var err error
			if opts.Since, err = parseWhen("--since", since, now); err != nil {
				return err
			}
			opts.Until = now
			if until != "" {
				if opts.Until, err = parseWhen("--until", until, now); err != nil {
					return err
				}
			}
			if !opts.Since.Before(opts.Until) {
				return usageErrorf("--since (%s) must be before --until (%s)", ts(opts.Since), ts(opts.Until))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReport(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&since, "since", "7d", "incidents opened since this long ago (7d, 36h) or this RFC 3339 time")
	cmd.Flags().StringVar(&until, "until", "", "and before this long ago or this RFC 3339 time (default now)")
	cmd.Flags().BoolVar(&opts.Drills, "drills", false, "include drills")
	return withMarkdown(cmd)
}

// daysPrefix is the days of a duration such as 7d or 1d12h.
var daysPrefix = regexp.MustCompile(`^(\d+)d`)

// parseWhen reads a --since or --until value: a Go duration, which may
// start with whole days (7d, 1d12h), meaning that long before now, or an
// RFC 3339 time. flag names the flag in the error.
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	bad := func() (time.Time, error) {
		return time.Time{}, usageErrorf("%s %q: want a time ago such as 7d, 36h or 90m, or an RFC 3339 time such as 2026-05-01T00:00:00Z", flag, v)
	}
	if v == "" {
		return bad()
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	var d time.Duration
	rest := v
	if m := daysPrefix.FindStringSubmatch(v); m != nil {
		days, err := strconv.Atoi(m[1])
		// A century is far more than any store keeps, and keeps the
		// multiplication from overflowing.
		if err != nil || days > 36500 {
			return bad()
		}
		d, rest = time.Duration(days)*24*time.Hour, v[len(m[0]):]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return bad()
		}
		d += r
	}
	return now.Add(-d).UTC(), nil
}

func runReport(ctx context.Context, opts *ReportOptions) error {
	reader, done, err := opts.Figures(ctx)
	if err != nil {
		return err
	}
	defer done()
	q := events.FiguresQuery{Since: opts.Since, Until: opts.Until}
	if !opts.Drills {
		q.Drill = new(bool)
	}
	cases, err := report.Load(ctx, reader, q)
	if err != nil {
		return err
	}
	r := report.Compute(cases, opts.Now().UTC())
	r.Since, r.Until = opts.Since, opts.Until
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, r)
	}
	return printReport(opts.IO.Out, r, opts.Drills, opts.IO.Markdown)
}

// grid is one table of the report, printed as text or Markdown.
type grid struct {
	title  string
	header []string
	rows   [][]string
}

func (g grid) print(w io.Writer, md bool) error {
	if md {
		fmt.Fprintf(w, "\n### %s\n\n", g.title)
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(g.header, " | "), strings.Repeat(" --- |", len(g.header)))
		for _, r := range g.rows {
			cells := make([]string, len(r))
			for i, c := range r {
				// A pipe would end the cell.
				cells[i] = strings.ReplaceAll(c, "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
		return nil
	}
	heading(w, g.title)
	tw := table(w)
	fmt.Fprintln(tw, strings.Join(g.header, "\t"))
	for _, r := range g.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// span prints a report's duration: to the millisecond under a second
// and the tenth under a minute (the machine's figures, where 1.5 s and
// 2 s differ), to the second under an hour, to the minute beyond (the
// people's, as 2h30m); "-" when there is none.
func span(s report.Seconds) string {
	d := time.Duration(s)
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	text := strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	if strings.HasSuffix(text, "h0m") {
		text = strings.TrimSuffix(text, "0m")
	}
	return text
}

func printReport(w io.Writer, r *report.Report, drills, md bool) error {
	scope := "drills left out"
	if drills {
		scope = "drills included"
	}
	noun := "incidents"
	if r.Overall.Incidents == 1 {
		noun = "incident"
	}
	title := fmt.Sprintf("Response times of %d %s opened %s to %s (%s), as of %s",
		r.Overall.Incidents, noun, ts(r.Since), ts(r.Until), scope, ts(r.Now))
	if md {
		fmt.Fprintf(w, "## %s\n", title)
	} else {
		fmt.Fprintln(w, title)
	}
	figures := func(title string, g report.Group) grid {
		out := grid{title: title, header: []string{"FIGURE", "KIND", "INCIDENTS", "MEAN", "P50", "P90", "MAX"}}
		for _, f := range g.Figures {
			out.rows = append(out.rows, []string{f.Figure, f.Kind, strconv.Itoa(f.Count), span(f.Mean), span(f.P50), span(f.P90), span(f.Max)})
		}
		return out
	}
	summary := func(title, by string, gs []report.Group, name func(report.Group) string) grid {
		out := grid{title: title, header: []string{by, "INCIDENTS", "OPEN", "ACK BREACHED", "CONTAIN BREACHED", "DECIDED BY TIMEOUT", "MACHINE", "WAITING FOR PEOPLE"}}
		for _, g := range gs {
			out.rows = append(out.rows, []string{name(g), strconv.Itoa(g.Incidents), strconv.Itoa(g.Open), strconv.Itoa(g.Breaches.Acknowledge),
				strconv.Itoa(g.Breaches.Contain), strconv.Itoa(g.TimeoutDecisions), span(g.Machine), span(g.Human)})
		}
		return out
	}
	// Per group, only the figures some incident reached: a table of
	// dashes for every priority would bury the ones that say something.
	breakdown := func(title, by string, gs []report.Group, name func(report.Group) string) grid {
		out := grid{title: title, header: []string{by, "FIGURE", "KIND", "INCIDENTS", "MEAN", "P50", "P90"}}
		for _, g := range gs {
			for _, f := range g.Figures {
				if f.Count > 0 {
					out.rows = append(out.rows, []string{name(g), f.Figure, f.Kind, strconv.Itoa(f.Count), span(f.Mean), span(f.P50), span(f.P90)})
				}
			}
		}
		return out
	}
	priority := func(g report.Group) string { return g.Priority }
	tier := func(g report.Group) string { return g.Tier }
	all := []report.Group{r.Overall}
	for _, g := range []grid{
		figures("All incidents", r.Overall),
		summary("Totals", "SCOPE", all, func(report.Group) string { return "all" }),
		summary("By priority", "PRIORITY", r.ByPriority, priority),
		breakdown("Figures by priority", "PRIORITY", r.ByPriority, priority),
		summary("By tier", "TIER", r.ByTier, tier),
		breakdown("Figures by tier", "TIER", r.ByTier, tier),
	} {
		if err := g.print(w, md); err != nil {
			return err
		}
	}
	return nil
}
