package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// stormBatches builds n alerts over 4 hosts x 5 rules (20 fingerprints),
// each with its own ID, as JSON arrays of size batch.
func stormBatches(t testing.TB, n, batch int) [][]byte {
	t.Helper()
	base := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	return alertBatches(t, n, batch, func(i int) alert.Alert {
		host, rule := i%4, (i/4)%5
		return alert.Alert{
			ID: fmt.Sprintf("storm-%05d", i), Source: "suricata", Rule: fmt.Sprintf("ET SCAN rule %d", rule),
			Title: fmt.Sprintf("Scan %d against srv-%d", rule, host), Category: "network", Severity: alert.SeverityLow,
			Time: base.Add(time.Duration(i) * time.Millisecond),
			Entities: alert.Entities{
				Hosts: []alert.Host{{Name: fmt.Sprintf("srv-%d", host)}},
				IPs:   []alert.IP{{Addr: "198.51.100.77", Direction: alert.DirectionSource}},
			},
		}
	})
}

// alertBatches encodes the alerts build(0..n-1) as JSON arrays of size
// batch (the last one may be shorter).
func alertBatches(t testing.TB, n, batch int, build func(i int) alert.Alert) [][]byte {
	t.Helper()
	var out [][]byte
	var cur []alert.Alert
	flush := func() {
		data, err := json.Marshal(cur)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
		cur = nil
	}
	for i := 0; i < n; i++ {
		if cur = append(cur, build(i)); len(cur) == batch {
			flush()
		}
	}
	if len(cur) > 0 {
		flush()
	}
	return out
}

// TestStormBecomesFewIncidents sends 10,000 alerts of 20 fingerprints in
// batches: at most 20 RespondToAlert runs, one incident per host, and
// duplicate counts that add up exactly.
func TestStormBecomesFewIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("storm test skipped in -short mode")
	}
	s := startStack(t, stackOptions{})
	accepted, duplicates := 0, 0
	for _, body := range stormBatches(t, 10000, 500) {
		var resp intake.Response
		if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted {
			t.Fatalf("batch: %d %+v", code, resp.Rejected)
		}
		accepted += resp.Accepted
		duplicates += resp.Duplicates
	}
	if accepted != 10000 || duplicates != 10000-20 {
		t.Fatalf("accepted %d with %d duplicates, want 10000 with 9980", accepted, duplicates)
	}
	ctx := context.Background()
	count := func(query string) int64 {
		n, err := s.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.cfg.Temporal.Namespace, Query: query})
		if err != nil {
			t.Fatal(err)
		}
		return n.GetCount()
	}
	if n := count(fmt.Sprintf("WorkflowType = '%s'", workflows.RespondToAlertType)); n != 20 {
		t.Fatalf("%d RespondToAlert runs, want 20", n)
	}
	// Every occurrence reaches its incident, counted exactly once.
	total := 0
	for h := 0; h < 4; h++ {
		key := fmt.Sprintf("host:srv-%d", h)
		var st *workflows.IncidentState
		eventually(t, 60*time.Second, "occurrences forwarded to "+key, func() (bool, string) {
			st = s.waitStatus(key, 30*time.Second, workflows.StatusAwaiting, workflows.StatusContained, workflows.StatusDenied)
			return st.Occurrences == 2500, fmt.Sprint(st.Occurrences)
		})
		if len(st.Alerts) != 5 {
			t.Errorf("%s has %d distinct alerts, want 5", key, len(st.Alerts))
		}
		for _, ref := range st.Alerts {
			if ref.Occurrences != 500 {
				t.Errorf("%s / %s: %d occurrences, want 500", key, ref.Rule, ref.Occurrences)
			}
			// Every source ID is in the case file, paged back by the API.
			path := "/v1/incidents/" + key + "/alerts/" + strings.TrimPrefix(ref.WorkflowID, "alert/") + "/ids?limit=1000"
			eventually(t, 30*time.Second, "ids of "+ref.WorkflowID, func() (bool, string) {
				var page struct {
					IDs   []string `json:"ids"`
					Total int      `json:"total"`
				}
				code := s.get(path, &page)
				return code == http.StatusOK && page.Total == 500 && len(page.IDs) == 500, fmt.Sprintf("%d: %d of %d", code, len(page.IDs), page.Total)
			})
		}
		total += st.Occurrences
	}
	if total != 10000 {
		t.Fatalf("incidents count %d occurrences, want 10000", total)
	}
	if n := count(fmt.Sprintf("WorkflowType = '%s'", workflows.IncidentType)); n != 4 {
		t.Fatalf("%d incidents, want 4 (one per host)", n)
	}
	// The alert run forwarded every ID of its fingerprint and keeps none.
	v, err := s.client.QueryWorkflow(ctx, workflows.AlertWorkflowID(fingerprintOf(t, s, 0)), "", workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var ast workflows.AlertState
	if err := v.Get(&ast); err != nil {
		t.Fatal(err)
	}
	if ast.Occurrences != 500 || ast.Forwarded != 500 || len(ast.IDs) != 0 {
		t.Fatalf("alert run: %d occurrences, %d forwarded, %d ids held; want 500, 500 and none", ast.Occurrences, ast.Forwarded, len(ast.IDs))
	}
}

// fingerprintOf submits nothing: it reads the fingerprint of storm alert
// i from a dry batch through the same code intake uses.
func fingerprintOf(t *testing.T, s *stack, i int) string {
	t.Helper()
	items, err := intake.Parse(stormBatches(t, 20, 20)[0])
	if err != nil {
		t.Fatal(err)
	}
	return intake.Fingerprint(items[i].Alert, s.cfg.Policy.Triage.Fingerprints)
}

// BenchmarkStorm compares the storm end to end through socflow's API
// (batches merged before Temporal) with the same number of bare
// SignalWithStart calls, one per alert, on the same embedded server:
//
//	go test ./tests/integration -run '^$' -bench Storm -benchtime 1x
func BenchmarkStorm(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := startStack(b, stackOptions{})
		batches := stormBatches(b, n, 500)
		b.StartTimer()

		start := time.Now()
		for _, body := range batches {
			if code := s.post("/v1/alerts", "application/json", body, nil); code != http.StatusAccepted {
				b.Fatalf("batch: %d", code)
			}
		}
		viaAPI := time.Since(start)

		// The same number of bare SignalWithStart calls, 32 in flight as
		// intake runs them, against a workflow type no worker polls (only
		// the server's acceptance is measured).
		start = time.Now()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		errs := make(chan error, n)
		for j := 0; j < n; j++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				_, err := s.client.SignalWithStartWorkflow(context.Background(), fmt.Sprintf("bare/%d", j%20), "alert", j,
					client.StartWorkflowOptions{TaskQueue: "bench-bare"}, "BareSink")
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		bare := time.Since(start)
		b.StopTimer()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(n/viaAPI.Seconds(), "api_alerts/s")
		b.ReportMetric(n/bare.Seconds(), "bare_sws/s")
		b.ReportMetric(bare.Seconds()/viaAPI.Seconds(), "speedup_x")
		s.stop()
	}
}
