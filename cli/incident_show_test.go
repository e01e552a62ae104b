package cli

import (
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

// TestIncidentShowGolden: the whole case as text (score and why, context,
// alerts, proposed actions, decisions, containment, times, how to decide)
// and as JSON; an unknown incident is ExitNotFound. With containment under
// way, each result reads as its summary (verification, lease) as of the
// golden clock, and a lease in force says how to renew it.
func TestIncidentShowGolden(t *testing.T) {
	isolate := alert.NewAction(alert.ActionIsolateHost, "dc01", "P1 on a tier 1 asset")
	block := alert.NewAction(alert.ActionBlockIP, "203.0.113.7", "external source on the watchlist")
	leases := []alert.ActionResult{
		{Action: block, Status: alert.ActionDone, Reference: "ind-77", Detail: "indicator added", At: at(5 * time.Minute), LeaseUntil: at(4 * time.Hour)},
		{Action: isolate, Status: alert.ActionPending, Reference: "ma-9", State: "containment_pending", At: at(6 * time.Minute),
			VerifyBy: at(16 * time.Minute), LeaseUntil: at(24 * time.Hour)},
		{Action: alert.NewAction(alert.ActionDisableUser, "svc-backup", ""), Status: alert.ActionLeftAsFound, At: at(6 * time.Minute)},
	}
	for _, c := range []struct {
		goldenCase
		// results, when set, replace the fixture's; questions are added.
		results   []alert.ActionResult
		questions []alert.Question
	}{
		{goldenCase: goldenCase{name: "text", args: []string{"incident", "show", "host:dc01"}}},
		{goldenCase: goldenCase{name: "json", args: []string{"incident", "show", "incident/host:dc01", "-o", "json"}}},
		{goldenCase: goldenCase{name: "not-found", args: []string{"incident", "show", "host:nope"}, code: ExitNotFound}},
		{goldenCase: goldenCase{name: "leases", args: []string{"incident", "show", "host:dc01"}}, results: leases},
		{goldenCase: goldenCase{name: "questions", args: []string{"incident", "show", "host:dc01"}}, questions: []alert.Question{
			{ID: "isolate-now", Text: "Isolate dc01 before the backup window?", Options: []string{"yes", "no"}, Tier: "T2", AskedAt: at(3 * time.Minute), Deadline: at(33 * time.Minute), Default: "no"},
			{ID: "q1", Text: "Who owns dc01?", Tier: "T1", AskedAt: at(time.Minute), Deadline: at(16 * time.Minute),
				Answer: &alert.QuestionAnswer{Value: "infra team", By: "bob", Via: "slack", At: at(2 * time.Minute)}},
			{ID: "q2", Text: "Page the owner?", Options: []string{"yes", "no"}, Tier: "T1", AskedAt: at(time.Minute), Deadline: at(16 * time.Minute),
				Answer: &alert.QuestionAnswer{Value: "no", At: at(16 * time.Minute), TimedOut: true}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fi := dc01()
			if c.results != nil {
				fi.state.Results = c.results
			}
			fi.state.Questions = c.questions
			f, out, errOut := testFactory(nil)
			f.Incidents = fi.open
			runGolden(t, "incident-show", f, out, errOut, c.goldenCase)
			if len(fi.opened) != 1 || !fi.opened[0] || fi.closed != 1 {
				t.Errorf("opened %v, closed %d times; want opened once with the case files, then closed", fi.opened, fi.closed)
			}
		})
	}
}
