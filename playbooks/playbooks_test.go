package playbooks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/playbookstest"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func networkAlert(host, src string) alert.Alert {
	return alert.Alert{ID: "n-1", Source: "suricata", Rule: "ET POLICY anomaly", Title: "Anomalous traffic on " + host, Category: "network",
		Severity: alert.SeverityHigh, Time: t0,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: host}}, IPs: []alert.IP{{Addr: src, Direction: alert.DirectionSource}, {Addr: "10.0.0.10", Direction: alert.DirectionDestination}}}}
}

func malwareAlert(host, c2 string) alert.Alert {
	return alert.Alert{ID: "m-1", Source: "defender", Rule: "Trojan:Win32/Emotet", Title: "Emotet on " + host, Category: "malware",
		Severity: alert.SeverityCritical, Time: t0,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: host}}, IPs: []alert.IP{{Addr: c2, Direction: alert.DirectionDestination}}}}
}

func loginAlert(user, src string) alert.Alert {
	return alert.Alert{ID: "l-1", Source: "okta", Rule: "impossible travel", Title: "Impossible travel for " + user, Category: "authentication",
		Severity: alert.SeverityHigh, Time: t0,
		Entities: alert.Entities{Users: []alert.User{{Name: user}}, IPs: []alert.IP{{Addr: src, Direction: alert.DirectionSource}}}}
}

func tier(n int, name string, tags ...string) alert.ContextPacket {
	return alert.ContextPacket{Asset: &alert.Asset{Name: name, Tier: n, Tags: tags}}
}

func phishingAlert(recipient, senderDomain string) alert.Alert {
	return alert.Alert{ID: "p-1", Source: "defender", Rule: "Email reported by user as phish", Title: "Phish reported by " + recipient, Category: "phishing",
		Severity: alert.SeverityHigh, Time: t0,
		Entities: alert.Entities{Users: []alert.User{{Name: recipient}}, Domains: []string{senderDomain},
			URLs: []string{"https://" + senderDomain + "/invoice"}, Files: []alert.FileHash{{SHA256: strings.Repeat("ab", 32)}}}}
}

