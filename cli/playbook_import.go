package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/worker"
)

// PlaybookImportOptions are `socflow playbook import`'s: the CACAO file
// and the configuration whose data directory keeps it and whose HTTP
// targets its http-api commands must name.
type PlaybookImportOptions struct {
	IO     IOStreams
	Config func() (*config.Config, error)
	File   string
}

func newCmdPlaybookImport(f *Factory, runF func(context.Context, *PlaybookImportOptions) error) *cobra.Command {
	opts := &PlaybookImportOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }}
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Validate an OASIS CACAO v2 playbook (JSON) and register it for the worker",
		Long: `import checks a CACAO v2 playbook against the CACAO JSON schemas and the
specification's rules (every step a reference names exists, variables are
declared, conditions parse...), that socflow can run each command (manual,
answered through a question to the tier, and http-api, sent to the target of
integrations.http whose name is the step's agent or target's name; any other
command type is refused with the step and the type named), and keeps it in the
data directory as the next version of its name (the document's name in
lower-case, words joined by '-'). Route alerts to it by that name; restart the
worker to load it. A running incident keeps the version it started with.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.File = f.streams(), args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlaybookImport(opts)
		},
	}
}

func runPlaybookImport(opts *PlaybookImportOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(opts.File)
	if err != nil {
		return usageErrorf("%v", err)
	}
	b, added, err := worker.CACAODir(cfg).Import(data, worker.HasHTTPTarget(cfg))
	if err != nil {
		return usageErrorf("%s: %v", opts.File, err)
	}
	var warns []string
	for _, w := range b.Doc.Warnings {
		warns = append(warns, w.String())
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, map[string]any{"name": b.Name, "version": b.Version, "id": b.Doc.ID, "added": added, "warnings": warns})
	}
	what := "imported"
	if !added {
		what = "already imported (the same document)"
	}
	fmt.Fprintf(opts.IO.Out, "%s: %s as playbook %s version %d (%s); route alerts to %s and restart the worker\n",
		opts.File, what, b.Name, b.Version, b.Doc.ID, b.Name)
	for _, w := range warns {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s: %s\n", opts.File, strings.TrimSpace(w))
	}
	return nil
}
