// Package report turns the case figures socflow's store keeps
// ([events.CaseFigures]) into the response times a manager reads: how long
// the machine took (enrich, notify, contain once decided) and how long the
// incident waited for people (acknowledge, decide), per priority and tier,
// with the SLA breaches. The figures are pure functions of the cases and
// a clock; [Collector] serves them to Prometheus and `socflow report`
// prints them.
package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
)

// The figures, as the report and the metrics' figure label name them.
const (
	FigureEnrich      = "enrich"
	FigureNotify      = "notify"
	FigureAcknowledge = "acknowledge"
	FigureDecide      = "decide"
	FigureContain     = "contain"
	FigureClose       = "close"
)

// The kinds of time, as the metrics' kind label names them: the machine's
// own, waiting for people, or the total from opening, which spans both.
const (
	KindMachine = "machine"
	KindHuman   = "human"
	KindTotal   = "total"
)

// DecidedByTimeout is Milestones.DecidedBy when the policy's default
// decided because nobody answered in time: such a decision is not a
// human's, so it is counted apart from the time to decide.
const DecidedByTimeout = "timeout"

// Measure is one figure of one kind of time.
type Measure struct {
	Figure string `json:"figure"`
	Kind   string `json:"kind"`
}

// Measures are the figures the report computes, in the order it prints
// them.
func Measures() []Measure {
	return []Measure{
		{FigureEnrich, KindMachine},
		{FigureNotify, KindMachine},
		{FigureAcknowledge, KindHuman},
		{FigureDecide, KindHuman},
		{FigureContain, KindTotal},
		{FigureContain, KindMachine},
		{FigureClose, KindTotal},
	}
}

// Sample is one incident's value of one measure.
type Sample struct {
	Measure
	Duration time.Duration
}

// opened is when the incident opened: its milestone, or the case's
// opening for a case written before milestones were kept.
func opened(c events.CaseFigures) time.Time { return cmp.Or(c.Milestones.Opened, c.OpenedAt) }

// closed is when it closed, by its milestone or else the case file's.
func closed(c events.CaseFigures) time.Time { return cmp.Or(c.Milestones.Closed, c.ClosedAt) }

// Samples are the measures of one incident that reached both of their
// points:
//
//	enrich      machine  Enriched − Received
//	notify      machine  Notified − Opened
//	acknowledge human    Acknowledged − Notified (Opened when never notified)
//	decide      human    Decided − Notified (Opened when never notified), only when a person decided
//	contain     total    Contained − Opened
//	contain     machine  Contained − Decided (Opened when containment needed no decision)
//	close       total    Closed − Opened
//
// A point earlier than its start is bad data (clocks of different
// processes), not a figure: it gives no sample rather than a negative one.
func Samples(c events.CaseFigures) []Sample {
	m := c.Milestones
	open, waitFrom := opened(c), cmp.Or(m.Notified, opened(c))
	var out []Sample
	add := func(figure, kind string, from, to time.Time) {
		if from.IsZero() || to.IsZero() || to.Before(from) {
			return
		}
		out = append(out, Sample{Measure{figure, kind}, to.Sub(from)})
	}
	add(FigureEnrich, KindMachine, m.Received, m.Enriched)
	add(FigureNotify, KindMachine, open, m.Notified)
	add(FigureAcknowledge, KindHuman, waitFrom, m.Acknowledged)
	if m.DecidedBy != DecidedByTimeout {
		add(FigureDecide, KindHuman, waitFrom, m.Decided)
	}
	add(FigureContain, KindTotal, open, m.Contained)
	add(FigureContain, KindMachine, cmp.Or(m.Decided, open), m.Contained)
	add(FigureClose, KindTotal, open, closed(c))
	return out
}

// MachineAndHuman are one incident's machine time (enrich, notify, and
// containment's machine part) and the time it waited for people: from
// notification to the decision (a timeout's too: the incident waited for
// people who did not answer), or to the acknowledgement when nobody
// decided. Points not reached add nothing.
func MachineAndHuman(c events.CaseFigures) (machine, human time.Duration) {
	for _, s := range Samples(c) {
		if s.Kind == KindMachine {
			machine += s.Duration
		}
	}
	m := c.Milestones
	from := cmp.Or(m.Notified, opened(c))
	if end := cmp.Or(m.Decided, m.Acknowledged); !from.IsZero() && !end.IsZero() && !end.Before(from) {
		human = end.Sub(from)
	}
	return machine, human
}

