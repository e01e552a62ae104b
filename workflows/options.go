package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Every activity's options, in one place, so that timeouts and retries
// per stage can be read and compared at a glance.

// handoffOptions: an alert handed off must not be lost, so the handoff
// retries transient failures for a long while; a permanent refusal (an
// argument Temporal rejects, a payload over its limits) is non-retryable
// and ends the attempt at once. The ScheduleToClose bounds a run stuck
// retrying forever. (Options are not part of what replay compares, so
// this applies to runs of every engine.)
func handoffOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            handoffRetry(),
		Summary:                summary,
	})
}

// handoffRetry is how a handoff retries, local or not (a new value each
// time: the SDK keeps the pointer).
func handoffRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}
}

// handoffLocalOptions are handoffOptions for the local activity engine 2
// hands off with: the SDK backs off between attempts with timers, so the
// hour of retries costs no worker slot while it waits.
func handoffLocalOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            handoffRetry(),
		Summary:                summary,
	})
}

// policyOptions: the policy is read in process.
func policyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		Summary:             "policy",
	})
}

// caseFileRetry is how a case-file write retries, local or not: a new
// value each time, since the SDK keeps the pointer it is given.
func caseFileRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second}
}

// caseFileLocalOptions are caseFileOptions for engine 2, which writes the
// case file from the worker's process (socflow's own database).
func caseFileLocalOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy:            caseFileRetry(),
		Summary:                "case file",
	})
}

// caseFileOptions: the case file is socflow's own database; a write that
// keeps failing is noted and its batch kept for the next try, so the
// incident never waits on it for long.
func caseFileOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy:            caseFileRetry(),
		Summary:                "case file",
	})
}

// auditOptions: the audit record is written once, at close.
func auditOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
		Summary:             "audit record",
	})
}

// notifyOptions: a notifier that keeps failing is noted; the incident's
// timers go on escalating.
func notifyOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         peopleRetry(),
		Summary:             summary,
	})
}

func ticketOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// A ticketing system that is down must not hold the message to
		// responders for long: past this, the step is noted and retried
		// at the next message.
		ScheduleToCloseTimeout: 45 * time.Second,
		RetryPolicy:            peopleRetry(),
		Summary:                summary,
	})
}

func containOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
		Summary: summary,
	})
}

// verifyOptions are a verification poll's: short, since the next poll
// follows anyway, and bounded so that a vendor that does not answer
// leaves the action pending until its deadline rather than blocking it.
func verifyOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumAttempts:    3,
		},
		Summary: summary,
	})
}

// enrichOptions are the local (in-memory lookups) and remote options of
// the enrichment sources.
func enrichLocalOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 2},
		Summary:             "enrich: in-process lookups",
	})
}

// enrichStoreOptions are for engine 2's sources in socflow's own store
// (related events, login history): local activities with the remote
// sources' timeout and retries.
func enrichStoreOptions(ctx workflow.Context, timeout time.Duration) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: 3 * timeout,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumAttempts: 3},
		Summary:                "enrich: socflow's store",
	})
}

func enrichRemoteOptions(ctx workflow.Context, timeout time.Duration, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: 3 * timeout,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumAttempts: 3},
		Summary:                summary,
	})
}

// peopleRetry is the retry policy of the steps that reach people (chat,
// tickets): a bounded number of tries, so a service that is down is noted
// in the timeline instead of holding the incident.
func peopleRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    10,
	}
}

// sleep is workflow.Sleep with a summary, which the Temporal UI shows on
// the timer: every timer socflow starts says what it waits for.
func sleep(ctx workflow.Context, d time.Duration, summary string) error {
	return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
}
