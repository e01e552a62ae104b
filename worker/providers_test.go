package worker

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
)

// TestProvidersMatchConfig: every provider name config accepts has a
// constructor here, and every constructor a name config accepts.
func TestProvidersMatchConfig(t *testing.T) {
	for kind, tc := range map[string]struct {
		names []string
		reg   map[string]provider
	}{"edr": {config.EDRProviders, edrProviders()}, "idp": {config.IDPProviders, idpProviders()}} {
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

func (isolateOnly) IsolateHost(context.Context, string, string) (string, error) { return "i", nil }
func (isolateOnly) ReleaseHost(context.Context, string, string) (string, error) { return "r", nil }

// firewall blocks addresses and describes nothing.
type firewall struct{}

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
	if _, err := build("edr", edrProviders(), hc, config.Service{Provider: "falcon"}, nil); err == nil || !strings.Contains(err.Error(), `"falcon"`) {
		t.Errorf("unknown provider: %v", err)
	}
	c, err := build("edr", edrProviders(), hc, config.Service{Provider: "defender", URL: "https://api.securitycenter.microsoft.com", Token: config.NewSecret("t")}, nil)
	if err != nil || findCapabilities(c).hosts == nil || findCapabilities(c).contain.Blocker == nil {
		t.Errorf("defender: %T %v", c, err)
	}
}
