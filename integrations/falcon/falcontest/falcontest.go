// Package falcontest is a loopback fake of the CrowdStrike Falcon API: the
// OAuth2 token endpoint, the device query, entity and action endpoints and
// IOC Management's custom indicator endpoints that package falcon calls,
// answering with the documented bodies
// ({"meta": ..., "resources": [...], "errors": [...]}). Containment passes
// through its pending states as a real sensor's does, tokens expire or
// can be revoked, and failures are scripted with FailNext. Tests mount it
// on httptest.NewServer; Start serves it for long-running use.
package falcontest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// The API client a Server accepts unless WithClient says otherwise.
const (
	DefaultClientID     = "falcontest-client"
	DefaultClientSecret = "falcontest-secret"
)

// Device containment statuses, as Falcon spells them.
const (
	StatusNormal                 = "normal"
	StatusContainmentPending     = "containment_pending"
	StatusContained              = "contained"
	StatusLiftContainmentPending = "lift_containment_pending"
)

// Device is a host the fake knows.
type Device struct {
	// DeviceID is Falcon's 32-hex-digit agent ID; empty derives a stable
	// one from the host name.
	DeviceID string
	Hostname string
	// PlatformName defaults to "Windows", OSVersion to "Windows 11".
	PlatformName string
	OSVersion    string
	LocalIP      string
	// LastSeen defaults to the time the record is made.
	LastSeen time.Time
	// Status defaults to StatusNormal.
	Status string
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the unescaped request path.
	Path string
	// Query is the decoded query string.
	Query url.Values
	Body  string
	// Status is the code the fake answered with.
	Status int
}

// Fault is a scripted failure. Its Body replaces the error body the fake
// derives from Status; a RetryAfter on a 429 is sent as Falcon sends it,
// X-RateLimit-RetryAfter with the Unix time, not as Retry-After.
type Fault = loopback.Fault

// Option configures a Server.
type Option func(*Server)

// WithClient sets the API client ID and secret the token endpoint accepts.
func WithClient(id, secret string) Option {
	return func(s *Server) { s.clientID, s.clientSecret = id, secret }
}

// WithTokenLifetime sets how long issued tokens last (Falcon's: 30
// minutes, sent as expires_in 1799).
func WithTokenLifetime(d time.Duration) Option {
	return func(s *Server) { s.lifetime = d }
}

// WithDevices fixes the fake's inventory: a query for any other name finds
// nothing, and other IDs are not found. Without it the fake makes up a
// device for every host name it is asked about.
func WithDevices(ds ...Device) Option {
	return func(s *Server) {
		s.fixed = true
		for _, d := range ds {
			s.add(d)
		}
	}
}

// WithPendingReads keeps a device in containment_pending (or
// lift_containment_pending) for n reads of its entity after the action,
// as a sensor that has not checked in yet; the read after them sees
// contained (or normal). The default, 0, settles at the first read.
func WithPendingReads(n int) Option {
	return func(s *Server) { s.pendingReads = n }
}

// WithPendingFor keeps a device pending for d after the action, by the
// fake's clock, as a sensor that takes its time to check in: `socflow dev`
// uses it so that a containment is seen pending, then done. With
// WithPendingReads too, both must have passed.
func WithPendingFor(d time.Duration) Option {
	return func(s *Server) { s.pendingFor = d }
}

// WithClock sets the fake's clock, which decides when tokens expire and
// when a WithPendingFor state settles.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// Server is the fake API. It is an http.Handler and is safe for
// concurrent use. Calls, FailNext (whose pattern is an optional method and
// a path, such as "POST /devices/entities/devices-actions/v2"), Fail and
// Close come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu           sync.Mutex
	clientID     string
	clientSecret string
	lifetime     time.Duration
	pendingReads int
	pendingFor   time.Duration
	now          func() time.Time
	fixed        bool
	tokens       map[string]time.Time
	issued       int
	devices      []*device
	iocs         []*iocJSON
	nextIOC      int
}

type device struct {
	Device
	final     string // the status a pending one settles on
	readsLeft int
	until     time.Time // not settled before then
}

// settle moves a pending device on: a read counts down WithPendingReads,
// and it settles once no reads are left and WithPendingFor has passed.
// Without WithPendingFor only an API read settles it, so that Status shows
// the pending state a client has not read yet.
func (s *Server) settle(d *device, read bool) {
	if d.final == "" || (!read && s.pendingFor == 0) {
		return
	}
	if d.readsLeft <= 0 && !s.now().Before(d.until) {
		d.Status, d.final = d.final, ""
		return
	}
	if read && d.readsLeft > 0 {
		d.readsLeft--
	}
}

