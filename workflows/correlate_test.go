package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// captureAll records every handoff, whatever its target.
func (h *harness) captureAll() func() []activities.SignalWithStartInput {
	var mu sync.Mutex
	var got []activities.SignalWithStartInput
	var hand *activities.Handoff
	h.env.OnActivity(hand.SignalWithStart, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SignalWithStartInput) (activities.SignalWithStartResult, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, in)
			return activities.SignalWithStartResult{RunID: "run"}, nil
		})
	return func() []activities.SignalWithStartInput {
		mu.Lock()
		defer mu.Unlock()
		return append([]activities.SignalWithStartInput(nil), got...)
	}
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func withShippedRules(t *testing.T) *policy.Policy {
	cs, err := config.LoadSigmaDir("../examples/rules")
	if err != nil {
		t.Fatal(err)
	}
	return testPolicy(t, func(p *policy.Policy) { p.Correlations = cs })
}

func login(user, src string, at time.Time) alert.Alert {
	return alert.Alert{
		ID: "login-" + user, Source: "okta", Rule: "User login failure", Title: "Failed login for " + user,
		Category: "identity", Severity: alert.SeverityLow, Time: at,
		Entities: alert.Entities{Users: []alert.User{{Name: user}}, IPs: []alert.IP{{Addr: src, Direction: alert.DirectionSource}}},
	}
}

func TestFailedLoginOnlyFeedsCorrelations(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	calls := h.captureAll()
	a := login("alice", "203.0.113.50", t0)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 3, ReceivedAt: t0})
	}, 0)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 2, ReceivedAt: t0.Add(time.Minute)})
	}, time.Minute)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Disposition != workflows.DispositionCorrelationInput || res.IncidentID != "" || res.Occurrences != 5 {
		t.Fatalf("result = %+v, want a correlation input with 5 occurrences and no incident", res)
	}
	counts := map[string]int{}
	for _, c := range calls() {
		if c.Signal != workflows.SignalEvent || c.WorkflowType != workflows.CorrelateType {
			t.Fatalf("unexpected handoff %s %s to %s", c.WorkflowType, c.Signal, c.WorkflowID)
		}
		var s workflows.CorrelationSignal
		if err := json.Unmarshal(c.SignalArg, &s); err != nil {
			t.Fatal(err)
		}
		counts[c.WorkflowID] += s.Event.Count
	}
	want := map[string]int{
		"correlation/many_failed_logins/src_ip=203.0.113.50": 5,
		"correlation/password_spray/src_ip=203.0.113.50":     5,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("fed %v, want %v", counts, want)
	}
}

// runWindow runs one correlation window with the given signals, each sent
// at its offset, and returns the alerts it raised.
func runWindow(t *testing.T, rule, key string, sigs map[time.Duration]workflows.CorrelationSignal) ([]alert.Alert, workflows.CorrelateResult) {
	t.Helper()
	h := newHarness(t, withShippedRules(t), nil)
	calls := h.captureAll()
	for at, s := range sigs {
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalEvent, s) }, at)
	}
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: rule, Key: key})
	var res workflows.CorrelateResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	var raised []alert.Alert
	for _, c := range calls() {
		if c.WorkflowType != workflows.RespondToAlertType || !strings.HasPrefix(c.WorkflowID, "alert/correlation-") {
			t.Fatalf("unexpected handoff to %s", c.WorkflowID)
		}
		var s workflows.AlertSignal
		if err := json.Unmarshal(c.SignalArg, &s); err != nil {
			t.Fatal(err)
		}
		if err := s.Alert.Validate(); err != nil {
			t.Errorf("raised alert does not validate: %v", err)
		}
		raised = append(raised, s.Alert)
	}
	return raised, res
}

func sprayEvent(user string, seq int, at time.Time) workflows.CorrelationSignal {
	a := login(user, "203.0.113.50", at)
	return workflows.CorrelationSignal{
		Source: "alert/" + user + "/run", Seq: seq,
		Event:    policy.CorrelationEvent{Ref: "failed_login", Time: at, Count: 1, Value: user, AlertID: a.ID},
		Entities: a.Entities,
	}
}

