package jira

import (
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func TestDescription(t *testing.T) {
	card := testCard()
	d := Description(card, uiBase)
	want := []string{
		"*Incident:* host:dc01\n",
		"*Priority:* P1, score 100/100\n",
		"*Tier:* IR in #soc-ir (respond within 15m)\n",
		"*Alerts:* 2 (5 occurrences)\n",
		"\nh3. Why this score\n",
		"* base +60: severity high\n",
		"* asset x1.5: tier 1 (domain-controller)\n",
		"* intel +20: 203.0.113.7 on abuse-feed\n",
		"\nh3. Context\n",
		"\nh3. Proposed actions\n",
		"* isolate_host dc01 (destructive): tier 1 asset talking to a watchlisted network (action isolate_host:dc01)\n",
		"[Incident host:dc01 in the Temporal Web UI|http://127.0.0.1:8233/namespaces/default/workflows?query=WorkflowId%3D%22incident%2Fhost%3Adc01%22]\n",
		"Details: socflow incident show host:dc01\n",
	}
	// Every line of the context packet, as every channel renders it.
	for _, l := range card.Context.Lines() {
		want = append(want, "* "+escape(l)+"\n")
	}
	for _, w := range want {
		if !strings.Contains(d, w) {
			t.Errorf("description lacks %q:\n%s", w, d)
		}
	}
	// The intel line's labels are bracketed, which would be a link.
	if !strings.Contains(d, `* intel: 203.0.113.0/24 (cidr) on abuse-feed (confidence 60) \[brute-force, hosting\]: mass scanner`) {
		t.Errorf("intel line not escaped:\n%s", d)
	}
	if strings.Contains(d, "h3. Decisions") || strings.Contains(d, "h3. Containment results") {
		t.Errorf("empty sections rendered:\n%s", d)
	}

	card.History = []alert.Decision{{Verdict: alert.VerdictEscalate, By: "bob", Via: "slack", Tier: "T1", At: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC), Note: "above my pay grade"}}
	card.Results = []alert.ActionResult{{Action: card.Proposed[0], Status: alert.ActionDone, Reference: "ma-1", At: time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC)}}
	card.Drill = true
	d = Description(card, "")
	for _, w := range []string{
		"*DRILL:* a rehearsal; nothing will be contained.\n",
		"* escalate by bob (T1) via slack at 2026-01-02T03:00:00Z: above my pay grade\n",
		"* isolate_host dc01: done (ref ma-1) at 2026-01-02T03:10:00Z\n",
	} {
		if !strings.Contains(d, w) {
			t.Errorf("description lacks %q:\n%s", w, d)
		}
	}
	if strings.Contains(d, "Temporal Web UI") {
		t.Errorf("link without a UI base URL:\n%s", d)
	}
}

func TestDescriptionIsBounded(t *testing.T) {
	card := testCard()
	for range 2000 {
		card.Context.Related = append(card.Context.Related, alert.RelatedEvent{Kind: "dns", Summary: strings.Repeat("x", 40)})
	}
	if n := len([]rune(Description(card, uiBase))); n > maxText {
		t.Errorf("description has %d characters, Jira takes %d", n, maxText)
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain host-01_a*b", "plain host-01_a*b"},
		{"[click|http://evil.example]", `\[click\|http://evil.example\]`},
		{"{color:red}alarm{color}", `\{color:red\}alarm\{color\}`},
		{"!http://evil.example/pixel.png!", `\!http://evil.example/pixel.png\!`},
		{`C:\Windows\{x}`, `C:&#92;Windows&#92;\{x\}`},
		{"line one\nh1. forged heading\r\n* forged bullet", "line one h1. forged heading * forged bullet"},
		{"[~admin]", `\[~admin\]`},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHostileCard(t *testing.T) {
	card := testCard()
	card.Title = "evil\n[x|http://evil]"
	card.Hosts = []string{"{noformat}"}
	card.Context.Users = []alert.UserContext{{Name: "mallory", Anomalies: []string{"!http://evil/p.png!"}}}
	d := Description(card, uiBase)
	for _, bad := range []string{"{noformat}", "!http://evil/p.png!", "[x|http://evil]"} {
		if strings.Contains(d, bad) {
			t.Errorf("description carries %q unescaped:\n%s", bad, d)
		}
	}
	if got := Summary(card); got != "[P1] evil [x|http://evil]" {
		t.Errorf("summary = %q", got)
	}
}

func TestSummary(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name string
		card alert.IncidentCard
		want string
	}{
		{"plain", alert.IncidentCard{IncidentID: "host:a", Title: "Brute force", Score: alert.Score{Priority: alert.P2}}, "[P2] Brute force"},
		{"drill", alert.IncidentCard{IncidentID: "host:a", Title: "Brute force", Score: alert.Score{Priority: alert.P1}, Drill: true}, "[P1] DRILL: Brute force"},
		{"unscored", alert.IncidentCard{IncidentID: "host:a", Title: "x"}, "[P?] x"},
		{"no title", alert.IncidentCard{IncidentID: "host:a", Score: alert.Score{Priority: alert.P4}}, "[P4] incident host:a"},
		{"multi-line", alert.IncidentCard{IncidentID: "host:a", Title: "a\n\tb", Score: alert.Score{Priority: alert.P3}}, "[P3] a b"},
		// Cut to 255 bytes, which holds Jira's 255 characters, with a mark.
		{"long", alert.IncidentCard{IncidentID: "host:a", Title: long, Score: alert.Score{Priority: alert.P3}}, "[P3] " + long[:2*123] + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summary(tt.card)
			if got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
			if n := len(got); n > 255 {
				t.Errorf("%d bytes", n)
			}
		})
	}
}

