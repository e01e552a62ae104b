// Package httpapi is socflow's HTTP API: alert intake, incident reads and
// decisions, health and Prometheus metrics. It holds no state of its own:
// alerts go to Temporal before the API answers, incidents are read from
// Temporal and from their case files in the event store.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// Ingester accepts a body of alerts (intake.Submitter).
type Ingester interface {
	Ingest(ctx context.Context, body []byte, format string) (*intake.Response, error)
}

// Incidents reads and decides incidents (incidents.Service).
type Incidents interface {
	List(ctx context.Context, o incidents.ListOptions) ([]incidents.Summary, error)
	Get(ctx context.Context, key string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error)
	Alerts(ctx context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error)
	AlertIDs(ctx context.Context, key, fingerprint string, p incidents.Page) (*incidents.AlertIDsPage, error)
	Decide(ctx context.Context, key string, in workflows.DecideInput) (*workflows.DecideResult, error)
}

// EventSink stores telemetry (events.SQLStore).
type EventSink interface {
	Append(ctx context.Context, evs []events.Event) (int, error)
}

// Options configure the API.
type Options struct {
	Intake    Ingester
	Incidents Incidents
	// Events receives POST /v1/events; nil answers 501.
	Events EventSink
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every /v1 route.
	Token string
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64
	// Ready reports whether everything behind the API is up; /healthz
	// answers 503 with its error until it returns nil.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// Registry receives the API's metrics and is served on /metrics; nil
	// makes a private one.
	Registry *prometheus.Registry
	// Extra mounts more handlers by pattern ("POST /slack/interactions");
	// they do their own authentication (Slack signs its requests).
	Extra map[string]http.Handler
	// AllowedHosts are the names a request's Host header may carry besides
	// loopback ones (localhost, 127.0.0.1, [::1], any port): "name" or
	// "name:port", or "*" for any. Others get 403, so that a web page
	// whose name an attacker rebinds to 127.0.0.1 cannot reach the API
	// from a responder's browser.
	AllowedHosts []string
}

type server struct {
	Options
	// hosts is AllowedHosts lower-cased, built once; anyHost is "*".
	hosts    map[string]bool
	anyHost  bool
	alerts   *prometheus.CounterVec
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns the API's handler.
func New(o Options) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	s := &server{
		Options: o,
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "socflow_alerts_total", Help: "Alerts received by the API, by outcome.",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "socflow_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "socflow_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"route"}),
	}
	o.Registry.MustRegister(s.alerts, s.requests, s.latency)
	s.hosts = make(map[string]bool, len(o.AllowedHosts))
	for _, h := range o.AllowedHosts {
		s.hosts[strings.ToLower(h)] = true
		s.anyHost = s.anyHost || h == "*"
	}

	mux := http.NewServeMux()
	handle := func(pattern string, auth bool, h http.HandlerFunc) {
		route := pattern
		if auth {
			h = s.authenticated(h)
		}
		mux.Handle(pattern, s.instrument(route, h))
	}
	handle("POST /v1/alerts", true, s.postAlerts)
	handle("POST /v1/events", true, s.postEvents)
	handle("GET /v1/incidents", true, s.listIncidents)
	handle("GET /v1/incidents/{key}", true, s.getIncident)
	handle("GET /v1/incidents/{key}/timeline", true, s.getTimeline)
	handle("GET /v1/incidents/{key}/alerts", true, s.getAlerts)
	handle("GET /v1/incidents/{key}/alerts/{fingerprint}/ids", true, s.getAlertIDs)
	handle("POST /v1/incidents/{key}/decision", true, s.postDecision)
	handle("GET /healthz", false, s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{}))
	for pattern, h := range o.Extra {
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return s.checkHost(mux)
}

