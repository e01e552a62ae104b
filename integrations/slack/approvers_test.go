package slack_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/slack/slacktest"
)

func TestApproversAllowed(t *testing.T) {
	groups := slacktest.WithGroups(
		slacktest.Group{ID: "S0SOCT2", Handle: "soc-t2", Name: "SOC tier 2", Users: []string{"U0BOB0001", "U0CAROL01"}},
		slacktest.Group{ID: "S0IR00001", Handle: "ir", Name: "Incident response", Users: []string{"U0DAVE001"}},
	)
	tests := []struct {
		name    string
		entries []string
		user    string
		want    bool
		wantErr int // StatusError code, 0 for none
		calls   int // API calls made
	}{
		{"no approvers allows anyone", nil, "U0EVE0001", true, 0, 0},
		{"user ID", []string{"U0ALICE01"}, "U0ALICE01", true, 0, 0},
		{"user mention", []string{"<@U0ALICE01>"}, "U0ALICE01", true, 0, 0},
		{"other user", []string{"U0ALICE01"}, "U0BOB0001", false, 0, 0},
		{"group ID", []string{"S0SOCT2"}, "U0BOB0001", true, 0, 1},
		{"group mention", []string{"<!subteam^S0SOCT2|@soc-t2>"}, "U0CAROL01", true, 0, 1},
		{"group handle", []string{"@soc-t2"}, "U0BOB0001", true, 0, 2},
		{"not in the group", []string{"@soc-t2"}, "U0DAVE001", false, 0, 2},
		{"direct match spares the API", []string{"S0SOCT2", "U0ALICE01"}, "U0ALICE01", true, 0, 0},
		{"second group", []string{"S0SOCT2", "@ir"}, "U0DAVE001", true, 0, 3},
		{"unknown group", []string{"S0NOPE001"}, "U0BOB0001", false, 404, 1},
		{"unknown group, allowed by another", []string{"S0NOPE001", "S0SOCT2"}, "U0BOB0001", true, 0, 2},
		{"unknown handle", []string{"@nobody"}, "U0BOB0001", false, -1, 1},
		{"CLI identity never matches a Slack user", []string{"alice"}, "U0ALICE01", false, 0, 0},
		{"no user", []string{"U0ALICE01"}, "", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, api := setup(t, groups)
			a := slack.NewApprovers(api, time.Minute)
			ok, err := a.Allowed(context.Background(), tt.entries, tt.user)
			if ok != tt.want {
				t.Errorf("Allowed = %v, want %v (err %v)", ok, tt.want, err)
			}
			var se *httpx.StatusError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr == -1 && err == nil:
				t.Error("want an error")
			case tt.wantErr > 0 && (!errors.As(err, &se) || se.Code != tt.wantErr):
				t.Errorf("error %v, want status %d", err, tt.wantErr)
			}
			if got := len(fake.Calls()); got != tt.calls {
				t.Errorf("%d API calls, want %d: %+v", got, tt.calls, fake.Calls())
			}
		})
	}
}

// TestApproversCache: a second question about the same groups within the
// TTL costs no API call.
func TestApproversCache(t *testing.T) {
	fake, api := setup(t, slacktest.WithGroups(slacktest.Group{ID: "S0SOCT2", Handle: "soc-t2", Users: []string{"U0BOB0001"}}))
	a := slack.NewApprovers(api, time.Hour)
	ctx := context.Background()
	for i := range 3 {
		for _, entries := range [][]string{{"@soc-t2"}, {"S0SOCT2"}} {
			if ok, err := a.Allowed(ctx, entries, "U0BOB0001"); !ok || err != nil {
				t.Fatalf("round %d %v: %v, %v", i, entries, ok, err)
			}
		}
	}
	if n := len(fake.CallsTo("usergroups.list")); n != 1 {
		t.Errorf("usergroups.list called %d times, want 1", n)
	}
	if n := len(fake.CallsTo("usergroups.users.list")); n != 1 {
		t.Errorf("usergroups.users.list called %d times, want 1", n)
	}
}

func TestApproversErrorsAreClassified(t *testing.T) {
	fake, api := setup(t)
	fake.Fail("usergroups.users.list", slacktest.Fault{Error: "missing_scope"})
	_, err := slack.NewApprovers(api, 0).Allowed(context.Background(), []string{"S0SOCT2"}, "U0BOB0001")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != 403 {
		t.Fatalf("error %v, want 403", err)
	}
}
