// Package auth says who makes a request to socflow's API and what they may
// do. Every request is made by a Principal with roles; the API takes the
// decider of a decision, the submitter of an alert and the creator of a
// token from the Principal, never from the request body.
//
// Credentials are API tokens (random, shown once, stored hashed; Tokens),
// fixed tokens from configuration (Static: the admin bootstrap token and
// the token `socflow dev` writes), and OIDC bearer tokens verified against
// the issuer's keys (OIDC). Chain tries them by the credential's shape.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is what a principal may do.
type Role string

// The roles. Admin may do everything; a responder may also read.
const (
	// RoleIngest submits alerts and telemetry, optionally only for named
	// sources. It cannot read incidents: a SIEM's credential leaks often.
	RoleIngest Role = "ingest"
	// RoleResponder decides on incidents and reads them.
	RoleResponder Role = "responder"
	// RoleViewer reads incidents, their timelines and metrics.
	RoleViewer Role = "viewer"
	// RoleAdmin manages tokens and may act on behalf of others.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order help texts show them.
func Roles() []Role { return []Role{RoleIngest, RoleResponder, RoleViewer, RoleAdmin} }

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: use one of ingest, responder, viewer, admin", s)
}

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the principal in timelines and audit records: the
	// token's name, or the OIDC subject's configured name claim.
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
	// Sources, when set, are the only alert sources (alert.Alert.Source)
	// an ingest principal may submit.
	Sources []string `json:"sources,omitempty"`
	// Groups are the principal's groups as socflow resolved them (OIDC
	// claims), matched against tiers' approver groups.
	Groups []string `json:"groups,omitempty"`
	// AutoContain marks an ingest principal whose alerts the policy may
	// contain on without a human (the timeout default "contain").
	AutoContain bool `json:"auto_contain,omitempty"`
	// Method is how the principal authenticated: "token", "oidc",
	// "static" or "none" (--insecure-no-auth).
	Method string `json:"method"`
	// TokenID is the API token's ID, for `token revoke`.
	TokenID string `json:"token_id,omitempty"`
}

// Has reports whether the principal holds role r. Admin holds every role
// and a responder also views: deciding without seeing is not a job.
func (p *Principal) Has(r Role) bool {
	if p == nil {
		return false
	}
	for _, have := range p.Roles {
		if have == r || have == RoleAdmin || (have == RoleResponder && r == RoleViewer) {
			return true
		}
	}
	return false
}

// MaySubmit reports whether the principal may submit alerts or events of
// the given source.
func (p *Principal) MaySubmit(source string) bool {
	if !p.Has(RoleIngest) {
		return false
	}
	if len(p.Sources) == 0 || slices.Contains(p.Roles, RoleAdmin) {
		return true
	}
	return slices.ContainsFunc(p.Sources, func(s string) bool { return strings.EqualFold(s, source) })
}

// Authenticator turns a bearer credential into a principal.
type Authenticator interface {
	// Authenticate returns the credential's principal, or an error that
	// wraps ErrUnauthenticated. An empty credential is ErrNoCredential.
	Authenticate(ctx context.Context, credential string) (*Principal, error)
}

// ErrUnauthenticated is wrapped by every refused credential; the API
// answers 401 for it and hides the detail from the caller.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrNoCredential is a request without a credential.
var ErrNoCredential = fmt.Errorf("%w: no bearer token", ErrUnauthenticated)

// errNotMine tells Chain that an authenticator does not read credentials
// of this shape, so the next may.
var errNotMine = fmt.Errorf("%w: not a credential this method reads", ErrUnauthenticated)

// Chain tries each authenticator in turn until one recognises the
// credential: the first answer other than "not mine" is final, so a
// revoked token is never retried as something else.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	if credential == "" {
		return nil, ErrNoCredential
	}
	for _, a := range c {
		p, err := a.Authenticate(ctx, credential)
		if errors.Is(err, errNotMine) {
			continue
		}
		return p, err
	}
	return nil, fmt.Errorf("%w: unknown credential", ErrUnauthenticated)
}

// Insecure admits every request as the principal "anonymous" with every
// role: `socflow serve --insecure-no-auth`, on loopback only. Four-eyes
// cannot be met by it, since every decision comes from the same name.
type Insecure struct{}

// Authenticate implements Authenticator.
func (Insecure) Authenticate(context.Context, string) (*Principal, error) {
	return &Principal{Name: "anonymous", Roles: []Role{RoleAdmin}, Method: "none"}, nil
}

type principalKey struct{}

// NewContext returns ctx carrying p, for handlers behind authentication.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal NewContext stored, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
