package servicenow_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/cmdb"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/servicenow"
	"github.com/socflow/socflow/integrations/servicenow/servicenowtest"
)

var _ servicenow.Lookup = (*cmdb.Inventory)(nil)

// inventory is the CMDB most tests query.
func inventory() []servicenowtest.Record {
	return []servicenowtest.Record{
		{Class: "cmdb_ci_win_server", Name: "dc01", FQDN: "dc01.corp.example", IPAddress: "10.0.0.10",
			BusinesCriticality: "1 - most critical", OwnedBy: "Identity Team", Tags: []string{"ad", "crown-jewel"}},
		{Class: "cmdb_ci_computer", Name: "ws-042.corp.example", IPAddress: "10.0.1.42",
			BusinesCriticality: "3 - less critical", AssignedTo: "Alice Example"},
		{Class: "cmdb_ci_linux_server", Name: "app.eu.example", BusinesCriticality: "2 - somewhat critical"},
		{Class: "cmdb_ci_linux_server", Name: "app.us.example", BusinesCriticality: "3 - less critical"},
		{Class: "cmdb_ci_server", Name: "SRV7", FQDN: "srv7.corp.example", BusinesCriticality: "2 - somewhat critical"},
		{Class: "cmdb_ci_linux_server", Name: "nas", BusinesCriticality: "2 - somewhat critical"},
		// The same machine recorded twice: the more critical record wins.
		{Class: "cmdb_ci_linux_server", Name: "web01", IPAddress: "10.0.2.5", BusinesCriticality: "3 - less critical"},
		{Class: "cmdb_ci_linux_server", Name: "WEB01", IPAddress: "10.0.2.5", BusinesCriticality: "2 - somewhat critical", OwnedBy: "Web Team"},
		// A retired workstation that kept the DC's address.
		{Class: "cmdb_ci_computer", Name: "old-ws", IPAddress: "10.0.0.10", BusinesCriticality: "4 - not critical"},
		{Class: "cmdb_ci_printer", Name: "prn-3f", IPAddress: "10.0.3.9", BusinesCriticality: "4 - not critical"},
	}
}

