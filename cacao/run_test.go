package cacao

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// fakeExec answers manual commands by step name, in order, and HTTP calls
// through a function. It records every call with the workflow time it came
// at. It runs inside the test workflow, whose coroutines run one at a time.
type fakeExec struct {
	answers map[string][]string      // step name → answers, one per call
	delays  map[string]time.Duration // step name → how long a person takes
	never   map[string]bool          // step names nobody answers
	http    func(HTTPRequest) (HTTPResult, error)

	manual []ManualRequest
	calls  []HTTPRequest
	at     map[string][]time.Time // step name → when each call came
	notes  []string
	start  time.Time
}

func (f *fakeExec) Manual(ctx workflow.Context, q ManualRequest) (ManualResult, error) {
	f.manual = append(f.manual, q)
	f.record(ctx, q.StepName)
	if f.never[q.StepName] {
		ctx.Done().Receive(ctx, nil)
		return ManualResult{}, ctx.Err()
	}
	if d := f.delays[q.StepName]; d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return ManualResult{}, err
		}
	}
	a := f.answers[q.StepName]
	if len(a) == 0 {
		return ManualResult{}, fmt.Errorf("fake: no answer left for %q", q.StepName)
	}
	f.answers[q.StepName] = a[1:]
	return ManualResult{Text: a[0]}, nil
}

func (f *fakeExec) HTTP(ctx workflow.Context, r HTTPRequest) (HTTPResult, error) {
	f.calls = append(f.calls, r)
	f.record(ctx, r.StepName)
	if f.never[r.StepName] {
		ctx.Done().Receive(ctx, nil)
		return HTTPResult{}, ctx.Err()
	}
	if f.http == nil {
		return HTTPResult{Status: 200}, nil
	}
	return f.http(r)
}

func (f *fakeExec) Note(_ workflow.Context, line string) { f.notes = append(f.notes, line) }

func (f *fakeExec) record(ctx workflow.Context, step string) {
	if f.at == nil {
		f.at = map[string][]time.Time{}
	}
	f.at[step] = append(f.at[step], workflow.Now(ctx))
}

func (f *fakeExec) commands() []string {
	var out []string
	for _, q := range f.manual {
		out = append(out, q.Command)
	}
	return out
}

// run executes Run in Temporal's test workflow environment, which skips
// time: timers and sleeps fire as soon as the workflow is blocked on them.
func run(t *testing.T, p *Playbook, x *fakeExec, opts RunOptions) (Result, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	var res Result
	var runErr error
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		x.start = workflow.Now(ctx)
		res, runErr = Run(ctx, p, x, opts)
		return nil
	}, workflow.RegisterOptions{Name: "RunPlaybook"})
	wall := time.Now()
	env.ExecuteWorkflow("RunPlaybook")
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	if d := time.Since(wall); d > 20*time.Second {
		t.Errorf("the run took %s of real time: something slept for real", d)
	}
	return res, runErr
}

func outcomes(p *Playbook, res Result) []string {
	var out []string
	for _, s := range res.Steps {
		name := s.Name
		if s.PlaybookID != p.ID {
			name = "child:" + name
		}
		out = append(out, name+"="+string(s.Outcome))
	}
	return out
}

