package workflows

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
)

// Workflows holds what the workflow code needs besides its input: the
// playbook registry. It is built once by the worker.
type Workflows struct {
	Playbooks *playbooks.Registry
}

// New returns the workflows with the given playbooks.
func New(reg *playbooks.Registry) *Workflows {
	return &Workflows{Playbooks: reg}
}

// Register registers every workflow under its contract name.
func (w *Workflows) Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(w.RespondToAlert, workflow.RegisterOptions{Name: RespondToAlertType})
	r.RegisterWorkflowWithOptions(w.Incident, workflow.RegisterOptions{Name: IncidentType})
	r.RegisterWorkflowWithOptions(w.Correlate, workflow.RegisterOptions{Name: CorrelateType})
}

// signalWithStart hands an alert signal to another workflow through the
// Handoff activity, starting that workflow if needed. It retries transient
// failures for an hour (an alert handed off must never be lost) and fails
// at once when Temporal refuses the signal for good.
// With local set (engine 2) the call runs as a local activity, in the
// worker's process: the same retries, without a round trip through the
// server's task queue.
// A non-nil startSignal is what to send instead of signalArg when the
// workflow is not running and the call starts it (engine 3).
// meta is what the Temporal UI shows of the workflow if the call starts it.
func signalWithStart(ctx workflow.Context, local bool, id, workflowType string, startArg, signalArg, startSignal any, meta alert.UIMetadata) error {
	return handoff(ctx, local, id, workflowType, SignalAlert, startArg, signalArg, startSignal, meta)
}

// signalEventWithStart feeds a correlation window, starting it if needed.
func signalEventWithStart(ctx workflow.Context, id string, startArg CorrelateInput, sig CorrelationSignal) error {
	meta := alert.UIMetadata{
		Summary: alert.Truncate("correlation window: "+alert.OneLine(startArg.Rule)+" · "+alert.OneLine(startArg.Key), alert.MaxUISummaryBytes),
	}
	return handoff(ctx, false, id, CorrelateType, SignalEvent, startArg, sig, nil, meta)
}

func handoff(ctx workflow.Context, local bool, id, workflowType, signal string, startArg, signalArg, startSignal any, meta alert.UIMetadata) error {
	start, err := json.Marshal(startArg)
	if err != nil {
		return fmt.Errorf("handoff: encode start argument: %w", err)
	}
	sig, err := json.Marshal(signalArg)
	if err != nil {
		return fmt.Errorf("handoff: encode signal: %w", err)
	}
	var startSig json.RawMessage
	if startSignal != nil {
		if startSig, err = json.Marshal(startSignal); err != nil {
			return fmt.Errorf("handoff: encode start signal: %w", err)
		}
	}
	var h *activities.Handoff
	in := activities.SignalWithStartInput{
		WorkflowID:     id,
		WorkflowType:   workflowType,
		TaskQueue:      workflow.GetInfo(ctx).TaskQueueName,
		StartArg:       start,
		Signal:         signal,
		SignalArg:      sig,
		StartSignalArg: startSig,
		Summary:        meta.Summary,
		Details:        meta.Details,
	}
	if local {
		return workflow.ExecuteLocalActivity(handoffLocalOptions(ctx, "hand off to "+id), h.SignalWithStart, in).Get(ctx, nil)
	}
	return workflow.ExecuteActivity(handoffOptions(ctx, "hand off to "+id), h.SignalWithStart, in).Get(ctx, nil)
}

// errText is the message a responder should read for an activity failure:
// the application error's own message, without the SDK's wrapping. The
// message already holds its cause's text (Classify builds it so), so the
// causes Error would append only say it again.
func errText(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "timed out (" + te.TimeoutType().String() + ")"
	}
	return err.Error()
}
