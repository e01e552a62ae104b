package enrich

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// edr is the EDR's view of the alert's first host: its OS, its sensor,
// whether it is already isolated.
func edr() Source {
	return Source{
		Name: EDR,
		Start: func(in *Input) workflow.Future {
			if len(in.Hosts) == 0 {
				return nil
			}
			return in.Remote("edr host", e.DescribeHost, activities.DescribeHostInput{Host: in.Hosts[0]})
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.DescribeHostResult) { pkt.Host = res.Host }),
	}
}
