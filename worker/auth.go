package worker

import (
	"net/http"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/okta"
)

// transportToken is the token handed to an integration whose credential
// travels in the HTTP client's transport instead: defender.New and
// okta.New refuse an empty token, and the transport replaces the header
// the integration builds from it on every request.
const transportToken = "credential-set-by-transport"

// serviceClient returns the HTTP client and the token to build a service's
// integration with. A token, in either spelling, keeps the path socflow
// always had: hc as it is, and the integration sends the token in its own
// scheme (Defender's "Bearer", Okta's "SSWS"). OAuth2 and basic put the
// credential in a copy of hc.
func serviceClient(hc *http.Client, s config.Service) (*http.Client, string, error) {
	var cred httpx.Credential
	switch s.AuthMethod() {
	case config.AuthOAuth2:
		o := s.Auth.OAuth2
		cred = httpx.ClientCredentials{
			ClientID: o.ClientID, ClientSecret: httpx.Redacted(o.ClientSecret.Value()),
			TokenURL: o.TokenURL, Scopes: o.Scopes,
		}
	case config.AuthBasic:
		b := s.Auth.Basic
		cred = httpx.BasicAuth{Username: b.Username, Password: httpx.Redacted(b.Password.Value())}
	default:
		return hc, s.Token.Value(), nil
	}
	shc, err := httpx.Authenticated(hc, cred)
	if err != nil {
		return nil, "", err
	}
	return shc, transportToken, nil
}

// newDefender builds the Defender for Endpoint client of the EDR service.
func newDefender(hc *http.Client, s config.Service) (*defender.Client, error) {
	shc, token, err := serviceClient(hc, s)
	if err != nil {
		return nil, err
	}
	return defender.New(shc, s.URL, token)
}

// newOkta builds the Okta client of the IdP service.
func newOkta(hc *http.Client, s config.Service) (*okta.Client, error) {
	shc, token, err := serviceClient(hc, s)
	if err != nil {
		return nil, err
	}
	return okta.New(shc, s.URL, token)
}
