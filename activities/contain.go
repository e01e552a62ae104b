package activities

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/socflow/socflow/alert"
)

// Containment providers are found by what they can do, not by what they
// are: the worker asks each configured client which of these it
// implements, so an isolation-only EDR need not fake IP blocking.
//
// Each capability has a state reader beside its two calls. The activity,
// not each provider, decides from the state whether to act, whether the
// target was already so (then socflow leaves it as found and registers no
// undo), and whether the vendor has confirmed the change: the rules that
// make containment trustworthy are written once.

// Phase is where a target stands with respect to a containment action.
type Phase string

// Phases of a target. "On" is the contained side: isolated, blocked,
// disabled.
const (
	// PhaseUnknown is what a provider that cannot read the state (a
	// write-only firewall API) reports: the vendor's answer to the call is
	// then the only confirmation.
	PhaseUnknown    Phase = ""
	PhaseOff        Phase = "off"
	PhaseTurningOn  Phase = "turning_on"
	PhaseOn         Phase = "on"
	PhaseTurningOff Phase = "turning_off"
)

// TargetState is a target's state as the vendor reports it.
type TargetState struct {
	Phase Phase `json:"phase"`
	// Vendor is the vendor's own word for it ("containment_pending",
	// "Pending", "SUSPENDED"), shown to responders as is.
	Vendor string `json:"vendor,omitempty"`
	// Ref is the vendor's handle for the request that made the state or is
	// making it (a Defender machine action), when it has one.
	Ref string `json:"ref,omitempty"`
	// Failed is the vendor's reason when the request named by the ref the
	// caller gave failed for good (Defender's Failed, Cancelled, TimeOut).
	Failed string `json:"failed,omitempty"`
}

// HostIsolator cuts hosts off the network (the EDR's own channel
// excepted) and lets them back. A host is named by its EDR device ID when
// the alert carried one (resolved first) and by its name otherwise; a name
// several devices carry is refused with the candidates listed.
type HostIsolator interface {
	// HostState reports the host's isolation; ref, when set, is the
	// request whose fate the caller wants to know.
	HostState(ctx context.Context, host alert.Host, ref string) (TargetState, error)
	IsolateHost(ctx context.Context, host alert.Host, comment string) (ref string, err error)
	ReleaseHost(ctx context.Context, host alert.Host, comment string) (ref string, err error)
}

// IPBlocker blocks addresses and lifts the blocks.
type IPBlocker interface {
	BlockState(ctx context.Context, ip string) (TargetState, error)
	BlockIP(ctx context.Context, ip, comment string) (ref string, err error)
	// UnblockIP removes the block; ref is what BlockIP returned.
	UnblockIP(ctx context.Context, ip, ref string) error
}

// AccountDisabler disables accounts (ending their sessions) and re-enables
// them.
type AccountDisabler interface {
	AccountState(ctx context.Context, user string) (TargetState, error)
	DisableUser(ctx context.Context, user string) error
	EnableUser(ctx context.Context, user string) error
}

// SessionRevoker ends an account's sessions: alert.ActionRevokeSessions
// on its own, with the account left enabled. An identity provider's
// DisableUser does it after disabling too; the activity calls it again
// when a retry finds the account disabled by its own earlier attempt,
// whose revocation may not have happened (the answer that was lost may
// have been the revocation's). It has no state reader: a session list is
// not a state a revocation leaves behind, so the vendor's answer is the
// confirmation, and revoking twice is harmless.
type SessionRevoker interface {
	RevokeSessions(ctx context.Context, user string) error
}

// HashBlocker blocks files by hash with a custom indicator at the EDR and
// lifts the blocks. A hash is lower-case hexadecimal (SHA-256, or SHA-1
// or MD5 where the vendor takes them; a provider refuses the others).
// HashState is on when any indicator blocks the hash, whoever made it.
type HashBlocker interface {
	HashState(ctx context.Context, hash string) (TargetState, error)
	BlockHash(ctx context.Context, hash, comment string) (ref string, err error)
	// UnblockHash removes the block; ref is what BlockHash returned.
	UnblockHash(ctx context.Context, hash, ref string) error
}

