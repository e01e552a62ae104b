package report

import (
	"cmp"
	"context"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
)

// Collector defaults.
const (
	// DefaultWindow is how far back the metrics look: a week, what a
	// manager's weekly review covers.
	DefaultWindow = 7 * 24 * time.Hour
	// DefaultCacheTTL is how long one read of the store serves scrapes:
	// Prometheus scrapes every 15–60 s, and several may scrape one API.
	DefaultCacheTTL = 30 * time.Second
	// readTimeout bounds one read of the store during a scrape, which
	// Prometheus gives 10 s by default.
	readTimeout = 8 * time.Second
)

// The metrics' names, as the dashboard (deploy/grafana-socflow-response.json)
// queries them; TestDashboard holds the two to each other.
const (
	MetricResponse  = "socflow_response_seconds"
	MetricBreaches  = "socflow_sla_breaches"
	MetricOpen      = "socflow_open_incidents"
	MetricIncidents = "socflow_report_incidents"
	MetricTimeouts  = "socflow_timeout_decisions"
)

// ResponseBuckets are the histogram's upper bounds in seconds: from the
// machine's seconds to the people's hours, 1 s to a day.
func ResponseBuckets() []float64 {
	return []float64{1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}
}

// CollectorOptions configure a Collector. The zero values of all but
// Reader work.
type CollectorOptions struct {
	// Reader is the store the figures come from.
	Reader Reader
	// Window is how far back from now the incidents opened; zero means
	// DefaultWindow.
	Window time.Duration
	// CacheTTL is how long a read serves scrapes; zero means
	// DefaultCacheTTL.
	CacheTTL time.Duration
	// Drills includes drills; by default the metrics are real incidents'.
	Drills bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Collector is a prometheus.Collector of the response figures of the
// incidents opened in its window: on each scrape (from a cached read of
// the store) it emits
//
//	socflow_response_seconds{figure, kind, priority, tier}  histogram of each Measure
//	socflow_sla_breaches{sla, priority}                     incidents that missed the SLA, as of now
//	socflow_open_incidents{priority}                        incidents not closed
//	socflow_report_incidents{priority}                      incidents opened in the window
//	socflow_timeout_decisions{priority}                     decisions the policy's default made
//
// All are gauges of the window, not counters since the process started:
// they fall as old incidents leave the window. Figures, priorities and
// tiers are the report's ([Measures], [None] for a missing one). A failed
// read makes the scrape fail rather than report zeros.
type Collector struct {
	o     CollectorOptions
	cache *expirable.LRU[string, []events.CaseFigures]
	group singleflight.Group

	response, breaches, open, incidents, timeouts *prometheus.Desc
}

// Collector must keep being a prometheus.Collector.
var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector reading through o.Reader.
func NewCollector(o CollectorOptions) *Collector {
	o.Window = cmp.Or(o.Window, DefaultWindow)
	o.CacheTTL = cmp.Or(o.CacheTTL, DefaultCacheTTL)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Collector{
		o:     o,
		cache: expirable.NewLRU[string, []events.CaseFigures](1, nil, o.CacheTTL),
		response: prometheus.NewDesc(MetricResponse,
			"Response times of the incidents opened in the window, by figure (enrich, notify, acknowledge, decide, contain, close) "+
				"and kind (machine, human, or total from opening).",
			[]string{"figure", "kind", "priority", "tier"}, nil),
		breaches: prometheus.NewDesc(MetricBreaches, "Incidents opened in the window that missed the SLA (acknowledge, contain), as of now.",
			[]string{"sla", "priority"}, nil),
		open: prometheus.NewDesc(MetricOpen, "Incidents opened in the window and not closed.",
			[]string{"priority"}, nil),
		incidents: prometheus.NewDesc(MetricIncidents, "Incidents opened in the window.",
			[]string{"priority"}, nil),
		timeouts: prometheus.NewDesc(MetricTimeouts, "Decisions of incidents opened in the window that the policy's default made because nobody answered.",
			[]string{"priority"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.response, c.breaches, c.open, c.incidents, c.timeouts} {
		ch <- d
	}
}

// read returns the window's cases, from the cache when a read is fresh;
// concurrent scrapes share one read.
func (c *Collector) read() ([]events.CaseFigures, error) {
	const key = "cases"
	if cases, ok := c.cache.Get(key); ok {
		return cases, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		now := c.o.Now()
		q := events.FiguresQuery{Since: now.Add(-c.o.Window), Until: now.Add(time.Microsecond)}
		if !c.o.Drills {
			q.Drill = new(bool)
		}
		cases, err := Load(ctx, c.o.Reader, q)
		if err != nil {
			return nil, err
		}
		c.cache.Add(key, cases)
		return cases, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]events.CaseFigures), nil
}

// series is one histogram's label values.
type series struct{ figure, kind, priority, tier string }

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	cases, err := c.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.response, err)
		return
	}
	now := c.o.Now()
	bounds := ResponseBuckets()
	type histogram struct {
		count   uint64
		sum     float64
		buckets map[float64]uint64
	}
	hists := map[series]*histogram{}
	var order []series
	type counts struct{ incidents, open, timeouts, ack, contain int }
	byPriority := map[string]*counts{}
	var priorities []string
	for _, f := range cases {
		p, t := cmp.Or(f.Priority, None), cmp.Or(f.Tier, None)
		for _, s := range Samples(f) {
			key := series{s.Figure, s.Kind, p, t}
			h := hists[key]
			if h == nil {
				// Every bound, empty ones too: a missing bucket would read
				// as "no data" rather than zero in histogram_quantile.
				h = &histogram{buckets: make(map[float64]uint64, len(bounds))}
				for _, b := range bounds {
					h.buckets[b] = 0
				}
				hists[key] = h
				order = append(order, key)
			}
			v := s.Duration.Seconds()
			h.count++
			h.sum += v
			// Cumulative, as Prometheus' buckets are.
			for _, b := range bounds {
				if v <= b {
					h.buckets[b]++
				}
			}
		}
		n := byPriority[p]
		if n == nil {
			n = &counts{}
			byPriority[p] = n
			priorities = append(priorities, p)
		}
		n.incidents++
		if Open(f) {
			n.open++
		}
		if !f.Milestones.Decided.IsZero() && f.Milestones.DecidedBy == DecidedByTimeout {
			n.timeouts++
		}
		if f.Milestones.Breached(alert.SLAAcknowledge, now) {
			n.ack++
		}
		if f.Milestones.Breached(alert.SLAContain, now) {
			n.contain++
		}
	}
	for _, key := range order {
		h := hists[key]
		ch <- prometheus.MustNewConstHistogram(c.response, h.count, h.sum, h.buckets, key.figure, key.kind, key.priority, key.tier)
	}
	for _, p := range priorities {
		n := byPriority[p]
		ch <- prometheus.MustNewConstMetric(c.incidents, prometheus.GaugeValue, float64(n.incidents), p)
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(n.open), p)
		ch <- prometheus.MustNewConstMetric(c.timeouts, prometheus.GaugeValue, float64(n.timeouts), p)
		ch <- prometheus.MustNewConstMetric(c.breaches, prometheus.GaugeValue, float64(n.ack), alert.SLAAcknowledge, p)
		ch <- prometheus.MustNewConstMetric(c.breaches, prometheus.GaugeValue, float64(n.contain), alert.SLAContain, p)
	}
}
