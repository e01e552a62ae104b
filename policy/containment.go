package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Containment says what containment may touch and how long it holds:
// the protected targets, how long a vendor has to confirm each kind of
// action, and the leases after which socflow undoes an action itself.
type Containment struct {
	Protected Protected `yaml:"protected" json:"protected,omitzero"`
	// Verify is how long the vendor has to confirm each action kind
	// ("isolate_host: 10m"); past it the action is unverified and the
	// incident escalates with the vendor's last state. Unset kinds get
	// DefaultVerify.
	Verify map[alert.ActionKind]time.Duration `yaml:"verify" json:"verify,omitempty"`
	// Lease is how long each action kind stays in force before socflow
	// undoes it, unless a responder renews it; unset kinds have no lease.
	// A playbook step may set its own (alert.Action.Lease).
	Lease map[alert.ActionKind]time.Duration `yaml:"lease" json:"lease,omitempty"`
	// LeaseNotice is how long before a lease runs out the tier that
	// approved the containment is told, so that it can renew
	// (DefaultLeaseNotice, at most half the lease).
	LeaseNotice time.Duration `yaml:"lease_notice" json:"lease_notice,omitempty"`
}

// Defaults of Containment.
const (
	DefaultVerify      = 10 * time.Minute
	DefaultLeaseNotice = 30 * time.Minute
)

// VerifyWithin is how long the vendor has to confirm an action of kind k.
func (c Containment) VerifyWithin(k alert.ActionKind) time.Duration {
	if d := c.Verify[k]; d > 0 {
		return d
	}
	return DefaultVerify
}

// LeaseFor is the lease of action a: the playbook step's, else the
// policy's for its kind, else none (0). A kind without an undo
// (alert.ActionKind.NoUndo) has none whatever is set: there would be
// nothing to do when it ran out.
func (c Containment) LeaseFor(a alert.Action) time.Duration {
	if a.Kind.NoUndo() != "" {
		return 0
	}
	if a.Lease > 0 {
		return a.Lease
	}
	return c.Lease[a.Kind]
}

// NoticeBefore is how long before a lease of length lease runs out the
// tier is told.
func (c Containment) NoticeBefore(lease time.Duration) time.Duration {
	n := c.LeaseNotice
	if n <= 0 {
		n = DefaultLeaseNotice
	}
	return min(n, lease/2)
}

// Protected names the hosts, accounts, sender domains and files the
// timeout default never contains: an incident that would isolate,
// disable, sign out or block one waits for the tier and approvals the
// policy names, however long that takes. Isolating a domain controller,
// disabling an executive or blocking a partner's mail on a timer costs
// more than the attack it stops.
type Protected struct {
	// Hosts and Users are exact names or shell globs (path.Match),
	// compared case-insensitively: "dc*", "ceo@example.com". Users covers
	// revoking an account's sessions as well as disabling it: signing an
	// executive out everywhere takes what disabling them takes.
	Hosts []string `yaml:"hosts" json:"hosts,omitempty"`
	Users []string `yaml:"users" json:"users,omitempty"`
	// Domains are sender domains, exact or shell globs compared
	// case-insensitively ("example.com", "*.example.com"): your own and
	// your partners', whose mail a block would stop for everyone.
	Domains []string `yaml:"domains" json:"domains,omitempty"`
	// Hashes are files (SHA-256, SHA-1 or MD5, compared case-insensitively)
	// the business runs on, such as a line-of-business application an
	// attacker abused: a hash block removes the file from every device.
	Hashes []string `yaml:"hashes" json:"hashes,omitempty"`
	// MaxAssetTier protects every host the inventory rates this critical
	// or more (1 most critical, 4 least); 0 protects none by tier.
	MaxAssetTier int `yaml:"max_asset_tier" json:"max_asset_tier,omitempty"`
	// Roles and Tags protect every host whose inventory record has one of
	// them ("domain_controller", "crown-jewel"), compared
	// case-insensitively.
	Roles []string `yaml:"roles" json:"roles,omitempty"`
	Tags  []string `yaml:"tags" json:"tags,omitempty"`
	// Tier, when set, is the lowest tier whose approvers may contain a
	// protected target: an approval at a tier below it is refused, and
	// the proposal says which tier it takes.
	Tier string `yaml:"tier" json:"tier,omitempty"`
	// Approvals, when above approvals.destructive, is how many distinct
	// approvers containing a protected target takes.
	Approvals int `yaml:"approvals" json:"approvals,omitempty"`
}

