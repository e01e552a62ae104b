package cli

import (
	"github.com/spf13/cobra"
)

func newCmdIncident(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incident",
		Aliases: []string{"incidents"},
		Short:   "List, show, decide and answer incidents",
	}
	cmd.AddCommand(
		newCmdIncidentList(f, nil),
		newCmdIncidentShow(f, nil),
		newCmdIncidentTimeline(f, nil),
		newCmdIncidentDecide(f, nil),
		newCmdIncidentAnswer(f, nil),
	)
	return group(cmd)
}
