package integration

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/jira/jiratest"
	"github.com/socflow/socflow/integrations/slack/slacktest"
	"github.com/socflow/socflow/workflows"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// slackJiraStack runs socflow with Slack and Jira pointed at loopback fakes
// that speak their documented APIs.
type slackJiraStack struct {
	*stack
	slack *slacktest.Server
	jira  *jiratest.Server
}

func startSlackJira(t *testing.T, httpTimeout time.Duration, tiers func(*config.Config)) *slackJiraStack {
	t.Helper()
	sl := slacktest.New(slacktest.WithToken("xoxb-test"),
		slacktest.WithChannels(slacktest.Channel{Name: "soc-t1"}, slacktest.Channel{Name: "soc-t2"}, slacktest.Channel{Name: "incident-response"}),
		slacktest.WithGroups(slacktest.Group{ID: "S0IRLEADS", Handle: "ir-leads", Name: "IR leads", Users: []string{"U0IRLEAD"}}))
	slackURL, err := sl.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sl.Close() })
	jr := jiratest.New(jiratest.WithBasicAuth("soc@example.com", "jira-token"), jiratest.WithProjects("SEC"),
		jiratest.WithWorkflow("Open",
			jiratest.Transition{Name: "Contain", To: "Contained"},
			jiratest.Transition{Name: "Close", To: "Done"}))
	jiraURL, err := jr.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jr.Close() })

	s := startStack(t, stackOptions{
		httpTimeout: httpTimeout,
		env: map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": slackURL,
			"JIRA_URL": jiraURL, "JIRA_EMAIL": "soc@example.com", "JIRA_API_TOKEN": "jira-token", "JIRA_PROJECT": "SEC",
		},
		mutate: func(c *config.Config) {
			c.Integrations.Jira.Project = "SEC"
			c.Integrations.Jira.MinPriority = "P3"
			c.Integrations.Jira.Transitions.Contain = "Contain"
			c.Integrations.Jira.Transitions.Close = "Close"
			c.Integrations.Jira.SearchLag = 3 * time.Second
			c.Integrations.Slack.UIBaseURL = "http://127.0.0.1:8233"
			tiers(c)
		},
	})
	return &slackJiraStack{stack: s, slack: sl, jira: jr}
}

// ladder: T1 and T2 answer within seconds, IR is the IR leads group.
func ladder(c *config.Config) {
	c.Policy.Tiers[0].Timeout, c.Policy.Tiers[0].Approvers = 3*time.Second, []string{"U0ANALYST"}
	c.Policy.Tiers[1].Timeout, c.Policy.Tiers[1].Approvers = 3*time.Second, []string{"U0SENIOR"}
	c.Policy.Tiers[2].Approvers = []string{"S0IRLEADS"}
}

// p3Alert is a medium network alert on a host the inventory does not know:
// P3, so it starts at T1.
func p3Alert(t *testing.T, host string) []byte {
	t.Helper()
	a := alert.Alert{
		ID: "p3-" + host, Source: "suricata", Rule: "ET POLICY outbound to rare port", Title: "Rare outbound port from " + host,
		Category: "network", Severity: alert.SeverityMedium, Time: time.Now().UTC(),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: host}},
			IPs:   []alert.IP{{Addr: "198.51.100.200", Direction: alert.DirectionDestination}, {Addr: "10.9.9.9", Direction: alert.DirectionSource}},
		},
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// click sends a signed block_actions request, as Slack does when a
// responder presses a button on the message.
func (s *slackJiraStack) click(user string, m slacktest.Message, actionID string) int {
	s.t.Helper()
	var value, blockID string
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			value, blockID = b.Value, b.BlockID
		}
	}
	if value == "" {
		s.t.Fatalf("message %s has no %s button (buttons: %v)", m.TS, actionID, m.ActionIDs())
	}
	payload, _ := json.Marshal(map[string]any{
		"type":      "block_actions",
		"user":      map[string]string{"id": user},
		"channel":   map[string]string{"id": m.Channel},
		"container": map[string]string{"type": "message", "message_ts": m.TS, "channel_id": m.Channel},
		"actions": []map[string]string{{"action_id": actionID, "block_id": blockID, "value": value, "type": "button",
			"action_ts": fmt.Sprintf("%d.000100", time.Now().Unix())}},
	})
	body := url.Values{"payload": {string(payload)}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, s.api.URL+"/slack/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (s *slackJiraStack) topLevel(channel string) []slacktest.Message {
	return s.slack.Messages(s.slack.ChannelID(channel))
}