// DomainBlocker blocks mail from a sender domain at the mail gateway and
// lifts the block. The domain is a DNS name (alert.CheckDomain), checked
// before any call.
type DomainBlocker interface {
	DomainState(ctx context.Context, domain string) (TargetState, error)
	BlockSenderDomain(ctx context.Context, domain, comment string) (ref string, err error)
	// UnblockSenderDomain removes the block; ref is what BlockSenderDomain
	// returned.
	UnblockSenderDomain(ctx context.Context, domain, ref string) error
}

// Contain carries out containment actions and their undos, each with the
// provider that has the capability (nil: none configured).
type Contain struct {
	Isolator HostIsolator
	Blocker  IPBlocker
	Accounts AccountDisabler
	Sessions SessionRevoker
	Hashes   HashBlocker
	Domains  DomainBlocker
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

// ContainResult is what one action (or undo) found and did.
type ContainResult struct {
	Reference string `json:"reference,omitempty"`
	Detail    string `json:"detail"`
	// Already says the target was in the wanted state, or on its way
	// there, before socflow acted: nothing was sent, and there is nothing
	// of socflow's to undo.
	Already bool `json:"already,omitempty"`
	// Pending says the vendor took the request and has not confirmed it:
	// Verify says when it has.
	Pending bool `json:"pending,omitempty"`
	// State is the vendor's word for the target's state after the call.
	State string `json:"state,omitempty"`
}

// VerifyInput asks whether an action (or its undo) has taken effect.
type VerifyInput struct {
	IncidentID string       `json:"incident_id"`
	Action     alert.Action `json:"action"`
	Reference  string       `json:"reference,omitempty"`
	Undo       bool         `json:"undo,omitempty"`
}

// VerifyResult is the vendor's answer: confirmed, failed for good, or
// still pending in State.
type VerifyResult struct {
	Done   bool   `json:"done,omitempty"`
	Failed string `json:"failed,omitempty"`
	State  string `json:"state,omitempty"`
}

// kind is one capability seen the same way: read the state, switch on,
// switch off.
type kind struct {
	what    string // "host", "ip", "user"
	on, off string // "isolate", "release"
	onDone  string // "isolated"
	offDone string // "released"
	missing string
	// invalid is why the target cannot be the kind's ("" when it can),
	// found before any provider is called.
	invalid  string
	state    func(ctx context.Context, ref string) (TargetState, error)
	switchOn func(ctx context.Context) (string, error)
	// switchOff gets the original action's reference; nil for a kind
	// without an undo (alert.ActionKind.NoUndo).
	switchOff func(ctx context.Context, ref string) (string, error)
}

// Why a containment step cannot run: no configured provider has the
// capability.
const (
	noIsolator = "no EDR integration that isolates hosts (integrations.edr)"
	noBlocker  = "no firewall or EDR integration that blocks addresses (integrations.firewall, integrations.edr)"
	noAccounts = "no identity provider integration (integrations.idp)"
	noSessions = "no identity provider integration that revokes sessions (integrations.idp)"
	noHashes   = "no EDR integration that blocks file hashes (integrations.edr)"
	noDomains  = "no mail gateway integration that blocks sender domains (integrations.mail)"
)

func (c *Contain) comment(in ContainInput, verb string) string {
	return fmt.Sprintf("socflow %s: %s %s (%s)", in.IncidentID, verb, in.Action.Target, in.Action.Reason)
}

// kindOf returns the capability that carries out in's action, or false
// when no provider has it (missing says which is needed).
func (c *Contain) kindOf(in ContainInput) (kind, bool) {
	a := in.Action
	switch a.Kind {
	case alert.ActionIsolateHost:
		k := kind{what: "host", on: "isolate", off: "release", onDone: "isolated", offDone: "released", missing: noIsolator}
		if c.Isolator == nil {
			return k, false
		}
		h := alert.Host{Name: a.Target, ID: a.TargetID}
		k.state = func(ctx context.Context, ref string) (TargetState, error) { return c.Isolator.HostState(ctx, h, ref) }
		k.switchOn = func(ctx context.Context) (string, error) {
			return c.Isolator.IsolateHost(ctx, h, c.comment(in, "isolate"))
		}
		k.switchOff = func(ctx context.Context, _ string) (string, error) {
			return c.Isolator.ReleaseHost(ctx, h, c.comment(in, "release"))
		}
		return k, true
	case alert.ActionBlockIP:
		k := kind{what: "ip", on: "block", off: "unblock", onDone: "blocked", offDone: "unblocked", missing: noBlocker}
		if c.Blocker == nil {
			return k, false
		}
		k.state = func(ctx context.Context, _ string) (TargetState, error) { return c.Blocker.BlockState(ctx, a.Target) }
		k.switchOn = func(ctx context.Context) (string, error) {
			return c.Blocker.BlockIP(ctx, a.Target, c.comment(in, "block"))
		}
		k.switchOff = func(ctx context.Context, ref string) (string, error) {
			return ref, c.Blocker.UnblockIP(ctx, a.Target, ref)
		}
		return k, true
	case alert.ActionDisableUser:
		k := kind{what: "user", on: "disable", off: "enable", onDone: "disabled", offDone: "enabled", missing: noAccounts}
		if c.Accounts == nil {
			return k, false
		}
		k.state = func(ctx context.Context, _ string) (TargetState, error) {
			return c.Accounts.AccountState(ctx, a.Target)
		}
		k.switchOn = func(ctx context.Context) (string, error) { return "", c.Accounts.DisableUser(ctx, a.Target) }
		k.switchOff = func(ctx context.Context, _ string) (string, error) { return "", c.Accounts.EnableUser(ctx, a.Target) }
		return k, true
	case alert.ActionRevokeSessions:
		k := kind{what: "user", on: "revoke the sessions of", off: "restore the sessions of", onDone: "revoked the sessions of", missing: noSessions}
		if c.Sessions == nil {
			return k, false
		}
		// Nothing to read: the vendor's answer to the revocation is all
		// the confirmation there is (PhaseUnknown).
		k.state = func(context.Context, string) (TargetState, error) { return TargetState{}, nil }
		k.switchOn = func(ctx context.Context) (string, error) { return "", c.Sessions.RevokeSessions(ctx, a.Target) }
		return k, true
	case alert.ActionBlockHash:
		k := kind{what: "hash", on: "block", off: "unblock", onDone: "blocked", offDone: "unblocked", missing: noHashes}
		// Vendors compare hashes as text; one spelling keeps the state
		// read, the block and the undo on the same indicator.
		hash := strings.ToLower(strings.TrimSpace(a.Target))
		if alert.HashKind(hash) == "" {
			k.invalid = fmt.Sprintf("%q is not a file hash (64, 40 or 32 hexadecimal digits: SHA-256, SHA-1, MD5)", a.Target)
		}
		if c.Hashes == nil {
			return k, false
		}
		k.state = func(ctx context.Context, _ string) (TargetState, error) { return c.Hashes.HashState(ctx, hash) }
		k.switchOn = func(ctx context.Context) (string, error) {
			return c.Hashes.BlockHash(ctx, hash, c.comment(in, "block"))
		}
		k.switchOff = func(ctx context.Context, ref string) (string, error) {
			return ref, c.Hashes.UnblockHash(ctx, hash, ref)
		}
		return k, true
	case alert.ActionBlockSenderDomain:
		k := kind{what: "sender domain", on: "block", off: "unblock", onDone: "blocked", offDone: "unblocked", missing: noDomains}
		domain := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(a.Target), "."))
		if err := alert.CheckDomain(domain); err != nil {
			k.invalid = err.Error()
		}
		if c.Domains == nil {
			return k, false
		}
		k.state = func(ctx context.Context, _ string) (TargetState, error) { return c.Domains.DomainState(ctx, domain) }
		k.switchOn = func(ctx context.Context) (string, error) {
			return c.Domains.BlockSenderDomain(ctx, domain, c.comment(in, "block"))
		}
		k.switchOff = func(ctx context.Context, ref string) (string, error) {
			return ref, c.Domains.UnblockSenderDomain(ctx, domain, ref)
		}
		return k, true
	}
	return kind{what: string(a.Kind), on: string(a.Kind), missing: "no provider carries out " + string(a.Kind)}, false
}

