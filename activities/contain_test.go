package activities_test

import (
	"context"
	"slices"
	"strings"
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

// blocker is an EDR's hash indicators and a mail gateway's sender blocks
// in one: each target's phase is set by the test (unknown: a gateway
// that cannot read its blocks), and each call is recorded.
type blocker struct {
	phase   map[string]activities.Phase
	pending bool // a block is taken and not yet in force
	calls   []string
}

func (b *blocker) read(target string) activities.TargetState {
	p, ok := b.phase[target]
	if !ok {
		return activities.TargetState{Phase: activities.PhaseOff, Vendor: "no indicator"}
	}
	return activities.TargetState{Phase: p, Vendor: string(p), Ref: "ind-" + target}
}

func (b *blocker) set(target string, on bool) {
	if b.phase == nil {
		b.phase = map[string]activities.Phase{}
	}
	if p, ok := b.phase[target]; ok && p == activities.PhaseUnknown {
		return // a gateway that cannot read its blocks stays unknown
	}
	switch {
	case on && b.pending:
		b.phase[target] = activities.PhaseTurningOn
	case on:
		b.phase[target] = activities.PhaseOn
	default:
		b.phase[target] = activities.PhaseOff
	}
}

func (b *blocker) HashState(_ context.Context, h string) (activities.TargetState, error) {
	return b.read(h), nil
}

func (b *blocker) BlockHash(_ context.Context, h, _ string) (string, error) {
	b.calls = append(b.calls, "block "+h)
	b.set(h, true)
	return "ind-" + h, nil
}

func (b *blocker) UnblockHash(_ context.Context, h, ref string) error {
	b.calls = append(b.calls, "unblock "+h+" "+ref)
	b.set(h, false)
	return nil
}

func (b *blocker) DomainState(_ context.Context, d string) (activities.TargetState, error) {
	return b.read(d), nil
}

func (b *blocker) BlockSenderDomain(_ context.Context, d, _ string) (string, error) {
	b.calls = append(b.calls, "block "+d)
	b.set(d, true)
	return "ind-" + d, nil
}

func (b *blocker) UnblockSenderDomain(_ context.Context, d, ref string) error {
	b.calls = append(b.calls, "unblock "+d+" "+ref)
	b.set(d, false)
	return nil
}

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// run executes one Contain activity method on a test environment, with an
// earlier attempt's heartbeat when retry is set.
func run(t *testing.T, c *activities.Contain, method any, in any, retry *earlier) (activities.ContainResult, error) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(c)
	if retry != nil {
		env.SetHeartbeatDetails(retry)
	}
	v, err := env.ExecuteActivity(method, in)
	if err != nil {
		return activities.ContainResult{}, err
	}
	var res activities.ContainResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

// Hash and sender-domain blocks follow the rules written once in apply:
// a target already blocked (by another's indicator) is left as found with
// its reference and nothing sent; a retry after its own block sends
// nothing twice; a block the vendor has not confirmed is pending; an undo
// hands the block's reference back; a target that is not a hash or a
// domain is refused before any call.
func TestBlockRules(t *testing.T) {
	var c *activities.Contain
	for _, tc := range []struct {
		name      string
		kind      alert.ActionKind
		target    string
		phase     activities.Phase // "" : no indicator
		unknown   bool             // the provider cannot read the state
		pending   bool
		retry     *earlier
		calls     []string
		already   bool
		isPending bool
		detail    string
		errType   string
	}{
		{name: "hash: blocked and confirmed", kind: alert.ActionBlockHash, target: sha, calls: []string{"block " + sha}, detail: "blocked " + sha + " (vendor: on)"},
		{name: "hash in upper case: one spelling", kind: alert.ActionBlockHash, target: strings.ToUpper(sha), calls: []string{"block " + sha}},
		{name: "hash: another's indicator blocks it", kind: alert.ActionBlockHash, target: sha, phase: activities.PhaseOn, already: true, detail: "already blocked (vendor: on): left as found"},
		{name: "hash: the vendor has not confirmed", kind: alert.ActionBlockHash, target: sha, pending: true, calls: []string{"block " + sha}, isPending: true, detail: "pending verification"},
		{name: "hash: retry after its own block", kind: alert.ActionBlockHash, target: sha, phase: activities.PhaseOn,
			retry: &earlier{Before: activities.TargetState{Phase: activities.PhaseOff}}},
		{name: "hash: not a hash", kind: alert.ActionBlockHash, target: "evil.exe", errType: activities.ErrBadRequest},
		{name: "domain: blocked, confirmed by the answer", kind: alert.ActionBlockSenderDomain, target: "Evil.Example.", unknown: true,
			calls: []string{"block evil.example"}, detail: "confirmed by the vendor's answer"},
		{name: "domain: already blocked", kind: alert.ActionBlockSenderDomain, target: "evil.example", phase: activities.PhaseOn, already: true},
		{name: "domain: a URL is refused", kind: alert.ActionBlockSenderDomain, target: "https://evil.example/x", errType: activities.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &blocker{pending: tc.pending}
			norm := strings.ToLower(strings.TrimSuffix(tc.target, "."))
			if tc.phase != "" || tc.unknown {
				b.phase = map[string]activities.Phase{norm: tc.phase}
			}
			in := activities.ContainInput{IncidentID: "i", Action: alert.NewAction(tc.kind, tc.target, "test")}
			do := any(c.BlockHash)
			if tc.kind == alert.ActionBlockSenderDomain {
				do = c.BlockSenderDomain
			}
			res, err := run(t, &activities.Contain{Hashes: b, Domains: b}, do, in, tc.retry)
			if tc.errType != "" {
				if !activities.IsType(err, tc.errType) || len(b.calls) != 0 {
					t.Fatalf("err %v, calls %v; want %s before any call", err, b.calls, tc.errType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.calls, tc.calls) || res.Already != tc.already || res.Pending != tc.isPending || !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("calls %v, already %v, pending %v (%q); want %v, %v, %v, %q", b.calls, res.Already, res.Pending, res.Detail, tc.calls, tc.already, tc.isPending, tc.detail)
			}
			if tc.already && res.Reference != "ind-"+norm {
				t.Errorf("left as found with reference %q, want the vendor's indicator", res.Reference)
			}
		})
	}
}

// A pending hash block is verified once the EDR shows it, and its undo
// deletes the indicator the block made, by its reference.
func TestHashBlockVerifiedThenUndone(t *testing.T) {
	var c *activities.Contain
	b := &blocker{pending: true}
	contain := &activities.Contain{Hashes: b}
	in := activities.ContainInput{IncidentID: "i", Action: alert.NewAction(alert.ActionBlockHash, sha, "test")}
	res, err := run(t, contain, c.BlockHash, in, nil)
	if err != nil || !res.Pending || res.Reference != "ind-"+sha {
		t.Fatalf("block = %+v, %v; want pending with the indicator's reference", res, err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(contain)
	verify := func() activities.VerifyResult {
		v, err := env.ExecuteActivity(c.Verify, activities.VerifyInput{IncidentID: "i", Action: in.Action, Reference: res.Reference})
		if err != nil {
			t.Fatal(err)
		}
		var vr activities.VerifyResult
		if err := v.Get(&vr); err != nil {
			t.Fatal(err)
		}
		return vr
	}
	if vr := verify(); vr.Done {
		t.Fatalf("verified while the EDR still says %s", b.phase[sha])
	}
	b.phase[sha] = activities.PhaseOn
	if vr := verify(); !vr.Done {
		t.Fatalf("not verified once the EDR says on: %+v", vr)
	}
	in.Reference = res.Reference
	ures, err := run(t, contain, c.UnblockHash, in, nil)
	if err != nil || ures.Pending || ures.Already {
		t.Fatalf("unblock = %+v, %v", ures, err)
	}
	if want := []string{"block " + sha, "unblock " + sha + " ind-" + sha}; !slices.Equal(b.calls, want) {
		t.Errorf("calls %v, want %v", b.calls, want)
	}
}

// sessions is an identity provider that only revokes sessions.
type sessions struct{ calls []string }

func (s *sessions) RevokeSessions(_ context.Context, u string) error {
	s.calls = append(s.calls, "revoke "+u)
	return nil
}

// Revoking sessions has no state to read: every attempt revokes (which is
// harmless twice), the vendor's answer confirms it, Verify has nothing to
// wait for, and the result says there is nothing to undo. Without an
// identity provider it is not configured, naming the key.
func TestRevokeSessions(t *testing.T) {
	var c *activities.Contain
	s := &sessions{}
	in := activities.ContainInput{IncidentID: "i", Action: alert.NewAction(alert.ActionRevokeSessions, "bob", "test")}
	res, err := run(t, &activities.Contain{Sessions: s}, c.RevokeSessions, in, nil)
	if err != nil || res.Already || res.Pending {
		t.Fatalf("revoke = %+v, %v", res, err)
	}
	if want := "revoked the sessions of bob (confirmed by the vendor's answer); nothing to undo: sessions cannot be restored"; res.Detail != want {
		t.Errorf("detail %q, want %q", res.Detail, want)
	}
	if _, err := run(t, &activities.Contain{Sessions: s}, c.RevokeSessions, in, &earlier{Before: activities.TargetState{}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.calls, []string{"revoke bob", "revoke bob"}) {
		t.Errorf("calls %v, want a revocation per attempt", s.calls)
	}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Contain{Sessions: s})
	v, err := env.ExecuteActivity(c.Verify, activities.VerifyInput{IncidentID: "i", Action: in.Action})
	var vr activities.VerifyResult
	if err != nil || v.Get(&vr) != nil || !vr.Done {
		t.Errorf("verify = %+v, %v; want done", vr, err)
	}
	_, err = run(t, &activities.Contain{Accounts: &idp{}}, c.RevokeSessions, in, nil)
	if !activities.IsType(err, activities.ErrNotConfigured) || !strings.Contains(err.Error(), "integrations.idp") {
		t.Errorf("no session revoker: %v", err)
	}
	drill, err := run(t, &activities.Contain{}, c.RevokeSessions, activities.ContainInput{Action: in.Action, Drill: true}, nil)
	if err != nil || !strings.Contains(drill.Detail, "nothing to undo") {
		t.Errorf("drill = %+v, %v", drill, err)
	}
}
