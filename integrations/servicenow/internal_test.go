package servicenow

import (
	"encoding/json"
	"testing"
)

func TestValidHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"dc01", true},
		{"dc01.corp.example", true},
		{"web_01-a", true},
		{"xn--bcher-kva.example", true},
		{"", false},
		{"dc01..corp", false},
		{".dc01", false},
		{"dc01^ORname=x", false},
		{"a,b", false},
		{"a=b", false},
		{"two words", false},
		{"dc01%5e", false},
		{"bücher.example", false},
		{"DC01", false}, // callers pass hostKey's lower-case form
	}
	for _, tt := range tests {
		if got := validHost(tt.host); got != tt.want {
			t.Errorf("validHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name       string
		hosts, ips []string
		want       string
	}{
		{"short name", []string{"dc01"}, nil, "nameINdc01^ORfqdnINdc01^ORnameSTARTSWITHdc01.^ORfqdnSTARTSWITHdc01."},
		{"qualified name", []string{"dc01.corp.example"}, nil, "nameINdc01.corp.example,dc01^ORfqdnINdc01.corp.example"},
		{"addresses only", nil, []string{"10.0.0.10", "2001:DB8::1", "::ffff:10.0.0.11"}, "ip_addressIN10.0.0.10,2001:db8::1,10.0.0.11"},
		{"host address joins the addresses first", []string{"10.0.0.9"}, []string{"10.0.0.10"}, "ip_addressIN10.0.0.9,10.0.0.10"},
		{"duplicates once", []string{"a.x", "A.X.", "a"}, nil, "nameINa.x,a^ORfqdnINa.x,a^ORnameSTARTSWITHa.^ORfqdnSTARTSWITHa."},
		{"invalid dropped", []string{"x^ORy", "ok"}, []string{"1.2.3.4^OR"}, "nameINok^ORfqdnINok^ORnameSTARTSWITHok.^ORfqdnSTARTSWITHok."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newQuery(tt.hosts, tt.ips).encode(); got != tt.want {
				t.Errorf("encode = %q\nwant     %q", got, tt.want)
			}
		})
	}
}

func TestQueryBounded(t *testing.T) {
	var hosts, ips []string
	for i := range 50 {
		hosts = append(hosts, "h"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		ips = append(ips, "10.0.0."+string(rune('0'+i%10))+string(rune('0'+i/10)))
	}
	q := newQuery(hosts, ips)
	if len(q.hosts) != maxValues || len(q.addrs) != maxValues || q.hosts[0] != "haa" {
		t.Errorf("query kept %d names (first %q) and %d addresses, want the first %d of each", len(q.hosts), q.hosts[0], len(q.addrs), maxValues)
	}
}

func TestFieldShapes(t *testing.T) {
	tests := []struct {
		json           string
		display, value string
	}{
		{`"Identity Team"`, "Identity Team", "Identity Team"},
		{`null`, "", ""},
		{`{"display_value": "Identity Team", "value": "6816f79cc0a8016401c5a33be04be441"}`, "Identity Team", "6816f79cc0a8016401c5a33be04be441"},
		{`{"display_value": "Identity Team", "link": "https://x/api/now/table/sys_user/1"}`, "Identity Team", ""},
		{`{"link": "https://x/api/now/table/sys_user/1", "value": "1"}`, "", "1"},
		{`{"display_value": null, "value": ""}`, "", ""},
		{`2`, "2", "2"},
		{`true`, "true", "true"},
	}
	for _, tt := range tests {
		var f field
		if err := json.Unmarshal([]byte(tt.json), &f); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		if f.display != tt.display || f.value != tt.value {
			t.Errorf("%s = {%q, %q}, want {%q, %q}", tt.json, f.display, f.value, tt.display, tt.value)
		}
	}
}

func TestExplain(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`,
			"User Not Authenticated: Required to provide Auth information"},
		{`{"error":{"message":"Invalid table cmdb_ci_nope","detail":null},"status":"failure"}`, "Invalid table cmdb_ci_nope"},
		{`{"error":{"message":"No Record found","detail":"No Record found"},"status":"failure"}`, "No Record found"},
		{`<html>Service Unavailable</html>`, `<html>Service Unavailable</html>`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := explain(tt.body); got != tt.want {
			t.Errorf("explain(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
