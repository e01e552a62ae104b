package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// TestReadmeScenario is the README's walk-through: an alert from the
// webhook to containment, with a human approval in the middle.
func TestReadmeScenario(t *testing.T) {
	s := startStack(t, stackOptions{})
	dc01 := readExample(t, "network-anomaly-dc01.json")

	var first intake.Response
	if code := s.post("/v1/alerts", "application/json", dc01, &first); code != http.StatusAccepted {
		t.Fatalf("POST /v1/alerts = %d %+v", code, first)
	}
	if first.Accepted != 1 || len(first.Results) != 1 || first.Results[0].Duplicate ||
		!strings.HasPrefix(first.Results[0].WorkflowID, "alert/suricata-") {
		t.Fatalf("first submission = %+v", first)
	}

	st := s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)
	if st.Score.Priority != "P1" || st.Tier != "IR" || st.Playbook != "network-anomaly" {
		t.Fatalf("incident = %s %s tier %s playbook %s, want P1 at IR with network-anomaly", st.ID, st.Score.Priority, st.Tier, st.Playbook)
	}
	if st.Context.Asset == nil || st.Context.Asset.Tier != 1 || len(st.Context.IntelHits) == 0 {
		t.Errorf("context packet = %+v, want dc01 tier 1 and a watchlist hit", st.Context)
	}
	eventually(t, 10*time.Second, "console escalation", func() (bool, string) {
		out := s.console.String()
		return strings.Contains(out, "incident/host:dc01") && strings.Contains(out, "socflow incident decide"), out
	})

	// The same alert again is a duplicate of the running one, not a new run.
	var again intake.Response
	if code := s.post("/v1/alerts", "application/json", dc01, &again); code != http.StatusAccepted {
		t.Fatalf("resubmit = %d", code)
	}
	if !again.Results[0].Duplicate || again.Results[0].WorkflowID != first.Results[0].WorkflowID || again.Duplicates != 1 {
		t.Fatalf("resubmission = %+v, want a duplicate of %s", again, first.Results[0].WorkflowID)
	}

	// The list comes from visibility: the search attributes must be set.
	var list struct{ Incidents []incidents.Summary }
	eventually(t, 10*time.Second, "incident listed with its search attributes", func() (bool, string) {
		s.get("/v1/incidents?priority=P1", &list)
		for _, inc := range list.Incidents {
			if inc.ID == "incident/host:dc01" && inc.Tier == "IR" && inc.Status == workflows.StatusAwaiting && inc.Score >= 80 {
				return true, ""
			}
		}
		return false, mustJSON(list)
	})

	var dec workflows.DecideResult
	body, _ := json.Marshal(workflows.DecideInput{Verdict: "approve", By: "alice", Note: "confirmed C2"})
	if code := s.post("/v1/incidents/host:dc01/decision", "application/json", body, &dec); code != http.StatusOK {
		t.Fatalf("decision = %d %+v", code, dec)
	}
	st = s.waitStatus("host:dc01", 30*time.Second, workflows.StatusContained)
	if !s.edr.Isolated("dc01") || !s.edr.Blocked("203.0.113.7") {
		t.Fatalf("EDR state: dc01 isolated %v, 203.0.113.7 blocked %v", s.edr.Isolated("dc01"), s.edr.Blocked("203.0.113.7"))
	}
	if st.Occurrences != 2 {
		// The duplicate is forwarded after the alert run's batching delay.
		eventually(t, 10*time.Second, "duplicate counted on the incident", func() (bool, string) {
			st = s.waitStatus("host:dc01", time.Second, workflows.StatusContained)
			return st.Occurrences == 2, mustJSON(st.Alerts)
		})
	}

	var tl workflows.TimelineResult
	if code := s.get("/v1/incidents/host:dc01/timeline", &tl); code != http.StatusOK {
		t.Fatalf("timeline = %d", code)
	}
	var steps []string
	for _, e := range tl.Events {
		if e.At.IsZero() || e.Actor == "" {
			t.Errorf("timeline event without time or actor: %+v", e)
		}
		steps = append(steps, string(e.Stage)+"/"+e.Actor)
	}
	for _, want := range []string{"ingest/socflow", "enrich/socflow", "score/socflow", "escalate/socflow", "decide/alice", "contain/socflow"} {
		if !contains(steps, want) {
			t.Errorf("timeline %v lacks %s", steps, want)
		}
	}
	if st.Metrics.TimeToDecide <= 0 || st.Metrics.TimeToContain < st.Metrics.TimeToDecide {
		t.Errorf("metrics = %+v", st.Metrics)
	}

	// The printer: the same rule, a low-value asset, standard procedure.
	var prn intake.Response
	s.post("/v1/alerts", "application/json", readExample(t, "network-anomaly-printer.json"), &prn)
	p := s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	if p.Score.Priority != "P4" || p.Tier != "T1" {
		t.Errorf("printer incident = %s tier %s, want P4 at T1", p.Score.Priority, p.Tier)
	}
}