// Open reports whether the incident has not closed.
func Open(c events.CaseFigures) bool { return closed(c).IsZero() }

// SLAs are the SLA kinds the report counts breaches of.
func SLAs() []string { return []string{alert.SLAAcknowledge, alert.SLAContain} }

// Seconds is a duration that JSON writes as seconds, which is what a
// spreadsheet or a dashboard reading the report wants.
type Seconds time.Duration

// MarshalJSON writes s as seconds, to the millisecond.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(time.Duration(s).Seconds()*1000) / 1000)
}

// Stats summarise one measure over the incidents that reached both of its
// points. The percentiles are nearest-rank: the smallest sample with at
// least p% of the samples at or below it, so each is a time one incident
// actually took (p90 of ten samples is the ninth smallest).
type Stats struct {
	Count int     `json:"count"`
	Mean  Seconds `json:"mean_seconds"`
	P50   Seconds `json:"p50_seconds"`
	P90   Seconds `json:"p90_seconds"`
	Max   Seconds `json:"max_seconds"`
}

// Summarise computes the Stats of ds; it sorts ds.
func Summarise(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Stats{
		Count: len(ds),
		Mean:  Seconds(sum / time.Duration(len(ds))),
		P50:   Seconds(Percentile(ds, 50)),
		P90:   Seconds(Percentile(ds, 90)),
		Max:   Seconds(ds[len(ds)-1]),
	}
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted:
// the element at rank ⌈p/100 × n⌉. It is 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// FigureStats are one measure's Stats.
type FigureStats struct {
	Measure
	Stats
}

// Breaches count the incidents that missed each SLA.
type Breaches struct {
	Acknowledge int `json:"acknowledge"`
	Contain     int `json:"contain"`
}

// Group is the report for some of the incidents: all of them, or those of
// one priority or one tier.
type Group struct {
	// Priority or Tier names the group ("none" for incidents without
	// one); both are empty for the overall group.
	Priority  string `json:"priority,omitempty"`
	Tier      string `json:"tier,omitempty"`
	Incidents int    `json:"incidents"`
	Open      int    `json:"open"`
	// Figures holds every measure, in Measures order, with a zero Count
	// where no incident reached both points.
	Figures  []FigureStats `json:"figures"`
	Breaches Breaches      `json:"sla_breaches"`
	// TimeoutDecisions are decisions the policy's default made: not in
	// the time to decide, which is people's.
	TimeoutDecisions int `json:"timeout_decisions"`
	// Machine and Human are the sums of the incidents' MachineAndHuman.
	Machine Seconds `json:"machine_seconds"`
	Human   Seconds `json:"human_seconds"`
}

// Incident is one incident's line in the report.
type Incident struct {
	IncidentID string    `json:"incident_id"`
	CaseID     string    `json:"case_id"`
	OpenedAt   time.Time `json:"opened_at"`
	Priority   string    `json:"priority"`
	Tier       string    `json:"tier"`
	Drill      bool      `json:"drill,omitempty"`
	Open       bool      `json:"open"`
	Machine    Seconds   `json:"machine_seconds"`
	Human      Seconds   `json:"human_seconds"`
	// Breached names the SLAs the incident missed.
	Breached []string `json:"sla_breached,omitempty"`
}

// Report is the response-time report over the incidents opened in
// [Since, Until), as of Now (which decides whether an open incident has
// breached its SLA yet).
type Report struct {
	Since      time.Time  `json:"since"`
	Until      time.Time  `json:"until"`
	Now        time.Time  `json:"now"`
	Overall    Group      `json:"overall"`
	ByPriority []Group    `json:"by_priority"`
	ByTier     []Group    `json:"by_tier"`
	Incidents  []Incident `json:"incidents"`
}

// None names a group of incidents without a priority or tier.
const None = "none"

// Compute builds the report over cases as of now; the caller sets Since
// and Until, which only label it. Groups are sorted by name, None last.
func Compute(cases []events.CaseFigures, now time.Time) *Report {
	r := &Report{Now: now, Incidents: []Incident{}}
	all := newAccumulator()
	byPriority, byTier := map[string]*accumulator{}, map[string]*accumulator{}
	for _, c := range cases {
		p, t := cmp.Or(c.Priority, None), cmp.Or(c.Tier, None)
		inc := Incident{IncidentID: c.IncidentID, CaseID: c.CaseID, OpenedAt: c.OpenedAt, Priority: p, Tier: t, Drill: c.Drill, Open: Open(c)}
		machine, human := MachineAndHuman(c)
		inc.Machine, inc.Human = Seconds(machine), Seconds(human)
		for _, sla := range SLAs() {
			if c.Milestones.ForStatus(c.Status).Breached(sla, now) {
				inc.Breached = append(inc.Breached, sla)
			}
		}
		r.Incidents = append(r.Incidents, inc)
		for _, acc := range []*accumulator{all, group(byPriority, p), group(byTier, t)} {
			acc.add(c, inc)
		}
	}
	r.Overall = all.group()
	r.ByPriority = groups(byPriority, func(g *Group, name string) { g.Priority = name })
	r.ByTier = groups(byTier, func(g *Group, name string) { g.Tier = name })
	return r
}

// accumulator gathers one group's samples.
type accumulator struct {
	g       Group
	samples map[Measure][]time.Duration
}

func newAccumulator() *accumulator {
	return &accumulator{samples: map[Measure][]time.Duration{}}
}

func group(m map[string]*accumulator, name string) *accumulator {
	if m[name] == nil {
		m[name] = newAccumulator()
	}
	return m[name]
}

func (a *accumulator) add(c events.CaseFigures, inc Incident) {
	a.g.Incidents++
	if inc.Open {
		a.g.Open++
	}
	for _, s := range Samples(c) {
		a.samples[s.Measure] = append(a.samples[s.Measure], s.Duration)
	}
	for _, sla := range inc.Breached {
		switch sla {
		case alert.SLAAcknowledge:
			a.g.Breaches.Acknowledge++
		case alert.SLAContain:
			a.g.Breaches.Contain++
		}
	}
	if !c.Milestones.Decided.IsZero() && c.Milestones.DecidedBy == DecidedByTimeout {
		a.g.TimeoutDecisions++
	}
	a.g.Machine += inc.Machine
	a.g.Human += inc.Human
}

func (a *accumulator) group() Group {
	g := a.g
	g.Figures = make([]FigureStats, 0, len(Measures()))
	for _, m := range Measures() {
		g.Figures = append(g.Figures, FigureStats{Measure: m, Stats: Summarise(a.samples[m])})
	}
	return g
}

func groups(m map[string]*accumulator, name func(*Group, string)) []Group {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == None) != (b == None) {
			if a == None {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	out := make([]Group, 0, len(names))
	for _, n := range names {
		g := m[n].group()
		name(&g, n)
		out = append(out, g)
	}
	return out
}

// Reader reads case figures: the event store.
type Reader interface {
	CaseFigures(ctx context.Context, q events.FiguresQuery) ([]events.CaseFigures, error)
}

// Load reads every case q selects, following the pages to the end, from
// q.After (usually nil); q.Limit is the page size (zero: the store's
// default).
func Load(ctx context.Context, r Reader, q events.FiguresQuery) ([]events.CaseFigures, error) {
	if q.Limit <= 0 {
		q.Limit = events.DefaultFiguresLimit
	}
	// The store caps a page at its maximum: a larger Limit would make
	// every page look like the last.
	q.Limit = min(q.Limit, events.MaxFiguresLimit)
	var all []events.CaseFigures
	for {
		page, err := r.CaseFigures(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		all = append(all, page...)
		if len(page) < q.Limit {
			return all, nil
		}
		q.After = &page[len(page)-1]
	}
}
