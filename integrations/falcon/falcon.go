// Package falcon is a client for the CrowdStrike Falcon API: it finds
// devices by host name or device ID, contains them and lifts their
// containment, describes them for enrichment, and blocks file hashes with
// IOC Management's custom indicators. It authenticates with
// OAuth2 client credentials, the only method Falcon's API offers, and
// every call may be repeated safely.
package falcon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// The Falcon clouds' API base URLs.
const (
	BaseURLUS1    = "https://api.crowdstrike.com"
	BaseURLUS2    = "https://api.us-2.crowdstrike.com"
	BaseURLEU1    = "https://api.eu-1.crowdstrike.com"
	BaseURLUSGov1 = "https://api.laggar.gcw.crowdstrike.com"

	// DefaultBaseURL is the US-1 cloud's.
	DefaultBaseURL = BaseURLUS1
)

// TokenPath is where Falcon issues access tokens, under the base URL.
const TokenPath = "/oauth2/token"

// defaultTimeout bounds a call when the caller gives no *http.Client; the
// activity's own timeout still applies on top.
const defaultTimeout = 30 * time.Second

// Config is how to reach one Falcon cloud.
type Config struct {
	// BaseURL is the cloud's API (one of the BaseURL constants, or a proxy
	// in front of it); DefaultBaseURL when empty.
	BaseURL string
	// ClientID and ClientSecret are an API client's, created in the
	// Falcon console with the Hosts read and write scopes (and IOC
	// Manager APIs read and write, for hash blocks).
	ClientID     string
	ClientSecret httpx.Redacted
	// TokenURL is BaseURL + TokenPath when empty.
	TokenURL string
	// Clock decides when the cached token is due for renewal and how far
	// off a rate limit's end is; time.Now when nil.
	Clock func() time.Time
}

// Client calls the Falcon API. It contains hosts, describes them and
// blocks file hashes with custom IOCs (the worker finds each capability
// by interface); it blocks no addresses.
type Client struct {
	hc     *http.Client
	base   string
	tokens *tokenSource
}

// New returns a client for the Falcon cloud cfg names. A nil hc gets a
// private client with a 30s timeout; token requests go through hc too. A
// missing client ID or secret is httpx.ErrNotConfigured.
func New(hc *http.Client, cfg Config) (*Client, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("falcon: client_id and client_secret are both needed: %w", httpx.ErrNotConfigured)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if _, err := httpx.BaseURL(base); err != nil {
		return nil, fmt.Errorf("falcon: base URL %q: want http(s)://host[/path], such as %s", base, DefaultBaseURL)
	}
	base = strings.TrimRight(base, "/")
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = base + TokenPath
	}
	if _, err := httpx.BaseURL(tokenURL); err != nil {
		return nil, fmt.Errorf("falcon: token URL %q: want http(s)://host/path", tokenURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	own := *hc
	own.Transport = rateLimitTransport{base: rt, now: now}
	return &Client{
		hc:     &own,
		base:   base,
		tokens: newTokenSource(&own, tokenURL, cfg.ClientID, cfg.ClientSecret, now),
	}, nil
}

// envelope is the body of every Falcon answer, success or failure.
type envelope[T any] struct {
	Meta      json.RawMessage `json:"meta"`
	Resources []T             `json:"resources"`
	Errors    []apiError      `json:"errors"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id,omitempty"`
}

// do runs one call with a current access token. A 401 is answered once by
// a fresh token: Falcon revokes tokens before they expire (a rotated
// secret, a token revoked in the console), and the cached one is then
// useless. An error answer's body is replaced by Falcon's error messages.
func (c *Client) do(ctx context.Context, method, pathAndQuery string, body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return err
		}
		err = httpx.Do(ctx, c.hc, httpx.Request{
			Method: method,
			URL:    c.base + pathAndQuery,
			Header: http.Header{"Authorization": {"Bearer " + tok}},
			Body:   body,
		}, out)
		var se *httpx.StatusError
		if !errors.As(err, &se) {
			return err
		}
		if se.Code == http.StatusUnauthorized && attempt == 0 {
			c.tokens.invalidate(tok)
			continue
		}
		var e envelope[json.RawMessage]
		if json.Unmarshal([]byte(se.Body), &e) == nil && len(e.Errors) > 0 {
			se.Body = errorText(e.Errors)
		}
		return err
	}
}

// errorText joins Falcon's error messages.
func errorText(errs []apiError) string {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		if e.Message != "" {
			msgs = append(msgs, e.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// localError is a refusal decided here rather than by Falcon, shaped like
// Falcon's own so that the activity classifies both alike.
func (c *Client) localError(method, path string, code int, msg string) error {
	return fmt.Errorf("falcon: %w", &httpx.StatusError{Method: method, URL: c.base + path, Code: code, Body: msg})
}

// rateLimitTransport translates Falcon's rate-limit header into the
// standard one httpx reads: Falcon answers a 429 with
// X-RateLimit-RetryAfter, the Unix time at which to try again, and no
// Retry-After.
type rateLimitTransport struct {
	base http.RoundTripper
	now  func() time.Time
}

func (t rateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		return resp, err
	}
	if d := retryAfterUnix(resp.Header.Get("X-RateLimit-RetryAfter"), t.now()); d > 0 {
		resp.Header.Set("Retry-After", strconv.Itoa(d))
	}
	return resp, nil
}

// retryAfterUnix returns the whole seconds, rounded up, from now to the
// Unix time v, or 0 when v is absent, unreadable or past. A retry that
// comes a moment early is rate-limited again, hence the rounding up and
// the least of one second.
func retryAfterUnix(v string, now time.Time) int {
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0
	}
	d := time.Unix(secs, 0).Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
