package oktatest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// do sends one request straight to the handler.
func do(t *testing.T, h http.Handler, method, target, token string) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "SSWS "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, target, b)
	}
	return resp, m
}

func TestAuthorization(t *testing.T) {
	s := New(WithToken("secret"))
	tests := []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "SSWS nope", http.StatusUnauthorized},
		{"bearer", "Bearer secret", http.StatusUnauthorized},
		{"right", "SSWS secret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/users/a@example.com", nil)
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
			if tt.want == http.StatusUnauthorized && (m["errorCode"] != "E0000011" || m["errorSummary"] == "" || m["errorId"] == "") {
				t.Errorf("body = %s, want Okta's E0000011 error", w.Body)
			}
		})
	}
}

// TestUserShape compares the fake's user with one from Okta's
// documentation.
func TestUserShape(t *testing.T) {
	raw, err := os.ReadFile("testdata/example_ListUsersResponse.json")
	if err != nil {
		t.Fatal(err)
	}
	var recorded []map[string]any
	if err := json.Unmarshal(raw, &recorded); err != nil {
		t.Fatal(err)
	}
	s := New()
	resp, got := do(t, s, http.MethodGet, "/api/v1/users/alice.smith@example.com", DefaultToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	for k, v := range recorded[0] {
		if _, ok := got[k]; !ok {
			t.Errorf("user lacks %q", k)
		}
		if sub, ok := v.(map[string]any); ok {
			for sk := range sub {
				if _, ok := got[k].(map[string]any)[sk]; !ok {
					t.Errorf("user lacks %s.%s", k, sk)
				}
			}
		}
	}
	profile := got["profile"].(map[string]any)
	if got["status"] != "ACTIVE" || profile["login"] != "alice.smith@example.com" || profile["firstName"] != "alice" {
		t.Errorf("user = %v", got)
	}
	if id, _ := got["id"].(string); !looksLikeID(id) {
		t.Errorf("id %q is not Okta-shaped", id)
	}
	_, again := do(t, s, http.MethodGet, "/api/v1/users/"+got["id"].(string), DefaultToken)
	if again["id"] != got["id"] {
		t.Errorf("lookup by id = %v", again)
	}
}

func TestDirectory(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		user string
		want int
	}{
		{"auto-created", nil, "new@example.com", http.StatusOK},
		{"no auto-creation for IDs", nil, "00uAAAAAAAAAAAAAAAAA", http.StatusNotFound},
		{"fixed", []Option{WithUsers(User{Login: "a@example.com"})}, "b@example.com", http.StatusNotFound},
		{"fixed, any case", []Option{WithUsers(User{Login: "a@example.com"})}, "A@Example.com", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := do(t, New(tt.opts...), http.MethodGet, "/api/v1/users/"+tt.user, DefaultToken)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tt.want, m)
			}
			if tt.want == http.StatusNotFound && (m["errorCode"] != "E0000007" || !strings.Contains(m["errorSummary"].(string), tt.user)) {
				t.Errorf("body = %v, want E0000007 naming the user", m)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	tests := []struct {
		status, op string
		code       int
		after      string
	}{
		{"ACTIVE", "suspend", 200, "SUSPENDED"},
		{"SUSPENDED", "suspend", 400, "SUSPENDED"},
		{"LOCKED_OUT", "suspend", 400, "LOCKED_OUT"},
		{"SUSPENDED", "unsuspend", 200, "ACTIVE"},
		{"ACTIVE", "unsuspend", 400, "ACTIVE"},
	}
	for _, tt := range tests {
		t.Run(tt.status+" "+tt.op, func(t *testing.T) {
			s := New(WithUsers(User{ID: "00uBOB00000000000001", Login: "bob@example.com", Status: tt.status}))
			resp, m := do(t, s, http.MethodPost, "/api/v1/users/00uBOB00000000000001/lifecycle/"+tt.op, DefaultToken)
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tt.code, m)
			}
			if tt.code == 400 && m["errorCode"] != "E0000001" {
				t.Errorf("body = %v, want E0000001", m)
			}
			if got := s.Status("bob@example.com"); got != tt.after {
				t.Errorf("status = %s, want %s", got, tt.after)
			}
		})
	}
	// Lifecycle operations take the ID: a login there is unknown.
	s := New(WithUsers(User{Login: "bob@example.com"}))
	if resp, _ := do(t, s, http.MethodPost, "/api/v1/users/bob@example.com/lifecycle/suspend", DefaultToken); resp.StatusCode != http.StatusNotFound {
		t.Errorf("suspend by login: %d, want 404", resp.StatusCode)
	}
	if resp, m := do(t, s, http.MethodGet, "/api/v1/users/bob@example.com/lifecycle/suspend", DefaultToken); resp.StatusCode != http.StatusMethodNotAllowed || m["errorCode"] != "E0000022" {
		t.Errorf("GET lifecycle: %d %v, want 405 E0000022", resp.StatusCode, m)
	}
}

