package entra_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/entra"
	"github.com/socflow/socflow/integrations/entra/entratest"
	"github.com/socflow/socflow/integrations/httpx"
)

// The lead's coming capability, by its exact signature.
var _ interface {
	RevokeSessions(ctx context.Context, user string) error
} = (*entra.Client)(nil)

const (
	aliceID  = "6e7b768e-07e2-4810-8459-485f84f8f204"
	aliceUPN = "alice@contoso.com"
)

// setup serves h on a loopback server and returns a client for it whose
// HTTP client carries the bearer token, as httpx.Authenticated's does.
func setup(t *testing.T, h http.Handler, token string) *entra.Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	hc, err := httpx.Authenticated(ts.Client(), httpx.TokenAuth{Token: httpx.Redacted(token)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := entra.New(hc, ts.URL+entratest.GraphPath)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// calls lists the fake's calls as "METHOD path".
func calls(fake *entratest.Server) []string {
	var out []string
	for _, c := range fake.Calls() {
		out = append(out, c.Method+" "+c.Path)
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
	if _, err := entra.New(nil, ""); !errors.Is(err, httpx.ErrNotConfigured) {
		t.Errorf("nil client: %v, want ErrNotConfigured", err)
	}
	if _, err := entra.New(&http.Client{}, "graph.microsoft.com"); err == nil {
		t.Error("URL without a scheme accepted")
	}
	if c, err := entra.New(&http.Client{}, ""); err != nil || c == nil {
		t.Errorf("default URL: %v", err)
	}
	if got := entra.TokenURL("contoso.onmicrosoft.com"); got != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" {
		t.Errorf("TokenURL = %s", got)
	}
}

func TestDisableAndEnable(t *testing.T) {
	ctx := context.Background()
	fake := entratest.New(entratest.WithUsers(entratest.User{ID: aliceID, UserPrincipalName: aliceUPN}))
	c := setup(t, fake, entratest.DefaultToken)

	if err := c.DisableUser(ctx, "Alice@Contoso.com"); err != nil {
		t.Fatal(err)
	}
	if fake.Enabled(aliceUPN) || fake.Revocations(aliceUPN) != 1 {
		t.Fatalf("enabled = %v, revocations = %d; want disabled, revoked once", fake.Enabled(aliceUPN), fake.Revocations(aliceUPN))
	}
	if err := c.EnableUser(ctx, aliceUPN); err != nil {
		t.Fatal(err)
	}
	if !fake.Enabled(aliceUPN) {
		t.Fatal("not enabled again")
	}
	want := []string{
		"GET /v1.0/users/Alice@Contoso.com",
		"PATCH /v1.0/users/" + aliceID,
		"POST /v1.0/users/" + aliceID + "/revokeSignInSessions",
		"GET /v1.0/users/" + aliceUPN,
		"PATCH /v1.0/users/" + aliceID,
	}
	if got := calls(fake); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, call := range fake.Calls() {
		if !call.Bearer {
			t.Errorf("%s %s without a bearer token", call.Method, call.Path)
		}
		if call.Method == http.MethodGet && call.Query != "$select=id,userPrincipalName,accountEnabled" {
			t.Errorf("GET query = %q", call.Query)
		}
		if call.Method == http.MethodPatch && !strings.Contains(call.Body, `"accountEnabled"`) {
			t.Errorf("PATCH body = %s", call.Body)
		}
	}
}

// TestStateRead: GetUser is the state the activity decides on: before,
// after the disable (verification) and after the undo; a disabled user
// reads disabled before anything is sent (already so).
func TestStateRead(t *testing.T) {
	ctx := context.Background()
	fake := entratest.New(entratest.WithUsers(
		entratest.User{ID: aliceID, UserPrincipalName: aliceUPN},
		entratest.User{UserPrincipalName: "bob@contoso.com", Disabled: true},
	))
	c := setup(t, fake, entratest.DefaultToken)
	for _, step := range []struct {
		do          func() error
		wantEnabled bool
	}{
		{func() error { return nil }, true},
		{func() error { return c.DisableUser(ctx, aliceUPN) }, false},
		{func() error { return c.EnableUser(ctx, aliceUPN) }, true},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if u, err := c.GetUser(ctx, aliceUPN); err != nil || u.AccountEnabled != step.wantEnabled || u.ID != aliceID {
			t.Fatalf("GetUser = %+v, %v; want accountEnabled %v", u, err, step.wantEnabled)
		}
	}
	if u, err := c.GetUser(ctx, "bob@contoso.com"); err != nil || u.AccountEnabled {
		t.Errorf("disabled user = %+v, %v", u, err)
	}
}

// TestFailedRevocationIsReported: the PATCH took, the revocation failed:
// the error says both, and is retryable.
func TestFailedRevocationIsReported(t *testing.T) {
	fake := entratest.New(entratest.WithUsers(entratest.User{ID: aliceID, UserPrincipalName: aliceUPN}))
	fake.FailNext("POST /v1.0/users/*/revokeSignInSessions", http.StatusServiceUnavailable, 1, "")
	c := setup(t, fake, entratest.DefaultToken)
	err := c.DisableUser(context.Background(), aliceUPN)
	var se *httpx.StatusError
	if !errors.As(err, &se) || !se.Retryable() || !strings.Contains(err.Error(), "disabled "+aliceUPN+", but") {
		t.Fatalf("error = %v", err)
	}
	if fake.Enabled(aliceUPN) {
		t.Error("not disabled")
	}
}

func TestRevokeSessions(t *testing.T) {
	fake := entratest.New(entratest.WithUsers(entratest.User{ID: aliceID, UserPrincipalName: aliceUPN}))
	c := setup(t, fake, entratest.DefaultToken)
	if err := c.RevokeSessions(context.Background(), aliceUPN); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeSessions(context.Background(), aliceID); err != nil {
		t.Fatal(err)
	}
	if n := fake.Revocations(aliceUPN); n != 2 {
		t.Errorf("revocations = %d, want 2", n)
	}
	if !fake.Enabled(aliceUPN) {
		t.Error("revoking sessions disabled the account")
	}
	if err := c.RevokeSessions(context.Background(), " "); err == nil || len(fake.Calls()) != 2 {
		t.Errorf("empty user: %v, %d calls", err, len(fake.Calls()))
	}
}

// TestRevokeSessionsAnsweredFalse: a 200 that does not say true is no
// revocation.
func TestRevokeSessionsAnsweredFalse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":false}`))
	})
	if err := setup(t, h, "t").RevokeSessions(context.Background(), aliceUPN); err == nil {
		t.Fatal("value false taken for a revocation")
	}
}