// Protection says why action a's target is protected ("" when it is
// not): by name, by the inventory's tier, role or tag. asset is the
// incident's most critical known asset (its context packet's); it
// protects only the host it names.
func (p *Policy) Protection(a alert.Action, asset *alert.Asset) string {
	pr := p.Containment.Protected
	target := strings.ToLower(a.Target)
	switch a.Kind {
	case alert.ActionIsolateHost:
		if g := matchAny(pr.Hosts, target); g != "" {
			return fmt.Sprintf("host %s is protected (containment.protected.hosts %q)", a.Target, g)
		}
		if asset == nil || !strings.EqualFold(asset.Name, a.Target) {
			return ""
		}
		if pr.MaxAssetTier > 0 && asset.Tier >= 1 && asset.Tier <= pr.MaxAssetTier {
			return fmt.Sprintf("host %s is protected: a tier-%d asset (containment.protected.max_asset_tier %d)", a.Target, asset.Tier, pr.MaxAssetTier)
		}
		if asset.Role != "" && slices.ContainsFunc(pr.Roles, func(r string) bool { return strings.EqualFold(r, asset.Role) }) {
			return fmt.Sprintf("host %s is protected: role %s (containment.protected.roles)", a.Target, asset.Role)
		}
		for _, t := range asset.Tags {
			if slices.ContainsFunc(pr.Tags, func(g string) bool { return strings.EqualFold(g, t) }) {
				return fmt.Sprintf("host %s is protected: tag %s (containment.protected.tags)", a.Target, t)
			}
		}
	case alert.ActionDisableUser, alert.ActionRevokeSessions:
		if g := matchAny(pr.Users, target); g != "" {
			return fmt.Sprintf("user %s is protected (containment.protected.users %q)", a.Target, g)
		}
	case alert.ActionBlockSenderDomain:
		if g := matchAny(pr.Domains, strings.TrimSuffix(target, ".")); g != "" {
			return fmt.Sprintf("sender domain %s is protected (containment.protected.domains %q)", a.Target, g)
		}
	case alert.ActionBlockHash:
		if slices.ContainsFunc(pr.Hashes, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(a.Target)) }) {
			return fmt.Sprintf("file %s is protected (containment.protected.hashes)", a.Target)
		}
	}
	return ""
}

// ProtectedNeeds says what containing a protected target takes beyond
// the ordinary approval, for the proposal: "needs tier IR and 2
// approvals" ("" when the policy asks nothing more).
func (p *Policy) ProtectedNeeds() string {
	pr := p.Containment.Protected
	var parts []string
	if pr.Tier != "" {
		parts = append(parts, "tier "+pr.Tier+" or above")
	}
	if pr.Approvals > p.Approvals.Destructive {
		parts = append(parts, fmt.Sprintf("%d approvals", pr.Approvals))
	}
	if len(parts) == 0 {
		return ""
	}
	return "containing it needs " + strings.Join(parts, " and ")
}

// TierAtLeast reports whether tier is the named minimum or above it on
// the ladder ("" minimum: any tier).
func (p *Policy) TierAtLeast(tier, minimum string) bool {
	if minimum == "" {
		return true
	}
	rank := func(n string) int {
		return slices.IndexFunc(p.Tiers, func(t Tier) bool { return t.Name == n })
	}
	return rank(tier) >= rank(minimum) && rank(tier) >= 0
}

// ProtectedTarget says why the first protected target among actions is
// protected, or "" when none is. asset is the incident's most critical
// known asset (its context packet's).
func (p *Policy) ProtectedTarget(actions []alert.Action, asset *alert.Asset) string {
	for _, a := range actions {
		if r := p.Protection(a, asset); r != "" {
			return r
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
