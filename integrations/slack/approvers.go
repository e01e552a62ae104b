package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Approvers resolves a tier's approver entries against Slack: user IDs
// ("U0123", "W0123", "<@U0123>") match the user directly; user groups, by
// ID ("S0456", "<!subteam^S0456>") or by handle ("@soc-t2"), match their
// members, looked up with usergroups.users.list (handles through
// usergroups.list) and kept for a TTL, so that a busy incident costs one
// look-up per group and TTL, not one per click. Other entries (CLI
// identities such as "alice") match a user ID equal to them, which is to
// say never. It is safe for concurrent use; the bot needs the
// usergroups:read scope.
type Approvers struct {
	api *slackapi.Client
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	members map[string]cachedMembers // group ID → members
	handles map[string]string        // lower-case handle → group ID
	// handlesUntil is when handles needs refreshing.
	handlesUntil time.Time
}

type cachedMembers struct {
	users map[string]bool
	until time.Time
}

// NewApprovers returns a resolver calling api and caching for ttl; ttl 0
// is five minutes, long enough to spare the API and short enough that
// someone removed from a group loses approval soon.
func NewApprovers(api *slackapi.Client, ttl time.Duration) *Approvers {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return &Approvers{api: api, ttl: ttl, now: time.Now, members: map[string]cachedMembers{}}
}

// Allowed reports whether userID is one of entries. No entries allows
// everyone, as a tier without approvers does in the policy. A group that
// cannot be resolved is an error only when no other entry allows the user.
func (a *Approvers) Allowed(ctx context.Context, entries []string, userID string) (bool, error) {
	userID = strings.TrimSpace(userID)
	if len(entries) == 0 {
		return true, nil
	}
	if userID == "" {
		return false, nil
	}
	// Direct matches first: they cost no API call.
	var groups []approverEntry
	for _, raw := range entries {
		e := parseEntry(raw)
		switch e.kind {
		case entryGroup, entryHandle:
			groups = append(groups, e)
		default:
			if strings.EqualFold(e.value, userID) {
				return true, nil
			}
		}
	}
	var errs []error
	for _, e := range groups {
		id := e.value
		if e.kind == entryHandle {
			var err error
			if id, err = a.groupID(ctx, e.value); err != nil {
				errs = append(errs, err)
				continue
			}
			if id == "" {
				errs = append(errs, fmt.Errorf("slack: no user group with handle @%s", e.value))
				continue
			}
		}
		users, err := a.groupMembers(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if users[userID] {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// Authorize returns a DispatchOptions.Authorize that refuses a decision
// whose author is not among the approvers entries returns for the tier the
// message asked. It vets user groups before the workflow sees the decision;
// the workflow's own check still applies.
func (a *Approvers) Authorize(entries func(tier string) []string) func(context.Context, Decision) error {
	return func(ctx context.Context, d Decision) error {
		ok, err := a.Allowed(ctx, entries(d.Tier), d.By)
		if err != nil {
			return fmt.Errorf("cannot check the approvers of tier %s: %w", d.Tier, err)
		}
		if !ok {
			return fmt.Errorf("%s is not an approver at tier %s", d.By, d.Tier)
		}
		return nil
	}
}

// groupMembers returns a group's members, from the cache when fresh.
func (a *Approvers) groupMembers(ctx context.Context, id string) (map[string]bool, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.members[id]
	a.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.users, nil
	}
	list, err := a.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, apiError("usergroups.users.list", err)
	}
	users := make(map[string]bool, len(list))
	for _, u := range list {
		users[u] = true
	}
	a.mu.Lock()
	a.members[id] = cachedMembers{users: users, until: now.Add(a.ttl)}
	a.mu.Unlock()
	return users, nil
}

// groupID resolves a handle to a group ID, "" when no group has it. One
// usergroups.list call refreshes every handle at once.
func (a *Approvers) groupID(ctx context.Context, handle string) (string, error) {
	now := a.now()
	handle = strings.ToLower(handle)
	a.mu.Lock()
	fresh := a.handles != nil && now.Before(a.handlesUntil)
	id := a.handles[handle]
	a.mu.Unlock()
	if fresh {
		return id, nil
	}
	groups, err := a.api.GetUserGroupsContext(ctx)
	if err != nil {
		return "", apiError("usergroups.list", err)
	}
	handles := make(map[string]string, len(groups))
	for _, g := range groups {
		handles[strings.ToLower(g.Handle)] = g.ID
	}
	a.mu.Lock()
	a.handles, a.handlesUntil = handles, now.Add(a.ttl)
	a.mu.Unlock()
	return handles[handle], nil
}

type entryKind int

const (
	entryOther entryKind = iota
	entryUser
	entryGroup
	entryHandle
)

type approverEntry struct {
	kind  entryKind
	value string
}

// parseEntry reads one approver entry in any of the forms Slack shows
// users and groups in.
func parseEntry(raw string) approverEntry {
	s := strings.TrimSpace(raw)
	if inner, ok := strings.CutPrefix(s, "<@"); ok {
		id, _, _ := strings.Cut(strings.TrimSuffix(inner, ">"), "|")
		return approverEntry{entryUser, id}
	}
	if inner, ok := strings.CutPrefix(s, "<!subteam^"); ok {
		id, _, _ := strings.Cut(strings.TrimSuffix(inner, ">"), "|")
		return approverEntry{entryGroup, id}
	}
	if h, ok := strings.CutPrefix(s, "@"); ok && h != "" {
		return approverEntry{entryHandle, h}
	}
	switch {
	case isUserID(s):
		return approverEntry{entryUser, s}
	case isGroupID(s):
		return approverEntry{entryGroup, s}
	}
	return approverEntry{entryOther, s}
}
