// Package defendertest is a loopback fake of the Microsoft Defender for
// Endpoint API: the machine, machine action and indicator endpoints that
// package defender calls, answering with the documented bodies. Tests mount
// it on httptest.NewServer and script failures with FailNext; `socflow dev`
// runs it with Start as a built-in EDR that knows every host it is asked
// about.
package defendertest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultToken is the bearer token a Server accepts unless WithToken says
// otherwise.
const DefaultToken = "defendertest-token"

// requestor is who the fake says asked for an action; Defender reports the
// calling app or user.
const requestor = "socflow@defendertest.invalid"

// timeLayout is how Defender writes timestamps: UTC, seven fractional
// digits.
const timeLayout = "2006-01-02T15:04:05.0000000Z"

// Machine is a device the fake knows.
type Machine struct {
	// ID is Defender's machine ID; empty derives a stable one from the
	// name.
	ID              string
	ComputerDNSName string
	// LastSeen defaults to the time the record is made.
	LastSeen      time.Time
	LastIPAddress string
	// OSPlatform defaults to "Windows11".
	OSPlatform string
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the unescaped request path.
	Path string
	// Filter is the decoded OData $filter, if any.
	Filter string
	Body   string
	// Status is the code the fake answered with.
	Status int
}

// Fault is a scripted failure; its Body replaces the OData error body the
// fake derives from Status.
type Fault = loopback.Fault

// Option configures a Server.
type Option func(*Server)

// WithToken sets the bearer token the fake accepts.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithMachines fixes the fake's inventory: a lookup of any other name finds
// nothing, and actions on other IDs are 404s. Without it the fake makes up
// a machine for every name it is asked about.
func WithMachines(ms ...Machine) Option {
	return func(s *Server) {
		s.fixed = true
		for _, m := range ms {
			s.addMachine(m)
		}
	}
}

// WithPendingActions leaves machine actions Pending, as Defender does while
// the device has not checked in, until CompleteActions is called. A second
// request of the same type meanwhile is refused as "already in progress".
func WithPendingActions() Option {
	return func(s *Server) { s.pending = true }
}

// WithPendingReads leaves each machine action Pending for n reads of it by
// ID (GET /api/machineactions/{id}, how a client follows its request; a
// list of actions shows it and does not count), as a device that has not
// checked in yet; the read after them sees it settled (Succeeded, or what
// WithOutcome says). The default, 0, settles an action as soon as Defender
// has answered the request.
func WithPendingReads(n int) Option {
	return func(s *Server) { s.pendingReads = max(n, 0) }
}

// WithPendingFor leaves each machine action Pending for d after it was
// requested, by the fake's clock, however often it is read: `socflow dev`
// uses it so that an isolation is seen pending, then done. With
// WithPendingReads too, both must have passed.
func WithPendingFor(d time.Duration) Option {
	return func(s *Server) { s.pendingFor = d }
}

// WithOutcome makes machine actions settle with status: StatusSucceeded
// (the default), StatusFailed (with errorHResult 0x80004005),
// StatusCancelled (by CancelledBy, with a cancellation comment) or
// StatusTimeOut. An action that does not succeed leaves the machine as it
// was.
func WithOutcome(status string) Option {
	return func(s *Server) { s.outcome = status }
}

// WithClock sets the fake's clock, which decides when a WithPendingFor
// action settles.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// Machine action statuses, as Defender spells them.
const (
	StatusPending    = "Pending"
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusCancelled  = "Cancelled"
	StatusTimeOut    = "TimeOut"
)

// CancelledBy is who a StatusCancelled action was cancelled by, and
// FailedHResult the errorHResult of a StatusFailed one (E_FAIL).
const (
	CancelledBy   = "admin@defendertest.invalid"
	FailedHResult = -2147467259
)

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext (whose pattern is an optional method and a path,
// such as "POST /api/machines/*/isolate"), Fail and Close come with its
// loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu           sync.Mutex
	token        string
	fixed        bool
	pending      bool
	pendingReads int
	pendingFor   time.Duration
	outcome      string
	now          func() time.Time
	machines     []*machine
	actions      []*actionJSON
	// waits are the actions still to settle by reads or time, by ID.
	waits      map[string]*wait
	indicators []*indicatorJSON
	nextInd    int
}

// wait is what keeps an action Pending: reads still to come and a time.
type wait struct {
	reads int
	until time.Time
}

