package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func TestProtectedTarget(t *testing.T) {
	p := &Policy{Containment: Containment{Protected: Protected{
		Hosts: []string{"DC*"}, Users: []string{"ceo@example.com"}, MaxAssetTier: 1,
		Domains: []string{"example.com", "*.partner.example"}, Hashes: []string{"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"},
	}}}
	dc := &alert.Asset{Name: "srv-db1", Tier: 1}
	for _, tc := range []struct {
		name    string
		actions []alert.Action
		asset   *alert.Asset
		want    string
	}{
		{"glob host", []alert.Action{alert.NewAction(alert.ActionIsolateHost, "dc01", "")}, nil, `host dc01 is protected (containment.protected.hosts "DC*")`},
		{"exact user", []alert.Action{alert.NewAction(alert.ActionDisableUser, "CEO@example.com", "")}, nil, "user CEO@example.com is protected"},
		{"tier-1 asset", []alert.Action{alert.NewAction(alert.ActionIsolateHost, "srv-db1", "")}, dc, "a tier-1 asset"},
		{"tier-2 asset", []alert.Action{alert.NewAction(alert.ActionIsolateHost, "srv-db1", "")}, &alert.Asset{Name: "srv-db1", Tier: 2}, ""},
		{"other host", []alert.Action{alert.NewAction(alert.ActionIsolateHost, "ws-7", "")}, dc, ""},
		{"an address is never protected", []alert.Action{alert.NewAction(alert.ActionBlockIP, "dc01", "")}, nil, ""},
		{"revoking a protected user's sessions", []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "ceo@example.com", "")}, nil, "user ceo@example.com is protected"},
		{"another user's sessions", []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "bob@example.com", "")}, nil, ""},
		{"own sender domain", []alert.Action{alert.NewAction(alert.ActionBlockSenderDomain, "Example.COM.", "")}, nil, `sender domain Example.COM. is protected (containment.protected.domains "example.com")`},
		{"partner subdomain", []alert.Action{alert.NewAction(alert.ActionBlockSenderDomain, "mail.partner.example", "")}, nil, `"*.partner.example"`},
		{"a lookalike is not protected", []alert.Action{alert.NewAction(alert.ActionBlockSenderDomain, "example.com.evil.example", "")}, nil, ""},
		{"protected file", []alert.Action{alert.NewAction(alert.ActionBlockHash, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "")}, nil, "containment.protected.hashes"},
		{"a user name is not a host", []alert.Action{alert.NewAction(alert.ActionRevokeSessions, "dc01", "")}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.ProtectedTarget(tc.actions, tc.asset)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("ProtectedTarget = %q, want %q", got, tc.want)
			}
		})
	}
}

// A kind without an undo has no lease, whatever the policy or the step
// says: nothing would happen when it ran out.
func TestLeaseForAKindWithoutAnUndo(t *testing.T) {
	c := Containment{Lease: map[alert.ActionKind]time.Duration{alert.ActionRevokeSessions: time.Hour, alert.ActionBlockHash: 2 * time.Hour}}
	a := alert.NewAction(alert.ActionRevokeSessions, "bob", "")
	a.Lease = time.Hour
	if got := c.LeaseFor(a); got != 0 {
		t.Errorf("revoke_sessions lease %s, want none", got)
	}
	if got := c.LeaseFor(alert.NewAction(alert.ActionBlockHash, "x", "")); got != 2*time.Hour {
		t.Errorf("block_hash lease %s, want the policy's 2h", got)
	}
}
