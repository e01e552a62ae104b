package worker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
)

// TestProvidersMatchConfig: every provider name config accepts has a
// constructor here, and every constructor a name config accepts.
func TestProvidersMatchConfig(t *testing.T) {
	for kind, tc := range map[string]struct {
		names []string
		reg   map[string]provider
	}{"edr": {config.EDRProviders, edrProviders()}, "idp": {config.IDPProviders, idpProviders()}, "mail": {config.MailProviders, mailProviders(config.Mail{})}} {
		for _, n := range tc.names {
			if _, ok := tc.reg[n]; n != "" && !ok {
				t.Errorf("%s: config accepts %q, the registry has no constructor", kind, n)
			}
		}
		for n := range tc.reg {
			if !slices.Contains(tc.names, n) {
				t.Errorf("%s: the registry builds %q, config refuses it", kind, n)
			}
		}
	}
}

// isolateOnly is an EDR that can isolate and nothing else.
type isolateOnly struct{}

func (isolateOnly) HostState(context.Context, alert.Host, string) (activities.TargetState, error) {
	return activities.TargetState{Phase: activities.PhaseOff}, nil
}
func (isolateOnly) IsolateHost(context.Context, alert.Host, string) (string, error) { return "i", nil }
func (isolateOnly) ReleaseHost(context.Context, alert.Host, string) (string, error) { return "r", nil }

// firewall blocks addresses and describes nothing.
type firewall struct{}

func (firewall) BlockState(context.Context, string) (activities.TargetState, error) {
	return activities.TargetState{}, nil
}
func (firewall) BlockIP(context.Context, string, string) (string, error) { return "b", nil }
func (firewall) UnblockIP(context.Context, string, string) error         { return nil }

// directory describes hosts.
type directory struct{ isolateOnly }

func (directory) HostDetails(context.Context, string) (*alert.HostDetails, error) {
	return &alert.HostDetails{Name: "h"}, nil
}

// TestCapabilitiesByInterface: an isolation-only EDR provides isolation
// and no IP blocking (which the contain activity then reports as not
// configured), another client fills what the first lacks, and the first
// client with a capability keeps it.
func TestCapabilitiesByInterface(t *testing.T) {
	c := findCapabilities(isolateOnly{}, nil)
	if c.contain.Isolator == nil || c.contain.Blocker != nil || c.contain.Accounts != nil || c.hosts != nil {
		t.Fatalf("isolate-only: %+v", c)
	}
	if got := c.plan().Actions; !slices.Equal(got, []alert.ActionKind{alert.ActionIsolateHost}) {
		t.Errorf("isolate-only can carry out %v, want isolate_host only", got)
	}
	c = findCapabilities(directory{}, firewall{}, isolateOnly{})
	if _, ok := c.contain.Isolator.(directory); !ok || c.contain.Blocker == nil || c.hosts == nil {
		t.Errorf("directory, firewall, isolate-only: %+v", c)
	}
}

// TestBuildNamesTheProvider: an override wins, no provider is no client,
// and an unknown name is an error naming it.
func TestBuildNamesTheProvider(t *testing.T) {
	hc := &http.Client{}
	if c, err := build("edr", edrProviders(), hc, config.Service{Provider: "defender"}, isolateOnly{}); err != nil || c != (isolateOnly{}) {
		t.Errorf("override: %v, %v", c, err)
	}
	if c, err := build("edr", edrProviders(), hc, config.Service{}, nil); err != nil || c != nil {
		t.Errorf("no provider: %v, %v", c, err)
	}
	if _, err := build("edr", edrProviders(), hc, config.Service{Provider: "no-such-edr"}, nil); err == nil || !strings.Contains(err.Error(), `"no-such-edr"`) {
		t.Errorf("unknown provider: %v", err)
	}
	c, err := build("edr", edrProviders(), hc, config.Service{Provider: "defender", URL: "https://api.securitycenter.microsoft.com", Token: config.NewSecret("t")}, nil)
	if err != nil || findCapabilities(c).hosts == nil || findCapabilities(c).contain.Blocker == nil {
		t.Errorf("defender: %T %v", c, err)
	}
}

