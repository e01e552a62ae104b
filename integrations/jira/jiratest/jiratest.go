// Package jiratest is a loopback fake of the part of Jira's REST API v2
// that package jira calls: create and get an issue, search by JQL (both
// Data Center's /rest/api/2/search and Cloud's /rest/api/2/search/jql),
// add a comment, list and perform transitions. It answers with Jira's
// documented bodies and error collections, checks Cloud basic
// authentication (email and API token) and Data Center bearer personal
// access tokens, records every call, and can be scripted to fail: rate
// limiting with Retry-After, server errors, requests that hang, requests
// whose change is made but whose answer is lost, and a search index that
// lags behind newly created issues as Jira Cloud's does.
//
// Tests mount a Server on httptest.NewServer; Start serves it for
// long-running use. The default workflow starts issues in "Open" and
// offers "Start Progress", "Contain", "Close" and "Reopen"; WithWorkflow
// replaces it.
package jiratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// Credentials a Server accepts unless told otherwise.
const (
	DefaultEmail    = "socflow@example.com"
	DefaultAPIToken = "jiratest-api-token"
	DefaultPAT      = "jiratest-pat"
)

// Deployment says which search endpoints the fake serves.
type Deployment int

// Deployments.
const (
	// Both serves both search endpoints, so that a client works whichever
	// it picks. It is the default.
	Both Deployment = iota
	// Cloud answers the retired /rest/api/2/search with 410 Gone, as Jira
	// Cloud does since 2025, and serves /rest/api/2/search/jql.
	Cloud
	// DataCenter has no /rest/api/2/search/jql (404), as Jira Data Center
	// and Server do not.
	DataCenter
)

// Transition is one step of the fake's workflow.
type Transition struct {
	// ID is what a client posts; empty gets a number.
	ID   string
	Name string
	// From lists the statuses that offer the transition; empty offers it
	// from every status (a global transition).
	From []string
	// To is the status the issue moves to.
	To string
}

// Issue is a snapshot of an issue the fake holds.
type Issue struct {
	ID          string
	Key         string
	Project     string
	Summary     string
	Description string
	IssueType   string
	Priority    string
	Status      string
	Labels      []string
	// Comments are the comment bodies, oldest first.
	Comments []string
	Created  time.Time
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the unescaped request path.
	Path string
	// Query is the raw query string.
	Query string
	Body  string
	// Auth is "basic <email>" or "bearer" for accepted credentials, and ""
	// otherwise.
	Auth string
	// Status is the status answered, 0 while the call is in progress or
	// when it hung.
	Status int
}

// Fault is a scripted failure.
type Fault struct {
	// Status is the status answered (unless Hang).
	Status int
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Body replaces the Jira error collection the fake derives from
	// Status.
	Body string
	// Hang holds the request without answering until the client gives up
	// or the Server is closed.
	Hang bool
	// Commit carries the request out before failing it, so that the change
	// is made but the client never learns of it: a lost answer.
	Commit bool
	// Times is how many matching requests fail; less than 1 means one.
	Times int
}

// Option configures a Server.
type Option func(*Server)

// WithBasicAuth sets the email and API token the fake accepts as basic
// credentials, Jira Cloud's scheme. An empty token refuses every basic
// credential.
func WithBasicAuth(email, token string) Option {
	return func(s *Server) { s.email, s.apiToken = email, token }
}

// WithPAT sets the personal access token the fake accepts as a bearer
// token, Jira Data Center's scheme. Empty refuses every bearer token.
func WithPAT(token string) Option {
	return func(s *Server) { s.pat = token }
}

// WithDeployment picks the search endpoints the fake serves.
func WithDeployment(d Deployment) Option {
	return func(s *Server) { s.deployment = d }
}

// WithProjects fixes the projects: any other key is refused. Without it
// the fake makes up a project for every well-formed key it is given.
func WithProjects(keys ...string) Option {
	return func(s *Server) {
		s.fixedProjects = true
		for _, k := range keys {
			s.addProject(k)
		}
	}
}

