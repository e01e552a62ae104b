// Package abuseipdbtest is a loopback fake of AbuseIPDB's API v2 check
// endpoint, the one package abuseipdb calls, answering with AbuseIPDB's
// own bodies: {"data": {...}} on success, {"errors": [{"detail",
// "status"}]} on failure, with its rate-limit headers. Tests mount it on
// httptest.NewServer, set reports with SetReport and script failures with
// FailNext.
package abuseipdbtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultKey is the API key a Server accepts unless WithKey says
// otherwise.
const DefaultKey = "abuseipdbtest-key"

// Report is what the fake knows about one address. An address without one
// is public, unreported and scores 0.
type Report struct {
	Score            int
	TotalReports     int
	NumDistinctUsers int
	LastReportedAt   time.Time
	CountryCode      string
	UsageType        string
	ISP              string
	Domain           string
	IsTor            bool
	IsWhitelisted    bool
}

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	// Key and Accept are the request's headers.
	Key    string
	Accept string
	// Status is the code the fake answered with.
	Status int
}

// Option configures a Server.
type Option func(*Server)

// WithKey sets the API key the fake accepts.
func WithKey(key string) Option {
	return func(s *Server) { s.key = key }
}

// WithDailyLimit makes the fake answer 429, with AbuseIPDB's headers, once
// it has answered n checks.
func WithDailyLimit(n int) Option {
	return func(s *Server) { s.limit = n }
}

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext, Fail and Close come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu      sync.Mutex
	key     string
	limit   int
	served  int
	reports map[netip.Addr]Report
}

// New returns a fake that accepts DefaultKey and has no reports.
func New(opts ...Option) *Server {
	s := &Server{key: DefaultKey, reports: map[netip.Addr]Report{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetReport sets what the fake answers for ip.
func (s *Server) SetReport(ip string, r Report) {
	a := netip.MustParseAddr(ip).Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[a] = r
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL, for long-running use; tests can mount the Server on
// httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("abuseipdbtest", addr, s)
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() loopback.Response {
		s.mu.Lock()
		defer s.mu.Unlock()
		status, h, body := s.route(r)
		return loopback.Response{Status: status, Header: h, Body: body}
	}, func(f loopback.Fault) loopback.Response {
		return f.Answer(loopback.Response{Status: f.Status, Body: errorBody(f.Status, "Injected failure.", "")})
	})
	s.Record(Call{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Key: r.Header.Get("Key"), Accept: r.Header.Get("Accept"), Status: resp.Status,
	})
	if answered {
		resp.Write(w, "application/json")
	}
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request) (int, http.Header, []byte) {
	if r.URL.Path != "/api/v2/check" {
		return http.StatusNotFound, nil, errorBody(http.StatusNotFound, "The requested endpoint does not exist.", "")
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, nil, errorBody(http.StatusMethodNotAllowed, "The method is not allowed.", "")
	}
	if k := r.Header.Get("Key"); k == "" || k != s.key {
		return http.StatusUnauthorized, nil, errorBody(http.StatusUnauthorized,
			"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.", "")
	}
	if s.limit > 0 && s.served >= s.limit {
		h := s.limitHeader(0)
		h.Set("Retry-After", "3600")
		return http.StatusTooManyRequests, h, errorBody(http.StatusTooManyRequests,
			fmt.Sprintf("Daily rate limit of %d requests exceeded for this endpoint. See headers for additional details.", s.limit), "")
	}
	q := r.URL.Query()
	a, err := netip.ParseAddr(q.Get("ipAddress"))
	if err != nil {
		return http.StatusUnprocessableEntity, nil, errorBody(http.StatusUnprocessableEntity,
			"The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).", "ipAddress")
	}
	if v := q.Get("maxAgeInDays"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 365 {
			return http.StatusUnprocessableEntity, nil, errorBody(http.StatusUnprocessableEntity,
				"The max age in days must be between 1 and 365.", "maxAgeInDays")
		}
	}
	s.served++
	a = a.Unmap()
	rep := s.reports[a]
	version := 6
	if a.Is4() {
		version = 4
	}
	var last any
	if !rep.LastReportedAt.IsZero() {
		last = rep.LastReportedAt.UTC().Format("2006-01-02T15:04:05-07:00")
	}
	data := map[string]any{
		"ipAddress":            a.String(),
		"isPublic":             a.IsGlobalUnicast() && !a.IsPrivate(),
		"ipVersion":            version,
		"isWhitelisted":        rep.IsWhitelisted,
		"abuseConfidenceScore": rep.Score,
		"countryCode":          nullable(rep.CountryCode),
		"usageType":            nullable(rep.UsageType),
		"isp":                  rep.ISP,
		"domain":               nullable(rep.Domain),
		"hostnames":            []string{},
		"isTor":                rep.IsTor,
		"totalReports":         rep.TotalReports,
		"numDistinctUsers":     rep.NumDistinctUsers,
		"lastReportedAt":       last,
	}
	body, _ := json.Marshal(map[string]any{"data": data})
	remaining := 1000 - s.served
	if s.limit > 0 {
		remaining = s.limit - s.served
	}
	return http.StatusOK, s.limitHeader(remaining), body
}

func (s *Server) limitHeader(remaining int) http.Header {
	limit := 1000
	if s.limit > 0 {
		limit = s.limit
	}
	return http.Header{
		"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
		"X-Ratelimit-Remaining": {strconv.Itoa(max(remaining, 0))},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func errorBody(status int, detail, parameter string) []byte {
	e := map[string]any{"detail": detail, "status": status}
	if parameter != "" {
		e["source"] = map[string]string{"parameter": parameter}
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{e}})
	return b
}
