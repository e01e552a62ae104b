package cli

import (
	"bytes"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/worker"
)

func TestDevCreatesItsCodecKeyOnce(t *testing.T) {
	dir := t.TempDir() + "/state"
	cfg, err := config.Parse([]byte("data_dir: "+dir+"\n"), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	note, err := ensureDevCodec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "created now") {
		t.Errorf("first start says %q", note)
	}
	st, err := os.Stat(config.LocalCodecKeyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	first := cfg.Codec.Ring()
	// A restart (and the CLI) loads the same key, and creates nothing.
	again, err := config.Parse([]byte("data_dir: "+dir+"\n"), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if note, err := ensureDevCodec(again); err != nil || strings.Contains(note, "created") {
		t.Fatalf("second start: %q, %v", note, err)
	}
	if r := again.Codec.Ring(); len(r) != 1 || !bytes.Equal(r[0].Material, first[0].Material) {
		t.Fatal("the second start uses another key")
	}
}

func TestDevKeepsConfiguredKeys(t *testing.T) {
	dir := t.TempDir()
	yml := "data_dir: " + dir + "\ncodec:\n  keys:\n    - {id: site-k1, key: $K}\n"
	cfg, err := config.Parse([]byte(yml), "", func(k string) (string, bool) {
		if k == "K" {
			return strings.Repeat("ab", 32), true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if note, err := ensureDevCodec(cfg); err != nil || !strings.Contains(note, "site-k1") {
		t.Fatalf("%q, %v", note, err)
	}
	if _, err := os.Stat(config.LocalCodecKeyPath(dir)); err == nil {
		t.Error("dev created a local key although keys are configured")
	}
}

func TestDevCodecHandler(t *testing.T) {
	cfg, err := config.Parse([]byte("data_dir: "+t.TempDir()+"\n"), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ensureDevCodec(cfg); err != nil {
		t.Fatal(err)
	}
	c, err := worker.Codec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h, err := devCodecHandler(c, ln, "127.0.0.1", "http://127.0.0.1:8233", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, tc := range []struct {
		host, origin string
		code         int
		cors         string
	}{
		{"127.0.0.1:" + port, "http://127.0.0.1:8233", 200, "http://127.0.0.1:8233"},
		{"localhost:" + port, "http://localhost:8233", 200, "http://localhost:8233"},
		{"127.0.0.1:" + port, "http://evil.example", 200, ""},
		{"evil.example:" + port, "", 403, ""}, // DNS rebinding
	} {
		r := httptest.NewRequest("POST", "/decode", strings.NewReader(`{"payloads":[]}`))
		r.Host = tc.host
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Access-Control-Allow-Origin") != tc.cors {
			t.Errorf("Host %s Origin %q: %d CORS %q, want %d %q", tc.host, tc.origin, w.Code, w.Header().Get("Access-Control-Allow-Origin"), tc.code, tc.cors)
		}
	}
}
