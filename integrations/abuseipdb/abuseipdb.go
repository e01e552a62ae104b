// Package abuseipdb looks IP addresses up online in AbuseIPDB (API v2,
// the check endpoint): how confident its community is that an address is
// abusive, from the reports of the last 90 days. Calls are rate limited,
// answers cached and a 429 honoured, as for VirusTotal; see package
// online.
package abuseipdb

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/intel/online"
)

// DefaultBaseURL is AbuseIPDB's API endpoint.
const DefaultBaseURL = "https://api.abuseipdb.com"

// APIKeyEnv is the environment variable conventionally holding the API
// key; socflow's configuration refers to it as $ABUSEIPDB_API_KEY.
const APIKeyEnv = "ABUSEIPDB_API_KEY"

// Source is the alert.IntelHit.Source of AbuseIPDB's answers.
const Source = "abuseipdb"

// Defaults: the free plan allows 1,000 checks a day, one every 86.4
// seconds on average; a burst of 20 lets the addresses of one incident
// through at once, and a day's overrun ends in a 429 that pauses the calls.
// Reports accumulate slowly, so six hours of cache is safe.
const (
	DefaultRate       = rate.Limit(1000.0 / (24 * 60 * 60))
	DefaultBurst      = 20
	DefaultCacheSize  = 10_000
	DefaultCacheTTL   = 6 * time.Hour
	DefaultMaxAgeDays = 90
	defaultTimeout    = 30 * time.Second
)

type options struct {
	guard      online.Config
	maxAgeDays int
}

// Option configures a Client.
type Option func(*options)

// WithRateLimit sets the request rate and burst; rate.Inf disables the
// limit (a paid plan, or tests).
func WithRateLimit(limit rate.Limit, burst int) Option {
	return func(o *options) { o.guard.Limit, o.guard.Burst = limit, burst }
}

// WithCache sets how many answers are kept and for how long; a negative
// size disables the cache.
func WithCache(size int, ttl time.Duration) Option {
	return func(o *options) { o.guard.CacheSize, o.guard.TTL = size, ttl }
}

// WithClock sets the clock of the 429 pause, for tests; the cache keeps
// real time.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.guard.Now = now }
}

// WithMaxAge sets how many days of reports count (1-365; the default is
// 90, AbuseIPDB's own).
func WithMaxAge(days int) Option {
	return func(o *options) { o.maxAgeDays = days }
}

// Client looks addresses up in AbuseIPDB. It is safe for concurrent use.
type Client struct {
	hc     *http.Client
	base   string
	key    string
	maxAge int
	guard  *online.Guard
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty)
// that authenticates with apiKey. A nil hc gets a private client with a 30s
// timeout. A missing key is httpx.ErrNotConfigured: online lookups are
// optional.
func New(hc *http.Client, baseURL, apiKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, fmt.Errorf("abuseipdb: no API key (%s): %w", APIKeyEnv, httpx.ErrNotConfigured)
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if _, err := httpx.BaseURL(baseURL); err != nil {
		return nil, fmt.Errorf("abuseipdb: base URL %q: want http(s)://host[/path]", baseURL)
	}
	o := options{
		guard:      online.Config{Name: "abuseipdb", Limit: DefaultRate, Burst: DefaultBurst, CacheSize: DefaultCacheSize, TTL: DefaultCacheTTL},
		maxAgeDays: DefaultMaxAgeDays,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxAgeDays < 1 || o.maxAgeDays > 365 {
		return nil, fmt.Errorf("abuseipdb: max age %d days: want 1-365", o.maxAgeDays)
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{hc: hc, base: strings.TrimRight(baseURL, "/"), key: apiKey, maxAge: o.maxAgeDays, guard: online.New(o.guard)}, nil
}

// Lookup returns AbuseIPDB's verdict on an IP address as at most one hit,
// whose confidence is AbuseIPDB's abuseConfidenceScore (0-100, the same
// scale). It returns no hit, without an error, when the score is 0, when
// AbuseIPDB says the address is not public or is whitelisted, and without
// calling for anything but an IP address or for a private or otherwise
// non-public address (which would spend quota and tell a third party about
// the network).
func (c *Client) Lookup(ctx context.Context, indicator string) ([]alert.IntelHit, error) {
	v := strings.TrimSpace(indicator)
	typ, ok := intel.InferType(v)
	if !ok || (typ != intel.TypeIPv4 && typ != intel.TypeIPv6) {
		return nil, nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !online.Public(a) {
		return nil, nil
	}
	ip := a.Unmap().WithZone("").String()
	return c.guard.Lookup(ctx, ip, func(ctx context.Context) ([]alert.IntelHit, error) {
		return c.check(ctx, typ, ip)
	})
}

// Check is the data of AbuseIPDB's check answer.
type Check struct {
	IPAddress            string   `json:"ipAddress"`
	IsPublic             bool     `json:"isPublic"`
	IPVersion            int      `json:"ipVersion"`
	IsWhitelisted        *bool    `json:"isWhitelisted"`
	AbuseConfidenceScore int      `json:"abuseConfidenceScore"`
	CountryCode          string   `json:"countryCode"`
	UsageType            string   `json:"usageType"`
	ISP                  string   `json:"isp"`
	Domain               string   `json:"domain"`
	Hostnames            []string `json:"hostnames"`
	IsTor                bool     `json:"isTor"`
	TotalReports         int      `json:"totalReports"`
	NumDistinctUsers     int      `json:"numDistinctUsers"`
	LastReportedAt       string   `json:"lastReportedAt"`
}

func (c *Client) check(ctx context.Context, typ, ip string) ([]alert.IntelHit, error) {
	q := url.Values{"ipAddress": {ip}, "maxAgeInDays": {strconv.Itoa(c.maxAge)}}
	var resp struct {
		Data Check `json:"data"`
	}
	err := httpx.Do(ctx, c.hc, httpx.Request{
		Method: http.MethodGet,
		URL:    c.base + "/api/v2/check?" + q.Encode(),
		Header: http.Header{"Key": {c.key}},
	}, &resp)
	if err != nil {
		return nil, fmt.Errorf("abuseipdb: %w", err)
	}
	if h, ok := toHit(typ, ip, &resp.Data); ok {
		return []alert.IntelHit{h}, nil
	}
	return nil, nil
}

// toHit maps a check answer to a hit; see Lookup.
func toHit(typ, ip string, d *Check) (alert.IntelHit, bool) {
	if d.AbuseConfidenceScore <= 0 || !d.IsPublic || (d.IsWhitelisted != nil && *d.IsWhitelisted) {
		return alert.IntelHit{}, false
	}
	var labels []string
	if d.UsageType != "" {
		labels = append(labels, d.UsageType)
	}
	if d.IsTor {
		labels = append(labels, "tor")
	}
	desc := fmt.Sprintf("AbuseIPDB: %d reports from %d users", d.TotalReports, d.NumDistinctUsers)
	if t, err := time.Parse(time.RFC3339, d.LastReportedAt); err == nil {
		desc += ", last " + t.UTC().Format(time.DateOnly)
	}
	var where []string
	for _, s := range []string{d.ISP, d.CountryCode} {
		if s != "" {
			where = append(where, s)
		}
	}
	if len(where) > 0 {
		desc += "; " + strings.Join(where, ", ")
	}
	return alert.IntelHit{
		Indicator:   ip,
		Type:        typ,
		Source:      Source,
		Confidence:  min(d.AbuseConfidenceScore, 100),
		Labels:      labels,
		Description: desc,
	}, true
}