func TestIncidentLabel(t *testing.T) {
	tests := []struct {
		id, prefix string
	}{
		{"host:dc01", "socflow-incident-host-dc01-"},
		{"user:Alice Smith/CORP", "socflow-incident-user-alice-smith-corp-"},
		{"ip:2001:db8::1", "socflow-incident-ip-2001-db8-1-"},
		{"correlation/brute force/10.0.0.1", "socflow-incident-correlation-brute-force-10.0.0.1-"},
		{"::", "socflow-incident-"},
	}
	if got := IncidentLabel("host:dc01"); got != "socflow-incident-host-dc01-a945365a" {
		t.Errorf("IncidentLabel(host:dc01) = %q, as documented", got)
	}
	for _, tt := range tests {
		got := IncidentLabel(tt.id)
		if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+8 {
			t.Errorf("IncidentLabel(%q) = %q, want %s<8 hex digits>", tt.id, got, tt.prefix)
		}
		if strings.ContainsAny(got, " /\t\"") {
			t.Errorf("IncidentLabel(%q) = %q holds a character labels cannot", tt.id, got)
		}
	}
	// IDs that sanitise alike still get distinct labels.
	for _, pair := range [][2]string{{"host:DC01", "host:dc01"}, {"host:dc01", "host-dc01"}, {"user:a b", "user:a/b"}} {
		if IncidentLabel(pair[0]) == IncidentLabel(pair[1]) {
			t.Errorf("%q and %q share a label", pair[0], pair[1])
		}
	}
	if got := IncidentLabel(strings.Repeat("a", 1000)); len(got) > 255 {
		t.Errorf("label of a long ID has %d characters", len(got))
	}
	if IncidentLabel("host:dc01") != IncidentLabel("host:dc01") {
		t.Error("label is not stable")
	}
}

