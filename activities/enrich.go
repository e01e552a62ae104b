package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/socflow/socflow/alert"
)

// IntelIndex answers "is this indicator on a watchlist?" from memory.
type IntelIndex interface {
	// Lookup returns the hits for one indicator (an IP, domain, URL or
	// hash), or nil.
	Lookup(indicator string) []alert.IntelHit
}

// AssetInventory answers "what is this machine and how critical is it?".
type AssetInventory interface {
	// Find returns the best record for the given host names and addresses,
	// or nil.
	Find(hosts, ips []string) *alert.Asset
}

// OnlineIntel looks indicators up in a remote reputation service
// (VirusTotal, AbuseIPDB), rate limited and cached by the client.
type OnlineIntel interface {
	Lookup(ctx context.Context, indicator string) ([]alert.IntelHit, error)
}

// LiveInventory asks a remote CMDB (ServiceNow) about an asset.
type LiveInventory interface {
	Find(ctx context.Context, hosts, ips []string) (*alert.Asset, error)
}

// UserHistory is the login history: where a user has authenticated from.
type UserHistory interface {
	// Assess says what is unusual about the user being at ip at time at.
	Assess(ctx context.Context, user, ip string, at time.Time) (alert.UserContext, error)
	// Record adds a login the alert reports to the history.
	Record(ctx context.Context, user, ip string, at time.Time, success bool, source string) error
}

// EventStore finds telemetry near an alert.
type EventStore interface {
	Related(ctx context.Context, q RelatedQuery) ([]alert.RelatedEvent, error)
}

// RelatedQuery asks for the events on any of the entities in the window
// before an alert.
type RelatedQuery struct {
	Hosts, Users, IPs []string
	// Domains and Kinds are a playbook's (Case.Enrich): events on these
	// domains, of these kinds only.
	Domains []string `json:",omitempty"`
	Kinds   []string `json:",omitempty"`
	Before  time.Time
	Window  time.Duration
	Limit   int
}

// HostDirectory is the EDR's view of hosts.
type HostDirectory interface {
	HostDetails(ctx context.Context, host string) (*alert.HostDetails, error)
}

// Enrich holds the enrichment sources. Each is optional; the worker tells
// workflows which it has (EnrichmentPlan).
type Enrich struct {
	Intel      IntelIndex
	Assets     AssetInventory
	LiveAssets LiveInventory
	Online     map[string]OnlineIntel
	Users      UserHistory
	Events     EventStore
	Hosts      HostDirectory
}

// LookupIntelInput lists the indicators of one alert.
type LookupIntelInput struct {
	Indicators []string `json:"indicators"`
}

// LookupIntelResult lists the watchlist hits.
type LookupIntelResult struct {
	Hits []alert.IntelHit `json:"hits,omitempty"`
	// Partial says which lookups failed when others answered: the packet
	// keeps the hits and names the gap.
	Partial string `json:"partial,omitempty"`
}

// LookupIntel matches indicators against the loaded intel.
func (e *Enrich) LookupIntel(_ context.Context, in LookupIntelInput) (LookupIntelResult, error) {
	if e.Intel == nil {
		return LookupIntelResult{}, Classify("intel", errNotConfigured("no intel sources (enrichment.intel.files)"))
	}
	var out LookupIntelResult
	seen := map[string]bool{}
	appender, _ := e.Intel.(intelAppender)
	for _, ind := range in.Indicators {
		if seen[ind] {
			continue
		}
		seen[ind] = true
		if appender != nil {
			// Straight into the result: no slice and no label copies per
			// indicator. The labels are the index's; the result is only
			// encoded, never modified.
			out.Hits = appender.AppendLookup(out.Hits, ind)
		} else {
			out.Hits = append(out.Hits, e.Intel.Lookup(ind)...)
		}
	}
	return out, nil
}

// intelAppender is the allocation-free form of IntelIndex.Lookup that
// intel.Index and intel.Feeds offer: it appends the hits to dst, whose
// Labels must then be treated as read-only. It is optional, so that an
// IntelIndex need only have Lookup.
type intelAppender interface {
	AppendLookup(dst []alert.IntelHit, indicator string) []alert.IntelHit
}

// LookupAssetInput names the alert's hosts and addresses.
type LookupAssetInput struct {
	Hosts []string `json:"hosts,omitempty"`
	IPs   []string `json:"ips,omitempty"`
}

// LookupAssetResult is the matching inventory record, if any.
type LookupAssetResult struct {
	Asset *alert.Asset `json:"asset,omitempty"`
}

// LookupAsset finds the alert's asset in the inventory.
func (e *Enrich) LookupAsset(_ context.Context, in LookupAssetInput) (LookupAssetResult, error) {
	if e.Assets == nil {
		return LookupAssetResult{}, Classify("assets", errNotConfigured("no asset inventory (enrichment.assets.files)"))
	}
	return LookupAssetResult{Asset: e.Assets.Find(in.Hosts, in.IPs)}, nil
}