// WithPriorities replaces the priority scheme (Highest, High, Medium, Low,
// Lowest), most urgent first.
func WithPriorities(names ...string) Option {
	return func(s *Server) { s.priorities = slices.Clone(names) }
}

// WithWorkflow replaces the workflow: issues start in initial and move by
// the transitions given.
func WithWorkflow(initial string, ts ...Transition) Option {
	return func(s *Server) {
		s.initial = initial
		s.transitions = nil
		for i, t := range ts {
			if t.ID == "" {
				t.ID = strconv.Itoa(11 + 10*i)
			}
			t.From = slices.Clone(t.From)
			s.transitions = append(s.transitions, t)
		}
	}
}

// WithSearchLag hides each new issue from the next n searches, as Jira
// Cloud's search index lags behind writes. Getting the issue by key is not
// affected.
func WithSearchLag(n int) Option {
	return func(s *Server) { s.lag = n }
}

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use.
type Server struct {
	mu            sync.Mutex
	email         string
	apiToken      string
	pat           string
	deployment    Deployment
	fixedProjects bool
	projects      []*project
	priorities    []string
	issueTypes    []string
	initial       string
	transitions   []Transition
	lag           int
	issues        []*issue
	nextID        int
	nextComment   int
	calls         []Call
	faults        []fault
	loop          loopback.Server // serves Start
	stopOnce      sync.Once
	stop          chan struct{}
}

type project struct {
	ID, Key, Name string
	next          int // number of the project's next issue
}

type issue struct {
	id          int
	key         string
	project     *project
	summary     string
	description string
	issueType   string
	priority    string
	status      string
	labels      []string
	created     time.Time
	updated     time.Time
	comments    []comment
	// hidden counts the searches that will still miss the issue.
	hidden int
}

type comment struct {
	id      int
	body    string
	author  string
	created time.Time
}

type fault struct {
	method, pattern string
	Fault
}

// New returns a fake that accepts DefaultEmail with DefaultAPIToken and
// DefaultPAT, serves both search endpoints and makes up projects.
func New(opts ...Option) *Server {
	s := &Server{
		email:      DefaultEmail,
		apiToken:   DefaultAPIToken,
		pat:        DefaultPAT,
		priorities: []string{"Highest", "High", "Medium", "Low", "Lowest"},
		issueTypes: []string{"Task", "Bug", "Story", "Epic", "Incident"},
		initial:    "Open",
		transitions: []Transition{
			{ID: "11", Name: "Start Progress", From: []string{"Open"}, To: "In Progress"},
			{ID: "21", Name: "Contain", From: []string{"Open", "In Progress"}, To: "Contained"},
			{ID: "31", Name: "Close", From: []string{"Open", "In Progress", "Contained"}, To: "Closed"},
			{ID: "41", Name: "Reopen", From: []string{"Closed"}, To: "Open"},
		},
		nextID:      10000,
		nextComment: 10000,
		stop:        make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL. Tests can mount the Server on httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.loop.Start("jiratest", addr, s)
}

// Close releases every hanging request and stops what Start started. Call
// it before closing an httptest.Server the fake is mounted on, whose Close
// waits for hanging requests.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	return s.loop.Close()
}

// FailNext makes the next n requests matching pattern fail with status,
// sending retryAfter as Retry-After when not empty. The pattern is an
// optional method and a path.Match pattern over the unescaped path, such
// as "POST /rest/api/2/issue" or "GET /rest/api/2/issue/*/transitions"; an
// empty path matches every request.
func (s *Server) FailNext(pattern string, status, n int, retryAfter string) {
	s.Fail(pattern, Fault{Status: status, Times: n, RetryAfter: retryAfter})
}

// Fail is FailNext with every detail of the failure under control.
// Failures are served in the order they were scripted, before credentials
// are checked.
func (s *Server) Fail(pattern string, f Fault) {
	method, p := splitPattern(pattern)
	if f.Times < 1 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, pattern: p, Fault: f})
}

