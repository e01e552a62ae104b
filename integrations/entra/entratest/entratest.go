// Package entratest is a loopback fake of the parts of Microsoft Graph and
// the Microsoft identity platform that package entra calls: the
// client-credentials token endpoint, reading and updating a user's
// accountEnabled, and revokeSignInSessions, answering with Graph's
// documented bodies and errors. Every Graph call must carry a bearer
// token the fake issued (or DefaultToken). Tests mount it on
// httptest.NewServer and script failures with FailNext; Start serves it
// for long-running use.
package entratest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultToken is the access token the fake accepts, and the one its token
// endpoint issues, unless WithToken says otherwise.
const DefaultToken = "entratest-token"

// GraphPath is where the fake serves Graph: a client's base URL is the
// server's URL and GraphPath.
const GraphPath = "/v1.0"

// TokenPath is the fake's token endpoint for a tenant, as the Microsoft
// identity platform spells it.
func TokenPath(tenant string) string { return "/" + tenant + "/oauth2/v2.0/token" }

// User is an account the fake knows.
type User struct {
	// ID is the object ID; empty derives a stable GUID from the UPN.
	ID                string
	UserPrincipalName string
	DisplayName       string
	// Disabled is accountEnabled false; the zero value is an enabled user.
	Disabled bool
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the unescaped request path.
	Path string
	// Query is the raw query string.
	Query string
	Body  string
	// Bearer reports whether the request carried a bearer token at all.
	Bearer bool
	Status int
}

// Fault is a scripted failure; its Body replaces the Graph error body the
// fake derives from Status.
type Fault = loopback.Fault

// Option configures a Server.
type Option func(*Server)

// WithToken sets the access token the fake accepts and issues.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithClient sets the client ID and secret the token endpoint accepts;
// without it any pair is accepted.
func WithClient(id, secret string) Option {
	return func(s *Server) { s.clientID, s.clientSecret = id, secret }
}

// WithUsers fixes the fake's directory: any other UPN or ID is a 404.
// Without it the fake makes up an enabled user for every UPN it is asked
// about.
func WithUsers(us ...User) Option {
	return func(s *Server) {
		s.fixed = true
		for _, u := range us {
			s.addUser(u)
		}
	}
}

// Server is the fake. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext (whose pattern is an optional method and a path
// over the unescaped path, such as "PATCH /v1.0/users/*"), Fail and Close
// come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu                     sync.Mutex
	token                  string
	clientID, clientSecret string
	fixed                  bool
	users                  []*user
}

type user struct {
	User
	revocations int
}

// New returns a fake that accepts DefaultToken and knows any UPN.
func New(opts ...Option) *Server {
	s := &Server{token: DefaultToken}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL (without GraphPath).
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("entratest", addr, s)
}

// Enabled reports whether the user with this UPN or ID is enabled; an
// unknown user is not.
func (s *Server) Enabled(upnOrID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(upnOrID)
	return u != nil && !u.Disabled
}

// Revocations counts the revokeSignInSessions calls that succeeded for the
// user with this UPN or ID.
func (s *Server) Revocations(upnOrID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.find(upnOrID); u != nil {
		return u.revocations
	}
	return 0
}

