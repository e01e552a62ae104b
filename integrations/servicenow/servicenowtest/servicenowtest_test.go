package servicenowtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"
)

func records() []Record {
	return []Record{
		{Class: "cmdb_ci_win_server", Name: "dc01", FQDN: "dc01.corp.example", IPAddress: "10.0.0.10",
			BusinesCriticality: "1 - most critical", OwnedBy: "Identity Team", Tags: []string{"ad", "crown-jewel"}},
		{Class: "cmdb_ci_computer", Name: "ws-042.corp.example", IPAddress: "10.0.1.42", AssignedTo: "Alice Example"},
		{Class: "cmdb_ci_printer", Name: "prn-3f", IPAddress: "10.0.3.9", SocflowTier: "4"},
		{Class: "cmdb_ci_linux_server", Name: "web01", IPAddress: "10.0.2.5", Role: "web-server"},
	}
}

type reply struct {
	code   int
	header http.Header
	body   map[string]any
}

func get(t *testing.T, s *Server, target string, auth func(*http.Request)) reply {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if auth != nil {
		auth(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: answer is not JSON: %s", target, b)
	}
	return reply{w.Code, w.Header(), m}
}

func basic(r *http.Request) { r.SetBasicAuth(DefaultUser, DefaultPassword) }

func names(t *testing.T, body map[string]any) []string {
	t.Helper()
	res, ok := body["result"].([]any)
	if !ok {
		t.Fatalf("result is not a list: %v", body)
	}
	var out []string
	for _, r := range res {
		out = append(out, r.(map[string]any)["name"].(string))
	}
	return out
}

func TestQuery(t *testing.T) {
	s := New(records()...)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"empty matches all", "", []string{"dc01", "ws-042.corp.example", "prn-3f", "web01"}},
		{"equals ignores case", "name=DC01", []string{"dc01"}},
		{"IN", "nameINweb01,prn-3f", []string{"prn-3f", "web01"}},
		{"OR", "name=dc01^ORip_address=10.0.3.9", []string{"dc01", "prn-3f"}},
		{"OR binds tighter than AND", "name=dc01^ORname=web01^sys_class_name=cmdb_ci_linux_server", []string{"web01"}},
		{"NQ", "name=dc01^NQname=web01", []string{"dc01", "web01"}},
		{"STARTSWITH", "nameSTARTSWITHws-042.", []string{"ws-042.corp.example"}},
		{"fqdn IN", "fqdnINdc01.corp.example", []string{"dc01"}},
		{"not equals", "sys_class_name!=cmdb_ci_computer^nameNOT INdc01,prn-3f", []string{"web01"}},
		{"LIKE and ENDSWITH", "nameLIKE-04^ORnameENDSWITH3f", []string{"ws-042.corp.example", "prn-3f"}},
		{"ISEMPTY", "fqdnISEMPTY^ip_addressISNOTEMPTY^u_roleISEMPTY", []string{"ws-042.corp.example", "prn-3f"}},
		{"ORDERBY ignored", "name=dc01^ORDERBYname", []string{"dc01"}},
		{"unknown field matches nothing", "no_such_field=1", nil},
		{"unknown operator matches nothing", "name~dc01", nil},
		{"reference compares sys_id", "owned_by=" + userID("Identity Team"), []string{"dc01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/api/now/table/cmdb_ci?" + url.Values{"sysparm_query": {tt.query}}.Encode()
			r := get(t, s, target, basic)
			if r.code != http.StatusOK {
				t.Fatalf("status %d: %v", r.code, r.body)
			}
			if got := names(t, r.body); !slices.Equal(got, tt.want) {
				t.Errorf("%q matched %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestTablesAndPaging(t *testing.T) {
	s := New(records()...)
	tests := []struct {
		target string
		want   []string
		total  string
	}{
		{"/api/now/table/cmdb_ci_computer", []string{"dc01", "ws-042.corp.example", "web01"}, "3"},
		{"/api/now/table/cmdb_ci_server", []string{"dc01", "web01"}, "2"},
		{"/api/now/table/cmdb_ci_printer", []string{"prn-3f"}, "1"},
		{"/api/now/table/cmdb_ci?sysparm_limit=2", []string{"dc01", "ws-042.corp.example"}, "4"},
		{"/api/now/table/cmdb_ci?sysparm_limit=2&sysparm_offset=3", []string{"web01"}, "4"},
	}
	for _, tt := range tests {
		r := get(t, s, tt.target, basic)
		if got := names(t, r.body); !slices.Equal(got, tt.want) || r.header.Get("X-Total-Count") != tt.total {
			t.Errorf("GET %s = %v (total %s), want %v (total %s)", tt.target, got, r.header.Get("X-Total-Count"), tt.want, tt.total)
		}
	}
}

func TestDisplayValues(t *testing.T) {
	s := New(records()[0])
	owner := userID("Identity Team")
	fields := "&sysparm_fields=name,sys_class_name,owned_by,sys_tags,busines_criticality,u_socflow_tier"
	tests := []struct {
		name, params string
		want         map[string]any
	}{
		{"false", "sysparm_display_value=false&sysparm_exclude_reference_link=true", map[string]any{
			"name": "dc01", "sys_class_name": "cmdb_ci_win_server", "owned_by": owner,
			"sys_tags": makeID("tag", "ad") + "," + makeID("tag", "crown-jewel"), "busines_criticality": "1 - most critical",
		}},
		{"false with links", "", map[string]any{
			"name": "dc01", "sys_class_name": "cmdb_ci_win_server",
			"owned_by":            map[string]any{"link": "http://example.com/api/now/table/sys_user/" + owner, "value": owner},
			"sys_tags":            makeID("tag", "ad") + "," + makeID("tag", "crown-jewel"),
			"busines_criticality": "1 - most critical",
		}},
		{"true", "sysparm_display_value=true&sysparm_exclude_reference_link=true", map[string]any{
			"name": "dc01", "sys_class_name": "Windows Server", "owned_by": "Identity Team",
			"sys_tags": "ad, crown-jewel", "busines_criticality": "1 - most critical",
		}},
		{"true with links", "sysparm_display_value=true", map[string]any{
			"name": "dc01", "sys_class_name": "Windows Server",
			"owned_by":            map[string]any{"display_value": "Identity Team", "link": "http://example.com/api/now/table/sys_user/" + owner},
			"sys_tags":            "ad, crown-jewel",
			"busines_criticality": "1 - most critical",
		}},
		{"all", "sysparm_display_value=all&sysparm_exclude_reference_link=true", map[string]any{
			"name":                map[string]any{"display_value": "dc01", "value": "dc01"},
			"sys_class_name":      map[string]any{"display_value": "Windows Server", "value": "cmdb_ci_win_server"},
			"owned_by":            map[string]any{"display_value": "Identity Team", "value": owner},
			"sys_tags":            map[string]any{"display_value": "ad, crown-jewel", "value": makeID("tag", "ad") + "," + makeID("tag", "crown-jewel")},
			"busines_criticality": map[string]any{"display_value": "1 - most critical", "value": "1 - most critical"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, "/api/now/table/cmdb_ci?"+tt.params+fields, basic)
			res := r.body["result"].([]any)
			// u_socflow_tier is left out: no record has it, so the table
			// does not.
			if got := res[0].(map[string]any); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record = %v\nwant      %v", got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := New(records()...)
	sysID := s.records[0].SysID
	tests := []struct {
		name, target string
		auth         func(*http.Request)
		want         int
		message      string
	}{
		{"no credentials", "/api/now/table/cmdb_ci", nil, 401, "User Not Authenticated"},
		{"wrong password", "/api/now/table/cmdb_ci", func(r *http.Request) { r.SetBasicAuth(DefaultUser, "nope") }, 401, "User Not Authenticated"},
		{"wrong token", "/api/now/table/cmdb_ci", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401, "User Not Authenticated"},
		{"token", "/api/now/table/cmdb_ci", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+DefaultToken) }, 200, ""},
		{"unknown table", "/api/now/table/cmdb_ci_nope", basic, 400, "Invalid table cmdb_ci_nope"},
		{"unknown API", "/api/now/v2/nope", basic, 400, "Requested URI does not represent any resource"},
		{"by sys_id", "/api/now/table/cmdb_ci/" + sysID, basic, 200, ""},
		{"by sys_id, wrong table", "/api/now/table/cmdb_ci_printer/" + sysID, basic, 404, "No Record found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, tt.target, tt.auth)
			if r.code != tt.want {
				t.Fatalf("status %d, want %d: %v", r.code, tt.want, r.body)
			}
			if tt.want == 200 {
				return
			}
			e, _ := r.body["error"].(map[string]any)
			if e["message"] != tt.message || r.body["status"] != "failure" {
				t.Errorf("body = %v, want message %q", r.body, tt.message)
			}
			if tt.want == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestFailNextAndCalls(t *testing.T) {
	s := New(records()...)
	s.FailNext("", http.StatusTooManyRequests, 2, "7")
	for range 2 {
		if r := get(t, s, "/api/now/table/cmdb_ci", basic); r.code != 429 || r.header.Get("Retry-After") != "7" {
			t.Fatalf("fault = %d, Retry-After %q", r.code, r.header.Get("Retry-After"))
		}
	}
	if r := get(t, s, "/api/now/table/cmdb_ci?sysparm_query=name%3Ddc01", basic); r.code != 200 {
		t.Fatalf("after the faults = %d", r.code)
	}
	calls := s.Calls()
	if len(calls) != 3 || calls[0].Status != 429 || calls[2].Status != 200 {
		t.Fatalf("calls = %+v", calls)
	}
	c := calls[2]
	if c.Table != "cmdb_ci" || c.Auth != "basic" || c.User != DefaultUser || c.Query.Get("sysparm_query") != "name=dc01" || c.RawQuery != "sysparm_query=name%3Ddc01" {
		t.Errorf("call = %+v", c)
	}
}

func TestCredentials(t *testing.T) {
	s := New(records()...)
	s.SetBasicAuth("other", "secret")
	s.SetToken("")
	if r := get(t, s, "/api/now/table/cmdb_ci", basic); r.code != 401 {
		t.Errorf("old password = %d, want 401", r.code)
	}
	if r := get(t, s, "/api/now/table/cmdb_ci", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+DefaultToken) }); r.code != 401 {
		t.Errorf("disabled token = %d, want 401", r.code)
	}
	if r := get(t, s, "/api/now/table/cmdb_ci", func(r *http.Request) { r.SetBasicAuth("other", "secret") }); r.code != 200 {
		t.Errorf("new password = %d, want 200", r.code)
	}
}

func TestStart(t *testing.T) {
	s := New(records()...)
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Start(""); err == nil {
		t.Error("second Start did not fail")
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/now/table/cmdb_ci?sysparm_query=name%3Dprn-3f", nil)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, decode %v", resp.StatusCode, err)
	}
	if got := names(t, body); !slices.Equal(got, []string{"prn-3f"}) {
		t.Errorf("result = %v", got)
	}
}
