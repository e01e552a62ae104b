package worker

import (
	"fmt"
	"net/http"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/falcon"
	fwhttp "github.com/socflow/socflow/integrations/firewall"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/mail"
	"github.com/socflow/socflow/integrations/panos"
)

// A provider builds one integration's client from its configuration
// block. What the client can do is found by interface assertion
// (activities.HostIsolator, IPBlocker, AccountDisabler, SessionRevoker,
// HashBlocker, DomainBlocker, HostDirectory) on its adapter
// (contain_adapters.go), so that adding a provider is its package, one
// entry here, its adapter and its name in config's list.
type provider func(hc *http.Client, s config.Service) (any, error)

// edrProviders are the EDRs integrations.edr.provider names.
func edrProviders() map[string]provider {
	return map[string]provider{
		"defender": func(hc *http.Client, s config.Service) (any, error) { return newDefender(hc, s) },
		"falcon":   func(hc *http.Client, s config.Service) (any, error) { return newFalcon(hc, s) },
	}
}

// newFalcon builds the CrowdStrike Falcon client of the EDR service. Falcon
// authenticates API clients with OAuth2 client credentials only, so a
// token or basic configuration is refused. The client keeps the token
// itself rather than through serviceClient's transport: Falcon wants the
// client ID and secret as form fields and revokes tokens before they
// expire. Scopes are not sent; a Falcon API client's are set in the
// console.
func newFalcon(hc *http.Client, s config.Service) (*falcon.Client, error) {
	switch m := s.AuthMethod(); m {
	case config.AuthOAuth2:
	case "":
		return nil, fmt.Errorf("falcon: set auth.oauth2 (client_id, client_secret, token_url): Falcon's API takes OAuth2 client credentials only: %w", httpx.ErrNotConfigured)
	default:
		field := "integrations.edr.auth." + m
		if m == config.AuthToken && s.Auth.Token.Ref == "" {
			field = "integrations.edr.token"
		}
		return nil, fmt.Errorf("falcon: %s is set, but Falcon's API takes OAuth2 client credentials only: set auth.oauth2 (client_id, client_secret, token_url) instead", field)
	}
	o := s.Auth.OAuth2
	return falcon.New(hc, falcon.Config{
		BaseURL: s.URL, ClientID: o.ClientID, ClientSecret: httpx.Redacted(o.ClientSecret.Value()), TokenURL: o.TokenURL,
	})
}

// idpProviders are the identity providers integrations.idp.provider names.
func idpProviders() map[string]provider {
	return map[string]provider{
		"okta":  func(hc *http.Client, s config.Service) (any, error) { return newOkta(hc, s) },
		"entra": func(hc *http.Client, s config.Service) (any, error) { return newEntra(hc, s) },
	}
}

// firewallProviders are the firewalls integrations.firewall.provider
// names, built from the whole block f (its requests, its address group).
func firewallProviders(f config.Firewall) map[string]provider {
	return map[string]provider{
		"http": func(hc *http.Client, s config.Service) (any, error) {
			shc, token, err := templateClient(hc, s)
			if err != nil {
				return nil, err
			}
			return fwhttp.New(shc, fwhttp.Config{URL: s.URL, Token: token, Block: f.Block.Request(), Unblock: f.Unblock.Request()})
		},
		"panos": func(hc *http.Client, s config.Service) (any, error) {
			shc, key, err := serviceClient(hc, s)
			if err != nil {
				return nil, err
			}
			return panos.New(shc, panos.Config{URL: s.URL, Key: key, AddressGroup: f.AddressGroup, Vsys: f.Vsys})
		},
	}
}

// templateClient is the client of an HTTP template provider (the
// firewall's, the mail gateway's) and the token its templates may use:
// only a token credential; any other the transport carries.
func templateClient(hc *http.Client, s config.Service) (*http.Client, string, error) {
	shc, token, err := serviceClient(hc, s)
	if err != nil {
		return nil, "", err
	}
	if s.AuthMethod() != config.AuthToken {
		token = ""
	}
	return shc, token, nil
}

// mailProviders are the mail gateways integrations.mail.provider names,
// built from the whole block m (its requests).
func mailProviders(m config.Mail) map[string]provider {
	return map[string]provider{
		"http": func(hc *http.Client, s config.Service) (any, error) {
			shc, token, err := templateClient(hc, s)
			if err != nil {
				return nil, err
			}
			return mail.New(shc, m.Config(token))
		},
	}
}

