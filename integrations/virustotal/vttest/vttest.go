// Package vttest is a loopback fake of the VirusTotal API v3 object
// endpoints that package virustotal calls (ip_addresses, domains, files,
// urls), answering with VirusTotal's own bodies: objects wrapped in
// {"data": ...}, errors as {"error": {"code", "message"}}. Tests mount it
// on httptest.NewServer, load real objects with AddObject or make them up
// with AddIP, AddDomain, AddFile and AddURL, and script failures with
// FailNext.
package vttest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultKey is the API key a Server accepts unless WithKey says
// otherwise.
const DefaultKey = "vttest-key"

// Stats is an object's last_analysis_stats.
type Stats struct {
	Malicious  int `json:"malicious"`
	Suspicious int `json:"suspicious"`
	Harmless   int `json:"harmless"`
	Undetected int `json:"undetected"`
	Timeout    int `json:"timeout"`
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the request path as sent (URL identifiers stay encoded).
	Path string
	// Key is the x-apikey header.
	Key string
	// Status is the code the fake answered with.
	Status int
}

// Option configures a Server.
type Option func(*Server)

// WithKey sets the API key the fake accepts.
func WithKey(key string) Option {
	return func(s *Server) { s.key = key }
}

// WithQuota makes the fake answer 429 QuotaExceededError once it has
// answered n requests, as the public API does when the daily allowance is
// spent.
func WithQuota(n int) Option {
	return func(s *Server) { s.quota = n }
}

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext, Fail and Close come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu      sync.Mutex
	key     string
	quota   int
	served  int
	objects map[string]json.RawMessage // "kind/id" → object
}

