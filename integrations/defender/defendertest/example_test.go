package defendertest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
)

func Example() {
	fake := defendertest.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()

	edr, err := defender.New(ts.Client(), ts.URL, defendertest.DefaultToken)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if _, err := edr.IsolateHost(ctx, alert.Host{Name: "web1.corp.example"}, "suspicious beaconing"); err != nil {
		panic(err)
	}
	if _, err := edr.BlockIP(ctx, "203.0.113.7", "C2 address"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Isolated("web1.corp.example"), fake.Blocked("203.0.113.7"))
	// Output: true true
}