type machine struct {
	machineJSON
	isolated bool
}

// New returns a fake that accepts DefaultToken and knows any host name.
func New(opts ...Option) *Server {
	s := &Server{token: DefaultToken, outcome: StatusSucceeded, now: time.Now, waits: map[string]*wait{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL. It is for long-running use such as `socflow dev`; tests can
// mount the Server on httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("defendertest", addr, s)
}

// Isolated reports whether a machine called host is isolated. Names match
// as FindMachine in package defender matches them: without regard to case,
// and a bare name matches its FQDN.
func (s *Server) Isolated(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.machines {
		if sameHost(m.ComputerDNSName, host) && m.isolated {
			return true
		}
	}
	return false
}

// Blocked reports whether an indicator blocks ip.
func (s *Server) Blocked(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ind := range s.indicators {
		if ind.IndicatorType == "IpAddress" && strings.EqualFold(ind.IndicatorValue, ip) &&
			(ind.Action == "Block" || ind.Action == "AlertAndBlock") {
			return true
		}
	}
	return false
}

// HashBlocked reports whether an indicator blocks the file with this
// hash, of any file indicator type.
func (s *Server) HashBlocked(hash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ind := range s.indicators {
		if strings.HasPrefix(ind.IndicatorType, "File") && strings.EqualFold(ind.IndicatorValue, hash) &&
			(ind.Action == "Block" || ind.Action == "AlertAndBlock" || ind.Action == "BlockAndRemediate") {
			return true
		}
	}
	return false
}

// CompleteActions finishes every pending machine action, as if the devices
// had checked in, with the outcome WithOutcome (or SetOutcome) says.
func (s *Server) CompleteActions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.actions {
		if a.Status == StatusPending || a.Status == StatusInProgress {
			s.complete(a)
		}
	}
}

// SetOutcome changes how actions settle from now on (see WithOutcome),
// including those still pending.
func (s *Server) SetOutcome(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcome = status
}

// ActionStatus returns the status of the machine action with this ID as
// the API would show it now, without counting as a read, or "".
func (s *Server) ActionStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	for _, a := range s.actions {
		if a.ID == id {
			return a.Status
		}
	}
	return ""
}

// advance settles the actions whose WithPendingFor time has passed and
// that have no reads left to wait for; s.mu is held.
func (s *Server) advance() {
	if s.pendingFor <= 0 {
		return
	}
	for _, a := range s.actions {
		if w, ok := s.waits[a.ID]; ok && w.reads <= 0 && !s.now().Before(w.until) {
			s.complete(a)
		}
	}
}

// read counts one read by ID of each action, settling those with no
// reads left and no time to wait; s.mu is held.
func (s *Server) read(as []*actionJSON) {
	for _, a := range as {
		w, ok := s.waits[a.ID]
		switch {
		case !ok:
		case w.reads <= 0 && !s.now().Before(w.until):
			s.complete(a)
		case w.reads > 0:
			w.reads--
		}
	}
}

func sameHost(known, asked string) bool {
	known, asked = strings.ToLower(known), strings.ToLower(strings.TrimSuffix(asked, "."))
	if known == asked {
		return true
	}
	ks, _, kfq := strings.Cut(known, ".")
	as, _, afq := strings.Cut(asked, ".")
	return kfq != afq && ks == as
}

type response = loopback.Response

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	filter := r.URL.Query().Get("$filter")
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r, filter, body)
	}, faultResponse)
	s.Record(Call{Method: r.Method, Path: r.URL.Path, Filter: filter, Body: string(body), Status: resp.Status})
	if answered {
		resp.Write(w, "application/json; odata.metadata=minimal; charset=utf-8")
	}
}

