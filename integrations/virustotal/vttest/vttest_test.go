package vttest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// get sends one request straight to the handler and decodes the body.
func get(t *testing.T, s *Server, target, key string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if key != "" {
		r.Header.Set("x-apikey", key)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: answer is not JSON: %s", target, b)
	}
	return w.Code, m
}

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestRoutes(t *testing.T) {
	s := New()
	raw, err := os.ReadFile(filepath.Join("testdata", "vt3_file_1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddObject(raw); err != nil {
		t.Fatal(err)
	}
	s.AddIP("198.51.100.66", Stats{Malicious: 1})
	s.AddDomain("Evil.Example", Stats{Malicious: 1})
	s.AddURL("http://evil.example", Stats{Malicious: 1})
	urlID := func(u string) string { return base64.RawURLEncoding.EncodeToString([]byte(u)) }
	tests := []struct {
		name, target, key string
		want              int
		wantCode          string
	}{
		{"no key", "/api/v3/ip_addresses/198.51.100.66", "", http.StatusUnauthorized, "WrongCredentialsError"},
		{"wrong key", "/api/v3/ip_addresses/198.51.100.66", "nope", http.StatusUnauthorized, "WrongCredentialsError"},
		{"ip", "/api/v3/ip_addresses/198.51.100.66", DefaultKey, http.StatusOK, ""},
		{"bad ip", "/api/v3/ip_addresses/nope", DefaultKey, http.StatusBadRequest, "InvalidArgumentError"},
		{"unknown ip", "/api/v3/ip_addresses/198.51.100.1", DefaultKey, http.StatusNotFound, "NotFoundError"},
		{"domain any case", "/api/v3/domains/EVIL.example", DefaultKey, http.StatusOK, ""},
		{"file by sha256", "/api/v3/files/03bd9a94482f180bb047626cb2f27ccf8daa0e201345480b43585580e09c311b", DefaultKey, http.StatusOK, ""},
		{"file by md5", "/api/v3/files/B61A4B8883BA9B9D4D85BDAECAB71722", DefaultKey, http.StatusOK, ""},
		{"url by the id it was given", "/api/v3/urls/" + urlID("http://evil.example"), DefaultKey, http.StatusOK, ""},
		{"url canonicalised", "/api/v3/urls/" + urlID("HTTP://EVIL.EXAMPLE/"), DefaultKey, http.StatusOK, ""},
		{"url padded", "/api/v3/urls/" + base64.URLEncoding.EncodeToString([]byte("http://evil.example/")), DefaultKey, http.StatusOK, ""},
		{"unknown url", "/api/v3/urls/" + urlID("http://good.example/"), DefaultKey, http.StatusNotFound, "NotFoundError"},
		{"unknown collection", "/api/v3/graphs/x", DefaultKey, http.StatusNotFound, "NotFoundError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, s, tt.target, tt.key)
			if code != tt.want || errorCode(body) != tt.wantCode {
				t.Fatalf("GET %s = %d %v, want %d %s", tt.target, code, body, tt.want, tt.wantCode)
			}
			if code == http.StatusOK {
				data, _ := body["data"].(map[string]any)
				attrs, _ := data["attributes"].(map[string]any)
				if _, ok := attrs["last_analysis_stats"]; !ok {
					t.Errorf("object lacks last_analysis_stats: %v", body)
				}
			}
		})
	}
}

func TestFailNextAndCalls(t *testing.T) {
	s := New()
	s.AddIP("198.51.100.66", Stats{Malicious: 1})
	s.FailNext("/api/v3/ip_addresses/*", http.StatusTooManyRequests, 2, "60")
	for i, want := range []int{429, 429, 200} {
		r := httptest.NewRequest(http.MethodGet, "/api/v3/ip_addresses/198.51.100.66", nil)
		r.Header.Set("x-apikey", DefaultKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("request %d = %d, want %d", i, w.Code, want)
		}
		if want == 429 && w.Header().Get("Retry-After") != "60" {
			t.Errorf("request %d: Retry-After = %q", i, w.Header().Get("Retry-After"))
		}
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[2].Status != 200 || calls[0].Key != DefaultKey {
		t.Errorf("calls = %+v", calls)
	}
}

func TestQuota(t *testing.T) {
	s := New(WithQuota(1), WithKey("k"))
	s.AddIP("198.51.100.66", Stats{Malicious: 1})
	if code, _ := get(t, s, "/api/v3/ip_addresses/198.51.100.66", "k"); code != http.StatusOK {
		t.Fatalf("first = %d", code)
	}
	if code, body := get(t, s, "/api/v3/ip_addresses/198.51.100.66", "k"); code != http.StatusTooManyRequests || errorCode(body) != "QuotaExceededError" {
		t.Errorf("second = %d %v, want 429 QuotaExceededError", code, body)
	}
}

func TestAddObjectRejects(t *testing.T) {
	s := New()
	for _, raw := range []string{`{"id": "x"}`, `{"type": "graph", "id": "x"}`, `not json`} {
		if err := s.AddObject([]byte(raw)); err == nil {
			t.Errorf("AddObject(%s) succeeded", raw)
		}
	}
}

func TestStart(t *testing.T) {
	s := New()
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(base + "/api/v3/ip_addresses/198.51.100.66")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401 without a key", resp.StatusCode)
	}
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
}
