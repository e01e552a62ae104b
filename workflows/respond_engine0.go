package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// This file is the first engine's RespondToAlert, kept so that runs
// started before changeBoundedEngine replay and finish as they began. It is
// frozen: change nothing here that alters the commands it issues.

// runEngine0 is RespondToAlert as the first engine ran it.
func (r *responder) runEngine0(ctx workflow.Context, in RespondToAlertInput) (RespondToAlertResult, error) {
	pol, plan, err := loadSnapshot(ctx)
	if err != nil {
		return RespondToAlertResult{}, err
	}
	r.pol, r.plan = pol, plan
	if in.Resume == nil {
		if err := r.ingest(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		if r.triageEngine0(ctx, pol) {
			return r.absorbEngine0(ctx, pol)
		}
		r.st.Correlations = pol.Correlations.Memberships(&r.st.Alert)
		if len(r.st.Correlations) > 0 {
			if err := r.feed(ctx, r.st.Alert.Time); err != nil {
				return RespondToAlertResult{}, err
			}
			if pol.Correlations.FeedsOnly(&r.st.Alert) {
				r.st.Disposition = DispositionCorrelationInput
				r.publish(ctx)
			}
		}
		if r.st.Disposition == DispositionCorrelationInput {
			return r.absorbEngine0(ctx, pol)
		}
		r.enrich(ctx, plan)
		r.score(pol)
		r.route(pol)
		if err := r.handoffEngine0(ctx); err != nil {
			return RespondToAlertResult{}, err
		}
		r.publish(ctx)
	}
	return r.absorbEngine0(ctx, pol)
}

func (r *responder) triageEngine0(ctx workflow.Context, pol *policy.Policy) bool {
	s := pol.Suppressed(&r.st.Alert, workflow.Now(ctx))
	if s == nil {
		return false
	}
	r.st.Disposition = DispositionSuppressed
	r.st.Suppression = fmt.Sprintf("%s: %s (until %s)", s.Name, s.Reason, s.Expires.Format(time.DateOnly))
	r.pending = 0
	r.publish(ctx)
	return true
}

func (r *responder) handoffEngine0(ctx workflow.Context) error {
	r.st.Seq++
	count := r.st.Occurrences - r.st.Forwarded
	idsEnd := len(r.st.IDs)
	a, pkt := r.st.Alert, r.st.Context
	sig := IncidentAlertSignal{
		Source:     workflow.GetInfo(ctx).WorkflowExecution.ID + "/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
		Seq:        r.st.Seq,
		Count:      count,
		IDs:        append([]string(nil), r.st.IDs[min(r.st.IDsForwarded, idsEnd):idsEnd]...),
		Alert:      &a,
		Context:    &pkt,
		Score:      r.st.Score,
		Route:      r.st.Route,
		ReceivedAt: r.st.FirstSeen,
		EnrichedAt: r.st.EnrichedAt,
		SentAt:     workflow.Now(ctx),
	}
	if err := signalWithStart(ctx, false, r.st.IncidentID, IncidentType, IncidentInput{Key: r.st.Route.Key}, sig, nil, alert.UIMetadata{}); err != nil {
		return err
	}
	r.st.Forwarded += count
	r.st.IDsForwarded = idsEnd
	r.st.Disposition = DispositionHandedOff
	return nil
}

func (r *responder) absorbEngine0(ctx workflow.Context, pol *policy.Policy) (RespondToAlertResult, error) {
	window := pol.Triage.DedupeWindow
	for {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      window,
			TimerOptions: workflow.TimerOptions{Summary: "dedupe window"},
		}, func() bool { return r.pending > 0 })
		if err != nil {
			return RespondToAlertResult{}, err
		}
		if !ok && r.pending == 0 {
			break
		}
		if err := workflow.Sleep(ctx, forwardDelay); err != nil {
			return RespondToAlertResult{}, err
		}
		r.pending = 0
		switch r.st.Disposition {
		case DispositionHandedOff:
			if r.st.Occurrences > r.st.Forwarded {
				r.st.Score = pol.Score(&r.st.Alert, &r.st.Context, r.st.Occurrences)
				if err := r.handoffEngine0(ctx); err != nil {
					return RespondToAlertResult{}, err
				}
			}
			if err := r.feed(ctx, r.st.LastAlertTime); err != nil {
				return RespondToAlertResult{}, err
			}
		case DispositionCorrelationInput:
			if err := r.feed(ctx, r.st.LastAlertTime); err != nil {
				return RespondToAlertResult{}, err
			}
		}
		r.publish(ctx)
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			st := r.st
			return RespondToAlertResult{}, workflow.NewContinueAsNewError(ctx, RespondToAlertType,
				RespondToAlertInput{Fingerprint: r.st.Fingerprint, Resume: &st})
		}
	}
	return r.result(), nil
}

// loadSnapshot reads the whole policy and the worker's enrichment plan, as
// the first engine did (every rule body recorded in history).
func loadSnapshot(ctx workflow.Context) (*policy.Policy, activities.EnrichmentPlan, error) {
	var p *activities.Policy
	var res activities.GetPolicyResult
	if err := workflow.ExecuteLocalActivity(policyOptions(ctx), p.GetPolicy, activities.GetPolicyInput{}).Get(ctx, &res); err != nil {
		return nil, activities.EnrichmentPlan{}, fmt.Errorf("load policy: %w", err)
	}
	return &res.Policy, res.Enrichment, nil
}

// loadPolicy reads the whole policy, as the first engine did.
func loadPolicy(ctx workflow.Context) (*policy.Policy, error) {
	p, _, err := loadSnapshot(ctx)
	return p, err
}
