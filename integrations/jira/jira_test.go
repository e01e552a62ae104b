package jira

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/internal/testclock"
	"github.com/socflow/socflow/integrations/jira/jiratest"
)

const uiBase = "http://127.0.0.1:8233/namespaces/default"

// env is a fake Jira on loopback that also records the Authorization
// header of every request.
type env struct {
	fake *jiratest.Server
	srv  *httptest.Server

	mu   sync.Mutex
	auth []string
}

func newEnv(t *testing.T, opts ...jiratest.Option) *env {
	t.Helper()
	e := &env{fake: jiratest.New(opts...)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.auth = append(e.auth, r.Header.Get("Authorization"))
		e.mu.Unlock()
		e.fake.ServeHTTP(w, r)
	}))
	// Cleanups run last first: release hanging requests, then close.
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { _ = e.fake.Close() })
	return e
}

func (e *env) headers() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.auth)
}

func (e *env) cloud() Config {
	return Config{
		URL: e.srv.URL, Email: jiratest.DefaultEmail, APIToken: jiratest.DefaultAPIToken,
		Project: "SEC", UIBaseURL: uiBase,
		Transitions: Transitions{Contain: "Contain", Close: "Close"},
	}
}

func (e *env) dataCenter() Config {
	cfg := e.cloud()
	cfg.Email, cfg.APIToken, cfg.PAT = "", "", jiratest.DefaultPAT
	return cfg
}

