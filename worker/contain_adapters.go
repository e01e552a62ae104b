package worker

import (
	"context"
	"fmt"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/entra"
	"github.com/socflow/socflow/integrations/falcon"
	fwhttp "github.com/socflow/socflow/integrations/firewall"
	"github.com/socflow/socflow/integrations/mail"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/panos"
)

// The integrations report a target's state in their vendor's own terms,
// since they may not import activities; these adapters translate it into
// activities.TargetState, one small type per provider. Each embeds its
// client, so that the calls whose signatures already match (IsolateHost,
// BlockIP, DisableUser, HostDetails...) are the client's own, and adds the
// state reader. The vendor logic stays in the integration; what is here is
// a table from the vendor's words to phases.

// adapt returns the capability adapter of a client the worker knows, or
// the client as it is (a test double, or a client that implements the
// activities interfaces itself). Clients reach it from the configuration
// and from Options overrides alike.
func adapt(c any) any {
	switch v := c.(type) {
	case *falcon.Client:
		return falconEDR{v}
	case *defender.Client:
		return defenderEDR{v}
	case *okta.Client:
		return oktaAccounts{v}
	case *entra.Client:
		return entraAccounts{v}
	case *panos.Client:
		return panosBlocker{v}
	case *fwhttp.Client:
		return httpBlocker{v}
	case *mail.Client:
		return mailBlocker{v}
	}
	return c
}

// unknownWord is a vendor state the table does not have: an error rather
// than a guess, since a guessed "on" would confirm a containment that did
// not happen.
func unknownWord(vendor, word string) error {
	return fmt.Errorf("%s: state %q is not one socflow knows", vendor, word)
}

// falconEDR isolates and describes hosts and blocks file hashes with
// CrowdStrike Falcon.
type falconEDR struct{ *falcon.Client }

var falconPhases = map[string]activities.Phase{
	falcon.StatusNormal:                 activities.PhaseOff,
	falcon.StatusContainmentPending:     activities.PhaseTurningOn,
	falcon.StatusContained:              activities.PhaseOn,
	falcon.StatusLiftContainmentPending: activities.PhaseTurningOff,
}

// HostState is the device's containment status; Falcon's actions have no
// handle of their own, so ref is not needed.
func (f falconEDR) HostState(ctx context.Context, host alert.Host, _ string) (activities.TargetState, error) {
	d, err := f.Containment(ctx, host)
	if err != nil {
		return activities.TargetState{}, err
	}
	p, ok := falconPhases[d.Status]
	if !ok {
		return activities.TargetState{}, unknownWord("falcon", d.Status)
	}
	return activities.TargetState{Phase: p, Vendor: d.Status, Ref: d.DeviceID}, nil
}

// defenderEDR isolates hosts, blocks addresses and file hashes and
// describes machines with Defender for Endpoint.
type defenderEDR struct{ *defender.Client }

// defenderPhases maps the newest live isolation action, by type and
// status, to where the machine stands.
var defenderPhases = map[[2]string]activities.Phase{
	{defender.ActionIsolate, defender.StatusPending}:      activities.PhaseTurningOn,
	{defender.ActionIsolate, defender.StatusInProgress}:   activities.PhaseTurningOn,
	{defender.ActionIsolate, defender.StatusSucceeded}:    activities.PhaseOn,
	{defender.ActionUnisolate, defender.StatusPending}:    activities.PhaseTurningOff,
	{defender.ActionUnisolate, defender.StatusInProgress}: activities.PhaseTurningOff,
	{defender.ActionUnisolate, defender.StatusSucceeded}:  activities.PhaseOff,
}

// HostState is what the machine's isolation history says: no live action
// is a machine never isolated. ref, when set, is the machine action whose
// failure the caller wants to hear of.
func (d defenderEDR) HostState(ctx context.Context, host alert.Host, ref string) (activities.TargetState, error) {
	iso, err := d.Isolation(ctx, host, ref)
	if err != nil {
		return activities.TargetState{}, err
	}
	s := activities.TargetState{Phase: activities.PhaseOff, Failed: iso.Failure()}
	if a := iso.Last; a != nil {
		p, ok := defenderPhases[[2]string{a.Type, a.Status}]
		if !ok {
			return activities.TargetState{}, unknownWord("defender", a.Type+" "+a.Status)
		}
		s.Phase, s.Vendor, s.Ref = p, a.Type+" "+a.Status, a.ID
	}
	if s.Failed != "" {
		s.Vendor = s.Failed
	}
	return s, nil
}

// BlockState is on when an indicator blocks ip, whoever submitted it.
func (d defenderEDR) BlockState(ctx context.Context, ip string) (activities.TargetState, error) {
	ind, err := d.BlockIndicator(ctx, ip)
	if err != nil || ind == nil {
		return activities.TargetState{Phase: activities.PhaseOff}, err
	}
	return activities.TargetState{Phase: activities.PhaseOn, Vendor: "indicator " + ind.ID + " " + ind.Action, Ref: ind.ID}, nil
}

