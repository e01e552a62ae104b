package cacao

import (
	"go.temporal.io/sdk/workflow"
)

// Executor carries out the commands of a playbook for [Run]. It is called from
// workflow code, so each method must itself be deterministic: start an
// activity, wait for a signal or an update, never do I/O directly. Each method
// must return soon after ctx is cancelled, which is how a step timeout and a
// cancelled run stop a command.
type Executor interface {
	// Manual asks a human: the command's text, the step's name; the answer's text is the command's result.
	Manual(ctx workflow.Context, q ManualRequest) (ManualResult, error)
	// HTTP performs an http-api command (method, path or URL, headers, body after substitution, the step's target ID).
	HTTP(ctx workflow.Context, r HTTPRequest) (HTTPResult, error)
	// Note records a line of the run's trace (step started, ended, branch taken).
	Note(ctx workflow.Context, line string)
}

// ManualRequest is a manual command put to a person.
type ManualRequest struct {
	// Key is stable across replays and unique within the run: the step's
	// occurrence (its ID, and which parallel branch, loop iteration and
	// playbook-action led to it, each with a counter) and the command's
	// index. A caller can use it as the ID of a durable question.
	Key          string
	PlaybookID   string
	StepID       string
	StepName     string
	Command      string // the command's text, variables substituted
	Description  string // the command's description
	CommandIndex int
	Agent        string
	Targets      []string
	// OutArgs are the variables the step assigns from the answer: the
	// answer's Outputs by name, or its Text when the step has exactly one.
	OutArgs []string
}

// ManualResult is a person's answer. An error from Manual fails the step.
type ManualResult struct {
	Text    string
	Outputs map[string]string
}

// HTTPRequest is an http-api command, variables substituted.
type HTTPRequest struct {
	// Key identifies the command's occurrence as in [ManualRequest]; a
	// caller can use it as an idempotency key.
	Key          string
	PlaybookID   string
	StepID       string
	StepName     string
	CommandIndex int
	Method       string
	Target       string // the request target: a path, or an absolute URL
	Version      string
	Headers      map[string][]string
	Body         []byte
	Agent        string
	Targets      []string // the step's target IDs: where a path is sent
}

// HTTPResult is an HTTP response. A status of 400 or more fails the step, as
// does an error from HTTP.
type HTTPResult struct {
	Status  int
	Headers map[string][]string
	Body    []byte
	// Outputs are values for the step's out_args by name; when it names none
	// and the step has exactly one out_arg, the body is assigned.
	Outputs map[string]string
}
