// Package authtest is a loopback OpenID Connect issuer for tests: it serves
// a discovery document and a JSON Web Key Set as a real provider does, and
// signs tokens with claims a test chooses.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running loopback OIDC provider.
type Issuer struct {
	*httptest.Server
	// Audience is the client ID Token issues for.
	Audience string
	key      *rsa.PrivateKey
	signer   jose.Signer
}

// NewIssuer starts an issuer; Close stops it.
func NewIssuer(audience string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "test-key"))
	if err != nil {
		return nil, err
	}
	iss := &Issuer{Audience: audience, key: key, signer: signer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.URL,
			"authorization_endpoint":                iss.URL + "/authorize",
			"token_endpoint":                        iss.URL + "/token",
			"jwks_uri":                              iss.URL + "/keys",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &key.PublicKey, KeyID: "test-key", Algorithm: string(jose.RS256), Use: "sig",
		}}})
	})
	iss.Server = httptest.NewServer(mux)
	return iss, nil
}

// Token signs a token for subject with extra claims (roles, groups,
// email), valid from now for ttl; a negative ttl makes an expired one.
func (iss *Issuer) Token(subject string, ttl time.Duration, extra map[string]any) (string, error) {
	now := time.Now()
	std := jwt.Claims{
		Issuer:   iss.URL,
		Subject:  subject,
		Audience: jwt.Audience{iss.Audience},
		IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)),
		Expiry:   jwt.NewNumericDate(now.Add(ttl)),
	}
	if ttl < 0 {
		std.IssuedAt = jwt.NewNumericDate(now.Add(2 * ttl))
	}
	return jwt.Signed(iss.signer).Claims(std).Claims(extra).Serialize()
}

// ForeignToken signs a well-formed token with a key the issuer does not
// publish: a forged credential.
func (iss *Issuer) ForeignToken(subject string, extra map[string]any) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "test-key"))
	if err != nil {
		return "", err
	}
	now := time.Now()
	return jwt.Signed(signer).Claims(jwt.Claims{Issuer: iss.URL, Subject: subject, Audience: jwt.Audience{iss.Audience},
		Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Claims(extra).Serialize()
}