func faultResponse(f Fault) response {
	return f.Answer(errorResponse(f.Status, codeFor(f.Status), "Injected failure"))
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request, filter string, body []byte) response {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token != s.token || token == "" {
		return errorResponse(http.StatusUnauthorized, "Unauthorized", "Authorization has been denied for this request.")
	}
	s.advance()
	base := "http://" + r.Host + "/api/$metadata#"
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(seg) < 2 || seg[0] != "api" {
		return errorResponse(http.StatusNotFound, "ResourceNotFound", "No route for "+r.URL.Path)
	}
	switch {
	case seg[1] == "machines" && len(seg) == 2:
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return s.listMachines(base, filter)
	case seg[1] == "machines" && len(seg) == 3:
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		m := s.machineByID(seg[2])
		if m == nil {
			return machineNotFound(seg[2])
		}
		out := m.machineJSON
		out.Context = base + "Machines/$entity"
		return jsonResponse(http.StatusOK, out)
	case seg[1] == "machines" && len(seg) == 4 && (seg[3] == "isolate" || seg[3] == "unisolate"):
		if r.Method != http.MethodPost {
			return methodNotAllowed(r)
		}
		return s.machineAction(base, seg[2], seg[3], body)
	case seg[1] == "machineactions" && len(seg) == 2:
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return s.listActions(base, filter)
	case seg[1] == "machineactions" && len(seg) == 3:
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		for _, a := range s.actions {
			if a.ID == seg[2] {
				s.read([]*actionJSON{a})
				out := *a
				out.Context = base + "MachineActions/$entity"
				return jsonResponse(http.StatusOK, out)
			}
		}
		return errorResponse(http.StatusNotFound, "ResourceNotFound", "Machine action "+seg[2]+" was not found")
	case seg[1] == "indicators" && len(seg) == 2:
		switch r.Method {
		case http.MethodGet:
			return s.listIndicators(base, filter)
		case http.MethodPost:
			return s.submitIndicator(base, body)
		}
		return methodNotAllowed(r)
	case seg[1] == "indicators" && len(seg) == 3:
		if r.Method != http.MethodDelete {
			return methodNotAllowed(r)
		}
		i := slices.IndexFunc(s.indicators, func(ind *indicatorJSON) bool { return ind.ID == seg[2] })
		if i < 0 {
			return errorResponse(http.StatusNotFound, "ResourceNotFound", "Indicator "+seg[2]+" was not found")
		}
		s.indicators = slices.Delete(s.indicators, i, i+1)
		return response{Status: http.StatusNoContent}
	}
	return errorResponse(http.StatusNotFound, "ResourceNotFound", "No route for "+r.URL.Path)
}

func (s *Server) listMachines(base, filter string) response {
	found, cs, err := filtered(filter, s.machines, (*machine).field)
	if err != nil {
		return errorResponse(http.StatusBadRequest, "InvalidFilter", err.Error())
	}
	// The dev server knows every host: a lookup by exact name is the
	// moment a machine comes into being.
	if len(found) == 0 && !s.fixed && len(cs) == 1 && cs[0].fn == "eq" && strings.EqualFold(cs[0].field, "computerDnsName") && cs[0].value != "" {
		found = append(found, s.addMachine(Machine{ComputerDNSName: strings.ToLower(cs[0].value)}))
	}
	out := make([]machineJSON, len(found))
	for i, m := range found {
		out[i] = m.machineJSON
	}
	return jsonResponse(http.StatusOK, collection(base+"Machines", out))
}

func (s *Server) listActions(base, filter string) response {
	found, _, err := filtered(filter, s.actions, (*actionJSON).field)
	if err != nil {
		return errorResponse(http.StatusBadRequest, "InvalidFilter", err.Error())
	}
	return jsonResponse(http.StatusOK, collection(base+"MachineActions", values(found)))
}

func (s *Server) listIndicators(base, filter string) response {
	found, _, err := filtered(filter, s.indicators, (*indicatorJSON).field)
	if err != nil {
		return errorResponse(http.StatusBadRequest, "InvalidFilter", err.Error())
	}
	return jsonResponse(http.StatusOK, collection(base+"Indicators", values(found)))
}

// filtered returns the entities that pass an OData $filter, reading each
// entity's properties through field, and the filter's clauses.
func filtered[T any](filter string, items []*T, field func(*T, string) (string, bool)) ([]*T, []clause, error) {
	cs, err := parseFilter(filter)
	if err == nil {
		err = checkFields(cs, func(name string) (string, bool) { return field(new(T), name) })
	}
	if err != nil {
		return nil, nil, err
	}
	var out []*T
	for _, it := range items {
		if matchAll(cs, func(name string) (string, bool) { return field(it, name) }) {
			out = append(out, it)
		}
	}
	return out, cs, nil
}

