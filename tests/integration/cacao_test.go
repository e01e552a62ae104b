package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// TestCACAOPlaybookEndToEnd: a CACAO v2 playbook with a parallel step, a
// switch and manual steps, imported into the data directory and routed
// by the policy, runs on the embedded server: the severity question and
// the isolation step are asked as the incident's questions and answered
// through the answer Update as the API, Slack and the CLI send it; the
// http-api command reaches the configured target; the switch follows the
// answer.
func TestCACAOPlaybookEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var got []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("T-77"))
	}))
	defer api.Close()
	doc, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "cacaobook", "testdata", "triage.json"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "triage-with-parallel-lookups"
	s := startStack(t, stackOptions{mutate: func(c *config.Config) {
		c.Integrations.HTTP = append(c.Integrations.HTTP, config.HTTPTarget{Name: "EDR API", URL: api.URL})
		if _, _, err := worker.CACAODir(c).Import(doc, worker.HasHTTPTarget(c)); err != nil {
			t.Fatal(err)
		}
		c.Policy.Routing.Rules = append([]policy.RouteRule{{Name: "cacao", Match: policy.Match{"category": "network"},
			GroupBy: []string{"host"}, Window: time.Hour, Playbook: name}}, c.Policy.Routing.Rules...)
	}})
	postAlert(t, s, readExample(t, "network-anomaly-dc01.json"))
	ctx := context.Background()
	svc := s.incidents()
	question := func(has string) string {
		var id string
		eventually(t, 30*time.Second, "a question "+has, func() (bool, string) {
			st, err := svc.Get(ctx, "host:dc01")
			if err != nil {
				return false, err.Error()
			}
			var texts []string
			for _, q := range st.Questions {
				texts = append(texts, q.Text)
				if strings.Contains(q.Text, has) && q.Answer == nil {
					id = q.ID
					return true, ""
				}
			}
			return false, strings.Join(texts, " | ")
		})
		return id
	}
	answer := func(id, value string) {
		t.Helper()
		if _, err := svc.Answer(ctx, "host:dc01", workflows.AnswerInput{Question: id, Answer: value, By: "alice", Via: "test"}); err != nil {
			t.Fatalf("answer %s: %v", id, err)
		}
	}
	answer(question("Rate the alert on dc01"), "high")
	answer(question("Isolate dc01 (ticket T-77)"), "done")
	eventually(t, 30*time.Second, "the playbook's end", func() (bool, string) {
		st, err := svc.Get(ctx, "host:dc01")
		if err != nil {
			return false, err.Error()
		}
		var lines []string
		for _, e := range st.Timeline {
			lines = append(lines, e.Message)
			if strings.Contains(e.Message, "CACAO playbook "+name+" ended completed") || strings.Contains(e.Message, "CACAO playbook "+name+" ended success") {
				return true, ""
			}
		}
		return false, strings.Join(lines, "\n")
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "POST /api/tickets" {
		t.Errorf("the target saw %v, want one POST /api/tickets", got)
	}
}
