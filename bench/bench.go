// Package bench is `socflow bench`: it measures socflow on the embedded
// Temporal server against the engine alone, in one run, and reports the
// figures the README's performance section quotes:
//
//   - unique alerts end to end per second against a bare pipeline of the
//     same shape (e2e_ratio, target >= 0.7);
//   - storm duplicates accepted per second against bare SignalWithStart
//     calls per second (storm_ratio, target >= 20, and >= 20,000 alerts/s);
//   - time to enrich at half the measured maximum sustained rate
//     (enrich_p99_ms, target <= 300 ms);
//   - one incident's state bytes and history after 1,000 and 20,000
//     alerts (target: flat);
//   - a million intel indicators: load time, heap, lookup cost.
//
// Every phase runs on a fresh in-memory server, so that none measures what
// an earlier one left behind, and prints one progress line.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/socflow/socflow/config"
)

// Options say what to run and where.
type Options struct {
	// Config is socflow's configuration (the example one in `socflow
	// bench`); its Temporal address and data directory are replaced.
	Config *config.Config
	// StartServer starts each phase's embedded server.
	StartServer StartServer
	// Progress receives one line per phase (stderr); nil discards them.
	Progress io.Writer
	// Logger receives the worker's and server's logs; nil discards them.
	Logger *slog.Logger
	// DataDir holds each phase's scratch data; "" uses a temporary
	// directory, removed at the end.
	DataDir string
	// Sizes say how much each phase sends.
	Sizes Sizes
	// Only names the phases to run (all when empty); enrich brings e2e,
	// whose rate it offers half of.
	Only []string
}

// PhaseNames are the phases in the order they run.
var PhaseNames = []string{"intel", "e2e", "storm", "enrich", "growth"}

// UnknownPhaseError names a phase Options.Only asked for that does not
// exist.
type UnknownPhaseError struct{ Name string }

func (e *UnknownPhaseError) Error() string {
	return fmt.Sprintf("unknown phase %q (phases: %s)", e.Name, strings.Join(PhaseNames, ", "))
}

// selected returns the phases to run, or the first unknown name.
func (o *Options) selected() (map[string]bool, error) {
	want := map[string]bool{}
	for _, n := range PhaseNames {
		want[n] = len(o.Only) == 0
	}
	for _, n := range o.Only {
		if _, ok := want[n]; !ok {
			return nil, &UnknownPhaseError{Name: n}
		}
		want[n] = true
	}
	if want["enrich"] {
		want["e2e"] = true
	}
	return want, nil
}

// Sizes are each phase's volumes.
type Sizes struct {
	// Unique distinct alerts (one incident each), sent in batches of
	// Batch.
	Unique, Batch int
	// Storm alerts of StormFingerprints fingerprints, in batches of
	// StormBatch from StormSenders concurrent senders; BareCalls bare
	// SignalWithStart calls to compare them with.
	Storm, StormFingerprints, StormBatch, StormSenders, BareCalls int
	// EnrichFor is how long alerts are offered at half the maximum rate.
	EnrichFor time.Duration
	// Growth lists the alert counts one incident is measured after.
	Growth []int
	// Intel indicators are loaded (0 skips the phase).
	Intel int
}

// DefaultSizes are `socflow bench`'s volumes: about five minutes on two
// cores.
func DefaultSizes() Sizes {
	return Sizes{
		Unique: 1000, Batch: 100,
		Storm: 20000, StormFingerprints: 20, StormBatch: 1000, StormSenders: 4, BareCalls: 5000,
		EnrichFor: 10 * time.Second,
		Growth:    []int{1000, 20000},
		Intel:     1_000_000,
	}
}

// QuickSizes are small volumes for tests of the bench itself.
func QuickSizes() Sizes {
	return Sizes{
		Unique: 30, Batch: 10,
		Storm: 400, StormFingerprints: 20, StormBatch: 100, StormSenders: 2, BareCalls: 100,
		EnrichFor: 2 * time.Second,
		Growth:    []int{50, 250},
		Intel:     30_000,
	}
}

