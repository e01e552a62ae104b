package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// continuedInput returns the input a run continued as new with, or nil
// when the run ended otherwise.
func continuedInput[T any](t *testing.T, err error) *T {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		return nil
	}
	var in T
	if e := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); e != nil {
		t.Fatal(e)
	}
	return &in
}

// slowLadder keeps every tier waiting for two days, so the ladder waits
// through the whole storm.
func slowLadder(p *policy.Policy) {
	for i := range p.Tiers {
		p.Tiers[i].Timeout = 48 * time.Hour
	}
	p.Routing.Rules[0].Window = time.Hour
}

// TestIncidentStormOverADayStaysBounded sends 20,000 alerts of 200
// fingerprints into one incident over a simulated day while the ladder
// waits, then approves. On the first engine the state grew with every
// alert (alert list, IDs, timeline, Seen) and the run never rolled over
// while the ladder waited.
func TestIncidentStormOverADayStaysBounded(t *testing.T) {
	const fingerprints, perFP = 200, 100
	pol := testPolicy(t, slowLadder)
	limits := activities.Limits{Signals: 3000, Events: 1 << 30}
	cases := &memCases{}

	// The storm, in order: each fingerprint's first signal carries the
	// alert, later ones one occurrence each.
	type send struct {
		at  time.Duration
		sig workflows.IncidentAlertSignal
	}
	var storm []send
	seq := map[int]int{}
	for i := 0; i < fingerprints*perFP; i++ {
		fp := i % fingerprints
		seq[fp]++
		a := networkAlert("dc01", fmt.Sprintf("203.0.113.%d", fp%250))
		a.ID, a.Rule, a.Title = fmt.Sprintf("a-%d-%d", fp, seq[fp]), fmt.Sprintf("rule-%d", fp), fmt.Sprintf("alert %d", fp)
		pkt := alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}, Related: make([]alert.RelatedEvent, 20)}
		sig := incidentSignal(t, pol, a, pkt, fmt.Sprintf("alert/fp-%d/run", fp), seq[fp], 1)
		sig.IDs, sig.Total = []string{a.ID}, seq[fp]
		if seq[fp] > 1 {
			sig.Alert, sig.Context = nil, nil
		}
		// 20,000 alerts over 24 hours, in bursts of 100 every 7.2 minutes.
		storm = append(storm, send{at: time.Duration(i/100) * 432 * time.Second, sig: sig})
	}

	in := workflows.IncidentInput{Key: storm[0].sig.Route.Key}
	sent, runs := 0, 0
	var final workflows.IncidentResult
	var h *harness
	var start time.Time
	largest := 0
	for {
		runs++
		if runs > 50 {
			t.Fatal("the incident never finished")
		}
		h = newHarnessFull(t, pol, nil, nil, limits, cases)
		h.env.SetTestTimeout(5 * time.Minute)
		if runs == 1 {
			start = h.env.Now()
		} else {
			h.env.SetStartTime(start.Add(storm[min(sent, len(storm)-1)].at))
		}
		base := h.env.Now().Sub(start)
		// Register the rest of the storm; what this run does not take
		// before it rolls over goes to the next one.
		for i := sent; i < len(storm); i += 100 {
			from := i
			h.env.RegisterDelayedCallback(func() {
				for j := from; j < min(from+100, len(storm)); j++ {
					h.env.SignalWorkflow(workflows.SignalAlert, storm[j].sig)
					sent = j + 1
				}
			}, max(storm[i].at-base, 0))
		}
		// The decision at the end of the day, in whichever run is open then.
		var rejected error
		if at := 25*time.Hour - base; at > 0 {
			h.decide(t, at, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}, &rejected)
		}
		h.env.ExecuteWorkflow(workflows.IncidentType, in)
		err := h.env.GetWorkflowError()
		next := continuedInput[workflows.IncidentInput](t, err)
		if next == nil {
			if err != nil {
				t.Fatalf("run %d: %v", runs, err)
			}
			if rejected != nil {
				t.Fatalf("approval rejected: %v", rejected)
			}
			if err := h.env.GetWorkflowResult(&final); err != nil {
				t.Fatal(err)
			}
			break
		}
		b, _ := json.Marshal(next)
		largest = max(largest, len(b))
		if len(b) > 256<<10 {
			t.Fatalf("run %d continued as new with %d bytes of input, want under 256 KB", runs, len(b))
		}
		st := next.Resume
		if st.Status != workflows.StatusAwaiting || st.Progress == nil || st.Progress.Ladder == nil {
			t.Fatalf("run %d rolled over in status %s with progress %+v, want the ladder waiting", runs, st.Status, st.Progress)
		}
		if len(st.Timeline) > workflows.MaxTimeline || len(st.Alerts) > workflows.MaxTopAlerts || len(st.Sources) > workflows.MaxSources {
			t.Fatalf("run %d: unbounded state: %d timeline, %d alerts, %d sources", runs, len(st.Timeline), len(st.Alerts), len(st.Sources))
		}
		in = *next
	}
	t.Logf("20,000 alerts of 200 fingerprints over a day: %d runs, largest continue-as-new input %d bytes", runs, largest)
	if runs < 5 {
		t.Errorf("%d runs for 20,000 signals with a limit of 3,000 per run, want at least 5", runs)
	}
	if sent != len(storm) {
		t.Fatalf("sent %d of %d alerts", sent, len(storm))
	}
	if final.Alerts != fingerprints || final.Status != workflows.StatusContained {
		t.Fatalf("result = %+v, want %d alerts, contained", final, fingerprints)
	}
	// The decision at the end is carried out.
	if got := strings.Join(h.f.edrCalls, ","); !strings.Contains(got, "isolate dc01") || !strings.Contains(got, "block 203.0.113.") {
		t.Errorf("EDR calls = %s, want the host isolated and the sources blocked", got)
	}
	// Counts exact, and every alert ID is in the case file.
	var rec workflows.IncidentState
	if err := json.Unmarshal(h.f.audits[0], &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Occurrences != fingerprints*perFP || rec.AlertCount != fingerprints {
		t.Errorf("occurrences %d, alerts %d; want %d and %d", rec.Occurrences, rec.AlertCount, fingerprints*perFP, fingerprints)
	}
	ids := 0
	for fp := 0; fp < fingerprints; fp++ {
		got := cases.ids[fmt.Sprintf("alert/fp-%d", fp)]
		if len(got) != perFP {
			t.Fatalf("case file has %d IDs of fp-%d, want %d", len(got), fp, perFP)
		}
		ids += len(got)
		if a := cases.alerts[fmt.Sprintf("alert/fp-%d", fp)]; a.Occurrences != perFP || a.Title == "" {
			t.Fatalf("case file alert fp-%d = %+v, want %d occurrences and its title", fp, a, perFP)
		}
	}
	if len(cases.timeline) != rec.TimelineTotal {
		t.Errorf("case file has %d timeline lines, the incident wrote %d", len(cases.timeline), rec.TimelineTotal)
	}
	for i := 0; i < rec.TimelineTotal; i++ {
		if _, ok := cases.timeline[i]; !ok {
			t.Fatalf("timeline line %d missing from the case file", i)
		}
	}
	if rec.Metrics.TimeToDecide < 24*time.Hour || rec.Metrics.TimeToDecide > 26*time.Hour {
		t.Errorf("time to decide %s: the ladder's clock restarted on rollover", rec.Metrics.TimeToDecide)
	}
}

