package okta_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
)

// setup serves h on a loopback server and returns a client for it.
func setup(t *testing.T, h http.Handler, token string) *okta.Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := okta.New(ts.Client(), ts.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func lifecycleCalls(fake *oktatest.Server) []string {
	var out []string
	for _, c := range fake.Calls() {
		if strings.Contains(c.Path, "/lifecycle/") {
			out = append(out, c.Path)
		}
	}
	return out
}

func statusError(t *testing.T, err error, code int) *httpx.StatusError {
	t.Helper()
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a *httpx.StatusError", err)
	}
	if se.Code != code {
		t.Fatalf("status = %d, want %d (%v)", se.Code, code, err)
	}
	return se
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, base, token string
		notConfigured     bool
		ok                bool
	}{
		{"ok", "https://example.okta.com", "t", false, true},
		{"no URL", "", "t", true, false},
		{"no token", "https://example.okta.com", "", true, false},
		{"not a URL", "example.okta.com", "t", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := okta.New(nil, tt.base, tt.token)
			if (err == nil) != tt.ok || (c != nil) != tt.ok {
				t.Fatalf("New = %v, %v; want ok=%v", c, err, tt.ok)
			}
			if errors.Is(err, httpx.ErrNotConfigured) != tt.notConfigured {
				t.Errorf("error = %v; want ErrNotConfigured: %v", err, tt.notConfigured)
			}
		})
	}
}

// TestDisableAndEnable: disable suspends the user by ID and clears the
// sessions; the state read shows SUSPENDED; enable unsuspends.
func TestDisableAndEnable(t *testing.T) {
	ctx := context.Background()
	fake := oktatest.New(oktatest.WithUsers(oktatest.User{ID: "00uALICE000000000001", Login: "alice.smith@example.com"}))
	c := setup(t, fake, oktatest.DefaultToken)

	if u, err := c.GetUser(ctx, "alice.smith@example.com"); err != nil || u.Status != okta.StatusActive {
		t.Fatalf("before = %+v, %v", u, err)
	}
	if err := c.DisableUser(ctx, "Alice.Smith@example.com"); err != nil {
		t.Fatal(err)
	}
	if !fake.Suspended("alice.smith@example.com") || fake.SessionsCleared("alice.smith@example.com") != 1 {
		t.Fatalf("suspended %v, sessions cleared %d", fake.Suspended("alice.smith@example.com"), fake.SessionsCleared("alice.smith@example.com"))
	}
	if u, err := c.GetUser(ctx, "alice.smith@example.com"); err != nil || u.Status != okta.StatusSuspended {
		t.Fatalf("verify = %+v, %v", u, err)
	}
	if err := c.EnableUser(ctx, "alice.smith@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := fake.Status("alice.smith@example.com"); got != okta.StatusActive {
		t.Fatalf("status = %s, want ACTIVE", got)
	}
	want := []string{
		"/api/v1/users/00uALICE000000000001/lifecycle/suspend",
		"/api/v1/users/00uALICE000000000001/lifecycle/unsuspend",
	}
	if got := lifecycleCalls(fake); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lifecycle calls = %v, want %v (by ID, not login)", got, want)
	}
}

// TestLifecycleSendsWhatItIsAsked: the client decides nothing from the
// status (the activity does, from GetUser): it sends the operation, and
// one Okta refuses for the user's status is Okta's 400.
func TestLifecycleSendsWhatItIsAsked(t *testing.T) {
	tests := []struct {
		status  string
		disable bool
		wantErr string
		after   string
	}{
		{okta.StatusActive, true, "", okta.StatusSuspended},
		{okta.StatusSuspended, true, "Cannot suspend a user that is not active", okta.StatusSuspended},
		{okta.StatusLockedOut, true, "Cannot suspend a user that is not active", okta.StatusLockedOut},
		{okta.StatusSuspended, false, "", okta.StatusActive},
		{okta.StatusActive, false, "not suspended", okta.StatusActive},
	}
	for _, tt := range tests {
		name := map[bool]string{true: "disable ", false: "enable "}[tt.disable] + tt.status
		t.Run(name, func(t *testing.T) {
			fake := oktatest.New(oktatest.WithUsers(oktatest.User{Login: "bob@example.com", Status: tt.status}))
			c := setup(t, fake, oktatest.DefaultToken)
			op := c.EnableUser
			if tt.disable {
				op = c.DisableUser
			}
			err := op(context.Background(), "bob@example.com")
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				statusError(t, err, http.StatusBadRequest)
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q lacks Okta's summary %q", err, tt.wantErr)
				}
			}
			if n := len(lifecycleCalls(fake)); n != 1 {
				t.Errorf("%d lifecycle calls, want 1", n)
			}
			if got := fake.Status("bob@example.com"); got != tt.after {
				t.Errorf("status = %s, want %s", got, tt.after)
			}
		})
	}
}

