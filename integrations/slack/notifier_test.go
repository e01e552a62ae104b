package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/slack/slacktest"
	"github.com/socflow/socflow/workflows"
)

var _ activities.Notifier = (*slack.Notifier)(nil)

// The tiers' channels in the fake workspace.
const (
	t1ID = "C0SOCT1"
	t2ID = "C0SOCT2"
)

// setup serves a fake Slack on loopback and returns a client for it.
func setup(t *testing.T, opts ...slacktest.Option) (*slacktest.Server, *slackapi.Client) {
	t.Helper()
	fake := slacktest.New(append([]slacktest.Option{slacktest.WithChannels(
		slacktest.Channel{ID: t1ID, Name: "soc-t1"},
		slacktest.Channel{ID: t2ID, Name: "soc-t2"},
	)}, opts...)...)
	ts := httptest.NewServer(fake)
	t.Cleanup(func() {
		_ = fake.Close() // releases hung calls, so that ts.Close does not wait on them
		ts.Close()
	})
	return fake, slack.NewClient(slacktest.DefaultToken, ts.URL, ts.Client())
}

// testLogger writes to the test's own output, shown with -v or on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newNotifier(t *testing.T, api *slackapi.Client) *slack.Notifier {
	return slack.New(api, slack.Options{
		Logger:    testLogger(t),
		UIBaseURL: "http://127.0.0.1:8233",
		Namespace: "default",
		TicketURL: func(id string) string { return "https://jira.example.com/browse/SOC-42" },
	})
}

// decidedAt is when the sample decisions were made.
func decidedAt() time.Time { return time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC) }

// sampleCard is a P1 incident asking T1 to decide on a destructive and a
// harmless action.
func sampleCard() activities.IncidentCard {
	return activities.IncidentCard{
		IncidentID: "incident/host:dc01",
		Title:      "Network anomaly on dc01",
		Status:     workflows.StatusAwaiting,
		Tier:       "T1",
		Channel:    "#soc-t1",
		Score: alert.Score{
			Value: 100, Priority: alert.P1, Tier: "T1", SLA: 15 * time.Minute,
			Factors: []alert.Factor{
				{Name: "base", Detail: "severity high", Effect: "+60"},
				{Name: "asset", Detail: "dc01 tier 1", Effect: "x1.5"},
			},
		},
		Hosts:       []string{"dc01"},
		Users:       []string{"svc-backup"},
		Alerts:      2,
		Occurrences: 5,
		Context: alert.ContextPacket{
			Asset:     &alert.Asset{Name: "dc01", Tier: 1, Role: "domain-controller", Owner: "identity-team"},
			IntelHits: []alert.IntelHit{{Indicator: "203.0.113.7", Type: "ipv4", Source: "abuse-feed", Confidence: 80}},
			Gaps:      []alert.Gap{{Source: "events", Reason: "timeout after 2s"}},
		},
		Proposed: []alert.Action{
			alert.NewAction(alert.ActionIsolateHost, "dc01", "beaconing to a watchlisted address"),
			alert.NewAction(alert.ActionBlockIP, "203.0.113.7", "watchlisted C2"),
		},
	}
}

func notify(t *testing.T, n *slack.Notifier, kind activities.NotifyKind, card activities.IncidentCard, ref string) string {
	t.Helper()
	got, err := n.Notify(context.Background(), kind, card, ref)
	if err != nil {
		t.Fatalf("Notify(%s, ref %q): %v", kind, ref, err)
	}
	return got
}

func parseRef(t *testing.T, ref string) slack.Ref {
	t.Helper()
	r, err := slack.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func contains(texts []string, sub string) bool {
	return slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, sub) })
}

func only(t *testing.T, msgs []slacktest.Message) slacktest.Message {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1: %+v", len(msgs), msgs)
	}
	return msgs[0]
}

