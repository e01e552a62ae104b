// Package servicenowtest is a loopback fake of ServiceNow's Table API
// (GET /api/now/table/{table} and /api/now/table/{table}/{sys_id}) over a
// small CMDB, answering with ServiceNow's own shapes: {"result": ...} on
// success and {"error": {"message", "detail"}, "status": "failure"} on
// failure, 401 with WWW-Authenticate for bad credentials.
//
// It understands enough of an encoded query for package servicenow and
// tests: conditions joined by ^ (AND), ^OR (binding tighter, as on the
// platform) and ^NQ, with the operators =, !=, IN, NOT IN, STARTSWITH,
// ENDSWITH, LIKE, NOTLIKE, ISEMPTY and ISNOTEMPTY, compared ignoring case
// like the platform's database. A condition on an unknown field or with
// another operator matches nothing. It renders sysparm_display_value
// false, true and all, with or without reference links, and honours
// sysparm_fields, sysparm_limit and sysparm_offset.
//
// Tests mount a Server on httptest.NewServer; Start serves it on a port of
// its own for long-running use.
package servicenowtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/socflow/socflow/integrations/loopback"
)

// The credentials a Server accepts unless SetBasicAuth or SetToken says
// otherwise.
const (
	DefaultUser     = "socflow.integration"
	DefaultPassword = "servicenowtest-password"
	DefaultToken    = "servicenowtest-oauth-token"
)

// Record is one configuration item. Reference fields (OwnedBy, AssignedTo,
// ManagedBy) hold the user's display name; the fake makes up a sys_id for
// it.
type Record struct {
	// SysID is made up when empty.
	SysID string
	// Class is sys_class_name, the CI's table, such as
	// "cmdb_ci_win_server"; empty means "cmdb_ci". A record is in its
	// class's table and every parent's (cmdb_ci_win_server is also in
	// cmdb_ci_server, cmdb_ci_computer, cmdb_ci_hardware and cmdb_ci).
	Class     string
	Name      string
	FQDN      string
	IPAddress string
	// BusinesCriticality is cmdb_ci's busines_criticality (sic), such as
	// "1 - most critical".
	BusinesCriticality string
	// BusinessCriticality, SocflowTier (u_socflow_tier) and Role (u_role)
	// are fields some sites add: the fake has them only when some record
	// sets them, and then answers "" for the others, as a real table does.
	BusinessCriticality string
	SocflowTier         string
	Role                string
	OwnedBy             string
	AssignedTo          string
	ManagedBy           string
	// Tags are sys_tags' names.
	Tags             []string
	ShortDescription string
}

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	// Table is the table named by the path, if any.
	Table string
	Query url.Values
	// RawQuery is the query string as sent, to check its encoding.
	RawQuery string
	// Auth is "basic", "bearer" or "" (none or another scheme); User is
	// the basic user name.
	Auth string
	User string
	// Status is the code the fake answered with.
	Status int
}

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext, Fail and Close come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu       sync.Mutex
	user     string
	password string
	token    string
	records  []Record
}

// New returns a fake holding records that accepts DefaultUser and
// DefaultPassword, or DefaultToken as a bearer token.
func New(records ...Record) *Server {
	s := &Server{user: DefaultUser, password: DefaultPassword, token: DefaultToken}
	s.Add(records...)
	return s
}

// Add adds records.
func (s *Server) Add(records ...Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		if r.SysID == "" {
			r.SysID = makeID("ci", strconv.Itoa(len(s.records)), r.Name)
		}
		if r.Class == "" {
			r.Class = "cmdb_ci"
		}
		r.Tags = slices.Clone(r.Tags)
		s.records = append(s.records, r)
	}
}

// SetBasicAuth sets the user name and password the fake accepts; an
// empty user refuses basic authentication.
func (s *Server) SetBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// SetToken sets the bearer token the fake accepts; empty refuses bearer
// authentication.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("servicenowtest", addr, s)
}

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), RawQuery: r.URL.RawQuery}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/api/now/table/"); ok {
		call.Table, _, _ = strings.Cut(rest, "/")
	}
	call.Auth, call.User = authOf(r)
	a, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() answer {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r)
	}, func(f loopback.Fault) answer {
		return f.Answer(failure(f.Status, http.StatusText(f.Status), "Injected by servicenowtest.FailNext"))
	})
	call.Status = a.Status
	s.Record(call)
	if answered {
		a.Write(w, "application/json;charset=UTF-8")
	}
}