// TestBadInputIsRefusedAndTheServerKeepsServing sends what broken
// integrations send.
func TestBadInputIsRefusedAndTheServerKeepsServing(t *testing.T) {
	s := startStack(t, stackOptions{})
	valid := readExample(t, "malware-ws042.json")
	for _, tc := range []struct {
		name, ctype string
		body        []byte
		code        int
		want        string
	}{
		{"malformed", "application/json", []byte(`{"source": "x",`), http.StatusBadRequest, "malformed JSON"},
		{"missing fields", "application/json", []byte(`{"source": "x"}`), http.StatusBadRequest, "rule: is required"},
		{"wrong type", "text/plain", valid, http.StatusUnsupportedMediaType, "Content-Type"},
		{"too large", "application/json", bytes.Repeat([]byte(" "), 2<<20), http.StatusRequestEntityTooLarge, "exceeds"},
		{"one bad line", "application/x-ndjson", append(append(bytes.ReplaceAll(valid, []byte("\n"), nil), '\n'), []byte("{\"nope\":1}\n")...), http.StatusAccepted, "no known alert format matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.api.URL+"/v1/alerts", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+s.tokenFor("siem", auth.RoleIngest))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tc.code || !strings.Contains(body.String(), tc.want) {
				t.Fatalf("%d %s\nwant %d mentioning %q", resp.StatusCode, body.String(), tc.code, tc.want)
			}
			if !json.Valid(body.Bytes()) {
				t.Errorf("error body is not JSON: %s", body.String())
			}
		})
	}
	if code := s.get("/healthz", nil); code != http.StatusOK {
		t.Fatalf("healthz after bad input = %d", code)
	}
	// The good line of the NDJSON batch was not lost with the bad one.
	s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusAwaiting)
}

// TestRestartResumesUnfinishedWorkflows stops everything while an incident
// waits for a decision, starts again on the same SQLite file, and finishes
// the incident.
func TestRestartResumesUnfinishedWorkflows(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state", "temporal.db")
	s := startStack(t, stackOptions{dbFile: db})
	var resp intake.Response
	s.post("/v1/alerts", "application/json", readExample(t, "malware-ws042.json"), &resp)
	s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusAwaiting)
	s.stop()

	s2 := startStack(t, stackOptions{dbFile: db, edr: s.edr, idp: s.idp})
	body, _ := json.Marshal(workflows.DecideInput{Verdict: "approve", By: "bob"})
	var dec workflows.DecideResult
	if code := s2.post("/v1/incidents/host:ws-042/decision", "application/json", body, &dec); code != http.StatusOK {
		t.Fatalf("decision after restart = %d", code)
	}
	st := s2.waitStatus("host:ws-042", 30*time.Second, workflows.StatusContained)
	if !s2.edr.Isolated("ws-042") {
		t.Fatalf("ws-042 not isolated after restart; results %+v", st.Results)
	}
}

