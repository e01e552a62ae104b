package cli

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/workflows"
)

// IncidentDecideOptions are `socflow incident decide`'s flags and the API
// it decides through.
type IncidentDecideOptions struct {
	Incident      string
	Approve       bool
	Deny          bool
	Escalate      bool
	FalsePositive bool
	Revert        bool
	// Renew renews the leases of the actions in force: all of them, or
	// those Actions names.
	Renew   bool
	Actions []string
	// OnBehalfOf records a decision someone else made (admins only).
	OnBehalfOf string
	Note       string
	API        APIFlags

	IO IOStreams
	// Client returns the client of the API the flags name.
	Client func() (APIClient, error)
}

// Verdict returns the one verdict the flags chose.
func (o *IncidentDecideOptions) Verdict() (alert.Verdict, error) {
	var chosen []alert.Verdict
	for v, set := range map[alert.Verdict]bool{
		alert.VerdictApprove: o.Approve, alert.VerdictDeny: o.Deny, alert.VerdictEscalate: o.Escalate,
		alert.VerdictFalsePositive: o.FalsePositive, alert.VerdictRevert: o.Revert,
		alert.VerdictRenew: o.Renew,
	} {
		if set {
			chosen = append(chosen, v)
		}
	}
	if len(chosen) != 1 {
		return "", usageErrorf("give exactly one of --approve, --deny, --escalate, --false-positive, --revert, --renew")
	}
	// A decision's actions name what to approve or whose lease to renew;
	// the other verdicts act on the whole incident.
	if len(o.Actions) > 0 && chosen[0] != alert.VerdictApprove && chosen[0] != alert.VerdictRenew {
		return "", usageErrorf("--action only goes with --approve or --renew")
	}
	return chosen[0], nil
}

func newCmdIncidentDecide(f *Factory, runF func(context.Context, *IncidentDecideOptions) error) *cobra.Command {
	opts := &IncidentDecideOptions{}
	opts.Client = func() (APIClient, error) { return f.apiClient(opts.API) }
	cmd := &cobra.Command{
		Use:   "decide INCIDENT (--approve [--action ID]... | --deny | --escalate | --false-positive | --revert | --renew [--action ID]...)",
		Short: "Decide on an incident awaiting a decision, as Slack's buttons do",
		Long: `decide sends your decision to the socflow API, which takes who you are from
your credential ($SOCFLOW_TOKEN, or the token socflow dev writes in its data
directory). The incident checks that you may decide at its current tier (and,
for destructive actions, that you did not escalate it yourself) before it
accepts; a refusal says why and exits 5. An admin records a decision made by
someone else with --on-behalf-of NAME; the timeline shows both names.

--renew extends the leases of the containment actions in force (all of them,
or those named by --action) from now, each by its own lease, so that socflow
does not undo them when the lease runs out.`,
		Args: exactlyOneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident, opts.IO = args[0], f.streams()
			if _, err := opts.Verdict(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentDecide(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Approve, "approve", false, "approve the proposed containment (all, or those named by --action)")
	fl.BoolVar(&opts.Deny, "deny", false, "deny containment")
	fl.BoolVar(&opts.Escalate, "escalate", false, "hand the incident to the next tier")
	fl.BoolVar(&opts.FalsePositive, "false-positive", false, "close as a false positive")
	fl.BoolVar(&opts.Revert, "revert", false, "undo containment already carried out")
	fl.BoolVar(&opts.Renew, "renew", false, "renew the leases of containment in force (all, or those named by --action)")
	fl.StringArrayVar(&opts.Actions, "action", nil, "approve, or renew the lease of, only this action ID (repeatable)")
	fl.StringVar(&opts.OnBehalfOf, "on-behalf-of", "", "record the decision as NAME's, made through you (admins only)")
	fl.StringVar(&opts.Note, "note", "", "why; recorded in the timeline and handed to the next tier")
	opts.API.register(cmd)
	return cmd
}

func runIncidentDecide(ctx context.Context, opts *IncidentDecideOptions) error {
	verdict, err := opts.Verdict()
	if err != nil {
		return err
	}
	api, err := opts.Client()
	if err != nil {
		return err
	}
	key := workflows.IncidentKey(opts.Incident)
	var res workflows.DecideResult
	err = api.Do(ctx, http.MethodPost, "/v1/incidents/"+url.PathEscape(key)+"/decision", httpapi.DecisionRequest{
		Verdict: verdict, Actions: opts.Actions, Note: opts.Note, OnBehalfOf: opts.OnBehalfOf,
	}, &res)
	if err := incidentAPIError(err); err != nil {
		return err
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, res)
	}
	what := "accepted"
	if res.Status == "recorded" {
		what = fmt.Sprintf("recorded (%d of %d approvals)", res.Approvals, res.Needed)
	}
	fmt.Fprintf(opts.IO.Out, "%s: %s %s at tier %s\n", workflows.IncidentWorkflowID(key), verdict, what, res.Tier)
	for _, by := range slices.Sorted(maps.Keys(res.Approved)) {
		fmt.Fprintf(opts.IO.Out, "  %s approved %s\n", by, strings.Join(res.Approved[by], ", "))
	}
	return nil
}
