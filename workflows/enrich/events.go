package enrich

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// maxRelated bounds the related events one alert's packet carries (the
// case file keeps them all).
const maxRelated = 20

// events is the telemetry in socflow's store near the alert: the process
// spawn before the firewall block.
func events() Source {
	return Source{
		Name: Events,
		Start: func(in *Input) workflow.Future {
			q := activities.RelatedQuery{Hosts: in.Hosts, Users: in.Users, IPs: in.IPs, Before: in.Alert.Time,
				Window: window(in.Plan), Limit: maxRelated}
			if len(in.Domains) > 0 {
				q.Hosts, q.Users, q.IPs, q.Domains = nil, nil, nil, in.Domains
			}
			q.Kinds = in.Kinds
			return in.Store("related events", e.FindRelated, q)
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.FindRelatedResult) { pkt.Related = res.Events }),
	}
}
