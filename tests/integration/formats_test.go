package integration

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../intake/decode/testdata/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVendorFormatsThroughTheAPI sends what SIEMs and EDRs really emit,
// auto-detected and forced, and checks they become incidents.
func TestVendorFormatsThroughTheAPI(t *testing.T) {
	s := startStack(t, stackOptions{})

	// A Suricata eve.json stream: alerts are taken, flow/dns/stats counted.
	var eve intake.Response
	if code := s.post("/v1/alerts", "application/x-ndjson", fixture(t, "suricata/eve.json"), &eve); code != http.StatusAccepted {
		t.Fatalf("suricata eve: %d %+v", code, eve)
	}
	if eve.Accepted == 0 || eve.Skipped == 0 || len(eve.SkipReasons) == 0 {
		t.Fatalf("suricata eve = %+v, want alerts accepted and other events skipped with reasons", eve)
	}

	for _, tc := range []struct{ file, format string }{
		{"falcon/detection_summary.json", ""},
		{"guardduty/eventbridge_c2_outbound.json", ""},
		{"graph/alerts_page.json", ""},
		{"elastic/process_alert_8x.json", "elastic"},
	} {
		var resp intake.Response
		path := "/v1/alerts"
		if tc.format != "" {
			path += "?format=" + tc.format
		}
		if code := s.post(path, "application/json", fixture(t, tc.file), &resp); code != http.StatusAccepted || resp.Accepted == 0 {
			t.Errorf("%s: %d %+v", tc.file, code, resp)
		}
	}

	var bad map[string]any
	if code := s.post("/v1/alerts?format=qradar", "application/json", fixture(t, "native/full.json"), &bad); code != http.StatusBadRequest ||
		!strings.Contains(bad["error"].(string), "known formats are") {
		t.Errorf("unknown format: %d %v", code, bad)
	}

	// Every accepted alert reaches an incident.
	eventually(t, 60*time.Second, "incidents from vendor alerts", func() (bool, string) {
		var list struct{ Incidents []struct{ ID string } }
		s.get("/v1/incidents?limit=100", &list)
		return len(list.Incidents) >= 4, strings.Repeat("x", len(list.Incidents))
	})
	_ = workflows.IncidentType
}
