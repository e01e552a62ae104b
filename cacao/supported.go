package cacao

import (
	"fmt"
	"sort"
	"strings"
)

// UnsupportedCommand is a step with a command type socflow cannot run.
type UnsupportedCommand struct {
	StepID string
	Type   string
}

// String names the step and the type.
func (u UnsupportedCommand) String() string {
	return fmt.Sprintf("step %s: command type %q is not supported (socflow runs manual and http-api)", u.StepID, u.Type)
}

// UnsupportedError lists every step whose commands socflow cannot run.
type UnsupportedError struct {
	Commands []UnsupportedCommand
}

// Error lists the steps, one a line, sorted by step ID and type.
func (e *UnsupportedError) Error() string {
	lines := make([]string, len(e.Commands))
	for i, c := range e.Commands {
		lines[i] = c.String()
	}
	return "cacao: socflow cannot run this playbook:\n" + strings.Join(lines, "\n")
}

// Supported reports whether socflow can run every command of the playbook:
// only manual and http-api commands are runnable. The error is an
// *[UnsupportedError] naming each step and command type it cannot run, each
// pair once, sorted. Playbook-action steps are not followed: the playbooks they
// call are checked when they are loaded.
func Supported(p *Playbook) error {
	var out []UnsupportedCommand
	for _, id := range p.StepIDs() {
		seen := map[string]bool{}
		for _, c := range p.Workflow[id].Commands {
			if c.Type == CommandManual || c.Type == CommandHTTPAPI || seen[c.Type] {
				continue
			}
			seen[c.Type] = true
			out = append(out, UnsupportedCommand{StepID: id, Type: c.Type})
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].StepID != out[j].StepID {
			return out[i].StepID < out[j].StepID
		}
		return out[i].Type < out[j].Type
	})
	return &UnsupportedError{Commands: out}
}