// New returns a fake that accepts DefaultClientID and DefaultClientSecret
// and knows any host name.
func New(opts ...Option) *Server {
	s := &Server{
		clientID: DefaultClientID, clientSecret: DefaultClientSecret,
		lifetime: 30 * time.Minute, now: time.Now, tokens: map[string]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("falcontest", addr, s)
}

// ExpireTokens revokes every token issued so far, as a rotated secret
// does: requests that carry one are refused with 401 until the client
// fetches another.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokensIssued counts the tokens the fake has issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Status returns the containment status of the device with the given host
// name or ID as the API would show it now, without counting as a read, or
// "" when there is none. A name several devices carry answers for the
// first.
func (s *Server) Status(host string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if strings.EqualFold(d.Hostname, host) || strings.EqualFold(d.DeviceID, host) {
			s.settle(d, false)
			return d.Status
		}
	}
	return ""
}

// Contained reports whether the device host is contained or has a
// containment pending: whether socflow has asked for it.
func (s *Server) Contained(host string) bool {
	st := s.Status(host)
	return st == StatusContained || st == StatusContainmentPending
}

// SetStatus sets a device's containment status, as an action in the
// console would; it reports whether the device exists.
func (s *Server) SetStatus(host, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if strings.EqualFold(d.Hostname, host) || strings.EqualFold(d.DeviceID, host) {
			d.Status, d.final, d.readsLeft = status, "", 0
			return true
		}
	}
	return false
}

func (s *Server) add(d Device) *device {
	if d.DeviceID == "" {
		sum := sha256.Sum256([]byte(strings.ToLower(d.Hostname)))
		d.DeviceID = hex.EncodeToString(sum[:16])
	}
	d.DeviceID = strings.ToLower(d.DeviceID)
	if d.PlatformName == "" {
		d.PlatformName = "Windows"
	}
	if d.OSVersion == "" {
		d.OSVersion = "Windows 11"
	}
	if d.LastSeen.IsZero() {
		d.LastSeen = s.now().UTC().Truncate(time.Second)
	}
	if d.Status == "" {
		d.Status = StatusNormal
	}
	dv := &device{Device: d}
	s.devices = append(s.devices, dv)
	return dv
}

type response = loopback.Response

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	q := r.URL.Query()
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r, q, body)
	}, s.faultResponse)
	s.Record(Call{Method: r.Method, Path: r.URL.Path, Query: q, Body: string(body), Status: resp.Status})
	if answered {
		resp.Write(w, "application/json")
	}
}

