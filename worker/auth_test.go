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
	"github.com/socflow/socflow/integrations/defender/defendertest"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func parseEDR(t *testing.T, yml string, vars map[string]string) config.Service {
	t.Helper()
	c, err := config.Parse([]byte(yml), "s.yaml", lookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	return c.Integrations.EDR
}

func TestOAuth2TokenReachesDefender(t *testing.T) {
	var grants atomic.Int32
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.URL.Path != "/token" || r.PostForm.Get("grant_type") != "client_credentials" || id != "socflow" || secret != "cs-s3cret" {
			t.Errorf("token request %s %v (client %q)", r.URL.Path, r.PostForm, id)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`)
	}))
	defer idp.Close()
	edr := httptest.NewServer(defendertest.New(defendertest.WithToken("at-1")))
	defer edr.Close()

	s := parseEDR(t, fmt.Sprintf(`integrations:
  edr:
    provider: defender
    url: %s
    auth:
      oauth2:
        client_id: socflow
        client_secret: $EDR_CLIENT_SECRET
        token_url: %s/token
        scopes: [https://api.securitycenter.microsoft.com/.default]
`, edr.URL, idp.URL), map[string]string{"EDR_CLIENT_SECRET": "cs-s3cret"})
	c, err := newDefender(&http.Client{Timeout: 10 * time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindMachine(context.Background(), "web1"); err != nil {
		t.Fatalf("the fake refused the granted token: %v", err)
	}
	if grants.Load() != 1 {
		t.Errorf("%d grants, want 1", grants.Load())
	}
}

func TestServiceClientPerMethod(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	head := "integrations:\n  edr:\n    provider: defender\n    url: " + srv.URL + "\n"
	vars := map[string]string{"EDR_TOKEN": "t0k", "EDR_PASSWORD": "pw"}

	t.Run("token keeps the client and hands over the token", func(t *testing.T) {
		hc := &http.Client{}
		for _, yml := range []string{"    token: $EDR_TOKEN\n", "    auth: {token: $EDR_TOKEN}\n"} {
			shc, token, err := serviceClient(hc, parseEDR(t, head+yml, vars))
			if err != nil || shc != hc || token != "t0k" {
				t.Errorf("%q: serviceClient = %p, %q, %v; want hc itself and the token", yml, shc, token, err)
			}
		}
	})
	t.Run("basic replaces the integration's header", func(t *testing.T) {
		shc, token, err := serviceClient(&http.Client{}, parseEDR(t, head+"    auth:\n      basic: {username: svc, password: $EDR_PASSWORD}\n", vars))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := shc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "Basic c3ZjOnB3"; got.Load() != want {
			t.Errorf("Authorization = %v, want %s", got.Load(), want)
		}
	})
}

// TestDefenderTokenRefreshedBeforeExpiry: Azure AD tokens last an hour and
// a worker runs for weeks. A token within its last seconds is replaced
// before the call that would carry it, so that a long run keeps working:
// here the identity platform grants tokens that are already that close to
// expiry, so that each call fetches the next without the test waiting.
func TestDefenderTokenRefreshedBeforeExpiry(t *testing.T) {
	var grants atomic.Int32
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"Bearer","expires_in":5}`, n)
	}))
	defer idp.Close()
	fake := defendertest.New(defendertest.WithToken("at-current"))
	var mu sync.Mutex
	var seen []string
	edr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	defer edr.Close()
	s := parseEDR(t, fmt.Sprintf("integrations:\n  edr:\n    provider: defender\n    url: %s\n    auth:\n      oauth2: {client_id: socflow, client_secret: $S, token_url: %s/token}\n", edr.URL, idp.URL),
		map[string]string{"S": "cs-s3cret"})
	c, err := newDefender(&http.Client{Timeout: 10 * time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.FindMachine(context.Background(), "web1"); err != nil {
			t.Fatalf("a call after the token neared expiry: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if grants.Load() != 3 || strings.Join(seen, ",") != "Bearer at-1,Bearer at-2,Bearer at-3" {
		t.Errorf("%d grants, tokens sent %v; want a fresh one per call", grants.Load(), seen)
	}
}
