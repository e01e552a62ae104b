package activities_test

import (
	"context"
	"slices"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// idp is an identity provider whose account state is set by the test,
// recording the calls made.
type idp struct {
	phase activities.Phase
	calls []string
}

func (p *idp) AccountState(context.Context, string) (activities.TargetState, error) {
	return activities.TargetState{Phase: p.phase, Vendor: string(p.phase)}, nil
}

func (p *idp) DisableUser(_ context.Context, u string) error {
	p.calls = append(p.calls, "disable "+u)
	p.phase = activities.PhaseOn
	return nil
}

func (p *idp) EnableUser(_ context.Context, u string) error {
	p.calls = append(p.calls, "enable "+u)
	p.phase = activities.PhaseOff
	return nil
}

func (p *idp) RevokeSessions(_ context.Context, u string) error {
	p.calls = append(p.calls, "revoke "+u)
	return nil
}

// earlier is the heartbeat an earlier attempt left: the state it found.
type earlier struct {
	Before activities.TargetState `json:"before"`
}

// The activity decides from the state, once for every provider: a target
// already so is left as found; a retry after its own request took effect
// sends nothing twice but finishes it (sessions revoked again); a target
// the vendor confirms is done.
func TestContainDecidesFromTheState(t *testing.T) {
	in := activities.ContainInput{IncidentID: "incident/user:bob", Action: alert.NewAction(alert.ActionDisableUser, "bob", "test")}
	for _, tc := range []struct {
		name    string
		phase   activities.Phase
		retry   *earlier
		calls   []string
		already bool
		pending bool
	}{
		{name: "off: disabled and verified", phase: activities.PhaseOff, calls: []string{"disable bob"}},
		{name: "already suspended (HR): left as found", phase: activities.PhaseOn, already: true},
		{name: "suspending: left as found", phase: activities.PhaseTurningOn, already: true},
		{name: "retry after our own request: finished, not sent again", phase: activities.PhaseOn,
			retry: &earlier{Before: activities.TargetState{Phase: activities.PhaseOff}}, calls: []string{"revoke bob"}},
		{name: "retry of a target already so before the first attempt", phase: activities.PhaseOn,
			retry: &earlier{Before: activities.TargetState{Phase: activities.PhaseOn}}, already: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			p := &idp{phase: tc.phase}
			env.RegisterActivity(&activities.Contain{Accounts: p})
			if tc.retry != nil {
				env.SetHeartbeatDetails(tc.retry)
			}
			v, err := env.ExecuteActivity((&activities.Contain{}).DisableUser, in)
			if err != nil {
				t.Fatal(err)
			}
			var res activities.ContainResult
			if err := v.Get(&res); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.calls, tc.calls) || res.Already != tc.already || res.Pending != tc.pending {
				t.Errorf("calls %v, already %v, pending %v (%q); want %v, %v, %v", p.calls, res.Already, res.Pending, res.Detail, tc.calls, tc.already, tc.pending)
			}
		})
	}
}

// A host isolation the EDR has taken and not confirmed is pending, and
// Verify reports it done once the EDR says so.
func TestIsolationPendingThenVerified(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	e := &edr{}
	env.RegisterActivity(&activities.Contain{Isolator: e})
	in := activities.ContainInput{IncidentID: "i", Action: alert.NewAction(alert.ActionIsolateHost, "ws-1", "test")}
	v, err := env.ExecuteActivity((&activities.Contain{}).IsolateHost, in)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ContainResult
	if err := v.Get(&res); err != nil || !res.Pending || res.State != "containment_pending" || res.Reference != "dev-1" {
		t.Fatalf("isolate: %+v, %v; want pending (containment_pending) with the device's reference", res, err)
	}
	e.phase, e.vendor = activities.PhaseOn, "contained"
	v, err = env.ExecuteActivity((&activities.Contain{}).Verify, activities.VerifyInput{IncidentID: "i", Action: in.Action, Reference: res.Reference})
	if err != nil {
		t.Fatal(err)
	}
	var vr activities.VerifyResult
	if err := v.Get(&vr); err != nil || !vr.Done || vr.State != "contained" {
		t.Fatalf("verify: %+v, %v; want done (contained)", vr, err)
	}
}

type edr struct {
	phase  activities.Phase
	vendor string
	sent   int
}

func (e *edr) HostState(context.Context, alert.Host, string) (activities.TargetState, error) {
	if e.phase == "" {
		return activities.TargetState{Phase: activities.PhaseOff, Vendor: "normal"}, nil
	}
	return activities.TargetState{Phase: e.phase, Vendor: e.vendor, Ref: "dev-1"}, nil
}

func (e *edr) IsolateHost(context.Context, alert.Host, string) (string, error) {
	e.sent++
	e.phase, e.vendor = activities.PhaseTurningOn, "containment_pending"
	return "dev-1", nil
}

func (e *edr) ReleaseHost(context.Context, alert.Host, string) (string, error) {
	e.phase, e.vendor = activities.PhaseTurningOff, "lift_containment_pending"
	return "dev-1", nil
}
