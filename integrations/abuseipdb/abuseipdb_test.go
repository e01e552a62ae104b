package abuseipdb_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/integrations/abuseipdb"
	"github.com/socflow/socflow/integrations/abuseipdb/abuseipdbtest"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/internal/testclock"
)

func setup(t *testing.T, fake *abuseipdbtest.Server, opts ...abuseipdb.Option) *abuseipdb.Client {
	t.Helper()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := abuseipdb.New(ts.Client(), ts.URL, abuseipdbtest.DefaultKey, append([]abuseipdb.Option{abuseipdb.WithRateLimit(rate.Inf, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		key     string
		opts    []abuseipdb.Option
		wantErr string
	}{
		{"no key", "", " ", nil, "integration not configured"},
		{"bad URL", "nope", "k", nil, "abuseipdb: base URL"},
		{"max age too large", "", "k", []abuseipdb.Option{abuseipdb.WithMaxAge(400)}, "max age 400 days"},
		{"defaults", "", "k", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := abuseipdb.New(nil, tt.base, tt.key, tt.opts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := abuseipdb.New(nil, "", ""); !errors.Is(err, httpx.ErrNotConfigured) {
		t.Errorf("error %v is not ErrNotConfigured", err)
	}
}

func TestLookup(t *testing.T) {
	fake := abuseipdbtest.New()
	fake.SetReport("118.25.6.39", abuseipdbtest.Report{
		Score: 100, TotalReports: 1, NumDistinctUsers: 1, CountryCode: "CN",
		UsageType: "Data Center/Web Hosting/Transit", ISP: "Tencent Cloud Computing (Beijing) Co. Ltd",
		LastReportedAt: time.Date(2018, 12, 20, 20, 55, 14, 0, time.UTC),
	})
	fake.SetReport("2001:db8:1::9", abuseipdbtest.Report{Score: 37, TotalReports: 12, NumDistinctUsers: 5, IsTor: true})
	fake.SetReport("8.8.8.8", abuseipdbtest.Report{Score: 3, IsWhitelisted: true})
	c := setup(t, fake)
	tests := []struct {
		indicator string
		want      string // "indicator type source confidence labels description", or ""
		called    bool
	}{
		{"118.25.6.39", "118.25.6.39 ipv4 abuseipdb 100 [Data Center/Web Hosting/Transit] AbuseIPDB: 1 reports from 1 users, last 2018-12-20; Tencent Cloud Computing (Beijing) Co. Ltd, CN", true},
		{" ::ffff:118.25.6.39 ", "118.25.6.39 ipv4 abuseipdb 100 [Data Center/Web Hosting/Transit] AbuseIPDB: 1 reports from 1 users, last 2018-12-20; Tencent Cloud Computing (Beijing) Co. Ltd, CN", false}, // cached
		{"2001:DB8:1::9", "2001:db8:1::9 ipv6 abuseipdb 37 [tor] AbuseIPDB: 12 reports from 5 users", true},
		{"198.51.100.1", "", true}, // score 0
		{"8.8.8.8", "", true},      // whitelisted
		{"10.0.0.1", "", false},    // private: not sent
		{"100.64.1.1", "", false},  // shared address space
		{"evil.example", "", false},
		{"198.51.100.0/24", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.indicator, func(t *testing.T) {
			before := len(fake.Calls())
			hits, err := c.Lookup(context.Background(), tt.indicator)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, h := range hits {
				got = fmt.Sprintf("%s %s %s %d %v %s", h.Indicator, h.Type, h.Source, h.Confidence, h.Labels, h.Description)
			}
			if got != tt.want {
				t.Errorf("Lookup(%q) = %q\nwant %q", tt.indicator, got, tt.want)
			}
			if called := len(fake.Calls()) > before; called != tt.called {
				t.Errorf("called = %v, want %v", called, tt.called)
			}
		})
	}
	call := fake.Calls()[0]
	if call.Path != "/api/v2/check" || call.Query.Get("ipAddress") != "118.25.6.39" || call.Query.Get("maxAgeInDays") != "90" ||
		call.Key != abuseipdbtest.DefaultKey || call.Accept != "application/json" {
		t.Errorf("request = %+v", call)
	}
}

func TestLookupRealResponseShape(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "check_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer ts.Close()
	c, err := abuseipdb.New(ts.Client(), ts.URL, "k", abuseipdb.WithRateLimit(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	hits, err := c.Lookup(context.Background(), "118.25.6.39")
	if err != nil || len(hits) != 1 || hits[0].Confidence != 100 || !strings.Contains(hits[0].Description, "last 2018-12-20") {
		t.Errorf("Lookup = %+v, %v", hits, err)
	}
}

func TestLookupErrors(t *testing.T) {
	t.Run("wrong key", func(t *testing.T) {
		fake := abuseipdbtest.New(abuseipdbtest.WithKey("other"))
		c := setup(t, fake)
		_, err := c.Lookup(context.Background(), "198.51.100.1")
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || !strings.Contains(se.Body, "Authentication failed") || !strings.HasPrefix(err.Error(), "abuseipdb: ") {
			t.Errorf("error = %v, want a 401", err)
		}
	})
	t.Run("daily limit pauses the calls", func(t *testing.T) {
		clk := testclock.New(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
		fake := abuseipdbtest.New(abuseipdbtest.WithDailyLimit(1))
		c := setup(t, fake, abuseipdb.WithClock(clk.Now))
		ctx := context.Background()
		if _, err := c.Lookup(ctx, "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Lookup(ctx, "198.51.100.2")
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests || se.RetryAfter != time.Hour {
			t.Fatalf("error = %v, want a 429 with an hour's Retry-After", err)
		}
		clk.Add(59 * time.Minute)
		if _, err := c.Lookup(ctx, "198.51.100.3"); !errors.As(err, &se) || se.RetryAfter != time.Minute {
			t.Errorf("error during the pause = %v, want a minute left", err)
		}
		if n := len(fake.Calls()); n != 2 {
			t.Errorf("calls = %d, want 2: none during the pause", n)
		}
	})
	t.Run("server error is retryable and not cached", func(t *testing.T) {
		fake := abuseipdbtest.New()
		fake.FailNext("/api/v2/check", http.StatusServiceUnavailable, 1, "")
		c := setup(t, fake)
		_, err := c.Lookup(context.Background(), "198.51.100.1")
		var se *httpx.StatusError
		if !errors.As(err, &se) || !se.Retryable() {
			t.Fatalf("error = %v, want a retryable 503", err)
		}
		if _, err := c.Lookup(context.Background(), "198.51.100.1"); err != nil {
			t.Errorf("retry: %v", err)
		}
	})
}
