package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/slack/slacktest"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// click returns the block_actions payload of testdata (alice approving
// isolate_host:dc01 on T1's message, with a note) with its action
// replaced.
func click(t *testing.T, actionID, value string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/block_actions_button.json")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	a := p["actions"].([]any)[0].(map[string]any)
	a["action_id"], a["value"] = actionID, value
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func value(incident, tier, action string) string {
	b, _ := json.Marshal(map[string]string{"incident": incident, "tier": tier, "action": action})
	return string(b)
}

// approveClick is the fixture as it is.
func approveClick(t *testing.T) []byte {
	return click(t, "socflow_approve:0", value("incident/host:dc01", "T1", "isolate_host:dc01"))
}

func formBody(payload []byte) string { return url.Values{"payload": {string(payload)}}.Encode() }

// sign computes Slack's v0 signature.
func sign(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

func signedRequest(body string, ts int64, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ts != 0 {
		r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	}
	if sig != "" {
		r.Header.Set("X-Slack-Signature", sig)
	}
	return r
}

type decided struct {
	incident string
	in       slack.Request
}

// recorder is a Decider that records what it was given and answers err.
type recorder struct {
	mu  sync.Mutex
	got []decided
	err error
}

func (r *recorder) Decide(_ context.Context, id string, in slack.Request) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, decided{id, in})
	return r.err
}

func (r *recorder) decisions() []decided {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func newHandler(t *testing.T, d slack.Decider, api *slackapi.Client, o slack.DispatchOptions) *slack.Interactions {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	h, err := slack.NewInteractions(slack.InteractionsOptions{SigningSecret: signingSecret, Decider: d, API: api, DispatchOptions: o})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func closeHandler(t *testing.T, h *slack.Interactions) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestInteractionsSignature(t *testing.T) {
	now := time.Now().Unix()
	body := formBody(approveClick(t))
	altered := strings.Replace(body, "isolate_host", "disable_user", 1)
	good := sign(signingSecret, now, body)
	tests := []struct {
		name string
		body string
		ts   int64
		// sigs are the signatures of each sending of the request, and want
		// the status each gets.
		sigs []string
		want []int
	}{
		{"valid", body, now, []string{good}, []int{200}},
		{"replayed", body, now, []string{good, good}, []int{200, 401}},
		{"replayed in upper case", body, now, []string{good, "v0=" + strings.ToUpper(strings.TrimPrefix(good, "v0="))}, []int{200, 401}},
		{"bad signature", body, now, []string{sign("not-the-secret", now, body)}, []int{401}},
		{"stale timestamp", body, now - 6*60, []string{sign(signingSecret, now-6*60, body)}, []int{401}},
		{"timestamp from the future", body, now + 6*60, []string{sign(signingSecret, now+6*60, body)}, []int{401}},
		{"body altered", altered, now, []string{good}, []int{401}},
		{"missing headers", body, 0, []string{""}, []int{401}},
		{"missing timestamp", body, 0, []string{good}, []int{401}},
		{"missing signature", body, now, []string{""}, []int{401}},
		{"not v0", body, now, []string{strings.Replace(good, "v0=", "v1=", 1)}, []int{401}},
		{"not hex", body, now, []string{"v0=zz"}, []int{401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newHandler(t, rec, nil, slack.DispatchOptions{})
			var codes []int
			for _, sig := range tt.sigs {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, signedRequest(tt.body, tt.ts, sig))
				codes = append(codes, w.Code)
				if w.Code == http.StatusUnauthorized {
					var e struct{ Error string }
					if json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" {
						t.Errorf("401 body %q is not a JSON error", w.Body)
					}
				}
			}
			closeHandler(t, h) // every decision has reached the decider
			if !slices.Equal(codes, tt.want) {
				t.Fatalf("statuses %v, want %v", codes, tt.want)
			}
			wantDecisions := 0
			if tt.want[0] == http.StatusOK {
				wantDecisions = 1
			}
			got := rec.decisions()
			if len(got) != wantDecisions {
				t.Fatalf("decider saw %d decisions, want %d: %+v", len(got), wantDecisions, got)
			}
			if wantDecisions == 1 {
				want := decided{"incident/host:dc01", slack.Request{
					Verdict: alert.VerdictApprove, Actions: []string{"isolate_host:dc01"},
					By: "U0ALICE01", Via: "slack", Note: "C2 beacon confirmed in proxy logs",
				}}
				if g := got[0]; g.incident != want.incident || g.in.Verdict != want.in.Verdict || !slices.Equal(g.in.Actions, want.in.Actions) ||
					g.in.By != want.in.By || g.in.Via != want.in.Via || g.in.Note != want.in.Note {
					t.Errorf("decision %+v, want %+v", g, want)
				}
			}
		})
	}
}