// setup serves fake and returns a client for it with the default
// credentials, the cache off unless opts say otherwise.
func setup(t *testing.T, fake http.Handler, opts ...servicenow.Option) *servicenow.Client {
	t.Helper()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	opts = append([]servicenow.Option{servicenow.WithCache(-1, 0)}, opts...)
	c, err := servicenow.New(ts.Client(), ts.URL, servicenowtest.DefaultUser, servicenowtest.DefaultPassword, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestNew(t *testing.T) {
	tests := []struct {
		name           string
		base           string
		user, password string
		opts           []servicenow.Option
		notConfigured  bool
		wantErr        string
	}{
		{name: "basic", base: "https://acme.service-now.com", user: "u", password: "hunter2-secret"},
		{name: "bearer", base: "https://acme.service-now.com/", opts: []servicenow.Option{servicenow.WithBearerToken("t")}},
		{name: "no URL", user: "u", password: "p", notConfigured: true},
		{name: "no credentials", base: "https://acme.service-now.com", notConfigured: true},
		{name: "no password", base: "https://acme.service-now.com", user: "u", notConfigured: true},
		{name: "no user", base: "https://acme.service-now.com", password: "p", notConfigured: true},
		{name: "both", base: "https://acme.service-now.com", user: "u", password: "p",
			opts: []servicenow.Option{servicenow.WithBearerToken("t")}, wantErr: "set one"},
		{name: "bad URL", base: "acme.service-now.com", user: "u", password: "p", wantErr: "instance URL"},
		{name: "bad table", base: "https://acme.service-now.com", user: "u", password: "p",
			opts: []servicenow.Option{servicenow.WithTable("cmdb_ci/../sys_user")}, wantErr: "table"},
		{name: "bad tier", base: "https://acme.service-now.com", user: "u", password: "p",
			opts: []servicenow.Option{servicenow.WithCriticality(map[string]int{"Critical": 0})}, wantErr: "tier 0"},
		{name: "empty criticality", base: "https://acme.service-now.com", user: "u", password: "p",
			opts: []servicenow.Option{servicenow.WithCriticality(map[string]int{})}, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := servicenow.New(nil, tt.base, tt.user, tt.password, tt.opts...)
			switch {
			case tt.notConfigured:
				if !errors.Is(err, httpx.ErrNotConfigured) {
					t.Errorf("err = %v, want httpx.ErrNotConfigured", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, httpx.ErrNotConfigured) {
					t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case strings.Contains(c.String(), tt.password) && tt.password != "":
				t.Errorf("String() = %q shows the password", c.String())
			}
		})
	}
}

func TestFindMatching(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake)
	tests := []struct {
		name      string
		hosts     []string
		ips       []string
		wantName  string // "" for no match
		wantMatch string
		wantTier  int
	}{
		{"exact name", []string{"dc01"}, nil, "dc01", "hostname", 1},
		{"name any case, trailing dot", []string{" DC01. "}, nil, "dc01", "hostname", 1},
		{"qualified query, its FQDN", []string{"dc01.corp.example"}, nil, "dc01", "hostname", 1},
		{"qualified query, short record without FQDN", []string{"nas.corp.example"}, nil, "nas", "hostname", 2},
		{"qualified query, short record with another FQDN", []string{"dc01.lab.example"}, nil, "", "", 0},
		{"short query, qualified name", []string{"WS-042"}, nil, "ws-042.corp.example", "hostname", 3},
		{"short query, FQDN", []string{"srv7"}, nil, "SRV7", "hostname", 2},
		{"qualified query, qualified name", []string{"ws-042.corp.example"}, nil, "ws-042.corp.example", "hostname", 3},
		{"other domain does not match qualified record", []string{"ws-042.lab.example"}, nil, "", "", 0},
		{"ambiguous short name matches none", []string{"app"}, nil, "", "", 0},
		{"ambiguous short name, qualified query", []string{"app.us.example"}, nil, "app.us.example", "hostname", 3},
		{"duplicate CIs: the more critical", []string{"web01"}, nil, "WEB01", "hostname", 2},
		{"host name that is an address", []string{"10.0.1.42"}, nil, "ws-042.corp.example", "ip", 3},
		{"mapped IPv6 address", nil, []string{"::ffff:10.0.3.9"}, "prn-3f", "ip", 4},
		{"duplicate address: the more critical", nil, []string{"10.0.0.10"}, "dc01", "ip", 1},
		{"name beats address", []string{"ws-042"}, []string{"10.0.0.10"}, "ws-042.corp.example", "hostname", 3},
		{"earlier name wins", []string{"prn-3f", "dc01"}, nil, "prn-3f", "hostname", 4},
		{"unknown name falls back to address", []string{"nothere"}, []string{"192.0.2.1", "10.0.3.9"}, "prn-3f", "ip", 4},
		{"ambiguous name falls back to the next", []string{"app", "nas"}, nil, "nas", "hostname", 2},
		{"no match", []string{"nothere"}, []string{"192.0.2.1"}, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := c.Find(context.Background(), tt.hosts, tt.ips)
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			if tt.wantName == "" {
				if a != nil {
					t.Errorf("Find = %+v, want no match", a)
				}
				return
			}
			if a == nil {
				t.Fatalf("Find = nil, want %s", tt.wantName)
			}
			if a.Name != tt.wantName || a.MatchedBy != tt.wantMatch || a.Tier != tt.wantTier {
				t.Errorf("Find = %s by %s tier %d, want %s by %s tier %d", a.Name, a.MatchedBy, a.Tier, tt.wantName, tt.wantMatch, tt.wantTier)
			}
		})
	}
}

func TestFindNoCall(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake)
	for _, in := range [][2][]string{
		{nil, nil},
		{{" ", ""}, {"not-an-ip"}},
		{{"dc01^ORnameISNOTEMPTY", "a,b", "x=y", "two words", "dc01%5EOR", "dc01..corp"}, nil},
	} {
		a, err := c.Find(context.Background(), in[0], in[1])
		if a != nil || err != nil {
			t.Errorf("Find(%q, %q) = %v, %v; want nil, nil", in[0], in[1], a, err)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

func TestFindFields(t *testing.T) {
	fake := servicenowtest.New(
		servicenowtest.Record{Class: "cmdb_ci_win_server", Name: "dc01", BusinesCriticality: "1 - most critical",
			OwnedBy: "Identity Team", ManagedBy: "Infra", AssignedTo: "Bob", Tags: []string{"ad", "crown-jewel", "ad"}},
		servicenowtest.Record{Class: "cmdb_ci_linux_server", Name: "lx1", ManagedBy: "Infra", AssignedTo: "Bob"},
		servicenowtest.Record{Class: "cmdb_ci_computer", Name: "ws1", AssignedTo: "Bob"},
		servicenowtest.Record{Class: "cmdb_ci_printer", Name: "prn1", Role: "label-printer"},
		servicenowtest.Record{Class: "cmdb_ci_unix_server", Name: "aix1"},
		servicenowtest.Record{Class: "cmdb_ci_netgear", FQDN: "sw1.corp.example"},
	)
	c := setup(t, fake)
	tests := []struct {
		host string
		want alert.Asset
	}{
		{"dc01", alert.Asset{Name: "dc01", Owner: "Identity Team", Role: "windows-server", Tier: 1, Tags: []string{"ad", "crown-jewel"}, MatchedBy: "hostname"}},
		{"lx1", alert.Asset{Name: "lx1", Owner: "Infra", Role: "linux-server", Tier: 3, Tags: []string{"tier-defaulted"}, MatchedBy: "hostname"}},
		{"ws1", alert.Asset{Name: "ws1", Owner: "Bob", Role: "workstation", Tier: 3, Tags: []string{"tier-defaulted"}, MatchedBy: "hostname"}},
		{"prn1", alert.Asset{Name: "prn1", Role: "label-printer", Tier: 3, Tags: []string{"tier-defaulted"}, MatchedBy: "hostname"}},
		// With display values ServiceNow names a class by its label.
		{"aix1", alert.Asset{Name: "aix1", Role: "Unix Server", Tier: 3, Tags: []string{"tier-defaulted"}, MatchedBy: "hostname"}},
		{"sw1", alert.Asset{Name: "sw1.corp.example", Role: "IP Switch", Tier: 3, Tags: []string{"tier-defaulted"}, MatchedBy: "hostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			a, err := c.Find(context.Background(), []string{tt.host}, nil)
			if err != nil || a == nil {
				t.Fatalf("Find = %v, %v", a, err)
			}
			if !reflect.DeepEqual(*a, tt.want) {
				t.Errorf("Find = %+v\nwant   %+v", *a, tt.want)
			}
		})
	}
}

func TestCriticality(t *testing.T) {
	custom := map[string]int{"Mission critical": 1, "High": 2}
	tests := []struct {
		name      string
		rec       servicenowtest.Record
		opts      []servicenow.Option
		want      int
		defaulted bool
	}{
		{name: "1", rec: servicenowtest.Record{BusinesCriticality: "1 - most critical"}, want: 1},
		{name: "2", rec: servicenowtest.Record{BusinesCriticality: "2 - somewhat critical"}, want: 2},
		{name: "3", rec: servicenowtest.Record{BusinesCriticality: "3 - less critical"}, want: 3},
		{name: "4", rec: servicenowtest.Record{BusinesCriticality: "4 - not critical"}, want: 4},
		{name: "case and spaces", rec: servicenowtest.Record{BusinesCriticality: " 1  - Most Critical"}, want: 1},
		{name: "correctly spelled field", rec: servicenowtest.Record{BusinessCriticality: "2 - somewhat critical"}, want: 2},
		{name: "misspelled field first", rec: servicenowtest.Record{BusinesCriticality: "4 - not critical", BusinessCriticality: "1 - most critical"}, want: 4},
		{name: "custom field", rec: servicenowtest.Record{SocflowTier: "1"}, want: 1},
		{name: "custom field as a choice", rec: servicenowtest.Record{SocflowTier: "2 - somewhat critical"}, want: 2},
		{name: "custom field is a fallback", rec: servicenowtest.Record{BusinesCriticality: "4 - not critical", SocflowTier: "1"}, want: 4},
		{name: "unknown value falls back to custom field", rec: servicenowtest.Record{BusinesCriticality: "5 - whatever", SocflowTier: "2"}, want: 2},
		{name: "custom field out of range", rec: servicenowtest.Record{SocflowTier: "7"}, want: 3, defaulted: true},
		{name: "missing", rec: servicenowtest.Record{}, want: 3, defaulted: true},
		{name: "custom map", rec: servicenowtest.Record{BusinesCriticality: "mission critical"},
			opts: []servicenow.Option{servicenow.WithCriticality(custom)}, want: 1},
		{name: "custom map replaces the default", rec: servicenowtest.Record{BusinesCriticality: "1 - most critical"},
			opts: []servicenow.Option{servicenow.WithCriticality(custom)}, want: 3, defaulted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			rec.Name = "host1"
			c := setup(t, servicenowtest.New(rec), tt.opts...)
			a, err := c.Find(context.Background(), []string{"host1"}, nil)
			if err != nil || a == nil {
				t.Fatalf("Find = %v, %v", a, err)
			}
			defaulted := false
			for _, tag := range a.Tags {
				defaulted = defaulted || tag == servicenow.TagTierDefaulted
			}
			if a.Tier != tt.want || defaulted != tt.defaulted {
				t.Errorf("tier %d (defaulted %v), want %d (defaulted %v)", a.Tier, defaulted, tt.want, tt.defaulted)
			}
		})
	}
}

// reshape makes the fake answer with other sysparm_display_value and
// sysparm_exclude_reference_link settings than the client asked for, as
// an instance (or a proxy) might.
func reshape(fake http.Handler, display, exclude string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("sysparm_display_value", display)
		q.Set("sysparm_exclude_reference_link", exclude)
		r.URL.RawQuery = q.Encode()
		fake.ServeHTTP(w, r)
	})
}

