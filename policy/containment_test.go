package policy

import (
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

func TestProtectedTarget(t *testing.T) {
	p := &Policy{Containment: Containment{Protected: Protected{
		Hosts: []string{"DC*"}, Users: []string{"ceo@example.com"}, MaxAssetTier: 1,
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.ProtectedTarget(tc.actions, tc.asset)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("ProtectedTarget = %q, want %q", got, tc.want)
			}
		})
	}
}
