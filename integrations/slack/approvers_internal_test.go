package slack

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/slack/slacktest"
)

// TestApproversTTL: membership is looked up again once the TTL has passed,
// so someone removed from a group loses approval.
func TestApproversTTL(t *testing.T) {
	fake := slacktest.New(slacktest.WithGroups(slacktest.Group{ID: "S0SOCT2", Handle: "soc-t2", Users: []string{"U0BOB0001"}}))
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	a := NewApprovers(NewClient(slacktest.DefaultToken, ts.URL, ts.Client()), time.Minute)
	var mu sync.Mutex
	now := time.Unix(1700000000, 0)
	a.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	ask := func() {
		t.Helper()
		if ok, err := a.Allowed(context.Background(), []string{"@soc-t2"}, "U0BOB0001"); !ok || err != nil {
			t.Fatalf("Allowed = %v, %v", ok, err)
		}
	}
	ask()
	advance(59 * time.Second)
	ask()
	if n := len(fake.Calls()); n != 2 {
		t.Fatalf("%d calls within the TTL, want 2 (list and members once)", n)
	}
	advance(2 * time.Second)
	ask()
	if n := len(fake.Calls()); n != 4 {
		t.Fatalf("%d calls after the TTL, want 4", n)
	}
}
