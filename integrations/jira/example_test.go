package jira_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/jira"
	"github.com/socflow/socflow/integrations/jira/jiratest"
)

func Example() {
	fake := jiratest.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()

	tracker, err := jira.New(ts.Client(), jira.Config{
		URL:         ts.URL,
		Email:       jiratest.DefaultEmail,
		APIToken:    jiratest.DefaultAPIToken,
		Project:     "SEC",
		Transitions: jira.Transitions{Contain: "Contain", Close: "Close"},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	card := alert.IncidentCard{
		IncidentID: "host:dc01",
		Title:      "Network anomaly on dc01",
		Score:      alert.Score{Value: 100, Priority: alert.P1},
	}
	key, created, err := tracker.EnsureIssue(ctx, card, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(key, created)
	// A retry finds the same issue.
	key, created, err = tracker.EnsureIssue(ctx, card, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(key, created)

	decision := alert.Decision{Verdict: alert.VerdictApprove, By: "alice", Via: "cli", Tier: "IR"}
	if err := tracker.Comment(ctx, key, jira.DecisionComment(decision)); err != nil {
		panic(err)
	}
	if err := tracker.MarkContained(ctx, key); err != nil {
		panic(err)
	}
	issue, _ := fake.Issue(key)
	fmt.Println(issue.Summary)
	fmt.Println(issue.Status)
	fmt.Print(issue.Comments[0])
	// Output:
	// SEC-1 true
	// SEC-1 false
	// [P1] Network anomaly on dc01
	// Contained
	// *Decision:* approve by alice (IR) via cli
}