// build returns the configured client of one integration (nil when the
// block names no provider), or override when it is set, each behind its
// capability adapter (see adapt).
func build(kind string, providers map[string]provider, hc *http.Client, s config.Service, override any) (any, error) {
	if override != nil {
		return adapt(override), nil
	}
	if s.Provider == "" {
		return nil, nil
	}
	p, ok := providers[s.Provider]
	if !ok {
		// config.Validate refuses unknown names first; this is a
		// registry that lags config's list.
		return nil, fmt.Errorf("%s: no provider %q in this build", kind, s.Provider)
	}
	c, err := p(hc, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return adapt(c), nil
}

// configuredCapabilities builds the EDR, IdP, firewall and mail gateway
// clients the configuration names (or the overrides) and finds what they
// can do.
func configuredCapabilities(cfg *config.Config, hc *http.Client, edrOverride, idpOverride, fwOverride, mailOverride any) (capabilities, error) {
	edr, err := build("worker: edr", edrProviders(), hc, cfg.Integrations.EDR, edrOverride)
	if err != nil {
		return capabilities{}, err
	}
	idp, err := build("worker: idp", idpProviders(), hc, cfg.Integrations.IDP, idpOverride)
	if err != nil {
		return capabilities{}, err
	}
	fw, err := build("worker: firewall", firewallProviders(cfg.Integrations.Firewall), hc, cfg.Integrations.Firewall.Service, fwOverride)
	if err != nil {
		return capabilities{}, err
	}
	mg, err := build("worker: mail", mailProviders(cfg.Integrations.Mail), hc, cfg.Integrations.Mail.Service, mailOverride)
	if err != nil {
		return capabilities{}, err
	}
	return findCapabilities(fw, edr, idp, mg), nil
}

// ContainmentPlan names the containment actions the configured providers
// can carry out, as a worker on cfg would find them; building the clients
// calls no vendor. `socflow playbook validate` checks playbooks against it.
func ContainmentPlan(cfg *config.Config) (activities.ContainmentPlan, error) {
	caps, err := configuredCapabilities(cfg, &http.Client{Timeout: 30 * time.Second}, nil, nil, nil, nil)
	if err != nil {
		return activities.ContainmentPlan{}, err
	}
	return caps.plan(), nil
}

// capabilities are what the configured clients can do, the first client
// with a capability providing it: the worker passes the firewall first,
// so that a configured firewall blocks addresses in place of the EDR.
type capabilities struct {
	contain activities.Contain
	hosts   activities.HostDirectory
}

func findCapabilities(clients ...any) capabilities {
	var c capabilities
	for _, cl := range clients {
		if v, ok := cl.(activities.HostIsolator); ok && c.contain.Isolator == nil {
			c.contain.Isolator = v
		}
		if v, ok := cl.(activities.IPBlocker); ok && c.contain.Blocker == nil {
			c.contain.Blocker = v
		}
		if v, ok := cl.(activities.AccountDisabler); ok && c.contain.Accounts == nil {
			c.contain.Accounts = v
		}
		if v, ok := cl.(activities.SessionRevoker); ok && c.contain.Sessions == nil {
			c.contain.Sessions = v
		}
		if v, ok := cl.(activities.HashBlocker); ok && c.contain.Hashes == nil {
			c.contain.Hashes = v
		}
		if v, ok := cl.(activities.DomainBlocker); ok && c.contain.Domains == nil {
			c.contain.Domains = v
		}
		if v, ok := cl.(activities.HostDirectory); ok && c.hosts == nil {
			c.hosts = v
		}
	}
	return c
}

// plan names the action kinds the capabilities can carry out.
func (c capabilities) plan() activities.ContainmentPlan {
	var p activities.ContainmentPlan
	if c.contain.Isolator != nil {
		p.Actions = append(p.Actions, alert.ActionIsolateHost)
	}
	if c.contain.Blocker != nil {
		p.Actions = append(p.Actions, alert.ActionBlockIP)
	}
	if c.contain.Accounts != nil {
		p.Actions = append(p.Actions, alert.ActionDisableUser)
	}
	if c.contain.Sessions != nil {
		p.Actions = append(p.Actions, alert.ActionRevokeSessions)
	}
	if c.contain.Hashes != nil {
		p.Actions = append(p.Actions, alert.ActionBlockHash)
	}
	if c.contain.Domains != nil {
		p.Actions = append(p.Actions, alert.ActionBlockSenderDomain)
	}
	return p
}
