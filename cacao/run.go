package cacao

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// ErrIterationLimit is returned (wrapped in a *[LimitError]) when a while loop
// or a cycle of step pointers runs more often than RunOptions.MaxIterations.
var ErrIterationLimit = errors.New("cacao: iteration limit reached")

// ErrDepthLimit is returned (wrapped in a *[LimitError]) when playbook-action
// steps nest deeper than RunOptions.MaxDepth.
var ErrDepthLimit = errors.New("cacao: playbook-action depth limit reached")

// ErrTimeout is what a *[TimeoutError] matches; the spec calls it ACTION_TIMEOUT.
var ErrTimeout = errors.New("cacao: step timed out")

// Default limits of [RunOptions].
const (
	DefaultMaxIterations = 100
	DefaultMaxDepth      = 8
)

// RunOptions configures [Run]; the zero value works.
type RunOptions struct {
	// Inputs set the playbook's external variables by name.
	Inputs map[string]string
	// Playbooks are the playbooks playbook-action steps may call, by ID.
	Playbooks map[string]*Playbook
	// MaxIterations bounds each while loop, and how often one step may be
	// reached again through its own pointers within a branch. Zero means
	// DefaultMaxIterations.
	MaxIterations int
	// MaxDepth bounds the nesting of playbook-action steps. Zero means
	// DefaultMaxDepth.
	MaxDepth int
	// DefaultTimeout applies to action steps that set no timeout, as the
	// spec suggests a runner has one. Zero means none: a manual step may
	// wait for its answer for as long as the workflow lives.
	DefaultTimeout time.Duration
}

// Outcome is how a step or a run ended.
type Outcome string

// Outcomes of steps and runs.
const (
	OutcomeRunning   Outcome = "running" // still running, or interrupted by an abort
	OutcomeSuccess   Outcome = "success"
	OutcomeFailure   Outcome = "failure"
	OutcomeCompleted Outcome = "completed" // the run reached an end step
	OutcomeFailed    Outcome = "failed"    // a failure left the playbook
	OutcomeAborted   Outcome = "aborted"   // a limit was hit or the run was cancelled
)

// Result is what a run did.
type Result struct {
	PlaybookID string
	Outcome    Outcome
	// Steps lists the steps in the order they started, across branches
	// and called playbooks.
	Steps []StepRecord
	// Variables are the playbook variables' values when the run ended.
	Variables map[string]string
}

// StepRecord is one step's occurrence.
type StepRecord struct {
	Key        string // as in ManualRequest.Key
	PlaybookID string
	StepID     string
	Type       StepType
	Name       string
	Outcome    Outcome
	Error      string            `json:",omitempty"`
	Branch     string            `json:",omitempty"` // the branch a condition took, or a loop's iterations
	Outputs    map[string]string `json:",omitempty"` // variables the step assigned
}

// StepError is a step's failure. It takes the step's on_failure; without one
// it fails the branch the step is in, and with it the step that started the
// branch, up to the playbook.
type StepError struct {
	PlaybookID string
	StepID     string
	Err        error
}

// Error names the step.
func (e *StepError) Error() string {
	return fmt.Sprintf("step %s: %v", e.StepID, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// PlaybookError is returned by [Run] when a failure left the playbook (after
// workflow_exception, if the playbook has one, has run).
type PlaybookError struct {
	PlaybookID string
	Err        error
}

// Error names the playbook.
func (e *PlaybookError) Error() string {
	return fmt.Sprintf("cacao: playbook %s failed: %v", e.PlaybookID, e.Err)
}

// Unwrap returns the failure.
func (e *PlaybookError) Unwrap() error { return e.Err }

// TimeoutError is a step that ran past its timeout.
type TimeoutError struct {
	StepID  string
	Timeout time.Duration
}

// Error says which step and after how long.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("ACTION_TIMEOUT: step %s did not finish within %s", e.StepID, e.Timeout)
}

// Is matches [ErrTimeout].
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// LimitError stops a run: it is not a step failure, so no on_failure or
// workflow_exception catches it.
type LimitError struct {
	Limit  error // ErrIterationLimit or ErrDepthLimit
	StepID string
	Max    int
	What   string
}

// Error says which limit, where.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: step %s %s (limit %d)", e.Limit, e.StepID, e.What, e.Max)
}

