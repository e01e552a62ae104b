package enrich

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// assets is the static inventory (asset files): what is the machine and
// how critical is it?
func assets() Source {
	return Source{
		Name: Assets,
		Start: func(in *Input) workflow.Future {
			return in.Local(e.LookupAsset, activities.LookupAssetInput{Hosts: in.Hosts, IPs: in.HostIPs})
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.LookupAssetResult) { pkt.Asset = res.Asset }),
	}
}