func TestCommentFor(t *testing.T) {
	card := testCard()
	card.History = []alert.Decision{
		{Verdict: alert.VerdictEscalate, By: "bob", Tier: "T1"},
		{Verdict: alert.VerdictApprove, By: "alice", Via: "cli", Tier: "IR", Actions: []string{"isolate_host:dc01"}, Note: "go [now]"},
	}
	card.Results = []alert.ActionResult{
		{Action: card.Proposed[0], Status: alert.ActionDone, Reference: "ma-1"},
		{Action: alert.NewAction(alert.ActionDisableUser, "alice", ""), Status: alert.ActionFailed, Detail: "403 from Okta"},
	}
	card.Status = "closed"
	card.Breach = &alert.SLABreach{SLA: alert.SLAContain, Due: time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC), Priority: alert.P1}
	tests := []struct {
		kind alert.NotifyKind
		want []string
	}{
		{alert.NotifyUpdate, []string{"*New alerts:* the incident now has 2 alerts (5 occurrences); score 100/100, P1, tier IR.", "* asset: dc01 tier 1"}},
		{alert.NotifyEscalation, []string{"*Escalated to IR* (#soc-ir): a decision is needed within 15m. Score 100/100, P1.", "* isolate_host dc01 (destructive)", "socflow incident decide host:dc01"}},
		{alert.NotifyDecision, []string{`*Decision:* approve by alice (IR) via cli, actions isolate_host:dc01: go \[now\]`}},
		{alert.NotifyContainment, []string{"*Containment:*", "* isolate_host dc01: done (ref ma-1)", "* disable_user alice: failed: 403 from Okta"}},
		{alert.NotifyClosed, []string{"*Closed:* status closed after 2 alerts (5 occurrences).", "h3. Containment results"}},
		{alert.NotifySLABreach, []string{"*SLA breached:* P1 not contained by 2026-12-07T11:00:00Z (contain SLA); at IR, status closed."}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			got := CommentFor(tt.kind, card)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("comment lacks %q:\n%s", w, got)
				}
			}
		})
	}
	at := time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC)
	verified := ContainmentComment([]alert.ActionResult{
		{Action: card.Proposed[0], Status: alert.ActionPending, State: "containment_pending", VerifyBy: at.Add(10 * time.Minute), LeaseUntil: at.Add(4 * time.Hour), At: at},
		{Action: alert.NewAction(alert.ActionBlockIP, "203.0.113.9", ""), Status: alert.ActionLeftAsFound, At: at},
		{Action: alert.NewAction(alert.ActionDisableUser, "alice", ""), Status: alert.ActionUnverified, State: "Pending [sic]", At: at},
		{Action: alert.NewAction(alert.ActionDisableUser, "bob", ""), Status: alert.ActionRevertFailed, At: at},
	})
	for _, w := range []string{
		"* isolate_host dc01: pending verification (vendor: containment_pending; verify by 03:20Z), lease until 07:10Z at 2026-01-02T03:10:00Z\n",
		"* block_ip 203.0.113.9: left as found (already blocked; socflow will not undo it) at",
		`* disable_user alice: unverified (vendor's last state: Pending \[sic\]) at`,
		"* disable_user bob: revert failed: still in force at",
	} {
		if !strings.Contains(verified, w) {
			t.Errorf("containment comment lacks %q:\n%s", w, verified)
		}
	}
	if got := ContainmentComment(nil); !strings.Contains(got, "no actions were carried out") {
		t.Errorf("empty containment = %q", got)
	}
	if got := DecisionComment(alert.Decision{}); got != "*Decision:* - by -\n" {
		t.Errorf("empty decision = %q", got)
	}
}

func TestTemporalURL(t *testing.T) {
	tests := []struct{ base, id, want string }{
		{"http://ui:8233/namespaces/default/", "host:dc01", "http://ui:8233/namespaces/default/workflows?query=WorkflowId%3D%22incident%2Fhost%3Adc01%22"},
		{"", "host:dc01", ""},
		{"http://ui", "", ""},
		{"http://ui/a|b]", "x", "http://ui/a%7Cb%5D/workflows?query=WorkflowId%3D%22incident%2Fx%22"},
	}
	for _, tt := range tests {
		if got := TemporalURL(tt.base, tt.id); got != tt.want {
			t.Errorf("TemporalURL(%q, %q) = %q, want %q", tt.base, tt.id, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue.","issuetype":"Specify an issue type"}}`,
			"issuetype: Specify an issue type; summary: You must specify a summary of the issue."},
		{`{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`,
			"Issue does not exist or you do not have permission to see it."},
		{`{"code":401,"message":"Unauthorized; scope does not match"}`, "Unauthorized; scope does not match"},
		{"  <html>502 Bad Gateway</html>\n", "<html>502 Bad Gateway</html>"},
		{`{}`, "{}"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := errorText([]byte(tt.body)); got != tt.want {
			t.Errorf("errorText(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
	if got := errorText([]byte(strings.Repeat("é", 2000))); len(got) > maxErrorBody || !strings.HasSuffix(got, "é…") {
		t.Errorf("long body cut badly: %d bytes", len(got))
	}
}

// A proposal without an undo says so on its line.
func TestDescriptionSaysThereIsNothingToUndo(t *testing.T) {
	card := testCard()
	card.Proposed = []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "bob", "phished")}
	want := "* revoke_sessions bob (destructive) (nothing to undo: sessions cannot be restored): phished (action revoke_sessions:bob)\n"
	if d := Description(card, uiBase); !strings.Contains(d, want) {
		t.Errorf("description lacks %q:\n%s", want, d)
	}
}
