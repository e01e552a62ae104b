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
