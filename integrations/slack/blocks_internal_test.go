package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/slack/slacktest"
)

func render(t *testing.T, s summary) (slacktest.Message, []slackapi.Block) {
	t.Helper()
	blocks := s.blocks()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := slacktest.ValidateBlocks(raw); err != nil {
		t.Fatalf("Slack would refuse the message: %v", err)
	}
	return slacktest.Message{Blocks: raw}, blocks
}

func TestViewFor(t *testing.T) {
	tests := []struct {
		kind   alert.NotifyKind
		status string
		want   view
	}{
		{alert.NotifyEscalation, alert.StatusAwaiting, viewDecide},
		{alert.NotifyEscalation, "", viewDecide},
		{alert.NotifyUpdate, alert.StatusAwaiting, viewDecide},
		{alert.NotifyUpdate, alert.StatusContained, viewOutcome},
		{alert.NotifyUpdate, "", viewOutcome},
		{alert.NotifyDecision, alert.StatusAwaiting, viewOutcome},
		{alert.NotifyContainment, alert.StatusContained, viewOutcome},
		{alert.NotifyClosed, alert.StatusClosed, viewOutcome},
	}
	for _, tt := range tests {
		if got := viewFor(tt.kind, alert.IncidentCard{Status: tt.status}); got != tt.want {
			t.Errorf("viewFor(%s, %q) = %d, want %d", tt.kind, tt.status, got, tt.want)
		}
	}
}

// TestButtonsPerAction: one approve button per proposed action, whatever
// their number, split into rows Slack accepts.
func TestButtonsPerAction(t *testing.T) {
	for _, n := range []int{0, 1, 3, 21, 22, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			card := alert.IncidentCard{IncidentID: "incident/host:ws-1", Title: "t", Tier: "T1", Status: alert.StatusAwaiting}
			for i := range n {
				card.Proposed = append(card.Proposed, alert.NewAction(alert.ActionBlockIP, fmt.Sprintf("198.51.100.%d", i), ""))
			}
			m, _ := render(t, summary{card: card, view: viewDecide})
			approve, all := 0, 0
			for _, b := range m.Buttons() {
				switch {
				case strings.HasPrefix(b.ActionID, ActionApprove+":"):
					approve++
				case b.ActionID == ActionApproveAll:
					all++
				}
			}
			wantAll := 0
			if n > 0 {
				wantAll = 1
			}
			if approve != n || all != wantAll {
				t.Errorf("%d approve buttons and %d approve-all, want %d and %d", approve, all, n, wantAll)
			}
			if got := len(m.Buttons()); got != n+wantAll+3 {
				t.Errorf("%d buttons, want %d", got, n+wantAll+3)
			}
		})
	}
}

// TestLimits: whatever the alerts say, the message stays within Block
// Kit's limits.
func TestLimits(t *testing.T) {
	long := strings.Repeat("very long text ", 400)
	card := alert.IncidentCard{
		IncidentID: "incident/user:" + strings.Repeat("a", 300), Title: long, Tier: "T1",
		Status: alert.StatusContained, Hosts: []string{long}, Users: []string{long},
	}
	for i := range 400 {
		card.Context.Related = append(card.Context.Related, alert.RelatedEvent{Time: time.Unix(1700000000, 0), Kind: "dns", Summary: long[:200]})
		card.History = append(card.History, alert.Decision{Verdict: alert.VerdictEscalate, By: "U0ALICE01", Tier: "T1", Note: long})
		card.Results = append(card.Results, alert.ActionResult{Action: alert.NewAction(alert.ActionIsolateHost, fmt.Sprint("h", i), ""), Status: alert.ActionDone, Detail: long})
		card.Proposed = append(card.Proposed, alert.NewAction(alert.ActionIsolateHost, fmt.Sprintf("host-%d-%s", i, long[:50]), long))
	}
	for _, v := range []view{viewDecide, viewOutcome, viewMoved} {
		m, blocks := render(t, summary{card: card, view: v, workflowURL: "http://ui/x", ticketURL: "http://jira/x", movedTo: "C0SOCT2"})
		if len(blocks) > 50 {
			t.Errorf("view %d: %d blocks", v, len(blocks))
		}
		if !strings.Contains(strings.Join(m.Texts(), "\n"), "more; see the Temporal UI") {
			t.Errorf("view %d: truncation is silent", v)
		}
	}
}