func TestEscalationPostsTheCard(t *testing.T) {
	fake, api := setup(t)
	card := sampleCard()
	ref := notify(t, newNotifier(t, api), activities.NotifyEscalation, card, "")

	r := parseRef(t, ref)
	if r.Channel != t1ID || ref != "slack:"+t1ID+":"+r.TS {
		t.Fatalf("ref = %q, want slack:%s:<ts>", ref, t1ID)
	}
	m := only(t, fake.Messages(t1ID))
	if m.TS != r.TS {
		t.Errorf("message ts %s, ref ts %s", m.TS, r.TS)
	}

	wantIDs := []string{"socflow_note", "socflow_approve:0", "socflow_approve:1", slack.ActionApproveAll, slack.ActionDeny, slack.ActionEscalate, slack.ActionFalsePositive}
	if got := m.ActionIDs(); !slices.Equal(got, wantIDs) {
		t.Errorf("action IDs = %q, want %q", got, wantIDs)
	}
	buttons := m.Buttons()
	for _, b := range buttons {
		var v struct{ Incident, Tier, Action string }
		if err := json.Unmarshal([]byte(b.Value), &v); err != nil || v.Incident != card.IncidentID || v.Tier != "T1" {
			t.Errorf("button %s value %q does not name the incident and tier", b.ActionID, b.Value)
		}
		switch b.ActionID {
		case "socflow_approve:0": // isolate_host: destructive
			if b.Style != "danger" || b.Confirm == nil || v.Action != "isolate_host:dc01" || b.Text.Text != "Approve isolate_host:dc01" {
				t.Errorf("destructive approval %+v: want danger, a confirm dialog and the action", b)
			}
		case "socflow_approve:1":
			if b.Style != "primary" || b.Confirm != nil || v.Action != "block_ip:203.0.113.7" {
				t.Errorf("harmless approval %+v: want primary, no confirm and the action", b)
			}
		case slack.ActionApproveAll:
			if b.Style != "danger" || b.Confirm == nil || v.Action != "" {
				t.Errorf("approve all %+v: a destructive action is among them, want danger and confirm", b)
			}
		}
	}

	texts := m.Texts()
	for _, want := range []string{
		":red_circle: P1 Network anomaly on dc01", // header
		"100/100",                            // score
		"T1 in #soc-t1 (respond within 15m)", // tier
		"severity high\n  asset",             // score explanation, a line per factor
		"dc01 tier 1 (domain-controller)",    // context packet
		"gap: events: timeout after 2s",      // a gap speaks
		"`isolate_host:dc01` isolate_host dc01 _(destructive)_: beaconing",
		"http://127.0.0.1:8233/namespaces/default/workflows/incident%2Fhost:dc01|Open in Temporal",
		"https://jira.example.com/browse/SOC-42|Ticket",
	} {
		if !contains(texts, want) {
			t.Errorf("message lacks %q:\n%s", want, strings.Join(texts, "\n"))
		}
	}
	for _, l := range card.Context.Lines() {
		if !contains(texts, l) {
			t.Errorf("context line %q missing", l)
		}
	}
	if !strings.Contains(m.Text, "awaiting a decision at T1") {
		t.Errorf("fallback text %q", m.Text)
	}
}

func TestRetryWithTheSameRefNeverPostsTwice(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref := notify(t, n, activities.NotifyEscalation, card, "")

	for i := range 3 {
		if got := notify(t, n, activities.NotifyEscalation, card, ref); got != ref {
			t.Fatalf("retry %d returned %q, want %q", i, got, ref)
		}
	}
	if got := len(fake.Messages(t1ID)); got != 1 {
		t.Fatalf("%d top-level messages after retries, want 1", got)
	}
	if got := len(fake.Updates()); got != 3 {
		t.Errorf("%d updates, want 3", got)
	}
	if got := len(fake.Messages(t2ID)); got != 0 {
		t.Errorf("%d messages in T2's channel", got)
	}
}

// TestSameChannelByName: a notifier that never posted (a restarted worker)
// learns the channel's name from conversations.info, once.
func TestSameChannelByName(t *testing.T) {
	fake, api := setup(t)
	card := sampleCard()
	ref := notify(t, newNotifier(t, api), activities.NotifyEscalation, card, "")

	restarted := newNotifier(t, api)
	for range 2 {
		if got := notify(t, restarted, activities.NotifyEscalation, card, ref); got != ref {
			t.Fatalf("got ref %q, want %q", got, ref)
		}
	}
	if got := len(fake.Messages(t1ID)); got != 1 {
		t.Fatalf("%d top-level messages, want 1", got)
	}
	if got := len(fake.CallsTo("conversations.info")); got != 1 {
		t.Errorf("conversations.info called %d times, want 1 (then cached)", got)
	}
}

