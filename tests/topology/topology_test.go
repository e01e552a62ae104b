// Package topology runs socflow as production does, one process per part:
// a Temporal server of its own (the embedded one, started alone by
// ./temporalserver), `socflow worker` and `socflow serve`, built once with
// `go build`, sharing a PostgreSQL store (enrichment.events.postgres_dsn:
// the event store, the case file and the API tokens) and a codec key ring,
// with a loopback fake of the EDR. It needs SOCFLOW_TEST_POSTGRES_DSN (make
// test sets it; scripts/with-postgres does for one command) and skips
// without it.
package topology

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/workflows"
)

// moduleRoot is where `go build` runs and the examples are, from this
// package's folder.
const moduleRoot = "../.."

// The bounds of each wait. Generous: the children may carry the race
// detector on two shared cores; a healthy run takes a fraction of them.
const (
	startWithin    = 2 * time.Minute
	pipelineWithin = 90 * time.Second
)

var (
	frontendLine  = regexp.MustCompile(`(?m)^frontend (\S+)$`)
	workerStarted = regexp.MustCompile(`msg="worker started"`)
	apiListening  = regexp.MustCompile(`msg="API listening" addr=(\S+)`)
)

// TestReadmeScenarioAcrossProcesses is the README's walk-through across
// the three processes: an alert posted to serve with an ingest token is
// run by the worker to an incident awaiting a decision, a responder's
// decision through serve's API is carried out by the worker on the EDR, and
// serve reads the timeline the worker wrote to the shared store.
func TestReadmeScenarioAcrossProcesses(t *testing.T) {
	dsn := os.Getenv("SOCFLOW_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set SOCFLOW_TEST_POSTGRES_DSN to run socflow's processes on a shared PostgreSQL store (make test does)")
	}
	begin := time.Now()
	deadline, ok := t.Deadline()
	if !ok {
		deadline = begin.Add(30 * time.Minute)
	}
	// The build stops early enough for the test to report why.
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-30*time.Second))
	defer cancel()
	socflowBin, temporalBin := buildBinaries(t, ctx)
	built := time.Now()
	dsn = postgresSchema(t, dsn)

	edr := defendertest.New(defendertest.WithToken("topology-edr"))
	edrURL, err := edr.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = edr.Close() })

	kids := newChildren(t)
	temporal := kids.start("temporal", t.TempDir(), childEnv(), temporalBin)
	frontend := temporal.waitFor(t, frontendLine, startWithin)

	cfgPath := writeConfig(t, frontend, edrURL)
	adminToken := randomHex(t, 24)
	codecKey := randomHex(t, 32) // 32 bytes in hex, the key every process encrypts with
	env := func(dataDir string) []string {
		return childEnv(
			"SOCFLOW_CONFIG="+cfgPath,
			"SOCFLOW_DATA_DIR="+dataDir,
			"TOPOLOGY_POSTGRES_DSN="+dsn,
			"TOPOLOGY_CODEC_KEY="+codecKey,
			"TOPOLOGY_EDR_TOKEN=topology-edr",
		)
	}
	// Each process has a data folder of its own, as on separate hosts:
	// what they share is Temporal, the database and the codec key.
	workerDir, serveDir := t.TempDir(), t.TempDir()
	wk := kids.start("worker", workerDir, env(workerDir), socflowBin, "worker")
	serve := kids.start("serve", serveDir, append(env(serveDir), "SOCFLOW_ADMIN_TOKEN="+adminToken), socflowBin,
		"serve", "--addr", "127.0.0.1:0")
	wk.waitFor(t, workerStarted, startWithin)
	api := &client{t: t, base: "http://" + serve.waitFor(t, apiListening, startWithin)}
	ready := time.Now()

	// The bootstrap admin creates the sender's and the responder's tokens;
	// they are stored in PostgreSQL, where serve looks them up.
	siem := api.createToken(adminToken, httpapi.TokenRequest{Name: "siem", Roles: []auth.Role{auth.RoleIngest}, AutoContain: true})
	alice := api.createToken(adminToken, httpapi.TokenRequest{Name: "alice", Roles: []auth.Role{auth.RoleResponder}})

	alertBody, err := os.ReadFile(filepath.Join(moduleRoot, "examples", "alerts", "network-anomaly-dc01.json"))
	if err != nil {
		t.Fatal(err)
	}
	var accepted intake.Response
	if code, body := api.do(http.MethodPost, "/v1/alerts", siem, alertBody, &accepted); code != http.StatusAccepted || accepted.Accepted != 1 {
		t.Fatalf("POST /v1/alerts = %d %s", code, body)
	}

	st := api.waitStatus(alice, "host:dc01", workflows.StatusAwaiting)
	if st.Score.Priority != "P1" || st.Tier != "IR" || st.Playbook != "network-anomaly" {
		t.Fatalf("incident = %s %s tier %s playbook %s, want P1 at IR with network-anomaly", st.ID, st.Score.Priority, st.Tier, st.Playbook)
	}
	if st.Context.Asset == nil || st.Context.Asset.Tier != 1 || len(st.Context.IntelHits) == 0 {
		t.Errorf("context packet = %+v, want dc01 at tier 1 and a watchlist hit", st.Context)
	}
	var list struct{ Incidents []incidents.Summary }
	eventually(t, "incident listed as awaiting a decision", func() (bool, string) {
		api.do(http.MethodGet, "/v1/incidents?priority=P1", alice, nil, &list)
		for _, inc := range list.Incidents {
			if inc.ID == "incident/host:dc01" && inc.Status == workflows.StatusAwaiting {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", list.Incidents)
	})
	if edr.Isolated("dc01") {
		t.Fatal("dc01 isolated before anyone decided")
	}

	decision, _ := json.Marshal(map[string]any{"verdict": "approve", "note": "confirmed C2"})
	if code, body := api.do(http.MethodPost, "/v1/incidents/host:dc01/decision", alice, decision, nil); code != http.StatusOK {
		t.Fatalf("decision = %d %s", code, body)
	}
	api.waitStatus(alice, "host:dc01", workflows.StatusContained)
	if !edr.Isolated("dc01") || !edr.Blocked("203.0.113.7") {
		t.Fatalf("EDR: dc01 isolated %v, 203.0.113.7 blocked %v", edr.Isolated("dc01"), edr.Blocked("203.0.113.7"))
	}

	// The timeline is the case file the worker wrote to PostgreSQL, read
	// back by serve.
	var steps []string
	eventually(t, "timeline with the decision and the containment", func() (bool, string) {
		var tl workflows.TimelineResult
		if code, body := api.do(http.MethodGet, "/v1/incidents/host:dc01/timeline", alice, nil, &tl); code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d %s", code, body)
		}
		steps = steps[:0]
		for _, e := range tl.Events {
			steps = append(steps, string(e.Stage)+"/"+e.Actor)
		}
		for _, want := range []string{"ingest/socflow", "escalate/socflow", "decide/alice", "contain/socflow"} {
			if !slices.Contains(steps, want) {
				return false, strings.Join(steps, " ")
			}
		}
		return true, ""
	})
	t.Logf("build %s, three processes ready in %s, alert to contained in %s",
		built.Sub(begin).Round(time.Millisecond), ready.Sub(built).Round(time.Millisecond), time.Since(ready).Round(time.Millisecond))
}

