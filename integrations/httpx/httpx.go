// Package httpx is the little HTTP plumbing every integration shares: a JSON
// round trip that turns a non-2xx answer into a *StatusError carrying the
// status, the service's own error text and its Retry-After, so that the
// activity boundary can classify it once; and [Authenticated], which puts a
// service's credential (token, basic or OAuth2 client credentials) in a
// client's transport.
package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrNotConfigured is returned by an integration that has no endpoint or
// credentials configured.
var ErrNotConfigured = errors.New("integration not configured")

// StatusError is a non-2xx answer from a remote API.
type StatusError struct {
	Method string
	URL    string
	Code   int
	// Body is the start of the response body: most APIs explain the error
	// there, and the responder needs that explanation.
	Body string
	// RetryAfter is the delay the service asked for (429 and 503), or 0.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether repeating the same request may succeed:
// rate limiting, server errors and timeouts may; bad requests, failed
// authentication and missing objects will not.
func (e *StatusError) Retryable() bool {
	return e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout || e.Code >= 500
}

// Request describes one JSON call.
type Request struct {
	Method string
	URL    string
	Header http.Header
	// Body is encoded as JSON when not nil.
	Body any
}

// Do sends the request and decodes a 2xx JSON answer into out (when out is
// not nil and the body is not empty).
func Do(ctx context.Context, c *http.Client, r Request, out any) error {
	var body io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return err
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return &StatusError{
			Method:     r.Method,
			URL:        redactQuery(r.URL),
			Code:       resp.StatusCode,
			Body:       strings.TrimSpace(string(snippet)),
			RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response from %s: %w", redactQuery(r.URL), err)
	}
	return nil
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. It returns 0 when the header is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactQuery drops the query string: some APIs take keys there.
func redactQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
