package activities

import (
	"context"
	"fmt"

	"github.com/socflow/socflow/alert"
)

// Containment providers are found by what they can do, not by what they
// are: the worker asks each configured client which of these it
// implements, so an isolation-only EDR need not fake IP blocking.

// HostIsolator cuts hosts off the network (the EDR's own channel
// excepted) and lets them back.
type HostIsolator interface {
	IsolateHost(ctx context.Context, host, comment string) (ref string, err error)
	ReleaseHost(ctx context.Context, host, comment string) (ref string, err error)
}

// IPBlocker blocks addresses and lifts the blocks.
type IPBlocker interface {
	BlockIP(ctx context.Context, ip, comment string) (ref string, err error)
	// UnblockIP removes the block; ref is what BlockIP returned.
	UnblockIP(ctx context.Context, ip, ref string) error
}

// AccountDisabler disables and re-enables accounts.
type AccountDisabler interface {
	DisableUser(ctx context.Context, user string) error
	EnableUser(ctx context.Context, user string) error
}

// Contain carries out containment actions and their undos, each with the
// provider that has the capability (nil: none configured). Every method is
// safe to retry: the calls it makes are idempotent (isolating an isolated
// host, suspending a suspended user, succeed or report the state).
type Contain struct {
	Isolator HostIsolator
	Blocker  IPBlocker
	Accounts AccountDisabler
}

// ContainInput is one action on behalf of an incident.
type ContainInput struct {
	IncidentID string       `json:"incident_id"`
	Action     alert.Action `json:"action"`
	// Reference is the provider's handle from the original action, for
	// undos.
	Reference string `json:"reference,omitempty"`
	// Drill runs the step without touching anything.
	Drill bool `json:"drill,omitempty"`
}

// ContainResult is the provider's handle and a human-readable outcome.
type ContainResult struct {
	Reference string `json:"reference,omitempty"`
	Detail    string `json:"detail"`
}

func (c *Contain) comment(in ContainInput, verb string) string {
	return fmt.Sprintf("socflow %s: %s %s (%s)", in.IncidentID, verb, in.Action.Target, in.Action.Reason)
}

// Why a containment step cannot run: no configured provider has the
// capability.
const (
	noIsolator = "no EDR integration that isolates hosts (integrations.edr)"
	noBlocker  = "no firewall or EDR integration that blocks addresses (integrations.firewall, integrations.edr)"
	noAccounts = "no identity provider integration (integrations.idp)"
)

// step runs one containment call on the provider with the capability: a
// drill only says what it would do; a missing provider and a failed call
// are classified once, prefixed with what the step does to the target.
func step[P comparable](in ContainInput, verb, what, done string, p P, missing string, call func(P) (string, error)) (ContainResult, error) {
	target := in.Action.Target
	if in.Drill {
		return ContainResult{Detail: "drill: would " + verb + " " + target}, nil
	}
	var none P
	if p == none {
		return ContainResult{}, Classify(what+" "+target, errNotConfigured(missing))
	}
	ref, err := call(p)
	if err != nil {
		return ContainResult{}, Classify(what+" "+target, err)
	}
	return ContainResult{Reference: ref, Detail: done + " " + target}, nil
}

// IsolateHost cuts a host off the network, EDR channel excepted.
func (c *Contain) IsolateHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "isolate", "isolate host", "isolated", c.Isolator, noIsolator, func(p HostIsolator) (string, error) {
		return p.IsolateHost(ctx, in.Action.Target, c.comment(in, "isolate"))
	})
}

// ReleaseHost undoes IsolateHost.
func (c *Contain) ReleaseHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "release", "release host", "released", c.Isolator, noIsolator, func(p HostIsolator) (string, error) {
		return p.ReleaseHost(ctx, in.Action.Target, c.comment(in, "release"))
	})
}

// BlockIP blocks an address at the EDR.
func (c *Contain) BlockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "block", "block ip", "blocked", c.Blocker, noBlocker, func(p IPBlocker) (string, error) {
		return p.BlockIP(ctx, in.Action.Target, c.comment(in, "block"))
	})
}

// UnblockIP undoes BlockIP.
func (c *Contain) UnblockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "unblock", "unblock ip", "unblocked", c.Blocker, noBlocker, func(p IPBlocker) (string, error) {
		return "", p.UnblockIP(ctx, in.Action.Target, in.Reference)
	})
}

// DisableUser suspends an account at the identity provider.
func (c *Contain) DisableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "disable", "disable user", "disabled", c.Accounts, noAccounts, func(p AccountDisabler) (string, error) {
		return "", p.DisableUser(ctx, in.Action.Target)
	})
}

// EnableUser undoes DisableUser.
func (c *Contain) EnableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	return step(in, "enable", "enable user", "enabled", c.Accounts, noAccounts, func(p AccountDisabler) (string, error) {
		return "", p.EnableUser(ctx, in.Action.Target)
	})
}
