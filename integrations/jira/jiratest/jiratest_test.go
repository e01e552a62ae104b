package jiratest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func basic(email, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
}

// cloudAuth is the Authorization header of the default Cloud credentials.
func cloudAuth() string { return basic(DefaultEmail, DefaultAPIToken) }

// do sends one request straight to the handler.
func do(t *testing.T, h http.Handler, method, target, auth, body string) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", method, target, b)
		}
	}
	return resp, m
}

func create(t *testing.T, s *Server, project, summary string, labels ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"fields": map[string]any{
		"project": map[string]string{"key": project}, "summary": summary,
		"issuetype": map[string]string{"name": "Task"}, "labels": labels,
	}})
	resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(), string(body))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d: %v", resp.StatusCode, m)
	}
	return m["key"].(string)
}

func search(t *testing.T, s *Server, endpoint, jql string) (int, map[string]any) {
	t.Helper()
	resp, m := do(t, s, http.MethodGet, endpoint+"?jql="+url.QueryEscape(jql)+"&fields=summary,labels", cloudAuth(), "")
	return resp.StatusCode, m
}

func keysOf(m map[string]any) []string {
	var out []string
	for _, is := range m["issues"].([]any) {
		out = append(out, is.(map[string]any)["key"].(string))
	}
	return out
}

