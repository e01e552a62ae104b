// Package servicenow looks assets up live in a ServiceNow CMDB through the
// Table API: it answers the question cmdb.Inventory answers from files
// (which machine is this host name or address, who owns it, how critical
// is it) for sites whose inventory lives in ServiceNow.
//
// A lookup is one GET on /api/now/table/{table} whose encoded query asks
// for every configuration item that could match; the best one is then
// picked locally with cmdb's preference: host name (case-insensitive, a
// short name matching a fully qualified one and the reverse) before
// address, the earlier argument first. ServiceNow has no CIDR ranges on
// CIs, so "cidr" matches are the static inventory's (see Fallback).
//
// Alert data is attacker-influenced, and an encoded query has no escape
// for its separators: a host name carrying anything but letters, digits,
// '.', '-' and '_' (so no '^' or ',') is not sent at all, and addresses
// are sent in their parsed, canonical form.
package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// How an alert was matched to a CI, as alert.Asset.MatchedBy says it; the
// same words as package cmdb.
const (
	MatchedByHostname = "hostname"
	MatchedByIP       = "ip"
)

// DefaultTable is the table queried unless WithTable says otherwise: the
// base CI class, so that servers, workstations and network gear are all
// found. Sites whose CMDB is cleaner in a subclass use cmdb_ci_computer or
// cmdb_ci_server.
const DefaultTable = "cmdb_ci"

// DefaultTier is the tier of a CI whose criticality is missing or not
// understood: the middle of the scale, so that an incident is neither
// escalated nor buried on an unknown. Such an asset carries the tag
// TagTierDefaulted.
const DefaultTier = 3

// TagTierDefaulted marks an asset whose tier is DefaultTier because the CI
// said nothing usable, so that a responder does not read it as assessed.
const TagTierDefaulted = "tier-defaulted"

// Cache defaults: an alert storm repeats the same hosts for minutes, while
// a CI's owner or criticality changes over weeks.
const (
	DefaultCacheSize = 1000
	DefaultCacheTTL  = 10 * time.Minute
)

// Fields is the sysparm_fields list every lookup asks for.
const Fields = "name,fqdn,ip_address,sys_class_name,busines_criticality,business_criticality,u_socflow_tier,owned_by,assigned_to,managed_by,sys_tags,short_description,u_role"

// queryLimit is sysparm_limit: enough to see every candidate of one alert
// (duplicates, same short name in two domains) without paging.
const queryLimit = 10

// maxValues bounds the host names and addresses sent, so that an alert
// listing hundreds of addresses cannot build a URL the instance refuses;
// the earlier arguments win anyway.
const maxValues = 20

const defaultTimeout = 30 * time.Second

// DefaultCriticality maps the choices of ServiceNow's business criticality
// field to tiers.
func DefaultCriticality() map[string]int {
	return map[string]int{
		"1 - most critical":     1,
		"2 - somewhat critical": 2,
		"3 - less critical":     3,
		"4 - not critical":      4,
	}
}

type options struct {
	table       string
	token       string
	criticality map[string]int
	cacheSize   int
	cacheTTL    time.Duration
}

// Option configures a Client.
type Option func(*options)

// WithBearerToken authenticates with an OAuth access token instead of a
// user name and password; pass empty user and password to New with it.
func WithBearerToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithTable sets the CMDB table queried, such as "cmdb_ci_server"; the
// default is DefaultTable.
func WithTable(name string) Option {
	return func(o *options) { o.table = name }
}

// WithCriticality replaces DefaultCriticality: it maps the values of the
// business criticality field (compared ignoring case and surrounding
// space) to tiers 1-4, for sites that renamed or added choices.
func WithCriticality(m map[string]int) Option {
	return func(o *options) { o.criticality = m }
}

// WithCache sets how many answers are kept, "no such asset" included, and
// for how long; a negative size disables the cache, zero values keep
// DefaultCacheSize and DefaultCacheTTL.
func WithCache(size int, ttl time.Duration) Option {
	return func(o *options) { o.cacheSize, o.cacheTTL = size, ttl }
}

// Client looks assets up in one ServiceNow instance. It is safe for
// concurrent use.
type Client struct {
	hc    *http.Client
	base  string
	table string
	// auth is the Authorization header: it is built once and never printed.
	auth  string
	crit  map[string]int
	cache *cache
}

