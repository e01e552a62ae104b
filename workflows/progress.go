package workflows

import (
	"fmt"

	"github.com/socflow/socflow/alert"
)

// A playbook is Go code, so a run cannot carry "where the playbook is" as
// a program counter. Instead the Case records each call it serves
// (PlaybookProgress): after continue-as-new the playbook runs again from
// its start, the calls already made return what they returned before
// without acting again, and the call in progress resumes from its carried
// state (the ladder's tier and deadline, the saga's done-list). Playbooks
// are deterministic functions of what Case calls return, so they take the
// same path again; one that does not is stopped with an error naming the
// step.

// beginStep takes the playbook's next position. It returns the recorded
// outcome when the step was completed in an earlier run, and errRollover
// once the run is continuing as new.
func (inc *incident) beginStep(kind string) (pos int, done *StepOutcome, err error) {
	if inc.rollingOver {
		return 0, nil, errRollover
	}
	pos = inc.calls
	inc.calls++
	p := inc.st.Progress
	if p == nil || pos >= p.Steps {
		return pos, nil, nil
	}
	if kind == StepNote {
		for _, o := range p.Outcomes {
			if o.Step == pos {
				return pos, nil, fmt.Errorf("playbook took another path after continue-as-new: step %d was %s, now note", pos, o.Kind)
			}
		}
		return pos, &StepOutcome{Step: pos, Kind: StepNote}, nil
	}
	for i := range p.Outcomes {
		if o := &p.Outcomes[i]; o.Step == pos {
			if o.Kind != kind {
				return pos, nil, fmt.Errorf("playbook took another path after continue-as-new: step %d was %s, now %s", pos, o.Kind, kind)
			}
			return pos, o, nil
		}
	}
	return pos, nil, fmt.Errorf("playbook took another path after continue-as-new: step %d was a note, now %s", pos, kind)
}

// endStep records a completed step.
func (inc *incident) endStep(o StepOutcome) {
	p := inc.st.Progress
	if p == nil {
		return
	}
	p.Steps = o.Step + 1
	if o.Kind != StepNote {
		p.Outcomes = append(p.Outcomes, o)
	}
	if p.Ladder != nil && p.Ladder.Step == o.Step {
		p.Ladder = nil
	}
	if p.Saga != nil && p.Saga.Step == o.Step {
		p.Saga = nil
	}
	if p.Wait != nil && p.Wait.Step == o.Step {
		p.Wait = nil
	}
}

// decisionOutcome rebuilds a recorded Decide's outcome.
func decisionOutcome(o *StepOutcome) (d alert.Decision, approved []alert.Action) {
	if o.Decision != nil {
		d = *o.Decision
	}
	return d, o.Approved
}
