package taxiitest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRequests(t *testing.T) {
	s := New(WithBasicAuth("u", "p"))
	s.Add("c", json.RawMessage(`{"type":"indicator","id":"indicator--1"}`))
	tests := []struct {
		name, method, target, accept string
		auth                         bool
		want                         int
	}{
		{"no credentials", "GET", "/taxii2/", MediaType, false, http.StatusUnauthorized},
		{"discovery", "GET", "/taxii2/", MediaType, true, http.StatusOK},
		{"wrong Accept", "GET", "/taxii2/", "application/json", true, http.StatusNotAcceptable},
		{"api root", "GET", "/api1/", MediaType, true, http.StatusOK},
		{"collections", "GET", "/api1/collections/", MediaType, true, http.StatusOK},
		{"collection", "GET", "/api1/collections/c/", MediaType, true, http.StatusOK},
		{"objects", "GET", "/api1/collections/c/objects/", MediaType, true, http.StatusOK},
		{"bad added_after", "GET", "/api1/collections/c/objects/?added_after=yesterday", MediaType, true, http.StatusBadRequest},
		{"bad next", "GET", "/api1/collections/c/objects/?next=%21", MediaType, true, http.StatusBadRequest},
		{"bad limit", "GET", "/api1/collections/c/objects/?limit=0", MediaType, true, http.StatusBadRequest},
		{"unknown collection", "GET", "/api1/collections/x/objects/", MediaType, true, http.StatusNotFound},
		{"unknown path", "GET", "/api2/", MediaType, true, http.StatusNotFound},
		{"POST", "POST", "/api1/collections/c/objects/", MediaType, true, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.Header.Set("Accept", tt.accept)
			if tt.auth {
				r.SetBasicAuth("u", "p")
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.target, w.Code, w.Body, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != MediaType {
				t.Errorf("Content-Type = %q", ct)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %s", w.Body)
			}
			if w.Code >= 400 && body["http_status"] == nil {
				t.Errorf("error body %v is not a TAXII error message", body)
			}
		})
	}
}

func TestPagingHeaders(t *testing.T) {
	s := New(WithPageSize(1))
	first := s.Add("c", json.RawMessage(`{"type":"indicator","id":"indicator--1"}`))
	s.Add("c", json.RawMessage(`{"type":"indicator","id":"indicator--2"}`))
	r := httptest.NewRequest("GET", "/api1/collections/c/objects/", nil)
	r.Header.Set("Accept", MediaType)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var env struct {
		More    bool              `json:"more"`
		Next    string            `json:"next"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if !env.More || env.Next == "" || len(env.Objects) != 1 {
		t.Errorf("envelope = %+v", env)
	}
	if got := w.Header().Get("X-TAXII-Date-Added-Last"); got != first.Format("2006-01-02T15:04:05.999999999Z07:00") {
		t.Errorf("X-TAXII-Date-Added-Last = %q, want %s", got, first)
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestStart(t *testing.T) {
	s := New()
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req, _ := http.NewRequest("GET", base+"/taxii2/", nil)
	req.Header.Set("Accept", MediaType)
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
}
