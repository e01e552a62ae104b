package enrich

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// intel is the watchlists loaded in memory (files, TAXII feeds): is any
// indicator of the alert on one?
func intel() Source {
	return Source{
		Name: Intel,
		Start: func(in *Input) workflow.Future {
			return in.Local(e.LookupIntel, activities.LookupIntelInput{Indicators: in.Indicators})
		},
		Fold: foldInto(func(pkt *alert.ContextPacket, res activities.LookupIntelResult) {
			pkt.IntelHits = append(pkt.IntelHits, res.Hits...)
		}),
	}
}