// TestDecisionInFirstTaskAfterRollover: on the first engine the decide
// update was registered after a blocking policy load, so a decision that
// arrived in a new run's first task was refused as unknown.
func TestDecisionInFirstTaskAfterRollover(t *testing.T) {
	pol := testPolicy(t, slowLadder)
	h := newHarnessFull(t, pol, nil, nil, activities.Limits{Signals: 2, Events: 1 << 30}, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run", 1, 1)
	for i := 0; i < 3; i++ {
		s := sig
		s.Seq = i + 1
		if i > 0 {
			s.Alert, s.Context, s.First = nil, nil, false
		}
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, s) }, time.Duration(i)*time.Minute)
	}
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	next := continuedInput[workflows.IncidentInput](t, h.env.GetWorkflowError())
	if next == nil {
		t.Fatalf("no rollover after 3 signals with a limit of 2: %v", h.env.GetWorkflowError())
	}
	if next.Policy == nil || next.Resume.Progress == nil || next.Resume.Progress.Ladder == nil {
		t.Fatalf("rollover input = %+v, want the policy and the ladder carried", next)
	}

	h2 := newHarnessFull(t, pol, nil, nil, activities.Limits{}, nil)
	var rejected error
	h2.decide(t, 0, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}, &rejected)
	h2.env.ExecuteWorkflow(workflows.IncidentType, *next)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if rejected != nil {
		t.Fatalf("decision in the first task refused: %v", rejected)
	}
	var res workflows.IncidentResult
	if err := h2.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusContained || res.Alerts != 1 {
		t.Fatalf("result = %+v, want contained with 1 alert", res)
	}
	// Asked once: the new run did not ask the tier again.
	escalations := 0
	for _, k := range h.f.kinds() {
		if k == activities.NotifyEscalation {
			escalations++
		}
	}
	for _, k := range h2.f.kinds() {
		if k == activities.NotifyEscalation {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("escalation messages = %d across the rollover, want 1", escalations)
	}
}

