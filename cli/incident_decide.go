package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// IncidentDecideOptions are `socflow incident decide`'s flags.
type IncidentDecideOptions struct {
	Incident      string
	Approve       bool
	Deny          bool
	Escalate      bool
	FalsePositive bool
	Revert        bool
	Actions       []string
	As            string
	Note          string
}

// Verdict returns the one verdict the flags chose.
func (o *IncidentDecideOptions) Verdict() (alert.Verdict, error) {
	var chosen []alert.Verdict
	for v, set := range map[alert.Verdict]bool{
		alert.VerdictApprove: o.Approve, alert.VerdictDeny: o.Deny, alert.VerdictEscalate: o.Escalate,
		alert.VerdictFalsePositive: o.FalsePositive, alert.VerdictRevert: o.Revert,
	} {
		if set {
			chosen = append(chosen, v)
		}
	}
	if len(chosen) != 1 {
		return "", usageErrorf("give exactly one of --approve, --deny, --escalate, --false-positive, --revert")
	}
	if len(o.Actions) > 0 && chosen[0] != alert.VerdictApprove {
		return "", usageErrorf("--action only goes with --approve")
	}
	return chosen[0], nil
}

func newCmdIncidentDecide(f *Factory, runF func(context.Context, *IncidentDecideOptions) error) *cobra.Command {
	opts := &IncidentDecideOptions{}
	cmd := &cobra.Command{
		Use:   "decide INCIDENT (--approve [--action ID]... | --deny | --escalate | --false-positive | --revert) --as NAME",
		Short: "Decide on an incident awaiting a decision, as Slack's buttons do",
		Long: `decide sends the incident's decide update with your identity. The incident
checks that you may decide at its current tier (and, for destructive actions,
that you did not escalate it yourself) before it accepts; a refusal says why
and exits 5.`,
		Args: exactlyOneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident = args[0]
			if _, err := opts.Verdict(); err != nil {
				return err
			}
			if opts.As == "" {
				if u, ok := f.LookupEnv("SOCFLOW_USER"); ok && u != "" {
					opts.As = u
				} else {
					return usageErrorf("say who decides: --as NAME (or set SOCFLOW_USER)")
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentDecide(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Approve, "approve", false, "approve the proposed containment (all, or those named by --action)")
	fl.BoolVar(&opts.Deny, "deny", false, "deny containment")
	fl.BoolVar(&opts.Escalate, "escalate", false, "hand the incident to the next tier")
	fl.BoolVar(&opts.FalsePositive, "false-positive", false, "close as a false positive")
	fl.BoolVar(&opts.Revert, "revert", false, "undo containment already carried out")
	fl.StringArrayVar(&opts.Actions, "action", nil, "approve only this action ID (repeatable)")
	fl.StringVar(&opts.As, "as", "", "your identity, as the tier's approvers list names you (default $SOCFLOW_USER)")
	fl.StringVar(&opts.Note, "note", "", "why; recorded in the timeline and handed to the next tier")
	return cmd
}

func runIncidentDecide(ctx context.Context, f *Factory, opts *IncidentDecideOptions) error {
	verdict, err := opts.Verdict()
	if err != nil {
		return err
	}
	cfg, c, err := f.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	svc, err := worker.Incidents(cfg, c, nil)
	if err != nil {
		return err
	}
	res, err := svc.Decide(ctx, opts.Incident, workflows.DecideInput{
		Verdict: verdict, Actions: opts.Actions, By: opts.As, Via: "cli", Note: opts.Note,
	})
	if err != nil {
		return err
	}
	if f.Global.JSON() {
		return printJSON(f.Out, res)
	}
	fmt.Fprintf(f.Out, "%s: %s by %s accepted at tier %s\n", workflows.IncidentWorkflowID(workflows.IncidentKey(opts.Incident)), verdict, opts.As, res.Tier)
	return nil
}
