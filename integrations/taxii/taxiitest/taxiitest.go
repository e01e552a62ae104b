// Package taxiitest is a loopback fake of a TAXII 2.1 server: discovery at
// /taxii2/, one API root at /api1/, its collections, and each collection's
// objects endpoint with added_after, match[type], limit, next tokens and
// the X-TAXII-Date-Added-First/Last headers, answering
// application/taxii+json and TAXII error messages. Tests mount it on
// httptest.NewServer, fill collections with Add, make them page with
// WithPageSize, require credentials with WithBasicAuth or WithBearerToken,
// and read what was asked with Calls.
package taxiitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// MediaType is what the fake answers and requires in Accept.
const MediaType = "application/taxii+json;version=2.1"

// APIRoot is the path of the fake's one API root.
const APIRoot = "/api1/"

// epoch is the date_added of the first object added; each object after it
// is one millisecond later, so that date_added orders them.
func epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	Accept string
	// Auth is the Authorization header's scheme ("Basic", "Bearer") or
	// empty.
	Auth   string
	Status int
}

// Option configures a Server.
type Option func(*Server)

// WithBasicAuth requires HTTP basic authentication with user and password.
func WithBasicAuth(user, password string) Option {
	return func(s *Server) { s.user, s.pass = user, password }
}

// WithBearerToken requires a bearer token.
func WithBearerToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithPageSize caps the objects per page whatever the client asks; the
// default is 100.
func WithPageSize(n int) Option {
	return func(s *Server) { s.pageSize = n }
}

// WithoutNext pages without next tokens, so that clients must move
// added_after to X-TAXII-Date-Added-Last, as some servers require.
func WithoutNext() Option {
	return func(s *Server) { s.noNext = true }
}

// Server is the fake. It is an http.Handler and is safe for concurrent use.
// Calls, FailNext, Fail and Close come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu          sync.Mutex
	user, pass  string
	token       string
	pageSize    int
	noNext      bool
	collections []*collection
	added       int
}

type collection struct {
	id, title string
	canRead   bool
	objects   []object
}

type object struct {
	added time.Time
	typ   string
	raw   json.RawMessage
}

// New returns a fake with no collections.
func New(opts ...Option) *Server {
	s := &Server{pageSize: 100}
	for _, o := range opts {
		o(s)
	}
	return s
}

// AddCollection adds an empty collection; canRead false makes reading it
// forbidden. Add creates readable collections as needed.
func (s *Server) AddCollection(id, title string, canRead bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.collection(id)
	c.title, c.canRead = title, canRead
}

// collection returns collection id, created readable if new; s.mu is
// held.
func (s *Server) collection(id string) *collection {
	for _, c := range s.collections {
		if c.id == id {
			return c
		}
	}
	c := &collection{id: id, title: id, canRead: true}
	s.collections = append(s.collections, c)
	return c
}

// Add appends STIX objects to a collection and returns the date_added of
// the last one. It panics on an object that is not a JSON object: the
// caller wrote the test data.
func (s *Server) Add(collectionID string, objects ...json.RawMessage) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.collection(collectionID)
	var last time.Time
	for _, raw := range objects {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			panic(fmt.Sprintf("taxiitest: object %s: %v", raw, err))
		}
		last = epoch().Add(time.Duration(s.added) * time.Millisecond)
		s.added++
		c.objects = append(c.objects, object{added: last, typ: head.Type, raw: slices.Clone(raw)})
	}
	return last
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL, for long-running use; tests can mount the Server on
// httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("taxiitest", addr, s)
}