// ServeHTTP answers one call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() loopback.Response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r, body)
	}, faultResponse)
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.Record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body),
		Bearer: strings.EqualFold(scheme, "Bearer"), Status: resp.Status})
	if !answered {
		return
	}
	h := resp.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("request-id", newGUID())
	resp.Header = h
	resp.Write(w, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request, body []byte) loopback.Response {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		return s.issueToken(r, body)
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case token == "" || !strings.EqualFold(scheme, "Bearer"):
		return graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	case token != s.token:
		return graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	}
	// Split the escaped path, so that a UPN holding a '/' stays one
	// segment.
	var seg []string
	for _, p := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			return graphError(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+p+"'.")
		}
		seg = append(seg, u)
	}
	if len(seg) < 3 || "/"+seg[0] != GraphPath || seg[1] != "users" {
		return graphError(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+strings.Join(seg, "/")+"'.")
	}
	u := s.find(seg[2])
	if u == nil && !s.fixed && !looksLikeGUID(seg[2]) && strings.Contains(seg[2], "@") {
		u = s.addUser(User{UserPrincipalName: seg[2]})
	}
	if u == nil {
		return userNotFound(seg[2])
	}
	switch {
	case len(seg) == 3 && r.Method == http.MethodGet:
		return loopback.JSON(http.StatusOK, s.userJSON(u, r.URL.Query().Get("$select")))
	case len(seg) == 3 && r.Method == http.MethodPatch:
		var in map[string]json.RawMessage
		if err := json.Unmarshal(body, &in); err != nil {
			return graphError(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		}
		raw, ok := in["accountEnabled"]
		var enabled bool
		if ok && json.Unmarshal(raw, &enabled) != nil {
			return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'accountEnabled' of resource 'User'.")
		}
		if ok {
			u.Disabled = !enabled
		}
		// Graph answers an update with no content.
		return loopback.Response{Status: http.StatusNoContent}
	case len(seg) == 4 && seg[3] == "revokeSignInSessions" && r.Method == http.MethodPost:
		u.revocations++
		return loopback.JSON(http.StatusOK, map[string]any{
			"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
			"value":          true,
		})
	case len(seg) > 4 || (len(seg) == 4 && seg[3] != "revokeSignInSessions"):
		return graphError(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg[len(seg)-1]+"'.")
	}
	return graphError(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

// issueToken answers the client-credentials grant as the Microsoft
// identity platform does.
func (s *Server) issueToken(r *http.Request, body []byte) loopback.Response {
	form, err := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil || form.Get("grant_type") != "client_credentials" {
		return tokenError(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if s.clientID != "" && (id != s.clientID || secret != s.clientSecret) {
		return tokenError(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	}
	if scope := form.Get("scope"); scope != "https://graph.microsoft.com/.default" {
		return tokenError(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope "+scope+" is not valid.")
	}
	return loopback.JSON(http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     3599,
		"ext_expires_in": 3599,
		"access_token":   s.token,
	})
}

// userJSON is Graph's user resource, cut to $select as Graph cuts it.
func (s *Server) userJSON(u *user, sel string) map[string]any {
	full := map[string]any{
		"id":                u.ID,
		"userPrincipalName": u.UserPrincipalName,
		"displayName":       u.DisplayName,
		"mail":              u.UserPrincipalName,
		"accountEnabled":    !u.Disabled,
		"businessPhones":    []string{},
		"givenName":         nil,
		"surname":           nil,
		"jobTitle":          nil,
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": nil,
	}
	out := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity"}
	if sel == "" {
		// Without $select, Graph returns its default set, which lacks
		// accountEnabled.
		delete(full, "accountEnabled")
		for k, v := range full {
			out[k] = v
		}
		return out
	}
	out["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users(" + sel + ")/$entity"
	for _, k := range strings.Split(sel, ",") {
		if v, ok := full[strings.TrimSpace(k)]; ok {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out
}

// find looks a user up by object ID or UPN; UPNs ignore case, as Graph's
// do.
func (s *Server) find(key string) *user {
	for _, u := range s.users {
		if strings.EqualFold(u.ID, key) || strings.EqualFold(u.UserPrincipalName, key) {
			return u
		}
	}
	return nil
}

func (s *Server) addUser(in User) *user {
	if in.ID == "" {
		in.ID = stableGUID(strings.ToLower(in.UserPrincipalName))
	}
	if in.DisplayName == "" {
		in.DisplayName, _, _ = strings.Cut(in.UserPrincipalName, "@")
	}
	u := &user{User: in}
	s.users = append(s.users, u)
	return u
}

func faultResponse(f Fault) loopback.Response {
	code, msg := "BadRequest", "Bad request."
	switch f.Status {
	case http.StatusUnauthorized:
		code, msg = "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
	case http.StatusForbidden:
		code, msg = "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		code, msg = "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."
	case http.StatusTooManyRequests:
		code, msg = "TooManyRequests", "Too many requests."
	case http.StatusServiceUnavailable:
		code, msg = "serviceNotAvailable", "The service is temporarily unavailable."
	default:
		if f.Status >= 500 {
			code, msg = "generalException", "An unspecified error has occurred."
		}
	}
	return f.Answer(graphError(f.Status, code, msg))
}

// graphError is Graph's error body.
func graphError(status int, code, msg string) loopback.Response {
	return loopback.JSON(status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"innerError": map[string]string{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        newGUID(),
			"client-request-id": newGUID(),
		},
	}})
}

// tokenError is the identity platform's OAuth2 error body.
func tokenError(status int, code, desc string) loopback.Response {
	return loopback.JSON(status, map[string]any{
		"error":             code,
		"error_description": desc,
		"error_codes":       []int{},
		"trace_id":          newGUID(),
		"correlation_id":    newGUID(),
	})
}

func userNotFound(key string) loopback.Response {
	return graphError(http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+key+"' does not exist or one of its queried reference-property objects are not present.")
}

// stableGUID derives an object ID from s, so that it is stable across
// restarts of a long-running fake.
func stableGUID(s string) string {
	sum := sha1.Sum([]byte(s))
	return formatGUID(sum[:16])
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return formatGUID(b)
}

func formatGUID(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// looksLikeGUID reports whether s has the shape of an object ID; the fake
// does not invent users for those.
func looksLikeGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}
