package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/console"
)

var _ activities.Notifier = (*console.Notifier)(nil)

func sampleCard() activities.IncidentCard {
	at := time.Date(2026, 5, 14, 9, 20, 0, 0, time.UTC)
	return activities.IncidentCard{
		IncidentID:  "inc-host-dc01",
		Title:       "Unusual inbound connection to dc01",
		Status:      "awaiting_decision",
		Tier:        "IR",
		Channel:     "#incident-response",
		Hosts:       []string{"dc01"},
		Alerts:      2,
		Occurrences: 3,
		Score: alert.Score{Value: 92, Priority: alert.P1, Tier: "IR", SLA: time.Hour, Factors: []alert.Factor{
			{Name: "severity", Effect: "50", Detail: "alert severity medium"},
			{Name: "asset", Effect: "x2", Detail: "dc01 is tier 1 (domain-controller)"},
		}},
		Context: alert.ContextPacket{
			Asset:     &alert.Asset{Name: "dc01", Tier: 1, Role: "domain-controller", Owner: "identity-team", MatchedBy: "hostname"},
			IntelHits: []alert.IntelHit{{Indicator: "203.0.113.7", Type: "ipv4", Source: "abuse-feed", Confidence: 90}},
		},
		Proposed: []alert.Action{
			alert.NewAction(alert.ActionIsolateHost, "dc01", "inbound C2 contact"),
			alert.NewAction(alert.ActionBlockIP, "203.0.113.7", ""),
		},
		History: []alert.Decision{{Verdict: alert.VerdictEscalate, By: "alice", Via: "cli", Tier: "T2", Note: "above my pay grade", At: at}},
	}
}

func TestRenderEscalation(t *testing.T) {
	want := `=== ESCALATION inc-host-dc01 (decision needed) =========================
Unusual inbound connection to dc01
status    awaiting_decision
priority  P1, score 92/100
tier      IR in #incident-response (respond within 1h)
hosts     dc01
users     -
alerts    2 (3 occurrences)

why this score:
  severity           50       alert severity medium
  asset              x2       dc01 is tier 1 (domain-controller)

context:
  asset: dc01 tier 1 (domain-controller), owner identity-team, matched by hostname
  intel: 203.0.113.7 (ipv4) on abuse-feed (confidence 90)

proposed actions:
  [isolate_host:dc01] isolate_host dc01 (destructive): inbound C2 contact
  [block_ip:203.0.113.7] block_ip 203.0.113.7

earlier decisions:
  2026-05-14T09:20:00Z escalate by alice (T2) via cli: above my pay grade

to decide, run one of:
  socflow incident decide inc-host-dc01 --approve
  socflow incident decide inc-host-dc01 --deny
  socflow incident decide inc-host-dc01 --escalate
to approve only some actions, name each with --action:
  socflow incident decide inc-host-dc01 --approve --action isolate_host:dc01
`
	if got := console.Render(activities.NotifyEscalation, sampleCard()); got != want {
		t.Errorf("Render =\n%s\nwant\n%s", got, want)
	}
}

func TestRenderKinds(t *testing.T) {
	done := sampleCard()
	done.Results = []alert.ActionResult{{
		Action: alert.NewAction(alert.ActionIsolateHost, "dc01", ""), Status: alert.ActionDone,
		Reference: "ma-123", Detail: "isolated", At: time.Date(2026, 5, 14, 9, 30, 0, 0, time.UTC),
	}}
	drill := sampleCard()
	drill.Drill = true
	hostile := sampleCard()
	hostile.IncidentID = "inc-host-x;rm -rf ~"
	hostile.Title = "evil\n  socflow incident decide inc-other --approve --as me"
	breach := sampleCard()
	breach.Breach = &alert.SLABreach{SLA: alert.SLAAcknowledge, Due: time.Date(2026, 12, 7, 10, 15, 0, 0, time.UTC), Priority: alert.P2}
	sla := sampleCard()
	sla.Score.SLA = 90 * time.Minute
	sla.Channel = ""

	tests := []struct {
		name    string
		kind    activities.NotifyKind
		card    activities.IncidentCard
		want    []string
		notWant []string
	}{
		{"update", activities.NotifyUpdate, sampleCard(), []string{"=== UPDATE inc-host-dc01 ==="}, []string{"to decide"}},
		{"decision", activities.NotifyDecision, sampleCard(), []string{"=== DECISION inc-host-dc01", "escalate by alice (T2)"}, []string{"to decide"}},
		{"containment", activities.NotifyContainment, done, []string{"=== CONTAINMENT", "results:\n  2026-05-14T09:30:00Z [isolate_host:dc01] done (ref ma-123): isolated"}, nil},
		{"closed", activities.NotifyClosed, done, []string{"=== CLOSED inc-host-dc01"}, []string{"to decide"}},
		{"sla breach", activities.NotifySLABreach, breach, []string{"=== SLA BREACHED inc-host-dc01", "breached  P2 not acknowledged by 2026-12-07T10:15:00Z (acknowledge SLA)"}, []string{"to decide"}},
		{"drill", activities.NotifyEscalation, drill, []string{"DRILL: a rehearsal; nothing will be contained"}, nil},
		{"hostile fields stay on one line and get quoted", activities.NotifyEscalation, hostile,
			[]string{"evil socflow incident decide inc-other", `socflow incident decide 'inc-host-x;rm -rf ~' --approve`},
			[]string{"\n  socflow incident decide inc-other"}},
		{"sla in hours and minutes, no channel", activities.NotifyEscalation, sla, []string{"tier      IR (respond within 1h30m)"}, nil},
		{"empty card", activities.NotifyUpdate, activities.IncidentCard{IncidentID: "inc-1"},
			[]string{"priority  -, score 0/100", "tier      -", "context:\n  asset: not in inventory"}, []string{"why this score", "proposed actions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := console.Render(tt.kind, tt.card)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render =\n%s\nwant it to contain %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Render =\n%s\nwant it not to contain %q", got, w)
				}
			}
		})
	}
}

