package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fake is a fake served on loopback, with a client for it.
type fake struct {
	*Server
	base string
	hc   *http.Client
}

// call posts a form to the fake and decodes the JSON answer.
func call(t *testing.T, ctx context.Context, f fake, method string, form url.Values) (*http.Response, map[string]any, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.base+"/api/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", method, err)
	}
	return resp, m, nil
}

func serve(t *testing.T, opts ...Option) fake {
	t.Helper()
	s := New(opts...)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { _ = s.Close(); ts.Close() })
	return fake{Server: s, base: ts.URL, hc: ts.Client()}
}

func form(kv ...string) url.Values {
	v := url.Values{"token": {DefaultToken}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestAnswersHaveSlacksShape: every field of Slack's documented examples
// is in the fake's answer, with the same JSON type. The examples are
// copied in testdata; the shared real-data folder is checked too when
// present.
func TestAnswersHaveSlacksShape(t *testing.T) {
	dirs := []string{"testdata", "/work/shared/realdata/api/slack/official_openapi_examples"}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Logf("skipping %s: %v", dir, err)
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			s := serve(t)
			ctx := context.Background()
			answers := map[string]map[string]any{}
			ask := func(name, method string, f url.Values) {
				_, m, err := call(t, ctx, s, method, f)
				if err != nil {
					t.Fatal(err)
				}
				answers[name] = m
			}
			ask("chat.postMessage.ok", "chat.postMessage", form("channel", "#general", "text", "hello"))
			ts, _ := answers["chat.postMessage.ok"]["ts"].(string)
			ch, _ := answers["chat.postMessage.ok"]["channel"].(string)
			ask("chat.update.ok", "chat.update", form("channel", ch, "ts", ts, "text", "edited"))
			ask("chat.postEphemeral.ok", "chat.postEphemeral", form("channel", ch, "user", "U0ALICE01", "text", "psst"))
			ask("auth.test.ok", "auth.test", form())
			ask("auth.test.error", "auth.test", url.Values{"token": {"xoxb-wrong"}})
			s.Fail("chat.postMessage", Fault{Error: "too_many_attachments"})
			ask("chat.postMessage.error", "chat.postMessage", form("channel", "#general", "text", "x"))
			s.Fail("chat.update", Fault{Error: "cant_update_message"})
			ask("chat.update.error", "chat.update", form("channel", ch, "ts", ts, "text", "x"))
			ask("chat.postEphemeral.error", "chat.postEphemeral", form("channel", ch, "user", "U0ALICE01", "text", "x"))

			for name, got := range answers {
				raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				var want map[string]any
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				if want["ok"] == false && got["ok"] == false && strings.HasSuffix(name, ".error") && name != "chat.postEphemeral.error" {
					if want["error"] != got["error"] {
						t.Errorf("%s: error %v, want %v", name, got["error"], want["error"])
					}
				}
				for k, wv := range want {
					if name == "chat.postEphemeral.error" && k == "error" {
						continue // the fake knows no channel membership
					}
					gv, ok := got[k]
					if !ok {
						t.Errorf("%s: field %q missing from %v", name, k, got)
						continue
					}
					if jsonType(gv) != jsonType(wv) {
						t.Errorf("%s: field %q is %s, Slack's is %s", name, k, jsonType(gv), jsonType(wv))
					}
				}
			}
		})
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

func TestTokens(t *testing.T) {
	s := serve(t, WithToken("xoxb-right"))
	tests := []struct {
		name  string
		form  url.Values
		auth  string
		error string
	}{
		{"none", url.Values{}, "", "not_authed"},
		{"wrong", url.Values{"token": {"xoxb-wrong"}}, "", "invalid_auth"},
		{"form", url.Values{"token": {"xoxb-right"}}, "", ""},
		{"bearer", url.Values{}, "Bearer xoxb-right", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.base+"/api/auth.test", strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := s.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d: Slack answers auth errors with 200", resp.StatusCode)
			}
			if tt.error == "" && m["ok"] != true || tt.error != "" && m["error"] != tt.error {
				t.Errorf("answer %v, want error %q", m, tt.error)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	s := serve(t)
	ctx := context.Background()
	post := func() (*http.Response, map[string]any) {
		resp, m, err := call(t, ctx, s, "chat.postMessage", form("channel", "#general", "text", "x"))
		if err != nil {
			t.Fatal(err)
		}
		return resp, m
	}

	s.Fail("chat.postMessage", Fault{Status: http.StatusTooManyRequests, RetryAfter: "7", Times: 2})
	for range 2 {
		if resp, m := post(); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || m["error"] != "ratelimited" {
			t.Fatalf("got %d Retry-After %q %v", resp.StatusCode, resp.Header.Get("Retry-After"), m)
		}
	}
	if resp, m := post(); resp.StatusCode != 200 || m["ok"] != true {
		t.Fatalf("third call: %d %v, want ok (Times 2)", resp.StatusCode, m)
	}

	s.Fail("", Fault{Status: 500})
	if resp, _ := post(); resp.StatusCode != 500 {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	s.Fail("chat.update", Fault{Error: "invalid_auth"})
	if resp, _ := post(); resp.StatusCode != 200 {
		t.Errorf("a chat.update fault failed chat.postMessage: %d", resp.StatusCode)
	}
	s.Fail("chat.postMessage", Fault{Error: "channel_not_found"})
	if resp, m := post(); resp.StatusCode != 200 || m["ok"] != false || m["error"] != "channel_not_found" {
		t.Errorf("got %d %v", resp.StatusCode, m)
	}

	// A hang lasts until the client gives up.
	s.Fail("chat.postMessage", Fault{Hang: true})
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, _, err := call(t, tctx, s, "chat.postMessage", form("channel", "#general", "text", "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung call: %v, want the client's deadline", err)
	}
	// The abandoned call is recorded without a status once the server
	// notices the client left; wait for that before releasing, or the
	// release would answer it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var abandoned bool
		for _, c := range s.CallsTo("chat.postMessage") {
			abandoned = abandoned || c.Status == 0
		}
		if abandoned {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// or until Release.
	s.Fail("chat.postMessage", Fault{Hang: true})
	done := make(chan int)
	go func() {
		resp, _, err := call(t, ctx, s, "chat.postMessage", form("channel", "#general", "text", "x"))
		if err != nil {
			done <- -1
			return
		}
		done <- resp.StatusCode
	}()
	// Release is for good: the call returns whether it is already held
	// or not yet.
	s.Release()
	if code := <-done; code != http.StatusServiceUnavailable {
		t.Errorf("released call: %d, want 503", code)
	}

	var statuses []int
	for _, c := range s.CallsTo("chat.postMessage") {
		statuses = append(statuses, c.Status)
	}
	want := []int{429, 429, 200, 500, 200, 200, 0, 503}
	if !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
}

func TestMessagesThreadsAndUpdates(t *testing.T) {
	s := serve(t, WithChannels(Channel{ID: "C0SOCT1", Name: "soc-t1"}))
	ctx := context.Background()
	must := func(method string, f url.Values) map[string]any {
		t.Helper()
		_, m, err := call(t, ctx, s, method, f)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	top := must("chat.postMessage", form("channel", "#soc-t1", "text", "incident", "blocks", `[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]`))
	if top["ok"] != true || top["channel"] != "C0SOCT1" {
		t.Fatalf("post: %v", top)
	}
	ts := top["ts"].(string)
	reply := must("chat.postMessage", form("channel", "C0SOCT1", "text", "reply", "thread_ts", ts))
	upd := must("chat.update", form("channel", "C0SOCT1", "ts", ts, "text", "edited"))
	if reply["ok"] != true || upd["ok"] != true {
		t.Fatalf("reply %v, update %v", reply, upd)
	}
	must("chat.postEphemeral", form("channel", "soc-t1", "user", "U0ALICE01", "text", "only you"))

	tests := []struct {
		name string
		ok   bool
		err  string
		m    map[string]any
	}{
		{"unknown channel", false, "channel_not_found", must("chat.postMessage", form("channel", "#nope", "text", "x"))},
		{"update by name", false, "channel_not_found", must("chat.update", form("channel", "soc-t1", "ts", ts, "text", "x"))},
		{"update unknown ts", false, "message_not_found", must("chat.update", form("channel", "C0SOCT1", "ts", "1.000001", "text", "x"))},
		{"no text", false, "no_text", must("chat.postMessage", form("channel", "C0SOCT1"))},
		{"invalid blocks", false, "invalid_blocks", must("chat.postMessage", form("channel", "C0SOCT1", "blocks", `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`))},
		{"ephemeral without user", false, "user_not_found", must("chat.postEphemeral", form("channel", "C0SOCT1", "text", "x"))},
		{"unknown method", false, "unknown_method", must("chat.nope", form())},
	}
	for _, tt := range tests {
		if tt.m["ok"] != tt.ok || tt.m["error"] != tt.err {
			t.Errorf("%s: %v, want error %q", tt.name, tt.m, tt.err)
		}
	}

	msgs := s.Messages("#soc-t1")
	if len(msgs) != 1 || msgs[0].Text != "edited" || msgs[0].Edits != 1 || string(msgs[0].Blocks) == "" {
		t.Errorf("messages %+v", msgs)
	}
	if th := s.Thread("C0SOCT1", ts); len(th) != 1 || th[0].Text != "reply" {
		t.Errorf("thread %+v", th)
	}
	if u := s.Updates(); len(u) != 1 || u[0].TS != ts {
		t.Errorf("updates %+v", u)
	}
	if e := s.Ephemerals(); len(e) != 1 || e[0].User != "U0ALICE01" || e[0].Channel != "C0SOCT1" {
		t.Errorf("ephemerals %+v", e)
	}
	if c := s.CallsTo("chat.postMessage")[0]; c.Params.Get("token") != "" || c.Params.Get("channel") != "#soc-t1" || len(c.Blocks) == 0 {
		t.Errorf("recorded call %+v: want params without the token, and the blocks", c)
	}
}

func TestUserGroups(t *testing.T) {
	s := serve(t, WithGroups(Group{ID: "S0SOCT2", Handle: "soc-t2", Name: "SOC T2", Users: []string{"U0BOB0001"}}))
	ctx := context.Background()
	_, m, _ := call(t, ctx, s, "usergroups.list", form())
	gs, _ := m["usergroups"].([]any)
	if len(gs) != 1 || gs[0].(map[string]any)["handle"] != "soc-t2" || gs[0].(map[string]any)["users"] != nil {
		t.Errorf("usergroups.list %v", m)
	}
	_, m, _ = call(t, ctx, s, "usergroups.list", form("include_users", "true"))
	if u := m["usergroups"].([]any)[0].(map[string]any)["users"]; u == nil {
		t.Errorf("include_users: %v", m)
	}
	_, m, _ = call(t, ctx, s, "usergroups.users.list", form("usergroup", "S0SOCT2"))
	if u, _ := m["users"].([]any); len(u) != 1 || u[0] != "U0BOB0001" {
		t.Errorf("usergroups.users.list %v", m)
	}
	_, m, _ = call(t, ctx, s, "usergroups.users.list", form("usergroup", "S0NOPE001"))
	if m["error"] != "no_such_subteam" {
		t.Errorf("unknown group: %v", m)
	}
}

func TestValidateBlocks(t *testing.T) {
	button := func(id, text string) string {
		return `{"type":"button","action_id":"` + id + `","text":{"type":"plain_text","text":"` + text + `"},"value":"v"}`
	}
	many := func(n int, s string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = strings.ReplaceAll(s, "#", string(rune('a'+i%26))+strings.Repeat("x", i/26))
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		name   string
		blocks string
		ok     bool
	}{
		{"empty", `[]`, true},
		{"not an array", `{}`, false},
		{"header", `[{"type":"header","text":{"type":"plain_text","text":"hi"}}]`, true},
		{"header mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"hi"}}]`, false},
		{"header too long", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("x", 151) + `"}}]`, false},
		{"section too long", `[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", 3001) + `"}}]`, false},
		{"section empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, false},
		{"mrkdwn with emoji", `[{"type":"section","text":{"type":"mrkdwn","text":"x","emoji":true}}]`, false},
		{"11 fields", `[{"type":"section","fields":[` + many(11, `{"type":"mrkdwn","text":"#"}`) + `]}]`, false},
		{"25 buttons", `[{"type":"actions","elements":[` + many(25, button("#", "b")) + `]}]`, true},
		{"26 buttons", `[{"type":"actions","elements":[` + many(26, button("#", "b")) + `]}]`, false},
		{"repeated action_id", `[{"type":"actions","elements":[` + button("a", "b") + `,` + button("a", "c") + `]}]`, false},
		{"button text too long", `[{"type":"actions","elements":[` + button("a", strings.Repeat("x", 76)) + `]}]`, false},
		{"repeated block_id", `[{"type":"divider","block_id":"d"},{"type":"divider","block_id":"d"}]`, false},
		{"51 blocks", `[` + many(51, `{"type":"divider"}`) + `]`, false},
		{"no type", `[{}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateBlocks([]byte(tt.blocks)); (err == nil) != tt.ok {
				t.Errorf("ValidateBlocks = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestStart(t *testing.T) {
	s := New()
	u, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/api/") {
		t.Fatalf("URL %q", u)
	}
	if _, err := s.Start(""); err == nil {
		t.Error("a second Start succeeded")
	}
	f := fake{Server: s, base: strings.TrimSuffix(u, "/api/"), hc: &http.Client{Timeout: 10 * time.Second}}
	_, m, err := call(t, context.Background(), f, "auth.test", form())
	if err != nil || m["ok"] != true || m["user_id"] != BotUserID {
		t.Fatalf("auth.test: %v %v", m, err)
	}
}
