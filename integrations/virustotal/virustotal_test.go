package virustotal_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/internal/testclock"
	"github.com/socflow/socflow/integrations/virustotal"
	"github.com/socflow/socflow/integrations/virustotal/vttest"
)

const (
	fileSHA256 = "03bd9a94482f180bb047626cb2f27ccf8daa0e201345480b43585580e09c311b"
	fileMD5    = "b61a4b8883ba9b9d4d85bdaecab71722"
	fileSHA1   = "0c7fc8364e7ead164b5b612982984737fb50fc81"
)

// setup starts a fake with the fixtures and returns a client without a
// rate limit.
func setup(t *testing.T, opts ...virustotal.Option) (*virustotal.Client, *vttest.Server) {
	t.Helper()
	fake := vttest.New()
	for _, name := range []string{"vt3_file_1.json", "vt3_url_0.json", "vt3_url_1.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.AddObject(raw); err != nil {
			t.Fatal(err)
		}
	}
	fake.AddIP("198.51.100.66", vttest.Stats{Malicious: 8, Suspicious: 2, Harmless: 60, Undetected: 10})
	fake.AddIP("198.51.100.67", vttest.Stats{Harmless: 70, Undetected: 20})
	fake.AddDomain("update-check.example.net", vttest.Stats{Suspicious: 3, Harmless: 50, Undetected: 37})
	fake.AddURL("https://evil.example/payload.bin", vttest.Stats{Malicious: 45, Harmless: 10, Undetected: 35, Timeout: 5})
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := virustotal.New(ts.Client(), ts.URL, vttest.DefaultKey, append([]virustotal.Option{virustotal.WithRateLimit(rate.Inf, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func TestNew(t *testing.T) {
	if _, err := virustotal.New(nil, "", ""); !errors.Is(err, httpx.ErrNotConfigured) {
		t.Errorf("New without a key: %v, want ErrNotConfigured", err)
	}
	if _, err := virustotal.New(nil, "ftp://x", "k"); err == nil || !strings.HasPrefix(err.Error(), "virustotal: base URL") {
		t.Errorf("New with a bad URL: %v", err)
	}
	if _, err := virustotal.New(nil, "", "k"); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}

func TestLookup(t *testing.T) {
	fileHit := "virustotal/59/[trojan.msil/tasker trojan dropper worm]/VirusTotal: 40 of 68 engines malicious, 0 suspicious, analysed 2021-10-09"
	tests := []struct {
		name      string
		indicator string
		// want is "indicator type source/confidence/labels/description",
		// or "" for no hit.
		want string
		// path is the request expected, or "" for none.
		path string
	}{
		{"file by SHA-256", fileSHA256, fileSHA256 + " sha256 " + fileHit, "/api/v3/files/" + fileSHA256},
		{"file by MD5, upper case", strings.ToUpper(fileMD5), fileMD5 + " md5 " + fileHit, "/api/v3/files/" + fileMD5},
		{"file by SHA-1", fileSHA1, fileSHA1 + " sha1 " + fileHit, "/api/v3/files/" + fileSHA1},
		{"URL flagged by one engine of 80", "http://218.54.47.76/", "http://218.54.47.76/ url virustotal/1/[]/VirusTotal: 1 of 80 engines malicious, 0 suspicious, analysed 2020-05-21",
			"/api/v3/urls/" + base64.RawURLEncoding.EncodeToString([]byte("http://218.54.47.76/"))},
		{"harmless URL", "http://218.54.47.77/", "", "/api/v3/urls/" + base64.RawURLEncoding.EncodeToString([]byte("http://218.54.47.77/"))},
		{"URL the fake canonicalises", "HTTP://218.54.47.76", "HTTP://218.54.47.76 url virustotal/1/[]/VirusTotal: 1 of 80 engines malicious, 0 suspicious, analysed 2020-05-21",
			"/api/v3/urls/" + base64.RawURLEncoding.EncodeToString([]byte("HTTP://218.54.47.76"))},
		{"IP, suspicious counts half", "198.51.100.66", "198.51.100.66 ipv4 virustotal/11/[]/VirusTotal: 8 of 80 engines malicious, 2 suspicious, analysed 2026-01-01", "/api/v3/ip_addresses/198.51.100.66"},
		{"clean IP", "198.51.100.67", "", "/api/v3/ip_addresses/198.51.100.67"},
		{"suspicious-only domain, any case", "Update-Check.Example.NET.", "update-check.example.net domain virustotal/2/[]/VirusTotal: 0 of 90 engines malicious, 3 suspicious, analysed 2026-01-01", "/api/v3/domains/update-check.example.net"},
		{"timeouts have no say", " https://evil.example/payload.bin ", "https://evil.example/payload.bin url virustotal/50/[]/VirusTotal: 45 of 90 engines malicious, 0 suspicious, analysed 2026-01-01",
			"/api/v3/urls/" + base64.RawURLEncoding.EncodeToString([]byte("https://evil.example/payload.bin"))},
		{"unknown hash is a 404", strings.Repeat("ab", 32), "", "/api/v3/files/" + strings.Repeat("ab", 32)},
		{"private address is not sent", "10.1.2.3", "", ""},
		{"loopback is not sent", "::1", "", ""},
		{"CIDR cannot be looked up", "198.51.100.0/24", "", ""},
		{"not an indicator", "hello world", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t)
			hits, err := c.Lookup(context.Background(), tt.indicator)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(hits) > 1 {
				t.Fatalf("hits = %+v, want at most one", hits)
			}
			for _, h := range hits {
				got = hitText(h)
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %q\nwant %q", tt.indicator, got, tt.want)
			}
			calls := fake.Calls()
			var paths []string
			for _, call := range calls {
				paths = append(paths, call.Path)
				if call.Key != vttest.DefaultKey {
					t.Errorf("x-apikey = %q", call.Key)
				}
			}
			var want []string
			if tt.path != "" {
				want = []string{tt.path}
			}
			if !slices.Equal(paths, want) {
				t.Errorf("requests = %q, want %q", paths, want)
			}
		})
	}
}

func hitText(h alert.IntelHit) string {
	return h.Indicator + " " + h.Type + " " + h.Source + "/" + strconv.Itoa(h.Confidence) + "/" + "[" + strings.Join(h.Labels, " ") + "]/" + h.Description
}

func TestLookupCaches(t *testing.T) {
	c, fake := setup(t, virustotal.WithCache(100, time.Hour))
	ctx := context.Background()
	for _, ind := range []string{fileSHA256, fileSHA256, strings.Repeat("cd", 32), strings.Repeat("cd", 32), strings.Repeat("CD", 32)} {
		if _, err := c.Lookup(ctx, ind); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Calls()); n != 2 {
		t.Errorf("calls = %d, want 2: a hit and a 404 are each asked once", n)
	}

	// The cache keeps real time: an answer is asked again once its TTL
	// has passed.
	const ttl = 20 * time.Millisecond
	c, fake = setup(t, virustotal.WithCache(100, ttl))
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Calls()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the answer was still cached long after its TTL")
		}
		if _, err := c.Lookup(ctx, fileSHA256); err != nil {
			t.Fatal(err)
		}
		time.Sleep(ttl / 4)
	}
}

