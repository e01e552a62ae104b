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
	"encoding/base64"
	"io"
	"net/http"
	"slices"
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

// Fault is a scripted failure; its Body replaces the Jira error collection
// the fake derives from Status.
type Fault = loopback.Fault

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
// use. Calls, FailNext (whose pattern is an optional method and a path,
// such as "POST /rest/api/2/issue" or "GET
// /rest/api/2/issue/*/transitions"), Fail, Release and Close come with its
// loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

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
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL. Tests can mount the Server on httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("jiratest", addr, s)
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

// Count returns how many requests received so far match pattern (as in
// FailNext).
func (s *Server) Count(pattern string) int {
	n := 0
	for _, c := range s.Calls() {
		if loopback.MatchPattern(pattern, c.Method, c.Path) {
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

// ServeHTTP answers one API call. A call is recorded as it arrives, and its
// status once it is answered.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	idx := s.Record(Call{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Auth: s.principal(r),
	})
	// A held request is answered nothing, even once released: the client
	// sees a timeout, and cannot tell whether a committed change was made.
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() response { return s.serve(r, body) }, faultResponse)
	if !answered {
		return
	}
	s.Update(idx, func(c *Call) { c.Status = resp.Status })
	resp.Write(w, "application/json;charset=UTF-8")
}

func faultResponse(f Fault) response {
	msg := http.StatusText(f.Status)
	switch f.Status {
	case http.StatusTooManyRequests:
		msg = "Rate limit exceeded."
	case http.StatusInternalServerError:
		msg = "Internal server error"
	}
	return f.Answer(messageResponse(f.Status, msg))
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
	return response{Status: http.StatusMethodNotAllowed}
}
