package cacao

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// PlanStep is one step of a response plan to export.
type PlanStep struct {
	Name        string
	Description string
}

// ProducerIdentity is the created_by of exported playbooks: the STIX identity
// that stands for socflow. It is fixed so that every export names the same
// producer.
const ProducerIdentity = "identity--2f0d3a64-6c1e-4b8e-9f57-1d3c9a0b7e25"

// FromPlan writes a minimal CACAO v2 playbook for a plan: a start step, one
// action step per plan step with a manual command that asks an analyst to do
// it, and an end step, in order. The playbook is validated (schema and
// semantics) before it is returned, so what socflow exports any CACAO tool can
// read.
func FromPlan(name, description string, steps []PlanStep) ([]byte, error) {
	return fromPlan(name, description, steps, time.Now(), rand.Reader)
}

// fromPlan is FromPlan with its clock and randomness as arguments, for tests.
func fromPlan(name, description string, steps []PlanStep, now time.Time, random io.Reader) ([]byte, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("cacao: export: the playbook needs a name")
	}
	if len(steps) == 0 {
		return nil, errors.New("cacao: export: the plan has no steps (a CACAO playbook needs at least one action)")
	}
	// The spec asks the UUID part to be unique across all objects whatever
	// their type; a source that repeats itself is an error, not a playbook
	// whose steps overwrite each other.
	used := map[string]bool{}
	newID := func(typ string) (string, error) {
		u, err := uuid4(random)
		if err != nil {
			return "", fmt.Errorf("cacao: export: %w", err)
		}
		if used[u] {
			return "", fmt.Errorf("cacao: export: the random source repeated UUID %s", u)
		}
		used[u] = true
		return typ + "--" + u, nil
	}
	var ids []string
	for _, typ := range []string{"playbook", "group", "start", "end"} {
		id, err := newID(typ)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	pbID, agentID, startID, endID := ids[0], ids[1], ids[2], ids[3]
	actionIDs := make([]string, len(steps))
	for i, s := range steps {
		if strings.TrimSpace(s.Name) == "" {
			return nil, fmt.Errorf("cacao: export: plan step %d has no name", i+1)
		}
		id, err := newID("action")
		if err != nil {
			return nil, err
		}
		actionIDs[i] = id
	}
	agent, err := json.Marshal(map[string]string{
		"type":        "group",
		"name":        "SOC analysts",
		"description": "The analysts on duty; each step is a manual command for them.",
	})
	if err != nil {
		return nil, fmt.Errorf("cacao: export: %w", err)
	}
	ts := Timestamp{now.UTC().Truncate(time.Millisecond)}
	p := Playbook{
		Type:             "playbook",
		SpecVersion:      SpecVersion,
		ID:               pbID,
		Name:             name,
		Description:      description,
		CreatedBy:        ProducerIdentity,
		Created:          ts,
		Modified:         ts,
		WorkflowStart:    startID,
		Workflow:         map[string]Step{},
		AgentDefinitions: map[string]json.RawMessage{agentID: agent},
	}
	p.Workflow[startID] = Step{Type: StepStart, Name: "Start", OnCompletion: actionIDs[0]}
	for i, s := range steps {
		next := endID
		if i+1 < len(steps) {
			next = actionIDs[i+1]
		}
		text := s.Description
		if strings.TrimSpace(text) == "" {
			text = s.Name
		}
		p.Workflow[actionIDs[i]] = Step{
			Type:         StepAction,
			Name:         s.Name,
			Description:  s.Description,
			Commands:     []Command{{Type: CommandManual, Command: text}},
			Agent:        agentID,
			OnCompletion: next,
		}
	}
	p.Workflow[endID] = Step{Type: StepEnd, Name: "End"}
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cacao: export: %w", err)
	}
	if _, err := Validate(out); err != nil {
		return nil, fmt.Errorf("cacao: export produced an invalid playbook: %w", err)
	}
	return append(out, '\n'), nil
}

// uuid4 returns a random RFC 4122 version 4 UUID, as CACAO requires of step IDs.
func uuid4(random io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
