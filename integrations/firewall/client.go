// Package firewall blocks addresses through a firewall's HTTP API that
// socflow has no client for, driven by request templates in the
// configuration (integrations.firewall with provider http): one request
// blocks, one lifts the block, and the answer's status says whether it
// worked. Every template is compiled and tried when the configuration
// loads, and every value is escaped for where it goes, so that an address
// or a comment from an alert cannot rewrite the request.
package firewall

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// Config is the adapter's configuration.
type Config struct {
	// URL is the service's base URL, which request URLs are resolved
	// against.
	URL string
	// Token is the API token: sent as "Authorization: Bearer <token>"
	// unless a template places {{.Token}} itself. Empty when the
	// credential travels in the HTTP client's transport.
	Token   string
	Block   Request
	Unblock Request
}

// Client blocks and unblocks addresses with the configured requests. It
// cannot read whether an address is blocked: the expected answer to the
// block request is the only confirmation there is.
type Client struct {
	hc      *http.Client
	base    *url.URL
	token   string
	block   *compiled
	unblock *compiled
}

// New compiles the configured requests (see [Compile]). A nil hc gets a
// private client with a 30s timeout.
func New(hc *http.Client, c Config) (*Client, error) {
	base, err := httpx.BaseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("firewall: base URL %q: want http(s)://host[/path]", c.URL)
	}
	block, err := compile(c.Block, c.URL, false)
	if err != nil {
		return nil, fmt.Errorf("firewall: block: %w", err)
	}
	unblock, err := compile(c.Unblock, c.URL, true)
	if err != nil {
		return nil, fmt.Errorf("firewall: unblock: %w", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{hc: hc, base: base, token: c.Token, block: block, unblock: unblock}, nil
}

// BlockIP sends the block request for a single address and returns the
// reference the answer holds at the configured pointer ("" without one).
func (c *Client) BlockIP(ctx context.Context, ip, comment string) (string, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", c.localError(c.block, fmt.Sprintf("%q is not a single IP address", ip))
	}
	return c.send(ctx, c.block, Data{IP: addr.String(), Comment: comment, Token: c.token})
}

// UnblockIP sends the unblock request; ref is what BlockIP returned.
func (c *Client) UnblockIP(ctx context.Context, ip, ref string) error {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return c.localError(c.unblock, fmt.Sprintf("%q is not a single IP address", ip))
	}
	if c.unblock.usesRef && ref == "" {
		return c.localError(c.unblock, "the unblock request needs the block's reference, and there is none")
	}
	_, err = c.send(ctx, c.unblock, Data{IP: addr.String(), Ref: ref, Token: c.token})
	return err
}

// localError is a refusal before anything is sent, shaped as the 400 the
// firewall would answer so that it is classified as one.
func (c *Client) localError(r *compiled, msg string) error {
	return fmt.Errorf("firewall: %w", &httpx.StatusError{Method: r.method, URL: c.base.Redacted(), Code: http.StatusBadRequest, Body: msg})
}

func (c *Client) send(ctx context.Context, r *compiled, d Data) (string, error) {
	u, err := r.target(c.base, d)
	if err != nil {
		return "", c.localError(r, "url "+err.Error())
	}
	var body io.Reader
	if r.body != nil {
		s, err := run(r.body, d)
		if err != nil {
			return "", c.localError(r, "body: "+err.Error())
		}
		body = strings.NewReader(s)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return "", fmt.Errorf("firewall: %w", err)
	}
	if c.token != "" && !r.usesToken {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for _, h := range r.headers {
		v, err := run(h.t, d)
		if err != nil || strings.ContainsAny(v, "\r\n") {
			return "", c.localError(r, "header "+h.name+" would hold a line break or fail to render")
		}
		req.Header.Set(h.name, v)
	}
	// The query may carry the key: errors name the URL without it.
	shown := strings.SplitN(u.Redacted(), "?", 2)[0]
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("firewall: %s %s: %w", r.method, shown, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("firewall: %s %s: read answer: %w", r.method, shown, err)
	}
	if !r.expected(resp.StatusCode) {
		snippet := data
		if len(snippet) > 2048 {
			snippet = snippet[:2048]
		}
		return "", fmt.Errorf("firewall: %w", &httpx.StatusError{
			Method: r.method, URL: shown, Code: resp.StatusCode,
			Body:       strings.TrimSpace(string(snippet)),
			RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		})
	}
	if r.ref == "" {
		return "", nil
	}
	ref, err := pointer(data, r.ref)
	if err != nil {
		return "", fmt.Errorf("firewall: %s %s: answer: %w", r.method, shown, err)
	}
	return ref, nil
}

func (r *compiled) expected(code int) bool {
	if len(r.status) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(r.status, code)
}

// pointer reads the string or number at a JSON pointer (RFC 6901).
func pointer(data []byte, ptr string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("not JSON, so no %s: %v", ptr, err)
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return "", fmt.Errorf("no %s", ptr)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("no %s", ptr)
			}
			v = x[i]
		default:
			return "", fmt.Errorf("no %s", ptr)
		}
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return "", fmt.Errorf("%s is empty", ptr)
		}
		return x, nil
	case json.Number:
		return x.String(), nil
	}
	return "", fmt.Errorf("%s is not a string or a number", ptr)
}
