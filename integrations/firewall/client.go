// Package firewall blocks addresses through a firewall's HTTP API that
// socflow has no client for, driven by request templates in the
// configuration (integrations.firewall with provider http): one request
// blocks, one lifts the block, and the answer's status says whether it
// worked. The templates are package httptemplate's: compiled and tried
// when the configuration loads, every value escaped for where it goes, so
// that an address or a comment from an alert cannot rewrite the request.
package firewall

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httptemplate"
	"github.com/socflow/socflow/integrations/httpx"
)

// Request is one call to the firewall's API, as the configuration writes
// it: every text but the method is a text/template over [Data].
type Request = httptemplate.Request

// FieldError is a problem with one field of a [Request].
type FieldError = httptemplate.FieldError

// Data is what a template sees. Each value must be escaped for where it
// goes: {{urlpath .IP}} in a URL's path, {{urlquery .IP}} in its query,
// {{json .Comment}} in a JSON body (json writes the quotes), {{xml .IP}}
// in an XML one.
type Data struct {
	IP      string
	Comment string
	// Ref is the block's reference, for the unblock.
	Ref string
	// Token is the service's API token (auth.token), for APIs that want
	// it in a header of their own or the query.
	Token string
}

// fields are Data's, for httptemplate: an IP that needs escaping
// everywhere, and one that needs none.
var fields = httptemplate.Fields{
	Sample: Data{IP: `192.0.2.1"}, {"x/?&#`, Comment: "socflow \"test\"\n</x>", Ref: "ref/1?&", Token: "token"},
	Plain:  Data{IP: "192.0.2.1", Comment: "socflow", Ref: "ref-1", Token: "token"},
	Names:  ".IP, .Comment, .Ref and .Token",
}

// Compile parses and checks a request (see httptemplate.Compile); unblock
// picks the default method, DELETE rather than POST.
func Compile(r Request, base string, unblock bool) error {
	_, err := compile(r, base, unblock)
	return err
}

func compile(r Request, base string, unblock bool) (*httptemplate.Template, error) {
	if len(r.Absent) > 0 {
		// The firewall reads no state: no answer means "not blocked".
		return nil, &FieldError{Field: "expect.absent", Err: fmt.Errorf("a firewall request has no answer that means not blocked: only integrations.mail.state does")}
	}
	method := http.MethodPost
	if unblock {
		method = http.MethodDelete
	}
	return httptemplate.Compile(r, base, method, fields)
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
}

// Client blocks and unblocks addresses with the configured requests. It
// cannot read whether an address is blocked: the expected answer to the
// block request is the only confirmation there is.
type Client struct {
	c       httptemplate.Client
	block   *httptemplate.Template
	unblock *httptemplate.Template
}

// New compiles the configured requests (see [Compile]). A nil hc gets a
// private client with a 30s timeout.
func New(hc *http.Client, c Config) (*Client, error) {
	base, err := httpx.BaseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("firewall: base URL %q: want http(s)://host[/path]", c.URL)
	}
	block, err := compile(c.Block, c.URL, false)
	if err != nil {
		return nil, fmt.Errorf("firewall: block: %w", err)
	}
	unblock, err := compile(c.Unblock, c.URL, true)
	if err != nil {
		return nil, fmt.Errorf("firewall: unblock: %w", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{c: httptemplate.Client{Name: "firewall", HC: hc, Base: base, Token: c.Token}, block: block, unblock: unblock}, nil
}

// BlockIP sends the block request for a single address and returns the
// reference the answer holds at the configured pointer ("" without one).
func (c *Client) BlockIP(ctx context.Context, ip, comment string) (string, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", c.c.Refuse(c.block, fmt.Sprintf("%q is not a single IP address", ip))
	}
	a, err := c.c.Send(ctx, c.block, Data{IP: addr.String(), Comment: comment, Token: c.c.Token})
	if err != nil {
		return "", err
	}
	return c.c.RequireRef(c.block, a)
}

// UnblockIP sends the unblock request; ref is what BlockIP returned.
func (c *Client) UnblockIP(ctx context.Context, ip, ref string) error {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return c.c.Refuse(c.unblock, fmt.Sprintf("%q is not a single IP address", ip))
	}
	if c.unblock.UsesRef() && ref == "" {
		return c.c.Refuse(c.unblock, "the unblock request needs the block's reference, and there is none")
	}
	_, err = c.c.Send(ctx, c.unblock, Data{IP: addr.String(), Ref: ref, Token: c.c.Token})
	return err
}
