package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// TokenPrefix starts every socflow API token, so that secret scanners and
// Chain recognise one (OIDC tokens are JWTs, which never start so).
const TokenPrefix = "sft_"

// NewToken returns a new random API token and its hash. Only the hash is
// stored: the token is shown once, to whoever created it.
func NewToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token. Tokens carry 256 random bits,
// so a fast hash is enough: nobody can guess one to match a stolen hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewTokenID returns a short random identifier for a token record, which
// `token list` shows and `token revoke` takes; it reveals nothing of the
// token.
func NewTokenID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	return "tok_" + hex.EncodeToString(b), nil
}

// TokenRecord is a stored API token, without the token.
type TokenRecord struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Roles       []Role     `json:"roles"`
	Sources     []string   `json:"sources,omitempty"`
	AutoContain bool       `json:"auto_contain,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Principal is the principal a live token authenticates.
func (r *TokenRecord) Principal() *Principal {
	return &Principal{Name: r.Name, Roles: r.Roles, Sources: r.Sources, AutoContain: r.AutoContain, Method: "token", TokenID: r.ID}
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Validate checks a record before it is stored.
func (r *TokenRecord) Validate() error {
	if !tokenName.MatchString(r.Name) {
		return fmt.Errorf("name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", r.Name)
	}
	if len(r.Roles) == 0 {
		return errors.New("roles: give at least one of ingest, responder, viewer, admin")
	}
	for _, role := range r.Roles {
		if _, err := ParseRole(string(role)); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
	}
	if len(r.Sources) > 0 && !containsRole(r.Roles, RoleIngest) {
		return errors.New("sources restrict what an ingest token submits: add the ingest role or drop the sources")
	}
	if r.AutoContain && !containsRole(r.Roles, RoleIngest) {
		return errors.New("auto-contain trusts an ingest token's alerts: add the ingest role or drop auto-contain")
	}
	for _, s := range r.Sources {
		if strings.TrimSpace(s) == "" {
			return errors.New("sources: an empty source name")
		}
	}
	return nil
}

func containsRole(roles []Role, r Role) bool {
	for _, have := range roles {
		if have == r {
			return true
		}
	}
	return false
}

// ErrTokenNotFound is a token hash, ID or name the store does not hold.
var ErrTokenNotFound = errors.New("no such token")

// TokenStore keeps API tokens (events.SQLStore, in socflow's database).
type TokenStore interface {
	// CreateToken stores a new record with its token's hash; a live
	// token of the same name is an error.
	CreateToken(ctx context.Context, rec TokenRecord, hash string) error
	// TokenByHash returns the record of a token hash, revoked or not, or
	// ErrTokenNotFound.
	TokenByHash(ctx context.Context, hash string) (*TokenRecord, error)
	// ListTokens returns every record, newest first.
	ListTokens(ctx context.Context) ([]TokenRecord, error)
	// RevokeToken marks the live token with this ID or name revoked and
	// returns its record, or ErrTokenNotFound.
	RevokeToken(ctx context.Context, idOrName string, at time.Time) (*TokenRecord, error)
}

// Tokens authenticates API tokens against a TokenStore. It remembers a
// live token for CacheTTL so that ingestion does not query the database on
// every request; a revocation takes effect on other API processes within
// CacheTTL, and at once on the process that revoked it (Forget).
type Tokens struct {
	Store TokenStore
	// CacheTTL defaults to DefaultTokenCacheTTL; negative disables the
	// cache.
	CacheTTL time.Duration
	// Now is time.Now unless a test sets it.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cachedToken
}

// DefaultTokenCacheTTL bounds how long a revoked token may still work on
// an API process other than the one that revoked it.
const DefaultTokenCacheTTL = 10 * time.Second

type cachedToken struct {
	p       *Principal
	expires time.Time
}

// maxCachedTokens bounds the cache; live tokens are few, so reaching it
// means churn, and the cache simply starts again.
const maxCachedTokens = 4096

// Authenticate implements Authenticator.
func (t *Tokens) Authenticate(ctx context.Context, credential string) (*Principal, error) {
	if !strings.HasPrefix(credential, TokenPrefix) {
		return nil, errNotMine
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	hash := HashToken(credential)
	ttl := t.CacheTTL
	if ttl == 0 {
		ttl = DefaultTokenCacheTTL
	}
	if ttl > 0 {
		t.mu.Lock()
		c, ok := t.cache[hash]
		t.mu.Unlock()
		if ok && now().Before(c.expires) {
			return c.p, nil
		}
	}
	rec, err := t.Store.TokenByHash(ctx, hash)
	if errors.Is(err, ErrTokenNotFound) {
		return nil, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	if rec.RevokedAt != nil {
		return nil, fmt.Errorf("%w: token %s was revoked", ErrUnauthenticated, rec.ID)
	}
	p := rec.Principal()
	if ttl > 0 {
		t.mu.Lock()
		if t.cache == nil || len(t.cache) >= maxCachedTokens {
			t.cache = make(map[string]cachedToken)
		}
		t.cache[hash] = cachedToken{p: p, expires: now().Add(ttl)}
		t.mu.Unlock()
	}
	return p, nil
}

// Forget drops every cached token, after a revocation on this process.
func (t *Tokens) Forget() {
	t.mu.Lock()
	t.cache = nil
	t.mu.Unlock()
}

// Static authenticates fixed tokens from configuration: the admin
// bootstrap token (server.admin_token), the legacy shared token
// (server.token, ingest only) and the token `socflow dev` writes. Tokens
// are compared by hash, so their length and content leak nothing through
// timing.
type Static struct {
	byHash map[string]*Principal
}

// Add admits token as p. An empty token is ignored.
func (s *Static) Add(token string, p Principal) {
	if token == "" {
		return
	}
	if s.byHash == nil {
		s.byHash = make(map[string]*Principal)
	}
	if p.Method == "" {
		p.Method = "static"
	}
	s.byHash[HashToken(token)] = &p
}

// Len is the number of tokens admitted.
func (s *Static) Len() int { return len(s.byHash) }

// Authenticate implements Authenticator. Credentials it does not hold are
// "not mine", so that a stored API token can still match.
func (s *Static) Authenticate(_ context.Context, credential string) (*Principal, error) {
	if p, ok := s.byHash[HashToken(credential)]; ok {
		return p, nil
	}
	return nil, errNotMine
}