func values[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

func (s *Server) machineAction(base, id, verb string, body []byte) response {
	m := s.machineByID(id)
	if m == nil {
		return machineNotFound(id)
	}
	var req struct {
		Comment       string
		IsolationType string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "Request body is not valid JSON: "+err.Error())
	}
	if strings.TrimSpace(req.Comment) == "" {
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "Comment is required")
	}
	typ := "Unisolate"
	var scope *string
	if verb == "isolate" {
		typ = "Isolate"
		it := req.IsolationType
		if it == "" {
			it = "Full"
		}
		if it != "Full" && it != "Selective" && it != "UnManagedDevice" {
			return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "IsolationType must be Full, Selective or UnManagedDevice")
		}
		scope = &it
	}
	for _, a := range s.actions {
		if a.MachineID == m.ID && a.Type == typ && (a.Status == StatusPending || a.Status == StatusInProgress) {
			return errorResponse(http.StatusBadRequest, "ActiveRequestAlreadyExists", "Action is already in progress")
		}
	}
	now := s.now().UTC().Format(timeLayout)
	a := &actionJSON{
		ID:                    newGUID(),
		Type:                  typ,
		Scope:                 scope,
		Requestor:             requestor,
		RequestorComment:      req.Comment,
		Status:                "Pending",
		MachineID:             m.ID,
		ComputerDNSName:       m.ComputerDNSName,
		CreationDateTimeUTC:   now,
		LastUpdateDateTimeUTC: now,
		RequestSource:         "PublicApi",
		Commands:              []any{},
	}
	s.actions = append(s.actions, a)
	// Defender answers before the device acts: the answer says Pending
	// whatever happens next.
	out := *a
	out.Context = base + "MachineActions/$entity"
	resp := jsonResponse(http.StatusCreated, out)
	switch {
	case s.pending:
	case s.pendingReads > 0 || s.pendingFor > 0:
		s.waits[a.ID] = &wait{reads: s.pendingReads, until: s.now().Add(s.pendingFor)}
	default:
		s.complete(a)
	}
	return resp
}

// complete settles an action with the configured outcome.
func (s *Server) complete(a *actionJSON) {
	delete(s.waits, a.ID)
	now := s.now().UTC().Format(timeLayout)
	a.Status = s.outcome
	a.LastUpdateDateTimeUTC = now
	switch a.Status {
	case StatusSucceeded:
		if m := s.machineByID(a.MachineID); m != nil {
			m.isolated = a.Type == "Isolate"
		}
	case StatusFailed:
		a.ErrorHResult = FailedHResult
	case StatusCancelled:
		by, why := CancelledBy, "Cancelled in the portal"
		a.CancellationRequestor, a.CancellationComment, a.CancellationDateTimeUTC = &by, &why, &now
	}
}

