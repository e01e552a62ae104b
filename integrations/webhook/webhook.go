// Package webhook calls HTTP APIs a playbook names by target: a CACAO
// http-api command, or a Go playbook's own call. The targets (base URL and
// credential) come from socflow's configuration, never from the playbook:
// a playbook names "ticketing-api", and cannot send an operator's token to
// an address it chose.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// MaxResponseBytes bounds the body a call returns: it becomes a playbook
// step's result, which the incident keeps.
const MaxResponseBytes = 32 << 10

// Target is one configured API.
type Target struct {
	Name string
	// BaseURL is where paths are resolved; a call's path may not leave
	// its scheme and host.
	BaseURL string
	// Client carries the target's credential (httpx.Authenticated).
	Client *http.Client
	// Header is sent with every call (non-secret headers).
	Header http.Header
}

// Targets holds the configured targets by name.
type Targets struct {
	byName map[string]Target
}

// ErrUnknownTarget is a call to a target the configuration does not name,
// and ErrBadCall one whose path cannot be sent (it leaves the target's
// address, or does not parse): neither gets better on a retry.
var (
	ErrUnknownTarget = errors.New("no such HTTP target")
	ErrBadCall       = errors.New("bad HTTP call")
)

// New checks and holds the targets.
func New(ts ...Target) (*Targets, error) {
	out := &Targets{byName: map[string]Target{}}
	for _, t := range ts {
		if t.Name == "" {
			return nil, errors.New("webhook: a target needs a name")
		}
		if _, dup := out.byName[t.Name]; dup {
			return nil, fmt.Errorf("webhook: target %q is named twice", t.Name)
		}
		if _, err := httpx.BaseURL(t.BaseURL); err != nil {
			return nil, fmt.Errorf("webhook: target %q: %w", t.Name, err)
		}
		if t.Client == nil {
			t.Client = &http.Client{Timeout: 30 * time.Second}
		}
		out.byName[t.Name] = t
	}
	return out, nil
}

// Names lists the targets, sorted.
func (t *Targets) Names() []string {
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Has reports whether the target is configured.
func (t *Targets) Has(name string) bool { _, ok := t.byName[name]; return ok }

// Call is one request.
type Call struct {
	Target string
	Method string
	// Path is resolved against the target's base URL: "/api/v1/block" or
	// "api/v1/block?x=1". An absolute URL is accepted only on the
	// target's own scheme and host.
	Path   string
	Header http.Header
	Body   string
}

// Response is the target's answer.
type Response struct {
	Status int
	Body   string
	// Truncated says the body was longer than MaxResponseBytes.
	Truncated bool
}

// Do sends the call. A non-2xx answer is an *httpx.StatusError (which
// says whether a retry may help), with the answer's status and body.
func (t *Targets) Do(ctx context.Context, c Call) (Response, error) {
	tg, ok := t.byName[c.Target]
	if !ok {
		return Response{}, fmt.Errorf("webhook: %w %q (configured: %s)", ErrUnknownTarget, c.Target, orNone(strings.Join(t.Names(), ", ")))
	}
	u, err := resolve(tg.BaseURL, c.Path)
	if err != nil {
		return Response{}, fmt.Errorf("webhook: target %s: %w: %w", c.Target, ErrBadCall, err)
	}
	method := strings.ToUpper(strings.TrimSpace(c.Method))
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return Response{}, fmt.Errorf("webhook: target %s: %w: %w", c.Target, ErrBadCall, err)
	}
	for k, vs := range tg.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range c.Header {
		if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Cookie") || strings.EqualFold(k, "Host") {
			// The credential is the target's: a playbook cannot set it.
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	resp, err := tg.Client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("webhook: %s %s: %w", method, c.Target, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, _ := io.Copy(&buf, io.LimitReader(resp.Body, MaxResponseBytes+1))
	out := Response{Status: resp.StatusCode, Body: buf.String(), Truncated: n > MaxResponseBytes}
	if out.Truncated {
		out.Body = out.Body[:MaxResponseBytes]
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, &httpx.StatusError{Method: method, URL: c.Target + " " + c.Path, Code: resp.StatusCode,
			Body: strings.TrimSpace(alert.Truncate(out.Body, 2048)), RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return out, nil
}

// resolve joins path to base, refusing a path that leaves the base's
// scheme and host.
func resolve(base, path string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	p, err := url.Parse(strings.TrimSpace(path))
	if err != nil {
		return "", fmt.Errorf("path %q: %w", alert.Truncate(path, 100), err)
	}
	if p.Scheme != "" || p.Host != "" {
		if !strings.EqualFold(p.Scheme, b.Scheme) || !strings.EqualFold(p.Host, b.Host) {
			return "", fmt.Errorf("path %q leaves the target's address %s://%s", alert.Truncate(path, 100), b.Scheme, b.Host)
		}
		return p.String(), nil
	}
	if !strings.HasSuffix(b.Path, "/") {
		b.Path += "/"
	}
	return b.ResolveReference(&url.URL{Path: strings.TrimPrefix(p.Path, "/"), RawQuery: p.RawQuery}).String(), nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
