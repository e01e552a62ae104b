package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows"
)

const phishSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// The fakes' session, hash and sender-domain capabilities: hash and
// domain blocks land at once; a revocation has no state.

func (f *fakes) RevokeSessions(_ context.Context, user string) error {
	f.record(&f.idpCalls, "revoke "+user)
	return nil
}

func (f *fakes) HashState(_ context.Context, hash string) (activities.TargetState, error) {
	return f.state("hash:" + hash), nil
}

func (f *fakes) BlockHash(_ context.Context, hash, _ string) (string, error) {
	f.record(&f.edrCalls, "block hash "+hash)
	f.set("hash:"+hash, true)
	return "ioc-" + hash[:8], nil
}

func (f *fakes) UnblockHash(_ context.Context, hash, ref string) error {
	f.record(&f.edrCalls, "unblock hash "+hash+" "+ref)
	f.set("hash:"+hash, false)
	return nil
}

func (f *fakes) DomainState(_ context.Context, d string) (activities.TargetState, error) {
	return f.state("domain:" + d), nil
}

func (f *fakes) BlockSenderDomain(_ context.Context, d, _ string) (string, error) {
	if f.failBlock != 0 {
		f.record(&f.edrCalls, "block-failed domain "+d)
		return "", &httpx.StatusError{Method: "POST", URL: "/blocked-senders", Code: f.failBlock}
	}
	f.record(&f.edrCalls, "block domain "+d)
	f.set("domain:"+d, true)
	return "rule-" + d, nil
}

func (f *fakes) UnblockSenderDomain(_ context.Context, d, ref string) error {
	f.record(&f.edrCalls, "unblock domain "+d+" "+ref)
	f.set("domain:"+d, false)
	return nil
}

// phishing proposes the three kinds that answer a phish, in this order:
// sign the recipient out, block the attachment, block the sender.
func phishing() playbooks.Playbook {
	return playbooks.Playbook{Name: "phishing-test",
		Actions: []alert.ActionKind{alert.ActionRevokeSessions, alert.ActionBlockHash, alert.ActionBlockSenderDomain},
		Run: func(ctx workflow.Context, c playbooks.Case) error {
			return playbooks.Respond(ctx, c, []alert.Action{
				alert.NewAction(alert.ActionRevokeSessions, "bob", "phished"),
				alert.NewAction(alert.ActionBlockHash, phishSHA, "attachment"),
				alert.NewAction(alert.ActionBlockSenderDomain, "evil.example", "sender"),
			})
		}}
}

// runPhishing runs the phishing playbook with alice approving a minute
// in, and then what verdict says at 20 minutes (none: nothing).
func runPhishing(t *testing.T, h *harness, revert bool) (workflows.IncidentResult, workflows.IncidentState) {
	t.Helper()
	pol := h.pol.Load()
	a := networkAlert("ws-1", "203.0.113.7")
	a.Entities.Users = []alert.User{{Name: "bob"}}
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	sig.Route.Playbook = "phishing-test"
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	if revert {
		h.decide(t, 20*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "alice", Note: "phishing test"}, &r2)
	}
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(r1, r2); err != nil {
		t.Fatal(err)
	}
	return res, h.audit(t)
}

// A revert undoes the hash and sender-domain blocks newest first, each by
// its reference, and passes the revoked sessions by: there is nothing to
// restore, the result says so and stays done.
func TestActionWithoutAnUndoIsNeverUndone(t *testing.T) {
	registryOverride[t.Name()] = playbooks.NewRegistry(phishing())
	defer delete(registryOverride, t.Name())
	h := newHarness(t, testPolicy(t, nil), nil)
	res, st := runPhishing(t, h, true)
	if got, want := strings.Join(h.f.edrCalls, ","), "block hash "+phishSHA+",block domain evil.example,unblock domain evil.example rule-evil.example,unblock hash "+phishSHA+" ioc-9f86d081"; got != want {
		t.Errorf("EDR and mail calls:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(h.f.idpCalls, ","); got != "revoke bob" {
		t.Errorf("identity calls %s, want one revocation and no undo", got)
	}
	r := result(t, st, "revoke_sessions:bob")
	if r.Status != alert.ActionDone || !strings.Contains(r.Detail, "nothing to undo: sessions cannot be restored") || !r.LeaseUntil.IsZero() {
		t.Errorf("revoke_sessions ended %s (%q, lease %v), want done, saying there is nothing to undo, without a lease", r.Status, r.Detail, r.LeaseUntil)
	}
	for _, id := range []string{"block_hash:" + phishSHA, "block_sender_domain:evil.example"} {
		if r := result(t, st, id); r.Status != alert.ActionReverted {
			t.Errorf("%s ended %s, want reverted", id, r.Status)
		}
	}
	if res.Status != workflows.StatusFalsePositive || !strings.Contains(timeline(st), "reverted 2 action(s)") {
		t.Errorf("status %s, timeline:\n%s\nwant false_positive after reverting 2 actions", res.Status, timeline(st))
	}
}

// When the sender-domain block fails, the saga undoes the hash block and
// leaves the revocation as it is: the sessions stay ended, which the
// approver approved and cannot be taken back.
func TestActionSagaSkipsWhatHasNoUndo(t *testing.T) {
	registryOverride[t.Name()] = playbooks.NewRegistry(phishing())
	defer delete(registryOverride, t.Name())
	h := newHarness(t, testPolicy(t, nil), nil)
	h.f.failBlock = 403
	res, st := runPhishing(t, h, false)
	if got, want := strings.Join(h.f.edrCalls, ","), "block hash "+phishSHA+",block-failed domain evil.example,unblock hash "+phishSHA+" ioc-9f86d081"; got != want {
		t.Errorf("EDR and mail calls:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(h.f.idpCalls, ","); got != "revoke bob" {
		t.Errorf("identity calls %s, want the revocation alone", got)
	}
	if r := result(t, st, "revoke_sessions:bob"); r.Status != alert.ActionDone {
		t.Errorf("revoke_sessions ended %s, want done", r.Status)
	}
	if res.Status != workflows.StatusPartial || !strings.Contains(timeline(st), "saga: undid 1 earlier action(s)") {
		t.Errorf("status %s, timeline:\n%s\nwant partial, one action undone", res.Status, timeline(st))
	}
}