func TestPasswordSprayFires(t *testing.T) {
	sigs := map[time.Duration]workflows.CorrelationSignal{}
	for i, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		sigs[time.Duration(i+1)*time.Minute] = sprayEvent(u, 1, t0.Add(time.Duration(i)*time.Minute))
	}
	// A redelivered signal must not count twice.
	sigs[10*time.Minute] = sprayEvent("alice", 1, t0)
	raised, res := runWindow(t, "password_spray", "src_ip=203.0.113.50", sigs)
	if len(raised) != 1 || res.Fired != 1 {
		t.Fatalf("raised %d alerts (fired %d), want 1", len(raised), res.Fired)
	}
	a := raised[0]
	if a.Correlation != "password_spray" || a.Severity != alert.SeverityHigh || len(a.Related) != 5 || a.Category != "identity" {
		t.Errorf("correlated alert = %+v", a)
	}
	if len(a.Entities.Users) != 5 || a.SourceIP() != "203.0.113.50" || a.Techniques[0] != "T1110.003" {
		t.Errorf("correlated alert entities %+v techniques %v", a.Entities, a.Techniques)
	}
}

func TestPasswordSprayTooSlowDoesNotFire(t *testing.T) {
	sigs := map[time.Duration]workflows.CorrelationSignal{}
	for i, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		// Ten minutes apart: never five users within thirty minutes.
		sigs[time.Duration(i+1)*10*time.Minute] = sprayEvent(u, 1, t0.Add(time.Duration(i)*10*time.Minute))
	}
	raised, _ := runWindow(t, "password_spray", "src_ip=203.0.113.50", sigs)
	if len(raised) != 0 {
		t.Fatalf("raised %+v", raised)
	}
}

func TestProcessThenFirewallBlockOrdered(t *testing.T) {
	host := alert.Entities{Hosts: []alert.Host{{Name: "ws-042"}}}
	mk := func(ref string, seq int, at time.Time) workflows.CorrelationSignal {
		return workflows.CorrelationSignal{Source: "alert/" + ref, Seq: seq, Entities: host,
			Event: policy.CorrelationEvent{Ref: ref, Time: at, Count: 1, AlertID: ref + at.String()}}
	}
	// The block before the process does not count; the process then a
	// block three minutes later does.
	raised, _ := runWindow(t, "process_then_firewall_block", "host=ws-042", map[time.Duration]workflows.CorrelationSignal{
		time.Minute:     mk("firewall_block", 1, t0),
		2 * time.Minute: mk("new_process", 1, t0.Add(time.Minute)),
		3 * time.Minute: mk("firewall_block", 2, t0.Add(4*time.Minute)),
	})
	if len(raised) != 1 || raised[0].PrimaryHost() != "ws-042" || raised[0].Category != "network" {
		t.Fatalf("raised %+v", raised)
	}
	raised, _ = runWindow(t, "process_then_firewall_block", "host=ws-042", map[time.Duration]workflows.CorrelationSignal{
		time.Minute:     mk("new_process", 1, t0),
		2 * time.Minute: mk("firewall_block", 1, t0.Add(6*time.Minute)),
	})
	if len(raised) != 0 {
		t.Fatalf("a block six minutes after the process fired: %+v", raised)
	}
}

