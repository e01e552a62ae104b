package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/client"
)

// Handoff talks to Temporal on a workflow's behalf. A workflow cannot
// signal-with-start another workflow itself, and the handoff from an alert
// to its incident must start the incident if it is not running yet.
type Handoff struct {
	Client client.Client
}

// SignalWithStartInput names the target, its start argument and the
// signal. Arguments travel as JSON so that this package need not know the
// workflows' types (workflows import activities, never the reverse).
type SignalWithStartInput struct {
	WorkflowID   string          `json:"workflow_id"`
	WorkflowType string          `json:"workflow_type"`
	TaskQueue    string          `json:"task_queue"`
	StartArg     json.RawMessage `json:"start_arg"`
	Signal       string          `json:"signal"`
	SignalArg    json.RawMessage `json:"signal_arg"`
}

// SignalWithStartResult names the run that received the signal.
type SignalWithStartResult struct {
	RunID string `json:"run_id"`
}

// SignalWithStart delivers the signal, starting the workflow if it is not
// running. A retry may deliver the signal twice; receivers deduplicate.
func (h *Handoff) SignalWithStart(ctx context.Context, in SignalWithStartInput) (SignalWithStartResult, error) {
	run, err := h.Client.SignalWithStartWorkflow(ctx, in.WorkflowID, in.Signal, in.SignalArg,
		client.StartWorkflowOptions{ID: in.WorkflowID, TaskQueue: in.TaskQueue},
		in.WorkflowType, in.StartArg)
	if err != nil {
		return SignalWithStartResult{}, Classify(fmt.Sprintf("handoff: signal-with-start %s", in.WorkflowID), err)
	}
	return SignalWithStartResult{RunID: run.GetRunID()}, nil
}