func (e *env) tracker(t *testing.T, cfg Config) *Tracker {
	t.Helper()
	tr, err := New(e.srv.Client(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func testCard() activities.IncidentCard {
	return activities.IncidentCard{
		IncidentID: "host:dc01",
		Title:      "Network anomaly: 203.0.113.7 scanning dc01",
		Status:     "awaiting_decision",
		Tier:       "IR",
		Channel:    "#soc-ir",
		Score: alert.Score{
			Value: 100, Priority: alert.P1, Tier: "IR", SLA: 15 * time.Minute,
			Factors: []alert.Factor{
				{Name: "base", Detail: "severity high", Effect: "+60"},
				{Name: "asset", Detail: "tier 1 (domain-controller)", Effect: "x1.5"},
				{Name: "intel", Detail: "203.0.113.7 on abuse-feed", Effect: "+20"},
			},
		},
		Hosts: []string{"dc01"}, Users: []string{"alice"}, Alerts: 2, Occurrences: 5,
		Context: alert.ContextPacket{
			Asset: &alert.Asset{Name: "dc01", Owner: "identity-team", Role: "domain-controller", Tier: 1, Tags: []string{"ad", "crown-jewel"}, MatchedBy: "hostname"},
			IntelHits: []alert.IntelHit{{
				Indicator: "203.0.113.0/24", Type: "cidr", Source: "abuse-feed", Confidence: 60,
				Labels: []string{"brute-force", "hosting"}, Description: "mass scanner",
			}},
			Users:   []alert.UserContext{{Name: "alice", Anomalies: []string{"first login from BR"}}},
			Related: []alert.RelatedEvent{{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Kind: "dns", Summary: "dc01 resolved evil.example"}},
			Gaps:    []alert.Gap{{Source: "geoip", Reason: "timeout after 2s"}},
		},
		Proposed: []alert.Action{alert.NewAction(alert.ActionIsolateHost, "dc01", "tier 1 asset talking to a watchlisted network")},
	}
}

func statusError(t *testing.T, err error) *httpx.StatusError {
	t.Helper()
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want an *httpx.StatusError", err, err)
	}
	return se
}

func TestNew(t *testing.T) {
	tests := []struct {
		name          string
		cfg           Config
		notConfigured bool
		wantErr       string
	}{
		{"cloud", Config{URL: "https://x.atlassian.net", Email: "a@b.c", APIToken: "t"}, false, ""},
		{"data center", Config{URL: "https://jira.example.com/jira", PAT: "p"}, false, ""},
		{"no URL", Config{Email: "a@b.c", APIToken: "t"}, true, "no URL"},
		{"no credentials", Config{URL: "https://x.atlassian.net"}, true, "no credentials"},
		{"email only", Config{URL: "https://x.atlassian.net", Email: "a@b.c"}, true, "email without an API token"},
		{"token only", Config{URL: "https://x.atlassian.net", APIToken: "t"}, true, "API token without an email"},
		{"both modes", Config{URL: "https://x.atlassian.net", Email: "a@b.c", APIToken: "t", PAT: "p"}, false, "set one"},
		{"bad URL", Config{URL: "x.atlassian.net", PAT: "p"}, false, "want https://"},
		{"bad priority map", Config{URL: "https://x", PAT: "p", PriorityMap: map[string]string{"P5": "Low"}}, false, `"P5" is not a socflow priority`},
		{"bad min priority", Config{URL: "https://x", PAT: "p", MinPriority: "high"}, false, "min priority"},
		{"priority map in any case", Config{URL: "https://x", PAT: "p", PriorityMap: map[string]string{"p1": "Blocker"}, MinPriority: "p2"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := New(nil, tt.cfg)
			if tt.wantErr == "" {
				if err != nil || tr == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if got := errors.Is(err, httpx.ErrNotConfigured); got != tt.notConfigured {
				t.Errorf("errors.Is(err, ErrNotConfigured) = %v, want %v", got, tt.notConfigured)
			}
		})
	}
}

func TestEnsureIssueCreatesOnce(t *testing.T) {
	e := newEnv(t)
	tr := e.tracker(t, e.cloud())
	ctx := context.Background()
	card := testCard()

	key, created, err := tr.EnsureIssue(ctx, card, "")
	if err != nil || !created || key != "SEC-1" {
		t.Fatalf("first EnsureIssue = %q, %v, %v", key, created, err)
	}
	// A retried activity, and later calls for the same incident.
	for range 2 {
		again, created, err := tr.EnsureIssue(ctx, card, "")
		if err != nil || created || again != key {
			t.Fatalf("again = %q, %v, %v; want %s, false, nil", again, created, err, key)
		}
	}
	// Another worker process finds it too.
	other := e.tracker(t, e.cloud())
	if again, created, err := other.EnsureIssue(ctx, card, ""); err != nil || created || again != key {
		t.Fatalf("other tracker = %q, %v, %v", again, created, err)
	}
	issues := e.fake.Issues()
	if len(issues) != 1 {
		t.Fatalf("fake holds %d issues, want 1", len(issues))
	}
	is := issues[0]
	if is.Summary != "[P1] Network anomaly: 203.0.113.7 scanning dc01" || is.Priority != "Highest" || is.IssueType != "Task" || is.Project != "SEC" {
		t.Errorf("issue = %+v", is)
	}
	if want := []string{"socflow", IncidentLabel("host:dc01"), "priority-p1"}; !slices.Equal(is.Labels, want) {
		t.Errorf("labels = %q, want %q", is.Labels, want)
	}
	if is.Description != Description(card, uiBase) {
		t.Errorf("description was not the rendered card:\n%s", is.Description)
	}

	// Another incident gets its own issue, in the project asked for.
	card2 := testCard()
	card2.IncidentID, card2.Score.Priority = "user:alice", alert.P2
	key2, created, err := tr.EnsureIssue(ctx, card2, "OPS")
	if err != nil || !created || key2 != "OPS-1" {
		t.Fatalf("second incident = %q, %v, %v", key2, created, err)
	}
	if is, _ := e.fake.Issue(key2); is.Priority != "High" {
		t.Errorf("P2 priority = %q", is.Priority)
	}
}

func TestEnsureIssueBridgesSearchLag(t *testing.T) {
	e := newEnv(t, jiratest.WithSearchLag(5))
	tr := e.tracker(t, e.cloud())
	ctx := context.Background()
	key, created, err := tr.EnsureIssue(ctx, testCard(), "")
	if err != nil || !created {
		t.Fatalf("create: %q %v %v", key, created, err)
	}
	again, created, err := tr.EnsureIssue(ctx, testCard(), "")
	if err != nil || created || again != key {
		t.Fatalf("again during search lag = %q, %v, %v", again, created, err)
	}
	if n := len(e.fake.Issues()); n != 1 {
		t.Fatalf("issues = %d, want 1", n)
	}
	// The search missed; a consistent GET confirmed the remembered key.
	if n := e.fake.Count("GET /rest/api/2/issue/" + key); n != 1 {
		t.Errorf("GETs of %s = %d, want 1", key, n)
	}
}

func TestEnsureIssueConcurrent(t *testing.T) {
	e := newEnv(t, jiratest.WithSearchLag(10))
	tr := e.tracker(t, e.cloud())
	var wg sync.WaitGroup
	keys := make([]string, 4)
	errs := make([]error, 4)
	for i := range keys {
		wg.Go(func() {
			keys[i], _, errs[i] = tr.EnsureIssue(context.Background(), testCard(), "")
		})
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || keys[i] != "SEC-1" {
			t.Errorf("call %d = %q, %v", i, keys[i], errs[i])
		}
	}
	if n := len(e.fake.Issues()); n != 1 {
		t.Fatalf("issues = %d, want 1", n)
	}
}

// TestEnsureIssueAfterLostAnswer is the case the mitigation exists for:
// Jira creates the issue, the answer never arrives, and the retries search
// an index that does not show the issue yet.
func TestEnsureIssueAfterLostAnswer(t *testing.T) {
	e := newEnv(t, jiratest.WithSearchLag(3))
	tr := e.tracker(t, e.cloud())
	e.fake.Fail("POST /rest/api/2/issue", jiratest.Fault{Hang: true, Commit: true})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, _, err := tr.EnsureIssue(ctx, testCard(), "")
	cancel()
	if err == nil || errors.Is(err, ErrCreateUnconfirmed) {
		t.Fatalf("first attempt err = %v, want the timeout", err)
	}
	var se *httpx.StatusError
	if errors.As(err, &se) {
		t.Fatalf("a timeout came back as %v", se)
	}
	if n := len(e.fake.Issues()); n != 1 {
		t.Fatalf("the committed create left %d issues", n)
	}

	// Retries, as Temporal makes them.
	key := ""
	refused := 0
	for attempt := 0; attempt < 10 && key == ""; attempt++ {
		k, created, err := tr.EnsureIssue(context.Background(), testCard(), "")
		switch {
		case errors.Is(err, ErrCreateUnconfirmed):
			refused++
			if cerr := activities.Classify("jira", err); activities.IsType(cerr, activities.ErrBadRequest) {
				t.Fatalf("ErrCreateUnconfirmed classified as not retryable: %v", cerr)
			}
		case err != nil:
			t.Fatalf("attempt %d: %v", attempt, err)
		case created:
			t.Fatalf("attempt %d created a second issue %s", attempt, k)
		default:
			key = k
		}
	}
	if refused != 3 {
		t.Errorf("refused %d times, want 3 (one per lagging search)", refused)
	}
	issues := e.fake.Issues()
	if len(issues) != 1 || key != issues[0].Key {
		t.Fatalf("key %q, issues %+v; want exactly the one created", key, issues)
	}
}

// TestEnsureIssueResidualRisk shows the limit of the mitigation: once
// SearchLag has passed, a still-lagging index lets a second issue in; the
// next searches see both and every caller converges on the oldest.
func TestEnsureIssueResidualRisk(t *testing.T) {
	e := newEnv(t, jiratest.WithSearchLag(1000))
	tr := e.tracker(t, e.cloud())
	c := testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	tr.now = c.Now
	ctx := context.Background()

	// A proxy answers 502 after Jira committed the create.
	e.fake.Fail("POST /rest/api/2/issue", jiratest.Fault{Status: http.StatusBadGateway, Commit: true, Body: "<html>502 Bad Gateway</html>"})
	_, _, err := tr.EnsureIssue(ctx, testCard(), "")
	if se := statusError(t, err); se.Code != http.StatusBadGateway || se.Body != "<html>502 Bad Gateway</html>" {
		t.Fatalf("err = %v", err)
	}
	c.Add(59 * time.Second)
	if _, _, err := tr.EnsureIssue(ctx, testCard(), ""); !errors.Is(err, ErrCreateUnconfirmed) {
		t.Fatalf("within SearchLag: err = %v, want ErrCreateUnconfirmed", err)
	}
	c.Add(2 * time.Second)
	second, created, err := tr.EnsureIssue(ctx, testCard(), "")
	if err != nil || !created {
		t.Fatalf("after SearchLag = %q, %v, %v", second, created, err)
	}
	issues := e.fake.Issues()
	if len(issues) != 2 {
		t.Fatalf("issues = %d, want the duplicate this test demonstrates", len(issues))
	}
	e.fake.Reindex()
	for _, trk := range []*Tracker{tr, e.tracker(t, e.cloud())} {
		key, created, err := trk.EnsureIssue(ctx, testCard(), "")
		if err != nil || created || key != issues[0].Key {
			t.Errorf("after reindex = %q, %v, %v; want the oldest, %s", key, created, err, issues[0].Key)
		}
	}
}

func TestEnsureIssueMinPriority(t *testing.T) {
	tests := []struct {
		min      string
		priority alert.Priority
		want     bool
	}{
		{"P3", alert.P1, true},
		{"P3", alert.P3, true},
		{"P3", alert.P4, false},
		{"P3", "", false},
		{"P1", alert.P2, false},
		{"", alert.P4, true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.min+"/"+string(tt.priority), func(t *testing.T) {
			e := newEnv(t)
			cfg := e.cloud()
			cfg.MinPriority = tt.min
			tr := e.tracker(t, cfg)
			card := testCard()
			card.Score.Priority = tt.priority
			key, created, err := tr.EnsureIssue(context.Background(), card, "")
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.want || (key != "") != tt.want {
				t.Fatalf("EnsureIssue = %q, %v; want an issue: %v", key, created, tt.want)
			}
			if !tt.want && len(e.fake.Calls()) != 0 {
				t.Errorf("a skipped incident called Jira: %+v", e.fake.Calls())
			}
		})
	}
}

func TestEnsureIssueRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	cfg := e.cloud()
	cfg.Project = ""
	tr := e.tracker(t, cfg)
	card := testCard()
	if _, _, err := tr.EnsureIssue(context.Background(), card, ""); statusError(t, err).Code != http.StatusBadRequest {
		t.Errorf("no project: %v", err)
	}
	card.IncidentID = ""
	if _, _, err := tr.EnsureIssue(context.Background(), card, "SEC"); statusError(t, err).Code != http.StatusBadRequest {
		t.Errorf("no incident ID: %v", err)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("refused input reached Jira (%d calls)", n)
	}
}

func TestAuthentication(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(jiratest.DefaultEmail+":"+jiratest.DefaultAPIToken))
	tests := []struct {
		name       string
		cfg        func(*env) Config
		wantHeader string
		wantSearch string
	}{
		{"cloud basic", (*env).cloud, basic, "/rest/api/2/search/jql"},
		{"data center bearer", (*env).dataCenter, "Bearer " + jiratest.DefaultPAT, "/rest/api/2/search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tr := e.tracker(t, tt.cfg(e))
			ctx := context.Background()
			key, _, err := tr.EnsureIssue(ctx, testCard(), "")
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Comment(ctx, key, "hello"); err != nil {
				t.Fatal(err)
			}
			if err := tr.MarkContained(ctx, key); err != nil {
				t.Fatal(err)
			}
			for i, h := range e.headers() {
				if h != tt.wantHeader {
					t.Errorf("request %d: Authorization = %q, want %q", i, h, tt.wantHeader)
				}
			}
			if calls := e.fake.Calls(); calls[0].Path != tt.wantSearch {
				t.Errorf("searched %s, want %s", calls[0].Path, tt.wantSearch)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	e := newEnv(t)
	cfg := e.cloud()
	cfg.APIToken = "revoked"
	tr := e.tracker(t, cfg)
	_, _, err := tr.EnsureIssue(context.Background(), testCard(), "")
	se := statusError(t, err)
	if se.Code != http.StatusUnauthorized || !strings.Contains(se.Body, "You are not authenticated") {
		t.Fatalf("err = %v", err)
	}
	if !activities.IsType(activities.Classify("jira", err), activities.ErrUnauthorized) {
		t.Errorf("401 not classified as Unauthorized")
	}
}

// TestSearchEndpointFallback: the endpoint the credentials suggest is tried
// first; a deployment without it answers 404 or 410, and the Tracker moves
// to the other for good.
func TestSearchEndpointFallback(t *testing.T) {
	tests := []struct {
		name       string
		deployment jiratest.Deployment
		cfg        func(*env) Config
		first      []string
		later      []string
	}{
		{"basic credentials on Data Center", jiratest.DataCenter, (*env).cloud,
			[]string{"GET /rest/api/2/search/jql 404", "GET /rest/api/2/search 200", "POST /rest/api/2/issue 201"},
			[]string{"GET /rest/api/2/search 200"}},
		{"PAT on Cloud", jiratest.Cloud, (*env).dataCenter,
			[]string{"GET /rest/api/2/search 410", "GET /rest/api/2/search/jql 200", "POST /rest/api/2/issue 201"},
			[]string{"GET /rest/api/2/search/jql 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, jiratest.WithDeployment(tt.deployment))
			tr := e.tracker(t, tt.cfg(e))
			calls := func() []string {
				var out []string
				for _, c := range e.fake.Calls() {
					out = append(out, c.Method+" "+c.Path+" "+strconv.Itoa(c.Status))
				}
				return out
			}
			if _, _, err := tr.EnsureIssue(context.Background(), testCard(), ""); err != nil {
				t.Fatal(err)
			}
			if got := calls(); !slices.Equal(got, tt.first) {
				t.Fatalf("calls = %q, want %q", got, tt.first)
			}
			if _, _, err := tr.EnsureIssue(context.Background(), testCard(), ""); err != nil {
				t.Fatal(err)
			}
			if got := calls()[len(tt.first):]; !slices.Equal(got, tt.later) {
				t.Errorf("later calls = %q, want %q", got, tt.later)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		opts       []jiratest.Option
		setup      func(*jiratest.Server)
		cfg        func(*Config)
		project    string
		code       int
		retryAfter time.Duration
		body       string
		class      string // activities error type, "" when retryable
	}{
		{
			name:  "rate limited",
			setup: func(s *jiratest.Server) { s.FailNext("POST /rest/api/2/issue", http.StatusTooManyRequests, 1, "7") },
			code:  http.StatusTooManyRequests, retryAfter: 7 * time.Second, body: "Rate limit exceeded.", class: "RateLimited",
		},
		{
			name: "server error",
			setup: func(s *jiratest.Server) {
				s.FailNext("GET /rest/api/2/search/jql", http.StatusInternalServerError, 1, "")
			},
			code: http.StatusInternalServerError, body: "Internal server error",
		},
		{
			name: "validation",
			cfg:  func(c *Config) { c.PriorityMap = map[string]string{"P1": "Urgent"} },
			code: http.StatusBadRequest, body: "priority: The priority selected is invalid.", class: activities.ErrBadRequest,
		},
		{
			name:    "unknown project",
			opts:    []jiratest.Option{jiratest.WithProjects("SEC")},
			project: "OPS",
			code:    http.StatusBadRequest, body: "The value 'OPS' does not exist for the field 'project'.", class: activities.ErrBadRequest,
		},
		{
			name: "scripted validation body",
			setup: func(s *jiratest.Server) {
				s.Fail("POST /rest/api/2/issue", jiratest.Fault{Status: http.StatusBadRequest,
					Body: `{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}`})
			},
			code: http.StatusBadRequest, body: "summary: You must specify a summary of the issue.", class: activities.ErrBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			if tt.setup != nil {
				tt.setup(e.fake)
			}
			cfg := e.cloud()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			tr := e.tracker(t, cfg)
			_, _, err := tr.EnsureIssue(context.Background(), testCard(), tt.project)
			se := statusError(t, err)
			if se.Code != tt.code || se.RetryAfter != tt.retryAfter || se.Body != tt.body {
				t.Errorf("StatusError = %d, %v, %q; want %d, %v, %q", se.Code, se.RetryAfter, se.Body, tt.code, tt.retryAfter, tt.body)
			}
			if !strings.HasPrefix(err.Error(), "jira: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			cerr := activities.Classify("jira", err)
			if tt.class != "" && !activities.IsType(cerr, tt.class) {
				t.Errorf("classified as %v, want %s", cerr, tt.class)
			}
			if tt.class == "" && (activities.IsType(cerr, activities.ErrBadRequest) || activities.IsType(cerr, activities.ErrUnauthorized)) {
				t.Errorf("classified as not retryable: %v", cerr)
			}
		})
	}
}

// TestRefusedCreateIsNotUnconfirmed: a 429 means Jira did not create, so
// the next attempt creates at once instead of waiting out SearchLag.
func TestRefusedCreateIsNotUnconfirmed(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext("POST /rest/api/2/issue", http.StatusTooManyRequests, 1, "1")
	tr := e.tracker(t, e.cloud())
	if _, _, err := tr.EnsureIssue(context.Background(), testCard(), ""); statusError(t, err).Code != http.StatusTooManyRequests {
		t.Fatalf("err = %v", err)
	}
	if key, created, err := tr.EnsureIssue(context.Background(), testCard(), ""); err != nil || !created || key == "" {
		t.Fatalf("retry = %q, %v, %v", key, created, err)
	}
}

func TestNetworkErrorStaysPlain(t *testing.T) {
	e := newEnv(t)
	tr := e.tracker(t, e.cloud())
	e.srv.Close()
	_, _, err := tr.EnsureIssue(context.Background(), testCard(), "")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	var se *httpx.StatusError
	if errors.As(err, &se) {
		t.Fatalf("network error came back as %v", se)
	}
	if strings.Contains(err.Error(), "No response returned") {
		t.Errorf("go-jira's wrapping leaked into %q", err)
	}
}

func TestComment(t *testing.T) {
	e := newEnv(t)
	tr := e.tracker(t, e.cloud())
	ctx := context.Background()
	card := testCard()
	key, _, err := tr.EnsureIssue(ctx, card, "")
	if err != nil {
		t.Fatal(err)
	}
	text := CommentFor(activities.NotifyEscalation, card)
	if err := tr.Comment(ctx, key, text); err != nil {
		t.Fatal(err)
	}
	if is, _ := e.fake.Issue(key); !slices.Equal(is.Comments, []string{text}) {
		t.Errorf("comments = %q", is.Comments)
	}
	call := e.fake.Calls()[len(e.fake.Calls())-1]
	if call.Path != "/rest/api/2/issue/"+key+"/comment" || strings.Contains(call.Body, "visibility") {
		t.Errorf("comment call = %+v", call)
	}

	tests := []struct {
		name, key, text string
		code            int
		reachesJira     bool
	}{
		{"missing issue", "SEC-99", "x", http.StatusNotFound, true},
		{"empty text", key, "  ", http.StatusBadRequest, false},
		{"not a key", "../../myself", "x", http.StatusBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.fake.Calls())
			err := tr.Comment(ctx, tt.key, tt.text)
			if se := statusError(t, err); se.Code != tt.code {
				t.Errorf("code = %d, want %d", se.Code, tt.code)
			}
			if reached := len(e.fake.Calls()) > before; reached != tt.reachesJira {
				t.Errorf("reached Jira: %v, want %v", reached, tt.reachesJira)
			}
		})
	}
}

func TestTransition(t *testing.T) {
	e := newEnv(t)
	tr := e.tracker(t, e.cloud())
	ctx := context.Background()
	key, _, err := tr.EnsureIssue(ctx, testCard(), "")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, status, err string
	}{
		{"contain", "Contained", ""},
		// A retry after the transition happened: not offered any more,
		// but the issue is where it led.
		{"Contain", "Contained", ""},
		{"Escalate", "Contained", `no transition "Escalate" from status "Contained"; available: "Close"`},
		{"  CLOSE ", "Closed", ""},
	}
	for _, s := range steps {
		err := tr.Transition(ctx, key, s.name)
		if s.err == "" && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.err != "" {
			se := statusError(t, err)
			if se.Code != http.StatusBadRequest || se.Body != s.err {
				t.Errorf("%s: error %d %q, want 400 %q", s.name, se.Code, se.Body, s.err)
			}
			if !activities.IsType(activities.Classify("jira", err), activities.ErrBadRequest) {
				t.Errorf("%s: unknown transition is retryable", s.name)
			}
		}
		if is, _ := e.fake.Issue(key); is.Status != s.status {
			t.Errorf("after %q: status %q, want %q", s.name, is.Status, s.status)
		}
	}
	if n := e.fake.Count("POST /rest/api/2/issue/*/transitions"); n != 2 {
		t.Errorf("transition POSTs = %d, want 2", n)
	}

	// Another process does not know where "Contain" led: the issue
	// already being Contained is reported, not assumed.
	other := e.tracker(t, e.cloud())
	e.fake.SetStatus(key, "Contained")
	if err := other.Transition(ctx, key, "Contain"); err == nil || !strings.Contains(err.Error(), `available: "Close"`) {
		t.Errorf("fresh tracker: %v", err)
	}
	if err := tr.Transition(ctx, "SEC-99", "Close"); statusError(t, err).Code != http.StatusNotFound {
		t.Errorf("missing issue: %v", err)
	}
	if err := tr.Transition(ctx, key, ""); statusError(t, err).Code != http.StatusBadRequest {
		t.Errorf("no name: %v", err)
	}
}

func TestTransitionNamedAfterStatus(t *testing.T) {
	e := newEnv(t, jiratest.WithWorkflow("To Do",
		jiratest.Transition{Name: "In Progress", From: []string{"To Do"}, To: "In Progress"},
		jiratest.Transition{Name: "Done", From: []string{"To Do", "In Progress"}, To: "Done"},
	))
	tr := e.tracker(t, e.cloud())
	ctx := context.Background()
	key, _, err := tr.EnsureIssue(ctx, testCard(), "")
	if err != nil {
		t.Fatal(err)
	}
	// Someone closed it in Jira already.
	e.fake.SetStatus(key, "Done")
	if err := tr.Transition(ctx, key, "done"); err != nil {
		t.Fatalf("already in the target status: %v", err)
	}
	if n := e.fake.Count("POST /rest/api/2/issue/*/transitions"); n != 0 {
		t.Errorf("transition POSTs = %d, want 0", n)
	}
	err = tr.Transition(ctx, key, "In Progress")
	if se := statusError(t, err); se.Body != `no transition "In Progress" from status "Done"; available: none` {
		t.Errorf("body = %q", se.Body)
	}
}

func TestMarkWithoutTransitions(t *testing.T) {
	e := newEnv(t)
	cfg := e.cloud()
	cfg.Transitions = Transitions{}
	tr := e.tracker(t, cfg)
	if err := tr.MarkContained(context.Background(), "SEC-1"); err != nil {
		t.Error(err)
	}
	if err := tr.MarkClosed(context.Background(), "SEC-1"); err != nil {
		t.Error(err)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("calls = %d, want none", n)
	}
}

// fixtureServer answers with bodies recorded from real Jira sites.
func fixtureServer(t *testing.T, routes map[string]string, posted *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			*posted = append(*posted, r.URL.Path+" "+string(b))
		}
		file, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if file == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		body, err := os.ReadFile(file)
		if err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRecordedBodies runs the client against bodies recorded from Jira:
// jira-cli's enhanced search and create answers and go-jira's transitions.
func TestRecordedBodies(t *testing.T) {
	var posted []string
	srv := fixtureServer(t, map[string]string{
		"GET /rest/api/2/search/jql":                "testdata/search_jql.json",
		"GET /rest/api/2/issue/TEST-1/transitions":  "testdata/transitions.json",
		"POST /rest/api/2/issue/TEST-1/transitions": "",
	}, &posted)
	tr, err := New(srv.Client(), Config{URL: srv.URL, Email: "a@b.c", APIToken: "t", Project: "TEST"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The recording has no IDs: the first issue listed is taken.
	if key, created, err := tr.EnsureIssue(ctx, testCard(), ""); err != nil || created || key != "TEST-1" {
		t.Fatalf("EnsureIssue = %q, %v, %v", key, created, err)
	}
	for _, name := range []string{"close issue", "QA REVIEW"} {
		if err := tr.Transition(ctx, "TEST-1", name); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`/rest/api/2/issue/TEST-1/transitions {"update":{},"transition":{"id":"2"},"fields":{}}`,
		`/rest/api/2/issue/TEST-1/transitions {"update":{},"transition":{"id":"711"},"fields":{}}`,
	}
	for i := range want {
		if i >= len(posted) || strings.TrimSpace(posted[i]) != want[i] {
			t.Errorf("posted = %q, want %q", posted, want)
			break
		}
	}

	posted = nil
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"issues":[],"isLast":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv = fixtureServer(t, map[string]string{
		"GET /rest/api/2/search/jql": empty,
		"POST /rest/api/2/issue":     "testdata/create.json",
	}, &posted)
	tr, err = New(srv.Client(), Config{URL: srv.URL, PAT: "p", Project: "TEST"})
	if err != nil {
		t.Fatal(err)
	}
	if key, created, err := tr.EnsureIssue(ctx, testCard(), ""); err != nil || !created || key != "TEST-3" {
		t.Fatalf("EnsureIssue after an empty search = %q, %v, %v", key, created, err)
	}
}

// TestSharedRecordings uses the wider set of recordings when the shared
// folder is present.
func TestSharedRecordings(t *testing.T) {
	const dir = "/work/shared/realdata/api/jira"
	file := filepath.Join(dir, "go-atlassian_v3", "get-transitions.json")
	if _, err := os.Stat(file); err != nil {
		t.Skipf("shared recordings not present: %v", err)
	}
	var posted []string
	srv := fixtureServer(t, map[string]string{
		"GET /rest/api/2/issue/ED-24/transitions":  file,
		"POST /rest/api/2/issue/ED-24/transitions": "",
	}, &posted)
	tr, err := New(srv.Client(), Config{URL: srv.URL, PAT: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Transition(context.Background(), "ED-24", "qa review"); err != nil {
		t.Fatal(err)
	}
	if len(posted) != 1 || !strings.Contains(posted[0], `"id":"711"`) {
		t.Errorf("posted = %q", posted)
	}
}
