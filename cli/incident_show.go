package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/workflows"
)

// IncidentShowOptions are `socflow incident show`'s arguments and what it
// reads through.
type IncidentShowOptions struct {
	Incident string
	// Now is the factory's clock: a result's summary says whether its
	// verification is overdue or its lease has run out as of now.
	Now time.Time

	IO        IOStreams
	Incidents OpenIncidents
}

func newCmdIncidentShow(f *Factory, runF func(context.Context, *IncidentShowOptions) error) *cobra.Command {
	opts := &IncidentShowOptions{Incidents: f.openIncidents}
	cmd := &cobra.Command{
		Use:   "show INCIDENT",
		Short: "Show an incident: score and why, context, alerts, decisions, containment",
		Args:  exactlyOneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident, opts.IO, opts.Now = args[0], f.streams(), f.now()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentShow(cmd.Context(), opts)
		},
	}
	return cmd
}

func exactlyOneIncident(_ *cobra.Command, args []string) error {
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		return usageErrorf("name one incident, as incident/host:dc01 or host:dc01")
	}
	return nil
}

// shownIncident is `incident show -o json`: the incident's state, as
// before, and the first page of its alerts from the case file (the state
// holds only the top ones).
type shownIncident struct {
	*workflows.IncidentState
	AlertPage *incidents.AlertsPage `json:"alert_page"`
}

func runIncidentShow(ctx context.Context, opts *IncidentShowOptions) error {
	svc, done, err := opts.Incidents(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	st, err := svc.Get(ctx, opts.Incident)
	if err != nil {
		return err
	}
	alerts, err := svc.Alerts(ctx, opts.Incident, incidents.Page{})
	if err != nil {
		return err
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, shownIncident{st, alerts})
	}
	renderIncident(opts.IO.Out, st, alerts, opts.Now)
	return nil
}

func renderIncident(w io.Writer, st *workflows.IncidentState, alerts *incidents.AlertsPage, now time.Time) {
	fmt.Fprintf(w, "%s  %s\n", st.ID, st.Title)
	fmt.Fprintf(w, "status %s · %s score %d · tier %s · playbook %s · %d alert(s), %d occurrence(s)\n",
		st.Status, dash(string(st.Score.Priority)), st.Score.Value, dash(st.Tier), dash(st.Playbook), alerts.Total, st.Occurrences)
	fmt.Fprintf(w, "opened %s · updated %s · closed %s\n", ts(st.OpenedAt), ts(st.UpdatedAt), ts(st.ClosedAt))
	if p := st.Previous; p != nil {
		how := dash(p.Status)
		if !p.ClosedAt.IsZero() {
			how = fmt.Sprintf("closed %s as %s", ts(p.ClosedAt), p.Status)
		}
		fmt.Fprintf(w, "follows case %s of this key (opened %s, %s): socflow incident timeline %s --case %s\n",
			p.CaseID, ts(p.OpenedAt), how, workflows.IncidentKey(st.ID), p.CaseID)
	}
	if len(st.Hosts)+len(st.Users) > 0 {
		fmt.Fprintf(w, "hosts %s%s · users %s%s\n", dash(strings.Join(st.Hosts, ", ")), more(st.Omitted.Hosts),
			dash(strings.Join(st.Users, ", ")), more(st.Omitted.Users))
	}

	heading(w, "Score")
	fmt.Fprint(w, st.Score.Explain())

	heading(w, "Context")
	lines := st.Context.Lines()
	if len(lines) == 0 {
		fmt.Fprintln(w, "  (nothing known)")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}

	heading(w, "Alerts")
	tw := table(w)
	for _, a := range alerts.Alerts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\tx%d\t%s\n", a.WorkflowID, a.Source, a.Severity, a.Occurrences, a.Title)
	}
	_ = tw.Flush()
	if alerts.NextCursor != "" {
		fmt.Fprintf(w, "  (the %d highest of %d; the rest: GET /v1/incidents/%s/alerts?cursor=%s)\n",
			len(alerts.Alerts), alerts.Total, workflows.IncidentKey(st.ID), alerts.NextCursor)
	}

	if len(st.Proposed)+len(st.Unavailable) > 0 {
		heading(w, "Proposed actions")
		for _, a := range st.Proposed {
			fmt.Fprintf(w, "  %s  (%s)\n", a.ID, a.Reason)
		}
		for _, u := range st.Unavailable {
			fmt.Fprintf(w, "  %s  cannot be carried out: %s\n", u.Action.ID, u.Reason)
		}
	}
	if len(st.Decisions) > 0 {
		heading(w, "Decisions")
		for _, d := range st.Decisions {
			fmt.Fprintf(w, "  %s  %s by %s at %s via %s", ts(d.At), d.Verdict, d.By, d.Tier, d.Via)
			if d.Note != "" {
				fmt.Fprintf(w, ": %s", d.Note)
			}
			fmt.Fprintln(w)
		}
	}
	if len(st.Questions) > 0 {
		heading(w, "Questions")
		for _, q := range st.Questions {
			opts := "any text"
			if len(q.Options) > 0 {
				opts = strings.Join(q.Options, " / ")
			}
			fmt.Fprintf(w, "  %s  %s  to %s: %s [%s]\n", ts(q.AskedAt), q.ID, q.Tier, q.Text, opts)
			switch a := q.Answer; {
			case a == nil:
				fmt.Fprintf(w, "      open until %s (then %s): socflow incident answer %s %s ANSWER\n", ts(q.Deadline), dash(q.Default), workflows.IncidentKey(st.ID), q.ID)
			case a.TimedOut:
				fmt.Fprintf(w, "      %s  nobody answered: default %s\n", ts(a.At), dash(a.Value))
			default:
				fmt.Fprintf(w, "      %s  %s by %s via %s\n", ts(a.At), a.Value, a.By, a.Via)
			}
		}
	}
	if da := st.DefaultAction; da != nil {
		heading(w, "Timeout default")
		verb := "applied"
		if !da.Applied {
			verb = "not applied"
		}
		fmt.Fprintf(w, "  %s  %s %s: %s\n", ts(da.At), da.Action, verb, da.Reason)
	}
	if len(st.Results) > 0 {
		heading(w, "Containment")
		leased := false
		for _, r := range st.Results {
			fmt.Fprintf(w, "  %s  %s  %s", ts(r.At), r.Action.ID, r.Summary(now))
			if r.Detail != "" {
				fmt.Fprintf(w, ": %s", alert.OneLine(r.Detail))
			}
			fmt.Fprintln(w)
			leased = leased || r.Leased()
		}
		if leased && st.Status != workflows.StatusClosed {
			// A lease runs out unattended: say how to keep it, as the
			// Decide line below says how to decide.
			fmt.Fprintf(w, "  Renew: socflow incident decide %s --renew [--action ID]...\n", workflows.IncidentKey(st.ID))
		}
	}
	if len(st.Errors) > 0 {
		heading(w, "Errors")
		for _, e := range st.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	heading(w, "Times")
	fmt.Fprintf(w, "  to enrich %s · to decide %s · to contain %s\n",
		dur(st.Metrics.TimeToEnrich), dur(st.Metrics.TimeToDecide), dur(st.Metrics.TimeToContain))
	if st.Status == workflows.StatusAwaiting {
		fmt.Fprintf(w, "\nDecide: socflow incident decide %s --approve|--deny|--escalate|--false-positive\n", workflows.IncidentKey(st.ID))
	}
}

// more renders what a capped list left out.
func more(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (+%d more)", n)
}