// TestFirstSignalCountsAgainstTheLimit: engine 2 takes the signal that
// started the run before its receiving loop runs, and did not count it, so
// a run rolled over one signal late (TestRecordHistoriesRollover never saw
// the incident continue as new).
func TestFirstSignalCountsAgainstTheLimit(t *testing.T) {
	pol := testPolicy(t, slowLadder)
	h := newHarnessFull(t, pol, nil, nil, activities.Limits{Signals: 2, Events: 1 << 30}, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	dup := sig
	dup.Seq, dup.Alert, dup.Context, dup.First = 2, nil, nil, false
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, dup) }, time.Minute)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if next := continuedInput[workflows.IncidentInput](t, h.env.GetWorkflowError()); next == nil {
		t.Fatalf("no rollover after 2 signals with a limit of 2: %v", h.env.GetWorkflowError())
	}
}

// TestFourEyesApprovalSurvivesRollover: the first approval of two is kept
// across continue-as-new, and the second completes it.
func TestFourEyesApprovalSurvivesRollover(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		slowLadder(p)
		p.Approvals.Destructive = 2
	})
	h := newHarnessFull(t, pol, nil, nil, activities.Limits{Signals: 2, Events: 1 << 30}, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}, &rejected)
	for i := 2; i <= 3; i++ {
		s := sig
		s.Seq, s.Alert, s.Context, s.First = i, nil, nil, false
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, s) }, time.Duration(i)*time.Minute)
	}
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	next := continuedInput[workflows.IncidentInput](t, h.env.GetWorkflowError())
	if next == nil || rejected != nil {
		t.Fatalf("want a rollover after alice's approval: %v, %v", h.env.GetWorkflowError(), rejected)
	}
	if len(next.Resume.Approvals) != 1 || next.Resume.Approvals[0].By != "alice" {
		t.Fatalf("approvals carried = %+v, want alice's", next.Resume.Approvals)
	}
	h2 := newHarnessFull(t, pol, nil, nil, activities.Limits{}, nil)
	h2.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}, &rejected)
	if rejected == nil {
		h2.env.RegisterDelayedCallback(func() {}, 0)
	}
	var second error
	h2.decide(t, 2*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "bob", Via: "cli"}, &second)
	h2.env.ExecuteWorkflow(workflows.IncidentType, *next)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if rejected == nil || !strings.Contains(rejected.Error(), "already approved") {
		t.Errorf("alice approving again after the rollover: %v, want refused as already approved", rejected)
	}
	if second != nil {
		t.Fatalf("bob's approval refused: %v", second)
	}
	if got := strings.Join(h2.f.edrCalls, ","); !strings.Contains(got, "isolate dc01") {
		t.Errorf("EDR calls = %s, want the approved isolation carried out", got)
	}
}

// TestRespondToAlertCarriesPendingAcrossRollover: the first engine lost
// the occurrences counted but not yet forwarded when it continued as new
// (7 counted, 2 forwarded): the new run waited for a new signal that never
// came and ended.
func TestRespondToAlertCarriesPendingAcrossRollover(t *testing.T) {
	pol := testPolicy(t, nil)
	a := networkAlert("dc01", "203.0.113.7")
	resume := workflows.AlertState{
		Fingerprint: "fp", Disposition: workflows.DispositionHandedOff, Alert: a,
		Occurrences: 7, Forwarded: 2, IDs: []string{"id-3", "id-4", "id-5", "id-6", "id-7"}, Engine: 1,
		Route: pol.Route(&a, "fp"), IncidentID: workflows.IncidentWorkflowID(pol.Route(&a, "fp").Key), Seq: 2,
		FirstSeen: a.Time, LastSeen: a.Time,
	}
	h := newHarness(t, pol, nil)
	got := h.captureHandoffs()
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp", Resume: &resume})
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 || (*got)[0].Count != 5 || len((*got)[0].IDs) != 5 || (*got)[0].Total != 7 {
		t.Fatalf("handoffs after the rollover = %+v, want one with the 5 pending occurrences (total 7)", *got)
	}
	if (*got)[0].Alert != nil || (*got)[0].First {
		t.Error("a later handoff resent the whole alert: deltas carry counts and IDs only")
	}
}

// TestRespondToAlertRollsOverBeforeTheSignalLimit: a storm of one
// fingerprint rolls the run over before Temporal's 10,000-signal limit,
// with every occurrence forwarded.
func TestRespondToAlertRollsOverBeforeTheSignalLimit(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarnessFull(t, pol, nil, nil, activities.Limits{Signals: 5, Events: 1 << 30}, nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	sent := 0
	// Signals 0.7 s apart never arrive in the instant a 2 s batching timer
	// started by an earlier one fires: the test environment, unlike the
	// server, completes a run that continues as new in the same instant a
	// signal arrives without redelivering the signal.
	for i := 0; i < 20; i++ {
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, IDs: []string{fmt.Sprint("id-", i)}, ReceivedAt: a.Time})
			sent++
		}, time.Duration(i)*700*time.Millisecond)
	}
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	next := continuedInput[workflows.RespondToAlertInput](t, h.env.GetWorkflowError())
	if next == nil {
		t.Fatalf("no rollover: %v", h.env.GetWorkflowError())
	}
	forwarded := 0
	for _, s := range *got {
		forwarded += s.Count
	}
	st := next.Resume
	if st.Occurrences != sent || forwarded+st.Occurrences-st.Forwarded != sent || st.Forwarded != forwarded {
		t.Fatalf("sent %d, forwarded %d, carried %+v: an occurrence was lost", sent, forwarded, st)
	}
	if next.Policy == nil {
		t.Error("the policy subset was not carried")
	}
}