func TestRunParallelSwitchManual(t *testing.T) {
	p := fixture(t, "parallel_switch_manual.json")
	for _, c := range []struct {
		severity, branch, acted string
	}{
		{"high", "case high", "Isolate ws-042 (ticket T-7)"},
		{"low", "case low", "Close the alert on ws-042 as benign"},
		{"unsure", "case default", "Ask a senior analyst about ws-042"},
	} {
		t.Run(c.severity, func(t *testing.T) {
			x := &fakeExec{
				answers: map[string][]string{
					"Ask for severity": {c.severity},
					"Isolate host":     {"done"}, "Close alert": {"done"}, "Second opinion": {"done"},
				},
				// The analyst answers after the ticket is open, so the
				// branches really overlap.
				delays: map[string]time.Duration{"Ask for severity": 5 * time.Minute},
				http: func(r HTTPRequest) (HTTPResult, error) {
					return HTTPResult{Status: 201, Body: []byte("T-7")}, nil
				},
			}
			res, err := run(t, p, x, RunOptions{Inputs: map[string]string{"__host__": "ws-042"}})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Outcome != OutcomeCompleted {
				t.Errorf("outcome %s", res.Outcome)
			}
			wantCmds := []string{"Rate the alert on ws-042: high, low or unsure", c.acted}
			if got := x.commands(); !reflect.DeepEqual(got, wantCmds) {
				t.Errorf("manual commands %q, want %q", got, wantCmds)
			}
			if len(x.calls) != 1 {
				t.Fatalf("%d HTTP calls, want 1", len(x.calls))
			}
			h := x.calls[0]
			if h.Method != "POST" || h.Target != "/api/tickets" || h.Version != "HTTP/1.1" ||
				h.Headers["X-Host"][0] != "ws-042" || string(h.Body) != `{"host": "ws-042"}` ||
				len(h.Targets) != 1 || !strings.HasPrefix(h.Targets[0], "http-api--") {
				t.Errorf("HTTP request %+v", h)
			}
			par := stepByName(t, p, "Triage in parallel")
			ask := stepByName(t, p, "Ask for severity")
			if want := par + "#1[0]/" + ask + "#1/0"; x.manual[0].Key != want {
				t.Errorf("key %q, want %q", x.manual[0].Key, want)
			}
			if res.Variables["__severity__"] != c.severity || res.Variables["__ticket__"] != "T-7" || res.Variables["__host__"] != "ws-042" {
				t.Errorf("variables %v", res.Variables)
			}
			var sw StepRecord
			for _, s := range res.Steps {
				if s.Type == StepSwitchCondition {
					sw = s
				}
			}
			if sw.Branch != c.branch || sw.Outcome != OutcomeSuccess {
				t.Errorf("switch record %+v, want branch %q", sw, c.branch)
			}
			if !containsLine(x.notes, "taking "+c.branch) {
				t.Errorf("no note of the branch taken:\n%s", strings.Join(x.notes, "\n"))
			}
		})
	}
}

// TestRunParallelWaitsForBranches checks the join: the switch after the
// parallel step comes only when the slower branch has ended.
func TestRunParallelWaitsForBranches(t *testing.T) {
	p := fixture(t, "parallel_switch_manual.json")
	x := &fakeExec{
		answers: map[string][]string{"Ask for severity": {"high"}, "Isolate host": {"done"}},
		delays:  map[string]time.Duration{"Ask for severity": 5 * time.Minute},
		http:    func(HTTPRequest) (HTTPResult, error) { return HTTPResult{Status: 200, Body: []byte("T-1")}, nil },
	}
	if _, err := run(t, p, x, RunOptions{Inputs: map[string]string{"__host__": "h"}}); err != nil {
		t.Fatal(err)
	}
	asked, opened, isolated := x.at["Ask for severity"][0], x.at["Open ticket"][0], x.at["Isolate host"][0]
	if !asked.Equal(x.start) || !opened.Equal(x.start) {
		t.Errorf("branches did not start together: ask %v ticket %v start %v", asked, opened, x.start)
	}
	if got := isolated.Sub(x.start); got != 5*time.Minute {
		t.Errorf("isolation asked %s after the start, want 5m (after the slower branch)", got)
	}
}

func TestRunDeterministic(t *testing.T) {
	p := fixture(t, "parallel_switch_manual.json")
	newExec := func() *fakeExec {
		return &fakeExec{
			answers: map[string][]string{"Ask for severity": {"high"}, "Isolate host": {"done"}},
			http:    func(HTTPRequest) (HTTPResult, error) { return HTTPResult{Status: 200, Body: []byte("T-1")}, nil },
		}
	}
	x1, x2 := newExec(), newExec()
	r1, _ := run(t, p, x1, RunOptions{Inputs: map[string]string{"__host__": "h"}})
	r2, _ := run(t, p, x2, RunOptions{Inputs: map[string]string{"__host__": "h"}})
	if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(x1.notes, x2.notes) {
		t.Errorf("two runs differ:\n%+v\n%+v", r1, r2)
	}
}

