package httpx

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Redacted is a credential in plain form. It prints, logs and marshals as
// REDACTED, so that a credential struct reaching a log line or an error by
// mistake leaks nothing; [Redacted.Reveal] is for the one place that sends
// it.
type Redacted string

// Reveal returns the credential itself.
func (r Redacted) Reveal() string { return string(r) }

// String redacts.
func (r Redacted) String() string {
	if r == "" {
		return ""
	}
	return "REDACTED"
}

// GoString redacts, for %#v.
func (r Redacted) GoString() string { return fmt.Sprintf("%q", r.String()) }

// LogValue redacts, for slog.
func (r Redacted) LogValue() slog.Value { return slog.StringValue(r.String()) }

// MarshalText redacts, for JSON and YAML.
func (r Redacted) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Credential is a way of authenticating requests, applied to a client by
// [Authenticated]: a [TokenAuth], a [BasicAuth] or a [ClientCredentials].
type Credential interface {
	transport(hc *http.Client, base http.RoundTripper) (http.RoundTripper, error)
}

// TokenAuth sends a fixed API token as "Authorization: <Scheme> <Token>".
type TokenAuth struct {
	// Scheme defaults to "Bearer"; Okta's API tokens use "SSWS".
	Scheme string
	Token  Redacted
}

// BasicAuth sends a user name and password (RFC 7617).
type BasicAuth struct {
	Username string
	Password Redacted
}

// ClientCredentials fetches access tokens from TokenURL with the OAuth2
// client-credentials grant and sends them as bearer tokens, fetching a new
// one shortly before the last expires.
type ClientCredentials struct {
	ClientID     string
	ClientSecret Redacted
	TokenURL     string
	Scopes       []string
}

// Authenticated returns a copy of hc whose every request carries cred's
// Authorization header, replacing any the caller set (an integration that
// sets its own token header is overridden). Token requests of
// ClientCredentials go through hc itself, so they share its transport and
// timeout. A nil hc is a client with a 30-second timeout. A credential
// missing a required value is ErrNotConfigured.
func Authenticated(hc *http.Client, cred Credential) (*http.Client, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rt, err := cred.transport(hc, base)
	if err != nil {
		return nil, err
	}
	out := *hc
	out.Transport = rt
	out.CheckRedirect = sameOrigin(hc.CheckRedirect)
	return &out, nil
}

// sameOrigin refuses redirects to another host or from https to http
// before next (the client's own policy, or the default of ten redirects)
// is asked. The transport adds the credential to every request it sends,
// so unlike a header the caller sets, which net/http drops on a redirect
// to another domain, it would follow the redirect anywhere.
func sameOrigin(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return fmt.Errorf("refusing a redirect from %s://%s to %s://%s: the credentials are for the first",
				first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

func (a TokenAuth) transport(_ *http.Client, base http.RoundTripper) (http.RoundTripper, error) {
	if a.Token == "" {
		return nil, fmt.Errorf("token auth: no token: %w", ErrNotConfigured)
	}
	scheme := a.Scheme
	if scheme == "" {
		scheme = "Bearer"
	}
	return headerTransport{base: base, value: scheme + " " + a.Token.Reveal()}, nil
}

func (a BasicAuth) transport(_ *http.Client, base http.RoundTripper) (http.RoundTripper, error) {
	if a.Username == "" || a.Password == "" {
		return nil, fmt.Errorf("basic auth: no username or password: %w", ErrNotConfigured)
	}
	creds := base64.StdEncoding.EncodeToString([]byte(a.Username + ":" + a.Password.Reveal()))
	return headerTransport{base: base, value: "Basic " + creds}, nil
}

func (a ClientCredentials) transport(hc *http.Client, base http.RoundTripper) (http.RoundTripper, error) {
	if a.ClientID == "" || a.ClientSecret == "" || a.TokenURL == "" {
		return nil, fmt.Errorf("oauth2: client_id, client_secret and token_url are all needed: %w", ErrNotConfigured)
	}
	cc := clientcredentials.Config{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret.Reveal(),
		TokenURL:     a.TokenURL,
		Scopes:       a.Scopes,
	}
	// The token source keeps this context for every fetch, so it must
	// outlive any one request; hc bounds each fetch with its timeout.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	src := statusTokenSource{src: cc.TokenSource(ctx), url: a.TokenURL}
	return &oauth2.Transport{Source: src, Base: base}, nil
}

// headerTransport sets the Authorization header on a copy of each request,
// as a RoundTripper must not change the caller's.
type headerTransport struct {
	base  http.RoundTripper
	value string
}

func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.value)
	return t.base.RoundTrip(r)
}

// statusTokenSource turns a refused token request into a *StatusError, so
// that the activity boundary classifies it as it does any API answer: a
// 401 for a wrong client secret is not retried, a 503 is.
type statusTokenSource struct {
	src oauth2.TokenSource
	url string
}

func (s statusTokenSource) Token() (*oauth2.Token, error) {
	t, err := s.src.Token()
	var re *oauth2.RetrieveError
	if err != nil && errors.As(err, &re) && re.Response != nil {
		// The endpoint's error code and description, not its raw body,
		// which some providers fill with request details.
		msg := "oauth2 token request refused"
		for _, part := range []string{re.ErrorCode, re.ErrorDescription} {
			if part != "" {
				msg += ": " + part
			}
		}
		return nil, &StatusError{
			Method:     http.MethodPost,
			URL:        redactQuery(s.url),
			Code:       re.Response.StatusCode,
			Body:       msg,
			RetryAfter: ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now()),
		}
	}
	return t, err
}
