// Package mail blocks sender domains at a mail gateway through its HTTP
// API, which socflow has no client for: there is no common API across
// gateways, so the configuration describes the calls as request templates
// (integrations.mail with provider http). One request blocks a domain,
// one lifts the block, and an optional third reads whether a domain is
// blocked; without it, the expected answer to the block is the only
// confirmation there is. The templates are package httptemplate's:
// compiled and tried when the configuration loads, every value escaped
// for where it goes, and every domain checked (alert.CheckDomain) before
// it reaches one, so that a sender from a phishing alert cannot rewrite
// the request.
package mail

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httptemplate"
	"github.com/socflow/socflow/integrations/httpx"
)

// Request is one call to the gateway's API, as the configuration writes
// it: every text but the method is a text/template over [Data].
type Request = httptemplate.Request

// FieldError is a problem with one field of a [Request].
type FieldError = httptemplate.FieldError

// Data is what a template sees. Each value must be escaped for where it
// goes: {{urlpath .Domain}} in a URL's path, {{urlquery .Domain}} in its
// query, {{json .Domain}} in a JSON body (json writes the quotes),
// {{xml .Domain}} in an XML one.
type Data struct {
	// Domain is the sender domain, lower case, without a trailing dot.
	Domain  string
	Comment string
	// Ref is the block's reference (the block's or the state's answer at
	// expect.ref), for the unblock.
	Ref string
	// Token is the service's API token (auth.token), for APIs that want
	// it in a header of their own or the query.
	Token string
}

var fields = httptemplate.Fields{
	Sample: Data{Domain: `evil.example"}, {"x/?&#`, Comment: "socflow \"test\"\n</x>", Ref: "ref/1?&", Token: "token"},
	Plain:  Data{Domain: "evil.example", Comment: "socflow", Ref: "ref-1", Token: "token"},
	Names:  ".Domain, .Comment, .Ref and .Token",
}

// The requests a gateway is described by, each with its default method.
const (
	RequestBlock   = "block"
	RequestUnblock = "unblock"
	RequestState   = "state"
)

var methods = map[string]string{RequestBlock: http.MethodPost, RequestUnblock: http.MethodDelete, RequestState: http.MethodGet}

// Compile parses and checks one request, which is RequestBlock,
// RequestUnblock or RequestState (see httptemplate.Compile). Only the
// state request may have expect.absent: the answer that says a domain is
// not blocked.
func Compile(r Request, base, which string) error {
	_, err := compile(r, base, which)
	return err
}

func compile(r Request, base, which string) (*httptemplate.Template, error) {
	m, ok := methods[which]
	if !ok {
		return nil, fmt.Errorf("mail: no %q request: block, unblock or state", which)
	}
	if which != RequestState && len(r.Absent) > 0 {
		return nil, &FieldError{Field: "expect.absent", Err: fmt.Errorf("only the state request has an answer that means not blocked")}
	}
	return httptemplate.Compile(r, base, m, fields)
}

// Config is the adapter's configuration.
type Config struct {
	// URL is the service's base URL, which request URLs are resolved
	// against.
	URL string
	// Token is the API token: sent as "Authorization: Bearer <token>"
	// unless a template places {{.Token}} itself. Empty when the
	// credential travels in the HTTP client's transport.
	Token   string
	Block   Request
	Unblock Request
	// State, when its URL is set, reads whether a domain is blocked: an
	// answer of expect.status is blocked (its reference at expect.ref,
	// when set: a search that answers 200 with no match at the pointer is
	// not blocked), one of expect.absent is not.
	State Request
}

// Client blocks and unblocks sender domains with the configured requests.
type Client struct {
	c       httptemplate.Client
	block   *httptemplate.Template
	unblock *httptemplate.Template
	state   *httptemplate.Template // nil: the gateway's state is not read
}

// New compiles the configured requests (see [Compile]). A nil hc gets a
// private client with a 30s timeout.
func New(hc *http.Client, c Config) (*Client, error) {
	base, err := httpx.BaseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("mail: base URL %q: want http(s)://host[/path]", c.URL)
	}
	out := &Client{}
	for _, r := range []struct {
		which string
		req   Request
		to    **httptemplate.Template
	}{{RequestBlock, c.Block, &out.block}, {RequestUnblock, c.Unblock, &out.unblock}, {RequestState, c.State, &out.state}} {
		if r.which == RequestState && strings.TrimSpace(r.req.URL) == "" {
			continue
		}
		t, err := compile(r.req, c.URL, r.which)
		if err != nil {
			return nil, fmt.Errorf("mail: %s: %w", r.which, err)
		}
		*r.to = t
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	out.c = httptemplate.Client{Name: "mail", HC: hc, Base: base, Token: c.Token}
	return out, nil
}

// Block is a sender domain's block as the state request reads it.
type Block struct {
	// Known is false when no state request is configured: nothing was
	// read.
	Known   bool
	InForce bool
	// Ref is the block's reference at the state request's expect.ref.
	Ref string
}

// domain checks a sender domain and spells it the one way the templates
// see it.
func (c *Client) domain(t *httptemplate.Template, d string) (string, error) {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	if err := alert.CheckDomain(d); err != nil {
		return "", c.c.Refuse(t, err.Error())
	}
	return d, nil
}

// DomainBlock reads whether domain is blocked, with the state request;
// without one it reads nothing and says so (Known false). Reading it is
// all the client does: the caller decides.
func (c *Client) DomainBlock(ctx context.Context, domain string) (Block, error) {
	if c.state == nil {
		return Block{}, nil
	}
	d, err := c.domain(c.state, domain)
	if err != nil {
		return Block{}, err
	}
	a, err := c.c.Send(ctx, c.state, Data{Domain: d, Token: c.c.Token})
	if err != nil || a.Absent {
		return Block{Known: err == nil}, err
	}
	ref, ok, err := c.state.Ref(a)
	if err != nil {
		return Block{}, fmt.Errorf("mail: state of %s: answer: %w", d, err)
	}
	return Block{Known: true, InForce: ok, Ref: ref}, nil
}

// BlockSenderDomain sends the block request for domain and returns the
// reference the answer holds at the configured pointer ("" without one).
// A value that is not a domain (a URL, an address, "*.example.com") is
// refused before anything is sent.
func (c *Client) BlockSenderDomain(ctx context.Context, domain, comment string) (string, error) {
	d, err := c.domain(c.block, domain)
	if err != nil {
		return "", err
	}
	a, err := c.c.Send(ctx, c.block, Data{Domain: d, Comment: comment, Token: c.c.Token})
	if err != nil {
		return "", err
	}
	return c.c.RequireRef(c.block, a)
}

// UnblockSenderDomain sends the unblock request; ref is what
// BlockSenderDomain returned. An unblock that needs a reference and is
// given none takes the one the state request reads, when there is one.
func (c *Client) UnblockSenderDomain(ctx context.Context, domain, ref string) error {
	d, err := c.domain(c.unblock, domain)
	if err != nil {
		return err
	}
	if c.unblock.UsesRef() && ref == "" {
		b, err := c.DomainBlock(ctx, d)
		switch {
		case err != nil:
			return err
		case b.Known && !b.InForce:
			return nil // nothing to lift
		case b.Ref == "":
			return c.c.Refuse(c.unblock, "the unblock request needs the block's reference, and there is none")
		}
		ref = b.Ref
	}
	_, err = c.c.Send(ctx, c.unblock, Data{Domain: d, Ref: ref, Token: c.c.Token})
	return err
}
