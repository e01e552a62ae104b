package jiratest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/jira"
	"github.com/socflow/socflow/integrations/jira/jiratest"
)

// Example scripts Jira Cloud's lagging search index and a create whose
// answer is lost, and shows that the tracker still opens one issue.
func Example() {
	fake := jiratest.New(jiratest.WithDeployment(jiratest.Cloud), jiratest.WithSearchLag(1))
	ts := httptest.NewServer(fake)
	defer ts.Close()
	defer fake.Close()

	tracker, err := jira.New(ts.Client(), jira.Config{
		URL: ts.URL, Email: jiratest.DefaultEmail, APIToken: jiratest.DefaultAPIToken, Project: "SEC",
	})
	if err != nil {
		panic(err)
	}
	// Jira makes the issue, but a proxy answers 502.
	fake.Fail("POST /rest/api/2/issue", jiratest.Fault{Status: 502, Commit: true})
	card := alert.IncidentCard{IncidentID: "user:alice", Title: "Impossible travel", Score: alert.Score{Priority: alert.P2}}
	// Each attempt stands for one retry of the activity.
	for attempt := 0; attempt < 5; attempt++ {
		key, created, err := tracker.EnsureIssue(context.Background(), card, "")
		if err != nil {
			fmt.Println("retry:", errors.Is(err, jira.ErrCreateUnconfirmed))
			continue
		}
		fmt.Println(key, created, len(fake.Issues()))
		break
	}
	// Output:
	// retry: false
	// retry: true
	// SEC-1 false 1
}
