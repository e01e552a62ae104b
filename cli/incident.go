package cli

import (
	"github.com/spf13/cobra"
)

func newCmdIncident(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incident",
		Aliases: []string{"incidents"},
		Short:   "List, show and decide incidents",
	}
	cmd.AddCommand(
		newCmdIncidentList(f, nil),
		newCmdIncidentShow(f, nil),
		newCmdIncidentTimeline(f, nil),
		newCmdIncidentDecide(f, nil),
	)
	return group(cmd)
}
