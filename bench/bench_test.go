package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/socflow/socflow/bench"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
)

func startServer(ctx context.Context, o bench.ServerOptions) (bench.Server, error) {
	return devserver.Start(ctx, devserver.Options{Namespace: o.Namespace, SearchAttributes: o.SearchAttributes, Logger: o.Logger})
}

func options(t testing.TB, sizes bench.Sizes) bench.Options {
	cfg, err := config.Load("../examples/socflow.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return bench.Options{Config: cfg, StartServer: startServer, Progress: testWriter{t}, DataDir: t.TempDir(), Sizes: sizes}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestRunQuick runs every phase at small volumes and checks that each
// figure was measured (not left at zero) and that the per-alert costs
// counted real work.
func TestRunQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs embedded servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := bench.Run(ctx, options(t, bench.QuickSizes()))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{
		"e2e_alerts_per_s": r.E2EAlertsPerS, "bare_alerts_per_s": r.BareAlertsPerS, "e2e_ratio": r.E2ERatio,
		"storm_alerts_per_s": r.StormAlertsPerS, "storm_ratio": r.StormRatio, "enrich_p50_ms": r.EnrichP50Ms,
		"enrich_p99_ms": r.EnrichP99Ms, "intel load_s": r.Intel.LoadS,
	} {
		if v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if r.Shape.AlertLocal < 2 || r.Shape.AlertRemote < 1 || r.Shape.IncidentRemote < 1 {
		t.Errorf("shape %+v: the alert run reads its policy and triages locally, and hands off; the incident notifies", r.Shape)
	}
	if r.PerUnique.WorkflowTasks < r.PerUniqueBar.WorkflowTasks/2 || r.PerUniqueBar.WorkflowTasks < 2 {
		t.Errorf("per unique alert %+v, bare %+v: the bare pipeline has two workflows of the same shape", r.PerUnique, r.PerUniqueBar)
	}
	if len(r.Growth) != 2 || r.Growth[1].StateBytes == 0 || r.Growth[1].Alerts != 250 {
		t.Errorf("growth %+v", r.Growth)
	}
	if r.EnrichP99Ms < r.EnrichP50Ms {
		t.Errorf("p99 %v < p50 %v", r.EnrichP99Ms, r.EnrichP50Ms)
	}
}

// BenchmarkSocflow is `socflow bench` as a Go benchmark (every phase at
// full volume):
//
//	go test ./bench -run '^$' -bench Socflow -benchtime 1x -timeout 30m
func BenchmarkSocflow(b *testing.B) {
	for range b.N {
		o := options(b, bench.DefaultSizes())
		o.Progress = os.Stderr
		r, err := bench.Run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.E2ERatio, "e2e_ratio")
		b.ReportMetric(r.E2EAlertsPerS, "e2e_alerts/s")
		b.ReportMetric(r.StormRatio, "storm_ratio")
		b.ReportMetric(r.StormAlertsPerS, "storm_alerts/s")
		b.ReportMetric(r.EnrichP50Ms, "enrich_p50_ms")
		b.ReportMetric(r.EnrichP99Ms, "enrich_p99_ms")
		b.ReportMetric(float64(r.StateBytes1000), "state_bytes_1000")
		b.ReportMetric(float64(r.StateBytes20000), "state_bytes_20000")
	}
}
