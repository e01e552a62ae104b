package entratest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/integrations/entra"
	"github.com/socflow/socflow/integrations/entra/entratest"
	"github.com/socflow/socflow/integrations/httpx"
)

// Example authenticates as the worker does, with OAuth2 client
// credentials against the fake's token endpoint.
func Example() {
	fake := entratest.New(entratest.WithClient("socflow", "s3cret"))
	ts := httptest.NewServer(fake)
	defer ts.Close()

	hc, err := httpx.Authenticated(ts.Client(), httpx.ClientCredentials{
		ClientID: "socflow", ClientSecret: "s3cret",
		TokenURL: ts.URL + entratest.TokenPath("contoso"), Scopes: []string{entra.Scope},
	})
	if err != nil {
		panic(err)
	}
	idp, err := entra.New(hc, ts.URL+entratest.GraphPath)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := idp.DisableUser(ctx, "alice@contoso.com"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Enabled("alice@contoso.com"), fake.Revocations("alice@contoso.com"))
	if err := idp.EnableUser(ctx, "alice@contoso.com"); err != nil {
		panic(err)
	}
	fmt.Println(fake.Enabled("alice@contoso.com"))
	// Output:
	// false 1
	// true
}
