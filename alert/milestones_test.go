package alert

import (
	"testing"
	"time"
)

func TestMilestonesSLA(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	m := Milestones{Opened: t0, AcknowledgeDue: t0.Add(15 * time.Minute), ContainDue: t0.Add(time.Hour)}
	soon := 5 * time.Minute
	cases := []struct {
		name  string
		m     Milestones
		now   time.Time
		state string
		ack   bool
		next  string
	}{
		{"fresh", m, t0.Add(time.Minute), SLAOnTime, false, SLAAcknowledge},
		{"ack due soon", m, t0.Add(11 * time.Minute), SLADueSoon, false, SLAAcknowledge},
		{"ack missed", m, t0.Add(16 * time.Minute), SLABreached, true, SLAAcknowledge},
		{"acked late", with(m, func(m *Milestones) { m.Acknowledged = t0.Add(20 * time.Minute) }), t0.Add(21 * time.Minute), SLABreached, true, SLAContain},
		{"acked in time", with(m, func(m *Milestones) { m.Acknowledged = t0.Add(10 * time.Minute) }), t0.Add(30 * time.Minute), SLAOnTime, false, SLAContain},
		{"closed uncontained", with(m, func(m *Milestones) {
			m.Acknowledged = t0.Add(time.Minute)
			m.Closed = t0.Add(50 * time.Minute)
		}), t0.Add(2 * time.Hour), SLAOnTime, false, ""},
		{"no sla", Milestones{Opened: t0}, t0.Add(time.Hour), "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.m.SLAState(c.now, soon); got != c.state {
				t.Errorf("SLAState = %q, want %q", got, c.state)
			}
			if got := c.m.Breached(SLAAcknowledge, c.now); got != c.ack {
				t.Errorf("Breached(acknowledge) = %v, want %v", got, c.ack)
			}
			if _, kind := c.m.NextDue(nil); kind != c.next {
				t.Errorf("NextDue kind = %q, want %q", kind, c.next)
			}
		})
	}
}

func TestMilestonesNextDueSkipsAnnounced(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	m := Milestones{Opened: t0, AcknowledgeDue: t0.Add(15 * time.Minute), ContainDue: t0.Add(time.Hour)}
	if due, kind := m.NextDue([]string{SLAAcknowledge}); kind != SLAContain || !due.Equal(m.ContainDue) {
		t.Errorf("NextDue(acknowledge announced) = %v %q, want the contain deadline", due, kind)
	}
	if _, kind := m.NextDue([]string{SLAAcknowledge, SLAContain}); kind != "" {
		t.Errorf("NextDue(both announced) = %q, want none", kind)
	}
}

// TestMilestonesForStatus: once nothing is left to contain, the contain
// SLA stops counting, in the quiet window as after closing.
func TestMilestonesForStatus(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	m := Milestones{Opened: t0, Acknowledged: t0.Add(time.Minute), AcknowledgeDue: t0.Add(15 * time.Minute), ContainDue: t0.Add(time.Hour)}
	late := t0.Add(2 * time.Hour)
	for status, breached := range map[string]bool{
		StatusAwaiting: true, StatusContaining: true, StatusUnverified: true,
		StatusFalsePositive: false, StatusDenied: false, StatusNoAction: false,
	} {
		if got := m.ForStatus(status).Breached(SLAContain, late); got != breached {
			t.Errorf("%s: contain breached = %v, want %v", status, got, breached)
		}
	}
	contained := with(m, func(m *Milestones) { m.Contained = t0.Add(90 * time.Minute) })
	if !contained.ForStatus(StatusLeaseEnded).Breached(SLAContain, late) {
		t.Error("a containment 30m late no longer breached once its lease ended")
	}
}

func with(m Milestones, f func(*Milestones)) Milestones {
	f(&m)
	return m
}