// TestIncidentClosesWithAuditRecord shortens the windows so that both
// workflows run to completion, and checks the audit log.
func TestIncidentClosesWithAuditRecord(t *testing.T) {
	s := startStack(t, stackOptions{mutate: shortWindows})
	var resp intake.Response
	s.post("/v1/alerts", "application/json", readExample(t, "network-anomaly-printer.json"), &resp)
	s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	body, _ := json.Marshal(workflows.DecideInput{Verdict: "false_positive", By: "carol", Note: "vendor maintenance"})
	if code := s.post("/v1/incidents/host:prn-01/decision", "application/json", body, nil); code != http.StatusOK {
		t.Fatalf("decision = %d", code)
	}
	audit := filepath.Join(s.cfg.DataDir, "audit.jsonl")
	var rec workflows.IncidentState
	eventually(t, 30*time.Second, "audit record written", func() (bool, string) {
		data, err := os.ReadFile(audit)
		if err != nil || len(data) == 0 {
			return false, "no audit record"
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	if rec.ID != "incident/host:prn-01" || rec.Status != workflows.StatusFalsePositive || rec.ClosedAt.IsZero() {
		t.Fatalf("audit record = %s %s closed %s", rec.ID, rec.Status, rec.ClosedAt)
	}
	eventually(t, 30*time.Second, "alert run closed", func() (bool, string) {
		desc, err := s.client.DescribeWorkflowExecution(t.Context(), resp.Results[0].WorkflowID, "")
		if err != nil {
			return false, err.Error()
		}
		return desc.GetWorkflowExecutionInfo().GetCloseTime() != nil, desc.GetWorkflowExecutionInfo().GetStatus().String()
	})

	// The printer alerts again: a new case, which names the closed one.
	s.post("/v1/alerts", "application/json", readExample(t, "network-anomaly-printer.json"), &resp)
	var again workflows.IncidentState
	eventually(t, 30*time.Second, "a new case, linked", func() (bool, string) {
		if code := s.get("/v1/incidents/host:prn-01", &again); code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d", code)
		}
		return again.Status == workflows.StatusAwaiting && again.Linked, again.Status
	})
	if again.CaseID == rec.CaseID || again.Previous == nil || again.Previous.CaseID != rec.CaseID ||
		again.Previous.Status != workflows.StatusFalsePositive || !again.Previous.ClosedAt.Equal(rec.ClosedAt.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("new case %s follows %+v; want case %s, false_positive, closed %s", again.CaseID, again.Previous, rec.CaseID, rec.ClosedAt)
	}
	var tl incidents.TimelinePage
	if code := s.get("/v1/incidents/host:prn-01/timeline?case="+rec.CaseID, &tl); code != http.StatusOK ||
		!slices.ContainsFunc(tl.Events, func(e alert.TimelineEvent) bool { return strings.HasPrefix(e.Message, "closed as false_positive") }) {
		t.Errorf("the earlier case's timeline (%d): %+v", code, tl.Events)
	}
}

// shortWindows makes runs end within seconds instead of an hour.
func shortWindows(c *config.Config) {
	c.Policy.Triage.DedupeWindow = time.Second
	c.Policy.Routing.Default.Window = time.Second
	for i := range c.Policy.Routing.Rules {
		c.Policy.Routing.Rules[i].Window = time.Second
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDuplicateAfterCloseOpensANewCase: the incident closes while its
// alert run still counts duplicates (a dedupe window longer than the
// routing window); the next duplicate opens a new case, with the alert,
// linked to the closed one. Before, the duplicate's delta started an
// incident run with no alert to open with, which waited a day and failed:
// nobody heard of the alert again.
func TestDuplicateAfterCloseOpensANewCase(t *testing.T) {
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		shortWindows(c)
		c.Policy.Triage.DedupeWindow = time.Hour
	}})
	prn := readExample(t, "network-anomaly-printer.json")
	var resp intake.Response
	s.post("/v1/alerts", "application/json", prn, &resp)
	first := s.waitStatus("host:prn-01", 30*time.Second, workflows.StatusAwaiting)
	body, _ := json.Marshal(workflows.DecideInput{Verdict: "false_positive", By: "carol"})
	if code := s.post("/v1/incidents/host:prn-01/decision", "application/json", body, nil); code != http.StatusOK {
		t.Fatalf("decision = %d", code)
	}
	eventually(t, 30*time.Second, "prn-01's incident closed", func() (bool, string) {
		desc, err := s.client.DescribeWorkflowExecution(t.Context(), workflows.IncidentWorkflowID("host:prn-01"), "")
		if err != nil {
			return false, err.Error()
		}
		return desc.GetWorkflowExecutionInfo().GetCloseTime() != nil, desc.GetWorkflowExecutionInfo().GetStatus().String()
	})
	if desc, err := s.client.DescribeWorkflowExecution(t.Context(), resp.Results[0].WorkflowID, ""); err != nil || desc.GetWorkflowExecutionInfo().GetCloseTime() != nil {
		t.Fatalf("the alert run should still be counting duplicates: %v", err)
	}

	s.post("/v1/alerts", "application/json", prn, nil)
	var again workflows.IncidentState
	eventually(t, 30*time.Second, "a new case with the alert", func() (bool, string) {
		if code := s.get("/v1/incidents/host:prn-01", &again); code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d", code)
		}
		return again.Status == workflows.StatusAwaiting && again.Linked, fmt.Sprintf("%s, title %q", again.Status, again.Title)
	})
	if again.CaseID == first.CaseID || again.Title != first.Title || again.Previous == nil || again.Previous.CaseID != first.CaseID {
		t.Fatalf("new case %s %q follows %+v; want the alert's title, following case %s", again.CaseID, again.Title, again.Previous, first.CaseID)
	}
}
