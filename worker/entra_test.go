package worker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/entra/entratest"
)

func parseIDP(t *testing.T, yml string, vars map[string]string) config.Service {
	t.Helper()
	c, err := config.Parse([]byte(yml), "s.yaml", lookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	return c.Integrations.IDP
}

// TestEntraProvidesAccountDisabler: an entra block with OAuth2 builds a
// client that provides AccountDisabler, fetches its token from the token
// URL with Graph's scope (none configured), and disables through Graph.
func TestEntraProvidesAccountDisabler(t *testing.T) {
	fake := entratest.New(entratest.WithClient("socflow", "cs-s3cret"), entratest.WithToken("at-graph"))
	ts := httptest.NewServer(fake)
	defer ts.Close()
	s := parseIDP(t, fmt.Sprintf(`integrations:
  idp:
    provider: entra
    url: %s%s
    auth:
      oauth2:
        client_id: socflow
        client_secret: $IDP_CLIENT_SECRET
        token_url: %s%s
`, ts.URL, entratest.GraphPath, ts.URL, entratest.TokenPath("contoso")), map[string]string{"IDP_CLIENT_SECRET": "cs-s3cret"})

	c, err := build("idp", idpProviders(), &http.Client{Timeout: 10 * time.Second}, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	accounts := findCapabilities(c).contain.Accounts
	if accounts == nil {
		t.Fatalf("%T provides no AccountDisabler", c)
	}
	if err := accounts.DisableUser(context.Background(), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if fake.Enabled("alice@contoso.com") || fake.Revocations("alice@contoso.com") != 1 {
		t.Error("alice not disabled and revoked")
	}
	if _, ok := c.(interface {
		RevokeSessions(ctx context.Context, user string) error
	}); !ok {
		t.Errorf("%T cannot revoke sessions", c)
	}
}

// TestEntraRefusesFixedToken: a token config is refused, naming the field
// to set instead.
func TestEntraRefusesFixedToken(t *testing.T) {
	s := parseIDP(t, "integrations:\n  idp:\n    provider: entra\n    url: https://graph.microsoft.com/v1.0\n    token: $IDP_TOKEN\n",
		map[string]string{"IDP_TOKEN": "eyJ0eXAi"})
	_, err := build("idp", idpProviders(), &http.Client{}, s, nil)
	if err == nil {
		t.Fatal("a fixed Graph token accepted")
	}
	for _, want := range []string{"integrations.idp.auth.oauth2", "integrations.idp.token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// Graph tokens expire within the hour: a long-running worker asks the
// identity platform for a new one before the old one runs out, and never
// sends an expired one to Graph.
func TestEntraTokenRefreshedBeforeExpiry(t *testing.T) {
	var grants atomic.Int32
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":5}`, n)
	}))
	defer platform.Close()
	fake := entratest.New(entratest.WithToken("at-current"))
	var mu sync.Mutex
	var seen []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the newest token granted is valid, as after a rotation.
		want := fmt.Sprintf("Bearer at-%d", grants.Load())
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == want {
			r.Header.Set("Authorization", "Bearer at-current")
		}
		fake.ServeHTTP(w, r)
	}))
	defer graph.Close()
	s := parseIDP(t, fmt.Sprintf("integrations:\n  idp:\n    provider: entra\n    url: %s%s\n    auth:\n      oauth2: {client_id: socflow, client_secret: $S, token_url: %s/token}\n",
		graph.URL, entratest.GraphPath, platform.URL), map[string]string{"S": "cs-s3cret"})
	c, err := newEntra(&http.Client{Timeout: 10 * time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.GetUser(context.Background(), "alice@contoso.com"); err != nil {
			t.Fatalf("a call after the token neared expiry: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if grants.Load() != 3 || strings.Join(seen, ",") != "Bearer at-1,Bearer at-2,Bearer at-3" {
		t.Errorf("%d grants, tokens sent %v; want a fresh one per call", grants.Load(), seen)
	}
}
