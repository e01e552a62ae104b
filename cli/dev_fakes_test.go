package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/panos"
)

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDevFakes: without integrations configured, dev runs the chosen EDR
// fake, whose isolation goes pending and then is confirmed, a PAN-OS
// firewall that blocks, and Okta; an EDR or firewall in the configuration
// keeps its fakes away.
func TestDevFakes(t *testing.T) {
	ctx := context.Background()
	const pending = 200 * time.Millisecond
	web1 := alert.Host{Name: "web1"}
	for _, edr := range devEDRs {
		t.Run(edr, func(t *testing.T) {
			f, err := startDevFakes(&config.Config{}, edr, pending)
			t.Cleanup(f.close)
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, n := range f.notes {
				notes = append(notes, n.what+": "+n.text)
			}
			if got := strings.Join(notes, "\n"); !strings.Contains(got, "EDR: built-in") || !strings.Contains(got, "Firewall: built-in PAN-OS fake") || !strings.Contains(got, "Identity: built-in Okta fake") {
				t.Errorf("notes:\n%s", got)
			}
			switch c := f.edr.(type) {
			case *defender.Client:
				if edr != "defender" {
					t.Fatalf("--edr %s ran Defender", edr)
				}
				ref, err := c.IsolateHost(ctx, web1, "dev")
				if err != nil {
					t.Fatal(err)
				}
				st, err := c.Isolation(ctx, web1, ref)
				if err != nil || st.Asked.Status != defender.StatusPending {
					t.Fatalf("right after the request: %+v, %v; want Pending", st.Asked, err)
				}
				eventually(t, "isolation confirmed", func() (bool, error) {
					st, err := c.Isolation(ctx, web1, ref)
					return err == nil && st.Asked.Status == defender.StatusSucceeded, err
				})
			case *falcon.Client:
				if edr != "falcon" {
					t.Fatalf("--edr %s ran Falcon", edr)
				}
				if _, err := c.IsolateHost(ctx, web1, "dev"); err != nil {
					t.Fatal(err)
				}
				if d, err := c.Containment(ctx, web1); err != nil || d.Status != falcon.StatusContainmentPending {
					t.Fatalf("right after the request: %+v, %v; want containment_pending", d, err)
				}
				eventually(t, "containment confirmed", func() (bool, error) {
					d, err := c.Containment(ctx, web1)
					return err == nil && d.Status == falcon.StatusContained, err
				})
			default:
				t.Fatalf("EDR %T", f.edr)
			}
			fw, ok := f.firewall.(*panos.Client)
			if !ok {
				t.Fatalf("firewall %T", f.firewall)
			}
			if _, err := fw.BlockIP(ctx, "203.0.113.7", "dev"); err != nil {
				t.Fatal(err)
			}
			if b, err := fw.Blocked(ctx, "203.0.113.7"); err != nil || !b.InForce {
				t.Errorf("Blocked = %+v, %v", b, err)
			}
			if _, ok := f.idp.(*okta.Client); !ok {
				t.Errorf("identity provider %T", f.idp)
			}
		})
	}

	t.Run("a configured EDR", func(t *testing.T) {
		cfg := &config.Config{}
		cfg.Integrations.EDR.Provider = "defender"
		f, err := startDevFakes(cfg, "defender", pending)
		t.Cleanup(f.close)
		if err != nil || f.edr != nil || f.firewall != nil || f.idp == nil {
			t.Errorf("fakes: edr %T, firewall %T, idp %T, %v; want only the identity provider", f.edr, f.firewall, f.idp, err)
		}
	})
	t.Run("a configured firewall", func(t *testing.T) {
		cfg := &config.Config{}
		cfg.Integrations.Firewall.Provider = "panos"
		f, err := startDevFakes(cfg, "defender", pending)
		t.Cleanup(f.close)
		if err != nil || f.edr == nil || f.firewall != nil {
			t.Errorf("fakes: edr %T, firewall %T, %v; want the EDR alone", f.edr, f.firewall, err)
		}
	})
}
