package bench

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// The bare pipeline is what socflow's pipeline would cost if its code cost
// nothing: the same two workflows per unique alert (an alert run started
// by SignalWithStart, handing off to an incident with a SignalWithStart
// from an activity), the same number of local and remote activities, and
// the search attribute the incident is found by, all with empty bodies.
// Its rate is the engine's ceiling for socflow's shape on this machine.

// Shape is the work one unique alert costs, counted from the histories of
// socflow's own runs (the handoff is one of the alert's activities).
type Shape struct {
	AlertLocal     int `json:"alert_local_activities"`
	AlertRemote    int `json:"alert_activities"`
	IncidentLocal  int `json:"incident_local_activities"`
	IncidentRemote int `json:"incident_activities"`
}

const (
	bareQueue       = "socflow-bench-bare"
	bareAlertType   = "BenchBareAlert"
	bareIncidentTyp = "BenchBareIncident"
	bareSignal      = "alert"
	// bareOpen is the status the bare incident publishes once it holds
	// its alert, as socflow's incident does when it opens.
	bareOpen = "open"
)

type bareInput struct {
	Key   string
	Shape Shape
}

// bareAlert is the alert run: its local activities, then its remote ones
// in parallel, then the handoff, then it waits as socflow's run waits
// for duplicates.
func bareAlert(ctx workflow.Context, in bareInput) error {
	var n int
	workflow.GetSignalChannel(ctx, bareSignal).Receive(ctx, &n)
	if err := bareLocal(ctx, in.Shape.AlertLocal); err != nil {
		return err
	}
	if err := bareRemote(ctx, in.Shape.AlertRemote-1); err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var a *bareActivities
	if err := workflow.ExecuteActivity(actx, a.Handoff, in).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.SAStatus.ValueSet("handed-off")); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

// bareIncident takes the handoff, runs its local activities, publishes
// itself as open, runs its remote activities and waits.
func bareIncident(ctx workflow.Context, in bareInput) error {
	var n int
	workflow.GetSignalChannel(ctx, bareSignal).Receive(ctx, &n)
	if err := bareLocal(ctx, in.Shape.IncidentLocal); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.SAStatus.ValueSet(bareOpen)); err != nil {
		return err
	}
	if err := bareRemote(ctx, in.Shape.IncidentRemote); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

func bareLocal(ctx workflow.Context, n int) error {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	var a *bareActivities
	fs := make([]workflow.Future, n)
	for i := range fs {
		fs[i] = workflow.ExecuteLocalActivity(lctx, a.Noop, i)
	}
	return waitAll(ctx, fs)
}

func bareRemote(ctx workflow.Context, n int) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var a *bareActivities
	fs := make([]workflow.Future, max(n, 0))
	for i := range fs {
		fs[i] = workflow.ExecuteActivity(actx, a.Noop, i)
	}
	return waitAll(ctx, fs)
}

func waitAll(ctx workflow.Context, fs []workflow.Future) error {
	for _, f := range fs {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// bareActivities are the bare pipeline's empty activities.
type bareActivities struct {
	client client.Client
}

// Noop does nothing: the bare pipeline measures the engine alone.
func (a *bareActivities) Noop(context.Context, int) error { return nil }

// Handoff starts or signals the bare incident, as socflow's handoff does.
func (a *bareActivities) Handoff(ctx context.Context, in bareInput) error {
	_, err := a.client.SignalWithStartWorkflow(ctx, "bench-bare-incident/"+in.Key, bareSignal, 1,
		client.StartWorkflowOptions{TaskQueue: bareQueue}, bareIncidentTyp, in)
	if err != nil {
		return temporal.NewApplicationErrorWithCause("bare handoff", "Handoff", err)
	}
	return nil
}

// startBareWorker registers the bare pipeline on its own task queue, with
// the options socflow's worker runs with.
func startBareWorker(c client.Client) (sdkworker.Worker, error) {
	w := sdkworker.New(c, bareQueue, worker.SDKOptions(worker.Options{}))
	w.RegisterWorkflowWithOptions(bareAlert, workflow.RegisterOptions{Name: bareAlertType})
	w.RegisterWorkflowWithOptions(bareIncident, workflow.RegisterOptions{Name: bareIncidentTyp})
	w.RegisterActivity(&bareActivities{client: c})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("bench: bare worker: %w", err)
	}
	return w, nil
}