// TestBuiltinPlaybooks: each shipped playbook, in each version an
// incident may run (0: the latest, which new incidents start on), on the
// incident it is for, with scripted responders, as the incident runs it.
func TestBuiltinPlaybooks(t *testing.T) {
	reg := playbooks.Builtin()
	approve := func(after time.Duration, actions ...string) []playbookstest.Answer {
		return []playbookstest.Answer{{After: after, By: "alice", Verdict: alert.VerdictApprove, Actions: actions}}
	}
	answer := func(after time.Duration, question, value string) playbookstest.Answer {
		return playbookstest.Answer{After: after, By: "alice", Question: question, Answer: value}
	}
	sha := strings.Repeat("ab", 32)
	beacon := networkAlert("ws-7", "203.0.113.7")
	beacon.Techniques = []string{"T1071.001"}
	withHash := malwareAlert("ws-042", "198.51.100.23")
	withHash.Entities.Files = []alert.FileHash{{SHA256: sha}}
	mail := []playbookstest.Event{
		{Time: t0.Add(-2 * time.Hour), Kind: "email", User: "bob@corp.example", Domain: "evil-invoices.example", Summary: "email from evil-invoices.example to bob"},
		{Time: t0.Add(-time.Hour), Kind: "email", User: "carol@corp.example", Domain: "evil-invoices.example", Summary: "email from evil-invoices.example to carol"},
		{Time: t0.Add(-time.Hour), Kind: "email", User: "dave@corp.example", Domain: "partner.example", Summary: "email from partner.example to dave"},
	}
	spawn := []playbookstest.Event{{Time: t0.Add(-3 * time.Minute), Kind: "process_start", Host: "ws-042", Summary: "process_start invoice.exe by winword.exe on ws-042"}}
	for _, tt := range []struct {
		name, playbook string
		version        int
		alert          alert.Alert
		context        alert.ContextPacket
		events         []playbookstest.Event
		answers        []playbookstest.Answer
		fail           map[string]string
		status         string
		calls          []string
		open           bool
		// says are lines the timeline must hold.
		says []string
	}{
		// Version 1, which incidents begun before version 2 keep running.
		{name: "v1 network anomaly, P1 on a domain controller: approved, block and isolate", playbook: "network-anomaly", version: 1,
			alert: networkAlert("dc01", "203.0.113.7"), context: tier(1, "dc01"), answers: approve(5 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7", "isolate dc01"}},
		{name: "v1 network anomaly, P2: the host is not isolated, only the address blocked", playbook: "network-anomaly", version: 1,
			alert: networkAlert("ws-7", "203.0.113.7"), answers: approve(5 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7"}},
		{name: "v1 malware: only the isolation approved", playbook: "malware-on-host", version: 1,
			alert: malwareAlert("ws-042", "198.51.100.23"), answers: approve(3*time.Minute, "isolate_host:ws-042"),
			status: alert.StatusContained, calls: []string{"isolate ws-042"}},
		{name: "v1 account compromise: the block fails, the disable is undone", playbook: "account-compromise", version: 1,
			alert: loginAlert("bob", "203.0.113.50"), answers: approve(time.Minute), fail: map[string]string{"block_ip:203.0.113.50": "address object locked"},
			status: alert.StatusPartial, calls: []string{"disable bob", "block 203.0.113.50", "enable bob"}},

		// The latest versions.
		{name: "network anomaly, P1 on a domain controller: block and isolate", playbook: "network-anomaly",
			alert: networkAlert("dc01", "203.0.113.7"), context: tier(1, "dc01"), answers: approve(5 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7", "isolate dc01"}},
		{name: "network anomaly, P1 on a host tagged no-isolation: its tier says isolate, then approves", playbook: "network-anomaly",
			alert: networkAlert("dc01", "203.0.113.7"), context: tier(1, "dc01", "no-isolation"),
			answers: append([]playbookstest.Answer{answer(2*time.Minute, "isolate-dc01", "isolate")}, approve(5*time.Minute)...),
			status:  alert.StatusContained, calls: []string{"block 203.0.113.7", "isolate dc01"},
			says: []string{"tagged no-isolation", "answered isolate-dc01 via playbook test: isolate"}},
		{name: "network anomaly, P1 on a host tagged no-isolation: nobody answers the question, only the address is proposed", playbook: "network-anomaly",
			alert: networkAlert("dc01", "203.0.113.7"), context: tier(1, "dc01", "no-isolation"), answers: approve(90 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7"},
			says: []string{"not proposing to isolate dc01: do not isolate (nobody answered in time)"}},
		{name: "C2 beaconing from a workstation: block and isolate", playbook: "network-anomaly",
			alert: beacon, answers: approve(5 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7", "isolate ws-7"}},
		{name: "network anomaly, P2 without beaconing: only the address", playbook: "network-anomaly",
			alert: networkAlert("ws-7", "203.0.113.7"), answers: approve(5 * time.Minute),
			status: alert.StatusContained, calls: []string{"block 203.0.113.7"}},
		{name: "network anomaly, nobody answers a P2: the ladder climbs to IR and holds", playbook: "network-anomaly",
			alert: networkAlert("ws-7", "203.0.113.7"), status: alert.StatusAwaiting, open: true},
		{name: "malware: related events on the ticket; isolate, block the hash and the C2 address", playbook: "malware-on-host",
			alert: withHash, events: spawn, answers: approve(3 * time.Minute),
			status: alert.StatusContained, calls: []string{"isolate ws-042", "block hash " + sha, "block 198.51.100.23"},
			says: []string{"enriched again (events): 0 intel hit(s), 1 related event(s)"}},
		{name: "malware: only the isolation approved", playbook: "malware-on-host",
			alert: withHash, answers: approve(3*time.Minute, "isolate_host:ws-042"),
			status: alert.StatusContained, calls: []string{"isolate ws-042"}},
		{name: "account compromise: approved, sessions revoked, account disabled, address blocked", playbook: "account-compromise",
			alert: loginAlert("bob", "203.0.113.50"), answers: approve(time.Minute),
			status: alert.StatusContained, calls: []string{"revoke bob", "disable bob", "block 203.0.113.50"},
			says: []string{"told T2: possible account compromise of bob"}},
		{name: "account compromise: denied", playbook: "account-compromise",
			alert: loginAlert("bob", "203.0.113.50"), answers: []playbookstest.Answer{{After: 10 * time.Minute, By: "alice", Verdict: alert.VerdictDeny, Note: "travelling"}},
			status: alert.StatusDenied},
		{name: "account compromise: the block fails, the disable is undone, the revocation cannot be", playbook: "account-compromise",
			alert: loginAlert("bob", "203.0.113.50"), answers: approve(time.Minute), fail: map[string]string{"block_ip:203.0.113.50": "address object locked"},
			status: alert.StatusPartial, calls: []string{"revoke bob", "disable bob", "block 203.0.113.50", "enable bob"}},
		{name: "phishing: the other recipients found, the sender's domain and the attachment blocked", playbook: "phishing",
			alert: phishingAlert("alice@corp.example", "evil-invoices.example"), events: mail, answers: approve(10 * time.Minute),
			status: alert.StatusContained, calls: []string{"block domain evil-invoices.example", "block hash " + sha},
			says: []string{"2 other recipient(s): carol@corp.example, bob@corp.example"}},
		{name: "phishing: only the domain approved", playbook: "phishing",
			alert: phishingAlert("alice@corp.example", "evil-invoices.example"), answers: approve(10*time.Minute, "block_sender_domain:evil-invoices.example"),
			status: alert.StatusContained, calls: []string{"block domain evil-invoices.example"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pb, ok := reg.Get(tt.playbook)
			if tt.version > 0 {
				pb, ok = reg.GetVersion(tt.playbook, tt.version)
			}
			if !ok {
				t.Fatalf("no playbook %q version %d", tt.playbook, tt.version)
			}
			res, err := playbookstest.Run(playbookstest.Options{Playbook: pb, Alert: tt.alert, Context: tt.context, Events: tt.events, Answers: tt.answers, Fail: tt.fail})
			if err != nil {
				t.Fatal(err)
			}
			if (tt.status != "" && res.Status != tt.status) || res.Open != tt.open || !slices.Equal(res.Calls, tt.calls) {
				t.Errorf("got %s\nwant status %q (open %v), calls %v", res, tt.status, tt.open, tt.calls)
			}
			if len(res.Refused) > 0 {
				t.Errorf("answers refused: %s", strings.Join(res.Refused, "; "))
			}
			text := strings.Join(res.Lines(), "\n")
			for _, want := range tt.says {
				if !strings.Contains(text, want) {
					t.Errorf("timeline lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// askFirst asks T1 whether to isolate before proposing anything, and
// proposes the isolation only on a yes.
var askFirst = playbooks.Playbook{Name: "ask-first", Run: func(ctx workflow.Context, c playbooks.Case) error {
	v := c.View()
	a, err := c.Ask(ctx, playbooks.Question{Text: "Is " + v.Hosts[0] + " a server we may cut off?", Options: []string{"yes", "no"}, Tier: "T1", Default: "no"})
	if err != nil {
		return err
	}
	if a.Value != "yes" {
		c.Note(ctx, "not isolating: "+a.Value)
		return playbooks.Respond(ctx, c, nil)
	}
	return playbooks.Respond(ctx, c, []alert.Action{alert.NewAction(alert.ActionIsolateHost, v.Hosts[0], "the tier said yes")})
}}

// TestAskStep: a question answered by an approver branches the playbook;
// one nobody answers takes its default at the tier's timeout; one a
// non-approver answers is refused and then takes its default.
func TestAskStep(t *testing.T) {
	pol := config.Default().Policy
	pol.Tiers[0].Approvers = []string{"alice"}
	for _, tt := range []struct {
		name    string
		answers []playbookstest.Answer
		calls   []string
		value   string
		by      string
		timed   bool
		refused string
	}{
		{name: "alice says yes, then approves", answers: []playbookstest.Answer{
			{After: 2 * time.Minute, By: "alice", Question: "q1", Answer: "Yes"},
			{After: 4 * time.Minute, By: "alice", Verdict: alert.VerdictApprove}},
			calls: []string{"isolate ws-7"}, value: "yes", by: "alice"},
		{name: "nobody answers: the default at T1's timeout", value: "no", timed: true},
		{name: "mallory may not answer", answers: []playbookstest.Answer{{After: time.Minute, By: "mallory", Question: "q1", Answer: "yes"}},
			value: "no", timed: true, refused: "mallory is not an approver at tier T1, which was asked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := playbookstest.Run(playbookstest.Options{Playbook: askFirst, Alert: networkAlert("ws-7", "203.0.113.7"), Policy: &pol, Answers: tt.answers})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Calls, tt.calls) {
				t.Errorf("calls %v, want %v\n%s", res.Calls, tt.calls, res)
			}
			if len(res.Questions) != 1 || res.Questions[0].Answer == nil {
				t.Fatalf("questions %+v", res.Questions)
			}
			q := res.Questions[0]
			if q.ID != "q1" || q.Answer.Value != tt.value || q.Answer.By != tt.by || q.Answer.TimedOut != tt.timed {
				t.Errorf("question %s answered %+v, want %q by %q (timed out %v)", q.ID, q.Answer, tt.value, tt.by, tt.timed)
			}
			if tt.timed && q.Answer.At.Sub(q.AskedAt) != 15*time.Minute {
				t.Errorf("default after %v, want T1's 15m", q.Answer.At.Sub(q.AskedAt))
			}
			if got := strings.Join(res.Refused, "\n"); (tt.refused == "") != (got == "") || !strings.Contains(got, tt.refused) {
				t.Errorf("refused %q, want %q", got, tt.refused)
			}
			if !slices.Contains(res.Notifications, alert.NotifyQuestion) {
				t.Errorf("notifications %v: the question was not sent to the tier", res.Notifications)
			}
		})
	}
}

// hunting looks the alert's hash up at VirusTotal and asks the event
// store who else got mail from the sender's domain, noting both.
var hunting = playbooks.Playbook{Name: "hunting", Run: func(ctx workflow.Context, c playbooks.Case) error {
	vt, err := c.Enrich(ctx, playbooks.EnrichRequest{Source: "virustotal", Indicators: []string{"evil.example/invoice"}})
	if err != nil {
		return err
	}
	mail, err := c.Enrich(ctx, playbooks.EnrichRequest{Source: "events", Domains: []string{"evil.example"}, Kinds: []string{"email"}})
	if err != nil {
		return err
	}
	var who []string
	for _, e := range mail.Related {
		who = append(who, e.User)
	}
	c.Note(ctx, fmt.Sprintf("virustotal: %d hit(s); recipients: %s", len(vt.IntelHits), strings.Join(who, ", ")))
	if _, err := c.Enrich(ctx, playbooks.EnrichRequest{Source: "sandbox"}); err == nil || !strings.Contains(err.Error(), `no enrichment source "sandbox"`) {
		return fmt.Errorf("an unknown source: %v", err)
	}
	return playbooks.Respond(ctx, c, nil)
}}

// TestEnrichStep: Enrich runs the named source on the case's entities
// and the extra indicators; an events query by domain and kind finds the
// other recipients; an unknown source is an error naming what there is.
func TestEnrichStep(t *testing.T) {
	a := malwareAlert("ws-7", "198.51.100.9")
	a.Entities.Files = []alert.FileHash{{SHA256: "aa11"}}
	hit := alert.IntelHit{Indicator: "aa11", Type: "sha256", Source: "misp", Confidence: 90}
	res, err := playbookstest.Run(playbookstest.Options{Playbook: hunting, Alert: a,
		Context: alert.ContextPacket{Hashes: []string{"aa11"}},
		Intel:   map[string][]alert.IntelHit{"aa11": {hit}, "evil.example/invoice": {{Indicator: "evil.example/invoice", Type: "url", Confidence: 70}}},
		Events: []playbookstest.Event{
			{Time: t0.Add(-time.Hour), Kind: "email", User: "alice@corp.example", Domain: "evil.example"},
			{Time: t0.Add(-30 * time.Minute), Kind: "email", User: "bob@corp.example", Domain: "evil.example"},
			{Time: t0.Add(-20 * time.Minute), Kind: "dns", Host: "ws-7", Domain: "evil.example"},
			{Time: t0.Add(-10 * time.Minute), Kind: "email", User: "carol@corp.example", Domain: "partner.example"},
		},
		Answers: []playbookstest.Answer{{After: time.Minute, By: "alice", Verdict: alert.VerdictDeny}}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(res.Lines(), "\n")
	for _, want := range []string{"virustotal: 2 hit(s); recipients: bob@corp.example, alice@corp.example",
		"enriched again (virustotal): 2 intel hit(s), 0 related event(s)", "enriched again (events): 0 intel hit(s), 2 related event(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
}

// ticketing comments on the ticket and moves it, once by a transition
// the ticket has and once by one it has not.
var ticketing = playbooks.Playbook{Name: "ticketing", Run: func(ctx workflow.Context, c playbooks.Case) error {
	if err := c.Comment(ctx, "triage started"); err != nil {
		return err
	}
	if err := c.Transition(ctx, "Start Progress"); err != nil {
		return err
	}
	if err := c.Transition(ctx, "Unknown"); err != nil {
		return err
	}
	return playbooks.Respond(ctx, c, nil)
}}

// TestTicketStep: Transition moves the ticket by name; one the ticket
// cannot take is noted in the timeline with the tracker's reason and does
// not stop the playbook.
func TestTicketStep(t *testing.T) {
	res, err := playbookstest.Run(playbookstest.Options{Playbook: ticketing, Alert: networkAlert("ws-7", "203.0.113.7"),
		Answers: []playbookstest.Answer{{After: time.Minute, By: "alice", Verdict: alert.VerdictDeny}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Transitions, []string{"Start Progress"}) || !slices.Contains(res.Comments, "triage started") {
		t.Errorf("transitions %v, comments %v", res.Transitions, res.Comments)
	}
	text := strings.Join(res.Lines(), "\n")
	if !strings.Contains(text, `ticket SOC-1 moved by "Start Progress"`) || !strings.Contains(text, `ticket SOC-1 not moved by "Unknown"`) ||
		!strings.Contains(text, `no transition "Unknown" from status "Open"`) || res.Status != alert.StatusDenied {
		t.Errorf("status %s, timeline:\n%s", res.Status, text)
	}
}

// calling calls two APIs at once (keyed, so that the branches may finish
// in any order) and notes what each answered.
var calling = playbooks.Playbook{Name: "calling", Run: func(ctx workflow.Context, c playbooks.Case) error {
	results := make([]string, 2)
	wg := workflow.NewWaitGroup(ctx)
	for i, path := range []string{"/v1/block/203.0.113.7", "/v1/missing"} {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			res, err := c.Call(ctx, playbooks.HTTPRequest{Key: fmt.Sprintf("call-%d", i), Target: "soar", Method: "post", Path: path})
			results[i] = fmt.Sprintf("%d %s err=%v", res.Status, res.Body, err != nil)
		})
	}
	wg.Wait(ctx)
	c.Note(ctx, "answers: "+strings.Join(results, "; "))
	return playbooks.Respond(ctx, c, nil)
}}

// TestCallStep: Call reaches the configured target through the webhook
// activity; concurrent keyed calls each get their own answer, a 404 being
// an error that carries the answer.
func TestCallStep(t *testing.T) {
	res, err := playbookstest.Run(playbookstest.Options{Playbook: calling, Alert: networkAlert("ws-7", "203.0.113.7"),
		HTTP: func(target, method, path, body string) (int, string) {
			if path == "/v1/missing" {
				return 404, `{"error":"no such thing"}`
			}
			return 201, `{"id":"blk-1"}`
		},
		Answers: []playbookstest.Answer{{After: time.Minute, By: "alice", Verdict: alert.VerdictDeny}}})
	if err != nil {
		t.Fatal(err)
	}
	calls := slices.Clone(res.Calls)
	slices.Sort(calls)
	if !slices.Equal(calls, []string{"http POST soar /v1/block/203.0.113.7", "http POST soar /v1/missing"}) {
		t.Errorf("calls %v", res.Calls)
	}
	text := strings.Join(res.Lines(), "\n")
	if !strings.Contains(text, `answers: 201 {"id":"blk-1"} err=false; 404 {"error":"no such thing"} err=true`) {
		t.Errorf("timeline:\n%s", text)
	}
}
