package config

import (
	"fmt"
	"net/url"

	"github.com/socflow/socflow/integrations/httpx"
)

// CheckHTTPURL checks that raw is an absolute http or https URL with a
// host, the form of every service address in the configuration. The error
// quotes raw and says what was wanted, so that it reads as the message of
// the field's problem; integrations that check their base URL can use it
// too.
func CheckHTTPURL(raw string) error {
	if !isHTTPURL(raw, func(*url.URL) bool { return true }) {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// CheckHTTPSURL is [CheckHTTPURL] for endpoints that are sent credentials
// or vouch for identities (an OIDC issuer, an OAuth2 token URL): https, or
// plain http only on a loopback host, where no one else can listen in.
func CheckHTTPSURL(raw string) error {
	if !isHTTPURL(raw, isLoopbackURL) {
		return fmt.Errorf("%q is not an https URL (http only on loopback)", raw)
	}
	return nil
}

// isHTTPURL is the one URL check: plainOK says whether an http URL is
// acceptable.
func isHTTPURL(raw string, plainOK func(*url.URL) bool) bool {
	u, err := httpx.BaseURL(raw)
	if err != nil {
		return false
	}
	return u.Scheme == "https" || plainOK(u)
}

func isLoopbackURL(u *url.URL) bool { return httpx.LoopbackHost(u.Hostname()) }