type response = loopback.Response

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r)
	}, func(f loopback.Fault) response {
		return f.Answer(taxiiError(f.Status, "Injected failure", ""))
	})
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.Record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Accept: r.Header.Get("Accept"), Auth: scheme, Status: resp.Status})
	if answered {
		resp.Write(w, MediaType)
	}
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request) response {
	if !s.authorized(r) {
		resp := taxiiError(http.StatusUnauthorized, "Unauthorized", "Valid credentials are required.")
		resp.Header = http.Header{"Www-Authenticate": {`Basic realm="taxiitest"`}}
		return resp
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/taxii+json") {
		return taxiiError(http.StatusNotAcceptable, "Not Acceptable", "Accept must include "+MediaType)
	}
	if r.Method != http.MethodGet {
		return taxiiError(http.StatusMethodNotAllowed, "Method Not Allowed", "")
	}
	base := "http://" + r.Host
	p := r.URL.Path
	switch {
	case p == "/taxii2/":
		return loopback.JSON(http.StatusOK, map[string]any{
			"title": "taxiitest", "description": "A loopback TAXII 2.1 server",
			"default": base + APIRoot, "api_roots": []string{base + APIRoot},
		})
	case p == APIRoot:
		return loopback.JSON(http.StatusOK, map[string]any{
			"title": "taxiitest API root", "versions": []string{MediaType}, "max_content_length": 10 << 20,
		})
	case p == APIRoot+"collections/":
		var list []map[string]any
		for _, c := range s.collections {
			list = append(list, collectionInfo(c))
		}
		return loopback.JSON(http.StatusOK, map[string]any{"collections": list})
	}
	rest, ok := strings.CutPrefix(p, APIRoot+"collections/")
	if !ok {
		return taxiiError(http.StatusNotFound, "Not Found", "No such resource: "+p)
	}
	id, sub, _ := strings.Cut(rest, "/")
	var c *collection
	for _, cc := range s.collections {
		if cc.id == id {
			c = cc
		}
	}
	if c == nil {
		return taxiiError(http.StatusNotFound, "Collection not found", "No collection "+id)
	}
	switch sub {
	case "":
		return loopback.JSON(http.StatusOK, collectionInfo(c))
	case "objects/":
		if !c.canRead {
			return taxiiError(http.StatusForbidden, "Forbidden", "The collection cannot be read")
		}
		return s.objects(c, r.URL.Query())
	}
	return taxiiError(http.StatusNotFound, "Not Found", "No such resource: "+p)
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.user != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.user && p == s.pass
	case s.token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.token
	}
	return true
}

func (s *Server) objects(c *collection, q url.Values) response {
	var after time.Time
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return taxiiError(http.StatusBadRequest, "Bad added_after", fmt.Sprintf("%q is not a timestamp", v))
		}
		after = t
	}
	if v := q.Get("next"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		t, err2 := time.Parse(time.RFC3339Nano, string(raw))
		if err != nil || err2 != nil {
			return taxiiError(http.StatusBadRequest, "Bad next", fmt.Sprintf("%q is not a next token of this server", v))
		}
		if t.After(after) {
			after = t
		}
	}
	limit := s.pageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return taxiiError(http.StatusBadRequest, "Bad limit", fmt.Sprintf("%q is not a positive number", v))
		}
		limit = min(limit, n)
	}
	var types []string
	if v := q.Get("match[type]"); v != "" {
		types = strings.Split(v, ",")
	}
	var page []object
	more := false
	for _, o := range c.objects {
		if !o.added.After(after) || (types != nil && !slices.Contains(types, o.typ)) {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, o)
	}
	env := map[string]any{}
	h := http.Header{}
	if len(page) > 0 {
		objs := make([]json.RawMessage, len(page))
		for i, o := range page {
			objs[i] = o.raw
		}
		env["objects"] = objs
		h.Set("X-TAXII-Date-Added-First", page[0].added.Format(time.RFC3339Nano))
		h.Set("X-TAXII-Date-Added-Last", page[len(page)-1].added.Format(time.RFC3339Nano))
	}
	if more {
		env["more"] = true
		if !s.noNext {
			env["next"] = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].added.Format(time.RFC3339Nano)))
		}
	}
	resp := loopback.JSON(http.StatusOK, env)
	resp.Header = h
	return resp
}

func collectionInfo(c *collection) map[string]any {
	return map[string]any{
		"id": c.id, "title": c.title, "can_read": c.canRead, "can_write": false,
		"media_types": []string{"application/stix+json;version=2.1"},
	}
}

// taxiiError is a TAXII error message.
func taxiiError(status int, title, description string) response {
	body := map[string]any{"title": title, "http_status": strconv.Itoa(status)}
	if description != "" {
		body["description"] = description
	}
	return loopback.JSON(status, body)
}