// TestSuppressionLiftedWhileRunning: the first engine judged suppression
// once per run, so an alert whose suppression was removed kept firing,
// suppressed, for as long as the run lived.
func TestSuppressionLiftedWhileRunning(t *testing.T) {
	suppressed := testPolicy(t, func(p *policy.Policy) {
		p.Triage.Suppressions = []policy.Suppression{{
			Name: "scanner", Match: policy.Match{"src_ip": "203.0.113.*"}, Reason: "authorised scanner",
			Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		}}
	})
	lifted := testPolicy(t, nil)
	h := newHarness(t, suppressed, nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 2, ReceivedAt: a.Time})
	}, 0)
	h.env.RegisterDelayedCallback(func() { h.pol.Store(lifted) }, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time.Add(2 * time.Minute)})
	}, 2*time.Minute)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Disposition != workflows.DispositionHandedOff || len(*got) != 1 || (*got)[0].Count != 3 {
		t.Fatalf("result %+v, handoffs %+v: want handed off with all 3 occurrences once the suppression was removed", res, *got)
	}
}

// TestSuppressionEndsAtExpiry: a suppression that expires ends the run
// it held at its expiry; the first engine held it (suppressed) for as long
// as the alert kept firing, so nothing after the expiry was handed off.
func TestSuppressionEndsAtExpiry(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) { p.Triage.DedupeWindow = 6 * time.Hour })
	h := newHarness(t, pol, nil)
	start := h.env.Now()
	p2 := *pol
	p2.Triage.Suppressions = []policy.Suppression{{
		Name: "window", Match: policy.Match{"src_ip": "203.0.113.*"}, Reason: "change window", Expires: start.Add(30 * time.Minute),
	}}
	h.pol.Store(&p2)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time})
	}, 0)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Disposition != workflows.DispositionSuppressed || !strings.HasSuffix(res.Suppression, "expired") || len(*got) != 0 {
		t.Fatalf("result %+v: want suppressed, marked expired", res)
	}
	if ran := h.env.Now().Sub(start); ran > 35*time.Minute {
		t.Errorf("the run lived %s, want it to end at the suppression's expiry (30m), not after the 6h dedupe window", ran)
	}
}

// TestHandoffRefusedForGoodFailsOnce: the first engine classified
// Temporal's InvalidArgument as retryable and gave the handoff no
// ScheduleToClose, so an alert run past a limit retried forever.
func TestHandoffRefusedForGoodFailsOnce(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	calls := 0
	var hand *activities.Handoff
	h.env.OnActivity(hand.SignalWithStart, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SignalWithStartInput) (activities.SignalWithStartResult, error) {
			calls++
			return activities.SignalWithStartResult{}, temporal.NewNonRetryableApplicationError("signal count limit exceeded", activities.ErrTemporalLimit, nil)
		})
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time})
	}, 0)
	var st workflows.AlertState
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	err := h.env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("workflow error = %v, want the refusal", err)
	}
	if calls != 1 {
		t.Errorf("handoff tried %d times, want once", calls)
	}
	v, qerr := h.env.QueryWorkflow(workflows.QueryStatus)
	if qerr != nil {
		t.Fatal(qerr)
	}
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	if st.Disposition != workflows.DispositionFailed || !strings.Contains(st.Error, "limit") {
		t.Errorf("status = %s %q, want failed with the reason", st.Disposition, st.Error)
	}
}

// TestNewIncidentsFollowTheCurrentEngine: the state says which engine's
// rules it follows, as api.go documents (0 first engine, 1 bounded, 2
// lean).
func TestNewIncidentsFollowTheCurrentEngine(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	sig := incidentSignal(t, pol, networkAlert("dc01", "203.0.113.7"), alert.ContextPacket{}, "alert/fp/run", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var st workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { st = h.state(t) }, time.Minute)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if st.Engine != 3 || st.CaseID == "" || st.PolicyVersion == "" {
		t.Fatalf("engine %d, case %q, policy %q: want engine 3 with a case ID and a policy version", st.Engine, st.CaseID, st.PolicyVersion)
	}
}