func TestDisplayValueShapes(t *testing.T) {
	fake := servicenowtest.New(
		servicenowtest.Record{Class: "cmdb_ci_unix_server", Name: "dc01", IPAddress: "10.0.0.10", BusinesCriticality: "2 - somewhat critical",
			ManagedBy: "Identity Team", Tags: []string{"ad"}},
		servicenowtest.Record{Class: "cmdb_ci_win_server", Name: "dc02", SocflowTier: "1"},
	)
	tests := []struct {
		name, display, exclude string
		wantRole               string
	}{
		{"true", "true", "true", "Unix Server"},
		{"true with links", "true", "false", "Unix Server"},
		// With =all the class's table name is there too.
		{"all", "all", "true", "cmdb_ci_unix_server"},
		{"all with links", "all", "false", "cmdb_ci_unix_server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := setup(t, reshape(fake, tt.display, tt.exclude))
			a, err := c.Find(context.Background(), nil, []string{"10.0.0.10"})
			if err != nil || a == nil {
				t.Fatalf("Find = %v, %v", a, err)
			}
			want := alert.Asset{Name: "dc01", Owner: "Identity Team", Role: tt.wantRole, Tier: 2, Tags: []string{"ad"}, MatchedBy: "ip"}
			if !reflect.DeepEqual(*a, want) {
				t.Errorf("Find = %+v\nwant   %+v", *a, want)
			}
			a, err = c.Find(context.Background(), []string{"dc02"}, nil)
			if err != nil || a == nil || a.Role != "windows-server" || a.Tier != 1 {
				t.Errorf("Find(dc02) = %+v, %v; want windows-server tier 1", a, err)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name           string
		user, password string
		token          string
		wantAuth       string
		wantCode       int
	}{
		{name: "basic", user: servicenowtest.DefaultUser, password: servicenowtest.DefaultPassword, wantAuth: "basic", wantCode: 200},
		{name: "bearer", token: servicenowtest.DefaultToken, wantAuth: "bearer", wantCode: 200},
		{name: "wrong password", user: servicenowtest.DefaultUser, password: "wrong", wantAuth: "basic", wantCode: 401},
		{name: "wrong token", token: "expired", wantAuth: "bearer", wantCode: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := servicenowtest.New(inventory()...)
			ts := httptest.NewServer(fake)
			defer ts.Close()
			var opts []servicenow.Option
			if tt.token != "" {
				opts = append(opts, servicenow.WithBearerToken(tt.token))
			}
			c, err := servicenow.New(ts.Client(), ts.URL, tt.user, tt.password, opts...)
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.Find(context.Background(), []string{"dc01"}, nil)
			calls := fake.Calls()
			if len(calls) != 1 || calls[0].Auth != tt.wantAuth || calls[0].Status != tt.wantCode {
				t.Fatalf("calls = %+v, want one %s call answered %d", calls, tt.wantAuth, tt.wantCode)
			}
			if tt.wantCode == 200 {
				if err != nil || a == nil || a.Name != "dc01" {
					t.Errorf("Find = %v, %v", a, err)
				}
				return
			}
			var se *httpx.StatusError
			if !errors.As(err, &se) || se.Code != 401 || se.Body != "User Not Authenticated: Required to provide Auth information" {
				t.Fatalf("err = %v, want a 401 StatusError with ServiceNow's message", err)
			}
			if secret := tt.password + tt.token; strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the credentials: %v", err)
			}
			if !activities.IsType(activities.Classify("assets", err), activities.ErrUnauthorized) {
				t.Errorf("Classify(%v) is not %s", err, activities.ErrUnauthorized)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		status         int
		retryAfter     string
		wantRetryAfter time.Duration
		retryable      bool
		wantType       string // activities' non-retryable type, or ""
	}{
		{status: 400, wantType: activities.ErrBadRequest},
		{status: 401, wantType: activities.ErrUnauthorized},
		{status: 403, wantType: activities.ErrUnauthorized},
		{status: 404, wantType: activities.ErrNotFound},
		{status: 429, retryAfter: "7", wantRetryAfter: 7 * time.Second, retryable: true},
		{status: 429, retryable: true},
		{status: 500, retryable: true},
		{status: 503, retryAfter: "2", wantRetryAfter: 2 * time.Second, retryable: true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status)+" "+tt.retryAfter, func(t *testing.T) {
			fake := servicenowtest.New(inventory()...)
			c := setup(t, fake)
			fake.FailNext("", tt.status, 1, tt.retryAfter)
			a, err := c.Find(context.Background(), []string{"dc01"}, nil)
			var se *httpx.StatusError
			if a != nil || !errors.As(err, &se) {
				t.Fatalf("Find = %v, %v; want a StatusError", a, err)
			}
			if se.Code != tt.status || se.RetryAfter != tt.wantRetryAfter || se.Retryable() != tt.retryable {
				t.Errorf("StatusError = %d, Retry-After %s, retryable %v; want %d, %s, %v",
					se.Code, se.RetryAfter, se.Retryable(), tt.status, tt.wantRetryAfter, tt.retryable)
			}
			want := http.StatusText(tt.status) + ": Injected by servicenowtest.FailNext"
			if se.Body != want || !strings.HasPrefix(err.Error(), "servicenow: ") {
				t.Errorf("err = %q, want a servicenow error with body %q", err, want)
			}
			if tt.wantType != "" && !activities.IsType(activities.Classify("assets", err), tt.wantType) {
				t.Errorf("Classify(%v) is not %s", err, tt.wantType)
			}
			// The fault is spent; a retry succeeds.
			if a, err := c.Find(context.Background(), []string{"dc01"}, nil); err != nil || a == nil {
				t.Errorf("retry = %v, %v", a, err)
			}
		})
	}
}

func TestNotJSON(t *testing.T) {
	// A hibernating developer instance answers 200 with an HTML page.
	c := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Your instance is hibernating</body></html>"))
	}))
	if _, err := c.Find(context.Background(), []string{"dc01"}, nil); err == nil || !strings.HasPrefix(err.Error(), "servicenow: ") {
		t.Errorf("err = %v, want a servicenow decode error", err)
	}
}