// TestAlertTextIsInert: text from alerts cannot mention the channel, forge
// a link or add lines.
func TestAlertTextIsInert(t *testing.T) {
	card := alert.IncidentCard{
		IncidentID: "incident/host:x", Title: "<!channel> pwned\nsocflow approved", Tier: "T1", Status: alert.StatusAwaiting,
		Hosts:    []string{"<http://evil.example|dc01>"},
		Proposed: []alert.Action{{ID: "block_ip:1.2.3.4", Kind: alert.ActionBlockIP, Target: "1.2.3.4", Reason: "<@U0ADMIN01> said so & <!here>"}},
		History:  []alert.Decision{{Verdict: alert.VerdictEscalate, By: "<!everyone>", Note: "line\n*forged* decision"}},
	}
	m, _ := render(t, summary{card: card, view: viewDecide})
	// The header is plain_text, where Slack parses no mentions or links.
	head := m.Texts()[0]
	if strings.Contains(head, "\n") || !strings.Contains(head, "<!channel> pwned socflow approved") {
		t.Errorf("header %q", head)
	}
	all := strings.Join(m.Texts()[1:], "\n")
	for _, bad := range []string{"<!channel>", "<http://evil", "<@U0ADMIN01>", "<!here>", "<!everyone>", "\n*forged*"} {
		if strings.Contains(all, bad) {
			t.Errorf("rendered %q:\n%s", bad, all)
		}
	}
	for _, want := range []string{"&lt;http://evil.example|dc01&gt;", "said so &amp; &lt;!here&gt;", "line *forged* decision"} {
		if !strings.Contains(all, want) {
			t.Errorf("want %q in:\n%s", want, all)
		}
	}
}

func TestReplayCache(t *testing.T) {
	now := time.Unix(1700000000, 0)
	c := newReplayCache(2)
	exp := now.Add(time.Minute)
	steps := []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"a", now, true},
		{"a", now, false},                      // replay
		{"b", now, true},                       //
		{"a", now.Add(2 * time.Minute), true},  // expired: no longer a replay
		{"c", now.Add(2 * time.Minute), true},  // full: the oldest goes
		{"c", now.Add(2 * time.Minute), false}, // still remembered
		{"d", now.Add(90 * time.Second), true}, //
	}
	for i, s := range steps {
		if got := c.firstSeen(s.key, exp.Add(s.at.Sub(now)), s.at); got != s.want {
			t.Errorf("step %d: firstSeen(%q) = %v, want %v", i, s.key, got, s.want)
		}
		if len(c.until) > 2 {
			t.Errorf("step %d: %d entries, bound is 2", i, len(c.until))
		}
	}
}

func TestSlackIDs(t *testing.T) {
	tests := []struct {
		s                    string
		user, group, channel bool
	}{
		{"U0123", true, false, false},
		{"W0123ABC", true, false, false},
		{"S0456", false, true, false},
		{"C0SOCT1", false, false, true},
		{"SOC", false, false, false},
		{"U", false, false, false},
		{"alice", false, false, false},
		{"u0123", false, false, false},
	}
	for _, tt := range tests {
		if isUserID(tt.s) != tt.user || isGroupID(tt.s) != tt.group || isChannelID(tt.s) != tt.channel {
			t.Errorf("%q: user %v group %v channel %v", tt.s, isUserID(tt.s), isGroupID(tt.s), isChannelID(tt.s))
		}
	}
}
