package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/geoip/geoiptest"
	"github.com/socflow/socflow/workflows"
)

func postJSON(t *testing.T, s *stack, path string, v any) (int, []byte) {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var raw json.RawMessage
	code := s.post(path, "application/json", b, &raw)
	return code, raw
}

// TestContextPacketAnswersTheFirstQuestions: telemetry posted to
// /v1/events tells what ran on the host before the alert, the login
// history spots impossible travel, and a failing reputation service is a
// named gap, not a failed alert.
func TestContextPacketAnswersTheFirstQuestions(t *testing.T) {
	city, asn := geoiptest.Write(t)
	vt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":"TransientError","message":"try later"}}`, http.StatusServiceUnavailable)
	}))
	defer vt.Close()
	s := startStack(t, stackOptions{
		env: map[string]string{"VT_API_KEY": "vt-key"},
		mutate: func(c *config.Config) {
			c.Enrichment.GeoIP = config.GeoIP{City: city, ASN: asn}
			c.Enrichment.VirusTotal.URL = vt.URL
			c.Enrichment.Timeout = 2 * time.Second
		},
	})
	now := time.Now().UTC().Truncate(time.Second)

	// Telemetry: a process on ws-042, and alice's usual logins from Paris.
	evs := fmt.Sprintf(`{"time":%q,"kind":"process_start","host":"ws-042","user":"alice","process":"powershell.exe","command_line":"powershell -enc SQBFAFgA"}
{"time":%q,"kind":"authentication","user":"alice","src_ip":%q,"outcome":"success","source":"okta"}
{"time":%q,"kind":"authentication","user":"alice","src_ip":%q,"outcome":"success","source":"okta"}
`, now.Add(-2*time.Minute).Format(time.RFC3339), now.Add(-72*time.Hour).Format(time.RFC3339), geoiptest.ParisIP,
		now.Add(-90*time.Minute).Format(time.RFC3339), geoiptest.ParisIP)
	var stored struct{ Stored int }
	if code := s.post("/v1/events", "application/x-ndjson", []byte(evs), &stored); code != http.StatusAccepted || stored.Stored != 3 {
		t.Fatalf("POST /v1/events = %d, stored %d", code, stored.Stored)
	}

	// A beacon from ws-042: the packet shows the process that ran before.
	block := alert.Alert{ID: "fw-1", Source: "paloalto", Rule: "C2 beacon detected", Title: "Beaconing to a C2 category site",
		Category: "network", Severity: alert.SeverityMedium, Time: now,
		Entities: alert.Entities{Hosts: []alert.Host{{Name: "ws-042"}},
			IPs: []alert.IP{{Addr: "10.0.1.42", Direction: alert.DirectionSource}, {Addr: "198.51.100.66", Direction: alert.DirectionDestination}}}}
	if code, body := postJSON(t, s, "/v1/alerts", block); code != http.StatusAccepted {
		t.Fatalf("alert: %d %s", code, body)
	}
	st := s.waitStatus("host:ws-042", 30*time.Second, workflows.StatusAwaiting)
	lines := strings.Join(st.Context.Lines(), "\n")
	for _, want := range []string{"process_start", "powershell", "asset: ws-042 tier 3", "host: ws-042", "per defender", "gap: virustotal:"} {
		if !strings.Contains(lines, want) {
			t.Errorf("packet lacks %q:\n%s", want, lines)
		}
	}

	// alice logs in from São Paulo, an hour and a half after Paris.
	login := alert.Alert{ID: "login-1", Source: "okta", Rule: "Successful login", Title: "alice signed in",
		Category: "identity", Severity: alert.SeverityLow, Time: now, Labels: map[string]string{"outcome": "success"},
		Entities: alert.Entities{Users: []alert.User{{Name: "alice"}}, IPs: []alert.IP{{Addr: geoiptest.SaoPauloIP, Direction: alert.DirectionSource}}}}
	var resp intake.Response
	if code := s.post("/v1/alerts", "application/json", mustMarshal(t, login), &resp); code != http.StatusAccepted {
		t.Fatalf("login alert: %d", code)
	}
	st = s.waitStatus("user:alice", 30*time.Second, workflows.StatusAwaiting)
	if len(st.Context.Users) != 1 {
		t.Fatalf("users = %+v", st.Context.Users)
	}
	u := st.Context.Users[0]
	if !u.NewCountry || !u.ImpossibleTravel || u.Country != "BR" || len(u.Anomalies) < 2 {
		t.Errorf("alice = %+v, want a new country (BR) and impossible travel", u)
	}
	if !strings.Contains(st.Score.Explain(), "anomaly") {
		t.Errorf("the score does not count the anomalies:\n%s", st.Score.Explain())
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