func TestQueryEncoding(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake, servicenow.WithTable("cmdb_ci_computer"))
	a, err := c.Find(context.Background(),
		[]string{"dc01^ORnameISNOTEMPTY", "DC01.corp.example.", "evil,prn-3f", "ws-042", "ws-042"},
		[]string{"10.0.0.10", "bad^ip", "::ffff:10.0.0.10"})
	if err != nil || a == nil || a.Name != "dc01" {
		t.Fatalf("Find = %v, %v; want dc01", a, err)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	call := calls[0]
	if call.Method != http.MethodGet || call.Path != "/api/now/table/cmdb_ci_computer" {
		t.Errorf("call = %s %s", call.Method, call.Path)
	}
	wantQuery := "nameINdc01.corp.example,dc01,ws-042" +
		"^ORfqdnINdc01.corp.example,ws-042" +
		"^ORnameSTARTSWITHws-042.^ORfqdnSTARTSWITHws-042." +
		"^ORip_addressIN10.0.0.10"
	want := url.Values{
		"sysparm_query":                  {wantQuery},
		"sysparm_fields":                 {servicenow.Fields},
		"sysparm_display_value":          {"true"},
		"sysparm_exclude_reference_link": {"true"},
		"sysparm_limit":                  {"10"},
	}
	if !reflect.DeepEqual(call.Query, want) {
		t.Errorf("query = %v\nwant    %v", call.Query, want)
	}
	// The separators travel percent-encoded, never as raw query syntax.
	if !strings.Contains(call.RawQuery, "sysparm_query=nameINdc01.corp.example%2Cdc01%2Cws-042%5EORfqdnIN") {
		t.Errorf("raw query = %s", call.RawQuery)
	}
	if strings.ContainsAny(call.RawQuery, "^, ") {
		t.Errorf("raw query %s has unescaped separators", call.RawQuery)
	}
}