func TestFailNext(t *testing.T) {
	s := New()
	s.FailNext("GET /api/v1/users/*", http.StatusTooManyRequests, 2, "")
	s.FailNext("", http.StatusServiceUnavailable, 1, "5")
	for i := range 2 {
		before := time.Now()
		resp, m := do(t, s, http.MethodGet, "/api/v1/users/a@example.com", "")
		if resp.StatusCode != 429 || m["errorCode"] != "E0000047" || resp.Header.Get("Retry-After") != "" {
			t.Fatalf("attempt %d: %d %v Retry-After=%q", i, resp.StatusCode, m, resp.Header.Get("Retry-After"))
		}
		reset, err := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
		if err != nil || reset < before.Add(59*time.Second).Unix() || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
			t.Errorf("rate limit headers = %v", resp.Header)
		}
	}
	resp, m := do(t, s, http.MethodGet, "/api/v1/users/a@example.com", DefaultToken)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "5" || m["errorCode"] != "E0000009" {
		t.Fatalf("third: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, s, http.MethodGet, "/api/v1/users/a@example.com", DefaultToken); resp.StatusCode != 200 {
		t.Fatalf("fourth: %d, want the real answer", resp.StatusCode)
	}
	s.Fail("POST /api/v1/users/*/lifecycle/suspend", Fault{Status: 400, Body: `{"errorCode":"E0000001","errorSummary":"custom"}`})
	id := userID("a@example.com")
	if _, m := do(t, s, http.MethodPost, "/api/v1/users/"+id+"/lifecycle/suspend", DefaultToken); m["errorSummary"] != "custom" {
		t.Errorf("custom body = %v", m)
	}
	var got []int
	for _, c := range s.Calls() {
		got = append(got, c.Status)
	}
	if want := []int{429, 429, 503, 200, 400}; !reflect.DeepEqual(got, want) {
		t.Errorf("recorded statuses = %v, want %v", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New()
	ts := httptest.NewServer(s)
	defer ts.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			login := fmt.Sprintf("user%d@example.com", i)
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/users/"+login, nil)
			req.Header.Set("Authorization", "SSWS "+DefaultToken)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			req, _ = http.NewRequest(http.MethodPost, ts.URL+"/api/v1/users/"+userID(login)+"/lifecycle/suspend", nil)
			req.Header.Set("Authorization", "SSWS "+DefaultToken)
			if resp, err = ts.Client().Do(req); err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			_ = s.Calls()
		})
	}
	wg.Wait()
	for i := range 20 {
		if !s.Suspended(fmt.Sprintf("user%d@example.com", i)) {
			t.Errorf("user%d not suspended", i)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	s := New()
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/users/a@example.com", nil)
	req.Header.Set("Authorization", "SSWS "+DefaultToken)
	hc := &http.Client{}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Get(base + "/api/v1/users/a@example.com"); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestClearSessions(t *testing.T) {
	s := New(WithUsers(User{ID: "00uBOB00000000000001", Login: "bob@example.com"}))
	send := func(method, target string) int {
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("Authorization", "SSWS "+DefaultToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code == http.StatusNoContent && w.Body.Len() != 0 {
			t.Errorf("204 with a body: %s", w.Body)
		}
		return w.Code
	}
	if got := send(http.MethodDelete, "/api/v1/users/00uBOB00000000000001/sessions?oauthTokens=true"); got != http.StatusNoContent || s.SessionsCleared("bob@example.com") != 1 {
		t.Errorf("clear: %d, cleared %d", got, s.SessionsCleared("bob@example.com"))
	}
	if got := send(http.MethodDelete, "/api/v1/users/bob@example.com/sessions"); got != http.StatusNotFound {
		t.Errorf("by login: %d, want 404 (the operation takes the ID)", got)
	}
	if got := send(http.MethodGet, "/api/v1/users/00uBOB00000000000001/sessions"); got != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", got)
	}
}