// TestSessionsNotClearedIsAnError: a suspension whose session clearing
// fails is reported, naming both, so that a retry is not mistaken for
// nothing to do.
func TestSessionsNotClearedIsAnError(t *testing.T) {
	fake := oktatest.New(oktatest.WithUsers(oktatest.User{ID: "00uBOB00000000000001", Login: "bob@example.com"}))
	c := setup(t, fake, oktatest.DefaultToken)
	fake.FailNext("DELETE /api/v1/users/*/sessions", http.StatusServiceUnavailable, 1, "")
	err := c.DisableUser(context.Background(), "bob@example.com")
	if se := statusError(t, err, http.StatusServiceUnavailable); !se.Retryable() || !strings.Contains(err.Error(), "suspended bob@example.com, but") {
		t.Errorf("error = %v", err)
	}
}

func TestLoginsAreEscaped(t *testing.T) {
	fake := oktatest.New(oktatest.WithUsers(oktatest.User{Login: "ops/oncall@example.com"}))
	c := setup(t, fake, oktatest.DefaultToken)
	if err := c.DisableUser(context.Background(), "ops/oncall@example.com"); err != nil {
		t.Fatal(err)
	}
	if !fake.Suspended("ops/oncall@example.com") {
		t.Fatal("not suspended")
	}
}

func TestRefusedUsers(t *testing.T) {
	for _, user := range []string{"", "  ", "me", "ME"} {
		fake := oktatest.New()
		c := setup(t, fake, oktatest.DefaultToken)
		err := c.DisableUser(context.Background(), user)
		statusError(t, err, http.StatusBadRequest)
		if n := len(fake.Calls()); n != 0 {
			t.Errorf("%q: requests = %d, want none", user, n)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		token      string
		fail       string
		status     int
		retryAfter string
		enable     bool
		wantCode   int
		wantAfter  [2]time.Duration // inclusive range
		wantText   string
	}{
		{name: "wrong token", token: "stale", wantCode: 401, wantText: "E0000011: Invalid token provided"},
		{name: "rate limited with Retry-After", fail: "GET /api/v1/users/*", status: 429, retryAfter: "7",
			wantCode: 429, wantAfter: [2]time.Duration{7 * time.Second, 7 * time.Second}, wantText: "E0000047"},
		// Okta's own 429 has only X-Rate-Limit-Reset, 60s ahead in the fake.
		{name: "rate limited with reset only", fail: "POST /api/v1/users/*/lifecycle/suspend", status: 429,
			wantCode: 429, wantAfter: [2]time.Duration{59 * time.Second, 61 * time.Second}},
		{name: "server error", fail: "POST /api/v1/users/*/lifecycle/suspend", status: 500, wantCode: 500, wantText: "E0000009"},
		{name: "forbidden unsuspend", fail: "POST /api/v1/users/*/lifecycle/unsuspend", status: 403, enable: true,
			wantCode: 403, wantText: "You do not have permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := okta.StatusActive
			if tt.enable {
				status = okta.StatusSuspended
			}
			fake := oktatest.New(oktatest.WithUsers(oktatest.User{Login: "bob@example.com", Status: status}))
			if tt.fail != "" {
				fake.FailNext(tt.fail, tt.status, 1, tt.retryAfter)
			}
			token := tt.token
			if token == "" {
				token = oktatest.DefaultToken
			}
			c := setup(t, fake, token)
			op := c.DisableUser
			if tt.enable {
				op = c.EnableUser
			}
			err := op(ctx, "bob@example.com")
			se := statusError(t, err, tt.wantCode)
			if se.RetryAfter < tt.wantAfter[0] || se.RetryAfter > tt.wantAfter[1] {
				t.Errorf("RetryAfter = %v, want %v..%v", se.RetryAfter, tt.wantAfter[0], tt.wantAfter[1])
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), `"errorCode"`) {
				t.Errorf("error %q carries Okta's raw body", err)
			}
		})
	}
}