func TestRunIfCondition(t *testing.T) {
	p := fixture(t, "if_condition.json")
	for _, c := range []struct {
		score, ip, vip, want string
	}{
		{"80", "10.1.1.1", "false", "Escalate 10.1.1.1 (score 80)"},
		{"80", "8.8.8.8", "false", "Close the alert for 8.8.8.8"},
		{"69", "10.1.1.1", "false", "Close the alert for 10.1.1.1"},
		{"10", "8.8.8.8", "true", "Escalate 8.8.8.8 (score 10)"},
	} {
		x := &fakeExec{answers: map[string][]string{"Escalate": {"ok"}, "Close": {"ok"}}}
		res, err := run(t, p, x, RunOptions{Inputs: map[string]string{"__score__": c.score, "__ip__": c.ip, "__vip__": c.vip}})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if got := x.commands(); len(got) != 1 || got[0] != c.want {
			t.Errorf("%+v: commands %q", c, got)
		}
		want := []string{"Start=success", "High and internal?=success", "", "", "Done=success"}
		if strings.HasPrefix(c.want, "Escalate") {
			want[2], want[3] = "Escalate=success", "Escalated=success"
		} else {
			want[2], want[3] = "Close=success", "Closed=success"
		}
		if got := outcomes(p, res); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: steps %v, want %v", c, got, want)
		}
	}
}

