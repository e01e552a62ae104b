package servicenow_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/socflow/socflow/integrations/cmdb"
	"github.com/socflow/socflow/integrations/servicenow"
	"github.com/socflow/socflow/integrations/servicenow/servicenowtest"
)

func Example() {
	fake := servicenowtest.New(servicenowtest.Record{
		Class:              "cmdb_ci_win_server",
		Name:               "dc01",
		FQDN:               "dc01.corp.example",
		IPAddress:          "10.0.0.10",
		BusinesCriticality: "1 - most critical",
		OwnedBy:            "Identity Team",
		Tags:               []string{"ad", "crown-jewel"},
	})
	ts := httptest.NewServer(fake)
	defer ts.Close()

	c, err := servicenow.New(ts.Client(), ts.URL, servicenowtest.DefaultUser, servicenowtest.DefaultPassword,
		servicenow.WithTable("cmdb_ci_computer"))
	if err != nil {
		panic(err)
	}
	a, err := c.Find(context.Background(), []string{"DC01.corp.example"}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Name, a.Role, a.Tier, a.Owner, a.Tags, a.MatchedBy)
	// Output: dc01 windows-server 1 Identity Team [ad crown-jewel] hostname
}

func ExampleFallback() {
	fake := servicenowtest.New(servicenowtest.Record{Class: "cmdb_ci_printer", Name: "prn-3f", IPAddress: "10.0.3.9"})
	ts := httptest.NewServer(fake)
	defer ts.Close()
	live, err := servicenow.New(ts.Client(), ts.URL, "", "", servicenow.WithBearerToken(servicenowtest.DefaultToken))
	if err != nil {
		panic(err)
	}
	static := cmdb.New()
	if err := static.Add(cmdb.Record{Name: "dc01", IPs: []string{"10.0.0.10"}, Role: "domain-controller", Tier: 1}); err != nil {
		panic(err)
	}

	assets := servicenow.Fallback(static, live)
	for _, ip := range []string{"10.0.0.10", "10.0.3.9"} {
		a, err := assets.FindContext(context.Background(), nil, []string{ip})
		if err != nil {
			panic(err)
		}
		fmt.Println(a.Name, a.Role, a.Tier, a.Tags)
	}
	fmt.Println(len(fake.Calls()), "call to ServiceNow")
	// Output:
	// dc01 domain-controller 1 []
	// prn-3f printer 3 [tier-defaulted]
	// 1 call to ServiceNow
}