func TestInteractionsRequests(t *testing.T) {
	now := time.Now().Unix()
	signed := func(body string) *http.Request { return signedRequest(body, now, sign(signingSecret, now, body)) }
	viewSubmission, err := os.ReadFile("testdata/view_submission.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		req       *http.Request
		want      int
		decisions int
	}{
		{"GET", httptest.NewRequest(http.MethodGet, "/slack/interactions", nil), http.StatusMethodNotAllowed, 0},
		{"no payload", signed("foo=bar"), http.StatusBadRequest, 0},
		{"payload not JSON", signed("payload=%7Bnope"), http.StatusBadRequest, 0},
		{"another app's button", signed(formBody(click(t, "other_app_button", "x"))), http.StatusOK, 0},
		{"view submission", signed(formBody(viewSubmission)), http.StatusOK, 0},
		{"socflow button without an incident", signed(formBody(click(t, slack.ActionDeny, "{}"))), http.StatusBadRequest, 0},
		{"deny", signed(formBody(click(t, slack.ActionDeny, value("incident/host:dc01", "T1", "")))), http.StatusOK, 1},
		{"too large", signed(strings.Repeat("a", 2<<20)), http.StatusRequestEntityTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newHandler(t, rec, nil, slack.DispatchOptions{})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			closeHandler(t, h)
			if w.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tt.want)
			}
			if got := len(rec.decisions()); got != tt.decisions {
				t.Errorf("%d decisions, want %d", got, tt.decisions)
			}
		})
	}
}

