package workflows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// versioned is version v of a playbook that waits a day, then notes which
// version finished it.
func versioned(v int) playbooks.Playbook {
	return playbooks.Playbook{Name: "versioned", Version: v, Run: func(ctx workflow.Context, c playbooks.Case) error {
		if err := c.Wait(ctx, 24*time.Hour, "a day of telemetry"); err != nil {
			return err
		}
		c.Note(ctx, fmt.Sprintf("version %d finished", v))
		return nil
	}}
}

// rollOverAfterAnHour opens an incident on dc01 running the playbook, then
// an hour later sends a storm of occurrences past the signal limit: the
// run continues as new, and its input (for the next run) is returned.
func rollOverAfterAnHour(t *testing.T, pol *policy.Policy, limits activities.Limits, cases *memCases, playbook string) *workflows.IncidentInput {
	t.Helper()
	h := newHarnessFull(t, pol, nil, nil, limits, cases)
	a := networkAlert("dc01", "203.0.113.7")
	first := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/"+playbook+"/run", 1, 1)
	first.Route.Playbook = playbook
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, first) }, 0)
	for i := 2; i <= 30; i++ {
		sig := first
		sig.Seq, sig.Alert, sig.Context, sig.First, sig.Total = i, nil, nil, false, i
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, time.Hour+time.Duration(i)*time.Second)
	}
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: first.Route.Key})
	in := continuedInput[workflows.IncidentInput](t, h.env.GetWorkflowError())
	if in == nil || in.Resume == nil {
		t.Fatalf("the run did not continue as new: %v", h.env.GetWorkflowError())
	}
	return in
}

// TestPlaybookVersionAndWaitSurviveContinueAsNew: an incident whose
// playbook waits a day continues as new in the middle of the wait (a storm
// of signals); the new run, on a worker that also has version 2, waits out
// the same deadline, without a second "waiting" line, and finishes on
// version 1, the one it started.
func TestPlaybookVersionAndWaitSurviveContinueAsNew(t *testing.T) {
	pol := testPolicy(t, nil)
	limits := activities.Limits{Signals: 20, Events: 1 << 30}
	cases := &memCases{}
	registryOverride[t.Name()] = playbooks.NewRegistry(versioned(1))
	defer delete(registryOverride, t.Name())

	in := rollOverAfterAnHour(t, pol, limits, cases, "versioned")
	if p := in.Resume.Progress; in.Resume.PlaybookVersion != 1 || p == nil || p.Wait == nil {
		t.Fatalf("carried playbook version %d, progress %+v; want version 1 mid-wait", in.Resume.PlaybookVersion, p)
	}
	until := in.Resume.Progress.Wait.Until

	registryOverride[t.Name()] = playbooks.NewRegistry(versioned(1), versioned(2))
	h2 := newHarnessFull(t, pol, nil, nil, limits, cases)
	h2.env.ExecuteWorkflow(workflows.IncidentType, *in)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var finished time.Time
	cases.mu.Lock()
	for _, e := range cases.timeline {
		if e.Stage == alert.StagePlaybook {
			lines = append(lines, e.Message)
			if strings.HasSuffix(e.Message, "finished") {
				finished = e.At
			}
		}
	}
	cases.mu.Unlock()
	text := strings.Join(lines, "\n")
	if strings.Count(text, "waiting 24h") != 1 || !strings.Contains(text, "version 1 finished") || strings.Contains(text, "version 2") {
		t.Errorf("playbook lines:\n%s\nwant one wait, finished by version 1", text)
	}
	if finished.Before(until) {
		t.Errorf("finished at %v, before the carried deadline %v", finished, until)
	}
}

// asking is a playbook that asks whether to isolate and notes the answer.
var asking = playbooks.Playbook{Name: "asking", Run: func(ctx workflow.Context, c playbooks.Case) error {
	a, err := c.Ask(ctx, playbooks.Question{Key: "isolate-now", Text: "Isolate dc01 now?", Options: []string{"yes", "no"},
		Tier: "T2", Timeout: 2 * time.Hour, Default: "no"})
	if err != nil {
		return err
	}
	c.Note(ctx, fmt.Sprintf("answer %s by %q timed out %v", a.Value, a.By, a.TimedOut))
	return nil
}}

// TestAskSurvivesContinueAsNew: an incident continues as new while its
// playbook's question is open; the new run does not ask again, keeps the
// deadline, and takes the answer an approver then gives (in any case,
// spelled as the option), refusing one that is not an option first.
func TestAskSurvivesContinueAsNew(t *testing.T) {
	pol := testPolicy(t, nil)
	limits := activities.Limits{Signals: 20, Events: 1 << 30}
	cases := &memCases{}
	registryOverride[t.Name()] = playbooks.NewRegistry(asking)
	defer delete(registryOverride, t.Name())

	in := rollOverAfterAnHour(t, pol, limits, cases, "asking")
	qs := in.Resume.Questions
	if len(qs) != 1 || qs[0].ID != "isolate-now" || qs[0].Answer != nil || qs[0].Tier != "T2" {
		t.Fatalf("carried questions %+v, want isolate-now open at T2", qs)
	}
	deadline := qs[0].Deadline

	h2 := newHarnessFull(t, pol, nil, nil, limits, cases)
	var refused, accepted []string
	answer := func(after time.Duration, value string) {
		h2.env.RegisterDelayedCallback(func() {
			h2.env.UpdateWorkflow(workflows.UpdateAnswer, "a-"+value, &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { refused = append(refused, err.Error()) },
				OnComplete: func(r any, err error) {
					if res, ok := r.(workflows.AnswerResult); ok && err == nil {
						accepted = append(accepted, res.Answer)
					}
				},
			}, workflows.AnswerInput{Question: "isolate-now", Answer: value, By: "alice", Via: "test"})
		}, after)
	}
	answer(5*time.Minute, "maybe")
	answer(10*time.Minute, "YES")
	answer(15*time.Minute, "no")
	h2.env.ExecuteWorkflow(workflows.IncidentType, *in)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(refused) != 2 || !strings.Contains(refused[0], `"maybe" is not an answer to question isolate-now: choose yes, no`) ||
		!strings.Contains(refused[1], "question isolate-now was already answered by alice: yes") {
		t.Errorf("refused %q", refused)
	}
	var lines []string
	var answeredAt time.Time
	cases.mu.Lock()
	for _, e := range cases.timeline {
		if e.Stage == alert.StagePlaybook {
			lines = append(lines, e.Message)
			if strings.HasPrefix(e.Message, "answered isolate-now") {
				answeredAt = e.At
			}
		}
	}
	cases.mu.Unlock()
	text := strings.Join(lines, "\n")
	if strings.Count(text, "asked T2 (isolate-now)") != 1 || !strings.Contains(text, `answer yes by "alice" timed out false`) {
		t.Errorf("playbook lines:\n%s\nwant one question, answered yes by alice", text)
	}
	if answeredAt.IsZero() || !answeredAt.Before(deadline) {
		t.Errorf("answered at %v, deadline %v", answeredAt, deadline)
	}
}
