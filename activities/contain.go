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

func (c *Contain) isolator() (HostIsolator, error) {
	if c.Isolator == nil {
		return nil, errNotConfigured("no EDR integration that isolates hosts (integrations.edr)")
	}
	return c.Isolator, nil
}

func (c *Contain) blocker() (IPBlocker, error) {
	if c.Blocker == nil {
		return nil, errNotConfigured("no EDR integration that blocks addresses (integrations.edr)")
	}
	return c.Blocker, nil
}

func (c *Contain) accounts() (AccountDisabler, error) {
	if c.Accounts == nil {
		return nil, errNotConfigured("no identity provider integration (integrations.idp)")
	}
	return c.Accounts, nil
}

func drill(in ContainInput, verb string) (ContainResult, bool) {
	if in.Drill {
		return ContainResult{Detail: "drill: would " + verb + " " + in.Action.Target}, true
	}
	return ContainResult{}, false
}

// IsolateHost cuts a host off the network, EDR channel excepted.
func (c *Contain) IsolateHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "isolate"); ok {
		return r, nil
	}
	edr, err := c.isolator()
	if err == nil {
		var ref string
		ref, err = edr.IsolateHost(ctx, in.Action.Target, c.comment(in, "isolate"))
		if err == nil {
			return ContainResult{Reference: ref, Detail: "isolated " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("isolate host "+in.Action.Target, err)
}

// ReleaseHost undoes IsolateHost.
func (c *Contain) ReleaseHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "release"); ok {
		return r, nil
	}
	edr, err := c.isolator()
	if err == nil {
		var ref string
		ref, err = edr.ReleaseHost(ctx, in.Action.Target, c.comment(in, "release"))
		if err == nil {
			return ContainResult{Reference: ref, Detail: "released " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("release host "+in.Action.Target, err)
}

// BlockIP blocks an address at the EDR.
func (c *Contain) BlockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "block"); ok {
		return r, nil
	}
	edr, err := c.blocker()
	if err == nil {
		var ref string
		ref, err = edr.BlockIP(ctx, in.Action.Target, c.comment(in, "block"))
		if err == nil {
			return ContainResult{Reference: ref, Detail: "blocked " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("block ip "+in.Action.Target, err)
}

// UnblockIP undoes BlockIP.
func (c *Contain) UnblockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "unblock"); ok {
		return r, nil
	}
	edr, err := c.blocker()
	if err == nil {
		err = edr.UnblockIP(ctx, in.Action.Target, in.Reference)
		if err == nil {
			return ContainResult{Detail: "unblocked " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("unblock ip "+in.Action.Target, err)
}

// DisableUser suspends an account at the identity provider.
func (c *Contain) DisableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "disable"); ok {
		return r, nil
	}
	idp, err := c.accounts()
	if err == nil {
		err = idp.DisableUser(ctx, in.Action.Target)
		if err == nil {
			return ContainResult{Detail: "disabled " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("disable user "+in.Action.Target, err)
}

// EnableUser undoes DisableUser.
func (c *Contain) EnableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	if r, ok := drill(in, "enable"); ok {
		return r, nil
	}
	idp, err := c.accounts()
	if err == nil {
		err = idp.EnableUser(ctx, in.Action.Target)
		if err == nil {
			return ContainResult{Detail: "enabled " + in.Action.Target}, nil
		}
	}
	return ContainResult{}, Classify("enable user "+in.Action.Target, err)
}
