package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// BenchmarkIntake1000 measures the walking skeleton's throughput on the
// embedded server: how fast the API accepts 1,000 distinct alerts (each
// durably in Temporal before the 202), and how long until all 1,000
// incidents exist. Run it with
//
//	go test ./tests/integration -run '^$' -bench Intake1000 -benchtime 1x
func BenchmarkIntake1000(b *testing.B) {
	for _, mode := range []string{"memory", "sqlite-file"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				o := stackOptions{}
				if mode == "sqlite-file" {
					o.dbFile = filepath.Join(b.TempDir(), "temporal.db")
				}
				s := startStack(b, o)
				batches := distinctAlerts(b, 1000, 100)
				b.StartTimer()

				start := time.Now()
				for _, body := range batches {
					var resp intake.Response
					if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted || resp.Accepted != 100 {
						b.Fatalf("batch: %d %+v", code, resp)
					}
				}
				accepted := time.Since(start)
				query := fmt.Sprintf("WorkflowType = '%s'", workflows.IncidentType)
				eventually(b, 5*time.Minute, "1,000 incidents", func() (bool, string) {
					n, err := s.client.CountWorkflow(context.Background(), countRequest(s, query))
					if err != nil {
						return false, err.Error()
					}
					return n.GetCount() >= 1000, fmt.Sprint(n.GetCount())
				})
				all := time.Since(start)
				b.StopTimer()
				b.ReportMetric(1000/accepted.Seconds(), "alerts_accepted/s")
				b.ReportMetric(all.Seconds(), "s_until_1000_incidents")
				s.stop()
			}
		})
	}
}

// distinctAlerts builds n alerts on n different hosts, as JSON arrays of
// size batch.
func distinctAlerts(b testing.TB, n, batch int) [][]byte {
	var out [][]byte
	var cur []alert.Alert
	base := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		cur = append(cur, alert.Alert{
			Source: "bench", Rule: "Outbound beacon", Title: fmt.Sprintf("Beacon from ws-%04d", i),
			Category: "network", Severity: alert.SeverityMedium, Time: base.Add(time.Duration(i) * time.Millisecond),
			Entities: alert.Entities{
				Hosts: []alert.Host{{Name: fmt.Sprintf("ws-%04d", i)}},
				IPs:   []alert.IP{{Addr: fmt.Sprintf("198.51.100.%d", i%250+1), Direction: alert.DirectionDestination}},
			},
		})
		if len(cur) == batch {
			data, err := json.Marshal(cur)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, data)
			cur = nil
		}
	}
	return out
}

func countRequest(s *stack, query string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.cfg.Temporal.Namespace, Query: query}
}

// BenchmarkTimeToEnrich submits distinct alerts at a steady rate (20/s for
// 15 s) and measures, per alert, the time from intake's acceptance to a
// complete context packet (intel, inventory, login history, related
// events, EDR host details), reporting p50 and p99:
//
//	go test ./tests/integration -run '^$' -bench TimeToEnrich -benchtime 1x
func BenchmarkTimeToEnrich(b *testing.B) {
	const rate, seconds = 20, 15
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := startStack(b, stackOptions{})
		var ids []string
		b.StartTimer()
		tick := time.NewTicker(time.Second / rate)
		for n := 0; n < rate*seconds; n++ {
			<-tick.C
			a := alert.Alert{
				ID: fmt.Sprintf("tte-%d", n), Source: "bench", Rule: "Beacon", Title: fmt.Sprintf("Beacon %d", n),
				Category: "network", Severity: alert.SeverityMedium, Time: time.Now().UTC(),
				Entities: alert.Entities{
					Hosts: []alert.Host{{Name: fmt.Sprintf("ws-%04d", n)}},
					Users: []alert.User{{Name: fmt.Sprintf("user%d", n%50)}},
					IPs:   []alert.IP{{Addr: "198.51.100.66", Direction: alert.DirectionDestination}, {Addr: "10.0.1.42", Direction: alert.DirectionSource}},
				},
			}
			body, _ := json.Marshal(a)
			var resp intake.Response
			if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted {
				b.Fatalf("POST = %d", code)
			}
			ids = append(ids, resp.Results[0].WorkflowID)
		}
		tick.Stop()
		var lat []time.Duration
		for _, id := range ids {
			var st workflows.AlertState
			eventually(b, time.Minute, "enriched "+id, func() (bool, string) {
				v, err := s.client.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
				if err != nil {
					return false, err.Error()
				}
				if err := v.Get(&st); err != nil {
					return false, err.Error()
				}
				return !st.EnrichedAt.IsZero(), st.Disposition
			})
			lat = append(lat, st.EnrichedAt.Sub(st.FirstSeen))
		}
		b.StopTimer()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99_ms")
		b.ReportMetric(rate, "alerts/s_offered")
		s.stop()
	}
}
