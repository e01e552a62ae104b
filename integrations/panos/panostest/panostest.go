// Package panostest is a loopback fake of the PAN-OS XML API as package
// panos calls it: configuration get, show, set and delete of address
// objects and static address group members (candidate and running
// configuration kept apart), commit, and commit jobs that finish after a
// number of polls. It answers with the documented XML shapes (<response
// status="success" code="19">..., errors as <response status="error"
// code="...">). Faults are scripted with FailNext on keys such as
// "config/set", "config/delete", "commit" and "op".
package panostest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultKey is the API key a Server accepts unless WithKey says otherwise.
const DefaultKey = "panostest-key"

// Call is one request the fake received.
type Call struct {
	// Type and Action are the request's type and action parameters.
	Type, Action string
	XPath        string
	Element      string
	Cmd          string
	// Status is the HTTP status the fake answered with.
	Status int
}

// Fault is a scripted failure (see loopback.Fault).
type Fault = loopback.Fault

// Option configures a Server.
type Option func(*Server)

// WithKey sets the API key the fake accepts.
func WithKey(key string) Option { return func(s *Server) { s.key = key } }

// WithCommitPolls makes each commit job finish on its nth status poll
// (1 when not set: the first poll finds it finished).
func WithCommitPolls(n int) Option { return func(s *Server) { s.polls = max(n, 1) } }

// WithGroup gives the running and candidate configurations a static
// address group in vsys holding members.
func WithGroup(vsys, group string, members ...string) Option {
	return func(s *Server) {
		k := vsys + "/" + group
		s.running.groups[k] = slices.Clone(members)
		s.candidate.groups[k] = slices.Clone(members)
	}
}

// Server is the fake firewall. It is an http.Handler and is safe for
// concurrent use. Calls, FailNext, Fail and Close come with its
// loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu                 sync.Mutex
	key                string
	polls              int
	running, candidate *configuration
	jobs               []*job
	failCommit         string
}

type configuration struct {
	// objects are address objects by vsys/name: their ip-netmask.
	objects map[string]string
	// groups are static address groups by vsys/name: their members.
	groups map[string][]string
}

func newConfiguration() *configuration {
	return &configuration{objects: map[string]string{}, groups: map[string][]string{}}
}

func (c *configuration) clone() *configuration {
	out := newConfiguration()
	for k, v := range c.objects {
		out.objects[k] = v
	}
	for k, v := range c.groups {
		out.groups[k] = slices.Clone(v)
	}
	return out
}

func (c *configuration) equal(o *configuration) bool {
	if len(c.objects) != len(o.objects) || len(c.groups) != len(o.groups) {
		return false
	}
	for k, v := range c.objects {
		if o.objects[k] != v {
			return false
		}
	}
	for k, v := range c.groups {
		if !slices.Equal(o.groups[k], v) {
			return false
		}
	}
	return true
}

type job struct {
	id     int
	polls  int
	status string
	result string
	detail string
	config *configuration
	fail   string
}

// New returns a fake that accepts DefaultKey, with empty configurations.
func New(opts ...Option) *Server {
	s := &Server{key: DefaultKey, polls: 1, running: newConfiguration(), candidate: newConfiguration()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL, for long-running use; tests mount it on httptest.NewServer.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("panostest", addr, s)
}

// Members returns a group's static members in the running configuration
// (running true) or the candidate one.
func (s *Server) Members(vsys, group string, running bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.candidate
	if running {
		c = s.running
	}
	return slices.Clone(c.groups[vsys+"/"+group])
}

// Object returns an address object's ip-netmask in the running or the
// candidate configuration, and whether it exists.
func (s *Server) Object(vsys, name string, running bool) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.candidate
	if running {
		c = s.running
	}
	v, ok := c.objects[vsys+"/"+name]
	return v, ok
}

// Commits is how many commit jobs were started.
func (s *Server) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// FailCommit makes the next commit job finish FIN/FAIL with details, as a
// commit whose validation fails; the candidate configuration is kept.
func (s *Server) FailCommit(details string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCommit = details
}