// SetSearchLag changes how many searches miss each issue created from now
// on.
func (s *Server) SetSearchLag(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = n
}

// Reindex makes every issue searchable at once, as when the index has
// caught up.
func (s *Server) Reindex() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, is := range s.issues {
		is.hidden = 0
	}
}

// SetStatus moves an issue to a status directly, as a person working in
// Jira might. It reports whether the issue exists.
func (s *Server) SetStatus(keyOrID, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(keyOrID)
	if is == nil {
		return false
	}
	is.status = status
	return true
}

// Calls returns the requests received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many requests received so far match pattern (as in
// FailNext).
func (s *Server) Count(pattern string) int {
	method, p := splitPattern(pattern)
	n := 0
	for _, c := range s.Calls() {
		if matches(method, p, c.Method, c.Path) {
			n++
		}
	}
	return n
}

// Issues returns every issue, oldest first.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		out = append(out, is.snapshot())
	}
	return out
}

// Issue returns the issue with this key or ID.
func (s *Server) Issue(keyOrID string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.find(keyOrID); is != nil {
		return is.snapshot(), true
	}
	return Issue{}, false
}

func (is *issue) snapshot() Issue {
	out := Issue{
		ID: itoa(is.id), Key: is.key, Project: is.project.Key, Summary: is.summary,
		Description: is.description, IssueType: is.issueType, Priority: is.priority,
		Status: is.status, Labels: slices.Clone(is.labels), Created: is.created,
	}
	for _, c := range is.comments {
		out.Comments = append(out.Comments, c.body)
	}
	return out
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	idx, f, faulted := s.begin(r, body)
	var resp response
	if !faulted || f.Commit {
		resp = s.serve(r, body)
	}
	if faulted {
		if f.Hang {
			// Nothing is answered: the client sees a timeout, and cannot
			// tell whether a committed change was made.
			select {
			case <-r.Context().Done():
			case <-s.stop:
			}
			return
		}
		resp = faultResponse(f.Fault)
	}
	s.mu.Lock()
	s.calls[idx].Status = resp.status
	s.mu.Unlock()

	h := w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	if resp.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// begin records the call and takes the first scripted fault that matches
// it.
func (s *Server) begin(r *http.Request, body []byte) (int, fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Auth: s.principal(r),
	})
	idx := len(s.calls) - 1
	for i := range s.faults {
		f := &s.faults[i]
		if !matches(f.method, f.pattern, r.Method, r.URL.Path) {
			continue
		}
		taken := *f
		f.Times--
		if f.Times == 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return idx, taken, true
	}
	return idx, fault{}, false
}

func splitPattern(pattern string) (method, p string) {
	method, p, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", pattern
	}
	return method, p
}

func matches(method, pattern, reqMethod, reqPath string) bool {
	if method != "" && !strings.EqualFold(method, reqMethod) {
		return false
	}
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, reqPath)
	return err == nil && ok
}

func faultResponse(f Fault) response {
	resp := messageResponse(f.Status, http.StatusText(f.Status))
	switch f.Status {
	case http.StatusTooManyRequests:
		resp = messageResponse(f.Status, "Rate limit exceeded.")
	case http.StatusInternalServerError:
		resp = messageResponse(f.Status, "Internal server error")
	}
	resp.header = http.Header{}
	if f.Body != "" {
		resp.body = []byte(f.Body)
		if b := strings.TrimSpace(f.Body); !strings.HasPrefix(b, "{") && !strings.HasPrefix(b, "[") {
			// Such bodies come from a proxy in front of Jira.
			resp.header.Set("Content-Type", "text/html;charset=UTF-8")
		}
	}
	if f.RetryAfter != "" {
		resp.header.Set("Retry-After", f.RetryAfter)
	}
	return resp
}

