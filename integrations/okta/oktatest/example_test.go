package oktatest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
)

func Example() {
	fake := oktatest.New()
	ts := httptest.NewServer(fake)
	defer ts.Close()

	idp, err := okta.New(ts.Client(), ts.URL, oktatest.DefaultToken)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := idp.DisableUser(ctx, "alice@example.com"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Status("alice@example.com"))
	if err := idp.EnableUser(ctx, "alice@example.com"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Status("alice@example.com"))
	// Output:
	// SUSPENDED
	// ACTIVE
}