func TestEscalationToTheNextTierPostsInItsChannel(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref1 := notify(t, n, activities.NotifyEscalation, card, "")
	r1 := parseRef(t, ref1)

	card.Tier, card.Channel = "T2", "#soc-t2"
	card.History = []alert.Decision{{
		Verdict: alert.VerdictEscalate, By: "U0ALICE01", Via: "slack", Tier: "T1", At: decidedAt(),
		Note: "beyond T1: domain controller",
	}}
	ref2 := notify(t, n, activities.NotifyEscalation, card, ref1)
	r2 := parseRef(t, ref2)
	if r2.Channel != t2ID {
		t.Fatalf("ref %q, want a message in %s", ref2, t2ID)
	}

	m2 := only(t, fake.Messages(t2ID))
	texts := m2.Texts()
	for _, want := range []string{"Decisions so far", "*escalate* by <@U0ALICE01> (T1, via slack", "beyond T1: domain controller", "dc01 tier 1 (domain-controller)", "T2 in #soc-t2"} {
		if !contains(texts, want) {
			t.Errorf("T2 message lacks %q:\n%s", want, strings.Join(texts, "\n"))
		}
	}
	if !slices.Contains(m2.ActionIDs(), slack.ActionApproveAll) {
		t.Errorf("T2 message has no buttons: %q", m2.ActionIDs())
	}

	// T1's message gives up its buttons and says where the incident went.
	m1 := only(t, fake.Messages(t1ID))
	if ids := m1.ActionIDs(); len(ids) != 0 {
		t.Errorf("T1 message still has controls %q", ids)
	}
	if !contains(m1.Texts(), "*Escalated to T2*: continued in <#"+t2ID+">") {
		t.Errorf("T1 message does not point to T2:\n%s", strings.Join(m1.Texts(), "\n"))
	}
	if th := fake.Thread(t1ID, r1.TS); len(th) != 1 || !strings.Contains(th[0].Text, "<#"+t2ID+">") {
		t.Errorf("T1 thread = %+v, want one reply pointing to T2", th)
	}

	// The activity retried with the new reference: still one message in T2.
	if got := notify(t, n, activities.NotifyEscalation, card, ref2); got != ref2 {
		t.Fatalf("retry returned %q, want %q", got, ref2)
	}
	if got := len(fake.Messages(t2ID)); got != 1 {
		t.Errorf("%d messages in T2 after a retry, want 1", got)
	}
}

