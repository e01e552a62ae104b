package enrich

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// cmdb is a live CMDB (ServiceNow), asked when the alert names a host.
func cmdb() Source {
	return Source{
		Name: CMDB,
		Start: func(in *Input) workflow.Future {
			if len(in.Hosts)+len(in.HostIPs) == 0 {
				return nil
			}
			return in.Remote("cmdb", e.LookupLiveAsset, activities.LookupAssetInput{Hosts: in.Hosts, IPs: in.HostIPs})
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.LookupAssetResult) {
			// The static inventory is the site's deliberate record; the
			// live CMDB fills in what it does not know (assets folds
			// first).
			if pkt.Asset == nil {
				pkt.Asset = res.Asset
			}
		}),
	}
}
