package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/auth/authtest"
)

type memStore struct {
	mu   sync.Mutex
	recs map[string]*auth.TokenRecord
	hits int
}

func (m *memStore) CreateToken(_ context.Context, rec auth.TokenRecord, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string]*auth.TokenRecord{}
	}
	m.recs[hash] = &rec
	return nil
}

func (m *memStore) TokenByHash(_ context.Context, hash string) (*auth.TokenRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hits++
	if r, ok := m.recs[hash]; ok {
		c := *r
		return &c, nil
	}
	return nil, auth.ErrTokenNotFound
}

func (m *memStore) ListTokens(context.Context) ([]auth.TokenRecord, error) { return nil, nil }

func (m *memStore) RevokeToken(_ context.Context, id string, at time.Time) (*auth.TokenRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.ID == id {
			r.RevokedAt = &at
			return r, nil
		}
	}
	return nil, auth.ErrTokenNotFound
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		roles []auth.Role
		want  map[auth.Role]bool
	}{
		{[]auth.Role{auth.RoleIngest}, map[auth.Role]bool{auth.RoleIngest: true}},
		{[]auth.Role{auth.RoleViewer}, map[auth.Role]bool{auth.RoleViewer: true}},
		{[]auth.Role{auth.RoleResponder}, map[auth.Role]bool{auth.RoleResponder: true, auth.RoleViewer: true}},
		{[]auth.Role{auth.RoleAdmin}, map[auth.Role]bool{auth.RoleIngest: true, auth.RoleResponder: true, auth.RoleViewer: true, auth.RoleAdmin: true}},
	} {
		p := &auth.Principal{Name: "x", Roles: tc.roles}
		for _, r := range auth.Roles() {
			if p.Has(r) != tc.want[r] {
				t.Errorf("%v has %s = %v, want %v", tc.roles, r, p.Has(r), tc.want[r])
			}
		}
	}
	var none *auth.Principal
	if none.Has(auth.RoleViewer) {
		t.Error("a nil principal has a role")
	}
	splunk := &auth.Principal{Roles: []auth.Role{auth.RoleIngest}, Sources: []string{"splunk"}}
	if !splunk.MaySubmit("Splunk") || splunk.MaySubmit("crowdstrike") {
		t.Error("source restriction not applied")
	}
	if (&auth.Principal{Roles: []auth.Role{auth.RoleViewer}}).MaySubmit("splunk") {
		t.Error("a viewer may submit")
	}
	if _, err := auth.ParseRole("root"); err == nil || !strings.Contains(err.Error(), "ingest, responder") {
		t.Errorf("ParseRole(root) = %v", err)
	}
}

func TestTokensCacheAndRevocation(t *testing.T) {
	ctx := context.Background()
	st := &memStore{}
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, auth.TokenPrefix) || len(tok) < 40 || hash == tok || auth.HashToken(tok) != hash {
		t.Fatalf("token %q hash %q", tok, hash)
	}
	_ = st.CreateToken(ctx, auth.TokenRecord{ID: "tok_a", Name: "alice", Roles: []auth.Role{auth.RoleResponder}}, hash)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	a := &auth.Tokens{Store: st, CacheTTL: time.Minute, Now: func() time.Time { return now }}
	for range 3 {
		p, err := a.Authenticate(ctx, tok)
		if err != nil || p.Name != "alice" || p.Method != "token" || p.TokenID != "tok_a" {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
	}
	if st.hits != 1 {
		t.Errorf("%d store lookups for 3 requests within the cache TTL, want 1", st.hits)
	}
	if _, err := st.RevokeToken(ctx, "tok_a", now); err != nil {
		t.Fatal(err)
	}
	a.Forget()
	if _, err := a.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := a.Authenticate(ctx, auth.TokenPrefix+"nope"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	var s auth.Static
	s.Add("sft_admin", auth.Principal{Name: "bootstrap-admin", Roles: []auth.Role{auth.RoleAdmin}})
	st := &memStore{}
	tok, hash, _ := auth.NewToken()
	_ = st.CreateToken(ctx, auth.TokenRecord{ID: "t", Name: "siem", Roles: []auth.Role{auth.RoleIngest}}, hash)
	c := auth.Chain{&s, &auth.Tokens{Store: st}}
	if p, err := c.Authenticate(ctx, "sft_admin"); err != nil || p.Name != "bootstrap-admin" || p.Method != "static" {
		t.Fatalf("static: %+v %v", p, err)
	}
	if p, err := c.Authenticate(ctx, tok); err != nil || p.Name != "siem" {
		t.Fatalf("stored: %+v %v", p, err)
	}
	if _, err := c.Authenticate(ctx, ""); !errors.Is(err, auth.ErrNoCredential) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := c.Authenticate(ctx, "hunter2"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestOIDC(t *testing.T) {
	ctx := context.Background()
	iss, err := authtest.NewIssuer("socflow")
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: iss.URL, Audience: "socflow", RoleMap: map[string]auth.Role{"soc-t2": auth.RoleResponder}},
		&http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := iss.Token("00u1", time.Hour, map[string]any{"email": "carol@example.com", "roles": []string{"soc-t2", "unknown"}, "groups": []string{"@soc-leads"}})
	p, err := o.Authenticate(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "carol@example.com" || !p.Has(auth.RoleResponder) || p.Has(auth.RoleAdmin) || len(p.Groups) != 1 || p.Groups[0] != "@soc-leads" || p.Method != "oidc" {
		t.Fatalf("principal %+v", p)
	}
	expired, _ := iss.Token("00u1", -time.Hour, map[string]any{"roles": "viewer"})
	forged, _ := iss.ForeignToken("00u1", map[string]any{"roles": "admin"})
	noRole, _ := iss.Token("00u2", time.Hour, map[string]any{"roles": []string{"sales"}})
	for name, tok := range map[string]string{"expired": expired, "forged": forged, "no role": noRole} {
		if _, err := o.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("%s token: got %v, want unauthenticated", name, err)
		}
	}
	iss.Audience = "another-app"
	aud, _ := iss.Token("00u1", time.Hour, map[string]any{"roles": "viewer"})
	if _, err := o.Authenticate(ctx, aud); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token for another audience: %v", err)
	}
	if _, err := o.Authenticate(ctx, "sft_x"); err == nil {
		t.Error("an API token passed as OIDC")
	}
}
