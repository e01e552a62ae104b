package cacao

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Problem is one reason a playbook is invalid: where (a JSON pointer into the
// playbook, e.g. /workflow/action--123/commands/0) and why.
type Problem struct {
	Path   string
	Reason string
}

// String formats the problem as "path: reason".
func (p Problem) String() string {
	if p.Path == "" {
		return "(playbook): " + p.Reason
	}
	return p.Path + ": " + p.Reason
}

// ValidationError lists every problem found in a playbook, sorted by place.
type ValidationError struct {
	PlaybookID string
	Problems   []Problem
}

// Error lists the problems, one a line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	name := "the playbook"
	if e.PlaybookID != "" {
		name = "playbook " + e.PlaybookID
	}
	fmt.Fprintf(&b, "cacao: %s is invalid (%d %s):", name, len(e.Problems), plural(len(e.Problems), "problem", "problems"))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks a playbook against the CACAO v2 schema and then against the
// rules the schema cannot express (see [Schema.Validate]), and returns it
// decoded. It compiles the schema on every call; keep a [Schema] to validate
// many.
func Validate(data []byte) (*Playbook, error) {
	s, err := NewSchema()
	if err != nil {
		return nil, err
	}
	return s.Validate(data)
}

// Validate checks a playbook and returns it decoded. After the schema it
// checks: every step ID is an identifier of its step's type; workflow_start
// names a start step; workflow_exception and every step reference
// (on_completion, on_success, on_failure, next_steps, on_true, on_false,
// cases) name steps of the workflow; on_completion is not combined with
// on_success or on_failure; each step other than an end step names a next
// step; variable names have the __name__ form and every variable used is
// declared; out_args do not assign constants; delay and timeout are not
// negative; conditions parse (see [Condition]); http-api commands have a start
// line and manual commands have text; agents and targets are defined and their
// contact e-mail addresses are valid; an end step is reachable from the start
// and no reachable step is caught in a loop with no way to an end.
// The error is a *[ValidationError] listing every problem.
func (s *Schema) Validate(data []byte) (*Playbook, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Reason: "is not JSON: " + err.Error()}}}
	}
	id := ""
	if m, ok := doc.(map[string]any); ok {
		id, _ = m["id"].(string)
	}
	if probs := s.check(doc); len(probs) > 0 {
		return nil, &ValidationError{PlaybookID: id, Problems: probs}
	}
	p, err := Parse(data)
	if err != nil {
		return nil, &ValidationError{PlaybookID: id, Problems: []Problem{{Reason: err.Error()}}}
	}
	probs, warns := semanticProblems(p)
	if len(probs) > 0 {
		return nil, &ValidationError{PlaybookID: p.ID, Problems: probs}
	}
	p.Warnings = warns
	return p, nil
}