// TestAckIsImmediate: Slack wants an answer within 3 seconds; the handler
// answers while the decider is still blocked.
func TestAckIsImmediate(t *testing.T) {
	started, release := make(chan decided, 1), make(chan struct{})
	d := slack.DeciderFunc(func(ctx context.Context, id string, in slack.Request) error {
		started <- decided{id, in}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	h := newHandler(t, d, nil, slack.DispatchOptions{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := formBody(approveClick(t))
	now := time.Now().Unix()
	req := signedRequest(body, now, sign(signingSecret, now, body))
	req.RequestURI, req.URL = "", mustURL(t, srv.URL+"/slack/interactions")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The answer came back; the decider has the decision and is still
	// blocked, since release is open.
	select {
	case got := <-started:
		if got.incident != "incident/host:dc01" {
			t.Errorf("decision %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the decider never got the decision")
	}
	close(release)
	closeHandler(t, h)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRefusedDecisionIsExplained: the decider's reason reaches the
// responder, and only them.
func TestRefusedDecisionIsExplained(t *testing.T) {
	fake, api := setup(t)
	rec := &recorder{err: errors.New("U0ALICE01 is not an approver at tier T1 (approvers: U0BOB0001)")}
	h := newHandler(t, rec, api, slack.DispatchOptions{})
	body := formBody(approveClick(t))
	now := time.Now().Unix()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest(body, now, sign(signingSecret, now, body)))
	closeHandler(t, h)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	e := only(t, fake.Ephemerals())
	if e.Channel != t1ID || e.User != "U0ALICE01" {
		t.Errorf("ephemeral to %s in %s, want U0ALICE01 in %s", e.User, e.Channel, t1ID)
	}
	if !strings.Contains(e.Text, "not recorded: U0ALICE01 is not an approver at tier T1") {
		t.Errorf("ephemeral %q does not say why", e.Text)
	}
	if n := len(fake.Messages(t1ID)); n != 0 {
		t.Errorf("%d messages everyone sees", n)
	}
}

// TestRefusalThroughResponseURL: a click that names no channel is
// answered through the payload's response_url.
func TestRefusalThroughResponseURL(t *testing.T) {
	fake := slacktest.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { _ = fake.Close(); srv.Close() })
	api := slack.NewClient(slacktest.DefaultToken, srv.URL, srv.Client())

	var p map[string]any
	if err := json.Unmarshal(approveClick(t), &p); err != nil {
		t.Fatal(err)
	}
	delete(p, "channel")
	p["container"].(map[string]any)["channel_id"] = ""
	p["response_url"] = slacktest.ResponseURL(srv.URL)
	payload, _ := json.Marshal(p)

	h := newHandler(t, &recorder{err: errors.New("incident/host:dc01 is contained, not awaiting a decision")}, api, slack.DispatchOptions{})
	body := formBody(payload)
	now := time.Now().Unix()
	h.ServeHTTP(httptest.NewRecorder(), signedRequest(body, now, sign(signingSecret, now, body)))
	closeHandler(t, h)
	e := only(t, fake.Ephemerals())
	if e.ResponseType != "ephemeral" || !strings.Contains(e.Text, "not awaiting a decision") {
		t.Errorf("response_url message %+v", e)
	}
}

// TestAuthorizeWithGroups: a tier's approvers named as a user group are
// resolved before the decider sees the click.
func TestAuthorizeWithGroups(t *testing.T) {
	fake, api := setup(t, slacktest.WithGroups(slacktest.Group{ID: "S0SOCT1", Handle: "soc-t1", Users: []string{"U0BOB0001"}}))
	approvers := slack.NewApprovers(api, time.Minute)
	entries := func(tier string) []string {
		if tier == "T1" {
			return []string{"@soc-t1"}
		}
		return nil
	}
	rec := &recorder{}
	h := newHandler(t, rec, api, slack.DispatchOptions{Authorize: approvers.Authorize(entries), Workers: 1})
	for _, user := range []string{"U0ALICE01", "U0BOB0001"} {
		p := strings.ReplaceAll(string(approveClick(t)), "U0ALICE01", user)
		body := formBody([]byte(p))
		now := time.Now().Unix()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(body, now, sign(signingSecret, now, body)))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", user, w.Code)
		}
	}
	closeHandler(t, h)
	got := rec.decisions()
	if len(got) != 1 || got[0].in.By != "U0BOB0001" {
		t.Fatalf("decider saw %+v, want only bob's", got)
	}
	e := only(t, fake.Ephemerals())
	if e.User != "U0ALICE01" || !strings.Contains(e.Text, "U0ALICE01 is not an approver at tier T1") {
		t.Errorf("ephemeral %+v", e)
	}
	if n := len(fake.CallsTo("usergroups.list")); n != 1 {
		t.Errorf("usergroups.list called %d times, want 1 (cached)", n)
	}
}

// TestBusy: beyond the workers and the queue, a click is refused with 503
// rather than queued without bound.
func TestBusy(t *testing.T) {
	started, release := make(chan struct{}, 3), make(chan struct{})
	d := slack.DeciderFunc(func(ctx context.Context, _ string, _ slack.Request) error {
		started <- struct{}{}
		<-release
		return nil
	})
	h := newHandler(t, d, nil, slack.DispatchOptions{Workers: 1, Queue: 1})
	send := func() int {
		body := formBody(click(t, slack.ActionDeny, value("incident/host:dc01", "T1", "")))
		now := time.Now().Unix()
		// Each click is a different request, hence a different signature.
		body += "&n=" + strconv.FormatInt(time.Now().UnixNano(), 10)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(body, now, sign(signingSecret, now, body)))
		return w.Code
	}
	if c := send(); c != http.StatusOK {
		t.Fatalf("first: %d", c)
	}
	<-started // the worker holds the first
	if c := send(); c != http.StatusOK {
		t.Fatalf("second (queued): %d", c)
	}
	if c := send(); c != http.StatusServiceUnavailable {
		t.Fatalf("third: %d, want 503", c)
	}
	close(release)
	closeHandler(t, h)
	if c := send(); c != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d, want 503", c)
	}
}