func TestUnknownUserIsNotFound(t *testing.T) {
	fake := oktatest.New(oktatest.WithUsers())
	c := setup(t, fake, oktatest.DefaultToken)
	err := c.DisableUser(context.Background(), "ghost@example.com")
	statusError(t, err, http.StatusNotFound)
	if !strings.Contains(err.Error(), "ghost@example.com") {
		t.Errorf("error %q does not name the user", err)
	}
	if !activities.IsType(activities.Classify("disable user", err), activities.ErrNotFound) {
		t.Errorf("Classify(%v) is not %s", err, activities.ErrNotFound)
	}
}

func TestErrorCausesAreReported(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"errorCode":"E0000001","errorSummary":"Api validation failed: login","errorLink":"E0000001","errorId":"oaeXYZ","errorCauses":[{"errorSummary":"login: must be an email"}]}`))
	})
	_, err := setup(t, h, "t").GetUser(context.Background(), "bob")
	se := statusError(t, err, http.StatusBadRequest)
	if want := "E0000001: Api validation failed: login; login: must be an email (errorId oaeXYZ)"; se.Body != want {
		t.Errorf("body = %q, want %q", se.Body, want)
	}
}

// TestRealBodies reads a user object recorded from Okta's documentation,
// not the fake's.
func TestRealBodies(t *testing.T) {
	raw, err := os.ReadFile("testdata/example_ListUsersResponse.json")
	if err != nil {
		t.Fatal(err)
	}
	var users []json.RawMessage
	if err := json.Unmarshal(raw, &users); err != nil {
		t.Fatal(err)
	}
	var suspended string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "SSWS t" {
			t.Errorf("Authorization = %q", got)
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/users/alice.smith@example.com":
			w.Write(users[0])
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/lifecycle/suspend"):
			suspended = r.URL.Path
			w.Write([]byte(`{}`))
		case r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/sessions"):
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	})
	c := setup(t, h, "t")
	u, err := c.GetUser(context.Background(), "alice.smith@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "00u118oQYT4TBTemp0g4" || u.Status != okta.StatusActive || u.Profile.Login != "alice.smith@example.com" {
		t.Errorf("user = %+v", u)
	}
	if err := c.DisableUser(context.Background(), "alice.smith@example.com"); err != nil {
		t.Fatal(err)
	}
	if suspended != "/api/v1/users/00u118oQYT4TBTemp0g4/lifecycle/suspend" {
		t.Errorf("suspended %q", suspended)
	}
}

func TestRevokeSessions(t *testing.T) {
	fake := oktatest.New(oktatest.WithUsers(oktatest.User{ID: "00uALICE000000000001", Login: "alice.smith@example.com"}))
	var query string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			query = r.URL.RawQuery
		}
		fake.ServeHTTP(w, r)
	})
	c := setup(t, h, oktatest.DefaultToken)
	for range 2 {
		if err := c.RevokeSessions(context.Background(), "alice.smith@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.SessionsCleared("alice.smith@example.com"); n != 2 {
		t.Errorf("sessions cleared %d times, want 2 (repeating is harmless)", n)
	}
	if query != "oauthTokens=true" {
		t.Errorf("query = %q, want the OAuth tokens revoked too", query)
	}
	if got := fake.Calls()[1]; got.Method != http.MethodDelete || got.Path != "/api/v1/users/00uALICE000000000001/sessions" || got.Status != http.StatusNoContent {
		t.Errorf("call = %+v, want DELETE by ID answered 204", got)
	}
	if fake.Suspended("alice.smith@example.com") {
		t.Error("clearing sessions suspended the user")
	}

	fake.FailNext("DELETE /api/v1/users/*/sessions", http.StatusForbidden, 1, "")
	err := c.RevokeSessions(context.Background(), "alice.smith@example.com")
	statusError(t, err, http.StatusForbidden)
	if !strings.Contains(err.Error(), "E0000006") || !strings.Contains(err.Error(), "revoke sessions of alice.smith@example.com") {
		t.Errorf("error %q lacks Okta's summary or the user", err)
	}
}
