package report

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
)

// dashboardPath is the Grafana dashboard drawing the Collector's metrics.
const dashboardPath = "../deploy/grafana-socflow-response.json"

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"instance", "job"}

// emitted scrapes a Collector whose incidents reach every measure and
// returns each series name it emits with its labels, and every value of
// each label.
func emitted(t *testing.T) (series map[string][]string, values map[string][]string) {
	t.Helper()
	timeout := events.CaseFigures{IncidentID: "incident/user:bob", CaseID: "run-3", OpenedAt: at(time.Hour), Priority: "P3",
		Milestones: alert.Milestones{Opened: at(time.Hour), Decided: at(2 * time.Hour), DecidedBy: DecidedByTimeout, AcknowledgeDue: at(time.Hour)}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(CollectorOptions{Reader: &pagedReader{cases: []events.CaseFigures{full(), timeout}}, Now: func() time.Time { return at(3 * time.Hour) }}))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series, values = map[string][]string{}, map[string][]string{}
	for _, f := range families {
		var labels []string
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(labels, l.GetName()) {
					labels = append(labels, l.GetName())
				}
				if !slices.Contains(values[l.GetName()], l.GetValue()) {
					values[l.GetName()] = append(values[l.GetName()], l.GetValue())
				}
			}
		}
		labels = append(labels, targetLabels...)
		if f.GetType().String() == "HISTOGRAM" {
			series[f.GetName()+"_bucket"] = append(slices.Clone(labels), "le")
			series[f.GetName()+"_sum"] = labels
			series[f.GetName()+"_count"] = labels
			continue
		}
		series[f.GetName()] = labels
	}
	for _, m := range Measures() {
		if !slices.Contains(values["figure"], m.Figure) || !slices.Contains(values["kind"], m.Kind) {
			t.Fatalf("the fixture does not reach %v: the check below would be vacuous", m)
		}
	}
	return series, values
}

// queries are the dashboard's PromQL: every panel target's expr and
// every templating variable's query.
func queries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	out := map[string]string{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q draws nothing", p.Title)
		}
		for _, tg := range p.Targets {
			out[tg.Expr] = "panel " + p.Title
		}
	}
	for _, v := range dash.Templating.List {
		out[v.Query] = "variable " + v.Name
	}
	return out
}

var (
	metricRef   = regexp.MustCompile(`\b[a-z_]+_[a-z_]+\b`)
	selector    = regexp.MustCompile(`(socflow_[a-z_]+)\s*\{([^}]*)\}`)
	matcher     = regexp.MustCompile(`([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	grouping    = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	labelValues = regexp.MustCompile(`label_values\((socflow_[a-z_]+)[^,]*,\s*(\w+)\)`)
)

// TestDashboard reads every PromQL expression of the Grafana dashboard
// and checks that it names only series the Collector emits, labels those
// series carry (or Prometheus adds), and label values of the figure,
// kind and sla labels the Collector uses: a renamed metric, label or
// figure breaks it. It also checks that every metric is drawn.
func TestDashboard(t *testing.T) {
	series, values := emitted(t)
	used := map[string]bool{}
	for expr, where := range queries(t) {
		if strings.TrimSpace(expr) == "" {
			t.Errorf("%s: an empty query", where)
			continue
		}
		var names []string
		for _, name := range metricRef.FindAllString(expr, -1) {
			if !strings.HasPrefix(name, "socflow_") {
				continue // PromQL's functions (histogram_quantile, label_values)
			}
			if _, ok := series[name]; !ok {
				t.Errorf("%s: %s is not a series the collector emits: %s", where, name, expr)
				continue
			}
			names = append(names, name)
			used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")] = true
		}
		if len(names) == 0 {
			t.Errorf("%s queries none of socflow's series: %s", where, expr)
		}
		var labels []string // every label of the series the expression reads
		for _, n := range names {
			labels = append(labels, series[n]...)
		}
		for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
			for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
				label, op, value := m[1], m[2], m[3]
				if !slices.Contains(series[sel[1]], label) {
					t.Errorf("%s: %s has no label %q: %s", where, sel[1], label, expr)
				}
				known := values[label]
				if strings.Contains(value, "$") || !slices.Contains([]string{"figure", "kind", "sla"}, label) {
					continue // a variable's value, or one that depends on the policy
				}
				alternatives := []string{value}
				if op == "=~" || op == "!~" {
					alternatives = strings.Split(value, "|")
				}
				for _, v := range alternatives {
					if !slices.Contains(known, v) {
						t.Errorf("%s: %s=%q is not a value the collector emits (%v): %s", where, label, v, known, expr)
					}
				}
			}
		}
		for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
			for _, label := range strings.Split(g[1], ",") {
				if label = strings.TrimSpace(label); !slices.Contains(labels, label) {
					t.Errorf("%s: groups by %q, which none of %v carries: %s", where, label, names, expr)
				}
			}
		}
		for _, lv := range labelValues.FindAllStringSubmatch(expr, -1) {
			if !slices.Contains(series[lv[1]], lv[2]) {
				t.Errorf("%s: label_values of %q, which %s does not carry", where, lv[2], lv[1])
			}
		}
		if strings.Contains(expr, "histogram_quantile") && !regexp.MustCompile(`by \(le\b`).MatchString(expr) {
			t.Errorf("%s: histogram_quantile over buckets not grouped by le: %s", where, expr)
		}
	}
	for _, m := range []string{MetricResponse, MetricBreaches, MetricOpen, MetricIncidents, MetricTimeouts} {
		if !used[m] {
			t.Errorf("the dashboard does not draw %s", m)
		}
	}
}
