package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig configures bearer tokens issued by an OpenID Connect
// provider (Okta, Entra ID, Keycloak, Google) for people and SSO-issued
// service accounts.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document names
	// the keys tokens are verified against.
	Issuer string
	// Audience is the client ID tokens must be issued for.
	Audience string
	// NameClaim names the principal ("email" unless set; "sub" when the
	// token has no such claim).
	NameClaim string
	// RolesClaim holds the principal's roles ("roles" unless set): a
	// string or a list of strings, each a role name or a key of RoleMap.
	RolesClaim string
	// GroupsClaim holds the groups matched against tiers' approver groups
	// ("groups" unless set).
	GroupsClaim string
	// RoleMap maps claim values to roles ("soc-t2" -> responder), for
	// providers whose role names are not socflow's. Values that are
	// neither a role nor mapped are ignored.
	RoleMap map[string]Role
}

// OIDC authenticates OIDC ID and access tokens (JWTs) by the issuer's
// signing keys, audience and expiry. The provider is discovered on first
// use and again after a failure, so that `socflow serve` starts while
// the identity provider is down and works once it is back.
type OIDC struct {
	cfg    OIDCConfig
	client *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

// NewOIDC returns an OIDC authenticator. client makes the discovery and
// key requests.
func NewOIDC(cfg OIDCConfig, client *http.Client) (*OIDC, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("oidc: audience (the client ID tokens are issued for) is required")
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "email"
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = "roles"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	for v, r := range cfg.RoleMap {
		if _, err := ParseRole(string(r)); err != nil {
			return nil, fmt.Errorf("oidc: role_map %q: %w", v, err)
		}
	}
	return &OIDC{cfg: cfg, client: client}, nil
}

func (o *OIDC) verifierFor(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	// The key set outlives this request, so its fetches use the client
	// without the request's deadline.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", o.cfg.Issuer, err)
	}
	o.verifier = p.VerifierContext(oidc.ClientContext(context.WithoutCancel(ctx), o.client), &oidc.Config{ClientID: o.cfg.Audience})
	return o.verifier, nil
}

// Authenticate implements Authenticator.
func (o *OIDC) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	if strings.Count(credential, ".") != 2 {
		return nil, errNotMine
	}
	v, err := o.verifierFor(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := v.Verify(ctx, credential)
	if err != nil {
		return nil, fmt.Errorf("%w: oidc: %v", ErrUnauthenticated, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: oidc claims: %v", ErrUnauthenticated, err)
	}
	name, _ := claims[o.cfg.NameClaim].(string)
	if name == "" {
		name = tok.Subject
	}
	p := &Principal{Name: name, Method: "oidc", Groups: stringsClaim(claims[o.cfg.GroupsClaim])}
	for _, v := range stringsClaim(claims[o.cfg.RolesClaim]) {
		if r, ok := o.cfg.RoleMap[v]; ok {
			p.Roles = append(p.Roles, r)
		} else if r, err := ParseRole(v); err == nil {
			p.Roles = append(p.Roles, r)
		}
	}
	if len(p.Roles) == 0 {
		return nil, fmt.Errorf("%w: oidc: %s has no socflow role in claim %q", ErrUnauthenticated, name, o.cfg.RolesClaim)
	}
	return p, nil
}

// stringsClaim reads a claim that is a string or a list of strings.
func stringsClaim(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
