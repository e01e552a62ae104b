package slack_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/slack/slacktest"
)

// TestSocketMode runs the Socket Mode client against the fake's
// WebSocket: a click is acknowledged and becomes the same decision the
// HTTP endpoint makes; a refused one is explained to the responder.
func TestSocketMode(t *testing.T) {
	fake, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	got := make(chan decided, 2)
	d := slack.DeciderFunc(func(_ context.Context, id string, in slack.Request) error {
		got <- decided{id, in}
		if in.Verdict == alert.VerdictEscalate {
			return errEscalate
		}
		return nil
	})
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	sm := &slack.SocketMode{AppToken: slacktest.DefaultAppToken, API: api, Decider: d,
		DispatchOptions: slack.DispatchOptions{Logger: testLogger(t)}}
	go func() { errc <- sm.Run(runCtx) }()

	if err := fake.WaitSocket(ctx); err != nil {
		t.Fatalf("no connection: %v", err)
	}
	env, err := fake.SendInteractive(approveClick(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitAck(ctx, env); err != nil {
		t.Fatalf("no ack for %s: %v", env, err)
	}
	select {
	case g := <-got:
		if g.incident != "incident/host:dc01" || g.in.Verdict != alert.VerdictApprove || g.in.By != "U0ALICE01" ||
			g.in.Via != "slack" || len(g.in.Actions) != 1 || g.in.Actions[0] != "isolate_host:dc01" ||
			g.in.Note != "C2 beacon confirmed in proxy logs" {
			t.Errorf("decision %+v", g)
		}
	case <-ctx.Done():
		t.Fatal("the decider never got the click")
	}

	env, err = fake.SendInteractive(click(t, slack.ActionEscalate, value("incident/host:dc01", "T1", "")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitAck(ctx, env); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v after its context ended, want nil", err)
	}
	// Run waited for the refused escalation to be explained.
	e := only(t, fake.Ephemerals())
	if e.User != "U0ALICE01" || !strings.Contains(e.Text, errEscalate.Error()) {
		t.Errorf("ephemeral %+v", e)
	}
}

type constError string

func (e constError) Error() string { return string(e) }

const errEscalate = constError("tier T1 is the last tier; nobody to escalate to")

func TestSocketModeBadAppToken(t *testing.T) {
	fake := slacktest.New()
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { _ = fake.Close(); ts.Close() })
	api := slack.NewClient(slacktest.DefaultToken, ts.URL, ts.Client())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := slack.RunSocketMode(ctx, "xapp-wrong", api, slack.DeciderFunc(func(context.Context, string, slack.Request) error { return nil }))
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("RunSocketMode = %v, want invalid_auth", err)
	}
}

func TestSocketModeNeedsItsParts(t *testing.T) {
	_, api := setup(t)
	d := slack.DeciderFunc(func(context.Context, string, slack.Request) error { return nil })
	for _, sm := range []*slack.SocketMode{
		{API: api, Decider: d},
		{AppToken: slacktest.DefaultAppToken, Decider: d},
		{AppToken: slacktest.DefaultAppToken, API: api},
	} {
		if err := sm.Run(context.Background()); err == nil {
			t.Errorf("Run(%+v) = nil", sm)
		}
	}
}
