// Package httpapi is socflow's HTTP API: alert intake, incident reads and
// decisions, health and Prometheus metrics. It holds no state of its own:
// alerts go to Temporal before the API answers, incidents are read from
// Temporal and from their case files in the event store.
package httpapi

import (
	"context"
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

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// Ingester accepts a body of alerts (intake.Submitter).
type Ingester interface {
	// Ingest reads body as alerts of format ("" detects it) from the
	// origin, which names the principal and whether it may submit each
	// alert's source.
	Ingest(ctx context.Context, body []byte, format string, from intake.Origin) (*intake.Response, error)
}

// Incidents reads and decides incidents (incidents.Service).
type Incidents interface {
	List(ctx context.Context, o incidents.ListOptions) ([]incidents.Summary, error)
	Get(ctx context.Context, key string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error)
	Alerts(ctx context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error)
	AlertIDs(ctx context.Context, key, fingerprint string, p incidents.Page) (*incidents.AlertIDsPage, error)
	Decide(ctx context.Context, key string, in workflows.DecideInput) (*workflows.DecideResult, error)
	Answer(ctx context.Context, key string, in workflows.AnswerInput) (*workflows.AnswerResult, error)
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
	// Auth authenticates "Authorization: Bearer <credential>" on every
	// route but /healthz (and Extra's, which authenticate themselves).
	// Nil refuses every such request: an API without an authentication
	// method is a configuration mistake, not an open door
	// (auth.Insecure is the explicit open door).
	Auth auth.Authenticator
	// Tokens, when set, serves /v1/tokens (admin only); Revoked is called
	// after a revocation so that this process forgets the token at once.
	Tokens  auth.TokenStore
	Revoked func()
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64
	// Ready reports whether everything behind the API is up; /healthz
	// answers 503 with its error until it returns nil.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// Registry receives the API's metrics and is served on /metrics; nil
	// makes a private one.
	Registry *prometheus.Registry
	// Metrics, when set, is served on /metrics too (the Temporal SDK's,
	// whose registry is one per process while Registry is one per API).
	Metrics prometheus.Gatherer
	// Extra mounts more handlers by pattern ("POST /slack/interactions");
	// they do their own authentication (Slack signs its requests).
	Extra map[string]http.Handler
	// AllowedHosts are the names a request's Host header may carry besides
	// loopback ones (localhost, 127.0.0.1, [::1], any port): "name" or
	// "name:port", or "*" for any. Others get 403, so that a web page
	// whose name an attacker rebinds to 127.0.0.1 cannot reach the API
	// from a responder's browser.
	AllowedHosts []string
	// UI configures the incident web view under /ui/ (web.go).
	UI UIOptions
}

type server struct {
	Options
	// hosts is AllowedHosts lower-cased, built once; anyHost is "*".
	hosts   map[string]bool
	anyHost bool
	// web are the view's parsed templates; uiKey signs its CSRF tokens
	// and flash messages.
	web      *webPages
	uiKey    []byte
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
	s.web, s.uiKey = newWebPages(), newUIKey(o.UI.CSRFKey)
	s.hosts = make(map[string]bool, len(o.AllowedHosts))
	for _, h := range o.AllowedHosts {
		s.hosts[strings.ToLower(h)] = true
		s.anyHost = s.anyHost || h == "*"
	}

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h := rt.handler
		if rt.role != "" {
			h = s.authenticated(rt.role, h)
		}
		mux.Handle(rt.pattern, s.instrument(rt.pattern, h))
	}
	for pattern, h := range s.uiRoutes() {
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	for pattern, h := range o.Extra {
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return s.checkHost(mux)
}

// route is one of the API's routes and the role it needs; "" is public.
type route struct {
	pattern string
	role    auth.Role
	handler http.HandlerFunc
}

// routes are the API's own routes (Extra's come on top). openapi.json
// describes each; TestOpenAPIRoutes holds the two to each other.
func (s *server) routes() []route {
	metrics := prometheus.Gatherers{s.Registry}
	if s.Metrics != nil {
		metrics = append(metrics, s.Metrics)
	}
	return []route{
		{"POST /v1/alerts", auth.RoleIngest, s.postAlerts},
		{"POST /v1/events", auth.RoleIngest, s.postEvents},
		{"GET /v1/incidents", auth.RoleViewer, s.listIncidents},
		{"GET /v1/incidents/{key}", auth.RoleViewer, s.getIncident},
		{"GET /v1/incidents/{key}/timeline", auth.RoleViewer, s.getTimeline},
		{"GET /v1/incidents/{key}/alerts", auth.RoleViewer, s.getAlerts},
		{"GET /v1/incidents/{key}/alerts/{fingerprint}/ids", auth.RoleViewer, s.getAlertIDs},
		{"POST /v1/incidents/{key}/decision", auth.RoleResponder, s.postDecision},
		{"POST /v1/incidents/{key}/answer", auth.RoleResponder, s.postAnswer},
		{"GET /v1/whoami", anyRole, s.whoami},
		{"POST /v1/tokens", auth.RoleAdmin, s.createToken},
		{"GET /v1/tokens", auth.RoleAdmin, s.listTokens},
		{"DELETE /v1/tokens/{id}", auth.RoleAdmin, s.revokeToken},
		// The API's description is public: it is the same for every
		// deployment, names nothing of this one, and a client reads it
		// before it holds a credential.
		{"GET /v1/openapi.json", "", serveOpenAPI},
		{"GET /healthz", "", s.healthz},
		// Metrics name rules, sources and volumes: viewers only. Prometheus
		// sends a bearer token (authorization.credentials_file).
		{"GET /metrics", auth.RoleViewer, promhttp.HandlerFor(metrics, promhttp.HandlerOpts{}).ServeHTTP},
	}
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

// anyRole admits every authenticated principal (GET /v1/whoami).
const anyRole = auth.RoleIngest + "|any"

// authenticated admits requests whose bearer credential names a principal
// holding role, and hands the principal to h in the request's context.
// The detail of a refused credential goes to the log, not to the caller.
func (s *server) authenticated(role auth.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			writeError(w, http.StatusUnauthorized, "this server has no authentication method configured")
			return
		}
		cred, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p, err := s.Auth.Authenticate(r.Context(), strings.TrimSpace(cred))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="socflow"`)
			if !errors.Is(err, auth.ErrUnauthenticated) {
				// The token store or the identity provider failed: the
				// caller may well hold a good credential.
				s.Logger.Error("authentication failed", "route", r.Pattern, "error", err)
				w.Header().Set("Retry-After", "5")
				writeError(w, http.StatusServiceUnavailable, "authentication is unavailable; try again")
				return
			}
			s.Logger.Info("refused credential", "route", r.Pattern, "error", err)
			msg := "missing, unknown, expired or revoked bearer token"
			if errors.Is(err, auth.ErrNoCredential) {
				msg = "this route needs a bearer token (Authorization: Bearer ...)"
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		if role != anyRole && !p.Has(role) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s (%s) may not do this: it needs the %s role", p.Name, joinRoles(p.Roles), role))
			return
		}
		h(w, r.WithContext(auth.NewContext(r.Context(), p)))
	}
}

func joinRoles(roles []auth.Role) string {
	if len(roles) == 0 {
		return "no role"
	}
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// whoami answers who the credential is, for the CLI and for checking a
// new token.
func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, auth.FromContext(r.Context()))
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
	p := auth.FromContext(r.Context())
	resp, err := s.Intake.Ingest(r.Context(), body, r.URL.Query().Get("format"), intake.Origin{
		Principal: p.Name, AutoContain: p.AutoContain, MaySubmit: p.MaySubmit,
	})
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
	if p := auth.FromContext(r.Context()); p != nil {
		for _, ev := range evs {
			if !p.MaySubmit(ev.Source) {
				writeError(w, http.StatusForbidden, fmt.Sprintf("event source %q: %s may submit only %s; nothing was stored",
					ev.Source, p.Name, strings.Join(p.Sources, ", ")))
				return
			}
		}
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
	o := incidents.ListOptions{Status: q.Get("status"), Priority: q.Get("priority"), OpenOnly: q.Get("open") == "true",
		Tier: q.Get("tier"), Entity: q.Get("entity"), Rule: q.Get("rule"), Drill: incidents.DrillFilter(q.Get("drill"))}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &o.Since}, {"until", &o.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be an RFC 3339 time such as 2026-12-07T09:00:00Z, got %q", p.name, v))
				return
			}
			*p.t = t.UTC()
		}
	}
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
	s.page(w, r, func(key string, p incidents.Page) (any, error) { return s.Incidents.Timeline(r.Context(), key, p) })
}

// getAlerts pages the alerts that joined an incident, highest score first.
func (s *server) getAlerts(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, func(key string, p incidents.Page) (any, error) { return s.Incidents.Alerts(r.Context(), key, p) })
}

// getAlertIDs pages the source IDs of one alert's occurrences.
func (s *server) getAlertIDs(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, func(key string, p incidents.Page) (any, error) {
		return s.Incidents.AlertIDs(r.Context(), key, r.PathValue("fingerprint"), p)
	})
}

// page answers one page of an incident listing: the key and the paging
// parameters checked first, each a 400 naming what is wrong.
func (s *server) page(w http.ResponseWriter, r *http.Request, read func(key string, p incidents.Page) (any, error)) {
	key := r.PathValue("key")
	if err := incidents.CheckKey(key); err != nil {
		s.incidentError(w, err)
		return
	}
	p, err := pageParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	out, err := read(key, p)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) postDecision(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	var req DecisionRequest
	if !readObject(w, r, 64<<10, "decision", &req) {
		return
	}
	in, err := req.decision(auth.FromContext(r.Context()), r.Header.Get(ViaHeader))
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errNotAdmin) {
			code = http.StatusForbidden
		}
		writeError(w, code, "decision: "+err.Error())
		return
	}
	res, err := s.Incidents.Decide(r.Context(), r.PathValue("key"), in)
	if err != nil {
		s.incidentError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) postAnswer(w http.ResponseWriter, r *http.Request) {
	if err := incidents.CheckKey(r.PathValue("key")); err != nil {
		s.incidentError(w, err)
		return
	}
	var req AnswerRequest
	if !readObject(w, r, 64<<10, "answer", &req) {
		return
	}
	in, err := req.answer(auth.FromContext(r.Context()), r.Header.Get(ViaHeader))
	if err != nil {
		writeError(w, http.StatusBadRequest, "answer: "+err.Error())
		return
	}
	res, err := s.Incidents.Answer(r.Context(), r.PathValue("key"), in)
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

// DecisionRequest is the body of POST /v1/incidents/{key}/decision. Who
// decides is the authenticated principal, never a field of the body: the
// fields by, groups and via are refused by name.
type DecisionRequest struct {
	Verdict alert.Verdict `json:"verdict"`
	// Actions approves a subset of the proposed actions by ID; empty
	// approves them all.
	Actions []string `json:"actions,omitempty"`
	Note    string   `json:"note,omitempty"`
	// OnBehalfOf lets an admin record a decision someone else made (by
	// phone, in a bridge call); the timeline reads "<admin> on behalf of
	// <name>". Other principals get 403.
	OnBehalfOf string `json:"on_behalf_of,omitempty"`

	By     json.RawMessage `json:"by,omitempty"`
	Groups json.RawMessage `json:"groups,omitempty"`
	Via    json.RawMessage `json:"via,omitempty"`
}

// ViaHeader names the channel a decision came through when it is not the
// API itself: "cli" or "web". Any other value is refused, so that nobody
// can claim "slack", whose decisions are signed by Slack.
const ViaHeader = "Socflow-Via"

var errNotAdmin = errors.New("only an admin may decide on behalf of someone else")

// decision builds the update's input with the identity socflow
// established: the principal's name and groups.
func (req *DecisionRequest) decision(p *auth.Principal, via string) (workflows.DecideInput, error) {
	for field, v := range map[string]json.RawMessage{"by": req.By, "groups": req.Groups, "via": req.Via} {
		if len(v) > 0 {
			return workflows.DecideInput{}, fmt.Errorf("%q is not accepted: who decides, and their groups, come from your credential", field)
		}
	}
	switch via {
	case "":
		via = "api"
	case "cli", "web":
	default:
		return workflows.DecideInput{}, fmt.Errorf("%s %q: use cli or web, or leave it out", ViaHeader, via)
	}
	if p == nil {
		return workflows.DecideInput{}, errors.New("no authenticated principal")
	}
	in := workflows.DecideInput{Verdict: req.Verdict, Actions: req.Actions, Note: req.Note, By: p.Name, Groups: p.Groups, Via: via}
	if req.OnBehalfOf != "" {
		if !p.Has(auth.RoleAdmin) {
			return workflows.DecideInput{}, errNotAdmin
		}
		// The decider is the person named; the channel records who typed
		// it in, so the audit trail shows both. Groups are not carried
		// over: the admin cannot vouch for someone else's membership.
		in.By, in.Groups = req.OnBehalfOf, nil
		in.Via = fmt.Sprintf("%s: %s on behalf of %s", via, p.Name, req.OnBehalfOf)
	}
	return in, nil
}

// AnswerRequest is the body of POST /v1/incidents/{key}/answer. As with a
// decision, who answers is the authenticated principal: by, groups and
// via are refused by name.
type AnswerRequest struct {
	// Question is the question's ID, as the incident lists it.
	Question string `json:"question"`
	Answer   string `json:"answer"`

	By     json.RawMessage `json:"by,omitempty"`
	Groups json.RawMessage `json:"groups,omitempty"`
	Via    json.RawMessage `json:"via,omitempty"`
}

// answer builds the update's input with the identity socflow
// established.
func (req *AnswerRequest) answer(p *auth.Principal, via string) (workflows.AnswerInput, error) {
	d := DecisionRequest{By: req.By, Groups: req.Groups, Via: req.Via, Verdict: alert.VerdictApprove}
	in, err := d.decision(p, via)
	if err != nil {
		return workflows.AnswerInput{}, err
	}
	if strings.TrimSpace(req.Question) == "" {
		return workflows.AnswerInput{}, errors.New("question: required (the question's ID, as the incident lists it)")
	}
	if strings.TrimSpace(req.Answer) == "" {
		return workflows.AnswerInput{}, errors.New("answer: required")
	}
	return workflows.AnswerInput{Question: strings.TrimSpace(req.Question), Answer: req.Answer, By: in.By, Groups: in.Groups, Via: in.Via}, nil
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Name        string      `json:"name"`
	Roles       []auth.Role `json:"roles"`
	Sources     []string    `json:"sources,omitempty"`
	AutoContain bool        `json:"auto_contain,omitempty"`
}

// TokenCreated answers POST /v1/tokens. Token is shown this once; socflow
// keeps only its hash.
type TokenCreated struct {
	Token string `json:"token"`
	auth.TokenRecord
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	if s.Tokens == nil {
		writeError(w, http.StatusNotImplemented, "this server keeps no API tokens")
		return
	}
	var req TokenRequest
	if !readObject(w, r, 16<<10, "token", &req) {
		return
	}
	id, err := auth.NewTokenID()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	tok, hash, err := auth.NewToken()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	rec := auth.TokenRecord{ID: id, Name: req.Name, Roles: req.Roles, Sources: req.Sources, AutoContain: req.AutoContain,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: auth.FromContext(r.Context()).Name}
	if err := rec.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, "token: "+err.Error())
		return
	}
	if err := s.Tokens.CreateToken(r.Context(), rec, hash); err != nil {
		if errors.Is(err, events.ErrTokenExists) {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		s.Logger.Error("token store", "error", err)
		writeError(w, http.StatusServiceUnavailable, "token store unavailable")
		return
	}
	s.Logger.Info("token created", "id", rec.ID, "name", rec.Name, "roles", joinRoles(rec.Roles), "by", rec.CreatedBy)
	writeJSON(w, http.StatusCreated, TokenCreated{Token: tok, TokenRecord: rec})
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	if s.Tokens == nil {
		writeError(w, http.StatusNotImplemented, "this server keeps no API tokens")
		return
	}
	list, err := s.Tokens.ListTokens(r.Context())
	if err != nil {
		s.Logger.Error("token store", "error", err)
		writeError(w, http.StatusServiceUnavailable, "token store unavailable")
		return
	}
	if list == nil {
		list = []auth.TokenRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if s.Tokens == nil {
		writeError(w, http.StatusNotImplemented, "this server keeps no API tokens")
		return
	}
	rec, err := s.Tokens.RevokeToken(r.Context(), r.PathValue("id"), time.Now().UTC().Truncate(time.Microsecond))
	if errors.Is(err, auth.ErrTokenNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		s.Logger.Error("token store", "error", err)
		writeError(w, http.StatusServiceUnavailable, "token store unavailable")
		return
	}
	if s.Revoked != nil {
		s.Revoked()
	}
	s.Logger.Info("token revoked", "id", rec.ID, "name", rec.Name, "by", auth.FromContext(r.Context()).Name)
	writeJSON(w, http.StatusOK, rec)
}

// readObject reads a state-changing request's body: application/json
// only, since a browser may send text/plain (or a form) to any origin
// without asking first but never application/json; exactly one object of
// known fields within limit bytes. It answers the error itself and
// reports whether v was read.
func readObject(w http.ResponseWriter, r *http.Request, limit int64, what string, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not accepted: a %s is sent as application/json", r.Header.Get("Content-Type"), what))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, what+" body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, what+" body: data after the JSON object: send exactly one object")
		return false
	}
	return true
}
