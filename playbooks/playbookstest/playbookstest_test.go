package playbookstest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/playbookstest"
)

// TestRunReportsRefusalsAndTheTimeline: an answer naming an action the
// playbook did not propose is refused and reported; the playbook's notes
// are in the timeline; a playbook without a Run is an error.
func TestRunReportsRefusalsAndTheTimeline(t *testing.T) {
	pb := playbooks.Playbook{Name: "note-and-ask", Run: func(ctx workflow.Context, c playbooks.Case) error {
		c.Note(ctx, "looking at "+c.View().Title)
		return playbooks.Respond(ctx, c, []alert.Action{alert.NewAction(alert.ActionBlockIP, "203.0.113.9", "test")})
	}}
	a := alert.Alert{Source: "zeek", Rule: "r", Title: "odd traffic", Category: "network", Severity: alert.SeverityLow,
		Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Entities: alert.Entities{IPs: []alert.IP{{Addr: "203.0.113.9", Direction: alert.DirectionSource}}}}
	res, err := playbookstest.Run(playbookstest.Options{Playbook: pb, Alert: a, Answers: []playbookstest.Answer{
		{After: time.Minute, By: "alice", Verdict: alert.VerdictApprove, Actions: []string{"isolate_host:nowhere"}},
		{After: 2 * time.Minute, By: "alice", Verdict: alert.VerdictApprove},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) != 1 || !strings.Contains(res.Refused[0], "isolate_host:nowhere") {
		t.Errorf("refused %q, want the answer naming an action not proposed", res.Refused)
	}
	if res.Status != alert.StatusContained || strings.Join(res.Calls, ",") != "block 203.0.113.9" {
		t.Errorf("got %s", res)
	}
	if !strings.Contains(strings.Join(res.Lines(), "\n"), "looking at odd traffic") {
		t.Errorf("the playbook's note is not in the timeline:\n%s", res)
	}
	if _, err := playbookstest.Run(playbookstest.Options{Playbook: playbooks.Playbook{Name: "empty"}}); err == nil {
		t.Error("a playbook without Run ran")
	}
}

// TestViewIsADeepCopy: a playbook sees the alerts' rules and ATT&CK
// techniques, and what it changes in its View (the context packet's asset
// and intel hits included) does not reach the incident.
func TestViewIsADeepCopy(t *testing.T) {
	var first, second playbooks.View
	pb := playbooks.Playbook{Name: "meddler", Run: func(ctx workflow.Context, c playbooks.Case) error {
		first = c.View()
		first.Context.Asset.Tier = 4
		first.Context.IntelHits[0].Indicator = "changed"
		first.Rules[0], first.Techniques[0] = "changed", "changed"
		second = c.View()
		return nil
	}}
	a := alert.Alert{Source: "defender", Rule: "Emotet", Title: "Emotet on ws-042", Category: "malware", Severity: alert.SeverityHigh,
		Techniques: []string{"T1059.001", "T1105"}, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "ws-042"}}}}
	pkt := alert.ContextPacket{Asset: &alert.Asset{Name: "ws-042", Tier: 2}, IntelHits: []alert.IntelHit{{Indicator: "198.51.100.23"}}}
	if _, err := playbookstest.Run(playbookstest.Options{Playbook: pb, Alert: a, Context: pkt}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(second.Techniques, ",") != "T1059.001,T1105" || strings.Join(second.Rules, ",") != "Emotet" {
		t.Errorf("view rules %v techniques %v, want the alert's", second.Rules, second.Techniques)
	}
	if second.Context.Asset.Tier != 2 || second.Context.IntelHits[0].Indicator != "198.51.100.23" {
		t.Errorf("the playbook's changes to its view reached the incident: asset %+v, hits %+v", second.Context.Asset, second.Context.IntelHits)
	}
}

// verdicts is a playbook's own activity, as an engineer's worker would
// register it: a hash lookup that knows one bad hash and fails on an
// empty one.
type verdicts struct{}

// LookupHash is the activity.
func (verdicts) LookupHash(_ context.Context, hash string) (string, error) {
	switch hash {
	case "":
		return "", temporal.NewNonRetryableApplicationError("no hash given", "BadRequest", nil)
	case "44d88612fea8a8f36de82e1278abb02f":
		return "malicious", nil
	}
	return "unknown", nil
}

