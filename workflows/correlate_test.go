package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

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
