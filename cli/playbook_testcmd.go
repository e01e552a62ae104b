package cli

// `socflow playbook test` (this file is not a _test.go file: it is the
// command, which runs a playbook in the SDK's test environment).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/playbookstest"
	"github.com/socflow/socflow/worker"
)

// PlaybookTestOptions are `socflow playbook test`'s: the playbook, the
// files that script the run, and the configuration whose policy scores,
// routes and escalates.
type PlaybookTestOptions struct {
	Name, AlertFile, AnswersFile, ContextFile string
	// Format forces the alert file's format, as `alert submit --format`.
	Format string

	IO        IOStreams
	Config    func() (*config.Config, error)
	Playbooks *playbooks.Registry
	// Activities are the playbooks' own activities, for their Run steps.
	Activities []any
}

func newCmdPlaybookTest(f *Factory, runF func(context.Context, *PlaybookTestOptions) error) *cobra.Command {
	opts := &PlaybookTestOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }, Playbooks: f.playbooks(), Activities: f.Activities}
	cmd := &cobra.Command{
		Use:   "test NAME --alert FILE [--answers FILE] [--context FILE]",
		Short: "Run a playbook on an alert in Temporal's test environment and print its timeline (no server needed)",
		Long: `test runs the playbook the way an incident runs it (the real Incident workflow,
with the configuration's scoring, tiers and timeouts) in the Temporal SDK's
test environment, whose clock skips: an hour-long tier takes no time. Every
integration is a fake that acts at once; responders answer as the answers file
scripts, through the same decide Update as Slack and the CLI. Nobody answers
without one, and the ladder runs its course.

The alert file is any format intake reads (the first alert is used). The
answers file is YAML (or JSON), a list of
  - {after: 5m, by: alice, verdict: approve, actions: [isolate_host:dc01], note: "..."}
and the context file a context packet as JSON (what enrichment would have
found: {"asset": {"name": "dc01", "tier": 1}, "intel": [...]}).`,
		Example: `  socflow playbook test network-anomaly --alert examples/alerts/network-anomaly-dc01.json --answers answers.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.IO = args[0], f.streams()
			if opts.AlertFile == "" {
				return usageErrorf("--alert FILE is required: the alert that opens the incident")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlaybookTest(opts)
		},
	}
	cmd.Flags().StringVar(&opts.AlertFile, "alert", "", "the alert that opens the incident (any format intake reads)")
	cmd.Flags().StringVar(&opts.AnswersFile, "answers", "", "the responders' answers, YAML: [{after: 5m, by: alice, verdict: approve}]")
	cmd.Flags().StringVar(&opts.ContextFile, "context", "", "the context packet enrichment would have found, JSON")
	cmd.Flags().StringVar(&opts.Format, "format", "", "force the alert file's format (as alert submit --format)")
	return cmd
}

func runPlaybookTest(opts *PlaybookTestOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	// The CACAO playbooks imported into the data directory, as the
	// worker registers them.
	if _, err := worker.AddCACAO(cfg, opts.Playbooks); err != nil {
		return err
	}
	pb, ok := opts.Playbooks.Get(opts.Name)
	if !ok {
		var names []string
		for _, p := range opts.Playbooks.List() {
			names = append(names, p.Name)
		}
		return usageErrorf("no playbook %q: the playbooks are %s", opts.Name, strings.Join(names, ", "))
	}
	a, err := readTestAlert(cfg, opts.AlertFile, opts.Format)
	if err != nil {
		return err
	}
	run := playbookstest.Options{Playbook: pb, Alert: *a, Policy: &cfg.Policy, Activities: opts.Activities}
	if opts.AnswersFile != "" {
		if run.Answers, err = readAnswers(opts.AnswersFile); err != nil {
			return err
		}
	}
	if opts.ContextFile != "" {
		b, err := os.ReadFile(opts.ContextFile)
		if err != nil {
			return usageErrorf("--context: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&run.Context); err != nil {
			return usageErrorf("--context %s: %v", opts.ContextFile, err)
		}
	}
	res, err := playbookstest.Run(run)
	if err != nil {
		return err
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, res)
	}
	printPlaybookRun(opts, a, res)
	return nil
}

// readTestAlert decodes the first alert of file, as intake would.
func readTestAlert(cfg *config.Config, file, format string) (*alert.Alert, error) {
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("--alert: %v", err)
	}
	sub, err := worker.NewSubmitter(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := sub.CheckFormat(format); err != nil {
		return nil, usageErrorf("--format: %v", err)
	}
	batch, err := intake.ParseFormat(body, sub.Formats, format)
	if err != nil {
		return nil, usageErrorf("--alert %s: %v", file, err)
	}
	for _, it := range batch.Items {
		if it.Err != nil {
			return nil, usageErrorf("--alert %s: entry %d (line %d): %v", file, it.Index, it.Line, it.Err)
		}
		return it.Alert, nil
	}
	return nil, usageErrorf("--alert %s holds no alert", file)
}

// readAnswers reads the answers file: YAML (JSON is YAML too), strictly.
func readAnswers(file string) ([]playbookstest.Answer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("--answers: %v", err)
	}
	var out []playbookstest.Answer
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		return nil, usageErrorf("--answers %s: %v", file, err)
	}
	for i, a := range out {
		switch {
		case a.By == "":
			return nil, usageErrorf("--answers %s: answer %d has no by (who answers)", file, i+1)
		case a.Question != "" && a.Verdict != "":
			return nil, usageErrorf("--answers %s: answer %d: give a verdict (a decision) or a question and its answer, not both", file, i+1)
		case a.Question != "" && strings.TrimSpace(a.Answer) == "":
			return nil, usageErrorf("--answers %s: answer %d: question %s has no answer", file, i+1, a.Question)
		case a.Question == "" && !a.Verdict.Valid():
			return nil, usageErrorf("--answers %s: answer %d: verdict %q is not one of approve, deny, escalate, false_positive, revert, renew", file, i+1, a.Verdict)
		case a.After < 0:
			return nil, usageErrorf("--answers %s: answer %d: after %s is negative", file, i+1, a.After)
		}
	}
	return out, nil
}

func printPlaybookRun(opts *PlaybookTestOptions, a *alert.Alert, res *playbookstest.Result) {
	w := opts.IO.Out
	end := "closed as " + strings.ReplaceAll(res.Status, "_", " ")
	switch {
	case res.Status == alert.StatusClosed:
		end = "closed"
	case res.Open:
		end = "still " + strings.ReplaceAll(res.Status, "_", " ") + " when the run's time was up"
	}
	fmt.Fprintf(w, "playbook %s on %q: %s, score %d: %s at %s", opts.Name, alert.OneLine(a.Title), res.Score.Priority, res.Score.Value, end, res.Tier)
	if res.Took > 0 {
		fmt.Fprintf(w, " after %s", alert.ShortDuration(res.Took))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "vendor calls: %s\n", dash(strings.Join(res.Calls, ", ")))
	for _, r := range res.Refused {
		fmt.Fprintf(w, "refused: %s\n", r)
	}
	fmt.Fprintln(w, "\ntimeline:")
	for _, l := range res.Lines() {
		fmt.Fprintln(w, "  "+l)
	}
}
