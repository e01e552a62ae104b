package cli

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/cacaobook"
	"github.com/socflow/socflow/worker"
)

// PlaybookExportOptions are `socflow playbook export`'s.
type PlaybookExportOptions struct {
	IO        IOStreams
	Config    func() (*config.Config, error)
	Playbooks *playbooks.Registry
	Name      string
	Version   int
	// Out is the file to write; empty writes to standard output.
	Out string
}

func newCmdPlaybookExport(f *Factory, runF func(context.Context, *PlaybookExportOptions) error) *cobra.Command {
	opts := &PlaybookExportOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }, Playbooks: f.playbooks()}
	cmd := &cobra.Command{
		Use:   "export NAME [--version N] [--out FILE]",
		Short: "Write a playbook as OASIS CACAO v2 JSON",
		Long: `export writes an imported CACAO playbook as it was imported, and a Go
playbook's plan as a CACAO playbook where it can: a manual step to review the
incident and one per kind of containment it may propose, each to approve and
carry out. The Go code's choices (which targets, on which scores) do not
translate; the description says so. The output validates against the CACAO
schemas.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Name = f.streams(), args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlaybookExport(opts)
		},
	}
	cmd.Flags().IntVar(&opts.Version, "version", 0, "the version to export (default the latest)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "write to FILE instead of standard output")
	return cmd
}

func runPlaybookExport(opts *PlaybookExportOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	books, err := worker.AddCACAO(cfg, opts.Playbooks)
	if err != nil {
		return err
	}
	pb, ok := opts.Playbooks.Get(opts.Name)
	if opts.Version > 0 {
		pb, ok = opts.Playbooks.GetVersion(opts.Name, opts.Version)
	}
	if !ok {
		return usageErrorf("no playbook %q version %d", opts.Name, opts.Version)
	}
	data, err := cacaobook.Export(pb, books)
	if err != nil {
		return err
	}
	if opts.Out == "" {
		_, err = opts.IO.Out.Write(append(data, '\n'))
		return err
	}
	return os.WriteFile(opts.Out, append(data, '\n'), 0o640)
}
