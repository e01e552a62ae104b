package falcontest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// IOC is a custom indicator the fake knows, as IOC Management keeps one.
type IOC struct {
	// Type is "sha256", "md5", "domain", "ipv4" or "ipv6".
	Type  string
	Value string
	// Action is "no_action", "allow", "prevent_no_ui", "detect" or
	// "prevent".
	Action string
	// Source defaults to "console"; CreatedBy to a console user.
	Source    string
	CreatedBy string
	Expired   bool
}

// WithIOCs adds custom indicators made before socflow came, as another
// team's in the console.
func WithIOCs(iocs ...IOC) Option {
	return func(s *Server) {
		for _, i := range iocs {
			s.addIOC(iocJSON{Type: i.Type, Value: strings.ToLower(i.Value), Action: i.Action, Severity: "medium",
				Source: orDefault(i.Source, "console"), CreatedBy: orDefault(i.CreatedBy, "analyst@falcontest.invalid"),
				Expired: i.Expired, Platforms: []string{"windows"}, AppliedGlobally: true})
		}
	}
}

// Prevented reports whether a live custom IOC prevents value (a hash).
func (s *Server) Prevented(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.iocs {
		if strings.EqualFold(i.Value, value) && !i.Expired && (i.Action == "prevent" || i.Action == "prevent_no_ui") {
			return true
		}
	}
	return false
}

// iocJSON is IOC Management's api.IndicatorV1 entity, as its API
// reference documents it.
type iocJSON struct {
	ID              string         `json:"id"`
	Type            string         `json:"type"`
	Value           string         `json:"value"`
	Action          string         `json:"action"`
	MobileAction    string         `json:"mobile_action,omitempty"`
	Severity        string         `json:"severity"`
	Description     string         `json:"description"`
	Platforms       []string       `json:"platforms"`
	Tags            []string       `json:"tags"`
	Expiration      string         `json:"expiration,omitempty"`
	Expired         bool           `json:"expired"`
	Deleted         bool           `json:"deleted"`
	AppliedGlobally bool           `json:"applied_globally"`
	HostGroups      []string       `json:"host_groups,omitempty"`
	FromParent      bool           `json:"from_parent"`
	Source          string         `json:"source,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	CreatedOn       string         `json:"created_on"`
	CreatedBy       string         `json:"created_by"`
	ModifiedOn      string         `json:"modified_on"`
	ModifiedBy      string         `json:"modified_by"`
}

// addIOC stores an IOC with an ID like Falcon's (64 hex digits); s.mu is
// held, or the Server is being built.
func (s *Server) addIOC(i iocJSON) *iocJSON {
	s.nextIOC++
	sum := sha256.Sum256([]byte(i.Type + ":" + i.Value + ":" + strconv.Itoa(s.nextIOC)))
	i.ID = hex.EncodeToString(sum[:])
	now := s.now().UTC().Format(time.RFC3339Nano)
	if i.CreatedOn == "" {
		i.CreatedOn = now
	}
	i.ModifiedOn, i.ModifiedBy = now, i.CreatedBy
	if i.Tags == nil {
		i.Tags = []string{}
	}
	p := &i
	s.iocs = append(s.iocs, p)
	return p
}

func (s *Server) iocMeta(total int) meta {
	return meta{QueryTime: 0.003, PoweredBy: "ioc-manager", TraceID: traceID(), Pagination: &pagination{Offset: 0, Limit: 100, Total: total}}
}

// createIOCs answers POST /iocs/entities/indicators/v1: each indicator is
// checked as IOC Management checks it, and one whose type and value an
// IOC already has is refused as a duplicate.
func (s *Server) createIOCs(body []byte) response {
	var req struct {
		Comment    string `json:"comment"`
		Indicators []struct {
			Type            string   `json:"type"`
			Value           string   `json:"value"`
			Action          string   `json:"action"`
			Severity        string   `json:"severity"`
			Description     string   `json:"description"`
			Platforms       []string `json:"platforms"`
			AppliedGlobally bool     `json:"applied_globally"`
			HostGroups      []string `json:"host_groups"`
			Source          string   `json:"source"`
		} `json:"indicators"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Indicators) == 0 {
		return errorResponse(http.StatusBadRequest, `body must be {"indicators": [{"type", "value", "action", ...}]}`)
	}
	var out []iocJSON
	var errs []apiError
	for _, in := range req.Indicators {
		value := strings.ToLower(in.Value)
		msg := ""
		switch {
		case !slices.Contains([]string{"sha256", "md5", "domain", "ipv4", "ipv6"}, in.Type):
			msg = "Invalid type " + strconv.Quote(in.Type)
		case in.Type == "sha256" && !isHex(value, 64), in.Type == "md5" && !isHex(value, 32):
			msg = "Invalid value " + strconv.Quote(in.Value) + " for type " + in.Type
		case !slices.Contains([]string{"no_action", "allow", "prevent_no_ui", "detect", "prevent"}, in.Action):
			msg = "Invalid action " + strconv.Quote(in.Action)
		case (in.Action == "prevent" || in.Action == "detect") && !slices.Contains([]string{"informational", "low", "medium", "high", "critical"}, in.Severity):
			msg = "Severity is required for action " + in.Action
		case len(in.Platforms) == 0:
			msg = "Platforms is required"
		case !in.AppliedGlobally && len(in.HostGroups) == 0:
			msg = "Either applied_globally or host_groups is required"
		case slices.ContainsFunc(s.iocs, func(i *iocJSON) bool { return !i.Deleted && i.Type == in.Type && i.Value == value }):
			msg = "Duplicate type: '" + in.Type + "' and value: '" + value + "' combination."
		}
		if msg != "" {
			errs = append(errs, apiError{Code: http.StatusBadRequest, Message: msg})
			continue
		}
		out = append(out, *s.addIOC(iocJSON{Type: in.Type, Value: value, Action: in.Action, Severity: in.Severity,
			Description: in.Description, Platforms: in.Platforms, AppliedGlobally: in.AppliedGlobally, HostGroups: in.HostGroups,
			Source: in.Source, CreatedBy: clientUser, Metadata: map[string]any{}}))
	}
	if errs == nil {
		errs = []apiError{}
	}
	status := http.StatusCreated
	if len(out) == 0 {
		status, out = http.StatusBadRequest, []iocJSON{}
	}
	return loopback.JSON(status, page[iocJSON]{Meta: s.iocMeta(len(out)), Resources: out, Errors: errs})
}