// Unwrap returns the limit's sentinel.
func (e *LimitError) Unwrap() error { return e.Limit }

// Run interprets a playbook inside a Temporal workflow. It is deterministic:
// it reads no clock, iterates no map whose order matters, waits only through
// workflow.Sleep, timers and the Executor, and starts parallel branches with
// workflow.Go. Validate the playbook first; Run trusts its structure.
//
// Semantics, following CACAO v2 section 4: a step's delay is waited before it
// starts, and its timeout counts from then; a step that times out has failed.
// on_completion is taken whatever the outcome; otherwise on_success on
// success and on_failure on failure. A failure with no on_failure fails the
// branch; a failed branch fails the step that started it (parallel, if,
// while, switch), and a failure that leaves the playbook runs
// workflow_exception and ends the run with a *[PlaybookError]. Branches
// (next_steps, on_true, on_false, cases) run until they reach an end step,
// then control returns to the step that started them. A parallel step waits
// for all its branches. A while step re-evaluates its condition after each
// run of on_true. A switch takes the case equal to its variable's value, else
// "default", else no branch. Limits end the run with a *[LimitError].
//
// The Result is filled in whatever the error.
func Run(ctx workflow.Context, p *Playbook, x Executor, opts RunOptions) (Result, error) {
	if opts.MaxIterations <= 0 {
		opts.MaxIterations = DefaultMaxIterations
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	r := &runner{x: x, opts: opts, res: &Result{PlaybookID: p.ID}}
	globals, err := NewGlobals(p, opts.Inputs)
	if err != nil {
		r.res.Outcome = OutcomeAborted
		return *r.res, err
	}
	f := &frame{p: p, globals: globals}
	err = r.playbook(ctx, f, "")
	r.res.Variables = globals.Values()
	var pe *PlaybookError
	switch {
	case err == nil:
		r.res.Outcome = OutcomeCompleted
	case errors.As(err, &pe):
		r.res.Outcome = OutcomeFailed
	default:
		r.res.Outcome = OutcomeAborted
	}
	x.Note(ctx, fmt.Sprintf("playbook %s %s", p.ID, r.res.Outcome))
	return *r.res, err
}

type runner struct {
	x    Executor
	opts RunOptions
	res  *Result
}

// frame is one playbook's execution: the top one or one a playbook-action
// called.
type frame struct {
	p       *Playbook
	globals Variables
	depth   int
}

func (r *runner) playbook(ctx workflow.Context, f *frame, prefix string) error {
	err := r.branch(ctx, f, f.p.WorkflowStart, prefix)
	if err == nil || r.aborted(ctx, err) {
		return err
	}
	if exc := f.p.WorkflowException; exc != "" && f.p.Workflow[exc].Type != "" {
		r.x.Note(ctx, fmt.Sprintf("playbook %s: running workflow_exception %s", f.p.ID, exc))
		if xerr := r.branch(ctx, f, exc, prefix+"exception/"); xerr != nil {
			if r.aborted(ctx, xerr) {
				return xerr
			}
			err = errors.Join(err, fmt.Errorf("workflow_exception %s: %w", exc, xerr))
		}
	}
	return &PlaybookError{PlaybookID: f.p.ID, Err: err}
}

// aborted reports whether err stops the run rather than failing a step.
func (r *runner) aborted(ctx workflow.Context, err error) bool {
	var le *LimitError
	return ctx.Err() != nil || errors.As(err, &le)
}

// fail makes err a failure of step id, unless it aborts the run.
func (r *runner) fail(ctx workflow.Context, f *frame, id string, err error) error {
	if err == nil || r.aborted(ctx, err) {
		return err
	}
	return &StepError{PlaybookID: f.p.ID, StepID: id, Err: err}
}

// branch runs steps from id until an end step. It returns nil at the end, a
// *StepError for a failure no step caught, or an abort.
func (r *runner) branch(ctx workflow.Context, f *frame, id, prefix string) error {
	visits := map[string]int{}
	for {
		s, ok := f.p.Workflow[id]
		if !ok {
			return &StepError{PlaybookID: f.p.ID, StepID: id, Err: errors.New("the step does not exist in the workflow")}
		}
		visits[id]++
		if visits[id] > r.opts.MaxIterations {
			return &LimitError{Limit: ErrIterationLimit, StepID: id, Max: r.opts.MaxIterations,
				What: fmt.Sprintf("was reached %d times in one branch", visits[id])}
		}
		key := fmt.Sprintf("%s%s#%d", prefix, id, visits[id])
		err := r.step(ctx, f, id, s, key)
		if s.Type == StepEnd {
			return err
		}
		if r.aborted(ctx, err) {
			if err == nil {
				err = ctx.Err()
			}
			return err
		}
		next := s.OnCompletion
		switch {
		case next != "":
		case err == nil:
			next = s.OnSuccess
		default:
			next = s.OnFailure
		}
		if next == "" {
			// A step with no pointer to follow ends the branch (Validate
			// refuses a non-end step without a next step).
			return err
		}
		if err != nil {
			r.x.Note(ctx, fmt.Sprintf("step %s failed; continuing with %s", id, next))
		}
		id = next
	}
}

// step runs one step and records it.
func (r *runner) step(ctx workflow.Context, f *frame, id string, s Step, key string) error {
	idx := len(r.res.Steps)
	r.res.Steps = append(r.res.Steps, StepRecord{
		Key: key, PlaybookID: f.p.ID, StepID: id, Type: s.Type, Name: s.Name, Outcome: OutcomeRunning,
	})
	r.x.Note(ctx, fmt.Sprintf("step %s (%s) started", id, describe(s)))
	if s.Delay > 0 {
		if err := workflow.Sleep(ctx, time.Duration(s.Delay)*time.Millisecond); err != nil {
			return err
		}
	}
	timeout := time.Duration(s.Timeout) * time.Millisecond
	if timeout == 0 && s.Type == StepAction {
		timeout = r.opts.DefaultTimeout
	}
	var branch string
	var outputs map[string]string
	err := withTimeout(ctx, id, timeout, func(ctx workflow.Context) error {
		var err error
		switch s.Type {
		case StepStart, StepEnd:
		case StepAction:
			outputs, err = r.action(ctx, f, id, s, key)
		case StepPlaybookAction:
			outputs, err = r.playbookAction(ctx, f, id, s, key)
		case StepParallel:
			err = r.parallel(ctx, f, id, s, key)
		case StepIfCondition:
			branch, err = r.ifCondition(ctx, f, id, s, key)
		case StepWhileCondition:
			branch, err = r.while(ctx, f, id, s, key)
		case StepSwitchCondition:
			branch, err = r.switchCase(ctx, f, id, s, key)
		default:
			err = fmt.Errorf("step type %q is not a CACAO v2 step type", s.Type)
		}
		return err
	})
	err = r.fail(ctx, f, id, err)

	rec := &r.res.Steps[idx]
	rec.Branch, rec.Outputs = branch, outputs
	switch {
	case err == nil:
		rec.Outcome = OutcomeSuccess
		r.x.Note(ctx, fmt.Sprintf("step %s ended: success%s", id, suffix(branch)))
	case r.aborted(ctx, err):
		rec.Error = err.Error()
		r.x.Note(ctx, fmt.Sprintf("step %s stopped: %v", id, err))
	default:
		rec.Outcome = OutcomeFailure
		rec.Error = err.Error()
		r.x.Note(ctx, fmt.Sprintf("step %s ended: failure: %v", id, errors.Unwrap(err)))
	}
	return err
}

func describe(s Step) string {
	if s.Name != "" {
		return fmt.Sprintf("%s %q", s.Type, s.Name)
	}
	return string(s.Type)
}

func suffix(branch string) string {
	if branch == "" {
		return ""
	}
	return ", " + branch
}

// withTimeout runs fn, failing with a *TimeoutError when it takes longer
// than d. On timeout fn's context is cancelled and withTimeout waits for fn
// to return, so that nothing it does lands after the step has ended.
func withTimeout(ctx workflow.Context, id string, d time.Duration, fn func(workflow.Context) error) error {
	if d <= 0 {
		return fn(ctx)
	}
	bodyCtx, cancelBody := workflow.WithCancel(ctx)
	defer cancelBody()
	done, set := workflow.NewFuture(ctx)
	workflow.Go(bodyCtx, func(ctx workflow.Context) {
		set.Set(nil, fn(ctx))
	})
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timedOut := false
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(done, func(workflow.Future) {})
	sel.AddFuture(workflow.NewTimer(timerCtx, d), func(t workflow.Future) {
		timedOut = t.Get(ctx, nil) == nil
	})
	sel.Select(ctx)
	if !done.IsReady() {
		cancelBody()
	}
	err := done.Get(ctx, nil)
	if timedOut && ctx.Err() == nil {
		return &TimeoutError{StepID: id, Timeout: d}
	}
	return err
}

func (r *runner) action(ctx workflow.Context, f *frame, id string, s Step, key string) (map[string]string, error) {
	env := Env{Global: f.globals, Local: CloneVariables(s.StepVariables)}
	outputs := map[string]string{}
	var last string
	for i, c := range s.Commands {
		ckey := fmt.Sprintf("%s/%d", key, i)
		switch c.Type {
		case CommandManual:
			text, err := ManualText(c)
			if err != nil {
				return nil, err
			}
			ans, err := r.x.Manual(ctx, ManualRequest{
				Key: ckey, PlaybookID: f.p.ID, StepID: id, StepName: s.Name,
				Command: Substitute(text, env.Lookup), Description: c.Description, CommandIndex: i,
				Agent: s.Agent, Targets: s.Targets, OutArgs: s.OutArgs,
			})
			if err != nil {
				return nil, fmt.Errorf("manual command %d: %w", i, err)
			}
			last = ans.Text
			for k, v := range ans.Outputs {
				outputs[k] = v
			}
		case CommandHTTPAPI:
			hc, headers, body, err := ResolveHTTP(c, env.Lookup)
			if err != nil {
				return nil, err
			}
			res, err := r.x.HTTP(ctx, HTTPRequest{
				Key: ckey, PlaybookID: f.p.ID, StepID: id, StepName: s.Name, CommandIndex: i,
				Method: hc.Method, Target: hc.Target, Version: hc.Version, Headers: headers, Body: body,
				Agent: s.Agent, Targets: s.Targets,
			})
			if err != nil {
				return nil, fmt.Errorf("http-api command %d (%s %s): %w", i, hc.Method, hc.Target, err)
			}
			if res.Status >= 400 {
				return nil, fmt.Errorf("http-api command %d (%s %s): status %d", i, hc.Method, hc.Target, res.Status)
			}
			last = string(res.Body)
			for k, v := range res.Outputs {
				outputs[k] = v
			}
		default:
			return nil, fmt.Errorf("command %d: command type %q is not supported (socflow runs manual and http-api)", i, c.Type)
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return assignOutArgs(env, s.OutArgs, outputs, last)
}

// assignOutArgs assigns a step's out_args: each from the outputs of that name
// or, for a step with exactly one out_arg that no output names, from the
// last command's result. CACAO leaves open how a command returns values; this
// is the rule socflow's executors follow.
func assignOutArgs(env Env, outArgs []string, outputs map[string]string, last string) (map[string]string, error) {
	assigned := map[string]string{}
	for _, name := range outArgs {
		val, ok := outputs[name]
		if !ok && len(outArgs) == 1 {
			val, ok = last, true
		}
		if !ok {
			continue
		}
		if err := env.Assign(name, val); err != nil {
			return assigned, fmt.Errorf("out_args: %w", err)
		}
		assigned[name] = val
	}
	if len(assigned) == 0 {
		return nil, nil
	}
	return assigned, nil
}

func (r *runner) playbookAction(ctx workflow.Context, f *frame, id string, s Step, key string) (map[string]string, error) {
	if f.depth+1 > r.opts.MaxDepth {
		return nil, &LimitError{Limit: ErrDepthLimit, StepID: id, Max: r.opts.MaxDepth,
			What: fmt.Sprintf("would call playbook %s at depth %d", s.PlaybookID, f.depth+1)}
	}
	child, ok := r.opts.Playbooks[s.PlaybookID]
	if !ok || child == nil {
		return nil, fmt.Errorf("playbook %s is not available to this run", s.PlaybookID)
	}
	env := Env{Global: f.globals, Local: CloneVariables(s.StepVariables)}
	inputs := map[string]string{}
	for _, name := range s.InArgs {
		v, ok := env.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("in_args: %w: %s", ErrUndeclared, name)
		}
		inputs[name] = v
	}
	globals, err := NewGlobals(child, inputs)
	if err != nil {
		return nil, err
	}
	r.x.Note(ctx, fmt.Sprintf("step %s calls playbook %s", id, child.ID))
	if err := r.playbook(ctx, &frame{p: child, globals: globals, depth: f.depth + 1}, key+">"); err != nil {
		return nil, err
	}
	outputs := map[string]string{}
	for _, name := range s.OutArgs {
		if v, ok := (Env{Global: globals}).Lookup(name); ok {
			outputs[name] = v
		}
	}
	return assignOutArgs(env, s.OutArgs, outputs, "")
}

func (r *runner) parallel(ctx workflow.Context, f *frame, id string, s Step, key string) error {
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(s.NextSteps))
	wg := workflow.NewWaitGroup(ctx)
	for i, next := range s.NextSteps {
		wg.Add(1)
		workflow.Go(bctx, func(ctx workflow.Context) {
			defer wg.Done()
			errs[i] = r.branch(ctx, f, next, fmt.Sprintf("%s[%d]/", key, i))
			if errs[i] != nil && r.aborted(ctx, errs[i]) {
				cancel() // a limit in one branch stops its siblings
			}
		})
	}
	wg.Wait(ctx)
	var failed []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if r.aborted(bctx, err) && ctx.Err() == nil {
			var le *LimitError
			if errors.As(err, &le) {
				return err
			}
			continue // cancelled because a sibling hit a limit
		}
		failed = append(failed, fmt.Errorf("branch %d (%s): %w", i, s.NextSteps[i], err))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(failed...)
}

func (r *runner) condition(f *frame, s Step) (*Condition, Env, error) {
	c, err := ParseCondition(s.Condition)
	return c, Env{Global: f.globals, Local: CloneVariables(s.StepVariables)}, err
}

func (r *runner) ifCondition(ctx workflow.Context, f *frame, id string, s Step, key string) (string, error) {
	c, env, err := r.condition(f, s)
	if err != nil {
		return "", err
	}
	ok, err := c.Eval(env.Lookup)
	if err != nil {
		return "", err
	}
	next, branch := s.OnTrue, "on_true"
	if !ok {
		next, branch = s.OnFalse, "on_false"
	}
	r.x.Note(ctx, fmt.Sprintf("step %s: condition %s is %t, taking %s", id, s.Condition, ok, branch))
	if next == "" {
		return branch + " (none)", nil
	}
	return branch, r.branch(ctx, f, next, key+"/"+branch+"/")
}

func (r *runner) while(ctx workflow.Context, f *frame, id string, s Step, key string) (string, error) {
	c, env, err := r.condition(f, s)
	if err != nil {
		return "", err
	}
	for n := 0; ; n++ {
		ok, err := c.Eval(env.Lookup)
		if err != nil {
			return fmt.Sprintf("%d iterations", n), err
		}
		if !ok {
			return fmt.Sprintf("%d iterations", n), nil
		}
		if n >= r.opts.MaxIterations {
			return fmt.Sprintf("%d iterations", n), &LimitError{Limit: ErrIterationLimit, StepID: id, Max: r.opts.MaxIterations,
				What: fmt.Sprintf("looped %d times and its condition %s is still true", n, s.Condition)}
		}
		if err := r.branch(ctx, f, s.OnTrue, fmt.Sprintf("%s/%d/", key, n+1)); err != nil {
			return fmt.Sprintf("%d iterations", n+1), err
		}
	}
}

func (r *runner) switchCase(ctx workflow.Context, f *frame, id string, s Step, key string) (string, error) {
	name, ok := switchVariable(s.Switch)
	if !ok {
		return "", fmt.Errorf("switch %q is not a variable reference", s.Switch)
	}
	env := Env{Global: f.globals, Local: CloneVariables(s.StepVariables)}
	val, ok := env.Lookup(name)
	if !ok {
		return "", fmt.Errorf("switch: %w: %s", ErrUndeclared, name)
	}
	caseKey := val
	next, ok := s.Cases[val]
	if !ok {
		caseKey = DefaultCase
		next, ok = s.Cases[DefaultCase]
	}
	if !ok {
		r.x.Note(ctx, fmt.Sprintf("step %s: %s is %q, no case matches", id, name, val))
		return "no case", nil
	}
	branch := "case " + caseKey
	r.x.Note(ctx, fmt.Sprintf("step %s: %s is %q, taking %s", id, name, val, branch))
	return branch, r.branch(ctx, f, next, key+"/case/"+strings.ReplaceAll(caseKey, "/", "_")+"/")
}