// TestEscalationSurvivesTheOldMessage: the old message cannot be updated
// (rate limited); the escalation still succeeds with the new reference, or
// the retry would post in T2 again.
func TestEscalationSurvivesTheOldMessage(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref1 := notify(t, n, activities.NotifyEscalation, card, "")

	fake.Fail("chat.update", slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3"})
	card.Tier, card.Channel = "T2", t2ID
	ref2, err := n.Notify(context.Background(), activities.NotifyEscalation, card, ref1)
	if err != nil {
		t.Fatalf("escalation failed with the old message's error: %v", err)
	}
	if parseRef(t, ref2).Channel != t2ID {
		t.Fatalf("ref %q", ref2)
	}
}

func TestUpdateRepliesAndRefreshes(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref := notify(t, n, activities.NotifyEscalation, card, "")
	r := parseRef(t, ref)

	card.Alerts, card.Occurrences = 3, 9
	if got := notify(t, n, activities.NotifyUpdate, card, ref); got != ref {
		t.Fatalf("update returned %q, want %q", got, ref)
	}
	reply := only(t, fake.Thread(t1ID, r.TS))
	if !strings.Contains(reply.Text, "now *3* alert(s) (9 occurrences)") {
		t.Errorf("reply %q", reply.Text)
	}
	m := only(t, fake.Messages(t1ID))
	if m.Edits != 1 || !contains(m.Texts(), "3 (9 occurrences)") {
		t.Errorf("summary not refreshed: edits %d\n%s", m.Edits, strings.Join(m.Texts(), "\n"))
	}
	if !slices.Contains(m.ActionIDs(), slack.ActionDeny) {
		t.Error("the refreshed summary lost its buttons while still awaiting a decision")
	}
}

// TestBreachIsShownInTheChannel: an SLA breach replies in the incident's
// thread and is broadcast to the tier's channel, and the message keeps its
// buttons while the incident still awaits a decision.
func TestBreachIsShownInTheChannel(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref := notify(t, n, activities.NotifyEscalation, card, "")
	r := parseRef(t, ref)
	card.Breach = &alert.SLABreach{SLA: alert.SLAAcknowledge, Due: decidedAt(), Priority: alert.P1}
	notify(t, n, activities.NotifySLABreach, card, ref)
	reply := only(t, fake.Thread(t1ID, r.TS))
	if !reply.Broadcast || !strings.Contains(reply.Text, "*SLA breached*: P1 not acknowledged by "+decidedAt().UTC().Format(time.RFC3339)) {
		t.Errorf("reply broadcast %v, text %q", reply.Broadcast, reply.Text)
	}
	m := only(t, fake.Messages(t1ID))
	if !slices.Contains(m.ActionIDs(), slack.ActionDeny) {
		t.Error("the breach notice took the buttons of an incident still awaiting a decision")
	}
}

func TestOutcomeReplacesTheButtons(t *testing.T) {
	approved := alert.Decision{
		Verdict: alert.VerdictApprove, Actions: []string{"isolate_host:dc01"}, By: "U0BOB0001",
		Via: "slack", Tier: "T1", At: decidedAt(), Note: "confirmed beacon",
	}
	done := alert.ActionResult{Action: sampleCard().Proposed[0], Status: alert.ActionDone, Reference: "ma-123", At: decidedAt().Add(time.Minute)}
	leased := done
	leased.LeaseUntil = done.At.Add(4 * time.Hour)
	pending := done
	pending.Status, pending.State, pending.VerifyBy = alert.ActionPending, "containment_pending", done.At.Add(10*time.Minute)
	leftAsFound := done
	leftAsFound.Status, leftAsFound.LeaseUntil = alert.ActionLeftAsFound, leased.LeaseUntil
	tests := []struct {
		name       string
		kind       activities.NotifyKind
		status     string
		results    []alert.ActionResult
		wantIDs    []string
		wantTexts  []string
		wantThread string
	}{
		{
			name: "decision", kind: activities.NotifyDecision, status: workflows.StatusContaining,
			wantTexts: []string{
				":white_check_mark: *Approved* by <@U0BOB0001> (T1, via slack, <!date^1741084200^{date_short_pretty} {time_secs}|2025-03-04T10:30:00Z>)",
				"Actions: isolate_host:dc01", "> confirmed beacon",
			},
			wantThread: "*approve* by <@U0BOB0001>",
		},
		{
			name: "containment", kind: activities.NotifyContainment, status: workflows.StatusContained,
			results:    []alert.ActionResult{done},
			wantIDs:    []string{slack.ActionRevert},
			wantTexts:  []string{"*Containment*", ":white_check_mark: `isolate_host:dc01` done (ref ma-123)"},
			wantThread: "`isolate_host:dc01` done",
		},
		{
			name: "leased", kind: activities.NotifyContainment, status: workflows.StatusContained,
			results:    []alert.ActionResult{leased},
			wantIDs:    []string{slack.ActionRevert, slack.ActionRenew},
			wantTexts:  []string{":white_check_mark: `isolate_host:dc01` done, lease until 14:31Z (ref ma-123)"},
			wantThread: "done, lease until 14:31Z",
		},
		{
			name: "pending", kind: activities.NotifyContainment, status: alert.StatusUnverified,
			results: []alert.ActionResult{pending},
			// A pending action is in force, and so revertable; without a
			// lease there is nothing to renew.
			wantIDs:    []string{slack.ActionRevert},
			wantTexts:  []string{":hourglass_flowing_sand: `isolate_host:dc01` pending verification (vendor: containment_pending; verify by 10:41Z) (ref ma-123)"},
			wantThread: "pending verification",
		},
		{
			name: "left as found", kind: activities.NotifyContainment, status: workflows.StatusContained,
			results: []alert.ActionResult{leftAsFound},
			// socflow sent nothing, so there is nothing to revert or renew.
			wantIDs:    nil,
			wantTexts:  []string{":eyes: `isolate_host:dc01` left as found (already isolated; socflow will not undo it)"},
			wantThread: "left as found",
		},
		{
			name: "closed", kind: activities.NotifyClosed, status: workflows.StatusClosed,
			results:    []alert.ActionResult{done},
			wantTexts:  []string{"*Approved* by <@U0BOB0001>"},
			wantThread: ":lock: Closed: *closed*",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, api := setup(t)
			n := newNotifier(t, api)
			card := sampleCard()
			ref := notify(t, n, activities.NotifyEscalation, card, "")

			card.Status, card.History, card.Results = tt.status, []alert.Decision{approved}, tt.results
			if got := notify(t, n, tt.kind, card, ref); got != ref {
				t.Fatalf("returned %q, want %q", got, ref)
			}
			m := only(t, fake.Messages(t1ID))
			if got := m.ActionIDs(); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("controls = %q, want %q (decision buttons gone)", got, tt.wantIDs)
			}
			for _, want := range tt.wantTexts {
				if !contains(m.Texts(), want) {
					t.Errorf("message lacks %q:\n%s", want, strings.Join(m.Texts(), "\n"))
				}
			}
			reply := only(t, fake.Thread(t1ID, parseRef(t, ref).TS))
			if !strings.Contains(reply.Text, tt.wantThread) {
				t.Errorf("thread reply %q lacks %q", reply.Text, tt.wantThread)
			}
		})
	}
}