// checkHost refuses a request whose Host header names neither a loopback
// host nor one of AllowedHosts.
func (s *server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeError(w, http.StatusForbidden, fmt.Sprintf(
				"Host %q is not one this API answers to: add it to server.allowed_hosts", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) hostAllowed(host string) bool {
	if s.anyHost {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if ip := net.ParseIP(name); ip != nil && ip.IsLoopback() {
		return true
	}
	return s.hosts[name] || s.hosts[strings.ToLower(host)]
}

// Error is the JSON body of every error answer.
type Error struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			// A panicking handler must not take the API down with it.
			if p := recover(); p != nil {
				s.Logger.Error("handler panic", "route", route, "panic", fmt.Sprint(p))
				writeError(rec, http.StatusInternalServerError, "internal error")
			}
			s.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
			s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(rec, r)
	})
}

func (s *server) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Token == "" {
			h(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="socflow"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h(w, r)
	}
}

// alertContentTypes are the media types POST /v1/alerts reads.
var alertContentTypes = map[string]bool{
	"application/json":        true,
	"application/x-ndjson":    true,
	"application/ndjson":      true,
	"application/jsonl":       true,
	"application/jsonlines":   true,
	"application/x-jsonlines": true,
}

func (s *server) postAlerts(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !alertContentTypes[mt] {
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not accepted: send application/json (an object or an array) or application/x-ndjson", r.Header.Get("Content-Type")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes: split the batch", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	resp, err := s.Intake.Ingest(r.Context(), body, r.URL.Query().Get("format"))
	var tooMany *intake.TooManyError
	if errors.As(err, &tooMany) {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	if err != nil {
		if !errors.Is(err, intake.ErrUnknownFormat) {
			s.alerts.WithLabelValues("malformed").Inc()
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.alerts.WithLabelValues("accepted").Add(float64(resp.Accepted - resp.Duplicates))
	s.alerts.WithLabelValues("duplicate").Add(float64(resp.Duplicates))
	s.alerts.WithLabelValues("rejected").Add(float64(len(resp.Rejected)))
	s.alerts.WithLabelValues("failed").Add(float64(len(resp.Failed)))
	switch {
	case len(resp.Failed) > 0:
		// Temporal did not take them: nothing is lost as long as the sender
		// retries, which 503 tells it to do.
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, resp)
	case resp.Accepted == 0 && len(resp.Rejected) > 0:
		// Refused for what they are: resending cannot help, so never 503.
		writeJSON(w, rejectedStatus(resp), struct {
			Error string `json:"error"`
			*intake.Response
		}{Error: rejectionSummary(resp), Response: resp})
	default:
		writeJSON(w, http.StatusAccepted, resp)
	}
}

// EventsResponse answers POST /v1/events.
type EventsResponse struct {
	Stored   int                `json:"stored"`
	Rejected []events.Rejection `json:"rejected"`
}

// postEvents stores telemetry (process starts, connections, logins,
// firewall decisions, DNS) for enrichment and the login history. It does
// not touch Temporal: raw telemetry is far too plentiful for workflows.
func (s *server) postEvents(w http.ResponseWriter, r *http.Request) {
	if s.Events == nil {
		writeError(w, http.StatusNotImplemented, "this server has no event store")
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !alertContentTypes[mt] {
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not accepted: send application/json or application/x-ndjson", r.Header.Get("Content-Type")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes: split the batch", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	evs, rejected := events.DecodeBatch(body)
	if rejected == nil {
		rejected = []events.Rejection{}
	}
	if len(evs) == 0 {
		writeJSON(w, http.StatusBadRequest, struct {
			Error string `json:"error"`
			EventsResponse
		}{Error: "no event accepted", EventsResponse: EventsResponse{Rejected: rejected}})
		return
	}
	n, err := s.Events.Append(r.Context(), evs)
	if err != nil {
		s.Logger.Error("event store", "error", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "event store: "+err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, EventsResponse{Stored: n, Rejected: rejected})
}

// rejectedStatus answers a batch of which nothing was accepted: 413 when
// every alert was too large for Temporal, 400 otherwise.
func rejectedStatus(resp *intake.Response) int {
	total, large := resp.RejectedTotal, resp.TooLarge
	if total < len(resp.Rejected) { // an Ingester that lists but does not count
		total, large = len(resp.Rejected), 0
		for _, r := range resp.Rejected {
			if r.TooLarge {
				large++
			}
		}
	}
	if large < total {
		return http.StatusBadRequest
	}
	return http.StatusRequestEntityTooLarge
}

func rejectionSummary(resp *intake.Response) string {
	first := resp.Rejected[0]
	where := fmt.Sprintf("entry %d", first.Index)
	if first.Line > 0 {
		where = fmt.Sprintf("line %d", first.Line)
	}
	msg := fmt.Sprintf("no alert accepted; %s: %s", where, first.Error)
	if n := max(resp.RejectedTotal, len(resp.Rejected)); n > 1 {
		msg += fmt.Sprintf(" (and %d more rejected)", n-1)
	}
	return msg
}

func (s *server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := incidents.ListOptions{Status: q.Get("status"), Priority: q.Get("priority"), OpenOnly: q.Get("open") == "true"}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit must be an integer from 1 to 1000")
			return
		}
		o.Limit = n
	}
	if err := o.Validate(); err != nil {
		s.incidentError(w, err)
		return
	}
	list, err := s.Incidents.List(r.Context(), o)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	if list == nil {
		list = []incidents.Summary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": list})
}

func (s *server) getIncident(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	st, err := s.Incidents.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// pageParams reads a listing's ?cursor=&limit=&case= parameters. The
// cursor is the listing's to judge; the limit is checked here, so that
// every listing refuses the same values with the same words.
func pageParams(r *http.Request) (incidents.Page, error) {
	q := r.URL.Query()
	p := incidents.Page{Cursor: q.Get("cursor"), CaseID: q.Get("case")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > events.MaxCaseLimit {
			return p, fmt.Errorf("limit must be an integer from 1 to %d, got %q", events.MaxCaseLimit, l)
		}
		p.Limit = n
	}
	return p, nil
}

// getTimeline pages the audit trail: from the case file when the incident
// has one, else from the workflow's query. The events field is where the
// whole timeline used to be, so that old clients keep reading a page.
func (s *server) getTimeline(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	p, err := pageParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	tl, err := s.Incidents.Timeline(r.Context(), r.PathValue("key"), p)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tl)
}

// getAlerts pages the alerts that joined an incident, highest score first.
func (s *server) getAlerts(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	p, err := pageParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, err := s.Incidents.Alerts(r.Context(), r.PathValue("key"), p)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// getAlertIDs pages the source IDs of one alert's occurrences.
func (s *server) getAlertIDs(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	p, err := pageParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, err := s.Incidents.AlertIDs(r.Context(), r.PathValue("key"), r.PathValue("fingerprint"), p)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *server) postDecision(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	// Only JSON: a browser may send text/plain (or a form) to any origin
	// without asking first, never application/json.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not accepted: a decision is sent as application/json", r.Header.Get("Content-Type")))
		return
	}
	var in workflows.DecideInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "decision body: "+err.Error())
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "decision body: data after the JSON object: send exactly one object")
		return
	}
	if in.Via == "" {
		in.Via = "api"
	}
	res, err := s.Incidents.Decide(r.Context(), r.PathValue("key"), in)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) incidentError(w http.ResponseWriter, err error) {
	var rej *incidents.RejectedError
	switch {
	case errors.Is(err, incidents.ErrNotFound), errors.Is(err, incidents.ErrAlertNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, incidents.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "cursor: "+err.Error())
	case errors.Is(err, incidents.ErrBadRequest):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), incidents.ErrBadRequest.Error()+": "))
	case errors.As(err, &rej):
		writeError(w, http.StatusConflict, rej.Error())
	default:
		s.Logger.Error("incident request failed", "error", err)
		writeError(w, http.StatusBadGateway, err.Error())
	}
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			// The error names hosts, ports and certificates: it goes to
			// the log, not to whoever asks.
			s.Logger.Warn("health check failed", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "Temporal is not reachable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