type response = loopback.Response

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form, _ := url.ParseQuery(string(body))
	for k, v := range r.URL.Query() {
		form[k] = append(form[k], v...)
	}
	c := Call{Type: form.Get("type"), Action: form.Get("action"), XPath: form.Get("xpath"), Element: form.Get("element"), Cmd: form.Get("cmd")}
	key := c.Type
	if c.Action != "" {
		key += "/" + c.Action
	}
	resp, answered := loopback.Respond(&s.Recorder, r, key, func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r, form, c)
	}, func(f Fault) response {
		return f.Answer(errorXML(f.Status, strconv.Itoa(f.Status), "Injected failure"))
	})
	c.Status = resp.Status
	s.Record(c)
	if answered {
		resp.Write(w, "application/xml; charset=UTF-8")
	}
}

func xmlResponse(status int, body string) response {
	return response{Status: status, Body: []byte(body)}
}

func errorXML(httpStatus int, code, msg string) response {
	return xmlResponse(httpStatus, fmt.Sprintf(`<response status="error" code="%s"><msg><line>%s</line></msg></response>`, code, esc(msg)))
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var (
	vsysXPath   = regexp.MustCompile(`^/config/devices/entry\[@name='localhost\.localdomain'\]/vsys/entry\[@name='([^']+)'\](.*)$`)
	objectXPath = regexp.MustCompile(`^/address/entry\[@name='([^']+)'\]$`)
	groupXPath  = regexp.MustCompile(`^/address-group/entry\[@name='([^']+)'\]/static$`)
	memberXPath = regexp.MustCompile(`^/address-group/entry\[@name='([^']+)'\]/static/member\[text\(\)='([^']+)'\]$`)
	jobCmd      = regexp.MustCompile(`^<show><jobs><id>(\d+)</id></jobs></show>$`)
)

const succeeded = `<response status="success" code="20"><msg>command succeeded</msg></response>`

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request, form url.Values, c Call) response {
	key := r.Header.Get("X-PAN-KEY")
	if key == "" {
		key = form.Get("key")
	}
	if key == "" || key != s.key {
		return xmlResponse(http.StatusForbidden, `<response status = 'error' code = '403'><result><msg>Invalid credentials.</msg></result></response>`)
	}
	switch c.Type {
	case "config":
		return s.config(c)
	case "commit":
		if !strings.HasPrefix(c.Cmd, "<commit>") {
			return errorXML(http.StatusOK, "18", "Malformed command")
		}
		if s.candidate.equal(s.running) {
			return xmlResponse(http.StatusOK, `<response status="success" code="19"><msg>There are no changes to commit.</msg></response>`)
		}
		j := &job{id: len(s.jobs) + 1, status: "ACT", result: "PEND", config: s.candidate.clone(), fail: s.failCommit}
		s.failCommit = ""
		s.jobs = append(s.jobs, j)
		return xmlResponse(http.StatusOK, fmt.Sprintf(`<response status="success" code="19"><result><msg><line>Commit job enqueued with jobid %d</line></msg><job>%d</job></result></response>`, j.id, j.id))
	case "op":
		m := jobCmd.FindStringSubmatch(c.Cmd)
		if m == nil {
			return errorXML(http.StatusOK, "17", "Invalid syntax.")
		}
		id, _ := strconv.Atoi(m[1])
		if id < 1 || id > len(s.jobs) {
			return errorXML(http.StatusOK, "7", "job "+m[1]+" not found")
		}
		j := s.jobs[id-1]
		if j.status != "FIN" {
			j.polls++
			if j.polls >= s.polls {
				j.status = "FIN"
				if j.fail != "" {
					j.result, j.detail = "FAIL", j.fail
				} else {
					j.result, j.detail = "OK", "Configuration committed successfully"
					s.running = j.config
				}
			}
		}
		progress := "50"
		if j.status == "FIN" {
			progress = "100"
		}
		return xmlResponse(http.StatusOK, fmt.Sprintf(`<response status="success"><result><job><tenq>2026/12/07 14:00:00</tenq><id>%d</id><user>socflow</user><type>Commit</type><status>%s</status><queued>NO</queued><stoppable>no</stoppable><result>%s</result><tfin>14:00:10</tfin><description></description><positionInQ>0</positionInQ><progress>%s</progress><details><line>%s</line></details><warnings></warnings></job></result></response>`,
			j.id, j.status, j.result, progress, esc(j.detail)))
	}
	return errorXML(http.StatusBadRequest, "18", "Malformed request: type "+c.Type)
}