// TestDeletedMessageIsPostedAgain: someone deleted the incident's message;
// the next notification posts a new one and returns its reference.
func TestDeletedMessageIsPostedAgain(t *testing.T) {
	fake, api := setup(t)
	card := sampleCard()
	gone := "slack:" + t1ID + ":1600000000.000001"
	ref, err := newNotifier(t, api).Notify(context.Background(), activities.NotifyUpdate, card, gone)
	if err != nil {
		t.Fatal(err)
	}
	if ref == gone || len(fake.Messages(t1ID)) != 1 {
		t.Fatalf("ref %q, %d messages: want a new message", ref, len(fake.Messages(t1ID)))
	}
}

// TestForeignRef: a console reference from before Slack was configured
// starts a Slack message.
func TestForeignRef(t *testing.T) {
	fake, api := setup(t)
	ref := notify(t, newNotifier(t, api), activities.NotifyEscalation, sampleCard(), "console:incident/host:dc01")
	if parseRef(t, ref).Channel != t1ID || len(fake.Messages(t1ID)) != 1 {
		t.Fatalf("ref %q", ref)
	}
}

func TestNotifyErrors(t *testing.T) {
	tests := []struct {
		name       string
		fault      slacktest.Fault
		timeout    time.Duration
		code       int // StatusError code; 0 for none
		retryAfter time.Duration
		class      string // activities error type; "" retryable
	}{
		{"rate limited", slacktest.Fault{Status: 429, RetryAfter: "7"}, 0, 429, 7 * time.Second, "RateLimited"},
		{"invalid_auth", slacktest.Fault{Error: "invalid_auth"}, 0, 401, 0, activities.ErrUnauthorized},
		{"token_revoked", slacktest.Fault{Error: "token_revoked"}, 0, 401, 0, activities.ErrUnauthorized},
		{"missing_scope", slacktest.Fault{Error: "missing_scope"}, 0, 403, 0, activities.ErrUnauthorized},
		{"channel_not_found", slacktest.Fault{Error: "channel_not_found"}, 0, 404, 0, activities.ErrNotFound},
		{"not_in_channel", slacktest.Fault{Error: "not_in_channel"}, 0, 404, 0, activities.ErrNotFound},
		{"is_archived", slacktest.Fault{Error: "is_archived"}, 0, 404, 0, activities.ErrNotFound},
		{"invalid_blocks", slacktest.Fault{Error: "invalid_blocks"}, 0, 400, 0, activities.ErrBadRequest},
		{"server error", slacktest.Fault{Status: 500}, 0, 500, 0, ""},
		{"unavailable", slacktest.Fault{Status: 503}, 0, 503, 0, ""},
		{"ok false internal_error", slacktest.Fault{Error: "internal_error"}, 0, 500, 0, ""},
		{"hang", slacktest.Fault{Hang: true}, 200 * time.Millisecond, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, api := setup(t)
			fake.Fail("chat.postMessage", tt.fault)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			ref, err := newNotifier(t, api).Notify(ctx, activities.NotifyEscalation, sampleCard(), "")
			if err == nil {
				t.Fatalf("Notify = %q, want an error", ref)
			}
			if !strings.HasPrefix(err.Error(), "slack: chat.postMessage: ") {
				t.Errorf("error %q lacks the slack: chat.postMessage: prefix", err)
			}
			var se *httpx.StatusError
			if tt.code == 0 {
				if errors.As(err, &se) {
					t.Errorf("got %v, want no status", se)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want the deadline", err)
				}
			} else {
				if !errors.As(err, &se) || se.Code != tt.code || se.RetryAfter != tt.retryAfter {
					t.Fatalf("error %v, want StatusError %d with RetryAfter %s", err, tt.code, tt.retryAfter)
				}
			}

			classified := activities.Classify("notify escalation", err)
			var ae *temporal.ApplicationError
			switch {
			case tt.class == "":
				if errors.As(classified, &ae) && ae.NonRetryable() {
					t.Errorf("Classify = %v, want retryable", classified)
				}
			case !activities.IsType(classified, tt.class):
				t.Errorf("Classify = %v, want type %s", classified, tt.class)
			case tt.class == "RateLimited":
				errors.As(classified, &ae)
				if ae.NonRetryable() || ae.NextRetryDelay() != tt.retryAfter {
					t.Errorf("Classify = %v: retryable %v after %s, want after %s", classified, !ae.NonRetryable(), ae.NextRetryDelay(), tt.retryAfter)
				}
			default:
				if errors.As(classified, &ae); !ae.NonRetryable() {
					t.Errorf("Classify = %v, want non-retryable", classified)
				}
			}
			if got := len(fake.Messages(t1ID)); got != 0 {
				t.Errorf("%d messages posted", got)
			}
		})
	}
}