// TestRealRevokeBody decodes the response of Microsoft's documentation
// for revokeSignInSessions, when the shared copy is present.
func TestRealRevokeBody(t *testing.T) {
	raw, err := os.ReadFile("/work/shared/realdata/api/containment/entra_id/graph_user_revokeSignInSessions_response.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("realdata not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1.0/users/"+aliceUPN+"/revokeSignInSessions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
	})
	if err := setup(t, h, "t").RevokeSessions(context.Background(), aliceUPN); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		fail       string
		status     int
		retryAfter string
		user       string
		wantCode   int
		retryable  bool
		wantAfter  time.Duration
		wantText   string
		wantClass  string
	}{
		{name: "wrong token", token: "stale", wantCode: 401, wantText: "InvalidAuthenticationToken", wantClass: activities.ErrUnauthorized},
		{name: "forbidden", fail: "PATCH /v1.0/users/*", status: 403, wantCode: 403,
			wantText: "Authorization_RequestDenied: Insufficient privileges", wantClass: activities.ErrUnauthorized},
		{name: "bad request", fail: "PATCH /v1.0/users/*", status: 400, wantCode: 400, wantText: "BadRequest", wantClass: activities.ErrBadRequest},
		{name: "unknown user", user: "ghost@contoso.com", wantCode: 404, wantText: "Request_ResourceNotFound: Resource 'ghost@contoso.com'", wantClass: activities.ErrNotFound},
		{name: "throttled", fail: "GET /v1.0/users/*", status: 429, retryAfter: "7", wantCode: 429, retryable: true,
			wantAfter: 7 * time.Second, wantText: "TooManyRequests", wantClass: "RateLimited"},
		{name: "unavailable", fail: "POST /v1.0/users/*/revokeSignInSessions", status: 503, retryAfter: "3", wantCode: 503, retryable: true,
			wantAfter: 3 * time.Second, wantText: "serviceNotAvailable", wantClass: "RateLimited"},
		{name: "server error", fail: "PATCH /v1.0/users/*", status: 500, wantCode: 500, retryable: true, wantText: "generalException"},
		{name: "bad gateway", fail: "GET /v1.0/users/*", status: 502, wantCode: 502, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := entratest.New(entratest.WithUsers(entratest.User{ID: aliceID, UserPrincipalName: aliceUPN}))
			if tt.fail != "" {
				fake.FailNext(tt.fail, tt.status, 1, tt.retryAfter)
			}
			token := tt.token
			if token == "" {
				token = entratest.DefaultToken
			}
			user := tt.user
			if user == "" {
				user = aliceUPN
			}
			err := setup(t, fake, token).DisableUser(context.Background(), user)
			se := statusError(t, err, tt.wantCode)
			if se.Retryable() != tt.retryable {
				t.Errorf("Retryable = %v, want %v", se.Retryable(), tt.retryable)
			}
			if se.RetryAfter != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantAfter)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), `"error"`) || !strings.Contains(se.Body, "request-id") {
				t.Errorf("body %q: want Graph's code, message and request-id, not its raw JSON", se.Body)
			}
			cerr := activities.Classify("disable user", err)
			if tt.wantClass != "" && !activities.IsType(cerr, tt.wantClass) {
				t.Errorf("Classify = %v, want type %s", cerr, tt.wantClass)
			}
			var ae *temporal.ApplicationError
			if nonRetryable := errors.As(cerr, &ae) && ae.NonRetryable(); nonRetryable == tt.retryable {
				t.Errorf("Classify = %v, retryable want %v", cerr, tt.retryable)
			}
		})
	}
}

func TestUPNsAreEscaped(t *testing.T) {
	// Guests' UPNs hold a '#', which unescaped would end the path.
	guest := "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	fake := entratest.New(entratest.WithUsers(entratest.User{UserPrincipalName: guest}))
	c := setup(t, fake, entratest.DefaultToken)
	if err := c.DisableUser(context.Background(), guest); err != nil {
		t.Fatal(err)
	}
	if fake.Enabled(guest) {
		t.Fatal("guest not disabled")
	}
}

func TestErrorBodiesThatAreNotGraphs(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>proxy error</html>"))
	})
	_, err := setup(t, h, "t").GetUser(context.Background(), aliceUPN)
	if se := statusError(t, err, http.StatusBadGateway); se.Body != "<html>proxy error</html>" {
		t.Errorf("body = %q", se.Body)
	}
}