// clientUser is who the fake says created an IOC through the API: Falcon
// records the API client.
const clientUser = "api-client-id:" + DefaultClientID

// deleteIOCs answers DELETE /iocs/entities/indicators/v1?ids=...: the IDs
// deleted, 404 when none of them is known.
func (s *Server) deleteIOCs(ids []string) response {
	var done []string
	var errs []apiError
	for _, id := range ids {
		i := slices.IndexFunc(s.iocs, func(i *iocJSON) bool { return i.ID == id && !i.Deleted })
		if i < 0 {
			errs = append(errs, apiError{Code: http.StatusNotFound, Message: "Could not find indicator " + id, ID: id})
			continue
		}
		s.iocs = slices.Delete(s.iocs, i, i+1)
		done = append(done, id)
	}
	status := http.StatusOK
	if len(done) == 0 {
		status, done = http.StatusNotFound, []string{}
	}
	if errs == nil {
		errs = []apiError{}
	}
	return loopback.JSON(status, page[string]{Meta: s.iocMeta(len(done)), Resources: done, Errors: errs})
}

// combinedIOCs answers GET /iocs/combined/indicator/v1 for an FQL filter
// of the form package falcon sends: type:'T'+value:'V', in either order.
func (s *Server) combinedIOCs(filter string) response {
	want := map[string]string{}
	for _, term := range strings.Split(filter, "+") {
		k, v, ok := strings.Cut(term, ":")
		if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' || (k != "type" && k != "value") {
			return errorResponse(http.StatusBadRequest, "falcontest supports only filter=type:'T'+value:'V', not "+strconv.Quote(filter))
		}
		want[k] = v[1 : len(v)-1]
	}
	out := []iocJSON{}
	for _, i := range s.iocs {
		if (want["type"] == "" || i.Type == want["type"]) && (want["value"] == "" || strings.EqualFold(i.Value, want["value"])) {
			out = append(out, *i)
		}
	}
	return loopback.JSON(http.StatusOK, page[iocJSON]{Meta: s.iocMeta(len(out)), Resources: out, Errors: []apiError{}})
}

func isHex(s string, n int) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) == n
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