func TestLookupErrors(t *testing.T) {
	t.Run("429 pauses the calls for its Retry-After", func(t *testing.T) {
		clk := testclock.New(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
		c, fake := setup(t, virustotal.WithClock(clk.Now))
		fake.FailNext("/api/v3/files/*", http.StatusTooManyRequests, 1, "30")
		ctx := context.Background()
		_, err := c.Lookup(ctx, fileSHA256)
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests || se.RetryAfter != 30*time.Second || !strings.HasPrefix(err.Error(), "virustotal: ") {
			t.Fatalf("error = %v, want a 429 with Retry-After 30s", err)
		}
		clk.Add(10 * time.Second)
		_, err = c.Lookup(ctx, "198.51.100.66")
		if !errors.As(err, &se) || se.RetryAfter != 20*time.Second || !se.Retryable() {
			t.Errorf("error during the pause = %v, want 20s left", err)
		}
		if n := len(fake.Calls()); n != 1 {
			t.Errorf("calls = %d during the pause, want 1", n)
		}
		clk.Add(20 * time.Second)
		if hits, err := c.Lookup(ctx, fileSHA256); err != nil || len(hits) != 1 {
			t.Errorf("after the pause: %v, %v", hits, err)
		}
	})
	t.Run("quota exceeded", func(t *testing.T) {
		fake := vttest.New(vttest.WithQuota(1))
		fake.AddIP("198.51.100.66", vttest.Stats{Malicious: 1})
		ts := httptest.NewServer(fake)
		defer ts.Close()
		c, err := virustotal.New(ts.Client(), ts.URL, vttest.DefaultKey, virustotal.WithRateLimit(rate.Inf, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Lookup(context.Background(), "198.51.100.66"); err != nil {
			t.Fatal(err)
		}
		_, err = c.Lookup(context.Background(), "198.51.100.67")
		if err == nil || !strings.Contains(err.Error(), "QuotaExceededError") {
			t.Errorf("error = %v, want QuotaExceededError", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		fake := vttest.New()
		ts := httptest.NewServer(fake)
		defer ts.Close()
		c, err := virustotal.New(ts.Client(), ts.URL, "nope", virustotal.WithRateLimit(rate.Inf, 0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Lookup(context.Background(), "198.51.100.66")
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || se.Retryable() || !strings.Contains(se.Body, "WrongCredentialsError") {
			t.Errorf("error = %v, want a 401 WrongCredentialsError", err)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		c, fake := setup(t, virustotal.WithRateLimit(rate.Every(time.Hour), 1))
		if _, err := c.Lookup(context.Background(), "198.51.100.66"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.Lookup(ctx, "198.51.100.67"); err == nil || !strings.Contains(err.Error(), "rate limit") {
			t.Errorf("error = %v, want the rate limit", err)
		}
		if n := len(fake.Calls()); n != 1 {
			t.Errorf("calls = %d, want 1", n)
		}
	})
}

func TestRealResponses(t *testing.T) {
	dir := "/work/shared/realdata/api/enrichment/virustotal_v3"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("real data not present")
	}
	fake := vttest.New()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.AddObject(raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	ts := httptest.NewServer(fake)
	defer ts.Close()
	c, err := virustotal.New(ts.Client(), ts.URL, vttest.DefaultKey, virustotal.WithRateLimit(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	for ind, want := range map[string]int{fileSHA256: 59, "http://218.54.47.76/": 1, "http://218.54.47.77/": 0} {
		hits, err := c.Lookup(context.Background(), ind)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		if len(hits) == 1 {
			got = hits[0].Confidence
		}
		if got != want {
			t.Errorf("Lookup(%s) confidence = %d (hits %+v), want %d", ind, got, hits, want)
		}
	}
}
