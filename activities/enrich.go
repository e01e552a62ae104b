package activities

import (
	"context"

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

// Enrich holds the enrichment sources.
type Enrich struct {
	Intel  IntelIndex
	Assets AssetInventory
}

// LookupIntelInput lists the indicators of one alert.
type LookupIntelInput struct {
	Indicators []string `json:"indicators"`
}

// LookupIntelResult lists the watchlist hits.
type LookupIntelResult struct {
	Hits []alert.IntelHit `json:"hits,omitempty"`
}

// LookupIntel matches indicators against the loaded intel.
func (e *Enrich) LookupIntel(_ context.Context, in LookupIntelInput) (LookupIntelResult, error) {
	if e.Intel == nil {
		return LookupIntelResult{}, Classify("intel", errNotConfigured("no intel sources (enrichment.intel.files)"))
	}
	var out LookupIntelResult
	seen := map[string]bool{}
	for _, ind := range in.Indicators {
		if seen[ind] {
			continue
		}
		seen[ind] = true
		out.Hits = append(out.Hits, e.Intel.Lookup(ind)...)
	}
	return out, nil
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
