package falcontest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
)

func Example() {
	fake := falcontest.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()

	edr, err := falcon.New(ts.Client(), falcon.Config{
		BaseURL:      ts.URL,
		ClientID:     falcontest.DefaultClientID,
		ClientSecret: falcontest.DefaultClientSecret,
	})
	if err != nil {
		panic(err)
	}
	if _, err := edr.IsolateHost(context.Background(), alert.Host{Name: "web1"}, "suspicious beaconing"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Status("web1"), fake.Contained("web1"))
	// Output: containment_pending true
}
