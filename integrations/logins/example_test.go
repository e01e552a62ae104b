package logins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/geoip"
	"github.com/socflow/socflow/integrations/geoip/geoiptest"
	"github.com/socflow/socflow/integrations/logins"
)

// A user logs in from Paris, then from São Paulo an hour later.
func Example() {
	dir, err := os.MkdirTemp("", "logins-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cityPath, asnPath := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := geoiptest.WriteFiles(cityPath, asnPath); err != nil {
		panic(err)
	}
	geo, err := geoip.Open(cityPath, asnPath)
	if err != nil {
		panic(err)
	}
	defer geo.Close()
	store, err := events.OpenSQLite("")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	ctx := context.Background()
	history := logins.New(store, geo, logins.Options{})
	at := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	if err := history.Record(ctx, "alice", geoiptest.ParisIP, at.Add(-time.Hour), true, "okta"); err != nil {
		panic(err)
	}
	a, err := history.Assess(ctx, "alice", geoiptest.SaoPauloIP, at)
	if err != nil {
		panic(err)
	}
	for _, s := range a.UserContext().Anomalies {
		fmt.Println(s)
	}
	// Output:
	// first login from BR (seen before: FR)
	// impossible travel: 9,402 km from Paris FR to São Paulo BR in 1h0m (9,402 km/h)
}
