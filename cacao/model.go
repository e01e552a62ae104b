package cacao

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// SpecVersion is the only spec_version this package reads.
const SpecVersion = "cacao-2.0"

// StepType is the type of a workflow step (CACAO v2 section 4, workflow-step-type-enum).
type StepType string

// The workflow step types of CACAO v2.
const (
	StepStart           StepType = "start"
	StepEnd             StepType = "end"
	StepAction          StepType = "action"
	StepPlaybookAction  StepType = "playbook-action"
	StepParallel        StepType = "parallel"
	StepIfCondition     StepType = "if-condition"
	StepWhileCondition  StepType = "while-condition"
	StepSwitchCondition StepType = "switch-condition"
)

// The command types socflow can run; every other type is refused by [Supported].
const (
	CommandManual  = "manual"
	CommandHTTPAPI = "http-api"
)

// DefaultCase is the cases key a switch-condition falls back to when no case matches.
const DefaultCase = "default"

// Playbook is the part of a CACAO v2 playbook a runner needs. Definitions the
// runner does not interpret (agents, targets, authentication information) stay
// raw JSON so that nothing in them is lost or reinterpreted; [Playbook.AgentTarget]
// decodes the few fields an executor may want.
type Playbook struct {
	Type              string          `json:"type"`
	SpecVersion       string          `json:"spec_version"`
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	Description       string          `json:"description,omitempty"`
	PlaybookTypes     []string        `json:"playbook_types,omitempty"`
	CreatedBy         string          `json:"created_by"`
	Created           Timestamp       `json:"created"`
	Modified          Timestamp       `json:"modified"`
	PlaybookVariables Variables       `json:"playbook_variables,omitempty"`
	WorkflowStart     string          `json:"workflow_start"`
	WorkflowException string          `json:"workflow_exception,omitempty"`
	Workflow          map[string]Step `json:"workflow"`

	AgentDefinitions              map[string]json.RawMessage `json:"agent_definitions,omitempty"`
	TargetDefinitions             map[string]json.RawMessage `json:"target_definitions,omitempty"`
	AuthenticationInfoDefinitions map[string]json.RawMessage `json:"authentication_info_definitions,omitempty"`
	// Warnings are departures from the specification Validate accepted
	// (a workflow_start that is not a start step, a missing
	// workflow_exception), for the importer to show.
	Warnings []Problem `json:"-"`
}

// Step is one workflow step. CACAO defines a type per step kind with common
// properties; one struct with every field keeps decoding simple, and
// [Validate] checks that each kind carries what it needs.
type Step struct {
	Type          StepType  `json:"type"`
	Name          string    `json:"name,omitempty"`
	Description   string    `json:"description,omitempty"`
	Delay         int64     `json:"delay,omitempty"`   // milliseconds to wait before the step starts
	Timeout       int64     `json:"timeout,omitempty"` // milliseconds after which the step has failed
	StepVariables Variables `json:"step_variables,omitempty"`
	OnCompletion  string    `json:"on_completion,omitempty"`
	OnSuccess     string    `json:"on_success,omitempty"`
	OnFailure     string    `json:"on_failure,omitempty"`

	// action
	Commands []Command `json:"commands,omitempty"`
	Agent    string    `json:"agent,omitempty"`
	Targets  []string  `json:"targets,omitempty"`
	InArgs   []string  `json:"in_args,omitempty"`
	OutArgs  []string  `json:"out_args,omitempty"`

	// playbook-action (also uses InArgs and OutArgs)
	PlaybookID      string `json:"playbook_id,omitempty"`
	PlaybookVersion string `json:"playbook_version,omitempty"`

	// parallel
	NextSteps []string `json:"next_steps,omitempty"`

	// if-condition and while-condition
	Condition string `json:"condition,omitempty"`
	OnTrue    string `json:"on_true,omitempty"`
	OnFalse   string `json:"on_false,omitempty"`

	// switch-condition
	Switch string            `json:"switch,omitempty"`
	Cases  map[string]string `json:"cases,omitempty"`
}