func TestTriggerSendsCorrelatedIncidentStraightToIR(t *testing.T) {
	pol := withShippedRules(t)
	h := newHarness(t, pol, nil)
	// A P3 alert on dc01 waits at T1...
	a := networkAlert("dc01", "192.0.2.1")
	a.Severity = alert.SeverityLow
	low := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1, Role: "file-server"}}, "alert/a/run", 1, 1)
	low.Score.Tier = "T1"
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, low) }, 0)
	// ...until a correlated alert joins: the trigger matrix sends it to IR.
	c := a
	c.ID, c.Rule, c.Correlation = "corr", "process_then_firewall_block", "process_then_firewall_block"
	corr := incidentSignal(t, pol, c, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1, Role: "file-server"}}, "alert/b/run", 1, 1)
	corr.Score = low.Score
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, corr) }, 5*time.Minute)
	var st workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { st = h.state(t) }, 6*time.Minute)
	var rejected error
	h.decide(t, 7*time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "ir"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: "host:dc01"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if st.Tier != "IR" || st.Trigger != "correlation-on-critical-asset" {
		t.Fatalf("after the correlated alert: tier %s trigger %q, want IR by correlation-on-critical-asset", st.Tier, st.Trigger)
	}
	var tiers []string
	for _, n := range h.f.notes {
		if n.Kind == activities.NotifyEscalation {
			tiers = append(tiers, n.Card.Tier)
		}
	}
	if strings.Join(tiers, ",") != "T1,IR" {
		t.Errorf("escalations %v, want T1 then IR (no T2)", tiers)
	}
	if rejected != nil {
		t.Error(rejected)
	}
}

// captureAllAfter is captureAll with every handoff taking d on the
// workflow clock, so that events can arrive while a window raises.
func (h *harness) captureAllAfter(d time.Duration) func() []activities.SignalWithStartInput {
	var mu sync.Mutex
	var got []activities.SignalWithStartInput
	var hand *activities.Handoff
	h.env.OnActivity(hand.SignalWithStart, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SignalWithStartInput) (activities.SignalWithStartResult, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, in)
			return activities.SignalWithStartResult{RunID: "run"}, nil
		}).After(d)
	return func() []activities.SignalWithStartInput {
		mu.Lock()
		defer mu.Unlock()
		return append([]activities.SignalWithStartInput(nil), got...)
	}
}

// continuedAs returns the state the window continued as new with.
func continuedAs(t *testing.T, h *harness) workflows.CorrelationState {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("window ended with %v, want continue-as-new", err)
	}
	var in workflows.CorrelateInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Resume == nil {
		t.Fatal("continued as new without its state")
	}
	return *in.Resume
}

func windowState(t *testing.T, h *harness) workflows.CorrelationState {
	t.Helper()
	v, err := h.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.CorrelationState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// sources counts the alert runs a window remembers for deduplication.
func sources(st workflows.CorrelationState) int { return len(st.Seen) + len(st.Sources) }

const sprayKey = "src_ip=203.0.113.50"

var sprayUsers = []string{"alice", "bob", "carol", "dave", "erin"}

// TestCorrelateContinueAsNewKeepsBookkeeping: a redelivery and a new
// event arrive while the window raises its alert, and Temporal suggests
// continuing as new. The next run must know the redelivery for one and
// have the new event's source and entities.
func TestCorrelateContinueAsNewKeepsBookkeeping(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	calls := h.captureAllAfter(time.Minute)
	h.env.RegisterDelayedCallback(func() {
		for i, u := range sprayUsers {
			h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent(u, 1, t0.Add(time.Duration(i)*time.Minute)))
		}
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SetContinueAsNewSuggested(true)
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("alice", 1, t0))
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("frank", 1, t0.Add(6*time.Minute)))
	}, time.Minute+30*time.Second)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	st := continuedAs(t, h)
	if len(calls()) != 1 || st.Fired != 1 || len(st.Raised) != 1 {
		t.Fatalf("raised %d alerts, state fired %d raised %v; want one", len(calls()), st.Fired, st.Raised)
	}
	if len(st.Events) != 1 || st.Events[0].Value != "frank" {
		t.Errorf("carried events %+v, want only frank's (alice's is a redelivery)", st.Events)
	}
	if n := sources(st); n != 6 {
		t.Errorf("carried %d sources, want 6 (five users and frank)", n)
	}
	if !slices.ContainsFunc(st.Entities.Users, func(u alert.User) bool { return u.Name == "frank" }) {
		t.Errorf("carried entities %+v, want frank among the users", st.Entities)
	}
}

// TestCorrelateRollsOverOnLongHistory: the window continues as new before
// its history reaches Temporal's limit, suggested or not.
func TestCorrelateRollsOverOnLongHistory(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	h.captureAll()
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("alice", 1, t0))
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SetCurrentHistoryLength(activities.DefaultLimits.Events + 1)
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("bob", 1, t0.Add(time.Minute)))
	}, 2*time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	if st := continuedAs(t, h); len(st.Events) != 2 || sources(st) != 2 {
		t.Fatalf("carried events %+v and %d sources, want alice's and bob's", st.Events, sources(st))
	}
}

