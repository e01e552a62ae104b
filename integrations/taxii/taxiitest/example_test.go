package taxiitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/socflow/socflow/integrations/taxii"
	"github.com/socflow/socflow/integrations/taxii/taxiitest"
)

func Example() {
	fake := taxiitest.New(taxiitest.WithPageSize(1))
	fake.Add("c2",
		json.RawMessage(`{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '192.0.2.1']"}`),
		json.RawMessage(`{"type":"indicator","id":"indicator--2","pattern":"[ipv4-addr:value = '192.0.2.2']"}`))
	ts := httptest.NewServer(fake)
	defer ts.Close()

	c := taxii.New(ts.Client())
	objs, next, err := c.Poll(context.Background(), taxii.CollectionURL(ts.URL+taxiitest.APIRoot, "c2"), time.Time{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(objs), "objects in", len(fake.Calls()), "pages; next poll after", next.Format(time.RFC3339Nano))
	// Output: 2 objects in 2 pages; next poll after 2026-01-01T00:00:00.001Z
}
