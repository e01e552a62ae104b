package bench

import "fmt"

// Targets are the figures the issue set for socflow on two cores.
const (
	TargetE2ERatio       = 0.7
	TargetStormRatio     = 20
	TargetStormPerS      = 20000
	TargetEnrichP99Ms    = 300
	TargetIntelLoadS     = 2
	TargetIntelHeapMB    = 100
	maxGrowthStateFactor = 1.5
)

// Row is one line of the text report.
type Row struct {
	Name, Value, Target, Verdict string
}

// Rows lists the report's figures with their targets, in phase order;
// phases not run are left out.
func (r *Report) Rows() []Row {
	var rows []Row
	add := func(name, value, target string, ok *bool) {
		v := ""
		if ok != nil {
			v = "ok"
			if !*ok {
				v = "MISSED"
			}
		}
		rows = append(rows, Row{name, value, target, v})
	}
	is := func(b bool) *bool { return &b }
	if f := r.Intel; f != nil {
		add("intel_load_s", fmt.Sprintf("%.2f (%d indicators)", f.LoadS, f.Indicators), fmt.Sprintf("< %d", TargetIntelLoadS), is(f.LoadS < TargetIntelLoadS))
		add("intel_heap_mb", fmt.Sprintf("%.1f", f.HeapMB), fmt.Sprintf("< %d", TargetIntelHeapMB), is(f.HeapMB < TargetIntelHeapMB))
		add("intel_lookup_hit", fmt.Sprintf("%.0f ns, %.0f allocs", f.HitNs, f.HitAllocs), "0 allocs", is(f.HitAllocs == 0))
		add("intel_lookup_miss", fmt.Sprintf("%.0f ns, %.0f allocs", f.MissNs, f.MissAllocs), "0 allocs", is(f.MissAllocs == 0))
	}
	if r.UniqueAlerts > 0 {
		add("e2e_alerts_per_s", fmt.Sprintf("%.1f (%d unique alerts)", r.E2EAlertsPerS, r.UniqueAlerts), "", nil)
		add("bare_alerts_per_s", fmt.Sprintf("%.1f", r.BareAlertsPerS), "", nil)
		add("e2e_ratio", fmt.Sprintf("%.2f", r.E2ERatio), fmt.Sprintf(">= %.1f", TargetE2ERatio), is(r.E2ERatio >= TargetE2ERatio))
		add("per_unique_alert", costText(r.PerUnique), "", nil)
		add("per_unique_alert_bare", costText(r.PerUniqueBar), "", nil)
	}
	if r.StormAlerts > 0 {
		add("storm_alerts_per_s", fmt.Sprintf("%.0f (%d alerts)", r.StormAlertsPerS, r.StormAlerts), fmt.Sprintf(">= %d", TargetStormPerS), is(r.StormAlertsPerS >= TargetStormPerS))
		add("bare_signal_with_start_per_s", fmt.Sprintf("%.0f", r.BareSWSPerS), "", nil)
		add("storm_ratio", fmt.Sprintf("%.1f", r.StormRatio), fmt.Sprintf(">= %d", TargetStormRatio), is(r.StormRatio >= TargetStormRatio))
		add("per_storm_alert", costText(r.PerStormAlert), "", nil)
	}
	if r.EnrichAlerts > 0 {
		add("max_rate_per_s", fmt.Sprintf("%.1f", r.MaxRatePerS), "", nil)
		add("enrich_p50_ms", fmt.Sprintf("%.0f (%d alerts at %.0f/s)", r.EnrichP50Ms, r.EnrichAlerts, r.EnrichOfferedPerS), "", nil)
		add("enrich_p99_ms", fmt.Sprintf("%.0f", r.EnrichP99Ms), fmt.Sprintf("<= %d", TargetEnrichP99Ms), is(r.EnrichP99Ms <= TargetEnrichP99Ms))
	}
	for i, g := range r.Growth {
		var ok *bool
		if i > 0 {
			ok = is(r.growthFlat())
		}
		add(fmt.Sprintf("state_bytes_%d", g.Alerts), fmt.Sprintf("%d (run %d events, %d runs)", g.StateBytes, g.HistoryEvents, g.Runs), "flat", ok)
	}
	return rows
}

// growthFlat reports whether the incident's state after the most alerts
// stays within 1.5x of that after the fewest. The run's history is
// reported beside it, not judged: it grows with the signals the incident
// receives (batched, so far slower than the alerts) until the run
// continues as new at Limits.Events, which bounds it by construction.
func (r *Report) growthFlat() bool {
	if len(r.Growth) < 2 {
		return true
	}
	a, b := r.Growth[0], r.Growth[len(r.Growth)-1]
	return float64(b.StateBytes) <= maxGrowthStateFactor*float64(a.StateBytes)
}

// Missed names the targets this report misses.
func (r *Report) Missed() []string {
	var out []string
	for _, row := range r.Rows() {
		if row.Verdict == "MISSED" {
			out = append(out, row.Name)
		}
	}
	return out
}

func costText(c Cost) string {
	return fmt.Sprintf("%.2f workflow tasks, %.2f activities, %.2f local, %.2f upserts, %.1f events, %.0f bytes",
		c.WorkflowTasks, c.Activities, c.LocalActivities, c.Upserts, c.HistoryEvents, c.HistoryBytes)
}