// stepIDForm is an identifier split into its type and UUID.
var stepIDForm = regexp.MustCompile(`^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

func semanticProblems(p *Playbook) (problems, warnings []Problem) {
	v := &checker{p: p}
	v.start()
	for _, id := range p.StepIDs() {
		v.step(id, p.Workflow[id])
	}
	v.variables("/playbook_variables", p.PlaybookVariables)
	v.definitions("/agent_definitions", p.AgentDefinitions)
	v.definitions("/target_definitions", p.TargetDefinitions)
	v.reachability()
	sort.SliceStable(v.probs, func(i, j int) bool { return v.probs[i].Path < v.probs[j].Path })
	sort.SliceStable(v.warns, func(i, j int) bool { return v.warns[i].Path < v.warns[j].Path })
	return dedupe(v.probs), dedupe(v.warns)
}

type checker struct {
	p     *Playbook
	probs []Problem
	// warns are departures from the specification that SOARCA, the
	// reference runner, accepts and runs (its own valid fixtures make
	// them), so socflow imports them too and says so.
	warns []Problem
}

func (v *checker) warn(path, format string, args ...any) {
	v.warns = append(v.warns, Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (v *checker) add(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (v *checker) start() {
	p := v.p
	switch s, ok := p.Workflow[p.WorkflowStart]; {
	case !ok:
		v.add("/workflow_start", "step %s does not exist in the workflow", p.WorkflowStart)
	case s.Type != StepStart:
		v.warn("/workflow_start", "names step %s, %s step; the specification wants a start step (run from there, as SOARCA does)", p.WorkflowStart, article(string(s.Type)))
	}
	if p.WorkflowException != "" {
		if _, ok := p.Workflow[p.WorkflowException]; !ok {
			v.warn("/workflow_exception", "step %s does not exist in the workflow; a failure ends the run instead", p.WorkflowException)
		}
	}
}

func (v *checker) step(id string, s Step) {
	at := "/workflow/" + escapePointer(id)
	if m := stepIDForm.FindStringSubmatch(id); m == nil {
		v.add(at, "%q is not a CACAO identifier: it must be the step type, two dashes and an RFC 4122 UUID", id)
	} else if m[1] != string(s.Type) {
		v.add(at, "the step's type is %q, so its ID must start with %q", s.Type, string(s.Type)+"--")
	}
	for _, r := range s.references() {
		if _, ok := v.p.Workflow[r.id]; !ok {
			v.add(at+"/"+r.prop, "step %s does not exist in the workflow", r.id)
		}
	}
	if s.OnCompletion != "" && (s.OnSuccess != "" || s.OnFailure != "") {
		v.add(at, "on_completion must not be used together with on_success or on_failure")
	}
	if s.Type != StepEnd && s.OnCompletion == "" && s.OnSuccess == "" {
		if s.Type == StepParallel && len(s.NextSteps) > 0 {
			v.warn(at, "a parallel step should name the step after its branches (on_completion); the run ends when they do")
		} else {
			v.add(at, "%s step must name its next step: add on_completion or on_success", capitalize(article(string(s.Type))))
		}
	}
	if s.Delay < 0 {
		v.add(at+"/delay", "is %d ms; a delay must not be negative", s.Delay)
	}
	if s.Timeout < 0 {
		v.add(at+"/timeout", "is %d ms; a timeout must not be negative", s.Timeout)
	}
	v.variables(at+"/step_variables", s.StepVariables)
	env := Env{Global: v.p.PlaybookVariables, Local: s.StepVariables}
	declared := func(name string) bool { _, ok := env.Lookup(name); return ok }
	for _, arg := range []struct {
		prop  string
		names []string
	}{{"in_args", s.InArgs}, {"out_args", s.OutArgs}} {
		for i, name := range arg.names {
			p := fmt.Sprintf("%s/%s/%d", at, arg.prop, i)
			switch {
			case !ValidVariableName(name):
				v.add(p, "%q is not a variable name: it must look like __name__", name)
			case !declared(name):
				v.add(p, "variable %s is declared in neither playbook_variables nor this step's step_variables", name)
			case arg.prop == "out_args" && v.constant(s, name):
				v.add(p, "variable %s is a constant, so a step cannot assign it", name)
			}
		}
	}
	switch s.Type {
	case StepIfCondition, StepWhileCondition:
		c, err := ParseCondition(s.Condition)
		if err != nil {
			v.add(at+"/condition", "cannot be read: %s", strings.TrimPrefix(err.Error(), "cacao: "))
			break
		}
		for _, name := range c.Variables() {
			if !declared(name) {
				v.add(at+"/condition", "uses variable %s, which is declared in neither playbook_variables nor this step's step_variables", name)
			}
		}
	case StepSwitchCondition:
		name, ok := switchVariable(s.Switch)
		switch {
		case !ok:
			v.add(at+"/switch", "%q is not a variable reference: write __name__:value", s.Switch)
		case !declared(name):
			v.add(at+"/switch", "uses variable %s, which is declared in neither playbook_variables nor this step's step_variables", name)
		}
	case StepAction:
		v.commands(at, s, declared)
		if s.Agent != "" {
			if _, ok := v.p.AgentDefinitions[s.Agent]; !ok {
				v.add(at+"/agent", "agent %s is not in agent_definitions", s.Agent)
			}
		}
		for i, t := range s.Targets {
			if _, ok := v.p.TargetDefinitions[t]; !ok {
				v.add(fmt.Sprintf("%s/targets/%d", at, i), "target %s is not in target_definitions", t)
			}
		}
	}
}

func (v *checker) constant(s Step, name string) bool {
	if sv, ok := s.StepVariables[name]; ok {
		return sv.Constant
	}
	return v.p.PlaybookVariables[name].Constant
}

func (v *checker) commands(at string, s Step, declared func(string) bool) {
	for i, c := range s.Commands {
		cat := fmt.Sprintf("%s/commands/%d", at, i)
		var texts []string
		switch c.Type {
		case CommandManual:
			text, err := ManualText(c)
			switch {
			case err != nil:
				v.add(cat+"/command_b64", "is not base64: %v", err)
			case text == "":
				v.add(cat, "a manual command needs command or command_b64: the text the analyst is asked to act on")
			}
			texts = append(texts, text)
		case CommandHTTPAPI:
			if _, err := ParseHTTPCommand(c.Command); err != nil {
				v.add(cat+"/command", "%s", strings.TrimPrefix(err.Error(), "cacao: "))
			}
			texts = append(texts, c.Command, c.Content)
			for _, k := range sortedKeys(c.Headers) {
				texts = append(texts, c.Headers[k]...)
			}
		default:
			texts = append(texts, c.Command)
		}
		for _, f := range []struct{ prop, val string }{{"command_b64", c.CommandB64}, {"content_b64", c.ContentB64}} {
			if f.val == "" || (f.prop == "command_b64" && c.Type == CommandManual) {
				continue
			}
			if _, err := base64.StdEncoding.DecodeString(f.val); err != nil {
				v.add(cat+"/"+f.prop, "is not base64: %v", err)
			}
		}
		for _, t := range texts {
			for _, name := range References(t) {
				if !declared(name) {
					v.add(cat, "uses variable %s, which is declared in neither playbook_variables nor this step's step_variables", name)
				}
			}
		}
	}
}

func (v *checker) variables(at string, vs Variables) {
	for _, name := range vs.Names() {
		if !ValidVariableName(name) {
			v.add(at+"/"+escapePointer(name), "%q is not a variable name: it must be __name__, starting with a letter, in at most 250 characters", name)
		}
	}
}

// definitions checks agent and target contacts: SOARCA refuses a playbook
// whose contact address is not a plain e-mail address, since it may be mailed.
func (v *checker) definitions(at string, defs map[string]json.RawMessage) {
	for _, id := range sortedKeys(defs) {
		var d struct {
			Contact struct {
				Email map[string]string `json:"email"`
			} `json:"contact"`
		}
		if err := json.Unmarshal(defs[id], &d); err != nil {
			continue // the schema has already said what is wrong with its shape
		}
		for _, k := range sortedKeys(d.Contact.Email) {
			if e := d.Contact.Email[k]; !validEmail(e) {
				v.add(at+"/"+escapePointer(id)+"/contact/email/"+escapePointer(k), "%q is not a valid email address", e)
			}
		}
	}
}

// reachability checks that the run can end: an end step is reachable from the
// start, and no step the run can reach is caught in a loop that never gets to
// an end. Loops are allowed as long as a way out exists (a retry through
// on_failure, for instance); a while-condition is not such a loop, because its
// on_true branch returns to the while step by ending.
func (v *checker) reachability() {
	wf := v.p.Workflow
	if _, ok := wf[v.p.WorkflowStart]; !ok {
		return
	}
	next := func(id string) []string {
		var out []string
		for _, r := range wf[id].references() {
			if _, ok := wf[r.id]; ok {
				out = append(out, r.id)
			}
		}
		return out
	}
	reached := map[string]bool{}
	var order []string
	var visit func(string)
	visit = func(id string) {
		if reached[id] {
			return
		}
		reached[id] = true
		order = append(order, id)
		for _, n := range next(id) {
			visit(n)
		}
	}
	visit(v.p.WorkflowStart)
	if v.p.WorkflowException != "" {
		if _, ok := wf[v.p.WorkflowException]; ok {
			visit(v.p.WorkflowException)
		}
	}

	// canEnd: a fixed point over the reached steps, in sorted order so that
	// the problems come out the same every time.
	ids := sortedKeys(reached)
	canEnd := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, id := range ids {
			if canEnd[id] {
				continue
			}
			ok := wf[id].Type == StepEnd
			for _, n := range next(id) {
				ok = ok || canEnd[n]
			}
			if ok {
				canEnd[id], changed = true, true
			}
		}
	}
	trapped := func(id string) []string {
		var out []string
		for _, n := range next(id) {
			if !canEnd[n] {
				out = append(out, n)
			}
		}
		return out
	}
	var stuck []string
	for _, id := range order {
		if !canEnd[id] {
			stuck = append(stuck, id)
		}
	}
	switch {
	case len(stuck) == 0:
	case !canEnd[v.p.WorkflowStart]:
		v.add("/workflow_start", "no end step can be reached from step %s%s", v.p.WorkflowStart, loopNote(stuck, trapped))
	default:
		sort.Strings(stuck)
		v.add("/workflow", "no end step can be reached from %s %s%s", plural(len(stuck), "step", "steps"), strings.Join(stuck, ", "), loopNote(stuck, trapped))
	}
}

// loopNote names a cycle among the given steps, if there is one.
func loopNote(order []string, next func(string) []string) string {
	state := map[string]int{} // 0 new, 1 on the path, 2 done
	var path []string
	var cycle []string
	var dfs func(string) bool
	dfs = func(id string) bool {
		state[id] = 1
		path = append(path, id)
		for _, n := range next(id) {
			if state[n] == 1 {
				for i, p := range path {
					if p == n {
						cycle = append(append([]string{}, path[i:]...), n)
					}
				}
				return true
			}
			if state[n] == 0 && dfs(n) {
				return true
			}
		}
		path = path[:len(path)-1]
		state[id] = 2
		return false
	}
	for _, id := range order {
		if state[id] == 0 && dfs(id) {
			return ": the workflow loops " + strings.Join(cycle, " → ")
		}
	}
	return ""
}

// switchVariable reads a switch property: a variable reference, with or
// without the ":value" suffix (the spec's text says "a variable").
func switchVariable(s string) (string, bool) {
	name := strings.TrimSuffix(strings.TrimSpace(s), ":value")
	return name, ValidVariableName(name)
}

func dedupe(ps []Problem) []Problem {
	out := ps[:0]
	seen := map[Problem]bool{}
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
