package config

import (
	"fmt"
	"strings"
)

// Auth is how socflow authenticates to a service. Exactly one method is
// set:
//
//	auth: {token: $DEFENDER_TOKEN}
//	auth:
//	  oauth2:
//	    client_id: 00000000-0000-0000-0000-000000000000
//	    client_secret: $DEFENDER_CLIENT_SECRET
//	    token_url: https://login.microsoftonline.com/TENANT/oauth2/v2.0/token
//	    scopes: [https://api.securitycenter.microsoft.com/.default]
//	auth:
//	  basic: {username: socflow, password: $IDP_PASSWORD}
//
// The service's own token field is the older spelling of auth.token.
type Auth struct {
	// Token is an API token, sent the way the provider expects
	// ("Bearer" for Defender, "SSWS" for Okta).
	Token Secret `yaml:"token" json:"token"`
	// OAuth2 fetches access tokens with the client-credentials grant and
	// renews them before they expire, which a fixed token cannot.
	OAuth2 *OAuth2 `yaml:"oauth2" json:"oauth2,omitempty"`
	// Basic sends a user name and password with every request.
	Basic *Basic `yaml:"basic" json:"basic,omitempty"`
}

// OAuth2 is an OAuth2 client of the client-credentials grant (RFC 6749
// section 4.4).
type OAuth2 struct {
	ClientID string `yaml:"client_id" json:"client_id"`
	// ClientSecret names the environment variable holding the secret.
	ClientSecret Secret `yaml:"client_secret" json:"client_secret"`
	// TokenURL is the token endpoint: https, or http on loopback only,
	// since the client secret is sent to it.
	TokenURL string   `yaml:"token_url" json:"token_url"`
	Scopes   []string `yaml:"scopes" json:"scopes,omitempty"`
}

// Basic is HTTP basic authentication (RFC 7617).
type Basic struct {
	Username string `yaml:"username" json:"username"`
	// Password names the environment variable holding the password.
	Password Secret `yaml:"password" json:"password"`
}

// The authentication methods [Service.AuthMethod] reports.
const (
	AuthToken  = "token"
	AuthOAuth2 = "oauth2"
	AuthBasic  = "basic"
)

// AuthMethod names the method the service authenticates with (AuthToken,
// AuthOAuth2 or AuthBasic), or "" when none is set.
func (s Service) AuthMethod() string {
	switch {
	case s.Auth.OAuth2 != nil:
		return AuthOAuth2
	case s.Auth.Basic != nil:
		return AuthBasic
	case s.Token.Ref != "" || s.Auth.Token.Ref != "" || s.Token.IsSet() || s.Auth.Token.IsSet():
		return AuthToken
	}
	return ""
}

// validateAuth checks that exactly one method is set and complete. Errors
// name environment variables, never their values.
func (s Service) validateAuth(field string, p *problems) {
	a := s.Auth
	var methods []string
	if s.Token.Ref != "" || a.Token.Ref != "" {
		methods = append(methods, AuthToken)
	}
	if a.OAuth2 != nil {
		methods = append(methods, AuthOAuth2)
	}
	if a.Basic != nil {
		methods = append(methods, AuthBasic)
	}
	switch len(methods) {
	case 0:
		p.add(field+".token", "is required: name the environment variable, as in $%s_TOKEN, or set auth.oauth2 or auth.basic", strings.ToUpper(s.Provider))
		return
	case 1:
	default:
		p.add(field+".auth", "sets %s: choose exactly one method", strings.Join(methods, " and "))
		return
	}
	switch methods[0] {
	case AuthToken:
		tokenField, token := field+".token", s.Token
		if a.Token.Ref != "" {
			if s.Token.Ref != "" {
				p.add(field+".auth.token", "token is set as well: keep one of the two (auth.token is the newer spelling)")
				return
			}
			tokenField, token = field+".auth.token", a.Token
		}
		requireSecret(p, tokenField, token, strings.ToUpper(s.Provider)+"_TOKEN")
	case AuthOAuth2:
		a.OAuth2.validate(field+".auth.oauth2", strings.ToUpper(s.Provider), p)
	case AuthBasic:
		a.Basic.validate(field+".auth.basic", strings.ToUpper(s.Provider), p)
	}
}

func (o OAuth2) validate(field, provider string, p *problems) {
	if strings.TrimSpace(o.ClientID) == "" {
		p.add(field+".client_id", "is required")
	}
	requireSecret(p, field+".client_secret", o.ClientSecret, provider+"_CLIENT_SECRET")
	if o.TokenURL == "" {
		p.add(field+".token_url", "is required: the provider's token endpoint")
	} else if err := CheckHTTPSURL(o.TokenURL); err != nil {
		p.add(field+".token_url", "%v", err)
	}
	for i, sc := range o.Scopes {
		// The grant sends scopes space-separated, so a space would split one.
		if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
			p.add(fmt.Sprintf("%s.scopes[%d]", field, i), "%q is not a scope", sc)
		}
	}
}

func (b Basic) validate(field, provider string, p *problems) {
	switch {
	case b.Username == "":
		p.add(field+".username", "is required")
	case strings.Contains(b.Username, ":"):
		// RFC 7617 joins user and password with the first colon.
		p.add(field+".username", "must not contain a colon")
	}
	requireSecret(p, field+".password", b.Password, provider+"_PASSWORD")
}

// requireSecret reports a secret that names no environment variable, or
// one that is unset; example is the variable name to suggest.
func requireSecret(p *problems, field string, s Secret, example string) {
	switch {
	case s.Ref == "":
		p.add(field, "is required: name the environment variable, as in $%s", example)
	case !s.IsSet():
		p.add(field, "environment variable %s is not set", s.Ref)
	}
}

// settleToken copies auth.token into Token once the configuration is
// valid, so that code reading Token sees the token whichever spelling the
// file used.
func (s *Service) settleToken() {
	if s.Token.Ref == "" && s.Auth.Token.Ref != "" {
		s.Token = s.Auth.Token
	}
}
