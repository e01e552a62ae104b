package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// oneHostStorm builds n alerts of fps fingerprints, all on dc01, as JSON
// arrays of size batch.
func oneHostStorm(t testing.TB, n, fps, batch int) [][]byte {
	t.Helper()
	base := time.Now().UTC().Add(-time.Minute)
	return alertBatches(t, n, batch, func(i int) alert.Alert {
		return alert.Alert{
			ID: fmt.Sprintf("dc01-%05d", i), Source: "suricata", Rule: fmt.Sprintf("ET POLICY rule %d", i%fps),
			Title: fmt.Sprintf("Policy violation %d on dc01", i%fps), Category: "network", Severity: alert.SeverityLow,
			Time: base.Add(time.Duration(i) * time.Millisecond),
			Entities: alert.Entities{
				Hosts: []alert.Host{{Name: "dc01"}},
				IPs:   []alert.IP{{Addr: "198.51.100.77", Direction: alert.DirectionSource}},
			},
		}
	})
}

// TestFiveThousandAlertsIntoOneIncident: on the first engine 2,000
// distinct alerts on one host made an incident run of 7,970 events whose
// status query passed 2 MiB, so nobody could read it. Now every run stays
// far below Temporal's limits, the state stays small, and the counts are
// exact.
func TestFiveThousandAlertsIntoOneIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("storm test skipped in -short mode")
	}
	const total, fps = 5000, 500
	s := startStack(t, stackOptions{})
	accepted := 0
	for _, body := range oneHostStorm(t, total, fps, 500) {
		var resp intake.Response
		if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted {
			t.Fatalf("batch: %d %+v", code, resp.Rejected)
		}
		accepted += resp.Accepted
	}
	if accepted != total {
		t.Fatalf("accepted %d, want %d", accepted, total)
	}
	var st *workflows.IncidentState
	eventually(t, 5*time.Minute, "every alert counted on the incident", func() (bool, string) {
		var err error
		st, err = s.incidents().Get(context.Background(), "host:dc01")
		if err != nil {
			return false, err.Error()
		}
		return st.Occurrences == total && st.AlertCount == fps, fmt.Sprintf("%d occurrences, %d alerts", st.Occurrences, st.AlertCount)
	})
	b, _ := json.Marshal(st)
	if len(b) > 256<<10 {
		t.Errorf("incident state is %d bytes, want under 256 KB", len(b))
	}
	// No run of any workflow passes 10,000 events.
	ctx := context.Background()
	var token []byte
	runs, incidentRuns, maxEvents := 0, 0, int64(0)
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.cfg.Temporal.Namespace, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetExecutions() {
			runs++
			// Visibility fills in the history length only at close; ask
			// each run.
			d, err := s.client.DescribeWorkflowExecution(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
			if err != nil {
				t.Fatal(err)
			}
			n := d.GetWorkflowExecutionInfo().GetHistoryLength()
			maxEvents = max(maxEvents, n)
			if e.GetExecution().GetWorkflowId() == workflows.IncidentWorkflowID("host:dc01") {
				incidentRuns++
			}
			if n > 10000 {
				t.Errorf("%s run %s has %d history events, want at most 10,000", e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), n)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	t.Logf("%d alerts, %d fingerprints: incident state %d bytes, %d incident runs, longest history of any run %d events",
		total, fps, len(b), incidentRuns, maxEvents)
	if runs < fps {
		t.Errorf("listed %d runs, want at least the %d alert runs", runs, fps)
	}
	// The whole state reads back through the API.
	var got workflows.IncidentState
	if code := s.get("/v1/incidents/host:dc01", &got); code != http.StatusOK {
		t.Fatalf("GET incident: %d", code)
	}
	if got.AlertCount != fps || len(got.Alerts) > workflows.MaxTopAlerts || !strings.Contains(got.Title, "500 alerts") {
		t.Errorf("incident read back: %d alerts (%d kept), title %q", got.AlertCount, len(got.Alerts), got.Title)
	}
}

// TestOversizeAlertsBecomeReadableIncidents: on the first engine a 100 KB
// rule or a long host name passed Temporal's 2 KB search-attribute limit
// and failed both workflows after the alert was answered 202, and a 900 KB
// title made the incident unreadable (the status query passed 2 MiB). Now
// text is truncated with a marker and the alert becomes a readable
// incident; a host name too long to be a host is refused, naming the field.
func TestOversizeAlertsBecomeReadableIncidents(t *testing.T) {
	s := startStack(t, stackOptions{})
	base := func(id, host string) alert.Alert {
		return alert.Alert{
			ID: id, Source: "suricata", Rule: "ET POLICY big", Title: "Big alert",
			Category: "network", Severity: alert.SeverityLow, Time: time.Now().UTC(),
			Entities: alert.Entities{Hosts: []alert.Host{{Name: host}}},
		}
	}
	bigRule := base("big-rule", "ws-rule")
	bigRule.Rule = strings.Repeat("r", 100<<10)
	bigTitle := base("big-title", "ws-title")
	bigTitle.Title = strings.Repeat("t", 900<<10)
	for _, a := range []alert.Alert{bigRule, bigTitle} {
		t.Run(a.ID, func(t *testing.T) {
			body, _ := json.Marshal(a)
			var resp intake.Response
			if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted || resp.Accepted != 1 {
				t.Fatalf("POST: %d %+v", code, resp)
			}
			st := s.waitStatus("host:"+a.Entities.Hosts[0].Name, 60*time.Second, workflows.StatusAwaiting)
			b, _ := json.Marshal(st)
			if len(b) > 256<<10 {
				t.Errorf("incident state %d bytes, want under 256 KB", len(b))
			}
			var got workflows.IncidentState
			if code := s.get("/v1/incidents/host:"+a.Entities.Hosts[0].Name, &got); code != http.StatusOK {
				t.Errorf("GET incident: %d", code)
			}
		})
	}
	t.Run("700 KB of escaped text", func(t *testing.T) {
		// Grows past gRPC's 4 MiB once JSON-escaped: the first engine
		// answered 503 Retry-After, so a SIEM retried it forever.
		a := base("big-escape", "ws-escape")
		a.Description = strings.Repeat("<", 700<<10)
		body, _ := json.Marshal(a)
		if code := s.post("/v1/alerts", "application/json", body, nil); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("POST: %d, want 413", code)
		}
	})
	t.Run("long host name", func(t *testing.T) {
		body, _ := json.Marshal(base("big-host", strings.Repeat("h", 5000)+".example"))
		var resp intake.Response
		code := s.post("/v1/alerts", "application/json", body, &resp)
		if code != http.StatusBadRequest || len(resp.Rejected) != 1 || !strings.Contains(resp.Rejected[0].Error, "entities.hosts[0].name") {
			t.Fatalf("POST: %d %+v, want 400 naming entities.hosts[0].name", code, resp)
		}
	})
}

