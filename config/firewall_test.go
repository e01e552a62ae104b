package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/socflow/socflow/config"
)

const httpFirewall = `integrations:
  firewall:
    provider: http
    url: https://fw.example/api/
    auth: {token: $FW_TOKEN}
    block:
      url: blocks
      headers: {X-Source: socflow}
      body: '{"address": {{json .IP}}, "note": {{json .Comment}}}'
      expect: {status: [201], ref: /data/id}
    unblock:
      url: 'blocks/{{urlpath .Ref}}'
      expect: {status: [204, 404]}
`

func TestFirewallHTTP(t *testing.T) {
	c, err := config.Parse([]byte(httpFirewall), "s.yaml", env(map[string]string{"FW_TOKEN": "fw-s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Integrations.Firewall
	if f.Provider != "http" || f.Token.Value() != "fw-s3cret" || f.Block.Expect.Ref != "/data/id" || f.Unblock.Request().Status[1] != 404 {
		t.Errorf("firewall = %+v", f)
	}
	b, err := json.Marshal(c)
	if err != nil || strings.Contains(string(b), "fw-s3cret") || !strings.Contains(string(b), `"firewall":{"provider":"http"`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}

// TestFirewallTemplateErrors: a template that does not parse, names a
// field that does not exist or writes a value unescaped is refused at
// load, at the file, line and field of the template.
func TestFirewallTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"parse", "'blocks/{{urlpath .Ref}}'", "'blocks/{{urlpath .Ref'", "s.yaml:12: integrations.firewall.unblock.url: template: url:1: unclosed action"},
		{"unknown field", "'blocks/{{urlpath .Ref}}'", "'blocks/{{urlpath .Id}}'", "s.yaml:12: integrations.firewall.unblock.url: template: url:1:17: executing \"url\" at <.Id>: can't evaluate field Id in type firewall.Data (the fields are .IP, .Comment, .Ref and .Token)"},
		{"unescaped", "{{json .Comment}}}'", "\"{{.Comment}}\"}'", "s.yaml:9: integrations.firewall.block.body: {{.Comment}} not escaped"},
		{"header", "X-Source: socflow", "X-Source: '{{.Nope}}'", "s.yaml:8: integrations.firewall.block.headers.X-Source: "},
		{"pointer", "ref: /data/id", "ref: data.id", "s.yaml:10: integrations.firewall.block.expect.ref: "},
	} {
		yml := strings.Replace(httpFirewall, tc.from, tc.to, 1)
		_, err := config.Parse([]byte(yml), "s.yaml", env(map[string]string{"FW_TOKEN": "t"}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *config.Error", tc.name, err)
		}
	}
}

func TestFirewallPANOS(t *testing.T) {
	head := "integrations:\n  firewall:\n    provider: panos\n    url: https://fw.example\n"
	vars := env(map[string]string{"PANOS_KEY": "k", "PW": "p"})
	c, err := config.Parse([]byte(head+"    auth: {token: $PANOS_KEY}\n    address_group: socflow-blocked\n"), "s.yaml", vars)
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Integrations.Firewall; f.AddressGroup != "socflow-blocked" || f.Token.Value() != "k" {
		t.Errorf("firewall = %+v", f)
	}
	for _, tc := range []struct{ yml, want string }{
		{"    auth: {token: $PANOS_KEY}\n", "s.yaml:3: integrations.firewall.address_group: is required"},
		{"    auth: {token: $PANOS_KEY}\n    address_group: \"x']/y\"\n", "s.yaml:6: integrations.firewall.address_group: "},
		{"    auth: {token: $PANOS_KEY}\n    address_group: g\n    vsys: all\n", "s.yaml:7: integrations.firewall.vsys: "},
		{"    auth: {basic: {username: u, password: $PW}}\n    address_group: g\n", "integrations.firewall.auth: PAN-OS takes an API key"},
		{"    address_group: g\n", "integrations.firewall.token: is required"},
	} {
		if _, err := config.Parse([]byte(head+tc.yml), "s.yaml", vars); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yml, err, tc.want)
		}
	}
	if _, err := config.Parse([]byte("integrations:\n  firewall: {provider: checkpoint}\n"), "s.yaml", vars); err == nil || !strings.Contains(err.Error(), `"checkpoint" is not one of`) {
		t.Errorf("unknown provider: %v", err)
	}
}