// TestNobodyAnswersThenIRDecidesInSlack climbs T1 -> T2 -> IR while
// nobody answers, refuses a click from someone outside IR, accepts the IR
// lead's (a member of the IR leads group), and keeps one Jira issue.
func TestNobodyAnswersThenIRDecidesInSlack(t *testing.T) {
	s := startSlackJira(t, 10*time.Second, ladder)
	var resp intake.Response
	if code := s.post("/v1/alerts", "application/json", p3Alert(t, "ws-500"), &resp); code != http.StatusAccepted {
		t.Fatalf("POST = %d", code)
	}
	eventually(t, 60*time.Second, "incident escalated to IR", func() (bool, string) {
		st := s.waitStatus("host:ws-500", 30*time.Second, workflows.StatusAwaiting)
		return st.Tier == "IR" && len(s.topLevel("incident-response")) == 1, st.Tier
	})
	for _, ch := range []string{"soc-t1", "soc-t2", "incident-response"} {
		if n := len(s.topLevel(ch)); n != 1 {
			t.Errorf("#%s has %d top-level messages, want 1", ch, n)
		}
	}
	ir := s.topLevel("incident-response")[0]
	text := strings.Join(ir.Texts(), "\n")
	if !strings.Contains(text, "SEC-1") {
		t.Errorf("the IR message does not link the Jira issue:\n%s", text)
	}
	if !strings.Contains(text, "T1 did not answer") || !strings.Contains(text, "T2 did not answer") {
		t.Errorf("the IR message does not carry the handoff from T1 and T2:\n%s", text)
	}

	// Someone from T1 presses Approve on the IR message: refused, told why.
	if code := s.click("U0ANALYST", ir, "socflow_approve_all"); code != http.StatusOK {
		t.Fatalf("click ack = %d, want 200 at once", code)
	}
	eventually(t, 20*time.Second, "ephemeral refusal", func() (bool, string) {
		for _, e := range s.slack.Ephemerals() {
			if e.User == "U0ANALYST" && strings.Contains(strings.Join(e.Texts(), " ")+e.Text, "not an approver") {
				return true, ""
			}
		}
		return false, fmt.Sprint(s.slack.Ephemerals())
	})

	// The IR lead (member of S0IRLEADS) approves.
	if code := s.click("U0IRLEAD", ir, "socflow_approve_all"); code != http.StatusOK {
		t.Fatalf("click ack = %d", code)
	}
	st := s.waitStatus("host:ws-500", 30*time.Second, workflows.StatusContained)
	if !s.edr.Blocked("198.51.100.200") {
		t.Error("the approved block did not reach the EDR")
	}
	var timeline []string
	for _, e := range st.Timeline {
		timeline = append(timeline, e.Actor+": "+e.Message)
	}
	all := strings.Join(timeline, "\n")
	for _, want := range []string{"T1 did not answer", "T2 did not answer", "U0ANALYST: refused approve via slack", "U0IRLEAD: approve at IR via slack"} {
		if !strings.Contains(all, want) {
			t.Errorf("timeline lacks %q:\n%s", want, all)
		}
	}
	// The decision replaced the approval buttons on the IR message (only
	// the revert button remains).
	eventually(t, 20*time.Second, "buttons replaced by the decision", func() (bool, string) {
		m := s.topLevel("incident-response")[0]
		ids := strings.Join(m.ActionIDs(), ",")
		return m.Edits > 0 && !strings.Contains(ids, "socflow_approve") && strings.Contains(ids, "socflow_revert"), ids
	})
	// The ticket follows the incident a moment later (its own activity).
	eventually(t, 20*time.Second, "Jira issue transitioned", func() (bool, string) {
		issues := s.jira.Issues()
		if len(issues) != 1 {
			return false, fmt.Sprintf("%d issues", len(issues))
		}
		is := issues[0]
		return is.Status == "Contained" && len(is.Comments) >= 3 && strings.Contains(is.Summary, "P3"),
			fmt.Sprintf("%s %q status %s with %d comments", is.Key, is.Summary, is.Status, len(is.Comments))
	})
	if n := len(s.jira.Issues()); n != 1 {
		t.Fatalf("%d Jira issues, want exactly 1", n)
	}
}