func TestInjectionCannotWiden(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake)
	// Were the first name sent as is, "^ORnameISNOTEMPTY" would match every
	// CI and the first (dc01, tier 1) would come back.
	a, err := c.Find(context.Background(), []string{"x^ORnameISNOTEMPTY", "prn-3f"}, nil)
	if err != nil || a == nil || a.Name != "prn-3f" {
		t.Fatalf("Find = %+v, %v; want prn-3f", a, err)
	}
	if q := fake.Calls()[0].Query.Get("sysparm_query"); strings.Contains(q, "ISNOTEMPTY") {
		t.Errorf("query %q carries the injected condition", q)
	}
}

func TestCache(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake, servicenow.WithCache(2, time.Hour))
	ctx := context.Background()
	find := func(hosts ...string) *alert.Asset {
		t.Helper()
		a, err := c.Find(ctx, hosts, nil)
		if err != nil {
			t.Fatalf("Find(%v): %v", hosts, err)
		}
		return a
	}
	calls := func() int { return len(fake.Calls()) }

	a := find("dc01")
	a.Tags[0] = "changed by the caller"
	if b := find("DC01"); calls() != 1 || b.Tags[0] != "ad" {
		t.Fatalf("second lookup: %d calls, tags %v; want 1 call and the cached copy", calls(), b.Tags)
	}
	if find("nothere") != nil || find("nothere") != nil || calls() != 2 {
		t.Errorf("negative answer: %d calls, want 2", calls())
	}

	// Order matters (the earlier argument wins), so it is another key.
	find("prn-3f", "dc01")
	if calls() != 3 {
		t.Errorf("%d calls, want 3", calls())
	}
	// Two entries fit: dc01 was least recently used and is gone.
	find("dc01")
	if calls() != 4 {
		t.Errorf("after eviction: %d calls, want 4", calls())
	}

	// Errors are not cached.
	fake.FailNext("", http.StatusServiceUnavailable, 1, "")
	if _, err := c.Find(ctx, []string{"web01"}, nil); err == nil {
		t.Fatal("no error from the injected 503")
	}
	if a := find("web01"); a == nil || calls() != 6 {
		t.Errorf("after an error: %v, %d calls; want a fresh call", a, calls())
	}
}