// observed is what an attempt saw before it acted, kept in its heartbeat
// so that a retry knows whether the state it finds is the vendor's own or
// the earlier attempt's doing.
type observed struct {
	Before TargetState `json:"before"`
}

// apply moves the target to the wanted side (on: contained) unless it is
// there or on its way, and reports what it did. It is safe to retry after
// a lost answer: the first attempt records the state it found (a
// heartbeat, which the SDK sends at once) before it acts, so a retry that
// finds the target switching takes it for the first attempt's request
// and sends nothing twice, and only a target that was so before the
// first attempt is "already so".
func (c *Contain) apply(ctx context.Context, in ContainInput, on bool) (ContainResult, error) {
	k, ok := c.kindOf(in)
	verb, done, target := k.off, k.offDone, in.Action.Target
	if on {
		verb, done = k.on, k.onDone
	}
	prefix := verb + " " + k.what + " " + target
	noUndo := in.Action.Kind.NoUndo()
	if in.Drill {
		d := "drill: would " + verb + " " + target
		if noUndo != "" && on {
			d += " (nothing to undo: " + noUndo + ")"
		}
		return ContainResult{Detail: d}, nil
	}
	if k.invalid != "" {
		return ContainResult{}, Classify(prefix, fmt.Errorf("%w: %s", ErrInvalidInput, k.invalid))
	}
	if !ok {
		return ContainResult{}, Classify(prefix, errNotConfigured(k.missing))
	}
	if !on && k.switchOff == nil {
		// The saga registers no undo for such a kind; a caller that asks
		// for one anyway is told why there is none rather than told it
		// worked.
		return ContainResult{}, Classify(prefix, fmt.Errorf("%w: %s has no undo: %s", ErrInvalidInput, in.Action.Kind, noUndo))
	}
	there := func(p Phase) bool {
		if on {
			return p == PhaseOn || p == PhaseTurningOn
		}
		return p == PhaseOff || p == PhaseTurningOff
	}
	var earlier observed
	retried := activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) && activity.GetHeartbeatDetails(ctx, &earlier) == nil
	now, err := k.state(ctx, "")
	if err != nil {
		return ContainResult{}, Classify(prefix, err)
	}
	before := now
	if retried {
		before = earlier.Before
	} else if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, observed{Before: now})
	}
	if there(before.Phase) {
		return ContainResult{Reference: orRef(before.Ref, in.Reference), Already: true, State: before.Vendor,
			Detail: fmt.Sprintf("already %s%s: left as found", done, vendorSays(before.Vendor))}, nil
	}
	ref, readBack := now.Ref, true
	if there(now.Phase) && on && in.Action.Kind == alert.ActionDisableUser {
		// Disabled by the earlier attempt: finish what it may not have.
		if r, ok := c.Accounts.(SessionRevoker); ok {
			if err := r.RevokeSessions(ctx, target); err != nil {
				return ContainResult{}, Classify(prefix+": revoke sessions", err)
			}
		}
	}
	if !there(now.Phase) {
		// Not switched yet, by nobody: this attempt sends the request.
		if ref, err = k.sw(on)(ctx, in.Reference); err != nil {
			return ContainResult{}, Classify(prefix, err)
		}
		if now, err = k.state(ctx, ref); err != nil {
			// Sent, and the read-back failed: the workflow verifies later.
			now, readBack = TargetState{Vendor: "not read back: " + err.Error()}, false
		}
	}
	res := ContainResult{Reference: orRef(ref, now.Ref), State: now.Vendor}
	switch {
	case now.Failed != "":
		return ContainResult{}, Classify(prefix, vendorFailed(now.Failed))
	case now.Phase == PhaseOn && on, now.Phase == PhaseOff && !on:
		res.Detail = done + " " + target + vendorSays(now.Vendor)
	case now.Phase == PhaseUnknown && readBack:
		// A provider that cannot read the state: its answer to the call
		// was the expected one, which is all the confirmation there is.
		res.Detail = done + " " + target + " (confirmed by the vendor's answer)"
	default:
		res.Pending = true
		res.Detail = fmt.Sprintf("%s %s: pending verification%s", verb, target, vendorSays(now.Vendor))
	}
	if noUndo != "" && on {
		res.Detail += "; nothing to undo: " + noUndo
	}
	return res, nil
}