// TestRateLimitThenRetry: the activity's retry after a 429 posts once.
func TestRateLimitThenRetry(t *testing.T) {
	fake, api := setup(t)
	fake.Fail("chat.postMessage", slacktest.Fault{Status: 429, RetryAfter: "1"})
	n := newNotifier(t, api)
	if _, err := n.Notify(context.Background(), activities.NotifyEscalation, sampleCard(), ""); err == nil {
		t.Fatal("want the 429")
	}
	notify(t, n, activities.NotifyEscalation, sampleCard(), "")
	if got := len(fake.Messages(t1ID)); got != 1 {
		t.Fatalf("%d messages, want 1", got)
	}
}

func TestNotConfigured(t *testing.T) {
	_, api := setup(t)
	noChannel := sampleCard()
	noChannel.Channel = ""
	tests := []struct {
		name string
		n    *slack.Notifier
		card activities.IncidentCard
	}{
		{"no client", slack.New(nil, slack.Options{}), sampleCard()},
		{"tier without a channel", slack.New(api, slack.Options{}), noChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.n.Notify(context.Background(), activities.NotifyEscalation, tt.card, "")
			if !errors.Is(err, httpx.ErrNotConfigured) {
				t.Fatalf("error %v, want ErrNotConfigured", err)
			}
			if !activities.IsType(activities.Classify("notify", err), activities.ErrNotConfigured) {
				t.Errorf("not classified NotConfigured")
			}
		})
	}
}