// HashState is on when an indicator blocks the hash, whoever submitted it.
func (d defenderEDR) HashState(ctx context.Context, hash string) (activities.TargetState, error) {
	ind, err := d.HashIndicator(ctx, hash)
	if err != nil || ind == nil {
		return activities.TargetState{Phase: activities.PhaseOff}, err
	}
	return activities.TargetState{Phase: activities.PhaseOn, Vendor: "indicator " + ind.ID + " " + ind.Action, Ref: ind.ID}, nil
}

// HashState is on when a live custom IOC prevents the hash, whoever made
// it.
func (f falconEDR) HashState(ctx context.Context, hash string) (activities.TargetState, error) {
	ioc, err := f.HashIOC(ctx, hash)
	if err != nil || ioc == nil {
		return activities.TargetState{Phase: activities.PhaseOff}, err
	}
	return activities.TargetState{Phase: activities.PhaseOn, Vendor: "IOC " + ioc.ID + " " + ioc.Action, Ref: ioc.ID}, nil
}

// oktaAccounts disables accounts and revokes sessions with Okta; its
// RevokeSessions is the client's own.
type oktaAccounts struct{ *okta.Client }

// oktaPhases: a suspended or deprovisioned user cannot sign in; every
// other status can, or will once the user acts.
var oktaPhases = map[string]activities.Phase{
	okta.StatusSuspended:       activities.PhaseOn,
	okta.StatusDeprovisioned:   activities.PhaseOn,
	okta.StatusActive:          activities.PhaseOff,
	okta.StatusProvisioned:     activities.PhaseOff,
	okta.StatusRecovery:        activities.PhaseOff,
	okta.StatusPasswordExpired: activities.PhaseOff,
	okta.StatusLockedOut:       activities.PhaseOff,
	okta.StatusStaged:          activities.PhaseOff,
}

// AccountState is the user's status; one Okta is still changing is on its
// way to the status it is changing to.
func (o oktaAccounts) AccountState(ctx context.Context, user string) (activities.TargetState, error) {
	u, err := o.GetUser(ctx, user)
	if err != nil {
		return activities.TargetState{}, err
	}
	p, ok := oktaPhases[u.Status]
	if !ok {
		return activities.TargetState{}, unknownWord("okta", u.Status)
	}
	s := activities.TargetState{Phase: p, Vendor: u.Status}
	if to, ok := oktaPhases[u.TransitioningToStatus]; ok && to != p {
		s.Phase = map[activities.Phase]activities.Phase{activities.PhaseOn: activities.PhaseTurningOn, activities.PhaseOff: activities.PhaseTurningOff}[to]
		s.Vendor = u.Status + " → " + u.TransitioningToStatus
	}
	return s, nil
}

// entraAccounts disables accounts and revokes sessions with Microsoft
// Entra ID; its RevokeSessions is the client's own.
type entraAccounts struct{ *entra.Client }

// AccountState is accountEnabled: false is the contained side.
func (e entraAccounts) AccountState(ctx context.Context, user string) (activities.TargetState, error) {
	u, err := e.GetUser(ctx, user)
	if err != nil {
		return activities.TargetState{}, err
	}
	if u.AccountEnabled {
		return activities.TargetState{Phase: activities.PhaseOff, Vendor: "accountEnabled true"}, nil
	}
	return activities.TargetState{Phase: activities.PhaseOn, Vendor: "accountEnabled false"}, nil
}

// panosBlocker blocks addresses at a PAN-OS firewall.
type panosBlocker struct{ *panos.Client }

// BlockState is on when the address object is in the running group.
func (p panosBlocker) BlockState(ctx context.Context, ip string) (activities.TargetState, error) {
	b, err := p.Blocked(ctx, ip)
	if err != nil {
		return activities.TargetState{}, err
	}
	if b.InForce {
		return activities.TargetState{Phase: activities.PhaseOn, Vendor: "in the address group", Ref: b.Object}, nil
	}
	return activities.TargetState{Phase: activities.PhaseOff, Vendor: "not in the address group"}, nil
}

// httpBlocker blocks addresses through the configured HTTP requests.
type httpBlocker struct{ *fwhttp.Client }

// BlockState is unknown: the templates have no request that reads it, so
// the expected answer to the block is the confirmation.
func (httpBlocker) BlockState(context.Context, string) (activities.TargetState, error) {
	return activities.TargetState{Phase: activities.PhaseUnknown}, nil
}

// mailBlocker blocks sender domains through the configured HTTP requests.
type mailBlocker struct{ *mail.Client }

// DomainState is what the state request reads, and unknown without one:
// the expected answer to the block is then the confirmation.
func (m mailBlocker) DomainState(ctx context.Context, domain string) (activities.TargetState, error) {
	b, err := m.DomainBlock(ctx, domain)
	switch {
	case err != nil:
		return activities.TargetState{}, err
	case !b.Known:
		return activities.TargetState{Phase: activities.PhaseUnknown}, nil
	case b.InForce:
		return activities.TargetState{Phase: activities.PhaseOn, Vendor: "blocked", Ref: b.Ref}, nil
	}
	return activities.TargetState{Phase: activities.PhaseOff, Vendor: "not blocked"}, nil
}
