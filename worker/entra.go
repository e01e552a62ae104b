package worker

import (
	"fmt"
	"net/http"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/entra"
)

// newEntra builds the Microsoft Entra ID client of the IdP service. Graph
// takes only OAuth2: its access tokens expire within the hour, so a fixed
// token would stop containment working soon after the worker starts.
func newEntra(hc *http.Client, s config.Service) (*entra.Client, error) {
	if m := s.AuthMethod(); m != config.AuthOAuth2 {
		return nil, fmt.Errorf("entra: integrations.idp.auth.oauth2 is required (client_id, client_secret, token_url %s), not %s: Microsoft Graph tokens expire within the hour",
			entra.TokenURL("<tenant>"), authName(m))
	}
	if len(s.Auth.OAuth2.Scopes) == 0 {
		// The identity platform refuses a client-credentials grant without
		// a scope; Graph's is the only one that fits.
		o := *s.Auth.OAuth2
		o.Scopes = []string{entra.Scope}
		s.Auth.OAuth2 = &o
	}
	shc, _, err := serviceClient(hc, s)
	if err != nil {
		return nil, err
	}
	return entra.New(shc, s.URL)
}

// authName names a configured method by the field that sets it.
func authName(method string) string {
	switch method {
	case config.AuthToken:
		return "integrations.idp.token (a fixed token)"
	case config.AuthBasic:
		return "integrations.idp.auth.basic"
	}
	return "no credential"
}
