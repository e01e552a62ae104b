package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/panos/panostest"
)

// edrBlocker is an EDR that isolates and blocks.
type edrBlocker struct{ isolateOnly }

func (edrBlocker) BlockState(context.Context, string) (activities.TargetState, error) {
	return activities.TargetState{}, nil
}
func (edrBlocker) BlockIP(context.Context, string, string) (string, error) { return "edr", nil }
func (edrBlocker) UnblockIP(context.Context, string, string) error         { return nil }

func TestFirewallProvidersMatchConfig(t *testing.T) {
	reg := firewallProviders(config.Firewall{})
	for _, n := range config.FirewallProviders {
		if _, ok := reg[n]; n != "" && !ok {
			t.Errorf("config accepts firewall %q, the registry has no constructor", n)
		}
	}
	for n := range reg {
		if !slices.Contains(config.FirewallProviders, n) {
			t.Errorf("the registry builds firewall %q, config refuses it", n)
		}
	}
}

// TestFirewallBlocksInPlaceOfTheEDR: with a firewall configured, IP
// blocking goes to it and isolation stays with the EDR; without one, the
// EDR blocks.
func TestFirewallBlocksInPlaceOfTheEDR(t *testing.T) {
	c := findCapabilities(firewall{}, edrBlocker{}, nil)
	if _, ok := c.contain.Blocker.(firewall); !ok || c.contain.Isolator == nil {
		t.Errorf("firewall and EDR: %+v", c.contain)
	}
	c = findCapabilities(nil, edrBlocker{}, nil)
	if _, ok := c.contain.Blocker.(edrBlocker); !ok {
		t.Errorf("EDR alone: %+v", c.contain)
	}
}

// TestBuildFirewalls: both providers build from a loaded configuration,
// and the panos one blocks at the fake with the key from auth.token.
func TestBuildFirewalls(t *testing.T) {
	fw := panostest.New()
	ts := httptest.NewServer(fw)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = fw.Close() })
	vars := func(k string) (string, bool) {
		v, ok := map[string]string{"PANOS_KEY": panostest.DefaultKey, "FW_TOKEN": "t"}[k]
		return v, ok
	}
	yml := "integrations:\n  firewall:\n    provider: panos\n    url: " + ts.URL + "\n    auth: {token: $PANOS_KEY}\n    address_group: socflow-blocked\n"
	cfg, err := config.Parse([]byte(yml), "s.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Integrations.Firewall
	cl, err := build("firewall", firewallProviders(f), ts.Client(), f.Service, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := cl.(activities.IPBlocker)
	if !ok {
		t.Fatalf("%T is no IPBlocker", cl)
	}
	if _, ok := cl.(panosBlocker); !ok {
		t.Fatalf("panos built %T", cl)
	}
	if ref, err := b.BlockIP(context.Background(), "198.51.100.7", "c"); err != nil || ref != "socflow-198.51.100.7" {
		t.Errorf("BlockIP = %q, %v", ref, err)
	}

	yml = "integrations:\n  firewall:\n    provider: http\n    url: https://fw.example/api/\n    auth: {token: $FW_TOKEN}\n    block: {url: 'block/{{urlpath .IP}}'}\n    unblock: {url: 'block/{{urlpath .IP}}'}\n"
	cfg, err = config.Parse([]byte(yml), "s.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	f = cfg.Integrations.Firewall
	cl, err = build("firewall", firewallProviders(f), &http.Client{}, f.Service, nil)
	if _, ok := cl.(activities.IPBlocker); err != nil || !ok {
		t.Errorf("http: %T, %v", cl, err)
	}
}