func (s *Server) config(c Call) response {
	m := vsysXPath.FindStringSubmatch(c.XPath)
	if m == nil {
		return errorXML(http.StatusOK, "6", "Bad XPath")
	}
	vsys, rest := m[1], m[2]
	cfg := s.candidate
	if c.Action == "show" {
		cfg = s.running
	}
	if g := objectXPath.FindStringSubmatch(rest); g != nil {
		k := vsys + "/" + g[1]
		switch c.Action {
		case "get", "show":
			v, ok := cfg.objects[k]
			if !ok {
				return notThere(c.Action)
			}
			return xmlResponse(http.StatusOK, fmt.Sprintf(`<response status="success" code="19"><result total-count="1" count="1"><entry name="%s" admin="socflow"><ip-netmask>%s</ip-netmask></entry></result></response>`, esc(g[1]), esc(v)))
		case "set":
			var el struct {
				IP string `xml:"ip-netmask"`
			}
			if err := xml.Unmarshal([]byte("<x>"+c.Element+"</x>"), &el); err != nil || el.IP == "" {
				return errorXML(http.StatusOK, "12", "Invalid Object: address needs ip-netmask")
			}
			cfg.objects[k] = el.IP
			return xmlResponse(http.StatusOK, succeeded)
		case "delete":
			for gk, members := range cfg.groups {
				if strings.HasPrefix(gk, vsys+"/") && slices.Contains(members, g[1]) {
					return errorXML(http.StatusOK, "12", g[1]+" cannot be deleted because of references from: address-group -> "+strings.TrimPrefix(gk, vsys+"/"))
				}
			}
			delete(cfg.objects, k)
			return xmlResponse(http.StatusOK, succeeded)
		}
	}
	if g := groupXPath.FindStringSubmatch(rest); g != nil {
		k := vsys + "/" + g[1]
		switch c.Action {
		case "get", "show":
			members, ok := cfg.groups[k]
			if !ok {
				return notThere(c.Action)
			}
			var b strings.Builder
			for _, mb := range members {
				b.WriteString("<member>" + esc(mb) + "</member>")
			}
			return xmlResponse(http.StatusOK, `<response status="success" code="19"><result total-count="1" count="1"><static admin="socflow">`+b.String()+`</static></result></response>`)
		case "set":
			var el struct {
				Members []string `xml:"member"`
			}
			if err := xml.Unmarshal([]byte("<x>"+c.Element+"</x>"), &el); err != nil || len(el.Members) == 0 {
				return errorXML(http.StatusOK, "12", "Invalid Object: static needs members")
			}
			for _, mb := range el.Members {
				if _, ok := cfg.objects[vsys+"/"+mb]; !ok {
					return errorXML(http.StatusOK, "12", "address-group -> "+g[1]+" -> static '"+mb+"' is not a valid reference")
				}
				if !slices.Contains(cfg.groups[k], mb) {
					cfg.groups[k] = append(cfg.groups[k], mb)
				}
			}
			return xmlResponse(http.StatusOK, succeeded)
		}
	}
	if g := memberXPath.FindStringSubmatch(rest); g != nil && c.Action == "delete" {
		k := vsys + "/" + g[1]
		i := slices.Index(cfg.groups[k], g[2])
		if i < 0 {
			return xmlResponse(http.StatusOK, `<response status="success" code="7"><msg>Object doesn't exist</msg></response>`)
		}
		cfg.groups[k] = slices.Delete(cfg.groups[k], i, i+1)
		return xmlResponse(http.StatusOK, succeeded)
	}
	return errorXML(http.StatusOK, "6", "Bad XPath")
}

// notThere is PAN-OS's answer about a node that does not exist: get
// answers an empty result, show an error.
func notThere(action string) response {
	if action == "show" {
		return errorXML(http.StatusOK, "7", "No such node")
	}
	return xmlResponse(http.StatusOK, `<response status="success" code="7"><result/></response>`)
}
