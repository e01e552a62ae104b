package playbookstest_test

import (
	"strings"
	"testing"
	"time"

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