// principal names the caller when its credentials are accepted.
func (s *Server) principal(r *http.Request) string {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return ""
		}
		email, token, _ := strings.Cut(string(raw), ":")
		if s.apiToken != "" && email == s.email && token == s.apiToken {
			return "basic " + email
		}
	case "bearer":
		if s.pat != "" && cred == s.pat {
			return "bearer"
		}
	}
	return ""
}

const apiPrefix = "/rest/api/2/"

// serve carries out one request under the lock.
func (s *Server) serve(r *http.Request, body []byte) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	who := s.principal(r)
	if who == "" {
		return messageResponse(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
	}
	base := "http://" + r.Host
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		return notFound(r)
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case len(seg) == 1 && seg[0] == "issue":
		if r.Method != http.MethodPost {
			return methodNotAllowed()
		}
		return s.createIssue(base, body)
	case len(seg) == 1 && seg[0] == "search":
		if r.Method != http.MethodGet {
			return methodNotAllowed()
		}
		if s.deployment == Cloud {
			return messageResponse(http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
		}
		return s.search(base, r.URL.Query(), false)
	case len(seg) == 2 && seg[0] == "search" && seg[1] == "jql":
		if s.deployment == DataCenter {
			return notFound(r)
		}
		if r.Method != http.MethodGet {
			return methodNotAllowed()
		}
		return s.search(base, r.URL.Query(), true)
	case len(seg) >= 2 && len(seg) <= 3 && seg[0] == "issue":
		is := s.find(seg[1])
		if is == nil {
			return issueNotFound()
		}
		sub := ""
		if len(seg) == 3 {
			sub = seg[2]
		}
		switch {
		case sub == "" && r.Method == http.MethodGet:
			return jsonResponse(http.StatusOK, s.render(base, is, fieldSet(r.URL.Query().Get("fields"), true)))
		case sub == "comment" && r.Method == http.MethodPost:
			return s.addComment(base, is, who, body)
		case sub == "transitions" && r.Method == http.MethodGet:
			return s.listTransitions(base, is, strings.Contains(r.URL.Query().Get("expand"), "transitions.fields"))
		case sub == "transitions" && r.Method == http.MethodPost:
			return s.doTransition(is, body)
		case sub == "" || sub == "comment" || sub == "transitions":
			return methodNotAllowed()
		}
	}
	return notFound(r)
}

func notFound(r *http.Request) response {
	return messageResponse(http.StatusNotFound, "null for uri: "+r.URL.String())
}

func methodNotAllowed() response {
	return response{status: http.StatusMethodNotAllowed}
}

func (s *Server) find(keyOrID string) *issue {
	for _, is := range s.issues {
		if strings.EqualFold(is.key, keyOrID) || itoa(is.id) == keyOrID {
			return is
		}
	}
	return nil
}