// TestDrillNeverSwallowsARealAlert: on the first engine the drill flag was
// in neither the fingerprint nor the routing key, so a real C2 alert on
// dc01 joined a drill incident and was "contained" with no EDR call.
func TestDrillNeverSwallowsARealAlert(t *testing.T) {
	s := startStack(t, stackOptions{})
	mk := func(id string, drill bool) []byte {
		b, _ := json.Marshal(alert.Alert{
			ID: id, Source: "suricata", Rule: "ET CNC beacon", Title: "C2 beacon from dc01",
			Category: "network", Severity: alert.SeverityHigh, Time: time.Now().UTC(), Drill: drill,
			Entities: alert.Entities{Hosts: []alert.Host{{Name: "dc01"}}},
		})
		return b
	}
	var drill, real intake.Response
	s.post("/v1/alerts", "application/json", mk("c2-drill", true), &drill)
	s.post("/v1/alerts", "application/json", mk("c2-real", false), &real)
	if drill.Accepted != 1 || real.Accepted != 1 || real.Duplicates != 0 {
		t.Fatalf("drill %+v, real %+v: want both accepted, the real one no duplicate", drill, real)
	}
	d := s.waitStatus("drill:host:dc01", 60*time.Second, workflows.StatusAwaiting)
	r := s.waitStatus("host:dc01", 60*time.Second, workflows.StatusAwaiting)
	if !d.Drill || r.Drill || r.Occurrences != 1 || d.Occurrences != 1 {
		t.Fatalf("drill incident drill=%v (%d), real incident drill=%v (%d): want them apart", d.Drill, d.Occurrences, r.Drill, r.Occurrences)
	}
}

// BenchmarkIncidentGrowth measures what one incident costs per alert on
// the embedded server: alerts of 200 fingerprints on one host, then the
// incident's state bytes and its history (events and bytes, summed over
// every run of its continue-as-new chain). Run it with
//
//	go test ./tests/integration -run '^$' -bench IncidentGrowth -benchtime 1x
func BenchmarkIncidentGrowth(b *testing.B) {
	for _, n := range []int{200, 1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := startStack(b, stackOptions{})
				fps := min(n, 200)
				batches := oneHostStorm(b, n, fps, min(n, 500))
				b.StartTimer()
				for _, body := range batches {
					var resp intake.Response
					if code := s.post("/v1/alerts", "application/json", body, &resp); code != http.StatusAccepted {
						b.Fatalf("batch: %d %+v", code, resp)
					}
				}
				var st *workflows.IncidentState
				eventually(b, 10*time.Minute, "every alert counted", func() (bool, string) {
					var err error
					st, err = s.incidents().Get(context.Background(), "host:dc01")
					if err != nil {
						return false, err.Error()
					}
					return st.Occurrences == n, fmt.Sprint(st.Occurrences)
				})
				b.StopTimer()
				state, _ := json.Marshal(st)
				events, bytes, runs := incidentHistory(b, s, workflows.IncidentWorkflowID("host:dc01"))
				b.ReportMetric(float64(len(state)), "state_bytes")
				b.ReportMetric(float64(events)/float64(n), "history_events/alert")
				b.ReportMetric(float64(bytes)/float64(n), "history_bytes/alert")
				b.ReportMetric(float64(runs), "runs")
				s.stop()
			}
		})
	}
}

// incidentHistory sums the history length and size of every run of a
// workflow ID.
func incidentHistory(b *testing.B, s *stack, id string) (events, bytes int64, runs int) {
	b.Helper()
	resp, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.cfg.Temporal.Namespace, Query: fmt.Sprintf("WorkflowId = '%s'", id), PageSize: 1000,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range resp.GetExecutions() {
		runs++
		d, err := s.client.DescribeWorkflowExecution(context.Background(), id, e.GetExecution().GetRunId())
		if err != nil {
			b.Fatal(err)
		}
		events += d.GetWorkflowExecutionInfo().GetHistoryLength()
		bytes += d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
	}
	return events, bytes, runs
}
