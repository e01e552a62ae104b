// Package oktatest is a loopback fake of Okta's Users API: user lookup by
// ID or login, the suspend and unsuspend lifecycle operations and the
// clearing of sessions that package okta calls, answering with Okta's documented bodies and errors.
// Tests mount it on httptest.NewServer and script failures with FailNext;
// `socflow dev` runs it with Start as a built-in identity provider that
// knows every login it is asked about.
package oktatest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// DefaultToken is the API token a Server accepts unless WithToken says
// otherwise.
const DefaultToken = "oktatest-token"

// rateLimit is the per-minute limit the fake announces in its
// X-Rate-Limit headers.
const rateLimit = 600

// timeLayout is how Okta writes timestamps.
const timeLayout = "2006-01-02T15:04:05.000Z"

// User is an account the fake knows.
type User struct {
	// ID is Okta's user ID; empty derives a stable one from the login.
	ID        string
	Login     string
	Email     string
	FirstName string
	LastName  string
	// Status defaults to ACTIVE.
	Status string
}

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the unescaped request path.
	Path   string
	Body   string
	Status int
}

// Fault is a scripted failure; its Body replaces the Okta error body the
// fake derives from Status. Okta itself sends no Retry-After: a 429 always
// carries X-Rate-Limit-Reset, set RetryAfter seconds ahead (60 when
// RetryAfter is empty or a date).
type Fault = loopback.Fault

// Option configures a Server.
type Option func(*Server)

// WithToken sets the API token the fake accepts.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithUsers fixes the fake's directory: any other login or ID is a 404.
// Without it the fake makes up an ACTIVE user for every login it is asked
// about.
func WithUsers(us ...User) Option {
	return func(s *Server) {
		s.fixed = true
		for _, u := range us {
			s.addUser(u)
		}
	}
}

// Server is the fake API. It is an http.Handler and is safe for concurrent
// use. Calls, FailNext (whose pattern is an optional method and a path
// over the unescaped path, such as "POST
// /api/v1/users/*/lifecycle/suspend"), Fail and Close come with its
// loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu    sync.Mutex
	token string
	fixed bool
	users []*userJSON
}

// New returns a fake that accepts DefaultToken and knows any login.
func New(opts ...Option) *Server {
	s := &Server{token: DefaultToken}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns its
// base URL. It is for long-running use such as `socflow dev`; tests can
// mount the Server on httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	return s.Recorder.Start("oktatest", addr, s)
}

// Status returns the status of the user with this login or ID, or "" for
// a user the fake does not know.
func (s *Server) Status(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.find(user); u != nil {
		return u.Status
	}
	return ""
}

// SessionsCleared counts the calls that cleared the sessions of the user
// with this login or ID.
func (s *Server) SessionsCleared(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.find(user); u != nil {
		return u.sessionsCleared
	}
	return 0
}

// Suspended reports whether the user with this login or ID is suspended.
func (s *Server) Suspended(user string) bool {
	return s.Status(user) == "SUSPENDED"
}

type response = loopback.Response

// ServeHTTP answers one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	resp, answered := loopback.Respond(&s.Recorder, r, r.URL.Path, func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.route(r, now)
	}, func(f Fault) response { return faultResponse(f, now) })
	s.Record(Call{Method: r.Method, Path: r.URL.Path, Body: string(body), Status: resp.Status})
	if !answered {
		return
	}
	// Okta reports its rate limit on every answer, and the time it
	// measured the reset against.
	h := resp.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(rateLimit))
	if h.Get("X-Rate-Limit-Reset") == "" {
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(rateLimit-1))
		h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(time.Minute).Unix(), 10))
	}
	resp.Header = h
	resp.Write(w, "application/json")
}

// route works out the answer; s.mu is held.
func (s *Server) route(r *http.Request, now time.Time) response {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if scheme != "SSWS" || token != s.token || token == "" {
		return errorResponse(http.StatusUnauthorized, "E0000011", "Invalid token provided")
	}
	// Split the escaped path, so that a login holding a '/' stays one
	// segment.
	var seg []string
	for _, p := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "E0000001", "Api validation failed: malformed path")
		}
		seg = append(seg, u)
	}
	if len(seg) < 4 || seg[0] != "api" || seg[1] != "v1" || seg[2] != "users" {
		return errorResponse(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path)
	}
	switch {
	case len(seg) == 4:
		if r.Method != http.MethodGet {
			return methodNotAllowed()
		}
		u := s.find(seg[3])
		if u == nil && !s.fixed && !looksLikeID(seg[3]) {
			u = s.addUser(User{Login: seg[3]})
		}
		if u == nil {
			return userNotFound(seg[3])
		}
		out := *u
		out.Links.Self.Href = "http://" + r.Host + "/api/v1/users/" + u.ID
		return jsonResponse(http.StatusOK, out)
	case len(seg) == 5 && seg[4] == "sessions":
		if r.Method != http.MethodDelete {
			return methodNotAllowed()
		}
		u := s.byID(seg[3])
		if u == nil {
			return userNotFound(seg[3])
		}
		// Okta clears sessions whether or not there are any.
		u.sessionsCleared++
		return response{Status: http.StatusNoContent}
	case len(seg) == 6 && seg[4] == "lifecycle" && (seg[5] == "suspend" || seg[5] == "unsuspend"):
		if r.Method != http.MethodPost {
			return methodNotAllowed()
		}
		// Lifecycle operations take the ID, which is why clients look the
		// login up first.
		u := s.byID(seg[3])
		if u == nil {
			return userNotFound(seg[3])
		}
		stamp := now.UTC().Format(timeLayout)
		switch {
		case seg[5] == "suspend" && u.Status == "ACTIVE":
			u.Status = "SUSPENDED"
		case seg[5] == "unsuspend" && u.Status == "SUSPENDED":
			u.Status = "ACTIVE"
		case seg[5] == "suspend":
			return errorResponse(http.StatusBadRequest, "E0000001", "Api validation failed: Cannot suspend a user that is not active")
		default:
			return errorResponse(http.StatusBadRequest, "E0000001", "Api validation failed: Cannot unsuspend a user that is not suspended")
		}
		u.StatusChanged, u.LastUpdated = &stamp, stamp
		return jsonResponse(http.StatusOK, struct{}{})
	}
	return errorResponse(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path)
}