// validProjectKey reports whether key has the form Jira requires of a
// project key by default: an upper-case letter, then 1 to 9 upper-case
// letters, digits or underscores.
func validProjectKey(key string) bool {
	if len(key) < 2 || len(key) > 10 || key[0] < 'A' || key[0] > 'Z' {
		return false
	}
	for _, c := range key[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func (s *Server) addProject(key string) *project {
	p := &project{ID: itoa(10000 + len(s.projects)), Key: key, Name: key, next: 1}
	s.projects = append(s.projects, p)
	return p
}

func (s *Server) findProject(keyOrID string, create bool) *project {
	for _, p := range s.projects {
		if p.Key == keyOrID || p.ID == keyOrID {
			return p
		}
	}
	if create && !s.fixedProjects && validProjectKey(keyOrID) {
		return s.addProject(keyOrID)
	}
	return nil
}

// createRequest is the body of POST /rest/api/2/issue.
type createRequest struct {
	Fields map[string]json.RawMessage `json:"fields"`
	Update map[string]json.RawMessage `json:"update"`
}

// ref is how Jira names an object in a request: by ID, key or name.
type ref struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (s *Server) createIssue(base string, body []byte) response {
	var req createRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	errs := map[string]string{}
	for name := range req.Fields {
		switch name {
		case "project", "summary", "issuetype", "priority", "labels", "description":
		default:
			errs[name] = fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", name)
		}
	}

	var p *project
	if raw, ok := req.Fields["project"]; !ok {
		errs["project"] = "project is required"
	} else {
		var pr ref
		if json.Unmarshal(raw, &pr) != nil {
			errs["project"] = "Specify a valid project ID or key"
		} else if p = s.findProject(firstOf(pr.Key, pr.ID), true); p == nil {
			errs["project"] = "Specify a valid project ID or key"
		}
	}

	var summary string
	if raw, ok := req.Fields["summary"]; ok && json.Unmarshal(raw, &summary) != nil {
		errs["summary"] = "Operation value must be a string"
	}
	switch {
	case errs["summary"] != "":
	case strings.TrimSpace(summary) == "":
		errs["summary"] = "You must specify a summary of the issue."
	case strings.ContainsAny(summary, "\r\n"):
		errs["summary"] = "The summary is invalid because it contains newline characters."
	case len([]rune(summary)) > 255:
		errs["summary"] = "Summary must be less than 255 characters."
	}

	issueType := ""
	if raw, ok := req.Fields["issuetype"]; !ok {
		errs["issuetype"] = "Specify an issue type"
	} else {
		var it ref
		_ = json.Unmarshal(raw, &it)
		if issueType = s.issueType(firstOf(it.Name, it.ID)); issueType == "" {
			errs["issuetype"] = "Specify a valid issue type"
		}
	}

	priority := s.priorities[len(s.priorities)/2]
	if raw, ok := req.Fields["priority"]; ok {
		var pr ref
		_ = json.Unmarshal(raw, &pr)
		if priority = s.priority(firstOf(pr.Name, pr.ID)); priority == "" {
			errs["priority"] = "The priority selected is invalid."
		}
	}

	var labels []string
	if raw, ok := req.Fields["labels"]; ok {
		if json.Unmarshal(raw, &labels) != nil {
			errs["labels"] = "Operation value must be an array of strings"
		}
		for _, l := range labels {
			switch {
			case strings.ContainsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }):
				errs["labels"] = fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
			case len([]rune(l)) > 255:
				errs["labels"] = fmt.Sprintf("The label '%s' exceeds the maximum length for a single label of 255 characters.", l)
			case l == "":
				errs["labels"] = "Labels cannot be empty."
			}
		}
	}

	var description string
	if raw, ok := req.Fields["description"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if json.Unmarshal(raw, &description) != nil {
			errs["description"] = "Operation value must be a string"
		}
	}

	if len(errs) > 0 {
		return fieldErrors(errs)
	}

	now := time.Now()
	is := &issue{
		id:          s.nextID,
		key:         p.Key + "-" + itoa(p.next),
		project:     p,
		summary:     summary,
		description: description,
		issueType:   issueType,
		priority:    priority,
		status:      s.initial,
		labels:      labels,
		created:     now,
		updated:     now,
		hidden:      s.lag,
	}
	s.nextID++
	p.next++
	s.issues = append(s.issues, is)
	return jsonResponse(http.StatusCreated, createdJSON{ID: itoa(is.id), Key: is.key, Self: base + apiPrefix + "issue/" + itoa(is.id)})
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) issueType(nameOrID string) string {
	for i, t := range s.issueTypes {
		if strings.EqualFold(t, nameOrID) || itoa(10001+i) == nameOrID {
			return t
		}
	}
	return ""
}

func (s *Server) priority(nameOrID string) string {
	for i, p := range s.priorities {
		// Jira matches priority names exactly.
		if p == nameOrID || itoa(i+1) == nameOrID {
			return p
		}
	}
	return ""
}

