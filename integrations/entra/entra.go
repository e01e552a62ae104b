// Package entra is a client for Microsoft Graph's users API on Microsoft
// Entra ID: it reads whether an account is enabled, disables and
// re-enables accounts and revokes their sign-in sessions. It decides
// nothing from the state: the caller reads it and acts.
package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/socflow/socflow/integrations/httpx"
)

// DefaultBaseURL is Microsoft Graph's v1.0 endpoint in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Scope is the OAuth2 scope of an app-only Graph token: the application
// permissions granted to the app registration (User.EnableDisableAccount.All
// and User.Read.All, or User.ReadWrite.All; and User.RevokeSessions.All).
const Scope = "https://graph.microsoft.com/.default"

// TokenURL is the OAuth2 token endpoint of a tenant (its ID or a verified
// domain) in the global cloud.
func TokenURL(tenant string) string {
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// selectUser is the $select of every user read: what socflow needs, and
// no profile data beyond it.
const selectUser = "id,userPrincipalName,accountEnabled"

// Client calls Microsoft Graph with an *http.Client that authenticates
// every request (an app-only token from the client-credentials grant; see
// httpx.Authenticated). It reads an account's accountEnabled, disables
// and re-enables accounts, and revokes sign-in sessions.
type Client struct {
	hc   *http.Client
	base string
}

// New returns a client for Graph at baseURL (DefaultBaseURL when empty)
// that sends its requests through hc, which must carry the credential: a
// Graph token expires within the hour, so the client takes no fixed token.
// A nil hc is httpx.ErrNotConfigured.
func New(hc *http.Client, baseURL string) (*Client, error) {
	if hc == nil {
		return nil, fmt.Errorf("entra: no authenticated HTTP client (OAuth2 client credentials): %w", httpx.ErrNotConfigured)
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if _, err := httpx.BaseURL(baseURL); err != nil {
		return nil, fmt.Errorf("entra: Graph URL %q: want %s", baseURL, DefaultBaseURL)
	}
	return &Client{hc: hc, base: strings.TrimRight(baseURL, "/")}, nil
}

// User is the part of Graph's user resource socflow reads.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	AccountEnabled    bool   `json:"accountEnabled"`
}

// GetUser looks a user up by object ID or userPrincipalName.
func (c *Client) GetUser(ctx context.Context, user string) (User, error) {
	path, err := c.userPath(user)
	if err != nil {
		return User{}, err
	}
	var u struct {
		ID                string `json:"id"`
		UserPrincipalName string `json:"userPrincipalName"`
		// A pointer, so that an answer without the property is not read
		// as a disabled account.
		AccountEnabled *bool `json:"accountEnabled"`
	}
	if err := c.do(ctx, http.MethodGet, path+"?$select="+selectUser, nil, &u); err != nil {
		return User{}, fmt.Errorf("entra: get user %s: %w", user, err)
	}
	if u.ID == "" || u.AccountEnabled == nil {
		return User{}, fmt.Errorf("entra: get user %s: answer lacks id or accountEnabled", user)
	}
	return User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, AccountEnabled: *u.AccountEnabled}, nil
}

// DisableUser blocks sign-in for the user with this userPrincipalName (or
// object ID) and revokes the user's sessions, so that refresh tokens
// already issued stop working too. It writes whatever accountEnabled is:
// the caller reads [Client.GetUser] first and decides, and reads it again
// to verify, since Graph replicates directory writes and a read can
// briefly miss one.
func (c *Client) DisableUser(ctx context.Context, user string) error {
	u, err := c.setEnabled(ctx, user, false)
	if err != nil {
		return err
	}
	if err := c.RevokeSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("entra: disabled %s, but: %w", user, err)
	}
	return nil
}

// EnableUser lets the user with this userPrincipalName (or object ID)
// sign in again.
func (c *Client) EnableUser(ctx context.Context, user string) error {
	_, err := c.setEnabled(ctx, user, true)
	return err
}

// setEnabled writes accountEnabled.
func (c *Client) setEnabled(ctx context.Context, user string, enabled bool) (User, error) {
	op := map[bool]string{false: "disable", true: "enable"}[enabled]
	u, err := c.GetUser(ctx, user)
	if err != nil {
		return User{}, err
	}
	// By object ID from here on: a UPN can be renamed under us.
	path := "/users/" + url.PathEscape(u.ID)
	if err := c.do(ctx, http.MethodPatch, path, map[string]bool{"accountEnabled": enabled}, nil); err != nil {
		return User{}, fmt.Errorf("entra: %s %s: %w", op, user, err)
	}
	return u, nil
}

// RevokeSessions invalidates the refresh tokens and session cookies of the
// user with this userPrincipalName (or object ID), so that every app must
// sign the user in again. Revoking twice is harmless.
func (c *Client) RevokeSessions(ctx context.Context, user string) error {
	path, err := c.userPath(user)
	if err != nil {
		return err
	}
	var out struct {
		Value *bool `json:"value"`
	}
	if err := c.do(ctx, http.MethodPost, path+"/revokeSignInSessions", nil, &out); err != nil {
		return fmt.Errorf("entra: revoke sessions of %s: %w", user, err)
	}
	if out.Value == nil || !*out.Value {
		return fmt.Errorf("entra: revoke sessions of %s: Graph did not answer true", user)
	}
	return nil
}

// userPath is /users/{user}, refusing a user that would name something
// else: an empty one lists every user.
func (c *Client) userPath(user string) (string, error) {
	user = strings.TrimSpace(user)
	if user == "" {
		return "", fmt.Errorf("entra: %w", &httpx.StatusError{Method: http.MethodGet, URL: c.base + "/users/", Code: http.StatusBadRequest, Body: "no user given"})
	}
	return "/users/" + url.PathEscape(user), nil
}

// do runs one call and, on an error answer, replaces Graph's raw error
// body with its code, message and request ID: what a responder, or
// Microsoft support, needs.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	err := httpx.Do(ctx, c.hc, httpx.Request{Method: method, URL: c.base + path, Body: body}, out)
	var se *httpx.StatusError
	if errors.As(err, &se) {
		se.Body = summary(se.Body)
	}
	return err
}

// summary renders a Graph error body ({"error": {"code", "message",
// "innerError": {"request-id"}}}); text that is not one is returned as it
// is.
func summary(body string) string {
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || (e.Error.Code == "" && e.Error.Message == "") {
		return body
	}
	var b strings.Builder
	b.WriteString(e.Error.Code)
	if e.Error.Message != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Error.Message)
	}
	if id := e.Error.InnerError.RequestID; id != "" {
		b.WriteString(" (request-id " + id + ")")
	}
	return b.String()
}
