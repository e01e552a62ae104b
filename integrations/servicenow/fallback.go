package servicenow

import (
	"context"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/cmdb"
)

// Lookup is an inventory that answers from memory, such as
// *cmdb.Inventory.
type Lookup interface {
	// Find returns the best record for the host names and addresses, or
	// nil.
	Find(hosts, ips []string) *alert.Asset
}

// Combined asks a static inventory first and ServiceNow second; build it
// with Fallback.
type Combined struct {
	static Lookup
	live   *Client
}

// Fallback returns a Combined that answers from static when it knows the
// host by name or address, and from live otherwise. Either may be nil, and
// then only the other is asked.
func Fallback(static Lookup, live *Client) *Combined {
	return &Combined{static: static, live: live}
}

// FindContext returns the best record, or nil. A static match by host
// name or address is final, with no call. A static match by CIDR range
// only is kept when ServiceNow knows nothing better or fails, since a
// range stands for many machines and ServiceNow may know the one; when
// ServiceNow fails and there is no static match at all, its error is
// returned.
func (c *Combined) FindContext(ctx context.Context, hosts, ips []string) (*alert.Asset, error) {
	var static *alert.Asset
	if c.static != nil {
		static = c.static.Find(hosts, ips)
		if static != nil && static.MatchedBy != cmdb.MatchedByCIDR {
			return static, nil
		}
	}
	if c.live == nil {
		return static, nil
	}
	live, err := c.live.Find(ctx, hosts, ips)
	switch {
	case live != nil:
		return live, nil
	case static != nil:
		return static, nil
	}
	return nil, err
}
