package policy

import (
	"fmt"
	"path"
	"strings"

	"github.com/socflow/socflow/alert"
)

// Containment limits what the policy may contain on its own authority
// (the timeout default "contain"). A responder's approval is not limited.
type Containment struct {
	Protected Protected `yaml:"protected" json:"protected,omitzero"`
}

// Protected names the hosts and accounts the timeout default never
// contains: an incident that would isolate or disable one waits for the
// tier and approvals the policy names, however long that takes. Isolating
// a domain controller or disabling an executive on a timer costs more
// than the attack it stops.
type Protected struct {
	// Hosts and Users are exact names or shell globs (path.Match),
	// compared case-insensitively: "dc*", "ceo@example.com".
	Hosts []string `yaml:"hosts" json:"hosts,omitempty"`
	Users []string `yaml:"users" json:"users,omitempty"`
	// MaxAssetTier protects every host the inventory rates this critical
	// or more (1 most critical, 4 least); 0 protects none by tier.
	MaxAssetTier int `yaml:"max_asset_tier" json:"max_asset_tier,omitempty"`
}

// ProtectedTarget says why the first protected target among actions is
// protected, or "" when none is. asset is the incident's most critical
// known asset (its context packet's).
func (p *Policy) ProtectedTarget(actions []alert.Action, asset *alert.Asset) string {
	pr := p.Containment.Protected
	for _, a := range actions {
		target := strings.ToLower(a.Target)
		switch a.Kind {
		case alert.ActionIsolateHost:
			if g := matchAny(pr.Hosts, target); g != "" {
				return fmt.Sprintf("host %s is protected (containment.protected.hosts %q)", a.Target, g)
			}
			if asset != nil && pr.MaxAssetTier > 0 && asset.Tier >= 1 && asset.Tier <= pr.MaxAssetTier && strings.EqualFold(asset.Name, a.Target) {
				return fmt.Sprintf("host %s is protected: a tier-%d asset (containment.protected.max_asset_tier %d)", a.Target, asset.Tier, pr.MaxAssetTier)
			}
		case alert.ActionDisableUser:
			if g := matchAny(pr.Users, target); g != "" {
				return fmt.Sprintf("user %s is protected (containment.protected.users %q)", a.Target, g)
			}
		}
	}
	return ""
}

// matchAny returns the first pattern that matches v, or "".
func matchAny(patterns []string, v string) string {
	for _, g := range patterns {
		if ok, err := path.Match(strings.ToLower(g), v); err == nil && ok {
			return g
		}
	}
	return ""
}