func (s *Server) faultResponse(f Fault) response {
	ra := f.RetryAfter
	if f.Status == http.StatusTooManyRequests {
		f.RetryAfter = ""
	}
	resp := f.Answer(errorResponse(f.Status, "Injected failure"))
	if f.Status == http.StatusTooManyRequests {
		resp.Header.Set("X-RateLimit-Limit", "6000")
		resp.Header.Set("X-RateLimit-Remaining", "0")
		if secs, err := strconv.Atoi(ra); err == nil {
			resp.Header.Set("X-RateLimit-RetryAfter", strconv.FormatInt(s.clock().Add(time.Duration(secs)*time.Second).Unix(), 10))
		}
	}
	return resp
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request, q url.Values, body []byte) response {
	if r.URL.Path == "/oauth2/token" {
		if r.Method != http.MethodPost {
			return methodNotAllowed(r)
		}
		return s.issueToken(body)
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if exp, ok := s.tokens[tok]; !strings.EqualFold(scheme, "Bearer") || !ok || !s.now().Before(exp) {
		delete(s.tokens, tok)
		return errorResponse(http.StatusUnauthorized, "access denied, authorization failed")
	}
	switch r.URL.Path {
	case "/devices/queries/devices/v1":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return s.queryDevices(q.Get("filter"))
	case "/devices/entities/devices/v2":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return s.deviceEntities(q["ids"])
	case "/devices/entities/devices-actions/v2":
		if r.Method != http.MethodPost {
			return methodNotAllowed(r)
		}
		return s.deviceAction(q.Get("action_name"), body)
	case "/iocs/entities/indicators/v1":
		switch r.Method {
		case http.MethodPost:
			return s.createIOCs(body)
		case http.MethodDelete:
			if q.Get("ids") == "" {
				return errorResponse(http.StatusBadRequest, "ids or filter is required")
			}
			return s.deleteIOCs(strings.Split(q.Get("ids"), ","))
		}
		return methodNotAllowed(r)
	case "/iocs/combined/indicator/v1":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return s.combinedIOCs(q.Get("filter"))
	}
	return errorResponse(http.StatusNotFound, "no route for "+r.URL.Path)
}

// issueToken answers the client-credentials grant, whose client ID and
// secret Falcon takes as form fields.
func (s *Server) issueToken(body []byte) response {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("client_id") == "" || form.Get("client_secret") == "" {
		return errorResponse(http.StatusBadRequest, "client_id and client_secret are required form fields")
	}
	if form.Get("client_id") != s.clientID || form.Get("client_secret") != s.clientSecret {
		return errorResponse(http.StatusForbidden, "access denied, invalid client credentials")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "falcontest-" + hex.EncodeToString(b)
	s.tokens[tok] = s.now().Add(s.lifetime)
	s.issued++
	return loopback.JSON(http.StatusCreated, map[string]any{
		"access_token": tok,
		"token_type":   "bearer",
		"expires_in":   int(s.lifetime/time.Second) - 1,
	})
}

// queryDevices answers an FQL filter of the one form package falcon sends,
// hostname:'NAME', with the matching device IDs.
func (s *Server) queryDevices(filter string) response {
	name, ok := hostnameFilter(filter)
	if !ok {
		return errorResponse(http.StatusBadRequest, "falcontest supports only filter=hostname:'NAME', not "+strconv.Quote(filter))
	}
	ids := []string{}
	for _, d := range s.devices {
		if strings.EqualFold(d.Hostname, name) {
			ids = append(ids, d.DeviceID)
		}
	}
	if len(ids) == 0 && !s.fixed && name != "" {
		ids = append(ids, s.add(Device{Hostname: name}).DeviceID)
	}
	return loopback.JSON(http.StatusOK, page[string]{
		Meta:      meta{QueryTime: 0.004, PoweredBy: "device-api", TraceID: traceID(), Pagination: &pagination{Offset: 0, Limit: 100, Total: len(ids)}},
		Resources: ids,
		Errors:    []apiError{},
	})
}

func hostnameFilter(f string) (string, bool) {
	v, ok := strings.CutPrefix(f, "hostname:'")
	if !ok || !strings.HasSuffix(v, "'") || len(v) < 1 {
		return "", false
	}
	v = strings.TrimSuffix(v, "'")
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v), true
}

// deviceEntities answers the known devices among ids; each read moves a
// pending containment one step on.
func (s *Server) deviceEntities(ids []string) response {
	if len(ids) == 0 {
		return errorResponse(http.StatusBadRequest, "ids is required")
	}
	out := []deviceJSON{}
	var missing []apiError
	for _, id := range ids {
		d := s.byID(id)
		if d == nil {
			missing = append(missing, apiError{Code: http.StatusNotFound, Message: "Device not found", ID: id})
			continue
		}
		s.settle(d, true)
		out = append(out, d.json())
	}
	status := http.StatusOK
	if len(out) == 0 {
		status = http.StatusNotFound
	}
	if missing == nil {
		missing = []apiError{}
	}
	return loopback.JSON(status, page[deviceJSON]{Meta: s.meta(), Resources: out, Errors: missing})
}

// deviceAction contains or lifts containment: the device goes pending, and
// settles as WithPendingReads and WithPendingFor say. An action towards the state the device
// is in or on its way to changes nothing, as Falcon's does.
func (s *Server) deviceAction(action string, body []byte) response {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.IDs) == 0 {
		return errorResponse(http.StatusBadRequest, `body must be {"ids": ["DEVICE_ID", ...]}`)
	}
	var pending, final string
	switch action {
	case "contain":
		pending, final = StatusContainmentPending, StatusContained
	case "lift_containment":
		pending, final = StatusLiftContainmentPending, StatusNormal
	default:
		return errorResponse(http.StatusBadRequest, "unsupported action_name "+strconv.Quote(action))
	}
	out := []actionJSON{}
	var errs []apiError
	for _, id := range req.IDs {
		d := s.byID(id)
		if d == nil {
			errs = append(errs, apiError{Code: http.StatusNotFound, Message: "Device not found", ID: id})
			continue
		}
		s.settle(d, false)
		if d.Status != final && d.Status != pending {
			d.Status, d.final, d.readsLeft, d.until = pending, final, s.pendingReads, s.now().Add(s.pendingFor)
		}
		out = append(out, actionJSON{ID: d.DeviceID, Path: ""})
	}
	if len(out) == 0 {
		return loopback.JSON(http.StatusNotFound, page[actionJSON]{Meta: s.meta(), Resources: out, Errors: errs})
	}
	if errs == nil {
		errs = []apiError{}
	}
	return loopback.JSON(http.StatusAccepted, page[actionJSON]{Meta: s.meta(), Resources: out, Errors: errs})
}

func (s *Server) byID(id string) *device {
	for _, d := range s.devices {
		if strings.EqualFold(d.DeviceID, id) {
			return d
		}
	}
	return nil
}

func (s *Server) meta() meta {
	return meta{QueryTime: 0.002, PoweredBy: "device-api", TraceID: traceID()}
}

func methodNotAllowed(r *http.Request) response {
	return errorResponse(http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
}

// errorResponse is Falcon's error body: no resources, the code and message
// in errors.
func errorResponse(status int, msg string) response {
	return loopback.JSON(status, page[json.RawMessage]{
		Meta:      meta{QueryTime: 0.001, PoweredBy: "crowdstrike-api-gateway", TraceID: traceID()},
		Resources: []json.RawMessage{},
		Errors:    []apiError{{Code: status, Message: msg}},
	})
}

func traceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
