package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/socflow/socflow/config"
)

const httpMail = `integrations:
  mail:
    provider: http
    url: https://mailgw.example/api/v1/
    auth: {token: $MAIL_TOKEN}
    block:
      url: blocked-senders
      body: '{"domain": {{json .Domain}}, "note": {{json .Comment}}}'
      expect: {status: [201], ref: /id}
    unblock:
      url: 'blocked-senders/{{urlpath .Ref}}'
      expect: {status: [204, 404]}
    state:
      url: 'blocked-senders/by-domain/{{urlpath .Domain}}'
      expect: {status: [200], absent: [404], ref: /id}
`

func TestMailHTTP(t *testing.T) {
	c, err := config.Parse([]byte(httpMail), "s.yaml", env(map[string]string{"MAIL_TOKEN": "mail-s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Integrations.Mail
	mc := m.Config(m.Token.Value())
	if m.Provider != "http" || m.Token.Value() != "mail-s3cret" || mc.State.Absent[0] != 404 || mc.Block.Ref != "/id" || mc.Unblock.Status[1] != 404 {
		t.Errorf("mail = %+v", m)
	}
	b, err := json.Marshal(c)
	if err != nil || strings.Contains(string(b), "mail-s3cret") || !strings.Contains(string(b), `"mail":{"provider":"http"`) {
		t.Errorf("JSON %s, %v", b, err)
	}
	// Not configured: left out of the JSON, valid without requests.
	c, err = config.Parse([]byte("integrations:\n  mail: {provider: \"\"}\n"), "s.yaml", env(nil))
	if b, _ := json.Marshal(c); err != nil || strings.Contains(string(b), `"mail"`) {
		t.Errorf("no mail gateway: %v, JSON %s", err, b)
	}
}

// TestMailTemplateErrors: each problem is reported at the file, line and
// field of the template: a firewall field, a missing block, an absent
// answer on a block, an unknown provider.
func TestMailTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"firewall field", "{{urlpath .Ref}}'", "{{urlpath .IP}}'", "s.yaml:11: integrations.mail.unblock.url: template: url:1:26: executing \"url\" at <.IP>: can't evaluate field IP in type mail.Data (the fields are .Domain, .Comment, .Ref and .Token)"},
		{"no block url", "      url: blocked-senders\n", "", "integrations.mail.block.url: is required"},
		{"absent on a block", "expect: {status: [201], ref: /id}", "expect: {status: [201], absent: [404], ref: /id}", "integrations.mail.block.expect.absent: only the state request"},
		{"unescaped state", "by-domain/{{urlpath .Domain}}", "by-domain/{{.Domain}}", "s.yaml:14: integrations.mail.state.url: {{.Domain}} not escaped"},
		{"provider", "provider: http", "provider: mimecast", `integrations.mail.provider: "mimecast" is not one of ["http"]`},
		{"no token", "    auth: {token: $MAIL_TOKEN}\n", "", "integrations.mail.token: is required"},
	} {
		yml := strings.Replace(httpMail, tc.from, tc.to, 1)
		_, err := config.Parse([]byte(yml), "s.yaml", env(map[string]string{"MAIL_TOKEN": "t"}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant %q", tc.name, err, tc.want)
		}
	}
}

// A firewall request has no answer that means "not blocked".
func TestFirewallRefusesAbsent(t *testing.T) {
	yml := strings.Replace(httpFirewall, "expect: {status: [204, 404]}", "expect: {status: [204], absent: [404]}", 1)
	_, err := config.Parse([]byte(yml), "s.yaml", env(map[string]string{"FW_TOKEN": "t"}))
	if err == nil || !strings.Contains(err.Error(), "integrations.firewall.unblock.expect.absent: ") {
		t.Errorf("%v", err)
	}
}