// New returns a client for the instance at baseURL
// (https://<instance>.service-now.com) that authenticates with user and
// password (basic authentication) or, with WithBearerToken, an OAuth
// token. A nil hc gets a private client with a 30s timeout. A missing URL
// or missing credentials are httpx.ErrNotConfigured.
func New(hc *http.Client, baseURL, user, password string, opts ...Option) (*Client, error) {
	o := options{table: DefaultTable, criticality: DefaultCriticality(), cacheSize: DefaultCacheSize, cacheTTL: DefaultCacheTTL}
	for _, opt := range opts {
		opt(&o)
	}
	baseURL = strings.TrimSpace(baseURL)
	if baseURL == "" {
		return nil, fmt.Errorf("servicenow: no instance URL: %w", httpx.ErrNotConfigured)
	}
	u, err := httpx.BaseURL(baseURL)
	if err != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("servicenow: instance URL %q: want https://<instance>.service-now.com", baseURL)
	}

	var auth string
	basic := user != "" || password != ""
	switch {
	case basic && o.token != "":
		return nil, errors.New("servicenow: both a user name and password and a bearer token are set: set one")
	case o.token != "":
		auth = "Bearer " + o.token
	case !basic:
		return nil, fmt.Errorf("servicenow: no credentials: set a user name and password, or a bearer token: %w", httpx.ErrNotConfigured)
	case user == "":
		return nil, fmt.Errorf("servicenow: password without a user name: %w", httpx.ErrNotConfigured)
	case password == "":
		return nil, fmt.Errorf("servicenow: user %q has no password: %w", user, httpx.ErrNotConfigured)
	default:
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}

	if !validTable(o.table) {
		return nil, fmt.Errorf("servicenow: table %q: want a table name such as cmdb_ci or cmdb_ci_server", o.table)
	}
	if len(o.criticality) == 0 {
		return nil, errors.New("servicenow: criticality map is empty: leave WithCriticality out to keep the default")
	}
	crit := make(map[string]int, len(o.criticality))
	for k, tier := range o.criticality {
		if tier < 1 || tier > 4 {
			return nil, fmt.Errorf("servicenow: criticality %q: tier %d: want 1 (most critical) to 4", k, tier)
		}
		crit[choiceKey(k)] = tier
	}

	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{hc: hc, base: strings.TrimRight(u.String(), "/"), table: o.table, auth: auth, crit: crit}
	if o.cacheSize >= 0 {
		size, ttl := o.cacheSize, o.cacheTTL
		if size == 0 {
			size = DefaultCacheSize
		}
		if ttl <= 0 {
			ttl = DefaultCacheTTL
		}
		c.cache = newCache(size, ttl)
	}
	return c, nil
}

// validTable accepts table names as ServiceNow makes them, scoped
// (x_vendor_app_table) and custom (u_table) ones included; anything else
// would be spliced into the URL path.
func validTable(name string) bool {
	if name == "" || len(name) > 80 {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Find returns the CI that best matches the alert's host names and
// addresses, or nil without an error when none does. Host names win over
// addresses and, among equals, the earlier argument wins; a host name that
// is an address is treated as one. A short name that is the first label of
// two different qualified names matches neither, as in cmdb, but two CIs
// with the very same name or address are taken for one machine recorded
// twice, and the more critical wins: over-rating an incident costs less
// than under-rating it. Failed calls are *httpx.StatusError (wrapped) with
// ServiceNow's message and detail; they are not cached.
func (c *Client) Find(ctx context.Context, hosts, ips []string) (*alert.Asset, error) {
	q := newQuery(hosts, ips)
	if q.empty() {
		return nil, nil
	}
	key := q.key()
	if c.cache != nil {
		if a, ok := c.cache.get(key); ok {
			return a, nil
		}
	}
	cis, err := c.list(ctx, q.encode())
	if err != nil {
		return nil, err
	}
	a := c.pick(q, cis)
	if c.cache != nil {
		c.cache.put(key, a)
	}
	return cloneAsset(a), nil
}

// list runs one Table API query.
func (c *Client) list(ctx context.Context, encodedQuery string) ([]ci, error) {
	params := url.Values{
		"sysparm_query":                  {encodedQuery},
		"sysparm_fields":                 {Fields},
		"sysparm_display_value":          {"true"},
		"sysparm_exclude_reference_link": {"true"},
		"sysparm_limit":                  {strconv.Itoa(queryLimit)},
	}
	var resp struct {
		Result []ci `json:"result"`
	}
	err := httpx.Do(ctx, c.hc, httpx.Request{
		Method: http.MethodGet,
		URL:    c.base + "/api/now/table/" + c.table + "?" + params.Encode(),
		Header: http.Header{"Authorization": {c.auth}},
	}, &resp)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) {
			se.Body = explain(se.Body)
		}
		return nil, fmt.Errorf("servicenow: query %s: %w", c.table, err)
	}
	return resp.Result, nil
}

