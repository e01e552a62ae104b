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
		Fold: func(ctx workflow.Context, f workflow.Future, pkt *alert.ContextPacket) error {
			var res activities.LookupAssetResult
			err := f.Get(ctx, &res)
			pkt.Asset = res.Asset
			return err
		},
	}
}
