// Package virustotal looks indicators up online in VirusTotal (API v3):
// IP addresses, domains, URLs and file hashes, each answered by what the
// engines made of it last time. Calls are rate limited (the free tier
// allows 4 a minute), answers are cached, "not known" included, and a 429
// stops the calls for its Retry-After; see package online.
package virustotal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/intel/online"
)

// DefaultBaseURL is VirusTotal's API endpoint.
const DefaultBaseURL = "https://www.virustotal.com"

// APIKeyEnv is the environment variable conventionally holding the API
// key; socflow's configuration refers to it as $VIRUSTOTAL_API_KEY.
const APIKeyEnv = "VIRUSTOTAL_API_KEY"

// Source is the alert.IntelHit.Source of VirusTotal's answers.
const Source = "virustotal"

// Defaults: the public (free) API allows 4 requests a minute, so one call
// every 15 seconds with no burst stays inside it. Verdicts change slowly;
// six hours of cache spares the quota across an alert storm.
const (
	DefaultRate      = rate.Limit(4.0 / 60)
	DefaultBurst     = 1
	DefaultCacheSize = 10_000
	DefaultCacheTTL  = 6 * time.Hour
	defaultTimeout   = 30 * time.Second
)

// Option configures a Client.
type Option func(*online.Config)

// WithRateLimit sets the request rate and burst; rate.Inf disables the
// limit (a premium key, or tests).
func WithRateLimit(limit rate.Limit, burst int) Option {
	return func(c *online.Config) { c.Limit, c.Burst = limit, burst }
}

// WithCache sets how many answers are kept and for how long; a negative
// size disables the cache.
func WithCache(size int, ttl time.Duration) Option {
	return func(c *online.Config) { c.CacheSize, c.TTL = size, ttl }
}

// WithClock sets the clock of the 429 pause, for tests; the cache keeps
// real time.
func WithClock(now func() time.Time) Option {
	return func(c *online.Config) { c.Now = now }
}