func TestAuthorization(t *testing.T) {
	tests := []struct {
		name, header string
		opts         []Option
		want         int
		principal    string
	}{
		{"none", "", nil, http.StatusUnauthorized, ""},
		{"cloud basic", cloudAuth(), nil, http.StatusOK, "basic " + DefaultEmail},
		{"wrong token", basic(DefaultEmail, "nope"), nil, http.StatusUnauthorized, ""},
		{"wrong email", basic("eve@example.com", DefaultAPIToken), nil, http.StatusUnauthorized, ""},
		{"data center bearer", "Bearer " + DefaultPAT, nil, http.StatusOK, "bearer"},
		{"scheme in any case", "bearer " + DefaultPAT, nil, http.StatusOK, "bearer"},
		{"wrong bearer", "Bearer nope", nil, http.StatusUnauthorized, ""},
		{"token as bearer", "Bearer " + DefaultAPIToken, nil, http.StatusUnauthorized, ""},
		{"bearer refused", "Bearer " + DefaultPAT, []Option{WithPAT("")}, http.StatusUnauthorized, ""},
		{"custom basic", basic("a@b.c", "t"), []Option{WithBasicAuth("a@b.c", "t")}, http.StatusOK, "basic a@b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.opts...)
			resp, m := do(t, s, http.MethodGet, "/rest/api/2/search?jql=", tt.header, "")
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				msgs, _ := m["errorMessages"].([]any)
				if len(msgs) != 1 || !strings.Contains(msgs[0].(string), "not authenticated") {
					t.Errorf("body = %v, want Jira's errorMessages", m)
				}
			}
			if got := s.Calls()[0].Auth; got != tt.principal {
				t.Errorf("Call.Auth = %q, want %q", got, tt.principal)
			}
		})
	}
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		want   map[string]any
	}{
		{"no summary", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"}}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"summary": "You must specify a summary of the issue."}}},
		{"blank summary", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"  "}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"summary": "You must specify a summary of the issue."}}},
		{"nothing", `{}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{
				"summary": "You must specify a summary of the issue.", "project": "project is required", "issuetype": "Specify an issue type"}}},
		{"summary with a newline", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"a\nb"}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"summary": "The summary is invalid because it contains newline characters."}}},
		{"unknown issue type", `{"project":{"key":"SEC"},"issuetype":{"name":"Saga"},"summary":"s"}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"issuetype": "Specify a valid issue type"}}},
		{"unknown priority", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","priority":{"name":"Urgent"}}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"priority": "The priority selected is invalid."}}},
		{"label with a space", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","labels":["a b"]}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"labels": "The label 'a b' contains spaces which is invalid."}}},
		{"unknown field", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","colour":"red"}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"colour": "Field 'colour' cannot be set. It is not on the appropriate screen, or unknown."}}},
		{"ADF description", `{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","description":{"type":"doc"}}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"description": "Operation value must be a string"}}},
		{"bad project key", `{"project":{"key":"sec"},"issuetype":{"name":"Task"},"summary":"s"}`,
			map[string]any{"errorMessages": []any{}, "errors": map[string]any{"project": "Specify a valid project ID or key"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(), `{"fields":`+tt.fields+`}`)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %v", resp.StatusCode, m)
			}
			if !reflect.DeepEqual(m, tt.want) {
				t.Errorf("body = %v\nwant   %v", m, tt.want)
			}
			if len(s.Issues()) != 0 {
				t.Error("a refused create made an issue")
			}
		})
	}
}

func TestFixedProjects(t *testing.T) {
	s := New(WithProjects("SEC"))
	resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(),
		`{"fields":{"project":{"key":"OPS"},"issuetype":{"name":"Task"},"summary":"s"}}`)
	if resp.StatusCode != http.StatusBadRequest || m["errors"].(map[string]any)["project"] != "Specify a valid project ID or key" {
		t.Fatalf("create in unknown project: %d %v", resp.StatusCode, m)
	}
	code, m := search(t, s, "/rest/api/2/search/jql", `project = OPS`)
	if code != http.StatusBadRequest || !strings.Contains(m["errorMessages"].([]any)[0].(string), "does not exist for the field 'project'") {
		t.Fatalf("search in unknown project: %d %v", code, m)
	}
	if key := create(t, s, "SEC", "s"); key != "SEC-1" {
		t.Errorf("key = %s", key)
	}
}

// recorded reads a body recorded from Jira (see the file for its source).
func recorded(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func requireKeys(t *testing.T, what string, got, want map[string]any, except ...string) {
	t.Helper()
	for k := range want {
		if _, ok := got[k]; !ok && !contains(except, k) {
			t.Errorf("%s lacks %q (have %v)", what, k, got)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestAnswerShapes compares the fake's answers with bodies recorded from
// Jira: go-atlassian's create and search (v3, whose envelope is v2's),
// jira-cli's enhanced search, go-jira's transitions and go-atlassian's
// comment.
func TestAnswerShapes(t *testing.T) {
	s := New()
	resp, created := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(),
		`{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","labels":["x"]}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %v", resp.StatusCode, created)
	}
	// go-atlassian's create answer also has a "transition" member, present
	// only when the create asked for a transition.
	requireKeys(t, "create answer", created, recorded(t, "create-issue.json"), "transition")
	if created["key"] != "SEC-1" || created["id"] != "10000" || !strings.HasSuffix(created["self"].(string), "/rest/api/2/issue/10000") {
		t.Errorf("create answer = %v", created)
	}

	// warningMessages is only present when the JQL drew warnings.
	_, page := search(t, s, "/rest/api/2/search", "labels = x")
	requireKeys(t, "search answer", page, recorded(t, "search.json"), "warningMessages")
	want := recorded(t, "search.json")["issues"].([]any)[0].(map[string]any)
	got := page["issues"].([]any)[0].(map[string]any)
	requireKeys(t, "search issue", got, want)

	// jira-cli's recording also carries "expand", which Atlassian does not
	// document for /search/jql.
	_, page = search(t, s, "/rest/api/2/search/jql", "labels = x")
	requireKeys(t, "enhanced search answer", page, recorded(t, "search_jql.json"), "expand")
	if page["isLast"] != true {
		t.Errorf("isLast = %v", page["isLast"])
	}
	fields := page["issues"].([]any)[0].(map[string]any)["fields"].(map[string]any)
	if len(fields) != 2 || fields["summary"] != "s" {
		t.Errorf("fields = %v, want only summary and labels", fields)
	}

	_, ts := do(t, s, http.MethodGet, "/rest/api/2/issue/SEC-1/transitions?expand=transitions.fields", cloudAuth(), "")
	requireKeys(t, "transitions answer", ts, recorded(t, "transitions.json"))
	wantT := recorded(t, "transitions.json")["transitions"].([]any)[0].(map[string]any)
	gotT := ts["transitions"].([]any)[0].(map[string]any)
	requireKeys(t, "transition", gotT, wantT)
	requireKeys(t, "transition target", gotT["to"].(map[string]any), wantT["to"].(map[string]any))

	resp, c := do(t, s, http.MethodPost, "/rest/api/2/issue/SEC-1/comment", cloudAuth(), `{"body":"hello"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("comment: %d %v", resp.StatusCode, c)
	}
	// visibility is only present on restricted comments.
	requireKeys(t, "comment answer", c, recorded(t, "comment.json"), "visibility")
	if c["body"] != "hello" {
		t.Errorf("comment body = %v", c["body"])
	}
}

func TestGetIssue(t *testing.T) {
	s := New()
	key := create(t, s, "SEC", "hello", "a")
	resp, m := do(t, s, http.MethodGet, "/rest/api/2/issue/"+key, cloudAuth(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	f := m["fields"].(map[string]any)
	if f["summary"] != "hello" || f["status"].(map[string]any)["name"] != "Open" || f["priority"].(map[string]any)["name"] != "Medium" {
		t.Errorf("fields = %v", f)
	}
	if _, err := time.Parse(timeLayout, f["created"].(string)); err != nil {
		t.Errorf("created: %v", err)
	}
	resp, m = do(t, s, http.MethodGet, "/rest/api/2/issue/SEC-9", cloudAuth(), "")
	if resp.StatusCode != http.StatusNotFound || m["errorMessages"].([]any)[0] != "Issue does not exist or you do not have permission to see it." {
		t.Errorf("missing issue: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, http.MethodGet, "/rest/api/2/issue/10000?fields=status", cloudAuth(), "")
	if resp.StatusCode != http.StatusOK || len(m["fields"].(map[string]any)) != 1 {
		t.Errorf("by ID with fields=status: %d %v", resp.StatusCode, m)
	}
}

func TestSearch(t *testing.T) {
	s := New()
	create(t, s, "SEC", "one", "socflow", "incident-a")
	create(t, s, "SEC", "two", "socflow", "incident-b")
	create(t, s, "OPS", "three", "incident-a")
	tests := []struct {
		jql  string
		want []string
		code int
	}{
		{`project = SEC AND labels = "incident-a"`, []string{"SEC-1"}, 200},
		{`project = "SEC" and labels = 'incident-b'`, []string{"SEC-2"}, 200},
		{`labels = incident-a ORDER BY created DESC`, []string{"OPS-1", "SEC-1"}, 200},
		{`labels = "INCIDENT-A"`, nil, 200},
		{`project = sec AND labels in (incident-a, incident-b) ORDER BY key ASC`, []string{"SEC-1", "SEC-2"}, 200},
		{`project != SEC`, []string{"OPS-1"}, 200},
		{`summary ~ "TW"`, []string{"SEC-2"}, 200},
		{`key = sec-2`, []string{"SEC-2"}, 200},
		{`status = Open AND issuetype = Task AND priority = Medium AND labels = socflow`, []string{"SEC-1", "SEC-2"}, 200},
		{`project = SEC OR project = OPS`, nil, 400},
		{`colour = red`, nil, 400},
		{`labels ~ x`, nil, 400},
		{`project = "SEC`, nil, 400},
		{`project SEC`, nil, 400},
		{`labels = x ORDER BY rank`, nil, 400},
		{``, nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			code, m := search(t, s, "/rest/api/2/search/jql", tt.jql)
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, m)
			}
			if code != 200 {
				if msgs, _ := m["errorMessages"].([]any); len(msgs) == 0 {
					t.Errorf("no errorMessages in %v", m)
				}
				return
			}
			if got := keysOf(m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSearchPaging(t *testing.T) {
	s := New()
	for range 3 {
		create(t, s, "SEC", "s", "x")
	}
	_, m := do(t, s, http.MethodGet, "/rest/api/2/search/jql?jql=labels%3Dx&maxResults=2&fields=summary", cloudAuth(), "")
	if keysOf(m)[1] != "SEC-2" || m["isLast"] != false || m["nextPageToken"] != "2" {
		t.Fatalf("first page = %v", m)
	}
	_, m = do(t, s, http.MethodGet, "/rest/api/2/search/jql?jql=labels%3Dx&maxResults=2&fields=summary&nextPageToken=2", cloudAuth(), "")
	if !reflect.DeepEqual(keysOf(m), []string{"SEC-3"}) || m["isLast"] != true {
		t.Fatalf("second page = %v", m)
	}
	_, m = do(t, s, http.MethodGet, "/rest/api/2/search?jql=labels%3Dx&maxResults=1&startAt=1", cloudAuth(), "")
	if !reflect.DeepEqual(keysOf(m), []string{"SEC-2"}) || m["total"] != float64(3) || m["startAt"] != float64(1) {
		t.Fatalf("offset page = %v", m)
	}
	// The enhanced search returns IDs only unless asked for fields.
	_, m = do(t, s, http.MethodGet, "/rest/api/2/search/jql?jql=labels%3Dx", cloudAuth(), "")
	if _, ok := m["issues"].([]any)[0].(map[string]any)["fields"]; ok {
		t.Errorf("fields without asking: %v", m)
	}
}

func TestSearchLag(t *testing.T) {
	s := New(WithSearchLag(2))
	key := create(t, s, "SEC", "s", "x")
	for i := 1; i <= 3; i++ {
		_, m := search(t, s, "/rest/api/2/search", "labels = x")
		found := len(keysOf(m)) == 1
		if found != (i == 3) {
			t.Fatalf("search %d found the issue: %v", i, found)
		}
	}
	// A GET is consistent from the start.
	s.SetSearchLag(5)
	key2 := create(t, s, "SEC", "s", "y")
	if resp, _ := do(t, s, http.MethodGet, "/rest/api/2/issue/"+key2, cloudAuth(), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("get %s during lag: %d", key2, resp.StatusCode)
	}
	if _, ok := s.Issue(key); !ok {
		t.Errorf("Issue(%s) not found", key)
	}
}

func TestDeployments(t *testing.T) {
	tests := []struct {
		d                Deployment
		search, enhanced int
	}{
		{Both, 200, 200},
		{Cloud, 410, 200},
		{DataCenter, 200, 404},
	}
	for _, tt := range tests {
		s := New(WithDeployment(tt.d))
		if code, m := search(t, s, "/rest/api/2/search", "labels = x"); code != tt.search {
			t.Errorf("deployment %d: /search = %d %v", tt.d, code, m)
		}
		if code, m := search(t, s, "/rest/api/2/search/jql", "labels = x"); code != tt.enhanced {
			t.Errorf("deployment %d: /search/jql = %d %v", tt.d, code, m)
		}
	}
}

func TestComments(t *testing.T) {
	s := New()
	key := create(t, s, "SEC", "s")
	resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue/"+key+"/comment", "Bearer "+DefaultPAT, `{"body":"h3. hello"}`)
	if resp.StatusCode != http.StatusCreated || m["id"] == "" {
		t.Fatalf("comment: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, http.MethodPost, "/rest/api/2/issue/"+key+"/comment", cloudAuth(), `{"body":""}`)
	if resp.StatusCode != http.StatusBadRequest || m["errors"].(map[string]any)["comment"] != "Comment body can not be empty!" {
		t.Errorf("empty comment: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, s, http.MethodPost, "/rest/api/2/issue/SEC-99/comment", cloudAuth(), `{"body":"x"}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("comment on a missing issue: %d", resp.StatusCode)
	}
	is, _ := s.Issue(key)
	if !reflect.DeepEqual(is.Comments, []string{"h3. hello"}) {
		t.Errorf("comments = %q", is.Comments)
	}
}

func TestTransitions(t *testing.T) {
	s := New()
	key := create(t, s, "SEC", "s")
	names := func() []string {
		_, m := do(t, s, http.MethodGet, "/rest/api/2/issue/"+key+"/transitions", cloudAuth(), "")
		var out []string
		for _, tr := range m["transitions"].([]any) {
			out = append(out, tr.(map[string]any)["name"].(string))
		}
		return out
	}
	if got := names(); !reflect.DeepEqual(got, []string{"Start Progress", "Contain", "Close"}) {
		t.Fatalf("from Open: %v", got)
	}
	resp, _ := do(t, s, http.MethodPost, "/rest/api/2/issue/"+key+"/transitions", cloudAuth(), `{"transition":{"id":"21"},"fields":{},"update":{}}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("do transition: %d", resp.StatusCode)
	}
	if is, _ := s.Issue(key); is.Status != "Contained" {
		t.Fatalf("status = %s", is.Status)
	}
	resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue/"+key+"/transitions", cloudAuth(), `{"transition":{"id":"21"}}`)
	if resp.StatusCode != http.StatusBadRequest || m["errorMessages"].([]any)[0] != "Transition id '21' is not valid for this issue." {
		t.Errorf("transition not offered: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, http.MethodPost, "/rest/api/2/issue/"+key+"/transitions", cloudAuth(), `{}`)
	if resp.StatusCode != http.StatusBadRequest || m["errorMessages"].([]any)[0] != "Missing 'transition' identifier" {
		t.Errorf("no transition: %d %v", resp.StatusCode, m)
	}
	if got := names(); !reflect.DeepEqual(got, []string{"Close"}) {
		t.Errorf("from Contained: %v", got)
	}

	w := New(WithWorkflow("To Do", Transition{Name: "Done", To: "Done"}))
	key = create(t, w, "SEC", "s")
	_, m = do(t, w, http.MethodGet, "/rest/api/2/issue/"+key+"/transitions", cloudAuth(), "")
	tr := m["transitions"].([]any)[0].(map[string]any)
	if tr["id"] != "11" || tr["isGlobal"] != true || tr["to"].(map[string]any)["statusCategory"].(map[string]any)["key"] != "done" {
		t.Errorf("global transition = %v", tr)
	}
}

func TestFaults(t *testing.T) {
	s := New()
	s.FailNext("POST /rest/api/2/issue", http.StatusTooManyRequests, 2, "7")
	body := `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s"}}`
	for i := range 2 {
		resp, m := do(t, s, http.MethodPost, "/rest/api/2/issue", "", body)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
			t.Fatalf("attempt %d: %d %v", i, resp.StatusCode, resp.Header)
		}
		if m["errorMessages"] == nil {
			t.Errorf("429 body = %v", m)
		}
	}
	if resp, _ := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(), body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the faults: %d", resp.StatusCode)
	}
	if n := len(s.Issues()); n != 1 {
		t.Fatalf("issues = %d, want 1", n)
	}

	// A committed fault makes the change and loses the answer.
	s.Fail("POST /rest/api/2/issue", Fault{Status: http.StatusBadGateway, Commit: true, Body: "<html>bad gateway</html>"})
	resp, _ := do(t, s, http.MethodPost, "/rest/api/2/issue", cloudAuth(), body)
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("committed fault: %d %v", resp.StatusCode, resp.Header)
	}
	if n := len(s.Issues()); n != 2 {
		t.Fatalf("issues = %d after a committed fault, want 2", n)
	}
	if got := s.Count("POST /rest/api/2/issue"); got != 4 {
		t.Errorf("Count = %d, want 4", got)
	}
	calls := s.Calls()
	if calls[0].Status != http.StatusTooManyRequests || calls[3].Status != http.StatusBadGateway {
		t.Errorf("recorded statuses: %+v", calls)
	}
}

func TestHang(t *testing.T) {
	s := New()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = s.Close() })
	s.Fail("GET /rest/api/2/issue/*", Fault{Hang: true})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/rest/api/2/issue/SEC-1", nil)
	req.Header.Set("Authorization", cloudAuth())
	_, err := ts.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	// The fault was used up: the next call is answered.
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/rest/api/2/issue/SEC-1", nil)
	req.Header.Set("Authorization", cloudAuth())
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
}

// TestCloseReleasesHangs checks that Close answers nothing but returns the
// hanging handler, so that the httptest server can shut down.
func TestCloseReleasesHangs(t *testing.T) {
	s := New()
	s.Fail("", Fault{Hang: true})
	done := make(chan struct{})
	go func() {
		defer close(done)
		do(t, s, http.MethodGet, "/rest/api/2/issue/SEC-1", cloudAuth(), "")
	}()
	// Wait for the request to arrive before closing.
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
}

func TestStart(t *testing.T) {
	s := New()
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/rest/api/2/search?jql=", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultPAT)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
}

func TestUnknownPaths(t *testing.T) {
	s := New()
	key := create(t, s, "SEC", "s")
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/rest/api/2/myself", http.StatusNotFound},
		{http.MethodGet, "/rest/api/3/search/jql", http.StatusNotFound},
		{http.MethodDelete, "/rest/api/2/issue/" + key, http.StatusMethodNotAllowed},
		{http.MethodGet, "/rest/api/2/issue", http.StatusMethodNotAllowed},
		{http.MethodPost, "/rest/api/2/search", http.StatusMethodNotAllowed},
		{http.MethodGet, "/rest/api/2/issue/" + key + "/worklog", http.StatusNotFound},
	}
	for _, tt := range tests {
		if resp, _ := do(t, s, tt.method, tt.path, cloudAuth(), ""); resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}