// TestCloseCancelsWhenItGivesUp: a decider that never returns on its own
// is cancelled when Close's context ends.
func TestCloseCancelsWhenItGivesUp(t *testing.T) {
	started := make(chan struct{})
	d := slack.DeciderFunc(func(ctx context.Context, _ string, _ slack.Request) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	h := newHandler(t, d, nil, slack.DispatchOptions{DecideTimeout: time.Hour})
	body := formBody(approveClick(t))
	now := time.Now().Unix()
	h.ServeHTTP(httptest.NewRecorder(), signedRequest(body, now, sign(signingSecret, now, body)))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
}

func TestDecisionFromCallback(t *testing.T) {
	v := value("incident/host:dc01", "T1", "isolate_host:dc01")
	tests := []struct {
		name     string
		actionID string
		value    string
		ok       bool
		wantErr  bool
		verdict  alert.Verdict
		actions  []string
	}{
		{"approve one", "socflow_approve:0", v, true, false, alert.VerdictApprove, []string{"isolate_host:dc01"}},
		{"approve all", slack.ActionApproveAll, v, true, false, alert.VerdictApprove, nil},
		{"deny", slack.ActionDeny, v, true, false, alert.VerdictDeny, nil},
		{"escalate", slack.ActionEscalate, v, true, false, alert.VerdictEscalate, nil},
		{"false positive", slack.ActionFalsePositive, v, true, false, alert.VerdictFalsePositive, nil},
		{"revert", slack.ActionRevert, v, true, false, alert.VerdictRevert, nil},
		{"renew", slack.ActionRenew, v, true, false, alert.VerdictRenew, nil},
		{"not ours", "someone_elses", v, false, false, "", nil},
		{"the note field", slack.ActionNote, "", false, false, "", nil},
		{"approve one without an action", "socflow_approve:0", value("incident/host:dc01", "T1", ""), true, true, "", nil},
		{"value not JSON", slack.ActionDeny, "incident/host:dc01", true, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cb slackapi.InteractionCallback
			if err := json.Unmarshal(click(t, tt.actionID, tt.value), &cb); err != nil {
				t.Fatal(err)
			}
			d, ok, err := slack.DecisionFromCallback(cb)
			if ok != tt.ok || (err != nil) != tt.wantErr {
				t.Fatalf("ok %v err %v, want ok %v err %v", ok, err, tt.ok, tt.wantErr)
			}
			if !ok || err != nil {
				return
			}
			want := slack.Decision{
				IncidentID: "incident/host:dc01", Tier: "T1", Verdict: tt.verdict, Actions: tt.actions,
				By: "U0ALICE01", Via: "slack", Note: "C2 beacon confirmed in proxy logs",
				Channel: t1ID, MessageTS: "1700000000.000001",
				ResponseURL: "https://hooks.slack.com/actions/T0SLACKTST/6001234567890/abcdefABCDEF0123456789ab",
			}
			if d.IncidentID != want.IncidentID || d.Tier != want.Tier || d.Verdict != want.Verdict || !slices.Equal(d.Actions, want.Actions) ||
				d.By != want.By || d.Via != want.Via || d.Note != want.Note || d.Channel != want.Channel ||
				d.MessageTS != want.MessageTS || d.ResponseURL != want.ResponseURL {
				t.Errorf("got %+v\nwant %+v", d, want)
			}
			if in := d.Input(); in.Verdict != tt.verdict || in.By != "U0ALICE01" || in.Via != "slack" {
				t.Errorf("Input() = %+v", in)
			}
		})
	}
}

// TestRealPayload reads slack-go's recorded block_actions payload, when the
// shared real-data folder is present: a click on another app's select is
// not a decision.
func TestRealPayload(t *testing.T) {
	raw, err := os.ReadFile("/work/shared/realdata/api/slack/slack-go_test_payloads/block_actions_with_state.json")
	if err != nil {
		t.Skip("real payloads not available:", err)
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal(raw, &cb); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := slack.DecisionFromCallback(cb); ok || err != nil {
		t.Fatalf("ok %v, err %v: want ignored", ok, err)
	}
}

// TestAnswerFromCallback: a click on a question's option is an answer
// (question and option from the button's value, the user from Slack),
// not a decision; a button without them is refused.
func TestAnswerFromCallback(t *testing.T) {
	good, _ := json.Marshal(map[string]string{"incident": "incident/host:dc01", "tier": "T1", "question": "isolate-now", "answer": "yes"})
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal(click(t, slack.ActionAnswer+":0", string(good)), &cb); err != nil {
		t.Fatal(err)
	}
	d, ok, err := slack.DecisionFromCallback(cb)
	if !ok || err != nil {
		t.Fatalf("ok %v err %v", ok, err)
	}
	in := d.Input()
	if in.Question != "isolate-now" || in.Answer != "yes" || in.By != "U0ALICE01" || in.Via != "slack" || in.Verdict != "" || d.Tier != "T1" {
		t.Errorf("Input() = %+v (tier %s), want alice's answer yes to isolate-now", in, d.Tier)
	}
	var bad slackapi.InteractionCallback
	if err := json.Unmarshal(click(t, slack.ActionAnswer+":0", value("incident/host:dc01", "T1", "")), &bad); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := slack.DecisionFromCallback(bad); !ok || err == nil || !strings.Contains(err.Error(), "names no question or answer") {
		t.Errorf("a button without its question: ok %v err %v", ok, err)
	}
}
