package devserver

import (
	"testing"

	"go.temporal.io/server/common/dynamicconfig"
)

// TestSearchAttributeRefreshOnlyAfterAdding: a forced refresh on every
// lookup is a database read per workflow start and upsert; it is on only
// in the window after Start added attributes.
func TestSearchAttributeRefreshOnlyAfterAdding(t *testing.T) {
	dc := newDevConfig()
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	value := func() any { return dc.GetValue(key)[0].Value }
	if value() != false {
		t.Fatalf("forced refresh is on before any attribute was added")
	}
	dc.forceSearchAttributeRefresh()
	if value() != true {
		t.Fatalf("forced refresh is off right after attributes were added")
	}
	if got := dc.GetValue(dynamicconfig.HistoryCacheHostLevelMaxSize.Key()); len(got) != 1 || got[0].Value != 8096 {
		t.Errorf("static values not passed through: %v", got)
	}
}
