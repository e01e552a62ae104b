package policy

import (
	"time"

	"github.com/socflow/socflow/alert"
)

// SLA is the response-time promise per priority: how long the responders
// have to acknowledge an incident and how long until it is contained,
// both counted from the incident opening. A breach is posted to the tier
// being asked and recorded in the timeline; the report and /metrics count
// them (alert.Milestones).
type SLA struct {
	// Priorities maps P1-P4 to its targets; a priority not listed has no
	// SLA.
	Priorities map[alert.Priority]SLATarget `yaml:"priorities" json:"priorities,omitempty"`
	// DueSoon is how close to a deadline the incident list calls an
	// incident due soon (default DefaultDueSoon).
	DueSoon time.Duration `yaml:"due_soon" json:"due_soon,omitempty"`
}

// SLATarget is one priority's deadlines; zero leaves that one out.
type SLATarget struct {
	Acknowledge time.Duration `yaml:"acknowledge" json:"acknowledge,omitempty"`
	Contain     time.Duration `yaml:"contain" json:"contain,omitempty"`
}

// DefaultDueSoon is SLA.DueSoon when unset.
const DefaultDueSoon = 5 * time.Minute

// Due returns the deadlines for an incident of priority opened at opened
// (zero times where the SLA sets none).
func (s SLA) Due(priority alert.Priority, opened time.Time) (acknowledge, contain time.Time) {
	t, ok := s.Priorities[priority]
	if !ok || opened.IsZero() {
		return time.Time{}, time.Time{}
	}
	if t.Acknowledge > 0 {
		acknowledge = opened.Add(t.Acknowledge)
	}
	if t.Contain > 0 {
		contain = opened.Add(t.Contain)
	}
	return acknowledge, contain
}

// Soon is DueSoon with its default.
func (s SLA) Soon() time.Duration {
	if s.DueSoon > 0 {
		return s.DueSoon
	}
	return DefaultDueSoon
}
