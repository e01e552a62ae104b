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
		{"ack missed", m, t0.Add(16 * time.Minute), SLABreached, true, SLAContain},
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
			if _, kind := c.m.NextDue(c.now); kind != c.next {
				t.Errorf("NextDue kind = %q, want %q", kind, c.next)
			}
		})
	}
}

func with(m Milestones, f func(*Milestones)) Milestones {
	f(&m)
	return m
}
