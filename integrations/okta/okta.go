// Package okta is a client for Okta's Users API: it reads a user's
// status, suspends and unsuspends accounts and clears their sessions. It
// decides nothing from the status: the caller reads it and acts.
package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// defaultTimeout bounds a call when the caller gives no *http.Client; the
// activity's own timeout still applies on top.
const defaultTimeout = 30 * time.Second

// User statuses, as Okta spells them.
const (
	StatusStaged          = "STAGED"
	StatusProvisioned     = "PROVISIONED"
	StatusActive          = "ACTIVE"
	StatusRecovery        = "RECOVERY"
	StatusPasswordExpired = "PASSWORD_EXPIRED"
	StatusLockedOut       = "LOCKED_OUT"
	StatusSuspended       = "SUSPENDED"
	StatusDeprovisioned   = "DEPROVISIONED"
)

// Client calls an Okta org's Users API with an API token. It disables
// and re-enables accounts and revokes sessions; the worker reads an
// account's state through [Client.GetUser].
type Client struct {
	hc    *http.Client
	base  string
	token string
}

// New returns a client for the org at baseURL (https://example.okta.com)
// that authenticates with an API token (sent as "SSWS <token>"). A nil hc
// gets a private client with a 30s timeout. A missing URL or token is
// httpx.ErrNotConfigured.
func New(hc *http.Client, baseURL, token string) (*Client, error) {
	if baseURL == "" {
		return nil, fmt.Errorf("okta: no org URL: %w", httpx.ErrNotConfigured)
	}
	if token == "" {
		return nil, fmt.Errorf("okta: no API token: %w", httpx.ErrNotConfigured)
	}
	if _, err := httpx.BaseURL(baseURL); err != nil {
		return nil, fmt.Errorf("okta: org URL %q: want https://<org>.okta.com", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	// Okta announces its back-off in X-Rate-Limit-Reset, not Retry-After;
	// translating it lets httpx carry it to the activity's retry delay.
	wrapped := *hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	wrapped.Transport = rateLimitReset{next: next}
	return &Client{hc: &wrapped, base: strings.TrimRight(baseURL, "/"), token: token}, nil
}

// User is the part of Okta's user object socflow reads.
type User struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// TransitioningToStatus is set while Okta completes a lifecycle change.
	TransitioningToStatus string  `json:"transitioningToStatus"`
	Profile               Profile `json:"profile"`
}

// Profile is the part of a user's profile socflow reads.
type Profile struct {
	Login string `json:"login"`
	Email string `json:"email"`
}

// GetUser looks a user up by ID or login.
func (c *Client) GetUser(ctx context.Context, idOrLogin string) (User, error) {
	idOrLogin = strings.TrimSpace(idOrLogin)
	switch {
	case idOrLogin == "":
		// An empty segment would list every user instead.
		return User{}, c.localError("/api/v1/users/", "no user given")
	case strings.EqualFold(idOrLogin, "me"):
		// "me" is Okta's alias for the token's owner: suspending it would
		// lock out the administrator instead of the suspect.
		return User{}, c.localError("/api/v1/users/me", `"me" names the API token's owner, not a user to contain`)
	}
	var u User
	if err := c.do(ctx, http.MethodGet, "/api/v1/users/"+url.PathEscape(idOrLogin), &u); err != nil {
		return User{}, fmt.Errorf("okta: get user %s: %w", idOrLogin, err)
	}
	if u.ID == "" {
		return User{}, fmt.Errorf("okta: get user %s: answer has no id", idOrLogin)
	}
	return u, nil
}

// DisableUser suspends the user with this login (or ID) and clears the
// user's sessions (see [Client.RevokeSessions]), so that a session opened
// before the suspension ends too. It suspends whatever the user's status:
// the caller reads [Client.GetUser] first and decides. Okta only suspends
// ACTIVE users; for one in any other state the call fails with Okta's
// explanation, since containment that did not happen must not look as if
// it had.
func (c *Client) DisableUser(ctx context.Context, user string) error {
	u, err := c.lifecycle(ctx, user, "suspend")
	if err != nil {
		return err
	}
	if err := c.revoke(ctx, u.ID); err != nil {
		return fmt.Errorf("okta: suspended %s, but: revoke sessions: %w", user, err)
	}
	return nil
}

// EnableUser unsuspends the user with this login (or ID). Okta only
// unsuspends SUSPENDED users.
func (c *Client) EnableUser(ctx context.Context, user string) error {
	_, err := c.lifecycle(ctx, user, "unsuspend")
	return err
}

// RevokeSessions clears every Okta session of the user with this login (or
// ID) and the OpenID Connect and OAuth tokens issued to the user, so that
// the next request anywhere must sign in again. Clearing sessions that do
// not exist succeeds, so the call may be repeated. Sessions an app keeps
// of its own are not Okta's to clear.
func (c *Client) RevokeSessions(ctx context.Context, user string) error {
	u, err := c.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if err := c.revoke(ctx, u.ID); err != nil {
		return fmt.Errorf("okta: revoke sessions of %s: %w", user, err)
	}
	return nil
}

// revoke clears the sessions of the user with this Okta ID.
func (c *Client) revoke(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(id)+"/sessions?oauthTokens=true", nil)
}

