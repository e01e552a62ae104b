package falcon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/socflow/socflow/integrations/httpx"
)

// refreshMargin is how long before its expiry a token is replaced, so that
// a call never starts with a token about to lapse. Falcon's last 30
// minutes.
const refreshMargin = time.Minute

// tokenSource caches Falcon's access token and fetches a new one shortly
// before it expires or once Falcon refuses it. It is its own rather than
// httpx.ClientCredentials because Falcon wants the client ID and secret as
// form fields, not the basic header that golang.org/x/oauth2 tries first,
// and because a revoked token must be dropped before its expiry.
type tokenSource struct {
	cc  clientcredentials.Config
	hc  *http.Client
	now func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenSource(hc *http.Client, tokenURL, id string, secret httpx.Redacted, now func() time.Time) *tokenSource {
	return &tokenSource{
		cc: clientcredentials.Config{
			ClientID:     id,
			ClientSecret: secret.Reveal(),
			TokenURL:     tokenURL,
			AuthStyle:    oauth2.AuthStyleInParams,
		},
		hc:  hc,
		now: now,
	}
}

// token returns a current access token. Callers wait for one fetch
// rather than each fetching its own.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && (s.tok.Expiry.IsZero() || s.now().Add(refreshMargin).Before(s.tok.Expiry)) {
		return s.tok.AccessToken, nil
	}
	t, err := s.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.hc))
	if err != nil {
		return "", tokenError(s.cc.TokenURL, err)
	}
	if !t.Expiry.IsZero() {
		// oauth2 set the expiry by the wall clock (and leaves ExpiresIn
		// unset); count the lifetime from our own.
		t.Expiry = s.now().Add(time.Until(t.Expiry))
	}
	s.tok = t
	return t.AccessToken, nil
}

// invalidate drops tok if it is still the cached token, so that the next
// call fetches another.
func (s *tokenSource) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == tok {
		s.tok = nil
	}
}

// tokenError turns a refused token request into a *httpx.StatusError, so
// that the activity boundary classifies it as any API answer: a wrong
// secret (401, 403) is not retried, a 429 or 5xx is.
func tokenError(tokenURL string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	msg := "oauth2 token request refused"
	var e envelope[json.RawMessage]
	if json.Unmarshal(re.Body, &e) == nil && len(e.Errors) > 0 {
		msg += ": " + errorText(e.Errors)
	} else if re.ErrorCode != "" {
		msg += ": " + re.ErrorCode
	}
	return &httpx.StatusError{
		Method:     http.MethodPost,
		URL:        tokenURL,
		Code:       re.Response.StatusCode,
		Body:       msg,
		RetryAfter: httpx.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now()),
	}
}