// Command is one command of an action step (CACAO v2 section 5).
type Command struct {
	Type        string              `json:"type"`
	Description string              `json:"description,omitempty"`
	Command     string              `json:"command,omitempty"`
	CommandB64  string              `json:"command_b64,omitempty"`
	Headers     map[string][]string `json:"headers,omitempty"` // http-api
	Content     string              `json:"content,omitempty"` // http-api
	ContentB64  string              `json:"content_b64,omitempty"`
}

// Variable is a CACAO variable (section 10.18). Value is nil for JSON null,
// which the spec distinguishes from the empty string: null means unknown.
type Variable struct {
	Type        string  `json:"type"`
	Description string  `json:"description,omitempty"`
	Value       *string `json:"value,omitempty"`
	Constant    bool    `json:"constant,omitempty"`
	External    bool    `json:"external,omitempty"`
}

// Variables maps variable names (with their __ prefix and suffix) to variables.
type Variables map[string]Variable

// Names returns the variable names in sorted order, for deterministic iteration.
func (v Variables) Names() []string {
	return sortedKeys(v)
}

// Timestamp is a CACAO timestamp: RFC 3339 in UTC. It is written to the
// millisecond, as the spec asks of created and modified.
type Timestamp struct {
	time.Time
}

const timestampLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON writes the time in UTC to the millisecond.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(timestampLayout))
}

// UnmarshalJSON reads an RFC 3339 time with any sub-second precision.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("cacao: timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("cacao: timestamp %q: %w", s, err)
	}
	t.Time = v
	return nil
}

// AgentTarget is the part of an agent or target definition an executor may
// need to reach it (section 7). Everything else stays in the raw definition.
type AgentTarget struct {
	Type               string              `json:"type"`
	Name               string              `json:"name,omitempty"`
	Description        string              `json:"description,omitempty"`
	Address            map[string][]string `json:"address,omitempty"`
	Port               string              `json:"port,omitempty"`
	AuthenticationInfo string              `json:"authentication_info,omitempty"`
	Contact            *Contact            `json:"contact,omitempty"`
}

// Contact is the contact data type (section 10.6) of an agent or target.
type Contact struct {
	Email map[string]string `json:"email,omitempty"`
	Phone map[string]string `json:"phone,omitempty"`
}

// AgentTarget decodes the agent or target definition with the given ID,
// looking in agent_definitions first and target_definitions second.
func (p *Playbook) AgentTarget(id string) (AgentTarget, bool) {
	raw, ok := p.AgentDefinitions[id]
	if !ok {
		raw, ok = p.TargetDefinitions[id]
	}
	if !ok {
		return AgentTarget{}, false
	}
	var at AgentTarget
	if err := json.Unmarshal(raw, &at); err != nil {
		return AgentTarget{}, false
	}
	return at, true
}

// Parse decodes a playbook without validating it. Use [Validate] for
// playbooks from outside; Parse exists for tools and tests that must read a
// playbook Validate refuses.
func Parse(data []byte) (*Playbook, error) {
	var p Playbook
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("cacao: decode playbook: %w", err)
	}
	return &p, nil
}

// StepIDs returns the workflow's step IDs in sorted order.
func (p *Playbook) StepIDs() []string {
	return sortedKeys(p.Workflow)
}

// references lists the step IDs a step points at, with the JSON property
// that holds each, in a fixed order so that problems are reported stably.
func (s Step) references() []stepRef {
	var refs []stepRef
	add := func(prop, id string) {
		if id != "" {
			refs = append(refs, stepRef{prop, id})
		}
	}
	add("on_completion", s.OnCompletion)
	add("on_success", s.OnSuccess)
	add("on_failure", s.OnFailure)
	add("on_true", s.OnTrue)
	add("on_false", s.OnFalse)
	for i, id := range s.NextSteps {
		add(fmt.Sprintf("next_steps/%d", i), id)
	}
	for _, k := range sortedKeys(s.Cases) {
		add("cases/"+escapePointer(k), s.Cases[k])
	}
	return refs
}

type stepRef struct {
	prop string
	id   string
}

// validEmail reports whether s is one plain address, as SOARCA checks agent
// contacts: a display name or a list would let text ride along with it.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == strings.TrimSpace(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