// LookupOnlineIntelInput asks one online provider about indicators.
type LookupOnlineIntelInput struct {
	Provider   string   `json:"provider"`
	Indicators []string `json:"indicators"`
}

// LookupOnlineIntel asks one provider about each indicator. A provider
// that answers for some indicators and fails for others returns what it
// has; one that fails for all returns the error (a gap).
func (e *Enrich) LookupOnlineIntel(ctx context.Context, in LookupOnlineIntelInput) (LookupIntelResult, error) {
	p, ok := e.Online[in.Provider]
	if !ok {
		return LookupIntelResult{}, Classify("intel "+in.Provider, errNotConfigured("no such online intel provider"))
	}
	var out LookupIntelResult
	var firstErr error
	failed := 0
	for _, ind := range in.Indicators {
		hits, err := p.Lookup(ctx, ind)
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out.Hits = append(out.Hits, hits...)
	}
	if failed > 0 && failed == len(in.Indicators) {
		return LookupIntelResult{}, Classify("intel "+in.Provider, firstErr)
	}
	if failed > 0 {
		out.Partial = fmt.Sprintf("%d of %d lookups failed: %v", failed, len(in.Indicators), firstErr)
	}
	return out, nil
}

// LookupLiveAsset asks the remote CMDB about the alert's asset.
func (e *Enrich) LookupLiveAsset(ctx context.Context, in LookupAssetInput) (LookupAssetResult, error) {
	if e.LiveAssets == nil {
		return LookupAssetResult{}, Classify("cmdb", errNotConfigured("no remote CMDB"))
	}
	a, err := e.LiveAssets.Find(ctx, in.Hosts, in.IPs)
	if err != nil {
		return LookupAssetResult{}, Classify("cmdb", err)
	}
	return LookupAssetResult{Asset: a}, nil
}

// AssessUsersInput names the alert's users, the address it saw them at,
// and when; Success, when set, records the login the alert reports.
type AssessUsersInput struct {
	Users   []string  `json:"users"`
	IP      string    `json:"ip,omitempty"`
	At      time.Time `json:"at"`
	Success *bool     `json:"success,omitempty"`
	Source  string    `json:"source,omitempty"`
}

// AssessUsersResult is what the login history says of each user.
type AssessUsersResult struct {
	Users []alert.UserContext `json:"users"`
}

// AssessUsers consults the login history for each user, then feeds it the
// login the alert reports, so that alerts teach the history too.
func (e *Enrich) AssessUsers(ctx context.Context, in AssessUsersInput) (AssessUsersResult, error) {
	if e.Users == nil {
		return AssessUsersResult{}, Classify("logins", errNotConfigured("no login history"))
	}
	var out AssessUsersResult
	for _, u := range in.Users {
		uc, err := e.Users.Assess(ctx, u, in.IP, in.At)
		if err != nil {
			return AssessUsersResult{}, Classify("logins "+u, err)
		}
		out.Users = append(out.Users, uc)
		if in.Success != nil && in.IP != "" {
			if err := e.Users.Record(ctx, u, in.IP, in.At, *in.Success, in.Source); err != nil {
				return AssessUsersResult{}, Classify("logins "+u, err)
			}
		}
	}
	return out, nil
}

// FindRelatedResult lists the telemetry near the alert.
type FindRelatedResult struct {
	Events []alert.RelatedEvent `json:"events,omitempty"`
}

// FindRelated returns the events on the alert's host, users and addresses
// in the window before it: the process spawn before a firewall block.
func (e *Enrich) FindRelated(ctx context.Context, in RelatedQuery) (FindRelatedResult, error) {
	if e.Events == nil {
		return FindRelatedResult{}, Classify("events", errNotConfigured("no event store"))
	}
	evs, err := e.Events.Related(ctx, in)
	if err != nil {
		return FindRelatedResult{}, Classify("events", err)
	}
	return FindRelatedResult{Events: evs}, nil
}

// DescribeHostInput names the host.
type DescribeHostInput struct {
	Host string `json:"host"`
}

// DescribeHostResult is the EDR's view.
type DescribeHostResult struct {
	Host *alert.HostDetails `json:"host,omitempty"`
}

// DescribeHost asks the EDR about the host: OS, last seen, isolation.
func (e *Enrich) DescribeHost(ctx context.Context, in DescribeHostInput) (DescribeHostResult, error) {
	if e.Hosts == nil {
		return DescribeHostResult{}, Classify("edr", errNotConfigured("no EDR"))
	}
	h, err := e.Hosts.HostDetails(ctx, in.Host)
	if err != nil {
		return DescribeHostResult{}, Classify("edr host "+in.Host, err)
	}
	return DescribeHostResult{Host: h}, nil
}