// Client looks indicators up in VirusTotal. It is safe for concurrent use.
type Client struct {
	hc    *http.Client
	base  string
	key   string
	guard *online.Guard
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty)
// that authenticates with apiKey. A nil hc gets a private client with a 30s
// timeout. A missing key is httpx.ErrNotConfigured: online lookups are
// optional.
func New(hc *http.Client, baseURL, apiKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, fmt.Errorf("virustotal: no API key (%s): %w", APIKeyEnv, httpx.ErrNotConfigured)
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if _, err := httpx.BaseURL(baseURL); err != nil {
		return nil, fmt.Errorf("virustotal: base URL %q: want http(s)://host[/path]", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	cfg := online.Config{Name: "virustotal", Limit: DefaultRate, Burst: DefaultBurst, CacheSize: DefaultCacheSize, TTL: DefaultCacheTTL}
	for _, o := range opts {
		o(&cfg)
	}
	return &Client{hc: hc, base: strings.TrimRight(baseURL, "/"), key: apiKey, guard: online.New(cfg)}, nil
}

// Lookup returns VirusTotal's verdict on indicator as at most one hit: an
// IP address, a domain, a URL or an MD5/SHA-1/SHA-256 hash. It returns no
// hit, without an error, when VirusTotal does not know the indicator
// (404), when no engine found it malicious or suspicious, and without
// calling for what VirusTotal cannot look up (CIDR ranges, text that is no
// indicator) and for private or otherwise non-public addresses, which
// would spend quota and tell a third party about the network.
//
// The hit's confidence is the share of engines that found the indicator
// malicious, suspicious verdicts counting half:
// 100 × (malicious + suspicious/2) / (malicious + suspicious + harmless +
// undetected), at least 1. Engines that timed out, failed or do not handle
// the type have no say. A share rather than a count because the number of
// engines differs by type (about 70 for files, 90 for URLs).
func (c *Client) Lookup(ctx context.Context, indicator string) ([]alert.IntelHit, error) {
	q, ok := query(indicator)
	if !ok {
		return nil, nil
	}
	return c.guard.Lookup(ctx, q.typ+":"+q.canonical, func(ctx context.Context) ([]alert.IntelHit, error) {
		return c.fetch(ctx, q)
	})
}

// lookup is one indicator ready to ask about.
type lookup struct {
	typ, canonical string
	// path is the API path of the object.
	path string
}

func query(indicator string) (lookup, bool) {
	v := strings.TrimSpace(indicator)
	typ, ok := intel.InferType(v)
	if !ok {
		return lookup{}, false
	}
	switch typ {
	case intel.TypeIPv4, intel.TypeIPv6:
		a, err := netip.ParseAddr(v)
		if err != nil || !online.Public(a) {
			return lookup{}, false
		}
		s := a.Unmap().WithZone("").String()
		return lookup{typ: typ, canonical: s, path: "/api/v3/ip_addresses/" + s}, true
	case intel.TypeDomain:
		d, err := intel.Normalize(typ, v)
		if err != nil {
			return lookup{}, false
		}
		return lookup{typ: typ, canonical: d, path: "/api/v3/domains/" + url.PathEscape(d)}, true
	case intel.TypeMD5, intel.TypeSHA1, intel.TypeSHA256:
		h := strings.ToLower(v)
		return lookup{typ: typ, canonical: h, path: "/api/v3/files/" + h}, true
	case intel.TypeURL:
		// VirusTotal's URL identifier is the URL in unpadded base64url;
		// it canonicalises the URL itself, so it gets it as written.
		return lookup{typ: typ, canonical: v, path: "/api/v3/urls/" + base64.RawURLEncoding.EncodeToString([]byte(v))}, true
	}
	return lookup{}, false
}

// object is the part of a VirusTotal object socflow reads.
type object struct {
	Data struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes struct {
			LastAnalysisStats struct {
				Malicious  int `json:"malicious"`
				Suspicious int `json:"suspicious"`
				Harmless   int `json:"harmless"`
				Undetected int `json:"undetected"`
			} `json:"last_analysis_stats"`
			LastAnalysisDate    int64    `json:"last_analysis_date"`
			Tags                []string `json:"tags"`
			PopularThreatLabels struct {
				Suggested  string `json:"suggested_threat_label"`
				Categories []struct {
					Value string `json:"value"`
				} `json:"popular_threat_category"`
			} `json:"popular_threat_classification"`
		} `json:"attributes"`
	} `json:"data"`
}

func (c *Client) fetch(ctx context.Context, q lookup) ([]alert.IntelHit, error) {
	var obj object
	err := httpx.Do(ctx, c.hc, httpx.Request{
		Method: http.MethodGet,
		URL:    c.base + q.path,
		Header: http.Header{"X-Apikey": {c.key}},
	}, &obj)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("virustotal: %w", err)
	}
	if h, ok := toHit(q, &obj); ok {
		return []alert.IntelHit{h}, nil
	}
	return nil, nil
}

// toHit maps an object's last analysis to a hit; see Lookup.
func toHit(q lookup, obj *object) (alert.IntelHit, bool) {
	a := &obj.Data.Attributes
	s := a.LastAnalysisStats
	total := s.Malicious + s.Suspicious + s.Harmless + s.Undetected
	if s.Malicious+s.Suspicious == 0 || total == 0 {
		return alert.IntelHit{}, false
	}
	conf := (200*s.Malicious + 100*s.Suspicious + total) / (2 * total) // rounded
	conf = min(max(conf, 1), 100)
	var labels []string
	if l := a.PopularThreatLabels.Suggested; l != "" {
		labels = append(labels, l)
	}
	for _, cat := range a.PopularThreatLabels.Categories {
		if cat.Value != "" && !slices.Contains(labels, cat.Value) {
			labels = append(labels, cat.Value)
		}
	}
	desc := fmt.Sprintf("VirusTotal: %d of %d engines malicious, %d suspicious", s.Malicious, total, s.Suspicious)
	if a.LastAnalysisDate > 0 {
		desc += ", analysed " + time.Unix(a.LastAnalysisDate, 0).UTC().Format(time.DateOnly)
	}
	return alert.IntelHit{
		Indicator:   q.canonical,
		Type:        q.typ,
		Source:      Source,
		Confidence:  conf,
		Labels:      labels,
		Description: desc,
	}, true
}