func TestNewClientNormalisesTheAPIURL(t *testing.T) {
	fake := slacktest.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()
	for _, u := range []string{ts.URL, ts.URL + "/", ts.URL + "/api", ts.URL + "/api/"} {
		t.Run(u, func(t *testing.T) {
			if got := slack.NormalizeAPIURL(u); got != ts.URL+"/api/" {
				t.Errorf("NormalizeAPIURL(%q) = %q", u, got)
			}
			res, err := slack.NewClient(slacktest.DefaultToken, u, ts.Client()).AuthTestContext(context.Background())
			if err != nil || res.UserID != slacktest.BotUserID {
				t.Fatalf("auth.test through %q: %+v, %v", u, res, err)
			}
		})
	}
	if got := slack.NormalizeAPIURL(""); got != "https://slack.com/api/" {
		t.Errorf("empty = %q", got)
	}
	for _, c := range fake.Calls() {
		if c.Method != "auth.test" || c.Status != http.StatusOK {
			t.Errorf("call %+v", c)
		}
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    slack.Ref
		wantErr bool
	}{
		{"slack:C0SOCT1:1700000000.000100", slack.Ref{Channel: "C0SOCT1", TS: "1700000000.000100"}, false},
		{"", slack.Ref{}, true},
		{"console:incident/host:dc01", slack.Ref{}, true},
		{"slack:C0SOCT1", slack.Ref{}, true},
		{"slack::1.2", slack.Ref{}, true},
		{"slack:C1:1.2:3", slack.Ref{}, true},
	}
	for _, tt := range tests {
		got, err := slack.ParseRef(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v", tt.in, got, err)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("round trip %q -> %q", tt.in, got.String())
		}
	}
}

// TestQuestionIsAskedInTheThread: a playbook's question is a thread reply
// shown in the channel, with a button per option whose value names the
// question and the option; the summary keeps its decide buttons.
func TestQuestionIsAskedInTheThread(t *testing.T) {
	fake, api := setup(t)
	n := newNotifier(t, api)
	card := sampleCard()
	ref := notify(t, n, activities.NotifyEscalation, card, "")
	r := parseRef(t, ref)
	card.Question = &alert.Question{ID: "isolate-now", Text: "Isolate dc01 before the backup window?", Options: []string{"yes", "no"},
		Tier: "T1", Deadline: decidedAt(), Default: "no"}
	notify(t, n, activities.NotifyQuestion, card, ref)
	reply := only(t, fake.Thread(t1ID, r.TS))
	if !reply.Broadcast || !strings.Contains(reply.Text, "Isolate dc01 before the backup window?") {
		t.Errorf("reply broadcast %v, text %q", reply.Broadcast, reply.Text)
	}
	if ids := reply.ActionIDs(); !slices.Equal(ids, []string{slack.ActionAnswer + ":0", slack.ActionAnswer + ":1"}) {
		t.Errorf("reply buttons %v, want one per option", ids)
	}
	if m := only(t, fake.Messages(t1ID)); !slices.Contains(m.ActionIDs(), slack.ActionDeny) {
		t.Error("the question took the summary's decide buttons")
	}
}

// A proposal to revoke sessions says there is nothing to undo, in its
// line and in its approval's confirm dialog, which would otherwise
// promise a revert.
func TestProposalWithoutAnUndoSaysSo(t *testing.T) {
	fake, api := setup(t)
	card := sampleCard()
	card.Proposed = []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "bob", "phished")}
	notify(t, newNotifier(t, api), activities.NotifyEscalation, card, "")
	m := only(t, fake.Messages(t1ID))
	if want := "`revoke_sessions:bob` revoke_sessions bob _(destructive)_ _(nothing to undo: sessions cannot be restored)_: phished"; !contains(m.Texts(), want) {
		t.Errorf("message lacks %q:\n%s", want, strings.Join(m.Texts(), "\n"))
	}
	if !contains(m.Texts(), "revoke_sessions bob interrupts someone's work and cannot be reverted: sessions cannot be restored.") {
		t.Errorf("the confirm dialog does not say there is no revert:\n%s", strings.Join(m.Texts(), "\n"))
	}
}