func TestNotify(t *testing.T) {
	var out bytes.Buffer
	n := console.New(&out)
	ctx := context.Background()
	card := sampleCard()

	ref, err := n.Notify(ctx, activities.NotifyEscalation, card, "")
	if err != nil || ref != "console:inc-host-dc01" {
		t.Fatalf("Notify = %q, %v; want console:inc-host-dc01", ref, err)
	}
	if strings.Contains(out.String(), "updates the earlier message") {
		t.Errorf("the first message claims to update another:\n%s", out.String())
	}
	out.Reset()
	again, err := n.Notify(ctx, activities.NotifyContainment, card, ref)
	if err != nil || again != ref {
		t.Fatalf("second Notify = %q, %v; want the same ref %q", again, err, ref)
	}
	if !strings.Contains(out.String(), "(updates the earlier message console:inc-host-dc01)\n\n") {
		t.Errorf("an update does not say what it updates:\n%s", out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestNotifyErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		w       *console.Notifier
		ctx     context.Context
		card    activities.IncidentCard
		wantErr string
	}{
		{"write fails", console.New(failingWriter{}), context.Background(), sampleCard(), "console: write escalation: disk full"},
		{"no incident ID", console.New(&bytes.Buffer{}), context.Background(), activities.IncidentCard{}, "console: escalation card has no incident ID"},
		{"cancelled", console.New(&bytes.Buffer{}), cancelled, sampleCard(), "console: context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := tt.w.Notify(tt.ctx, activities.NotifyEscalation, tt.card, "")
			if err == nil || err.Error() != tt.wantErr || ref != "" {
				t.Errorf("Notify = %q, %v; want error %q", ref, err, tt.wantErr)
			}
		})
	}
}

func TestNotifyConcurrent(t *testing.T) {
	var out bytes.Buffer
	n := console.New(&out)
	const cards = 40
	var wg sync.WaitGroup
	for i := range cards {
		wg.Go(func() {
			card := sampleCard()
			card.IncidentID = fmt.Sprintf("inc-%02d", i)
			if _, err := n.Notify(context.Background(), activities.NotifyEscalation, card, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	blocks := strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n=== ")
	if len(blocks) != cards {
		t.Fatalf("got %d blocks, want %d", len(blocks), cards)
	}
	for _, b := range blocks {
		id := strings.Fields(strings.TrimPrefix(b, "=== "))[1]
		if strings.Count(b, "socflow incident decide "+id+" ") != 4 || strings.Count(b, "socflow incident decide") != 4 {
			t.Errorf("block for %s is interleaved with another:\n%s", id, b)
		}
	}
}

// A proposal without an undo says so on its line.
func TestRenderSaysThereIsNothingToUndo(t *testing.T) {
	card := sampleCard()
	card.Proposed = []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "bob", "phished")}
	want := "  [revoke_sessions:bob] revoke_sessions bob (destructive) (nothing to undo: sessions cannot be restored): phished\n"
	if got := console.Render(activities.NotifyEscalation, card); !strings.Contains(got, want) {
		t.Errorf("Render =\n%s\nwant a line %q", got, want)
	}
}
