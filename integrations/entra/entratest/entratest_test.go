package entratest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// do sends one request straight to the handler.
func do(t *testing.T, h http.Handler, method, target, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", method, target, w.Body)
		}
	}
	return w.Result(), m
}

func graphCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestBearerToken(t *testing.T) {
	s := New(WithToken("secret"))
	tests := []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "Bearer nope", http.StatusUnauthorized},
		{"other scheme", "SSWS secret", http.StatusUnauthorized},
		{"right", "Bearer secret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1.0/users/a@contoso.com?$select=id,accountEnabled", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			var m map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &m)
			if tt.want == http.StatusUnauthorized && graphCode(m) != "InvalidAuthenticationToken" {
				t.Errorf("body = %s, want Graph's InvalidAuthenticationToken", w.Body)
			}
		})
	}
	if got := s.Calls(); !got[len(got)-1].Bearer || got[0].Bearer {
		t.Errorf("Bearer recorded as %+v", got)
	}
}

func TestUsers(t *testing.T) {
	s := New(WithUsers(User{ID: "11111111-2222-3333-4444-555555555555", UserPrincipalName: "bob@contoso.com"}))
	resp, m := do(t, s, http.MethodGet, "/v1.0/users/BOB@contoso.com?$select=id,userPrincipalName,accountEnabled", DefaultToken, "")
	if resp.StatusCode != 200 || m["id"] != "11111111-2222-3333-4444-555555555555" || m["accountEnabled"] != true || len(m) != 4 {
		t.Fatalf("select: %d %v", resp.StatusCode, m)
	}
	if _, m := do(t, s, http.MethodGet, "/v1.0/users/bob@contoso.com", DefaultToken, ""); m["accountEnabled"] != nil || m["displayName"] != "bob" {
		t.Errorf("default properties: %v (Graph leaves accountEnabled out)", m)
	}
	if resp, m := do(t, s, http.MethodGet, "/v1.0/users/eve@contoso.com", DefaultToken, ""); resp.StatusCode != 404 || graphCode(m) != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, http.MethodPatch, "/v1.0/users/bob@contoso.com", DefaultToken, `{"accountEnabled":false}`)
	if resp.StatusCode != http.StatusNoContent || m != nil || s.Enabled("bob@contoso.com") {
		t.Fatalf("patch: %d %v enabled=%v", resp.StatusCode, m, s.Enabled("bob@contoso.com"))
	}
	if resp, m := do(t, s, http.MethodPatch, "/v1.0/users/bob@contoso.com", DefaultToken, `{"accountEnabled":"no"}`); resp.StatusCode != 400 || graphCode(m) != "Request_BadRequest" {
		t.Errorf("bad patch: %d %v", resp.StatusCode, m)
	}
	resp, m = do(t, s, http.MethodPost, "/v1.0/users/11111111-2222-3333-4444-555555555555/revokeSignInSessions", DefaultToken, "")
	if resp.StatusCode != 200 || m["value"] != true || !strings.HasSuffix(m["@odata.context"].(string), "$metadata#Edm.Boolean") || s.Revocations("bob@contoso.com") != 1 {
		t.Errorf("revoke: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, s, http.MethodDelete, "/v1.0/users/bob@contoso.com", DefaultToken, ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d, want 405", resp.StatusCode)
	}
	// Without a fixed directory any UPN is a user, but no made-up ID is.
	open := New()
	if resp, _ := do(t, open, http.MethodGet, "/v1.0/users/new@contoso.com", DefaultToken, ""); resp.StatusCode != 200 {
		t.Errorf("auto-created: %d", resp.StatusCode)
	}
	if resp, _ := do(t, open, http.MethodGet, "/v1.0/users/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", DefaultToken, ""); resp.StatusCode != 404 {
		t.Errorf("unknown ID: %d, want 404", resp.StatusCode)
	}
}

func TestFaults(t *testing.T) {
	s := New()
	s.FailNext("GET /v1.0/users/*", http.StatusTooManyRequests, 1, "9")
	s.FailNext("", http.StatusServiceUnavailable, 1, "")
	resp, m := do(t, s, http.MethodGet, "/v1.0/users/a@contoso.com", "", "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "9" || graphCode(m) != "TooManyRequests" {
		t.Fatalf("first: %d %v %v", resp.StatusCode, resp.Header, m)
	}
	if resp, m := do(t, s, http.MethodGet, "/v1.0/users/a@contoso.com", DefaultToken, ""); resp.StatusCode != 503 || graphCode(m) != "serviceNotAvailable" {
		t.Fatalf("second: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, s, http.MethodGet, "/v1.0/users/a@contoso.com", DefaultToken, ""); resp.StatusCode != 200 {
		t.Fatalf("third: %d, want the real answer", resp.StatusCode)
	}
}

func TestTokenEndpoint(t *testing.T) {
	s := New(WithClient("app", "s3cret"))
	post := func(form string) (*http.Response, map[string]any) {
		r := httptest.NewRequest(http.MethodPost, TokenPath("contoso"), strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return w.Result(), m
	}
	resp, m := post("grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
	if resp.StatusCode != 200 || m["access_token"] != DefaultToken || m["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", resp.StatusCode, m)
	}
	if resp, m := post("grant_type=client_credentials&client_id=app&client_secret=wrong&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"); resp.StatusCode != 401 || m["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", resp.StatusCode, m)
	}
	if resp, m := post("grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=User.Read"); resp.StatusCode != 400 || m["error"] != "invalid_scope" {
		t.Errorf("wrong scope: %d %v", resp.StatusCode, m)
	}
}