// lifecycle runs one lifecycle operation on the user.
func (c *Client) lifecycle(ctx context.Context, user, op string) (User, error) {
	u, err := c.GetUser(ctx, user)
	if err != nil {
		return User{}, err
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/users/"+url.PathEscape(u.ID)+"/lifecycle/"+op, nil); err != nil {
		return User{}, fmt.Errorf("okta: %s %s: %w", op, user, err)
	}
	return u, nil
}

// do runs one call and, on an error answer, replaces Okta's raw error body
// with its summary, causes and error ID: what a responder, or Okta
// support, needs.
func (c *Client) do(ctx context.Context, method, path string, out any) error {
	h := http.Header{"Authorization": {"SSWS " + c.token}}
	if method == http.MethodPost {
		// Lifecycle operations have no body, but Okta documents the
		// content type for them.
		h.Set("Content-Type", "application/json")
	}
	err := httpx.Do(ctx, c.hc, httpx.Request{Method: method, URL: c.base + path, Header: h}, out)
	var se *httpx.StatusError
	if errors.As(err, &se) {
		se.Body = summary(se.Body)
	}
	return err
}

// summary renders an Okta error body; text that is not one is returned as
// it is.
func summary(body string) string {
	var e struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		ErrorID      string `json:"errorId"`
		ErrorCauses  []struct {
			ErrorSummary string `json:"errorSummary"`
		} `json:"errorCauses"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.ErrorSummary == "" {
		return body
	}
	var b strings.Builder
	if e.ErrorCode != "" {
		b.WriteString(e.ErrorCode + ": ")
	}
	b.WriteString(e.ErrorSummary)
	for _, c := range e.ErrorCauses {
		if c.ErrorSummary != "" {
			b.WriteString("; " + c.ErrorSummary)
		}
	}
	if e.ErrorID != "" {
		b.WriteString(" (errorId " + e.ErrorID + ")")
	}
	return b.String()
}

// localError is a refusal decided here rather than by Okta, shaped like
// Okta's own so that the activity classifies both alike (as a bad request).
func (c *Client) localError(path, msg string) error {
	return fmt.Errorf("okta: %w", &httpx.StatusError{Method: http.MethodGet, URL: c.base + path, Code: http.StatusBadRequest, Body: msg})
}

// rateLimitReset gives a 429 answer that has X-Rate-Limit-Reset (a Unix
// time) but no Retry-After the equivalent Retry-After, measured from the
// answer's Date so that clock skew does not matter.
type rateLimitReset struct {
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t rateLimitReset) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		return resp, err
	}
	reset, perr := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Reset")), 10, 64)
	if perr != nil {
		return resp, nil
	}
	now := time.Now()
	if d, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
		now = d
	}
	secs := time.Unix(reset, 0).Sub(now).Seconds()
	// A reset already past still means "not this instant".
	wait := max(1, int64(secs+0.999))
	resp.Header.Set("Retry-After", strconv.FormatInt(wait, 10))
	return resp, nil
}