// fieldSet reads the fields parameter; nil means every field.
func fieldSet(param string, allByDefault bool) map[string]bool {
	if param == "" {
		if allByDefault {
			return nil
		}
		return map[string]bool{}
	}
	set := map[string]bool{}
	for _, f := range strings.Split(param, ",") {
		f = strings.TrimSpace(f)
		if f == "*all" || f == "*navigable" {
			return nil
		}
		set[f] = true
	}
	return set
}

func (s *Server) render(base string, is *issue, fields map[string]bool) issueJSON {
	out := issueJSON{
		Expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		ID:     itoa(is.id),
		Self:   base + apiPrefix + "issue/" + itoa(is.id),
		Key:    is.key,
	}
	all := map[string]any{
		"summary":     is.summary,
		"description": nullIfEmpty(is.description),
		"issuetype":   issueTypeJSON{Self: base + apiPrefix + "issuetype/" + s.issueTypeID(is.issueType), ID: s.issueTypeID(is.issueType), Name: is.issueType},
		"project":     projectJSON{Self: base + apiPrefix + "project/" + is.project.ID, ID: is.project.ID, Key: is.project.Key, Name: is.project.Name},
		"priority":    s.priorityJSON(base, is.priority),
		"labels":      nonNil(is.labels),
		"status":      s.statusJSON(base, is.status),
		"created":     jiraTime(is.created),
		"updated":     jiraTime(is.updated),
	}
	f := map[string]any{}
	for k, v := range all {
		if fields == nil || fields[k] {
			f[k] = v
		}
	}
	if len(f) > 0 {
		out.Fields = f
	}
	return out
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(ls []string) []string {
	if ls == nil {
		return []string{}
	}
	return ls
}

func (s *Server) issueTypeID(name string) string {
	for i, t := range s.issueTypes {
		if t == name {
			return itoa(10001 + i)
		}
	}
	return "10000"
}

func (s *Server) priorityJSON(base, name string) priorityJSON {
	id := "0"
	for i, p := range s.priorities {
		if p == name {
			id = itoa(i + 1)
		}
	}
	return priorityJSON{Self: base + apiPrefix + "priority/" + id, IconURL: base + "/images/icons/priorities/" + strings.ToLower(name) + ".svg", Name: name, ID: id}
}

// statuses lists every status the workflow names, the initial one first.
func (s *Server) statuses() []string {
	out := []string{s.initial}
	for _, t := range s.transitions {
		for _, st := range append(slices.Clone(t.From), t.To) {
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out
}

func (s *Server) statusJSON(base, name string) statusJSON {
	id := itoa(10000 + max(0, slices.Index(s.statuses(), name)))
	cat := statusCategoryJSON{ID: 4, Key: "indeterminate", ColorName: "yellow", Name: "In Progress"}
	switch {
	case name == s.initial:
		cat = statusCategoryJSON{ID: 2, Key: "new", ColorName: "blue-gray", Name: "To Do"}
	case slices.ContainsFunc([]string{"closed", "done", "resolved"}, func(d string) bool { return strings.EqualFold(d, name) }):
		cat = statusCategoryJSON{ID: 3, Key: "done", ColorName: "green", Name: "Done"}
	}
	cat.Self = base + apiPrefix + "statuscategory/" + itoa(cat.ID)
	return statusJSON{Self: base + apiPrefix + "status/" + id, Name: name, ID: id, IconURL: base + "/images/icons/statuses/generic.png", StatusCategory: cat}
}

func (s *Server) search(base string, q url.Values, enhanced bool) response {
	jql := q.Get("jql")
	if enhanced && strings.TrimSpace(jql) == "" {
		return messageResponse(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	parsed, err := parseJQL(jql)
	if err != nil {
		return messageResponse(http.StatusBadRequest, err.Error())
	}
	for _, c := range parsed.clauses {
		if c.field != "project" || c.op == "!=" {
			continue
		}
		for _, v := range c.values {
			if s.findProject(v, false) == nil && s.fixedProjects {
				return messageResponse(http.StatusBadRequest, fmt.Sprintf("The value '%s' does not exist for the field 'project'.", v))
			}
		}
	}

	var hits []*issue
	for _, is := range s.issues {
		if is.hidden == 0 && parsed.match(is) {
			hits = append(hits, is)
		}
	}
	// The index catches up one search at a time.
	for _, is := range s.issues {
		if is.hidden > 0 {
			is.hidden--
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if parsed.desc {
			return hits[i].id > hits[j].id
		}
		return hits[i].id < hits[j].id
	})

	limit := 50
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v >= 0 {
		limit = v
	}
	start := 0
	param := "startAt"
	if enhanced {
		param = "nextPageToken"
	}
	if v := q.Get(param); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return messageResponse(http.StatusBadRequest, fmt.Sprintf("Invalid %s: %q", param, v))
		}
		start = n
	}
	start = min(start, len(hits))
	end := min(start+limit, len(hits))
	fields := fieldSet(q.Get("fields"), !enhanced)
	page := []issueJSON{}
	for _, is := range hits[start:end] {
		page = append(page, s.render(base, is, fields))
	}
	if enhanced {
		out := searchJQLJSON{Issues: page, IsLast: end == len(hits)}
		if !out.IsLast {
			out.NextPageToken = itoa(end)
		}
		return jsonResponse(http.StatusOK, out)
	}
	return jsonResponse(http.StatusOK, searchJSON{Expand: "schema,names", StartAt: start, MaxResults: limit, Total: len(hits), Issues: page})
}

func (s *Server) addComment(base string, is *issue, who string, body []byte) response {
	var req struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	if req.Body == nil || strings.TrimSpace(*req.Body) == "" {
		return fieldErrors(map[string]string{"comment": "Comment body can not be empty!"})
	}
	now := time.Now()
	c := comment{id: s.nextComment, body: *req.Body, author: who, created: now}
	s.nextComment++
	is.comments = append(is.comments, c)
	is.updated = now
	author := userJSON{Self: base + apiPrefix + "myself", DisplayName: "socflow", Active: true}
	if email, ok := strings.CutPrefix(who, "basic "); ok {
		author.AccountID = "5b10a2844c20165700ede21g"
		author.EmailAddress = email
	} else {
		author.Name = "socflow"
	}
	return jsonResponse(http.StatusCreated, commentJSON{
		Self:   base + apiPrefix + "issue/" + itoa(is.id) + "/comment/" + itoa(c.id),
		ID:     itoa(c.id),
		Author: author, UpdateAuthor: author,
		Body:    c.body,
		Created: jiraTime(now), Updated: jiraTime(now),
	})
}

// offered returns the transitions available from the issue's status.
func (s *Server) offered(is *issue) []Transition {
	var out []Transition
	for _, t := range s.transitions {
		if len(t.From) == 0 || slices.ContainsFunc(t.From, func(f string) bool { return strings.EqualFold(f, is.status) }) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) listTransitions(base string, is *issue, withFields bool) response {
	out := transitionsJSON{Expand: "transitions", Transitions: []transitionJSON{}}
	for _, t := range s.offered(is) {
		tj := transitionJSON{ID: t.ID, Name: t.Name, To: s.statusJSON(base, t.To), IsGlobal: len(t.From) == 0, IsAvailable: true}
		if withFields {
			tj.Fields = &map[string]any{}
		}
		out.Transitions = append(out.Transitions, tj)
	}
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) doTransition(is *issue, body []byte) response {
	var req struct {
		Transition *ref `json:"transition"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	if req.Transition == nil || req.Transition.ID == "" {
		return messageResponse(http.StatusBadRequest, "Missing 'transition' identifier")
	}
	for _, t := range s.offered(is) {
		if t.ID == req.Transition.ID {
			is.status = t.To
			is.updated = time.Now()
			return response{status: http.StatusNoContent}
		}
	}
	return messageResponse(http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", req.Transition.ID))
}
