package enrich

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// maxOnlineIndicators bounds the lookups one alert costs an online
// provider's quota.
const maxOnlineIndicators = 10

// online is one reputation service (VirusTotal, AbuseIPDB), named by its
// provider.
func online(provider string) Source {
	return Source{
		Name: provider,
		Start: func(in *Input) workflow.Future {
			if len(in.Indicators) == 0 {
				return nil
			}
			inds := in.Indicators[:min(len(in.Indicators), maxOnlineIndicators)]
			return in.Remote("intel "+provider, e.LookupOnlineIntel, activities.LookupOnlineIntelInput{Provider: provider, Indicators: inds})
		},
		Fold: func(ctx workflow.Context, f workflow.Future, pkt *alert.ContextPacket) error {
			var res activities.LookupIntelResult
			err := f.Get(ctx, &res)
			pkt.IntelHits = append(pkt.IntelHits, res.Hits...)
			if err == nil && res.Partial != "" {
				err = errors.New(res.Partial)
			}
			return err
		},
	}
}
