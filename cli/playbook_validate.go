package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/worker"
)

// PlaybookValidateOptions are `socflow playbook validate`'s: the
// configuration, the playbooks, and what the configured providers can
// carry out (nil: as a worker on the configuration would find it).
type PlaybookValidateOptions struct {
	IO        IOStreams
	Config    func() (*config.Config, error)
	Playbooks *playbooks.Registry
	Plan      func(*config.Config) (activities.ContainmentPlan, error)
}

func newCmdPlaybookValidate(f *Factory, runF func(context.Context, *PlaybookValidateOptions) error) *cobra.Command {
	opts := &PlaybookValidateOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }, Playbooks: f.playbooks(), Plan: f.ContainmentPlan}
	if opts.Plan == nil {
		opts.Plan = worker.ContainmentPlan
	}
	return &cobra.Command{
		Use:   "validate",
		Short: "Check that every routed playbook exists and that a provider can carry out each action it may propose",
		Long: `validate reads the configuration as the worker would and checks each playbook
the routing names: that it exists, and that every kind of containment it may
propose has a configured provider (isolate_host: integrations.edr;
block_ip: integrations.firewall or the EDR; disable_user and
revoke_sessions: integrations.idp; block_hash: integrations.edr;
block_sender_domain: integrations.mail).
An action no provider can carry out is left out of every proposal, so the
playbook would never contain with it. Each problem names the file, line and
field; any problem exits 3.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.IO = f.streams()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlaybookValidate(opts)
		},
	}
}

// needs says which integration carries out each kind of action.
var needs = map[alert.ActionKind]string{
	alert.ActionIsolateHost:       "integrations.edr",
	alert.ActionBlockIP:           "integrations.firewall or integrations.edr",
	alert.ActionDisableUser:       "integrations.idp",
	alert.ActionRevokeSessions:    "integrations.idp",
	alert.ActionBlockHash:         "integrations.edr",
	alert.ActionBlockSenderDomain: "integrations.mail",
}

func runPlaybookValidate(opts *PlaybookValidateOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	// The CACAO playbooks imported into the data directory, as the
	// worker registers them.
	if _, err := worker.AddCACAO(cfg, opts.Playbooks); err != nil {
		return err
	}
	if err := cfg.ValidatePlaybooks(opts.Playbooks.Has); err != nil {
		return err
	}
	plan, err := opts.Plan(cfg)
	if err != nil {
		return err
	}
	var problems []error
	checked := map[string]bool{}
	check := func(field, name string) {
		pb, _ := opts.Playbooks.Get(name)
		var missing []string
		for _, a := range pb.Actions {
			if !plan.Can(a) {
				missing = append(missing, fmt.Sprintf("%s (%s)", a, needs[a]))
			}
		}
		if len(missing) > 0 {
			problems = append(problems, cfg.ErrorAt(field, fmt.Sprintf("playbook %s may propose %s, which no configured provider carries out", name, strings.Join(missing, ", "))))
		}
		checked[name] = true
	}
	for i, r := range cfg.Policy.Routing.Rules {
		check(fmt.Sprintf("routing.rules[%d].playbook", i), r.Playbook)
	}
	check("routing.default.playbook", cfg.Policy.Routing.Default.Playbook)
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	names := make([]string, 0, len(checked))
	for n := range checked {
		names = append(names, n)
	}
	slices.Sort(names)
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, map[string]any{"ok": true, "routed": names})
	}
	fmt.Fprintf(opts.IO.Out, "%s: OK: %d routed playbook(s) (%s), each action they may propose has a provider\n",
		orBuiltin(cfg.Path), len(names), strings.Join(names, ", "))
	return nil
}

func orBuiltin(path string) string {
	if path == "" {
		return "built-in defaults"
	}
	return path
}