func (k kind) sw(on bool) func(context.Context, string) (string, error) {
	if on {
		return func(ctx context.Context, _ string) (string, error) { return k.switchOn(ctx) }
	}
	return k.switchOff
}

func orRef(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func vendorSays(s string) string {
	if s == "" {
		return ""
	}
	return " (vendor: " + s + ")"
}

// Verify reports whether an action (or, with Undo, its undo) has taken
// effect, by reading the target's state back: the workflow polls it until
// the vendor confirms, reports a failure, or the verification deadline
// passes.
func (c *Contain) Verify(ctx context.Context, in VerifyInput) (VerifyResult, error) {
	ci := ContainInput{IncidentID: in.IncidentID, Action: in.Action, Reference: in.Reference}
	k, ok := c.kindOf(ci)
	if k.invalid != "" {
		return VerifyResult{}, Classify("verify "+k.on+" "+in.Action.Target, fmt.Errorf("%w: %s", ErrInvalidInput, k.invalid))
	}
	if !ok {
		return VerifyResult{}, Classify("verify "+k.on+" "+in.Action.Target, errNotConfigured(k.missing))
	}
	s, err := k.state(ctx, in.Reference)
	if err != nil {
		return VerifyResult{}, Classify("verify "+k.on+" "+in.Action.Target, err)
	}
	want := PhaseOn
	if in.Undo {
		want = PhaseOff
	}
	return VerifyResult{Done: s.Phase == want || s.Phase == PhaseUnknown, Failed: s.Failed, State: orRef(s.Vendor, string(s.Phase))}, nil
}

// IsolateHost cuts a host off the network, EDR channel excepted.
func (c *Contain) IsolateHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// ReleaseHost undoes IsolateHost.
func (c *Contain) ReleaseHost(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, false)
}

// BlockIP blocks an address at the firewall or EDR.
func (c *Contain) BlockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// UnblockIP undoes BlockIP.
func (c *Contain) UnblockIP(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, false)
}

// DisableUser suspends an account at the identity provider and ends its
// sessions.
func (c *Contain) DisableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// EnableUser undoes DisableUser.
func (c *Contain) EnableUser(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, false)
}

// RevokeSessions ends an account's sign-in sessions at the identity
// provider, leaving it enabled. It has no undo: the result says so, and
// the saga registers none.
func (c *Contain) RevokeSessions(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// BlockHash blocks a file hash with a custom indicator at the EDR.
func (c *Contain) BlockHash(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// UnblockHash undoes BlockHash.
func (c *Contain) UnblockHash(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, false)
}

// BlockSenderDomain blocks mail from a sender domain at the mail gateway.
func (c *Contain) BlockSenderDomain(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, true)
}

// UnblockSenderDomain undoes BlockSenderDomain.
func (c *Contain) UnblockSenderDomain(ctx context.Context, in ContainInput) (ContainResult, error) {
	return c.apply(ctx, in, false)
}
