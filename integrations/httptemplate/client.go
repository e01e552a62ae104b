package httptemplate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// Client sends compiled requests to one service.
type Client struct {
	// Name prefixes every error ("firewall", "mail").
	Name string
	HC   *http.Client
	// Base is the service's URL, which request URLs are resolved
	// against.
	Base *url.URL
	// Token is the API token: sent as "Authorization: Bearer <token>"
	// unless a template places {{.Token}} itself. Empty when the
	// credential travels in the HTTP client's transport.
	Token string
}

// Answer is what the service answered to one request.
type Answer struct {
	// Absent says the status was one of Request.Absent.
	Absent bool
	Status int
	Body   []byte
	// URL is the request's URL without its query, which may carry the
	// key, for error messages.
	URL string
}

// Refuse is a refusal before anything is sent, shaped as the 400 the
// service would answer so that the activity classifies it as one.
func (c Client) Refuse(t *Template, msg string) error {
	return fmt.Errorf("%s: %w", c.Name, &httpx.StatusError{Method: t.method, URL: c.Base.Redacted(), Code: http.StatusBadRequest, Body: msg})
}

// Send renders t with d and sends it. An answer whose status is neither
// one of Request.Status (any 2xx when empty) nor of Request.Absent is an
// *httpx.StatusError, retryable as the status says and with the
// service's Retry-After.
func (c Client) Send(ctx context.Context, t *Template, d any) (Answer, error) {
	u, err := t.target(c.Base, d)
	if err != nil {
		return Answer{}, c.Refuse(t, "url "+err.Error())
	}
	var body io.Reader
	if t.body != nil {
		s, err := run(t.body, d)
		if err != nil {
			return Answer{}, c.Refuse(t, "body: "+err.Error())
		}
		body = strings.NewReader(s)
	}
	req, err := http.NewRequestWithContext(ctx, t.method, u.String(), body)
	if err != nil {
		return Answer{}, fmt.Errorf("%s: %w", c.Name, err)
	}
	if c.Token != "" && !t.usesToken {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for _, h := range t.headers {
		v, err := run(h.t, d)
		if err != nil || strings.ContainsAny(v, "\r\n") {
			return Answer{}, c.Refuse(t, "header "+h.name+" would hold a line break or fail to render")
		}
		req.Header.Set(h.name, v)
	}
	// The query may carry the key: errors name the URL without it.
	shown := strings.SplitN(u.Redacted(), "?", 2)[0]
	resp, err := c.HC.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s: %s %s: %w", c.Name, t.method, shown, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Answer{}, fmt.Errorf("%s: %s %s: read answer: %w", c.Name, t.method, shown, err)
	}
	if slices.Contains(t.absent, resp.StatusCode) {
		return Answer{Absent: true, Status: resp.StatusCode, Body: data, URL: shown}, nil
	}
	if !t.expected(resp.StatusCode) {
		snippet := data
		if len(snippet) > 2048 {
			snippet = snippet[:2048]
		}
		return Answer{}, fmt.Errorf("%s: %w", c.Name, &httpx.StatusError{
			Method: t.method, URL: shown, Code: resp.StatusCode,
			Body:       strings.TrimSpace(string(snippet)),
			RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		})
	}
	return Answer{Status: resp.StatusCode, Body: data, URL: shown}, nil
}

// Ref reads the answer's reference at Request.Ref ("" without one). ok
// is false when the answer holds nothing there; an answer that is not
// JSON, or holds something other than a string or a number there, is an
// error.
func (t *Template) Ref(a Answer) (ref string, ok bool, err error) {
	if t.ref == "" {
		return "", true, nil
	}
	return pointer(a.Body, t.ref)
}

// RequireRef reads the answer's reference ("" when the request reads
// none); an answer without one where the request said it would be is an
// error naming the pointer.
func (c Client) RequireRef(t *Template, a Answer) (string, error) {
	ref, ok, err := t.Ref(a)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %s %s: answer: %w", c.Name, t.method, a.URL, err)
	case !ok:
		return "", fmt.Errorf("%s: %s %s: answer: no %s", c.Name, t.method, a.URL, t.ref)
	}
	return ref, nil
}

func (t *Template) expected(code int) bool {
	if len(t.status) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(t.status, code)
}

// pointer reads the string or number at a JSON pointer (RFC 6901).
func pointer(data []byte, ptr string) (string, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false, fmt.Errorf("not JSON, so no %s: %v", ptr, err)
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return "", false, nil
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return "", false, nil
			}
			v = x[i]
		default:
			return "", false, nil
		}
	}
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		if x == "" {
			return "", false, fmt.Errorf("%s is empty", ptr)
		}
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	}
	return "", false, fmt.Errorf("%s is not a string or a number", ptr)
}
