package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/socflow/socflow/integrations/httpx"
)

const clientSecret = "cs-s3cret"

// oauthServer is a loopback OAuth2 provider and API: /token grants
// client-credentials tokens, /api answers only the token it granted.
type oauthServer struct {
	*httptest.Server
	tokens, calls atomic.Int32
	refuse        bool
}

func newOAuthServer(t *testing.T) *oauthServer {
	t.Helper()
	s := &oauthServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s.tokens.Add(1)
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
		}
		if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
			t.Errorf("grant_type = %q, want client_credentials", g)
		}
		if sc := r.PostForm.Get("scope"); sc != "machine.isolate user.read" {
			t.Errorf("scope = %q", sc)
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if s.refuse || id != "socflow" || secret != clientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if got := r.Header.Get("Authorization"); got != "Bearer at-1" {
			t.Errorf("API got Authorization %q, want the granted bearer token", got)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *oauthServer) credentials() httpx.ClientCredentials {
	return httpx.ClientCredentials{
		ClientID: "socflow", ClientSecret: clientSecret,
		TokenURL: s.URL + "/token", Scopes: []string{"machine.isolate", "user.read"},
	}
}

// call is an integration's request: it sets its own Authorization header,
// which the credential must replace.
func call(hc *http.Client, url string) error {
	var out struct{ OK bool }
	err := httpx.Do(context.Background(), hc, httpx.Request{
		Method: http.MethodGet, URL: url, Header: http.Header{"Authorization": {"Bearer placeholder"}},
	}, &out)
	if err == nil && !out.OK {
		err = errors.New("no answer")
	}
	return err
}

func TestClientCredentialsGrantReachesTheAPI(t *testing.T) {
	s := newOAuthServer(t)
	hc, err := httpx.Authenticated(s.Client(), s.credentials())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := call(hc, s.URL+"/api"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.tokens.Load(); n != 1 {
		t.Errorf("%d token requests for 3 calls, want 1: the token is reused until it expires", n)
	}
}

func TestRefusedTokenIsAStatusError(t *testing.T) {
	s := newOAuthServer(t)
	s.refuse = true
	hc, err := httpx.Authenticated(s.Client(), s.credentials())
	if err != nil {
		t.Fatal(err)
	}
	err = call(hc, s.URL+"/api")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || se.Retryable() {
		t.Fatalf("err = %v, want a non-retryable 401 *StatusError", err)
	}
	if !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), clientSecret) {
		t.Errorf("err = %v: want the provider's error code and no secret", err)
	}
	if s.calls.Load() != 0 {
		t.Error("the API was called without a token")
	}
}

func TestTokenAndBasicAuth(t *testing.T) {
	for _, tc := range []struct {
		name string
		cred httpx.Credential
		want string
	}{
		{"bearer token", httpx.TokenAuth{Token: "t0k"}, "Bearer t0k"},
		{"okta token", httpx.TokenAuth{Scheme: "SSWS", Token: "t0k"}, "SSWS t0k"},
		{"basic", httpx.BasicAuth{Username: "svc", Password: "pw:with:colons"}, "basic svc pw:with:colons"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Get("Authorization")
				if u, p, ok := r.BasicAuth(); ok {
					got = "basic " + u + " " + p
				}
				fmt.Fprint(w, `{"ok":true}`)
			}))
			defer srv.Close()
			hc, err := httpx.Authenticated(srv.Client(), tc.cred)
			if err != nil {
				t.Fatal(err)
			}
			if err := call(hc, srv.URL); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedirectElsewhereIsRefused(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization") != "")
	}))
	defer other.Close()
	api := httptest.NewServer(http.RedirectHandler(other.URL+"/steal", http.StatusFound))
	defer api.Close()
	hc, err := httpx.Authenticated(nil, httpx.TokenAuth{Token: "t0k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := call(hc, api.URL); err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Errorf("err = %v, want the redirect refused", err)
	}
	if leaked.Load() {
		t.Error("the token followed the redirect to another host")
	}
}

func TestMissingValuesAreNotConfigured(t *testing.T) {
	for _, cred := range []httpx.Credential{
		httpx.TokenAuth{},
		httpx.BasicAuth{Username: "svc"},
		httpx.ClientCredentials{ClientID: "socflow", TokenURL: "https://login.example/token"},
	} {
		if _, err := httpx.Authenticated(nil, cred); !errors.Is(err, httpx.ErrNotConfigured) {
			t.Errorf("%T: err = %v, want ErrNotConfigured", cred, err)
		}
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	for _, cred := range []httpx.Credential{
		httpx.TokenAuth{Token: clientSecret},
		httpx.BasicAuth{Username: "svc", Password: clientSecret},
		httpx.ClientCredentials{ClientID: "socflow", ClientSecret: clientSecret, TokenURL: "https://login.example/token"},
	} {
		var b bytes.Buffer
		fmt.Fprintf(&b, "%v %+v %#v %s\n", cred, cred, cred, cred)
		j, err := json.Marshal(cred)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "cred", cred)
		slog.New(slog.NewTextHandler(&b, nil)).Info("x", "cred", cred)
		if strings.Contains(b.String(), clientSecret) {
			t.Errorf("%T leaked its secret: %s", cred, b.String())
		}
	}
}