func authOf(r *http.Request) (scheme, user string) {
	if u, _, ok := r.BasicAuth(); ok {
		return "basic", u
	}
	if _, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return "bearer", ""
	}
	return "", ""
}

type answer = loopback.Response

func failure(status int, message string, detail any) answer {
	return loopback.JSON(status, map[string]any{
		"error":  map[string]any{"message": message, "detail": detail},
		"status": "failure",
	})
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request) answer {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/now/table/")
	if !ok {
		return failure(http.StatusBadRequest, "Requested URI does not represent any resource", nil)
	}
	if !s.authorized(r) {
		a := failure(http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		a.Header = http.Header{"Www-Authenticate": {`Basic realm="Service-now"`}}
		return a
	}
	if r.Method != http.MethodGet {
		return failure(http.StatusMethodNotAllowed, "Method not Supported", "servicenowtest only answers GET")
	}
	table, sysID, _ := strings.Cut(rest, "/")
	if !s.knownTable(table) {
		return failure(http.StatusBadRequest, "Invalid table "+table, nil)
	}
	q := r.URL.Query()
	rend := renderer{
		mode:    q.Get("sysparm_display_value"),
		links:   q.Get("sysparm_exclude_reference_link") != "true",
		base:    "http://" + r.Host,
		fields:  splitList(q.Get("sysparm_fields")),
		present: s.presentFields(),
	}
	if sysID != "" {
		for i := range s.records {
			if rec := &s.records[i]; rec.SysID == sysID && inTable(rec.Class, table) {
				return loopback.JSON(http.StatusOK, map[string]any{"result": rend.record(rec)})
			}
		}
		return failure(http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	}

	filter := parseQuery(q.Get("sysparm_query"))
	var matched []*Record
	for i := range s.records {
		if rec := &s.records[i]; inTable(rec.Class, table) && filter.match(rec, rend.present) {
			matched = append(matched, rec)
		}
	}
	total := len(matched)
	if off, err := strconv.Atoi(q.Get("sysparm_offset")); err == nil && off > 0 {
		matched = matched[min(off, len(matched)):]
	}
	limit, err := strconv.Atoi(q.Get("sysparm_limit"))
	if err != nil || limit <= 0 {
		limit = 10000
	}
	matched = matched[:min(limit, len(matched))]
	result := make([]map[string]any, len(matched))
	for i, rec := range matched {
		result[i] = rend.record(rec)
	}
	a := loopback.JSON(http.StatusOK, map[string]any{"result": result})
	a.Header = http.Header{"X-Total-Count": {strconv.Itoa(total)}}
	return a
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return s.user != "" && u == s.user && p == s.password
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.token != "" && t == s.token
	}
	return false
}

func (s *Server) knownTable(table string) bool {
	if _, ok := classLabel(table); ok {
		return true
	}
	for _, rec := range s.records {
		if rec.Class == table {
			return true
		}
	}
	return false
}

// presentFields lists the fields the fake's tables have: cmdb_ci's own,
// and the optional ones some record sets.
func (s *Server) presentFields() map[string]bool {
	p := map[string]bool{}
	for _, f := range baseFields() {
		p[f] = true
	}
	for _, rec := range s.records {
		p["business_criticality"] = p["business_criticality"] || rec.BusinessCriticality != ""
		p["u_socflow_tier"] = p["u_socflow_tier"] || rec.SocflowTier != ""
		p["u_role"] = p["u_role"] || rec.Role != ""
	}
	return p
}

// baseFields returns the fields of cmdb_ci the fake knows, in the order it
// answers them when sysparm_fields is not given.
func baseFields() []string {
	return []string{
		"sys_id", "name", "fqdn", "ip_address", "sys_class_name", "busines_criticality",
		"owned_by", "assigned_to", "managed_by", "sys_tags", "short_description",
	}
}

// parentClass returns the parent table of a CI class; cmdb_ci has none.
func parentClass(class string) string {
	switch class {
	case "cmdb_ci":
		return ""
	case "cmdb_ci_win_server", "cmdb_ci_linux_server", "cmdb_ci_unix_server", "cmdb_ci_esx_server":
		return "cmdb_ci_server"
	case "cmdb_ci_server", "cmdb_ci_pc_hardware":
		return "cmdb_ci_computer"
	case "cmdb_ci_computer", "cmdb_ci_printer", "cmdb_ci_netgear":
		return "cmdb_ci_hardware"
	}
	return "cmdb_ci"
}

// classLabel returns a class's label, what display values show.
func classLabel(class string) (string, bool) {
	switch class {
	case "cmdb_ci":
		return "Configuration Item", true
	case "cmdb_ci_hardware":
		return "Hardware", true
	case "cmdb_ci_computer":
		return "Computer", true
	case "cmdb_ci_pc_hardware":
		return "Personal Computer", true
	case "cmdb_ci_server":
		return "Server", true
	case "cmdb_ci_win_server":
		return "Windows Server", true
	case "cmdb_ci_linux_server":
		return "Linux Server", true
	case "cmdb_ci_unix_server":
		return "Unix Server", true
	case "cmdb_ci_esx_server":
		return "ESX Server", true
	case "cmdb_ci_printer":
		return "Printer", true
	case "cmdb_ci_netgear":
		return "IP Switch", true
	}
	return class, false
}

// inTable reports whether a record of class is in table.
func inTable(class, table string) bool {
	for c := class; c != ""; c = parentClass(c) {
		if c == table {
			return true
		}
	}
	return false
}

// value returns a field's stored and display values, and whether it is a
// reference to a user.
func value(rec *Record, f string) (stored, display string, ref bool) {
	switch f {
	case "sys_id":
		return rec.SysID, rec.SysID, false
	case "name":
		return rec.Name, rec.Name, false
	case "fqdn":
		return rec.FQDN, rec.FQDN, false
	case "ip_address":
		return rec.IPAddress, rec.IPAddress, false
	case "sys_class_name":
		label, _ := classLabel(rec.Class)
		return rec.Class, label, false
	case "busines_criticality":
		return rec.BusinesCriticality, rec.BusinesCriticality, false
	case "business_criticality":
		return rec.BusinessCriticality, rec.BusinessCriticality, false
	case "u_socflow_tier":
		return rec.SocflowTier, rec.SocflowTier, false
	case "u_role":
		return rec.Role, rec.Role, false
	case "short_description":
		return rec.ShortDescription, rec.ShortDescription, false
	case "owned_by":
		return userID(rec.OwnedBy), rec.OwnedBy, true
	case "assigned_to":
		return userID(rec.AssignedTo), rec.AssignedTo, true
	case "managed_by":
		return userID(rec.ManagedBy), rec.ManagedBy, true
	case "sys_tags":
		ids := make([]string, len(rec.Tags))
		for i, t := range rec.Tags {
			ids[i] = makeID("tag", t)
		}
		return strings.Join(ids, ","), strings.Join(rec.Tags, ", "), false
	}
	return "", "", false
}

// userID is the made-up sys_id of the user with this display name.
func userID(name string) string {
	if name == "" {
		return ""
	}
	return makeID("user", name)
}

// makeID makes a 32-hex-digit sys_id from parts, the same every time.
func makeID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// renderer writes records the way the request asked.
type renderer struct {
	// mode is sysparm_display_value: "true", "all", else false.
	mode    string
	links   bool
	base    string
	fields  []string
	present map[string]bool
}

func (rd renderer) record(rec *Record) map[string]any {
	fields := rd.fields
	if len(fields) == 0 {
		fields = baseFields()
		for _, f := range []string{"business_criticality", "u_socflow_tier", "u_role"} {
			if rd.present[f] {
				fields = append(fields, f)
			}
		}
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		// The platform leaves out fields the table does not have.
		if !rd.present[f] {
			continue
		}
		stored, display, ref := value(rec, f)
		out[f] = rd.field(stored, display, ref)
	}
	return out
}

func (rd renderer) field(stored, display string, ref bool) any {
	link := ""
	if ref && rd.links && stored != "" {
		link = rd.base + "/api/now/table/sys_user/" + stored
	}
	switch rd.mode {
	case "all":
		m := map[string]any{"display_value": display, "value": stored}
		if link != "" {
			m["link"] = link
		}
		return m
	case "true":
		if link != "" {
			return map[string]any{"display_value": display, "link": link}
		}
		return display
	}
	if link != "" {
		return map[string]any{"link": link, "value": stored}
	}
	return stored
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