// TestCorrelateRollsOverAfterManySignals: Temporal terminates a run at
// 10,000 signals, so a hot window moves on well before, every signal it
// took carried into the next run.
func TestCorrelateRollsOverAfterManySignals(t *testing.T) {
	const n = 10
	h := newHarnessFull(t, withShippedRules(t), nil, nil, activities.Limits{Signals: n, Events: 1 << 30}, nil)
	h.captureAll()
	h.env.RegisterDelayedCallback(func() {
		for i := range n {
			// One user: the spray never fires.
			h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("alice", i+1, t0))
		}
	}, time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	if st := continuedAs(t, h); len(st.Events) != n {
		t.Fatalf("carried %d events, want all %d", len(st.Events), n)
	}
}

// TestCorrelateWindowStaysBounded runs a hot key for two hours, a new
// source a minute and so a spray every five: the window must remember only
// the sources of its last timespan and list only its last raised alerts.
func TestCorrelateWindowStaysBounded(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	h.captureAll()
	const n = 120
	for i := range n {
		u := fmt.Sprintf("user%03d", i)
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent(u, 1, t0.Add(time.Duration(i)*time.Minute)))
		}, time.Duration(i+1)*time.Minute)
	}
	var st workflows.CorrelationState
	h.env.RegisterDelayedCallback(func() { st = windowState(t, h) }, (n+1)*time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	var res workflows.CorrelateResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// The timespan is 30m: a source a minute, the last 30 are remembered.
	if got := sources(st); got > 31 {
		t.Errorf("window remembers %d sources after %d minutes, want the last 30 minutes' worth", got, n)
	}
	if st.Fired != n/5 || len(st.Raised) != workflows.MaxRaised || !strings.HasSuffix(st.Raised[len(st.Raised)-1], fmt.Sprintf("-%d", n/5)) {
		t.Errorf("state fired %d and lists %d raised (last %q), want %d fired and the last %d listed",
			st.Fired, len(st.Raised), st.Raised[len(st.Raised)-1], n/5, workflows.MaxRaised)
	}
	if res.Fired != n/5 || len(res.Raised) != workflows.MaxRaised {
		t.Errorf("result fired %d and lists %d raised, want %d and %d", res.Fired, len(res.Raised), n/5, workflows.MaxRaised)
	}
}

// TestCorrelateNamesUniqueAcrossWindows runs two windows on one key, one
// after the other. The second window's first alert must not take the
// first's fingerprint, or it would join the first alert's run (open for
// its dedupe window) as a duplicate; nor its alert ID, which an incident
// and an outer correlation tell alerts apart by.
func TestCorrelateNamesUniqueAcrossWindows(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	calls := h.captureAll()
	id := workflows.CorrelationWorkflowID("password_spray", sprayKey)
	h.env.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		for w := range 2 {
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id})
			f := workflow.ExecuteChildWorkflow(cctx, workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
			if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
				return err
			}
			at := workflow.Now(ctx)
			for i, u := range sprayUsers {
				s := sprayEvent(u, 1, at.Add(time.Duration(i)*time.Second))
				s.Source = fmt.Sprintf("alert/%s/run%d", u, w)
				if err := f.SignalChildWorkflow(ctx, workflows.SignalEvent, s).Get(ctx, nil); err != nil {
					return err
				}
			}
			if err := f.Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}, workflow.RegisterOptions{Name: "TwoWindows"})
	h.env.ExecuteWorkflow("TwoWindows")
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var fps, ids []string
	for _, c := range calls() {
		var s workflows.AlertSignal
		if err := json.Unmarshal(c.SignalArg, &s); err != nil {
			t.Fatal(err)
		}
		fps, ids = append(fps, c.WorkflowID), append(ids, s.Alert.ID)
	}
	if len(fps) != 2 || fps[0] == fps[1] || ids[0] == ids[1] {
		t.Fatalf("raised %v with alert IDs %v, want two alerts, each named apart", fps, ids)
	}
}

