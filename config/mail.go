package config

import (
	"strings"

	"github.com/socflow/socflow/integrations/mail"
)

// Mail is the mail gateway that blocks sender domains
// (integrations.mail), for block_sender_domain. Gateways share no API, so
// provider "http" describes any HTTP API by a request that blocks a
// domain, one that lifts the block and, optionally, one that reads
// whether a domain is blocked (without it the block's expected answer is
// the confirmation, and a domain blocked before socflow came is not seen
// as such). The templates see .Domain (checked as a DNS name before any
// request), .Comment, .Ref and .Token:
//
//	mail:
//	  provider: http
//	  url: https://mailgw.example/api/v1/
//	  auth: {token: $MAIL_TOKEN}
//	  block:
//	    url: blocked-senders
//	    body: '{"domain": {{json .Domain}}, "note": {{json .Comment}}}'
//	    expect: {status: [201], ref: /id}
//	  unblock:
//	    url: 'blocked-senders/{{urlpath .Ref}}'
//	    expect: {status: [204, 404]}
//	  state:
//	    url: 'blocked-senders?domain={{urlquery .Domain}}'
//	    expect: {status: [200], ref: /items/0/id}
//
// A state answer of expect.status is blocked, with its reference at
// expect.ref (a search answered without a match there is not blocked);
// one of expect.absent (a 404) is not blocked.
type Mail struct {
	Service `yaml:",inline"`
	Block   HTTPRequest `yaml:"block" json:"block"`
	Unblock HTTPRequest `yaml:"unblock" json:"unblock"`
	State   HTTPRequest `yaml:"state" json:"state"`
}

// MailProviders are the names integrations.mail.provider accepts.
var MailProviders = []string{"", "http"}

// Config is the block as package mail takes it; token is the API token
// when the template or the bearer header carries it ("" when the
// transport does).
func (m Mail) Config(token string) mail.Config {
	return mail.Config{URL: m.URL, Token: token, Block: m.Block.Request(), Unblock: m.Unblock.Request(), State: m.State.Request()}
}

func (m Mail) validate(p *problems) {
	const field = "integrations.mail"
	m.Service.validate(field, MailProviders, p)
	if m.Provider != "http" || CheckHTTPURL(m.URL) != nil {
		return // nothing configured, or reported: the requests resolve against the URL
	}
	for _, r := range []struct {
		name string
		req  HTTPRequest
	}{{mail.RequestBlock, m.Block}, {mail.RequestUnblock, m.Unblock}, {mail.RequestState, m.State}} {
		if r.name == mail.RequestState && strings.TrimSpace(r.req.URL) == "" {
			continue // no state read: optional
		}
		if err := mail.Compile(r.req.Request(), m.URL, r.name); err != nil {
			addTemplateErrors(p, field+"."+r.name, err)
		}
	}
}