func TestRunWhileBounded(t *testing.T) {
	p := fixture(t, "while_bounded.json")
	w := stepByName(t, p, "Until contained")
	check := stepByName(t, p, "Check containment")

	x := &fakeExec{answers: map[string][]string{"Check containment": {"no", "no", "yes"}}}
	res, err := run(t, p, x, RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(x.manual) != 3 || res.Variables["__contained__"] != "yes" {
		t.Fatalf("%d questions, variables %v", len(x.manual), res.Variables)
	}
	for i, q := range x.manual {
		if want := fmt.Sprintf("%s#1/%d/%s#1/0", w, i+1, check); q.Key != want {
			t.Errorf("question %d key %q, want %q", i, q.Key, want)
		}
	}
	for _, s := range res.Steps {
		if s.StepID == w && s.Branch != "3 iterations" {
			t.Errorf("while record %+v", s)
		}
	}

	// Nobody ever says yes: the bound stops the run.
	x = &fakeExec{answers: map[string][]string{"Check containment": strings.Fields(strings.Repeat("no ", 10))}}
	res, err = run(t, p, x, RunOptions{MaxIterations: 5})
	var le *LimitError
	if !errors.Is(err, ErrIterationLimit) || !errors.As(err, &le) || le.StepID != w || le.Max != 5 {
		t.Fatalf("Run = %v, want the iteration limit at %s", err, w)
	}
	if res.Outcome != OutcomeAborted || len(x.manual) != 5 {
		t.Errorf("outcome %s after %d questions, want aborted after 5", res.Outcome, len(x.manual))
	}
	if !strings.Contains(err.Error(), "looped 5 times") {
		t.Errorf("error %q does not say how often it looped", err)
	}
}

func TestRunStepTimeout(t *testing.T) {
	p := fixture(t, "step_timeout.json")
	approve := stepByName(t, p, "Approve isolation")

	x := &fakeExec{never: map[string]bool{"Approve isolation": true}, answers: map[string][]string{"Escalate to on-call": {"called"}}}
	res, err := run(t, p, x, RunOptions{})
	if err != nil {
		t.Fatalf("Run: %v (a timeout with on_failure is caught)", err)
	}
	want := []string{"Start=success", "Approve isolation=failure", "Escalate to on-call=success", "Escalated=success"}
	if got := outcomes(p, res); !reflect.DeepEqual(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	rec := res.Steps[1]
	if !strings.Contains(rec.Error, "ACTION_TIMEOUT: step "+approve+" did not finish within 1m0s") {
		t.Errorf("record error %q", rec.Error)
	}
	// The question came after the 1 s delay, the escalation 60 s later.
	if got := x.at["Approve isolation"][0].Sub(x.start); got != time.Second {
		t.Errorf("asked %s after start, want 1s (the delay)", got)
	}
	if got := x.at["Escalate to on-call"][0].Sub(x.start); got != 61*time.Second {
		t.Errorf("escalated %s after start, want 61s (delay + timeout)", got)
	}

	// An answer in time takes on_success.
	x = &fakeExec{answers: map[string][]string{"Approve isolation": {"yes"}}, delays: map[string]time.Duration{"Approve isolation": 59 * time.Second}}
	res, err = run(t, p, x, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"Start=success", "Approve isolation=success", "Approved=success"}
	if got := outcomes(p, res); !reflect.DeepEqual(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
}

func TestRunDefaultTimeout(t *testing.T) {
	p := fixture(t, "failure_path.json")
	x := &fakeExec{never: map[string]bool{"Block address": true}, answers: map[string][]string{"Tell the analyst": {"ok"}}}
	res, err := run(t, p, x, RunOptions{DefaultTimeout: time.Hour})
	var pe *PlaybookError
	if !errors.As(err, &pe) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run = %v, want the playbook failed by a timeout", err)
	}
	if got := x.at["Tell the analyst"][0].Sub(x.start); got != time.Hour {
		t.Errorf("exception handler ran %s after the start, want 1h", got)
	}
	if res.Outcome != OutcomeFailed {
		t.Errorf("outcome %s", res.Outcome)
	}
}

func TestRunFailurePath(t *testing.T) {
	p := fixture(t, "failure_path.json")
	for _, c := range []struct {
		name   string
		http   func(HTTPRequest) (HTTPResult, error)
		reason string
	}{
		{"status", func(HTTPRequest) (HTTPResult, error) { return HTTPResult{Status: 503}, nil }, "status 503"},
		{"error", func(HTTPRequest) (HTTPResult, error) { return HTTPResult{}, errors.New("connection refused") }, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := &fakeExec{http: c.http, answers: map[string][]string{"Tell the analyst": {"blocked by hand"}}}
			res, err := run(t, p, x, RunOptions{})
			var pe *PlaybookError
			var se *StepError
			if !errors.As(err, &pe) || !errors.As(err, &se) || se.StepID != stepByName(t, p, "Block address") {
				t.Fatalf("Run = %v, want a PlaybookError from the block step", err)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q lacks %q", err, c.reason)
			}
			if res.Outcome != OutcomeFailed {
				t.Errorf("outcome %s", res.Outcome)
			}
			want := []string{"Start=success", "Block address=failure", "Tell the analyst=success", "Handled=success"}
			if got := outcomes(p, res); !reflect.DeepEqual(got, want) {
				t.Errorf("steps %v, want %v (workflow_exception after the failure)", got, want)
			}
			if got := x.commands(); len(got) != 1 || got[0] != "Blocking 203.0.113.7 failed: block it by hand" {
				t.Errorf("commands %q", got)
			}
			if x.calls[0].Target != "/api/block?ip=203.0.113.7" {
				t.Errorf("target %q", x.calls[0].Target)
			}
		})
	}
}

func TestRunPlaybookAction(t *testing.T) {
	parent := fixture(t, "playbook_action.json")
	child := fixture(t, "playbook_action_child.json")
	call := stepByName(t, parent, "Get verdict")

	x := &fakeExec{answers: map[string][]string{"Verdict": {"malicious"}, "Report": {"ok"}}}
	res, err := run(t, parent, x, RunOptions{Playbooks: map[string]*Playbook{child.ID: child}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"Verdict for ws-042: malicious or benign?", "The verdict for ws-042 is malicious"}
	if got := x.commands(); !reflect.DeepEqual(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}
	if res.Variables["__verdict__"] != "malicious" {
		t.Errorf("variables %v", res.Variables)
	}
	if !strings.HasPrefix(x.manual[0].Key, call+"#1>") || x.manual[0].PlaybookID != child.ID {
		t.Errorf("child question %+v", x.manual[0])
	}
	wantSteps := []string{"Start=success", "Get verdict=success", "child:Start=success", "child:Verdict=success", "child:Verdict given=success", "Report=success", "Done=success"}
	if got := outcomes(parent, res); !reflect.DeepEqual(got, wantSteps) {
		t.Errorf("steps %v, want %v", got, wantSteps)
	}

	// Without the child the step fails; its on_completion still runs.
	x = &fakeExec{answers: map[string][]string{"Report": {"ok"}}}
	res, err = run(t, parent, x, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps[1].Outcome != OutcomeFailure || !strings.Contains(res.Steps[1].Error, "playbook "+child.ID+" is not available") {
		t.Errorf("call record %+v", res.Steps[1])
	}

	// A playbook that calls itself stops at the depth bound.
	self, err := Parse(readFile(t, filepath.Join("testdata", "playbook_action.json")))
	if err != nil {
		t.Fatal(err)
	}
	s := self.Workflow[call]
	s.PlaybookID, s.InArgs, s.OutArgs = self.ID, nil, nil
	self.Workflow[call] = s
	_, err = run(t, self, &fakeExec{}, RunOptions{Playbooks: map[string]*Playbook{self.ID: self}, MaxDepth: 3})
	if !errors.Is(err, ErrDepthLimit) {
		t.Errorf("Run = %v, want the depth limit", err)
	}
}

func TestRunVariablesOutArgs(t *testing.T) {
	p := fixture(t, "variables_out_args.json")
	x := &fakeExec{
		answers: map[string][]string{"Tell the owner": {"told"}},
		http:    func(HTTPRequest) (HTTPResult, error) { return HTTPResult{Status: 200, Body: []byte("alice")}, nil },
	}
	res, err := run(t, p, x, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := x.calls[0]
	if h.Target != "/api/hosts/srv-db-01/owner" || h.Headers["Authorization"][0] != "Bearer t0ken" {
		t.Errorf("request %+v: the step variable must override the playbook's", h)
	}
	if got := x.commands(); len(got) != 1 || got[0] != "Tell alice that ws-042 is being looked at (case CASE-1)" {
		t.Errorf("commands %q: out_args carry the owner; the local host ends with its step", got)
	}
	if res.Variables["__owner__"] != "alice" || res.Variables["__host__"] != "ws-042" {
		t.Errorf("variables %v", res.Variables)
	}
	if res.Steps[1].Outputs["__owner__"] != "alice" {
		t.Errorf("lookup record %+v", res.Steps[1])
	}

	// Outputs by name win over the body; an unvalidated playbook that
	// assigns a constant fails the step.
	q, err := Parse(readFile(t, filepath.Join("testdata", "variables_out_args.json")))
	if err != nil {
		t.Fatal(err)
	}
	lookup := stepByName(t, q, "Look up owner")
	s := q.Workflow[lookup]
	s.OutArgs = []string{"__owner__", "__case__"}
	q.Workflow[lookup] = s
	x = &fakeExec{
		answers: map[string][]string{"Tell the owner": {"told"}},
		http: func(HTTPRequest) (HTTPResult, error) {
			return HTTPResult{Status: 200, Body: []byte("ignored"), Outputs: map[string]string{"__owner__": "bob", "__case__": "CASE-2"}}, nil
		},
	}
	res, err = run(t, q, x, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps[1].Outcome != OutcomeFailure || !strings.Contains(res.Steps[1].Error, "variable is constant: __case__") {
		t.Errorf("record %+v, want the constant refused", res.Steps[1])
	}
	if res.Variables["__case__"] != "CASE-1" {
		t.Errorf("constant changed: %v", res.Variables)
	}
}

// TestRunInfinitePlaybook runs SOARCA's looping fixture, which Validate
// refuses, to show that the bound also stops a cycle of step pointers.
func TestRunInfinitePlaybook(t *testing.T) {
	rd := realData(t)
	p, err := Parse(readFile(t, filepath.Join(rd, "soarca_test_playbooks", "infinite_playbook.json")))
	if err != nil {
		t.Fatal(err)
	}
	x := &fakeExec{}
	res, err := run(t, p, x, RunOptions{})
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrIterationLimit) {
		t.Fatalf("Run = %v, want the iteration limit", err)
	}
	const loop = "action--6b23c237-ade8-4d00-9aa1-75999738d557"
	if le.StepID != loop || le.Max != DefaultMaxIterations {
		t.Errorf("limit %+v", le)
	}
	if len(x.calls) != 4+DefaultMaxIterations || res.Outcome != OutcomeAborted {
		t.Errorf("%d HTTP calls, outcome %s; want %d, aborted", len(x.calls), res.Outcome, 4+DefaultMaxIterations)
	}
	// SOARCA's commands have no HTTP version and unsubstituted names.
	if c := x.calls[0]; c.Method != "GET" || c.Target != "http://__imc_address__/by/__cve__" {
		t.Errorf("first call %+v", c)
	}
}

func TestRunRefusesBadInputs(t *testing.T) {
	p := fixture(t, "while_bounded.json")
	res, err := run(t, p, &fakeExec{}, RunOptions{Inputs: map[string]string{"__host__": "x"}})
	if err == nil || !strings.Contains(err.Error(), "not declared external") || res.Outcome != OutcomeAborted || len(res.Steps) != 0 {
		t.Errorf("Run = %+v, %v", res, err)
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
