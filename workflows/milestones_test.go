package workflows_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/workflows"
)

// TestIncidentRecordsMilestones runs a P1 that alice approves five minutes
// in, and checks the response times the report reads: in the audit record
// and in the case file's last batch, with the SLA deadlines of P1.
func TestIncidentRecordsMilestones(t *testing.T) {
	h, rec := answeredP1(t, "dc01", 5*time.Minute, alert.VerdictApprove, time.Time{})
	pol := testPolicy(t, nil)
	m := rec.Milestones
	if m.Opened.IsZero() || !m.Opened.Equal(rec.OpenedAt) {
		t.Fatalf("opened = %v, want the incident's opening %v", m.Opened, rec.OpenedAt)
	}
	if got := m.Decided.Sub(m.Opened); got != 5*time.Minute || m.DecidedBy != "alice" {
		t.Errorf("decided %s after opening by %q, want 5m by alice", got, m.DecidedBy)
	}
	if !m.Acknowledged.Equal(m.Decided) || m.AcknowledgedBy != "alice" {
		t.Errorf("acknowledged %v by %q, want alice's decision at %v", m.Acknowledged, m.AcknowledgedBy, m.Decided)
	}
	if m.Notified.IsZero() || m.Notified.Before(m.Opened) || m.Notified.After(m.Acknowledged) {
		t.Errorf("notified = %v, want between opening %v and acknowledgement %v", m.Notified, m.Opened, m.Acknowledged)
	}
	if m.Contained.Before(m.Decided) || m.Closed.Before(m.Contained) || !m.Closed.Equal(rec.ClosedAt) {
		t.Errorf("contained %v, closed %v: want contained after the decision and closed last, at %v", m.Contained, m.Closed, rec.ClosedAt)
	}
	sla := pol.SLA.Priorities[alert.P1]
	if !m.AcknowledgeDue.Equal(m.Opened.Add(sla.Acknowledge)) || !m.ContainDue.Equal(m.Opened.Add(sla.Contain)) {
		t.Errorf("deadlines %v, %v; want P1's %s and %s after opening", m.AcknowledgeDue, m.ContainDue, sla.Acknowledge, sla.Contain)
	}
	if m.Breached(alert.SLAAcknowledge, m.Closed) || m.Breached(alert.SLAContain, m.Closed) {
		t.Errorf("a P1 decided in 5m and contained at once breached its SLA: %+v", m)
	}
	h.cases.mu.Lock()
	defer h.cases.mu.Unlock()
	last := h.cases.records[len(h.cases.records)-1]
	if last.Priority != "P1" || last.Tier != "IR" || last.Milestones == nil || !last.Milestones.Closed.Equal(m.Closed) {
		t.Errorf("last case batch: priority %q tier %q milestones %+v; want P1, IR and the closing", last.Priority, last.Tier, last.Milestones)
	}
}

// TestIncidentAnnouncesSLABreach: a P1 nobody acknowledges within its 15
// minutes gets one breach notice for the tier, in the timeline as well;
// contained 20 minutes in, it meets its one-hour contain SLA, so nothing
// more is said. Denied instead, its contain deadline passes with nothing
// left to contain: no notice.
func TestIncidentAnnouncesSLABreach(t *testing.T) {
	for _, tt := range []struct {
		verdict alert.Verdict
		status  string
	}{{alert.VerdictApprove, workflows.StatusContained}, {alert.VerdictDeny, workflows.StatusDenied}} {
		t.Run(string(tt.verdict), func(t *testing.T) {
			h, rec := answeredP1(t, "dc01", 20*time.Minute, tt.verdict, time.Time{})
			if rec.Status != tt.status && rec.Status != workflows.StatusClosed {
				t.Fatalf("status %q, want %s", rec.Status, tt.status)
			}
			var breaches []activities.NotifyInput
			h.f.mu.Lock()
			for _, n := range h.f.notes {
				if n.Kind == activities.NotifySLABreach {
					breaches = append(breaches, n)
				}
			}
			h.f.mu.Unlock()
			if len(breaches) != 1 {
				t.Fatalf("%d breach notices, want 1 (acknowledge): %v", len(breaches), h.f.kinds())
			}
			b := breaches[0].Card.Breach
			opened := rec.Milestones.Opened
			if b == nil || b.SLA != alert.SLAAcknowledge || !b.Due.Equal(opened.Add(15*time.Minute)) || b.Priority != alert.P1 {
				t.Fatalf("breach %+v, want P1's acknowledge deadline 15m after %v", b, opened)
			}
			if breaches[0].Card.Status != workflows.StatusAwaiting || breaches[0].Card.Channel == "" {
				t.Errorf("breach card status %q channel %q, want the tier still asked, in its channel", breaches[0].Card.Status, breaches[0].Card.Channel)
			}
			var lines []string
			h.cases.mu.Lock()
			for _, e := range h.cases.timeline {
				if e.Actor == "sla" {
					lines = append(lines, e.Message)
				}
			}
			h.cases.mu.Unlock()
			if len(lines) != 1 || !strings.Contains(lines[0], "SLA breached: P1 not acknowledged by") || !strings.Contains(lines[0], "told IR") {
				t.Errorf("timeline SLA lines %q, want the acknowledge breach told to IR", lines)
			}
			m := rec.Milestones.ForStatus(rec.Status)
			if !m.Breached(alert.SLAAcknowledge, rec.ClosedAt) || m.Breached(alert.SLAContain, rec.ClosedAt) {
				t.Errorf("breached acknowledge %v contain %v, want only acknowledge", m.Breached(alert.SLAAcknowledge, rec.ClosedAt), m.Breached(alert.SLAContain, rec.ClosedAt))
			}
		})
	}
}

// answeredP1 runs a P1 incident on the tier-1 host, which alice answers
// with verdict after the given time, and returns the harness and the
// incident's audit record.
func answeredP1(t *testing.T, host string, after time.Duration, verdict alert.Verdict, start time.Time) (*harness, workflows.IncidentState) {
	t.Helper()
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	if !start.IsZero() {
		h.env.SetStartTime(start)
	}
	a := networkAlert(host, "203.0.113.7")
	if !start.IsZero() {
		a.Time = start.Add(-time.Second)
	}
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: host, Tier: 1}}, "alert/"+host+"/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	h.decide(t, after, workflows.DecideInput{Verdict: verdict, By: "alice", Via: "cli"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("%s: %v", host, err)
	}
	if rejected != nil {
		t.Fatalf("%s: decision rejected: %v", host, rejected)
	}
	if len(h.f.audits) != 1 {
		t.Fatalf("%s: audit records = %d, want 1", host, len(h.f.audits))
	}
	var rec workflows.IncidentState
	if err := json.Unmarshal(h.f.audits[0], &rec); err != nil {
		t.Fatal(err)
	}
	return h, rec
}