// TestSlackAndJiraFaults makes Slack answer 429 and 500 and hang, and Jira
// answer 500, lose an answer and hang, for a while: the incident still ends
// with one Slack message and one Jira issue.
func TestSlackAndJiraFaults(t *testing.T) {
	s := startSlackJira(t, 2*time.Second, func(c *config.Config) {
		c.Policy.Tiers[0].Timeout = time.Hour
	})
	s.slack.Fail("chat.postMessage", slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 2})
	s.slack.Fail("chat.postMessage", slacktest.Fault{Status: http.StatusInternalServerError, Times: 1})
	s.slack.Fail("chat.postMessage", slacktest.Fault{Hang: true, Times: 1})
	s.jira.Fail("POST /rest/api/2/issue", jiratest.Fault{Status: http.StatusInternalServerError, Times: 1})
	s.jira.Fail("POST /rest/api/2/issue", jiratest.Fault{Status: http.StatusInternalServerError, Commit: true, Times: 1})
	s.jira.Fail("POST /rest/api/2/issue/*/comment", jiratest.Fault{Hang: true, Times: 1})

	s.post("/v1/alerts", "application/json", p3Alert(t, "ws-501"), nil)
	eventually(t, 90*time.Second, "escalation posted despite the faults", func() (bool, string) {
		var tl []string
		var st workflows.IncidentState
		if s.get("/v1/incidents/host:ws-501", &st) == http.StatusOK {
			for _, e := range st.Timeline {
				tl = append(tl, e.Message)
			}
		}
		var jc []string
		for _, c := range s.jira.Calls() {
			jc = append(jc, fmt.Sprintf("%s %s?%s -> %d", c.Method, c.Path, c.Query, c.Status))
		}
		return len(s.topLevel("soc-t1")) == 1, fmt.Sprint(len(s.slack.CallsTo("chat.postMessage")), tl, jc)
	})
	body, _ := json.Marshal(workflows.DecideInput{Verdict: "approve", By: "alice"})
	if code := s.post("/v1/incidents/host:ws-501/decision", "application/json", body, nil); code != http.StatusOK {
		t.Fatalf("decision = %d", code)
	}
	s.waitStatus("host:ws-501", 60*time.Second, workflows.StatusContained)
	eventually(t, 60*time.Second, "containment noted on the ticket", func() (bool, string) {
		is := s.jira.Issues()
		return len(is) == 1 && is[0].Status == "Contained", fmt.Sprint(len(is))
	})
	if n := len(s.topLevel("soc-t1")); n != 1 {
		t.Errorf("#soc-t1 has %d top-level messages after retries, want 1", n)
	}
	if n := len(s.jira.Issues()); n != 1 {
		t.Errorf("%d Jira issues after retries, want 1", n)
	}
	if calls := s.slack.CallsTo("chat.postMessage"); len(calls) < 4 {
		t.Errorf("only %d chat.postMessage calls: the faults were not exercised", len(calls))
	}
}