// localActivities records the local activities the harness runs.
func localActivities(h *harness) func() []string {
	var mu sync.Mutex
	var names []string
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, info.ActivityType.Name)
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(names)
	}
}

// TestCorrelateReadsOnlyItsRule: a window records its own rule in its
// history, not the whole policy with every Sigma rule body.
func TestCorrelateReadsOnlyItsRule(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	calls := h.captureAll()
	las := localActivities(h)
	h.env.RegisterDelayedCallback(func() {
		for i, u := range sprayUsers {
			h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent(u, 1, t0.Add(time.Duration(i)*time.Minute)))
		}
	}, time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := las(); !slices.Equal(got, []string{"GetCorrelationRule"}) {
		t.Errorf("local activities %v, want only GetCorrelationRule", got)
	}
	if len(calls()) != 1 {
		t.Errorf("raised %d alerts, want 1", len(calls()))
	}
}

// TestCorrelateRuleGoneClosesWindow: a reload removed the rule.
func TestCorrelateRuleGoneClosesWindow(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	h.captureAll()
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "no_such_rule", Key: sprayKey})
	var res workflows.CorrelateResult
	if err := h.env.GetWorkflowResult(&res); err != nil || res.Fired != 0 {
		t.Fatalf("result %+v, %v; want a window closed without firing", res, err)
	}
}

// TestCorrelateOldWindowKeepsItsPath: a window that began before the
// correlate changes replays as it ran: the whole policy read, the old
// names, no rollover unless Temporal suggests it.
func TestCorrelateOldWindowKeepsItsPath(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	h.env.OnGetVersion("correlate-rule-only", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnGetVersion("correlate-bounded-window", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	calls := h.captureAll()
	las := localActivities(h)
	h.env.RegisterDelayedCallback(func() {
		h.env.SetCurrentHistoryLength(1 << 20)
		for i, u := range sprayUsers {
			h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent(u, 1, t0.Add(time.Duration(i)*time.Minute)))
		}
	}, time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey})
	var res workflows.CorrelateResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if got := las(); !slices.Equal(got, []string{"GetPolicy"}) {
		t.Errorf("local activities %v, want GetPolicy as before", got)
	}
	c := calls()
	if len(c) != 1 || !regexp.MustCompile(`^alert/correlation-password_spray-[0-9a-f]{12}-1$`).MatchString(c[0].WorkflowID) {
		t.Fatalf("raised %v, want one alert named as before", c)
	}
}

// TestCorrelateResumesOldState: state carried from a window before the
// change keeps deduplicating its sources.
func TestCorrelateResumesOldState(t *testing.T) {
	h := newHarness(t, withShippedRules(t), nil)
	h.captureAll()
	resume := workflows.CorrelationState{Rule: "password_spray", Key: sprayKey, Seen: map[string]int{"alert/alice/run": 1},
		Fired: 30, Raised: make([]string, 30)}
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("alice", 1, t0))
		h.env.SignalWorkflow(workflows.SignalEvent, sprayEvent("bob", 1, t0))
	}, time.Minute)
	var st workflows.CorrelationState
	h.env.RegisterDelayedCallback(func() { st = windowState(t, h) }, 2*time.Minute)
	h.env.ExecuteWorkflow(workflows.CorrelateType, workflows.CorrelateInput{Rule: "password_spray", Key: sprayKey, Resume: &resume})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(st.Events) != 1 || st.Events[0].Value != "bob" || len(st.Sources) != 2 || st.Seen != nil {
		t.Errorf("state events %+v sources %d seen %v, want bob's event only, both sources in Sources", st.Events, len(st.Sources), st.Seen)
	}
	if st.Fired != 30 || len(st.Raised) != workflows.MaxRaised || st.Started.IsZero() {
		t.Errorf("state fired %d, lists %d raised, started %v; want 30, %d, and a start", st.Fired, len(st.Raised), st.Started, workflows.MaxRaised)
	}
}