// Report is one run's figures. The JSON keys are stable: scripts and the
// README read them.
type Report struct {
	Date     string `json:"date"`
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	Go       string `json:"go"`
	Revision string `json:"revision,omitempty"`

	// End to end: unique alerts until every incident is open with its
	// alert, socflow against the bare pipeline.
	UniqueAlerts   int     `json:"unique_alerts"`
	E2EAlertsPerS  float64 `json:"e2e_alerts_per_s"`
	BareAlertsPerS float64 `json:"bare_alerts_per_s"`
	E2ERatio       float64 `json:"e2e_ratio"`
	// MaxRatePerS is the maximum sustained rate measured (the end-to-end
	// rate); the enrichment phase offers half of it.
	MaxRatePerS float64 `json:"max_rate_per_s"`
	// Shape is the work per unique alert the bare pipeline copies.
	Shape        Shape `json:"shape"`
	PerUnique    Cost  `json:"per_unique_alert"`
	PerUniqueBar Cost  `json:"per_unique_alert_bare"`

	// Storm: duplicates accepted through the API (202 after Temporal
	// accepted) against bare SignalWithStart calls.
	StormAlerts     int     `json:"storm_alerts"`
	StormAlertsPerS float64 `json:"storm_alerts_per_s"`
	BareSWSPerS     float64 `json:"bare_signal_with_start_per_s"`
	StormRatio      float64 `json:"storm_ratio"`
	// StormSettledS is how long until every storm alert was counted in
	// its incident.
	StormSettledS float64 `json:"storm_settled_s"`
	PerStormAlert Cost    `json:"per_storm_alert"`

	// Time to enrich: intake's acceptance to a complete context packet.
	EnrichOfferedPerS float64 `json:"enrich_offered_per_s"`
	EnrichAlerts      int     `json:"enrich_alerts"`
	EnrichP50Ms       float64 `json:"enrich_p50_ms"`
	EnrichP99Ms       float64 `json:"enrich_p99_ms"`
	EnrichMaxMs       float64 `json:"enrich_max_ms"`

	// One incident after n alerts (200 fingerprints, one host).
	Growth          []Growth `json:"growth"`
	StateBytes1000  int      `json:"state_bytes_1000,omitempty"`
	StateBytes20000 int      `json:"state_bytes_20000,omitempty"`

	Intel *IntelFigures `json:"intel,omitempty"`

	Phases   []Phase `json:"phases"`
	TotalSec float64 `json:"total_s"`
}

// Cost is what workflows cost per alert, counted from their histories.
type Cost struct {
	WorkflowTasks   float64 `json:"workflow_tasks"`
	Activities      float64 `json:"activities"`
	LocalActivities float64 `json:"local_activities"`
	Upserts         float64 `json:"search_attribute_upserts"`
	Timers          float64 `json:"timers"`
	HistoryEvents   float64 `json:"history_events"`
	HistoryBytes    float64 `json:"history_bytes"`
}

// Growth is one incident's size after Alerts alerts.
type Growth struct {
	Alerts int `json:"alerts"`
	// StateBytes is the incident's status query answer, JSON-encoded.
	StateBytes int `json:"state_bytes"`
	// HistoryEvents is the current run's history length; TotalEvents sums
	// every run of the continue-as-new chain.
	HistoryEvents int64   `json:"history_events"`
	TotalEvents   int64   `json:"total_history_events"`
	Runs          int     `json:"runs"`
	SettledS      float64 `json:"settled_s"`
}

// Phase is how long one phase took.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"s"`
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (o *Options) dataDir() string {
	d, err := os.MkdirTemp(o.DataDir, "phase-")
	if err != nil {
		return o.DataDir
	}
	return d
}

func (o *Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
	}
}

// Run runs every phase and returns the report. A phase that fails ends
// the run with an error naming it.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Config == nil || o.StartServer == nil {
		return nil, fmt.Errorf("bench: a configuration and a server starter are required")
	}
	if o.Sizes.Unique == 0 {
		o.Sizes = DefaultSizes()
	}
	want, err := o.selected()
	if err != nil {
		return nil, err
	}
	if o.DataDir == "" {
		d, err := os.MkdirTemp("", "socflow-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(d)
		o.DataDir = d
	}
	start := time.Now()
	r := &Report{
		Date: start.UTC().Format(time.DateOnly), CPU: cpuName(), Cores: runtime.NumCPU(),
		Go: runtime.Version(), Revision: revision(),
	}
	run := map[string]func(context.Context, *Options, *Report) error{
		"intel": runIntel, "e2e": runE2E, "storm": runStorm, "enrich": runEnrich, "growth": runGrowth,
	}
	type phase struct {
		name string
		run  func(context.Context, *Options, *Report) error
	}
	var phases []phase
	for _, n := range PhaseNames {
		if want[n] {
			phases = append(phases, phase{n, run[n]})
		}
	}
	for i, p := range phases {
		t := time.Now()
		o.progress("[%d/%d] %s ...", i+1, len(phases), p.name)
		// Every goroutine the phase starts (its server's included) carries
		// the phase's label: `go tool pprof -tagfocus phase=storm`.
		var err error
		pprof.Do(ctx, pprof.Labels("phase", p.name), func(ctx context.Context) { err = p.run(ctx, &o, r) })
		if err != nil {
			return r, fmt.Errorf("bench: %s: %w", p.name, err)
		}
		r.Phases = append(r.Phases, Phase{Name: p.name, Seconds: round(time.Since(t).Seconds(), 1)})
	}
	r.TotalSec = round(time.Since(start).Seconds(), 1)
	o.progress("done in %.0f s", r.TotalSec)
	return r, nil
}

// cpuName is the model the Go benchmark header names ("cpu: ...").
func cpuName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
