package cacao

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFromPlan(t *testing.T) {
	now := time.Date(2024, 5, 1, 9, 30, 0, 123456789, time.FixedZone("CEST", 2*3600))
	seq := make([]byte, 16*10)
	for i := range seq {
		seq[i] = byte(i)
	}
	random := bytes.NewReader(seq)
	out, err := fromPlan("Contain phishing", "Steps for a phished account", []PlanStep{
		{Name: "Reset password", Description: "Reset the user's password and revoke sessions"},
		{Name: "Purge mail"},
	}, now, random)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Validate(out)
	if err != nil {
		t.Fatalf("exported playbook does not validate: %v", err)
	}
	if err := Supported(p); err != nil {
		t.Errorf("socflow cannot run its own export: %v", err)
	}
	if !strings.Contains(string(out), `"created": "2024-05-01T07:30:00.123Z"`) {
		t.Errorf("created is not UTC to the millisecond:\n%s", out)
	}
	if p.Name != "Contain phishing" || p.Description != "Steps for a phished account" || p.CreatedBy != ProducerIdentity {
		t.Errorf("metadata %+v", p)
	}
	// Walk start → actions → end.
	var names, texts []string
	id := p.WorkflowStart
	for i := 0; i < 10; i++ {
		s := p.Workflow[id]
		names = append(names, string(s.Type)+":"+s.Name)
		for _, c := range s.Commands {
			texts = append(texts, c.Type+":"+c.Command)
		}
		if s.Type == StepEnd {
			break
		}
		id = s.OnCompletion
	}
	if got := strings.Join(names, " → "); got != "start:Start → action:Reset password → action:Purge mail → end:End" {
		t.Errorf("workflow %s", got)
	}
	if got := strings.Join(texts, " | "); got != "manual:Reset the user's password and revoke sessions | manual:Purge mail" {
		t.Errorf("commands %s", got)
	}
	for _, id := range p.StepIDs() {
		if m := stepIDForm.FindStringSubmatch(id); m == nil || id[len(m[1])+2+14] != '4' {
			t.Errorf("step ID %s is not a version 4 UUID identifier", id)
		}
	}
}

func TestFromPlanRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps []PlanStep
		want  string
	}{
		{"", []PlanStep{{Name: "x"}}, "needs a name"},
		{"p", nil, "the plan has no steps"},
		{"p", []PlanStep{{Name: "a"}, {Description: "no name"}}, "plan step 2 has no name"},
	} {
		if _, err := FromPlan(c.name, "", c.steps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromPlan(%q, %v) = %v, want %q", c.name, c.steps, err, c.want)
		}
	}
}

func TestFromPlanRepeatedRandomness(t *testing.T) {
	_, err := fromPlan("p", "", []PlanStep{{Name: "a"}}, time.Now(), bytes.NewReader(bytes.Repeat([]byte{0xab}, 16*10)))
	if err == nil || !strings.Contains(err.Error(), "repeated UUID") {
		t.Errorf("fromPlan = %v", err)
	}
}

func TestFromPlanRealClock(t *testing.T) {
	out, err := FromPlan("p", "", []PlanStep{{Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Validate(out); err != nil {
		t.Fatal(err)
	}
}