// explain turns ServiceNow's error body, {"error": {"message", "detail"},
// "status": "failure"}, into "message: detail"; any other body is kept.
func explain(body string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
		return body
	}
	if e.Error.Detail == "" || e.Error.Detail == e.Error.Message {
		return e.Error.Message
	}
	return e.Error.Message + ": " + e.Error.Detail
}

// query is what one Find asks for: normalised, validated, deduplicated
// host names (lower case, no trailing dot) and addresses, in argument
// order.
type query struct {
	hosts []string
	addrs []netip.Addr
}

func newQuery(hosts, ips []string) query {
	var q query
	addAddr := func(a netip.Addr) {
		a = a.Unmap().WithZone("")
		if !slices.Contains(q.addrs, a) && len(q.addrs) < maxValues {
			q.addrs = append(q.addrs, a)
		}
	}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil {
			addAddr(a)
			continue
		}
		k := hostKey(h)
		if validHost(k) && !slices.Contains(q.hosts, k) && len(q.hosts) < maxValues {
			q.hosts = append(q.hosts, k)
		}
	}
	for _, s := range ips {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			addAddr(a)
		}
	}
	return q
}

func (q query) empty() bool { return len(q.hosts) == 0 && len(q.addrs) == 0 }

// key identifies the query in the cache. Order matters (the earlier
// argument wins), and validated values contain neither ',' nor '|'.
func (q query) key() string {
	addrs := make([]string, len(q.addrs))
	for i, a := range q.addrs {
		addrs[i] = a.String()
	}
	return strings.Join(q.hosts, ",") + "|" + strings.Join(addrs, ",")
}

// encode builds the encoded query: every CI whose name is one of the host
// names or their short forms, whose FQDN is one of the host names, whose
// name or FQDN starts with "<short name>." for a short host name, or whose
// address is one of the addresses. The values are safe to splice in:
// validHost and netip leave no '^', ',' or '=' in them.
func (q query) encode() string {
	var names, shorts []string
	for _, h := range q.hosts {
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
		if short, _, qualified := strings.Cut(h, "."); qualified {
			if !slices.Contains(names, short) {
				names = append(names, short)
			}
		} else {
			shorts = append(shorts, h)
		}
	}
	var conds []string
	if len(names) > 0 {
		conds = append(conds, "nameIN"+strings.Join(names, ","))
		conds = append(conds, "fqdnIN"+strings.Join(q.hosts, ","))
	}
	for _, s := range shorts {
		conds = append(conds, "nameSTARTSWITH"+s+".", "fqdnSTARTSWITH"+s+".")
	}
	if len(q.addrs) > 0 {
		addrs := make([]string, len(q.addrs))
		for i, a := range q.addrs {
			addrs[i] = a.String()
		}
		conds = append(conds, "ip_addressIN"+strings.Join(addrs, ","))
	}
	return strings.Join(conds, "^OR")
}

// hostKey is the form names are compared in, as in cmdb: trimmed, lower
// case, without the root's trailing dot.
func hostKey(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// validHost accepts what a host name can be: letters, digits, '-', '_'
// (NetBIOS and some cloud names) and '.' between non-empty labels. It is
// what keeps attacker-supplied names from adding conditions to the
// encoded query, which has no escape for '^' or ','.
func validHost(k string) bool {
	if k == "" || len(k) > 253 {
		return false
	}
	for _, label := range strings.Split(k, ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}
