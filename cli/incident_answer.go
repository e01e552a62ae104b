package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/workflows"
)

// IncidentAnswerOptions are `socflow incident answer`'s arguments and the
// API it answers through.
type IncidentAnswerOptions struct {
	Incident string
	Question string
	Answer   string
	API      APIFlags

	IO IOStreams
	// Client returns the client of the API the flags name.
	Client func() (APIClient, error)
}

func newCmdIncidentAnswer(f *Factory, runF func(context.Context, *IncidentAnswerOptions) error) *cobra.Command {
	opts := &IncidentAnswerOptions{}
	opts.Client = func() (APIClient, error) { return f.apiClient(opts.API) }
	cmd := &cobra.Command{
		Use:   "answer INCIDENT QUESTION ANSWER...",
		Short: "Answer a playbook's question, as Slack's buttons do",
		Long: `answer sends your answer to one of the incident's open questions (socflow
incident show lists them with their IDs and options). Who you are comes from
your credential; the incident checks that you are an approver at the tier the
question was put to and that the answer is one of its options (any case), and
a refusal says why and exits 5. Words after QUESTION are joined by spaces, so
a free-text answer needs no quotes.`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Incident, opts.Question, opts.Answer, opts.IO = args[0], args[1], strings.Join(args[2:], " "), f.streams()
			if strings.TrimSpace(opts.Answer) == "" {
				return usageErrorf("the answer is empty")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIncidentAnswer(cmd.Context(), opts)
		},
	}
	opts.API.register(cmd)
	return cmd
}

func runIncidentAnswer(ctx context.Context, opts *IncidentAnswerOptions) error {
	api, err := opts.Client()
	if err != nil {
		return err
	}
	key := workflows.IncidentKey(opts.Incident)
	var res workflows.AnswerResult
	err = api.Do(ctx, http.MethodPost, "/v1/incidents/"+url.PathEscape(key)+"/answer", httpapi.AnswerRequest{
		Question: opts.Question, Answer: opts.Answer,
	}, &res)
	if err := incidentAPIError(err); err != nil {
		return err
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, res)
	}
	fmt.Fprintf(opts.IO.Out, "%s: answer to %s accepted: %s\n", workflows.IncidentWorkflowID(key), opts.Question, res.Answer)
	return nil
}