// TestFalconCapabilities: a Falcon client contains and describes hosts
// and blocks no addresses; a token or basic configuration is refused,
// naming the field.
func TestFalconCapabilities(t *testing.T) {
	oauth := config.Service{Provider: "falcon", URL: falcon.BaseURLEU1, Auth: config.Auth{OAuth2: &config.OAuth2{
		ClientID: "socflow", ClientSecret: config.NewSecret("s3cret"), TokenURL: falcon.BaseURLEU1 + falcon.TokenPath,
	}}}
	c, err := build("edr", edrProviders(), &http.Client{}, oauth, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(falconEDR); !ok {
		t.Fatalf("built %T", c)
	}
	caps := findCapabilities(c)
	if caps.contain.Isolator == nil || caps.hosts == nil || caps.contain.Blocker != nil || caps.contain.Accounts != nil {
		t.Errorf("falcon capabilities: %+v", caps)
	}

	for _, tc := range []struct {
		name  string
		s     config.Service
		field string
	}{
		{"token", config.Service{Provider: "falcon", Token: config.NewSecret("t")}, "integrations.edr.token"},
		{"basic", config.Service{Provider: "falcon", Auth: config.Auth{Basic: &config.Basic{Username: "u", Password: config.NewSecret("p")}}}, "integrations.edr.auth.basic"},
		{"none", config.Service{Provider: "falcon"}, "auth.oauth2"},
	} {
		_, err := build("edr", edrProviders(), &http.Client{}, tc.s, nil)
		if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), "OAuth2") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestFalconFromConfig: a configuration file's oauth2 block reaches
// Falcon's token endpoint, and the client contains a host with it.
func TestFalconFromConfig(t *testing.T) {
	fake := falcontest.New(falcontest.WithClient("socflow", "cs-s3cret"))
	ts := httptest.NewServer(fake)
	defer ts.Close()
	s := parseEDR(t, fmt.Sprintf(`integrations:
  edr:
    provider: falcon
    url: %s
    auth:
      oauth2:
        client_id: socflow
        client_secret: $FALCON_CLIENT_SECRET
        token_url: %s/oauth2/token
`, ts.URL, ts.URL), map[string]string{"FALCON_CLIENT_SECRET": "cs-s3cret"})
	c, err := build("edr", edrProviders(), ts.Client(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := findCapabilities(c).contain.Isolator.IsolateHost(context.Background(), alert.Host{Name: "web1"}, ""); err != nil {
		t.Fatal(err)
	}
	if !fake.Contained("web1") || fake.TokensIssued() != 1 {
		t.Errorf("contained %v, %d tokens", fake.Contained("web1"), fake.TokensIssued())
	}
}

// TestContainmentPlanNamesWhatTheProvidersCanDo: the plan `socflow
// playbook validate` and every proposal read lists a kind only when a
// configured provider carries it out: hash blocks with either EDR,
// session revocation with either identity provider, sender-domain blocks
// with the mail gateway, and none of them with nothing configured. No
// vendor is called to find out.
func TestContainmentPlanNamesWhatTheProvidersCanDo(t *testing.T) {
	const (
		falconEDR   = "  edr:\n    provider: falcon\n    url: https://api.eu-1.crowdstrike.com\n    auth: {oauth2: {client_id: socflow, client_secret: $S, token_url: https://api.eu-1.crowdstrike.com/oauth2/token}}\n"
		defenderEDR = "  edr:\n    provider: defender\n    url: https://api.securitycenter.microsoft.com\n    token: $T\n"
		okta        = "  idp:\n    provider: okta\n    url: https://example.okta.com\n    token: $T\n"
		entra       = "  idp:\n    provider: entra\n    url: https://graph.microsoft.com/v1.0\n    auth: {oauth2: {client_id: socflow, client_secret: $S, token_url: https://login.microsoftonline.com/contoso/oauth2/v2.0/token}}\n"
		panos       = "  firewall:\n    provider: panos\n    url: https://fw.example\n    auth: {token: $T}\n    address_group: socflow-blocked\n"
		mailGW      = "  mail:\n    provider: http\n    url: https://mailgw.example/api/\n    auth: {token: $T}\n    block: {url: 'blocks/{{urlpath .Domain}}'}\n    unblock: {url: 'blocks/{{urlpath .Domain}}'}\n"
	)
	k := func(kinds ...alert.ActionKind) []alert.ActionKind { return kinds }
	for _, tc := range []struct {
		name   string
		blocks string
		want   []alert.ActionKind
	}{
		{"nothing", "", nil},
		{"falcon", falconEDR, k(alert.ActionIsolateHost, alert.ActionBlockHash)},
		{"defender, okta, mail", defenderEDR + okta + mailGW, alert.ActionKinds()},
		{"entra, panos", entra + panos, k(alert.ActionBlockIP, alert.ActionDisableUser, alert.ActionRevokeSessions)},
		{"mail alone", mailGW, k(alert.ActionBlockSenderDomain)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("integrations:\n"+tc.blocks), "s.yaml", lookup(map[string]string{"S": "s", "T": "t"}))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := ContainmentPlan(cfg)
			if err != nil || !slices.Equal(plan.Actions, tc.want) {
				t.Errorf("plan %v, %v; want %v", plan.Actions, err, tc.want)
			}
		})
	}
}
