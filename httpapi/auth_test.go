package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/auth/authtest"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/integrations/events"
)

// authEnv is the API with real authentication: API tokens in socflow's
// store (SQLite in memory), a static admin token and OIDC against a
// loopback issuer.
type authEnv struct {
	*env
	tokens map[string]string // credential name -> credential
	// edit sets the authentication up in an API's options, for another
	// API over the same store (newEnvWith).
	edit func(o *httpapi.Options)
}

func newAuthEnv(t *testing.T) *authEnv {
	t.Helper()
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	iss, err := authtest.NewIssuer("socflow-api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	oidc, err := auth.NewOIDC(auth.OIDCConfig{Issuer: iss.URL, Audience: "socflow-api"}, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ae := &authEnv{tokens: map[string]string{"none": noToken, "wrong": "sft_wrong", "garbage": "hunter2"}}
	mk := func(name string, roles []auth.Role, sources ...string) {
		tok, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateToken(ctx, auth.TokenRecord{ID: "tok_" + name, Name: name, Roles: roles, Sources: sources, CreatedAt: time.Now()}, hash); err != nil {
			t.Fatal(err)
		}
		ae.tokens[name] = tok
	}
	mk("ingest", []auth.Role{auth.RoleIngest})
	mk("responder", []auth.Role{auth.RoleResponder})
	mk("viewer", []auth.Role{auth.RoleViewer})
	mk("admin", []auth.Role{auth.RoleAdmin})
	mk("other-source", []auth.Role{auth.RoleIngest}, "crowdstrike")
	mk("revoked", []auth.Role{auth.RoleAdmin})
	if _, err := store.RevokeToken(ctx, "revoked", time.Now()); err != nil {
		t.Fatal(err)
	}
	expired, err := iss.Token("00u-exp", -time.Hour, map[string]any{"roles": "admin", "email": "old@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ae.tokens["expired-oidc"] = expired
	oidcResponder, _ := iss.Token("00u-carol", time.Hour, map[string]any{"roles": []string{"responder"}, "email": "carol@example.com", "groups": []string{"@soc-leads"}})
	ae.tokens["oidc-responder"] = oidcResponder
	forged, _ := iss.ForeignToken("00u-eve", map[string]any{"roles": "admin"})
	ae.tokens["forged-oidc"] = forged

	tokens := &auth.Tokens{Store: store, CacheTTL: -1}
	ae.edit = func(o *httpapi.Options) {
		o.Auth = auth.Chain{tokens, oidc}
		o.Tokens = store
		o.Revoked = tokens.Forget
		o.Registry = prometheus.NewRegistry()
	}
	ae.env = newEnv(t, ae.edit)
	return ae
}

// TestRoleTable walks every route with every kind of credential: none,
// wrong, revoked, expired or forged OIDC, an ingest, responder, viewer
// and admin token, and an ingest token for another source.
func TestRoleTable(t *testing.T) {
	e := newAuthEnv(t)
	type route struct {
		method, path, contentType, body string
		role                            auth.Role // "" = public
		ok                              int
	}
	routes := []route{
		{"POST", "/v1/alerts", "application/json", alertJSON("dc01"), auth.RoleIngest, http.StatusAccepted},
		{"POST", "/v1/events", "application/json", `{"kind":"login","time":"2026-05-14T09:00:00Z","user":"bob","outcome":"success"}`, auth.RoleIngest, http.StatusNotImplemented},
		{"GET", "/v1/incidents", "", "", auth.RoleViewer, http.StatusOK},
		{"GET", "/v1/incidents/" + knownKey, "", "", auth.RoleViewer, http.StatusOK},
		{"GET", "/v1/incidents/" + knownKey + "/timeline", "", "", auth.RoleViewer, http.StatusOK},
		{"GET", "/v1/incidents/" + knownKey + "/alerts", "", "", auth.RoleViewer, http.StatusOK},
		{"GET", "/v1/incidents/" + knownKey + "/alerts/suricata-1/ids", "", "", auth.RoleViewer, http.StatusOK},
		{"POST", "/v1/incidents/" + knownKey + "/decision", "application/json", `{"verdict":"approve"}`, auth.RoleResponder, http.StatusOK},
		{"GET", "/v1/tokens", "", "", auth.RoleAdmin, http.StatusOK},
		{"POST", "/v1/tokens", "application/json", `{"name":"new-one","roles":["viewer"]}`, auth.RoleAdmin, http.StatusCreated},
		{"GET", "/metrics", "", "", auth.RoleViewer, http.StatusOK},
		{"GET", "/healthz", "", "", "", http.StatusOK},
		// The API's description is the same for every deployment and names
		// nothing of this one: public, so that a client can read it first.
		{"GET", "/v1/openapi.json", "", "", "", http.StatusOK},
	}
	holds := map[string][]auth.Role{
		"ingest": {auth.RoleIngest}, "other-source": {auth.RoleIngest},
		"responder": {auth.RoleResponder, auth.RoleViewer}, "oidc-responder": {auth.RoleResponder, auth.RoleViewer},
		"viewer": {auth.RoleViewer}, "admin": auth.Roles(),
	}
	for _, cred := range []string{"none", "wrong", "garbage", "revoked", "expired-oidc", "forged-oidc",
		"ingest", "other-source", "responder", "oidc-responder", "viewer", "admin"} {
		t.Run(cred, func(t *testing.T) {
			for _, r := range routes {
				want := r.ok
				switch {
				case r.role == "":
				case holds[cred] == nil:
					want = http.StatusUnauthorized
				case !contains(holds[cred], r.role):
					want = http.StatusForbidden
				case cred == "other-source" && r.path == "/v1/alerts":
					// Authenticated and an ingester, but the alert's source
					// (suricata) is not its own: rejected, nothing accepted.
					want = http.StatusAccepted
				}
				body := r.body
				if r.path == "/v1/tokens" && r.method == "POST" {
					body = strings.Replace(body, "new-one", "new-"+cred, 1)
				}
				a := e.do(t, r.method, r.path, r.contentType, e.tokens[cred], body)
				if a.code != want {
					t.Errorf("%s %s: code %d, want %d: %.200s", r.method, r.path, a.code, want, a.body)
					continue
				}
				switch a.code {
				case http.StatusUnauthorized:
					if a.header.Get("WWW-Authenticate") == "" {
						t.Errorf("%s %s: 401 without WWW-Authenticate", r.method, r.path)
					}
					_ = a.errorText(t)
				case http.StatusForbidden:
					if msg := a.errorText(t); !strings.Contains(msg, string(r.role)) {
						t.Errorf("%s %s: 403 does not name the role needed: %s", r.method, r.path, msg)
					}
				}
			}
		})
	}
	// The ingester saw who submitted: the principal's name, and a source
	// check that refuses what the token may not send.
	e.ingester.mu.Lock()
	defer e.ingester.mu.Unlock()
	names := map[string]bool{}
	for _, o := range e.ingester.origins {
		names[o.Principal] = true
		if o.Principal == "other-source" && (o.MaySubmit("suricata") || !o.MaySubmit("CrowdStrike")) {
			t.Error("the other-source token's origin does not restrict it to crowdstrike")
		}
	}
	if !names["ingest"] || !names["admin"] || !names["other-source"] || len(names) != 3 {
		t.Errorf("ingested as %v, want exactly ingest, admin and other-source", names)
	}
}

func contains(roles []auth.Role, r auth.Role) bool {
	for _, have := range roles {
		if have == r {
			return true
		}
	}
	return false
}

// TestDeciderIsTheCredential: the decision's decider and groups are the
// authenticated principal's, whatever the body says; a body naming by,
// groups or via is refused; an admin may record a decision on behalf of
// someone, and the channel says so.
func TestDeciderIsTheCredential(t *testing.T) {
	e := newAuthEnv(t)
	path := "/v1/incidents/" + knownKey + "/decision"
	for _, body := range []string{
		`{"verdict":"false_positive","by":"U0SOCLEAD","via":"slack","groups":["@soc-leads"]}`,
		`{"verdict":"approve","by":"alice"}`,
		`{"verdict":"approve","groups":["@soc-leads"]}`,
		`{"verdict":"approve","via":"slack"}`,
	} {
		a := e.do(t, "POST", path, "application/json", e.tokens["responder"], body)
		if a.code != http.StatusBadRequest || !strings.Contains(a.errorText(t), "credential") {
			t.Errorf("%s: code %d, want 400 naming the credential: %s", body, a.code, a.body)
		}
	}
	if a := e.do(t, "POST", path, "application/json", e.tokens["responder"], `{"verdict":"approve","on_behalf_of":"bob"}`); a.code != http.StatusForbidden {
		t.Errorf("a responder deciding on behalf of bob: code %d, want 403", a.code)
	}
	for _, h := range []string{"slack", "api "} {
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(`{"verdict":"deny"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens["responder"])
		req.Header.Set(httpapi.ViaHeader, h)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %q: code %d, want 400", httpapi.ViaHeader, h, resp.StatusCode)
		}
	}
	if n := len(e.incidents.decisions); n != 0 {
		t.Fatalf("%d refused decisions reached the incident", n)
	}
	ok := func(cred, body string) {
		t.Helper()
		if a := e.do(t, "POST", path, "application/json", e.tokens[cred], body); a.code != http.StatusOK {
			t.Fatalf("%s %s: code %d: %s", cred, body, a.code, a.body)
		}
	}
	ok("responder", `{"verdict":"approve","actions":["isolate_host:dc01"]}`)
	ok("oidc-responder", `{"verdict":"deny"}`)
	ok("admin", `{"verdict":"escalate","on_behalf_of":"dave","note":"phoned in"}`)
	got := e.incidents.decisions
	if len(got) != 3 {
		t.Fatalf("%d decisions, want 3", len(got))
	}
	if got[0].By != "responder" || len(got[0].Groups) != 0 || got[0].Via != "api" {
		t.Errorf("token decision: %+v", got[0])
	}
	if got[1].By != "carol@example.com" || len(got[1].Groups) != 1 || got[1].Groups[0] != "@soc-leads" {
		t.Errorf("OIDC decision: groups come from the token's claims: %+v", got[1])
	}
	if got[2].By != "dave" || got[2].Via != "api: admin on behalf of dave" || got[2].Groups != nil {
		t.Errorf("on-behalf decision: %+v", got[2])
	}
}

// TestTokenLifecycle: an admin creates a token, which works at once; the
// token appears in the list without its secret; revoking it refuses it
// at once on this process.
func TestTokenLifecycle(t *testing.T) {
	e := newAuthEnv(t)
	a := e.do(t, "POST", "/v1/tokens", "application/json", e.tokens["admin"], `{"name":"splunk-prod","roles":["ingest"],"sources":["splunk"],"auto_contain":true}`)
	if a.code != http.StatusCreated {
		t.Fatalf("create: %d %s", a.code, a.body)
	}
	var created httpapi.TokenCreated
	if err := json.Unmarshal(a.body, &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, auth.TokenPrefix) || created.CreatedBy != "admin" || !created.AutoContain {
		t.Fatalf("created %+v", created)
	}
	if a := e.do(t, "POST", "/v1/tokens", "application/json", e.tokens["admin"], `{"name":"splunk-prod","roles":["ingest"]}`); a.code != http.StatusConflict {
		t.Errorf("a second live token of one name: %d", a.code)
	}
	for _, body := range []string{`{"name":"x y","roles":["ingest"]}`, `{"name":"x","roles":["root"]}`, `{"name":"x","roles":[]}`,
		`{"name":"x","roles":["viewer"],"sources":["splunk"]}`, `{"name":"x","roles":["viewer"]} junk`, `{"name":"x","roles":["viewer"],"token":"mine"}`} {
		if a := e.do(t, "POST", "/v1/tokens", "application/json", e.tokens["admin"], body); a.code != http.StatusBadRequest {
			t.Errorf("%s: code %d, want 400: %s", body, a.code, a.body)
		}
	}
	if a := e.do(t, "GET", "/v1/whoami", "", created.Token, ""); a.code != 200 || a.json(t)["name"] != "splunk-prod" {
		t.Fatalf("whoami with the new token: %d %s", a.code, a.body)
	}
	list := e.do(t, "GET", "/v1/tokens", "", e.tokens["admin"], "")
	if list.code != 200 || strings.Contains(string(list.body), created.Token) || !strings.Contains(string(list.body), "splunk-prod") {
		t.Fatalf("list: %d %s", list.code, list.body)
	}
	if a := e.do(t, "DELETE", "/v1/tokens/"+created.ID, "", e.tokens["admin"], ""); a.code != 200 {
		t.Fatalf("revoke: %d %s", a.code, a.body)
	}
	if a := e.do(t, "GET", "/v1/whoami", "", created.Token, ""); a.code != http.StatusUnauthorized {
		t.Errorf("revoked token: code %d, want 401", a.code)
	}
	if a := e.do(t, "DELETE", "/v1/tokens/"+created.ID, "", e.tokens["admin"], ""); a.code != http.StatusNotFound {
		t.Errorf("revoking twice: code %d, want 404", a.code)
	}
}

// TestNoAuthenticatorRefuses: an API built without an authentication
// method refuses every authenticated route rather than opening them.
func TestNoAuthenticatorRefuses(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Intake: &fakeIngester{}, Incidents: &fakeIncidents{}}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/v1/incidents")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("code %d, want 401", resp.StatusCode)
	}
}