// New returns a fake that accepts DefaultKey and knows no objects.
func New(opts ...Option) *Server {
	s := &Server{key: DefaultKey, objects: map[string]json.RawMessage{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// AddObject adds a VirusTotal object as the API returns it, either bare
// ({"type", "id", "attributes"}) or wrapped in {"data": ...}. A file is
// found by its MD5, SHA-1 and SHA-256; a URL by its ID and by its URL.
func (s *Server) AddObject(raw []byte) error {
	var wrapped struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &wrapped); err == nil && len(wrapped.Data) > 0 {
		raw = wrapped.Data
	}
	var obj struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			MD5    string `json:"md5"`
			SHA1   string `json:"sha1"`
			SHA256 string `json:"sha256"`
			URL    string `json:"url"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("vttest: %w", err)
	}
	if obj.Type == "" || obj.ID == "" {
		return errors.New(`vttest: an object needs "type" and "id"`)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	body := json.RawMessage(slices.Clone(raw))
	switch obj.Type {
	case "file":
		for _, h := range []string{obj.ID, obj.Attributes.MD5, obj.Attributes.SHA1, obj.Attributes.SHA256} {
			if h != "" {
				s.objects["files/"+strings.ToLower(h)] = body
			}
		}
	case "url":
		s.objects["urls/"+obj.ID] = body
		if obj.Attributes.URL != "" {
			s.objects["urls/"+canonicalURL(obj.Attributes.URL)] = body
		}
	case "ip_address":
		s.objects["ip_addresses/"+obj.ID] = body
	case "domain":
		s.objects["domains/"+strings.ToLower(obj.ID)] = body
	default:
		return fmt.Errorf("vttest: object type %q: want file, url, ip_address or domain", obj.Type)
	}
	return nil
}

// AddIP adds an IP address with the given verdicts.
func (s *Server) AddIP(ip string, st Stats) {
	s.add("ip_address", ip, st, nil)
}

// AddDomain adds a domain with the given verdicts.
func (s *Server) AddDomain(domain string, st Stats) {
	s.add("domain", strings.ToLower(domain), st, nil)
}

// AddFile adds a file, known by sha256, with the given verdicts.
func (s *Server) AddFile(sha256 string, st Stats) {
	s.add("file", strings.ToLower(sha256), st, map[string]any{"sha256": strings.ToLower(sha256)})
}

// AddURL adds a URL with the given verdicts.
func (s *Server) AddURL(u string, st Stats) {
	s.add("url", base64.RawURLEncoding.EncodeToString([]byte(u)), st, map[string]any{"url": u})
}

func (s *Server) add(typ, id string, st Stats, extra map[string]any) {
	attrs := map[string]any{
		"last_analysis_stats": st,
		"last_analysis_date":  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
		"reputation":          -st.Malicious,
	}
	for k, v := range extra {
		attrs[k] = v
	}
	raw, err := json.Marshal(map[string]any{"type": typ, "id": id, "attributes": attrs})
	if err == nil {
		err = s.AddObject(raw)
	}
	if err != nil {
		panic(err) // the objects are built here: a failure is a bug in vttest
	}
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL, for long-running use; tests can mount the Server on
// httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("vttest", addr, s)
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() loopback.Response {
		s.mu.Lock()
		defer s.mu.Unlock()
		status, h, body := s.route(r)
		return loopback.Response{Status: status, Header: h, Body: body}
	}, func(f loopback.Fault) loopback.Response {
		return f.Answer(loopback.Response{Status: f.Status, Body: errorBody(codeFor(f.Status), "Injected failure")})
	})
	s.Record(Call{Method: r.Method, Path: r.URL.EscapedPath(), Key: r.Header.Get("x-apikey"), Status: resp.Status})
	if answered {
		resp.Write(w, "application/json")
	}
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request) (int, http.Header, []byte) {
	if r.Header.Get("x-apikey") != s.key || s.key == "" {
		return http.StatusUnauthorized, nil, errorBody("WrongCredentialsError", "Wrong API key")
	}
	if s.quota > 0 && s.served >= s.quota {
		return http.StatusTooManyRequests, nil, errorBody("QuotaExceededError", "Quota exceeded")
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, nil, errorBody("MethodNotAllowedError", "Method not allowed")
	}
	s.served++
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v3/")
	kind, id, _ := strings.Cut(rest, "/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return http.StatusNotFound, nil, errorBody("NotFoundError", "Resource not found.")
	}
	id, err := url.PathUnescape(id)
	if err != nil {
		return http.StatusBadRequest, nil, errorBody("InvalidArgumentError", "Bad identifier")
	}
	key, msg := "", ""
	switch kind {
	case "ip_addresses":
		a, err := netip.ParseAddr(id)
		if err != nil {
			return http.StatusBadRequest, nil, errorBody("InvalidArgumentError", fmt.Sprintf("%q is not a valid IP address", id))
		}
		key, msg = "ip_addresses/"+a.String(), fmt.Sprintf("IP address %q not found", id)
	case "domains":
		key, msg = "domains/"+strings.ToLower(id), fmt.Sprintf("Domain %q not found", id)
	case "files":
		key, msg = "files/"+strings.ToLower(id), fmt.Sprintf("File %q not found", id)
	case "urls":
		key, msg = "urls/"+id, fmt.Sprintf("URL %q not found", id)
		if _, ok := s.objects[key]; !ok {
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(id, "="))
			if err != nil {
				return http.StatusBadRequest, nil, errorBody("InvalidArgumentError", "Bad URL identifier")
			}
			key = "urls/" + canonicalURL(string(raw))
		}
	default:
		return http.StatusNotFound, nil, errorBody("NotFoundError", "Resource not found.")
	}
	obj, ok := s.objects[key]
	if !ok {
		return http.StatusNotFound, nil, errorBody("NotFoundError", msg)
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"data": obj})
	return http.StatusOK, nil, body
}

// canonicalURL is VirusTotal's light canonical form, enough for the fake
// to match a URL to the one it was given: lower-case scheme and host, and
// "/" for an empty path.
func canonicalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

func codeFor(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "QuotaExceededError"
	case http.StatusUnauthorized:
		return "WrongCredentialsError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusBadRequest:
		return "BadRequestError"
	case http.StatusForbidden:
		return "ForbiddenError"
	}
	return "TransientError"
}

func errorBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return b
}