// TestSteps: a playbook that waits, runs its own activity, tells the tier
// and comments on the ticket before deciding; the failing call's error
// reaches it, and everything is in the timeline.
func TestSteps(t *testing.T) {
	pb := playbooks.Playbook{Name: "hash-check", Run: func(ctx workflow.Context, c playbooks.Case) error {
		if err := c.Wait(ctx, 10*time.Minute, "let the EDR's telemetry arrive"); err != nil {
			return err
		}
		var verdict string
		if err := c.Run(ctx, "LookupHash", "44d88612fea8a8f36de82e1278abb02f", &verdict); err != nil {
			return err
		}
		if err := c.Run(ctx, "LookupHash", "", nil); err == nil {
			c.Note(ctx, "an empty hash was looked up without error")
		}
		if verdict == "malicious" {
			if err := c.Notify(ctx, "the dropped file is known malware"); err != nil {
				return err
			}
			if err := c.Comment(ctx, "hash verdict: "+verdict); err != nil {
				return err
			}
		}
		return playbooks.Respond(ctx, c, []alert.Action{alert.NewAction(alert.ActionIsolateHost, "ws-042", "known malware")})
	}}
	a := alert.Alert{Source: "defender", Rule: "Dropper", Title: "Dropper on ws-042", Category: "malware", Severity: alert.SeverityHigh,
		Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Entities: alert.Entities{Hosts: []alert.Host{{Name: "ws-042"}}}}
	res, err := playbookstest.Run(playbookstest.Options{Playbook: pb, Alert: a, Activities: []any{&verdicts{}},
		Answers: []playbookstest.Answer{{After: 15 * time.Minute, By: "alice", Verdict: alert.VerdictApprove}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != alert.StatusContained || strings.Join(res.Calls, ",") != "isolate ws-042" {
		t.Fatalf("got %s", res)
	}
	if strings.Join(res.Messages, "|") != "the dropped file is known malware" || !slices.Contains(res.Comments, "hash verdict: malicious") {
		t.Errorf("messages %q comments %q", res.Messages, res.Comments)
	}
	text := strings.Join(res.Lines(), "\n")
	for _, want := range []string{"+1s       playbook playbook:hash-check waiting 10m: let the EDR's telemetry arrive",
		"LookupHash failed: no hash given", "told T2: the dropped file is known malware"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "without error") {
		t.Error("the failed call returned no error")
	}
	// The decision came after the wait: the wait held the playbook.
	for _, e := range res.Timeline {
		if e.Stage == alert.StageEscalate && strings.HasPrefix(e.Message, "asked ") && e.At.Before(a.Time.Add(10*time.Minute)) {
			t.Errorf("asked for a decision at %s, before the 10m wait ended", e.At)
		}
	}
}

// TestPhishingKinds: a playbook can propose the three kinds a phish calls
// for and its table test asserts the vendor calls: the recipient's
// sessions revoked, the attachment's hash and the sender's domain
// blocked; a revert lifts both blocks, newest first, and leaves the
// revocation (it has no undo) as done. A hash blocked before socflow came
// is left as found.
func TestPhishingKinds(t *testing.T) {
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const theirs = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	pb := playbooks.Playbook{Name: "phishing", Actions: []alert.ActionKind{alert.ActionRevokeSessions, alert.ActionBlockHash, alert.ActionBlockSenderDomain},
		Run: func(ctx workflow.Context, c playbooks.Case) error {
			return playbooks.Respond(ctx, c, []alert.Action{
				alert.NewAction(alert.ActionRevokeSessions, "bob@example.com", "opened the attachment"),
				alert.NewAction(alert.ActionBlockHash, sha, "the attachment"),
				alert.NewAction(alert.ActionBlockHash, theirs, "a second attachment"),
				alert.NewAction(alert.ActionBlockSenderDomain, "evil.example", "the sender"),
			})
		}}
	a := alert.Alert{Source: "o365", Rule: "phish", Title: "Phish to bob", Category: "email", Severity: alert.SeverityHigh,
		Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Entities: alert.Entities{Users: []alert.User{{Name: "bob@example.com"}}}}
	res, err := playbookstest.Run(playbookstest.Options{Playbook: pb, Alert: a, Already: []string{"hash:" + theirs}, Answers: []playbookstest.Answer{
		{After: time.Minute, By: "alice", Verdict: alert.VerdictApprove},
		{After: time.Hour, By: "alice", Verdict: alert.VerdictRevert, Note: "simulation"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"revoke bob@example.com", "block hash " + sha, "block domain evil.example", "unblock domain evil.example", "unblock hash " + sha}
	if !slices.Equal(res.Calls, want) {
		t.Errorf("calls %q, want %q", res.Calls, want)
	}
	status := map[string]alert.ActionStatus{}
	for _, r := range res.Executed {
		status[r.Action.ID] = r.Status
	}
	if status["revoke_sessions:bob@example.com"] != alert.ActionDone || status["block_hash:"+theirs] != alert.ActionLeftAsFound ||
		status["block_hash:"+sha] != alert.ActionReverted || status["block_sender_domain:evil.example"] != alert.ActionReverted {
		t.Errorf("results %v", status)
	}
}