// writeConfig writes the one socflow.yaml the worker and serve read.
func writeConfig(t *testing.T, frontend, edrURL string) string {
	t.Helper()
	examples, err := filepath.Abs(filepath.Join(moduleRoot, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`temporal:
  address: %q
  namespace: default
enrichment:
  intel:
    files: [%q]
  assets:
    files: [%q]
  events:
    postgres_dsn: $TOPOLOGY_POSTGRES_DSN
integrations:
  edr: {provider: defender, url: %q, token: $TOPOLOGY_EDR_TOKEN}
codec:
  keys:
    - {id: topology, key: $TOPOLOGY_CODEC_KEY}
`, frontend, filepath.Join(examples, "intel", "watchlist.csv"), filepath.Join(examples, "assets.yaml"), edrURL)
	path := filepath.Join(t.TempDir(), "socflow.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// client calls serve's API.
type client struct {
	t    *testing.T
	base string
}

// do sends body (JSON) with token and decodes a 2xx answer into out. It
// returns the status and the body.
func (c *client) do(method, path, token string, body []byte, out any) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, string(data)
}

func (c *client) createToken(admin string, req httpapi.TokenRequest) string {
	c.t.Helper()
	body, _ := json.Marshal(req)
	var created httpapi.TokenCreated
	if code, text := c.do(http.MethodPost, "/v1/tokens", admin, body, &created); code != http.StatusCreated || created.Token == "" {
		c.t.Fatalf("POST /v1/tokens %s = %d %s", req.Name, code, text)
	}
	return created.Token
}

// waitStatus waits until the incident of key has status.
func (c *client) waitStatus(token, key, status string) *workflows.IncidentState {
	c.t.Helper()
	var st workflows.IncidentState
	eventually(c.t, fmt.Sprintf("incident %s %s", key, status), func() (bool, string) {
		st = workflows.IncidentState{}
		code, body := c.do(http.MethodGet, "/v1/incidents/"+key, token, nil, &st)
		if code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d %s", code, body)
		}
		return st.Status == status, st.Status
	})
	return &st
}

// eventually polls cond until it holds or pipelineWithin passes: the
// processes are real and asynchronous, so the test polls with a deadline.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(pipelineWithin)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, pipelineWithin, last)
		}
		<-tick.C
	}
}

// postgresSchema creates a schema for this test, dropped when it ends, and
// returns dsn with that schema as its search path: the processes share it,
// and nothing of theirs meets another test's tables.
func postgresSchema(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	schema := fmt.Sprintf("socflow_topology_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create a schema in SOCFLOW_TEST_POSTGRES_DSN's database: %v", err)
	}
	// Dropped after the processes stop: cleanups run last-registered first.
	t.Cleanup(func() { _, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE") })
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
