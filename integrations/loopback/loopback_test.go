package loopback_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/socflow/socflow/integrations/loopback"
)

func TestStartServeClose(t *testing.T) {
	var s loopback.Server
	url, err := s.Start("fake", "", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("got %q", b)
	}
	if _, err := s.Start("fake", "", http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "fake: already started") {
		t.Fatalf("second Start: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("still serving after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatal("a second Close must be harmless")
	}
}

func TestFaultsAreTakenInOrderAndUsedUp(t *testing.T) {
	var q loopback.Faults
	q.Add("/api/*", 429, 2, "3")
	q.Add("", 500, 0, "")
	for i, want := range []int{429, 429, 500} {
		f, ok := q.Take("/api/x")
		if !ok || f.Status != want {
			t.Fatalf("take %d = %+v %v, want %d", i, f, ok, want)
		}
	}
	if _, ok := q.Take("/api/x"); ok {
		t.Fatal("faults not used up")
	}
	q.Add("/other", 503, 1, "")
	if _, ok := q.Take("/api/x"); ok {
		t.Fatal("a fault for another path matched")
	}
}