func (s *Server) submitIndicator(base string, body []byte) response {
	var req struct {
		IndicatorValue     string  `json:"indicatorValue"`
		IndicatorType      string  `json:"indicatorType"`
		Action             string  `json:"action"`
		Title              string  `json:"title"`
		Description        string  `json:"description"`
		Severity           string  `json:"severity"`
		GenerateAlert      bool    `json:"generateAlert"`
		ExpirationTime     *string `json:"expirationTime"`
		RecommendedActions *string `json:"recommendedActions"`
		Application        *string `json:"application"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "Request body is not valid JSON: "+err.Error())
	}
	switch {
	case req.IndicatorValue == "":
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "indicatorValue is required")
	case req.Title == "" || req.Description == "":
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "title and description are required")
	case !slices.Contains([]string{"FileSha1", "FileSha256", "FileMd5", "CertificateThumbprint", "IpAddress", "DomainName", "Url"}, req.IndicatorType):
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "indicatorType "+strconv.Quote(req.IndicatorType)+" is not supported")
	case !slices.Contains([]string{"Warn", "Block", "Audit", "Alert", "AlertAndBlock", "BlockAndRemediate", "Allowed"}, req.Action):
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "action "+strconv.Quote(req.Action)+" is not supported")
	}
	if req.IndicatorType == "IpAddress" {
		if _, err := netip.ParseAddr(req.IndicatorValue); err != nil {
			return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "indicatorValue "+strconv.Quote(req.IndicatorValue)+" is not an IP address; CIDR notation is not supported")
		}
	}
	if n, ok := map[string]int{"FileSha256": 64, "FileSha1": 40, "FileMd5": 32}[req.IndicatorType]; ok {
		if _, err := hex.DecodeString(req.IndicatorValue); err != nil || len(req.IndicatorValue) != n {
			return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "indicatorValue "+strconv.Quote(req.IndicatorValue)+" is not a valid "+req.IndicatorType)
		}
	}
	if req.Severity == "" {
		req.Severity = "Informational"
	}
	if !slices.Contains([]string{"Informational", "Low", "Medium", "High"}, req.Severity) {
		return errorResponse(http.StatusBadRequest, "InvalidRequestBody", "severity "+strconv.Quote(req.Severity)+" is not supported")
	}
	now := time.Now().UTC().Format(timeLayout)
	// Submitting is an upsert keyed on type and value.
	i := slices.IndexFunc(s.indicators, func(ind *indicatorJSON) bool {
		return ind.IndicatorType == req.IndicatorType && strings.EqualFold(ind.IndicatorValue, req.IndicatorValue)
	})
	var ind *indicatorJSON
	if i >= 0 {
		ind = s.indicators[i]
	} else {
		s.nextInd++
		ind = &indicatorJSON{
			ID:                      strconv.Itoa(s.nextInd),
			Source:                  "socflow",
			SourceType:              "AadApp",
			CreatedBySource:         "socflow",
			CreatedBy:               requestor,
			CreationTimeDateTimeUTC: now,
			RBACGroupNames:          []string{},
			RBACGroupIDs:            []string{},
		}
		s.indicators = append(s.indicators, ind)
	}
	ind.IndicatorValue = req.IndicatorValue
	ind.IndicatorType = req.IndicatorType
	ind.Action = req.Action
	ind.Title = req.Title
	ind.Description = req.Description
	ind.Severity = req.Severity
	ind.GenerateAlert = req.GenerateAlert
	ind.ExpirationTime = req.ExpirationTime
	ind.RecommendedActions = req.RecommendedActions
	ind.Application = req.Application
	ind.LastUpdateTime = now
	ind.LastUpdatedBy = requestor
	out := *ind
	out.Context = base + "Indicators/$entity"
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) machineByID(id string) *machine {
	for _, m := range s.machines {
		if strings.EqualFold(m.ID, id) {
			return m
		}
	}
	return nil
}

func (s *Server) addMachine(in Machine) *machine {
	id := in.ID
	if id == "" {
		// Defender IDs are 40 hex digits; deriving them from the name
		// keeps them stable across dev server restarts.
		sum := sha1.Sum([]byte(strings.ToLower(in.ComputerDNSName)))
		id = hex.EncodeToString(sum[:])
	}
	seen := in.LastSeen
	if seen.IsZero() {
		seen = time.Now()
	}
	platform := in.OSPlatform
	if platform == "" {
		platform = "Windows11"
	}
	ip := in.LastIPAddress
	if ip == "" {
		ip = "10.0.0.1"
	}
	m := &machine{machineJSON: machineJSON{
		ID:                    id,
		ComputerDNSName:       in.ComputerDNSName,
		FirstSeen:             seen.UTC().Add(-30 * 24 * time.Hour).Format(timeLayout),
		LastSeen:              seen.UTC().Format(timeLayout),
		OSPlatform:            platform,
		OSProcessor:           "x64",
		Version:               "23H2",
		LastIPAddress:         ip,
		LastExternalIPAddress: "203.0.113.10",
		OSBuild:               22631,
		HealthStatus:          "Active",
		RBACGroupName:         "UnassignedGroup",
		RiskScore:             "None",
		ExposureLevel:         "Low",
		MachineTags:           []string{},
		OnboardingStatus:      "Onboarded",
		DeviceValue:           "Normal",
	}}
	s.machines = append(s.machines, m)
	return m
}

func machineNotFound(id string) response {
	return errorResponse(http.StatusNotFound, "ResourceNotFound", "Machine "+id+" was not found")
}

func methodNotAllowed(r *http.Request) response {
	return errorResponse(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '"+r.Method+"'.")
}

// codeFor names an injected failure the way Defender's OData errors do.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusNotFound:
		return "ResourceNotFound"
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// errorResponse is Defender's OData error body.
func errorResponse(status int, code, msg string) response {
	return jsonResponse(status, map[string]any{"error": map[string]string{
		"code": code, "message": msg, "target": newGUID(),
	}})
}

func jsonResponse(status int, v any) response { return loopback.JSON(status, v) }

// collection is OData's list wrapper.
func collection[T any](context string, items []T) any {
	if items == nil {
		items = []T{}
	}
	return struct {
		Context string `json:"@odata.context"`
		Value   []T    `json:"value"`
	}{context, items}
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
