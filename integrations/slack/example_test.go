package slack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/slack/slacktest"
)

// A notifier posts the incident once, then edits that message as the
// incident moves on, replying in its thread.
func ExampleNotifier() {
	fake := slacktest.New(slacktest.WithChannels(slacktest.Channel{ID: "C0SOCT1", Name: "soc-t1"}))
	srv := httptest.NewServer(fake)
	defer srv.Close()

	api := slack.NewClient(slacktest.DefaultToken, srv.URL, srv.Client())
	n := slack.New(api, slack.Options{UIBaseURL: "http://127.0.0.1:8233"})
	card := alert.IncidentCard{
		IncidentID: "incident/host:prn-01", Title: "Network anomaly on prn-01",
		Status: alert.StatusAwaiting, Tier: "T1", Channel: "#soc-t1",
		Score:    alert.Score{Value: 25, Priority: alert.P4},
		Proposed: []alert.Action{alert.NewAction(alert.ActionBlockIP, "203.0.113.7", "watchlisted")},
	}
	ctx := context.Background()
	ref, err := n.Notify(ctx, alert.NotifyEscalation, card, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(ref)
	fmt.Println(fake.Messages("#soc-t1")[0].ActionIDs())

	card.Status = alert.StatusDenied
	card.History = []alert.Decision{{Verdict: alert.VerdictDeny, By: "U0ALICE01", Via: "slack", Tier: "T1", At: time.Unix(1700000000, 0)}}
	if _, err := n.Notify(ctx, alert.NotifyDecision, card, ref); err != nil {
		panic(err)
	}
	fmt.Println(fake.Messages("#soc-t1")[0].ActionIDs())
	fmt.Println(fake.Thread("#soc-t1", "1700000000.000001")[0].Text)
	// Output:
	// slack:C0SOCT1:1700000000.000001
	// [socflow_note socflow_approve:0 socflow_approve_all socflow_deny socflow_escalate socflow_false_positive]
	// []
	// :no_entry_sign: *deny* by <@U0ALICE01> (T1, via slack, <!date^1700000000^{date_short_pretty} {time_secs}|2023-11-14T22:13:20Z>)
}

// Interactions is mounted where Slack's Request URL points; Close waits
// for the decisions still being sent.
func ExampleNewInteractions() {
	api := slack.NewClient("xoxb-your-bot-token", "", nil)
	decide := slack.DeciderFunc(func(ctx context.Context, incidentID string, in slack.Request) error {
		// incidents.Service.Decide sends the decide update and waits for it.
		return nil
	})
	h, err := slack.NewInteractions(slack.InteractionsOptions{
		SigningSecret: "your-signing-secret",
		Decider:       decide,
		API:           api,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/interactions", h)

	// At shutdown, after the HTTP server stopped taking requests:
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = h.Close(ctx)
}
