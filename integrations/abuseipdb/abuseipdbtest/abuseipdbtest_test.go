package abuseipdbtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func do(t *testing.T, s *Server, method, target, key string) (int, http.Header, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if key != "" {
		r.Header.Set("Key", key)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %s", method, target, b)
	}
	return w.Code, w.Header(), m
}

func TestCheck(t *testing.T) {
	s := New()
	s.SetReport("203.0.113.9", Report{Score: 88, TotalReports: 4, NumDistinctUsers: 2, CountryCode: "NL"})
	tests := []struct {
		name, method, target, key string
		want                      int
		check                     func(t *testing.T, data map[string]any)
	}{
		{"no key", "GET", "/api/v2/check?ipAddress=203.0.113.9", "", 401, nil},
		{"wrong key", "GET", "/api/v2/check?ipAddress=203.0.113.9", "x", 401, nil},
		{"known", "GET", "/api/v2/check?ipAddress=203.0.113.9&maxAgeInDays=90", DefaultKey, 200, func(t *testing.T, d map[string]any) {
			if d["abuseConfidenceScore"] != 88.0 || d["countryCode"] != "NL" || d["isPublic"] != true || d["ipVersion"] != 4.0 {
				t.Errorf("data = %v", d)
			}
		}},
		{"unknown public", "GET", "/api/v2/check?ipAddress=2001:4860:4860::8888", DefaultKey, 200, func(t *testing.T, d map[string]any) {
			if d["abuseConfidenceScore"] != 0.0 || d["ipVersion"] != 6.0 || d["lastReportedAt"] != nil {
				t.Errorf("data = %v", d)
			}
		}},
		{"private", "GET", "/api/v2/check?ipAddress=192.168.1.1", DefaultKey, 200, func(t *testing.T, d map[string]any) {
			if d["isPublic"] != false {
				t.Errorf("data = %v", d)
			}
		}},
		{"bad address", "GET", "/api/v2/check?ipAddress=evil.example", DefaultKey, 422, nil},
		{"bad max age", "GET", "/api/v2/check?ipAddress=203.0.113.9&maxAgeInDays=0", DefaultKey, 422, nil},
		{"wrong method", "POST", "/api/v2/check?ipAddress=203.0.113.9", DefaultKey, 405, nil},
		{"unknown endpoint", "GET", "/api/v2/reports", DefaultKey, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := do(t, s, tt.method, tt.target, tt.key)
			if code != tt.want {
				t.Fatalf("%s %s = %d %v, want %d", tt.method, tt.target, code, body, tt.want)
			}
			if code != 200 {
				errs, _ := body["errors"].([]any)
				if len(errs) != 1 {
					t.Errorf("error body = %v, want one error", body)
				}
				return
			}
			if tt.check != nil {
				data, _ := body["data"].(map[string]any)
				tt.check(t, data)
			}
		})
	}
}

func TestDailyLimitAndFaults(t *testing.T) {
	s := New(WithDailyLimit(1))
	if code, h, _ := do(t, s, "GET", "/api/v2/check?ipAddress=203.0.113.9", DefaultKey); code != 200 || h.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("first = %d, remaining %q", code, h.Get("X-RateLimit-Remaining"))
	}
	code, h, _ := do(t, s, "GET", "/api/v2/check?ipAddress=203.0.113.9", DefaultKey)
	if code != 429 || h.Get("Retry-After") == "" {
		t.Errorf("second = %d, Retry-After %q; want 429 with Retry-After", code, h.Get("Retry-After"))
	}
	s2 := New()
	s2.FailNext("", 503, 1, "5")
	if code, h, _ := do(t, s2, "GET", "/api/v2/check?ipAddress=203.0.113.9", DefaultKey); code != 503 || h.Get("Retry-After") != "5" {
		t.Errorf("fault = %d %q", code, h.Get("Retry-After"))
	}
	if code, _, _ := do(t, s2, "GET", "/api/v2/check?ipAddress=203.0.113.9", DefaultKey); code != 200 {
		t.Errorf("after the fault = %d", code)
	}
	if calls := s2.Calls(); len(calls) != 2 || calls[0].Status != 503 || calls[1].Query.Get("ipAddress") != "203.0.113.9" {
		t.Errorf("calls = %+v", calls)
	}
}
