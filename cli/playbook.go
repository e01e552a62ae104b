package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/worker"
)

func newCmdPlaybook(f *Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "playbook", Short: "List, validate, test, import and export playbooks"}
	cmd.AddCommand(newCmdPlaybookList(f, nil), newCmdPlaybookValidate(f, nil), newCmdPlaybookTest(f, nil),
		newCmdPlaybookImport(f, nil), newCmdPlaybookExport(f, nil))
	return group(cmd)
}

// PlaybookListOptions are `socflow playbook list`'s: the configuration
// whose routing it reads, and the playbooks.
type PlaybookListOptions struct {
	IO        IOStreams
	Config    func() (*config.Config, error)
	Playbooks *playbooks.Registry
}

// PlaybookInfo is one playbook in `playbook list -o json`.
type PlaybookInfo struct {
	Name string `json:"name"`
	// Version is the latest, which new incidents start on; Versions are
	// all the registered ones (running incidents keep theirs).
	Version     int                `json:"version"`
	Versions    []int              `json:"versions"`
	Description string             `json:"description"`
	Actions     []alert.ActionKind `json:"actions"`
	// RoutedBy names the routing rules that send alerts to it ("default"
	// for the routing's default).
	RoutedBy []string `json:"routed_by"`
}

func newCmdPlaybookList(f *Factory, runF func(context.Context, *PlaybookListOptions) error) *cobra.Command {
	opts := &PlaybookListOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }, Playbooks: f.playbooks()}
	return &cobra.Command{
		Use:   "list",
		Short: "List the playbooks: name, the actions they may propose, the routing rules that use them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.IO = f.streams()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlaybookList(opts)
		},
	}
}

func runPlaybookList(opts *PlaybookListOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	// The CACAO playbooks imported into the data directory, as the
	// worker registers them.
	if _, err := worker.AddCACAO(cfg, opts.Playbooks); err != nil {
		return err
	}
	infos := playbookInfos(cfg, opts.Playbooks)
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, infos)
	}
	tw := table(opts.IO.Out)
	fmt.Fprintln(tw, "PLAYBOOK\tVERSION\tACTIONS\tROUTED BY\tDESCRIPTION")
	for _, p := range infos {
		acts := make([]string, len(p.Actions))
		for i, a := range p.Actions {
			acts[i] = string(a)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", p.Name, p.Version, dash(strings.Join(acts, ",")), dash(strings.Join(p.RoutedBy, ",")), p.Description)
	}
	return tw.Flush()
}

// playbookInfos lists the registry's playbooks with the rules routing to
// each, in the registry's order (by name).
func playbookInfos(cfg *config.Config, reg *playbooks.Registry) []PlaybookInfo {
	routes := routedBy(cfg)
	var out []PlaybookInfo
	for _, p := range reg.List() {
		out = append(out, PlaybookInfo{Name: p.Name, Version: p.Version, Versions: reg.Versions(p.Name), Description: p.Description,
			Actions:  append([]alert.ActionKind{}, p.Actions...),
			RoutedBy: append([]string{}, routes[p.Name]...)})
	}
	return out
}

// routedBy maps a playbook name to the routing rules that name it, in the
// file's order, the default last.
func routedBy(cfg *config.Config) map[string][]string {
	r := cfg.Policy.Routing
	out := map[string][]string{}
	for i, rule := range r.Rules {
		name := rule.Name
		if name == "" {
			name = fmt.Sprintf("rules[%d]", i)
		}
		out[rule.Playbook] = append(out[rule.Playbook], name)
	}
	out[r.Default.Playbook] = append(out[r.Default.Playbook], "default")
	return out
}