// TestCacheExpires checks the TTL on the real clock the cache keeps.
func TestCacheExpires(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	const ttl = 20 * time.Millisecond
	c := setup(t, fake, servicenow.WithCache(10, ttl))
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Calls()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the answer was still cached long after its TTL")
		}
		if _, err := c.Find(context.Background(), []string{"dc01"}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(ttl / 4)
	}
}

func TestConcurrentFind(t *testing.T) {
	fake := servicenowtest.New(inventory()...)
	c := setup(t, fake, servicenow.WithCache(0, 0))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			host := []string{"dc01", "prn-3f", "nothere", "web01"}[i%4]
			if _, err := c.Find(context.Background(), []string{host}, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestFallback(t *testing.T) {
	static := cmdb.New()
	for _, r := range []cmdb.Record{
		{Name: "dc01", IPs: []string{"10.0.0.10"}, Owner: "static-team", Role: "domain-controller", Tier: 1},
		{Name: "web-farm", CIDRs: []string{"10.0.2.0/24"}, Role: "web-server", Tier: 2},
	} {
		if err := static.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		hosts     []string
		ips       []string
		fail      bool
		nilStatic bool
		nilLive   bool
		wantName  string
		wantCalls int
		wantErr   bool
	}{
		{name: "static name, no call", hosts: []string{"dc01"}, wantName: "dc01", wantCalls: 0},
		{name: "static address, no call", ips: []string{"10.0.0.10"}, wantName: "dc01", wantCalls: 0},
		{name: "unknown to static", hosts: []string{"prn-3f"}, wantName: "prn-3f", wantCalls: 1},
		{name: "static range, live address wins", ips: []string{"10.0.2.5"}, wantName: "WEB01", wantCalls: 1},
		{name: "static range, live knows nothing", ips: []string{"10.0.2.77"}, wantName: "web-farm", wantCalls: 1},
		{name: "static range, live fails", ips: []string{"10.0.2.5"}, fail: true, wantName: "web-farm", wantCalls: 1},
		{name: "nothing static, live fails", hosts: []string{"prn-3f"}, fail: true, wantCalls: 1, wantErr: true},
		{name: "no match anywhere", hosts: []string{"nothere"}, wantCalls: 1},
		{name: "no static inventory", hosts: []string{"dc01"}, nilStatic: true, wantName: "dc01", wantCalls: 1},
		{name: "no live inventory", hosts: []string{"prn-3f"}, nilLive: true, wantCalls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := servicenowtest.New(inventory()...)
			live := setup(t, fake)
			if tt.fail {
				fake.FailNext("", http.StatusInternalServerError, 1, "")
			}
			var s servicenow.Lookup = static
			if tt.nilStatic {
				s = nil
			}
			if tt.nilLive {
				live = nil
			}
			a, err := servicenow.Fallback(s, live).FindContext(context.Background(), tt.hosts, tt.ips)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			var got string
			if a != nil {
				got = a.Name
			}
			if got != tt.wantName || len(fake.Calls()) != tt.wantCalls {
				t.Errorf("FindContext = %q after %d calls, want %q after %d", got, len(fake.Calls()), tt.wantName, tt.wantCalls)
			}
		})
	}
}
