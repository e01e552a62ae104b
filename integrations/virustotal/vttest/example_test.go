package vttest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/integrations/virustotal"
	"github.com/socflow/socflow/integrations/virustotal/vttest"
)

func Example() {
	fake := vttest.New()
	fake.AddIP("198.51.100.66", vttest.Stats{Malicious: 40, Harmless: 30, Undetected: 10})
	ts := httptest.NewServer(fake)
	defer ts.Close()

	vt, err := virustotal.New(ts.Client(), ts.URL, vttest.DefaultKey, virustotal.WithRateLimit(rate.Inf, 0))
	if err != nil {
		panic(err)
	}
	hits, err := vt.Lookup(context.Background(), "198.51.100.66")
	if err != nil {
		panic(err)
	}
	fmt.Println(hits[0].Source, hits[0].Confidence, hits[0].Description)
	// Output: virustotal 50 VirusTotal: 40 of 80 engines malicious, 0 suspicious, analysed 2026-01-01
}
