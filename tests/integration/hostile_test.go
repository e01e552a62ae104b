package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/workflows"
)

// TestHostileRequestsAreRefusedClearly sends, through the real HTTP stack
// on the embedded server, what broken integrations, careless scripts and
// hostile pages send. Each gets the 4xx it deserves with a JSON error that
// names the problem; none is a 5xx, and the server keeps serving.
func TestHostileRequestsAreRefusedClearly(t *testing.T) {
	s := startStack(t, stackOptions{})
	postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	s.waitStatus("host:dc01", 30*time.Second, workflows.StatusAwaiting)

	const (
		js     = "application/json"
		ndjson = "application/x-ndjson"
	)
	alert := `{"source":"suricata","rule":"r","title":"t","severity":"medium","time":"2026-05-14T09:12:31Z","entities":{"hosts":[{"name":"h1"}]}}`
	decision := "/v1/incidents/host:dc01/decision"
	viewer := s.tokenFor("vic", auth.RoleViewer)
	responder := s.tokenFor("alice", auth.RoleResponder)
	ingest := s.tokenFor("siem", auth.RoleIngest)
	tests := []struct {
		name, method, path, ctype, host, body string
		code                                  int
		want                                  string
		// token, when set, is sent instead of the one credentialFor picks.
		token string
	}{
		// Alerts.
		{"malformed JSON", "POST", "/v1/alerts", js, "", `{"source": "x",`, 400, "malformed JSON", ""},
		{"empty body", "POST", "/v1/alerts", js, "", "", 400, "empty", ""},
		{"white space only", "POST", "/v1/alerts", js, "", " \n\t ", 400, "empty", ""},
		{"not UTF-8", "POST", "/v1/alerts", js, "", "{\"title\": \"caf\xe9\"}", 400, "UTF-8", ""},
		{"not JSON at all", "POST", "/v1/alerts", js, "", "hello world", 400, "expected a JSON object", ""},
		{"text/plain", "POST", "/v1/alerts", "text/plain", "", alert, 415, "Content-Type", ""},
		{"no content type", "POST", "/v1/alerts", "", "", alert, 415, "Content-Type", ""},
		{"XML", "POST", "/v1/alerts", "application/xml", "", "<alert/>", 415, "Content-Type", ""},
		{"over the body limit", "POST", "/v1/alerts", js, "", strings.Repeat(" ", 2<<20), 413, "exceeds", ""},
		{"missing fields", "POST", "/v1/alerts", js, "", `{"source": "x"}`, 400, "rule: is required", ""},
		{"unknown severity", "POST", "/v1/alerts", js, "", strings.Replace(alert, `"medium"`, `"spicy"`, 1), 400, `unknown severity "spicy"`, ""},
		{"bad IP address", "POST", "/v1/alerts", js, "", strings.Replace(alert, `"entities":{`, `"entities":{"ips":[{"addr":"203.0.113.999"}],`, 1), 400, "entities.ips[0].addr", ""},
		{"array of numbers", "POST", "/v1/alerts", js, "", `[1, 2]`, 400, "no alert accepted", ""},
		{"broken array", "POST", "/v1/alerts", js, "", "[" + alert + ",\n{", 400, "line 2", ""},
		{"array nested 20,000 deep", "POST", "/v1/alerts", js, "", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), 400, "not a JSON object", ""},
		{"object nested 20,000 deep", "POST", "/v1/alerts", js, "", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), 400, "exceeded max depth", ""},
		{"unknown format", "POST", "/v1/alerts?format=nope", js, "", alert, 400, `unknown alert format "nope"`, ""},
		{"a thousand empty objects", "POST", "/v1/alerts", ndjson, "", strings.Repeat("{}\n", 1000), 400, "999 more", ""},
		{"over the alerts cap", "POST", "/v1/alerts", ndjson, "", strings.Repeat("{}\n", 10001), 413, "at most 10000", ""},
		{"bad first line only", "POST", "/v1/alerts", ndjson, "", "{bad\n{}\n", 400, "line 1", ""},
		// Events.
		{"events as text/plain", "POST", "/v1/events", "text/plain", "", `{}`, 415, "Content-Type", ""},
		{"events malformed", "POST", "/v1/events", js, "", `[{`, 400, "", ""},
		// Incident lists and keys.
		{"status with a backslash", "GET", `/v1/incidents?status=%5C`, "", "", "", 400, "status must be one of", ""},
		{"unknown status", "GET", "/v1/incidents?status=nope", "", "", "", 400, `"nope"`, ""},
		{"unknown priority", "GET", "/v1/incidents?priority=P9", "", "", "", 400, "priority must be", ""},
		{"limit 0", "GET", "/v1/incidents?limit=0", "", "", "", 400, "limit", ""},
		{"limit not a number", "GET", "/v1/incidents?limit=ten", "", "", "", 400, "limit", ""},
		{"limit too high", "GET", "/v1/incidents?limit=5000", "", "", "", 400, "limit", ""},
		{"NUL in a key", "GET", "/v1/incidents/host:%00", "", "", "", 400, "control character", ""},
		{"invalid UTF-8 in a key", "GET", "/v1/incidents/host:%FF", "", "", "", 400, "UTF-8", ""},
		{"escape sequence in a key", "GET", "/v1/incidents/host:%1B%5B31m/timeline", "", "", "", 400, "control character", ""},
		{"key over the limit", "GET", "/v1/incidents/" + strings.Repeat("k", 2000), "", "", "", 400, "at most", ""},
		{"unknown incident", "GET", "/v1/incidents/host:nope", "", "", "", 404, "not found", ""},
		{"bad cursor", "GET", "/v1/incidents/host:dc01/timeline?cursor=bad", "", "", "", 400, "cursor", ""},
		{"timeline limit 0", "GET", "/v1/incidents/host:dc01/timeline?limit=0", "", "", "", 400, "limit", ""},
		{"alerts limit not a number", "GET", "/v1/incidents/host:dc01/alerts?limit=x", "", "", "", 400, "limit", ""},
		{"ids of an unknown alert", "GET", "/v1/incidents/host:dc01/alerts/nope/ids", "", "", "", 404, "not found", ""},
		// Decisions.
		{"decision as text/plain", "POST", decision, "text/plain", "", `{"verdict":"false_positive","by":"U0SOCLEAD","via":"slack"}`, 415, "application/json", ""},
		{"decision as a form", "POST", decision, "application/x-www-form-urlencoded", "", "verdict=approve", 415, "application/json", ""},
		{"decision with trailing junk", "POST", decision, js, "", `{"verdict":"deny","by":"alice"} junk`, 400, "after the JSON object", ""},
		{"decision with an unknown field", "POST", decision, js, "", `{"verdict":"deny","by":"alice","groups":["@soc-leads"],"approver":"x"}`, 400, "unknown field", ""},
		{"decision not JSON", "POST", decision, js, "", `verdict=approve`, 400, "decision body", ""},
		{"decision with a wrong type", "POST", decision, js, "", `{"verdict":"approve","by":"alice","actions":"all"}`, 400, "actions", ""},
		{"decision empty", "POST", decision, js, "", "", 400, "decision body", ""},
		{"decision on an unknown incident", "POST", "/v1/incidents/host:nope/decision", js, "", `{"verdict":"deny","by":"alice"}`, 404, "not found", ""},
		// Identity: from the credential, never the body; roles enforced.
		{"decision naming its decider", "POST", decision, js, "", `{"verdict":"false_positive","by":"U0SOCLEAD","via":"slack","groups":["@soc-leads"]}`, 400, "credential", responder},
		{"decision naming groups", "POST", decision, js, "", `{"verdict":"approve","groups":["@soc-leads"]}`, 400, "credential", responder},
		{"decision on behalf, not an admin", "POST", decision, js, "", `{"verdict":"approve","on_behalf_of":"carol"}`, 403, "admin", responder},
		{"decision without a credential", "POST", decision, js, "", `{"verdict":"approve"}`, 401, "bearer token", noCredential},
		{"decision with a made-up token", "POST", decision, js, "", `{"verdict":"approve"}`, 401, "bearer token", "sft_forged"},
		{"decision by a viewer", "POST", decision, js, "", `{"verdict":"approve"}`, 403, "responder", viewer},
		{"decision by the SIEM's token", "POST", decision, js, "", `{"verdict":"approve"}`, 403, "responder", ingest},
		{"incidents read by the SIEM's token", "GET", "/v1/incidents", "", "", "", 403, "viewer", ingest},
		{"alerts from a viewer", "POST", "/v1/alerts", js, "", alert, 403, "ingest", viewer},
		{"tokens listed by a responder", "GET", "/v1/tokens", "", "", "", 403, "admin", responder},
		{"token created by the SIEM", "POST", "/v1/tokens", js, "", `{"name":"mine","roles":["admin"]}`, 403, "admin", ingest},
		{"metrics without a credential", "GET", "/metrics", "", "", "", 401, "bearer token", noCredential},
		// Hosts a rebinding page would send, and routes that do not exist.
		{"foreign Host reading", "GET", "/v1/incidents", "", "evil.example", "", 403, "server.allowed_hosts", ""},
		{"foreign Host deciding", "POST", decision, js, "rebind.example:8080", `{"verdict":"deny","by":"alice"}`, 403, "server.allowed_hosts", ""},
		{"unknown route", "GET", "/v1/nothing", "", "", "", 404, "no route", ""},
		{"wrong method", "DELETE", "/v1/incidents", "", "", "", 404, "no route", ""},
		{"health by POST", "POST", "/healthz", js, "", "{}", 404, "no route", ""},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d hostile requests", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, body := s.credentialFor(tc.path, []byte(tc.body))
			if tc.token != "" {
				tok, body = tc.token, []byte(tc.body)
			}
			req, err := http.NewRequest(tc.method, s.api.URL+tc.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if tok != noCredential {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err = io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.code {
				t.Fatalf("%d, want %d: %.400s", resp.StatusCode, tc.code, body)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("answer is not a JSON error (%v): %.400s", err, body)
			}
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q does not name %q", e.Error, tc.want)
			}
			if len(body) > 64<<10 {
				t.Errorf("a %d-byte answer", len(body))
			}
		})
	}
	if code := s.get("/healthz", nil); code != http.StatusOK {
		t.Fatalf("healthz after the hostile requests = %d", code)
	}
	// The incident is as it was: nothing above decided it.
	var st workflows.IncidentState
	if code := s.get("/v1/incidents/host:dc01", &st); code != http.StatusOK || st.Status != workflows.StatusAwaiting || len(st.Decisions) != 0 {
		t.Errorf("dc01 after the hostile requests: %d, status %s, decisions %+v", code, st.Status, st.Decisions)
	}
}
