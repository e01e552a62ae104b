package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	// StartSignalArg, when set, is sent instead of SignalArg if the
	// workflow is not running: a delta means nothing to a run it starts.
	StartSignalArg json.RawMessage `json:"start_signal_arg,omitempty"`
	// Summary and Details are the static summary and details a workflow
	// this call starts shows in the Temporal UI (alert.UIMetadata).
	Summary string `json:"summary,omitempty"`
	Details string `json:"details,omitempty"`
}

// SignalWithStartResult names the run that received the signal.
type SignalWithStartResult struct {
	RunID string `json:"run_id"`
}

// SignalWithStart delivers the signal, starting the workflow if it is not
// running (with StartSignalArg, when set). A retry may deliver the signal
// twice; receivers deduplicate.
func (h *Handoff) SignalWithStart(ctx context.Context, in SignalWithStartInput) (SignalWithStartResult, error) {
	prefix := fmt.Sprintf("handoff: signal-with-start %s", in.WorkflowID)
	sig := in.SignalArg
	if len(in.StartSignalArg) > 0 {
		// Signal the running workflow; only when none runs, start one with
		// the start signal. Should another handoff start it between the
		// two calls, it receives the start signal, which it takes as well.
		err := h.Client.SignalWorkflow(ctx, in.WorkflowID, "", in.Signal, in.SignalArg)
		var nf *serviceerror.NotFound
		switch {
		case err == nil:
			return SignalWithStartResult{}, nil
		case !errors.As(err, &nf):
			return SignalWithStartResult{}, h.classify(prefix, err)
		}
		sig = in.StartSignalArg
	}
	run, err := h.Client.SignalWithStartWorkflow(ctx, in.WorkflowID, in.Signal, sig,
		client.StartWorkflowOptions{ID: in.WorkflowID, TaskQueue: in.TaskQueue, StaticSummary: in.Summary, StaticDetails: in.Details},
		in.WorkflowType, in.StartArg)
	if err != nil {
		return SignalWithStartResult{}, h.classify(prefix, err)
	}
	return SignalWithStartResult{RunID: run.GetRunID()}, nil
}

// classify marks what Temporal refuses for good as permanent: retrying an
// argument Temporal refuses, or a payload over its limits, would retry
// forever, so it is said once, for good.
func (h *Handoff) classify(prefix string, err error) error {
	if permanentTemporalError(err) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", prefix, err), ErrTemporalLimit, err)
	}
	return Classify(prefix, err)
}

// permanentTemporalError reports whether Temporal refused a call for a
// reason that a retry cannot change: an invalid argument (a search
// attribute over 2 KB, a run past its signal limit) or a message over
// gRPC's or Temporal's size limits. Rate limits and unavailability are
// transient.
func permanentTemporalError(err error) bool {
	var inv *serviceerror.InvalidArgument
	if errors.As(err, &inv) {
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.InvalidArgument:
			return true
		case codes.ResourceExhausted:
			msg := strings.ToLower(s.Message())
			return strings.Contains(msg, "larger than max") || strings.Contains(msg, "too large")
		}
	}
	return false
}
