package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
)

// TestTemporalMetricsOnAPI: the SDK metrics of a client Dial makes are on
// the API's /metrics beside socflow's own: after a worker of that client
// ran a workflow on the embedded server, a scrape shows the workflow task
// latency of its task queue and the client's requests.
func TestTemporalMetricsOnAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, cfg, c := embedded(ctx, t, devserver.Options{})

	const queue = "metrics-test"
	w := sdkworker.New(c, queue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(func(workflow.Context) (string, error) { return "ok", nil }, workflow.RegisterOptions{Name: "Hello"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "Hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}

	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const token = "sft_metrics-test"
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: c, Events: store, DevToken: token})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAPI(ctx) }()
	api := httptest.NewServer(h)
	defer api.Close()

	want := []string{
		`temporal_workflow_task_execution_latency_seconds_bucket{`,
		`task_queue="` + queue + `"`,
		`temporal_request_total{`,
		`socflow_http_requests_total{`,
	}
	// Tally hands the SDK's metrics to Prometheus once a second.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var page string
	for {
		page = scrape(t, api.URL+"/metrics", token)
		missing := ""
		for _, w := range want {
			if !strings.Contains(page, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/metrics never showed %s:\n%s", missing, page)
		case <-tick.C:
		}
	}
}

func scrape(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v\n%s", resp.StatusCode, err, b)
	}
	return string(b)
}

// TestResponseFiguresOnAPI: the API's /metrics carries the response
// figures of the case files in its store (report.Collector, registered
// where the API is built).
func TestResponseFiguresOnAPI(t *testing.T) {
	cfg, err := config.Parse([]byte("{}\n"), "socflow.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opened := time.Now().Add(-time.Hour)
	err = store.AppendCase(t.Context(), events.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", OpenedAt: opened,
		Status: "awaiting_decision", Priority: "P1", Tier: "IR",
		Milestones: &alert.Milestones{Opened: opened, Notified: opened.Add(4 * time.Second), AcknowledgeDue: opened.Add(15 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	const token = "sft_metrics-test"
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Events: store, DevToken: token})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAPI(t.Context()) }()
	req := httptest.NewRequest("GET", "http://127.0.0.1/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	page := rec.Body.String()
	for _, want := range []string{
		`socflow_response_seconds_sum{figure="notify",kind="machine",priority="P1",tier="IR"} 4` + "\n",
		`socflow_open_incidents{priority="P1"} 1` + "\n",
		`socflow_sla_breaches{priority="P1",sla="acknowledge"} 1` + "\n",
	} {
		if rec.Code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("GET /metrics: %d, lacks %s", rec.Code, want)
		}
	}
}

// embedded starts an embedded Temporal server for the test and returns it,
// the default configuration pointed at it (data in a temporary folder)
// and a client Dial made; all are stopped when the test ends.
func embedded(ctx context.Context, t *testing.T, o devserver.Options) (*devserver.Server, *config.Config, client.Client) {
	t.Helper()
	srv, err := devserver.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cfg, err := config.Parse([]byte("{}\n"), "socflow.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Temporal.Address, cfg.Temporal.Namespace = srv.FrontendAddr(), srv.Namespace()
	c, err := worker.Dial(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return srv, cfg, c
}
