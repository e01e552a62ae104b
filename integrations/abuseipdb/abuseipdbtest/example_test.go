package abuseipdbtest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/integrations/abuseipdb"
	"github.com/socflow/socflow/integrations/abuseipdb/abuseipdbtest"
)

func Example() {
	fake := abuseipdbtest.New()
	fake.SetReport("203.0.113.9", abuseipdbtest.Report{Score: 88, TotalReports: 4, NumDistinctUsers: 2})
	ts := httptest.NewServer(fake)
	defer ts.Close()

	c, err := abuseipdb.New(ts.Client(), ts.URL, abuseipdbtest.DefaultKey, abuseipdb.WithRateLimit(rate.Inf, 0))
	if err != nil {
		panic(err)
	}
	hits, err := c.Lookup(context.Background(), "203.0.113.9")
	if err != nil {
		panic(err)
	}
	fmt.Println(hits[0].Source, hits[0].Confidence, hits[0].Description)
	// Output: abuseipdb 88 AbuseIPDB: 4 reports from 2 users
}