// find looks a user up by ID or by login; logins ignore case, as Okta's do.
func (s *Server) find(idOrLogin string) *userJSON {
	if u := s.byID(idOrLogin); u != nil {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Profile.Login, idOrLogin) {
			return u
		}
	}
	return nil
}

func (s *Server) byID(id string) *userJSON {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (s *Server) addUser(in User) *userJSON {
	id := in.ID
	if id == "" {
		id = userID(in.Login)
	}
	status := in.Status
	if status == "" {
		status = "ACTIVE"
	}
	email := in.Email
	if email == "" && strings.Contains(in.Login, "@") {
		email = in.Login
	}
	first, last := in.FirstName, in.LastName
	if first == "" {
		local, _, _ := strings.Cut(in.Login, "@")
		first, last, _ = strings.Cut(local, ".")
	}
	created := time.Now().UTC().Add(-90 * 24 * time.Hour).Format(timeLayout)
	u := &userJSON{
		ID:              id,
		Status:          status,
		Created:         created,
		Activated:       &created,
		LastUpdated:     created,
		PasswordChanged: &created,
		Type:            map[string]string{"id": "oty1162QAr8hJjTaq0g4"},
		Profile: profileJSON{
			FirstName: first,
			LastName:  last,
			Login:     in.Login,
			Email:     email,
		},
		Credentials: json.RawMessage(`{"password":{},"provider":{"type":"OKTA","name":"OKTA"}}`),
	}
	s.users = append(s.users, u)
	return u
}

// userJSON is Okta's user object.
type userJSON struct {
	ID              string            `json:"id"`
	Status          string            `json:"status"`
	Created         string            `json:"created"`
	Activated       *string           `json:"activated"`
	StatusChanged   *string           `json:"statusChanged"`
	LastLogin       *string           `json:"lastLogin"`
	LastUpdated     string            `json:"lastUpdated"`
	PasswordChanged *string           `json:"passwordChanged"`
	Type            map[string]string `json:"type"`
	Profile         profileJSON       `json:"profile"`
	Credentials     json.RawMessage   `json:"credentials"`
	Links           struct {
		Self struct {
			Href string `json:"href"`
		} `json:"self"`
	} `json:"_links"`

	sessionsCleared int
}

type profileJSON struct {
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	MobilePhone *string `json:"mobilePhone"`
	SecondEmail *string `json:"secondEmail"`
	Login       string  `json:"login"`
	Email       string  `json:"email"`
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// userID derives an Okta-shaped ID ("00u" and 17 letters and digits) from
// the login, so that it is stable across dev server restarts.
func userID(login string) string {
	sum := sha1.Sum([]byte(strings.ToLower(login)))
	n := new(big.Int).SetBytes(sum[:])
	base := big.NewInt(int64(len(idAlphabet)))
	var b strings.Builder
	b.WriteString("00u")
	for range 17 {
		var r big.Int
		n.DivMod(n, base, &r)
		b.WriteByte(idAlphabet[r.Int64()])
	}
	return b.String()
}

// looksLikeID reports whether s has the shape of an Okta user ID; the fake
// does not invent users for those.
func looksLikeID(s string) bool {
	return len(s) == 20 && strings.HasPrefix(s, "00u") && strings.Trim(s, idAlphabet) == ""
}

func userNotFound(idOrLogin string) response {
	return errorResponse(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+idOrLogin+" (User)")
}

func methodNotAllowed() response {
	return errorResponse(http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
}

func faultResponse(f Fault, now time.Time) response {
	code, summary := "E0000001", "Api validation failed"
	switch f.Status {
	case http.StatusUnauthorized:
		code, summary = "E0000011", "Invalid token provided"
	case http.StatusForbidden:
		code, summary = "E0000006", "You do not have permission to perform the requested action"
	case http.StatusNotFound:
		code, summary = "E0000007", "Not found: Resource not found"
	case http.StatusTooManyRequests:
		code, summary = "E0000047", "API call exceeded rate limit due to too many requests."
	default:
		if f.Status >= 500 {
			code, summary = "E0000009", "Internal Server Error"
		}
	}
	resp := f.Answer(errorResponse(f.Status, code, summary))
	if f.Status == http.StatusTooManyRequests {
		wait := 60
		if n, err := strconv.Atoi(f.RetryAfter); err == nil {
			wait = n
		}
		resp.Header.Set("X-Rate-Limit-Remaining", "0")
		resp.Header.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(time.Duration(wait)*time.Second).Unix(), 10))
	}
	return resp
}

// errorResponse is Okta's error body.
func errorResponse(status int, code, summary string) response {
	return jsonResponse(status, map[string]any{
		"errorCode":    code,
		"errorSummary": summary,
		"errorLink":    code,
		"errorId":      "oae" + randomID(19),
		"errorCauses":  []any{},
	})
}

func jsonResponse(status int, v any) response { return loopback.JSON(status, v) }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}
