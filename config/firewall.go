package config

import (
	"errors"
	"fmt"

	"github.com/socflow/socflow/integrations/firewall"
	"github.com/socflow/socflow/integrations/httptemplate"
	"github.com/socflow/socflow/integrations/panos"
)

// Firewall is the firewall that blocks addresses (integrations.firewall).
// When configured it blocks in place of the EDR. Provider "panos" is a
// Palo Alto Networks firewall (auth.token holds its API key); "http" is
// any HTTP API, described by a request to block and one to unblock:
//
//	firewall:
//	  provider: http
//	  url: https://fw.example/api/
//	  auth: {token: $FIREWALL_TOKEN}
//	  block:
//	    url: blocks?source=socflow
//	    body: '{"address": {{json .IP}}, "note": {{json .Comment}}}'
//	    expect: {status: [201], ref: /data/id}
//	  unblock:
//	    method: DELETE
//	    url: 'blocks/{{urlpath .Ref}}'
//	    expect: {status: [204, 404]}
type Firewall struct {
	Service `yaml:",inline"`
	// Block and Unblock are the http provider's requests.
	Block   HTTPRequest `yaml:"block" json:"block"`
	Unblock HTTPRequest `yaml:"unblock" json:"unblock"`
	// AddressGroup is the panos provider's static address group, which a
	// deny rule uses.
	AddressGroup string `yaml:"address_group" json:"address_group,omitempty"`
	// Vsys is the panos provider's virtual system (vsys1 when empty).
	Vsys string `yaml:"vsys" json:"vsys,omitempty"`
}

// HTTPRequest is one request of an http provider (integrations.firewall,
// integrations.mail). URL, headers and body are Go text/templates over
// the integration's fields (the firewall's .IP, the mail gateway's
// .Domain; both have .Comment, .Ref, the block's reference, for the
// unblock, and .Token), each value escaped for where it goes: {{urlpath
// .IP}} or {{urlquery .IP}} in the URL, {{json .IP}} in a JSON body (json
// writes the quotes).
type HTTPRequest struct {
	Method  string            `yaml:"method" json:"method,omitempty"`
	URL     string            `yaml:"url" json:"url,omitempty"`
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	Body    string            `yaml:"body" json:"body,omitempty"`
	Expect  struct {
		// Status are the codes of success (any 2xx when empty).
		Status []int `yaml:"status" json:"status,omitempty"`
		// Absent are the codes that say the thing asked about is not
		// there: a state request's 404 (integrations.mail.state only).
		Absent []int `yaml:"absent" json:"absent,omitempty"`
		// Ref is a JSON pointer into the answer to the reference.
		Ref string `yaml:"ref" json:"ref,omitempty"`
	} `yaml:"expect" json:"expect"`
}

// FirewallRequest is the firewall's HTTPRequest, by its older name.
type FirewallRequest = HTTPRequest

// Request is the request as package httptemplate (and so the firewall
// and mail packages) takes it.
func (r HTTPRequest) Request() httptemplate.Request {
	return httptemplate.Request{Method: r.Method, URL: r.URL, Header: r.Headers, Body: r.Body,
		Status: r.Expect.Status, Absent: r.Expect.Absent, Ref: r.Expect.Ref}
}

// addTemplateErrors reports a request's compile errors at their fields
// (field.expect.ref).
func addTemplateErrors(p *problems, field string, err error) {
	for _, e := range flatten(err) {
		var fe *httptemplate.FieldError
		if errors.As(e, &fe) {
			p.add(field+"."+fe.Field, "%v", fe.Err)
		} else {
			p.add(field, "%v", e)
		}
	}
}

// FirewallProviders are the names integrations.firewall.provider accepts.
var FirewallProviders = []string{"", "http", "panos"}

func (f Firewall) validate(p *problems) {
	const field = "integrations.firewall"
	f.Service.validate(field, FirewallProviders, p)
	switch f.Provider {
	case "http":
		if CheckHTTPURL(f.URL) != nil {
			return // reported; the requests resolve against it
		}
		for _, r := range []struct {
			name string
			req  HTTPRequest
		}{{"block", f.Block}, {"unblock", f.Unblock}} {
			if err := firewall.Compile(r.req.Request(), f.URL, r.name == "unblock"); err != nil {
				addTemplateErrors(p, fmt.Sprintf("%s.%s", field, r.name), err)
			}
		}
	case "panos":
		if f.AddressGroup == "" {
			p.add(field+".address_group", "is required: the static address group a deny rule uses")
		} else if err := panos.CheckGroup(f.AddressGroup); err != nil {
			p.add(field+".address_group", "%v", err)
		}
		if f.Vsys != "" {
			if err := panos.CheckVsys(f.Vsys); err != nil {
				p.add(field+".vsys", "%v", err)
			}
		}
		if m := f.AuthMethod(); m != "" && m != AuthToken {
			p.add(field+".auth", "PAN-OS takes an API key: set auth.token, not %s", m)
		}
	}
}
