// Package taxii is a TAXII 2.1 client: it finds API roots and collections
// and polls a collection's objects, with added_after and pagination, and
// Source turns a collection into an intel.Feeds source that follows it.
//
// TAXII's calls answer application/taxii+json, and paging needs a response
// header (X-TAXII-Date-Added-Last), so the client makes its own requests
// rather than use httpx.Do; its errors are the same *httpx.StatusError.
package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// MediaType is what a TAXII 2.1 client accepts and a server answers.
const MediaType = "application/taxii+json;version=2.1"

// Header names of the TAXII 2.1 objects endpoint.
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// TimeFormat is how the client writes added_after: RFC 3339 in UTC with
// microseconds, the precision TAXII servers record date_added with.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Defaults.
const (
	// DefaultPageSize is the limit asked for per page; servers may answer
	// fewer.
	DefaultPageSize = 500
	// maxPages bounds one Poll, so that a server that keeps saying "more"
	// without moving on cannot hold the caller forever.
	maxPages = 10_000
	// maxBody bounds one page.
	maxBody        = 64 << 20
	defaultTimeout = 60 * time.Second
)

// Option configures a Client.
type Option func(*Client)

// WithBasicAuth authenticates with HTTP basic authentication, as most
// TAXII servers (OpenTAXII, Medallion, MISP's TAXII) expect.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) {
		c.auth = func(r *http.Request) { r.SetBasicAuth(user, password) }
	}
}

// WithBearerToken authenticates with a bearer token.
func WithBearerToken(token string) Option {
	return func(c *Client) {
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	}
}

// WithPageSize sets the limit asked for per page.
func WithPageSize(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.limit = n
		}
	}
}

// Client calls TAXII 2.1 servers. It is safe for concurrent use.
type Client struct {
	hc    *http.Client
	auth  func(*http.Request)
	limit int
}

// New returns a client. A nil hc gets a private client with a 60s timeout.
func New(hc *http.Client, opts ...Option) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{hc: hc, auth: func(*http.Request) {}, limit: DefaultPageSize}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Discovery is a server's discovery resource.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is an API root's information resource.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is a collection's information resource.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Envelope is a page of objects.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// Discover reads the discovery resource (https://host/taxii2/). It is
// optional: a collection URL is enough to poll.
func (c *Client) Discover(ctx context.Context, discoveryURL string) (Discovery, error) {
	var d Discovery
	_, err := c.get(ctx, discoveryURL, &d)
	return d, err
}

// APIRoot reads an API root's information.
func (c *Client) APIRoot(ctx context.Context, apiRootURL string) (APIRoot, error) {
	var r APIRoot
	_, err := c.get(ctx, withSlash(apiRootURL), &r)
	return r, err
}

// Collections lists the collections of an API root.
func (c *Client) Collections(ctx context.Context, apiRootURL string) ([]Collection, error) {
	var out struct {
		Collections []Collection `json:"collections"`
	}
	_, err := c.get(ctx, withSlash(apiRootURL)+"collections/", &out)
	return out.Collections, err
}

// CollectionURL returns the URL of collection id under an API root.
func CollectionURL(apiRootURL, id string) string {
	return withSlash(apiRootURL) + "collections/" + url.PathEscape(id) + "/"
}

// Poll returns the objects added to the collection at collectionURL
// ({api-root}/collections/{id}/) after addedAfter (every object when it is
// zero), of the given STIX types when any are given, following the pages
// to the end. next is the date_added of the last object returned
// (X-TAXII-Date-Added-Last), to pass as addedAfter on the next poll; it is
// addedAfter when there was nothing new or the server does not say.
//
// Pages are followed with the server's "next" token when it gives one,
// else by moving added_after to the page's X-TAXII-Date-Added-Last. The
// second way can miss objects that share a date_added across a page
// boundary (added_after is exclusive); servers that page that way accept
// the risk.
func (c *Client) Poll(ctx context.Context, collectionURL string, addedAfter time.Time, types ...string) ([]json.RawMessage, time.Time, error) {
	base := withSlash(collectionURL) + "objects/"
	after, last := addedAfter, addedAfter
	next := ""
	var objs []json.RawMessage
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, addedAfter, fmt.Errorf("taxii: %s: still more after %d pages", base, maxPages)
		}
		q := url.Values{"limit": {strconv.Itoa(c.limit)}}
		if !after.IsZero() {
			q.Set("added_after", after.UTC().Format(TimeFormat))
		}
		if next != "" {
			q.Set("next", next)
		}
		if len(types) > 0 {
			q.Set("match[type]", strings.Join(types, ","))
		}
		var env Envelope
		h, err := c.get(ctx, base+"?"+q.Encode(), &env)
		if err != nil {
			return nil, addedAfter, err
		}
		objs = append(objs, env.Objects...)
		pageLast, hasLast := parseDate(h.Get(HeaderDateAddedLast))
		if hasLast && pageLast.After(last) {
			last = pageLast
		}
		if !env.More {
			return objs, last, nil
		}
		switch {
		case env.Next != "":
			if env.Next == next {
				return nil, addedAfter, fmt.Errorf("taxii: %s: the server repeated next token %q", base, next)
			}
			next = env.Next
		case hasLast && pageLast.After(after):
			after, next = pageLast, ""
		default:
			return nil, addedAfter, fmt.Errorf("taxii: %s: the server says there is more but gives neither a next token nor a later %s", base, HeaderDateAddedLast)
		}
	}
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	return t, err == nil
}

// get fetches one resource into out and returns the response headers.
func (c *Client) get(ctx context.Context, rawURL string, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	req.Header.Set("Accept", MediaType)
	c.auth(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return nil, fmt.Errorf("taxii: %w", &httpx.StatusError{
			Method:     http.MethodGet,
			URL:        redactQuery(rawURL),
			Code:       resp.StatusCode,
			Body:       strings.TrimSpace(string(snippet)),
			RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		})
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/taxii+json" && mt != "application/json") {
			return nil, fmt.Errorf("taxii: GET %s answered %q, want %s (is the URL a TAXII 2.1 endpoint?)", redactQuery(rawURL), ct, MediaType)
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("taxii: read %s: %w", redactQuery(rawURL), err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("taxii: %s: answer larger than %d MB; ask for smaller pages", redactQuery(rawURL), maxBody>>20)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("taxii: decode %s: %w", redactQuery(rawURL), err)
		}
	}
	return resp.Header, nil
}

func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// redactQuery drops the query string from URLs in errors: it holds
// paging tokens that only clutter the message.
func redactQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
