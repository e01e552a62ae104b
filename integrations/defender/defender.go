// Package defender is a client for the Microsoft Defender for Endpoint API:
// it isolates and releases machines and blocks addresses with custom
// indicators, and is built so that every call may be repeated safely.
package defender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// DefaultBaseURL is the global endpoint of the Defender for Endpoint API.
const DefaultBaseURL = "https://api.securitycenter.microsoft.com"

// defaultTimeout bounds a call when the caller gives no *http.Client; the
// activity's own timeout still applies on top.
const defaultTimeout = 30 * time.Second

// Machine action types and statuses, as Defender spells them.
const (
	ActionIsolate   = "Isolate"
	ActionUnisolate = "Unisolate"

	StatusPending    = "Pending"
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusTimeOut    = "TimeOut"
	StatusCancelled  = "Cancelled"
)

// Client calls the Defender for Endpoint API with a bearer token. It
// isolates hosts, blocks addresses and describes machines (the worker
// finds each capability by interface).
type Client struct {
	hc    *http.Client
	base  string
	token string
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty)
// that authenticates with token, an Azure AD access token for the
// WindowsDefenderATP resource. A nil hc gets a private client with a 30s
// timeout. A missing token is httpx.ErrNotConfigured.
func New(hc *http.Client, baseURL, token string) (*Client, error) {
	if token == "" {
		return nil, fmt.Errorf("defender: no API token: %w", httpx.ErrNotConfigured)
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if _, err := httpx.BaseURL(baseURL); err != nil {
		return nil, fmt.Errorf("defender: base URL %q: want http(s)://host[/path]", baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{hc: hc, base: strings.TrimRight(baseURL, "/"), token: token}, nil
}

// Machine is the part of Defender's machine entity socflow reads.
type Machine struct {
	ID              string `json:"id"`
	ComputerDNSName string `json:"computerDnsName"`
	// LastSeen is kept as Defender's text (seven fractional digits); it
	// breaks ties between duplicate records of one host.
	LastSeen         string `json:"lastSeen"`
	LastIPAddress    string `json:"lastIpAddress"`
	OSPlatform       string `json:"osPlatform"`
	HealthStatus     string `json:"healthStatus"`
	OnboardingStatus string `json:"onboardingStatus"`
}

// MachineAction is the part of Defender's machine action entity socflow
// reads.
type MachineAction struct {
	ID                  string `json:"id"`
	Type                string `json:"type"`
	Status              string `json:"status"`
	MachineID           string `json:"machineId"`
	ComputerDNSName     string `json:"computerDnsName"`
	Requestor           string `json:"requestor"`
	RequestorComment    string `json:"requestorComment"`
	CreationDateTimeUTC string `json:"creationDateTimeUtc"`
}

// Indicator is the part of Defender's custom indicator entity socflow
// reads.
type Indicator struct {
	ID             string `json:"id"`
	IndicatorValue string `json:"indicatorValue"`
	IndicatorType  string `json:"indicatorType"`
	Action         string `json:"action"`
	Title          string `json:"title"`
}

// UnmarshalJSON reads an indicator whose id is a JSON string ("995") or a
// number (995): the documentation shows both.
func (ind *Indicator) UnmarshalJSON(b []byte) error {
	type plain Indicator
	var v struct {
		plain
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*ind = Indicator(v.plain)
	ind.ID = ""
	if len(v.ID) == 0 || string(v.ID) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(v.ID, &s); err == nil {
		ind.ID = s
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(v.ID, &n); err != nil {
		return fmt.Errorf("indicator id %s: want a string or a number", v.ID)
	}
	ind.ID = n.String()
	return nil
}

// list is Defender's OData collection wrapper.
type list[T any] struct {
	Value []T `json:"value"`
}

// IsolateHost isolates the machine called host ("Full" isolation) and
// returns the machine action's ID. A host that is already isolated, or has
// an isolation pending, is not isolated again: Defender leaves a duplicate
// isolate action pending, where it can outlive a later release.
func (c *Client) IsolateHost(ctx context.Context, host, comment string) (string, error) {
	return c.isolation(ctx, host, ActionIsolate, "isolate", map[string]string{
		"Comment":       orDefault(comment, "socflow: isolate "+host),
		"IsolationType": "Full",
	})
}

// ReleaseHost lifts the isolation of the machine called host and returns
// the machine action's ID. A host that is not isolated is left alone; the
// ID is then that of the release already on record, or empty.
func (c *Client) ReleaseHost(ctx context.Context, host, comment string) (string, error) {
	return c.isolation(ctx, host, ActionUnisolate, "unisolate", map[string]string{
		"Comment": orDefault(comment, "socflow: release "+host),
	})
}

// isolation moves the host to the state that an action of type want
// leaves it in, unless it is there already or on its way.
func (c *Client) isolation(ctx context.Context, host, want, verb string, body map[string]string) (string, error) {
	m, err := c.FindMachine(ctx, host)
	if err != nil {
		return "", err
	}
	last, err := c.lastIsolationAction(ctx, m.ID)
	if err != nil {
		return "", fmt.Errorf("defender: %s %s: %w", verb, host, err)
	}
	switch {
	case last != nil && last.Type == want:
		return last.ID, nil
	case last == nil && want == ActionUnisolate:
		// Never isolated: nothing to release, and an unisolate request on
		// such a machine only leaves a stray action behind.
		return "", nil
	}
	var act MachineAction
	err = c.do(ctx, http.MethodPost, "/api/machines/"+url.PathEscape(m.ID)+"/"+verb, body, &act)
	if err != nil {
		// Defender refuses a second request while one is pending ("Action
		// is already in progress"); one that raced ours is as good as ours.
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Code == http.StatusBadRequest {
			if now, lerr := c.lastIsolationAction(ctx, m.ID); lerr == nil && now != nil && now.Type == want {
				return now.ID, nil
			}
		}
		return "", fmt.Errorf("defender: %s %s: %w", verb, host, err)
	}
	if act.ID == "" {
		return "", fmt.Errorf("defender: %s %s: answer has no machine action id", verb, host)
	}
	return act.ID, nil
}

// lastIsolationAction returns the newest isolate or unisolate action on the
// machine that has not failed, timed out or been cancelled, or nil. The
// machine entity does not say whether it is isolated; its action history
// does, whoever (portal, API, another responder) acted.
func (c *Client) lastIsolationAction(ctx context.Context, machineID string) (*MachineAction, error) {
	var l list[MachineAction]
	if err := c.do(ctx, http.MethodGet, "/api/machineactions?$filter="+queryEscape("machineId eq "+odataString(machineID)), nil, &l); err != nil {
		return nil, err
	}
	var last *MachineAction
	for i := range l.Value {
		a := &l.Value[i]
		if a.Type != ActionIsolate && a.Type != ActionUnisolate {
			continue
		}
		if a.Status != StatusPending && a.Status != StatusInProgress && a.Status != StatusSucceeded {
			continue
		}
		if last == nil || later(a.CreationDateTimeUTC, last.CreationDateTimeUTC) {
			last = a
		}
	}
	return last, nil
}

// HostDetails is the machine as socflow's context packet shows it: its
// name, ID, OS, health and when Defender last saw it.
func (c *Client) HostDetails(ctx context.Context, host string) (*alert.HostDetails, error) {
	m, err := c.FindMachine(ctx, host)
	if err != nil {
		return nil, err
	}
	d := &alert.HostDetails{Name: m.ComputerDNSName, ID: m.ID, OS: m.OSPlatform, Health: m.HealthStatus, Source: "defender"}
	if t, err := time.Parse(time.RFC3339Nano, m.LastSeen); err == nil {
		d.LastSeen = t
	}
	return d, nil
}

// FindMachine returns the machine Defender knows as host. The name is
// matched without regard to case. A bare name ("web1") that matches no
// record also matches a single FQDN that starts with it
// ("web1.corp.example"); an FQDN also matches a record of its bare name (a
// machine in no domain). An FQDN never matches another FQDN by prefix: that
// would pick web1.dev for web1.prod. When a host has several records
// (re-onboarded machines), the one seen last wins. A host Defender does not
// know is an *httpx.StatusError with Code 404; a bare name that matches
// several FQDNs is one with Code 409.
func (c *Client) FindMachine(ctx context.Context, host string) (Machine, error) {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if name == "" {
		return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusBadRequest, "no host name given")
	}
	ms, err := c.machines(ctx, "computerDnsName eq "+odataString(name))
	if err != nil {
		return Machine{}, fmt.Errorf("defender: find machine %q: %w", host, err)
	}
	if m, ok := newest(ms, func(n string) bool { return n == name }); ok {
		return m, nil
	}
	short, _, fqdn := strings.Cut(name, ".")
	if _, err := netip.ParseAddr(name); err == nil {
		fqdn, short = false, ""
	}
	switch {
	case fqdn:
		ms, err = c.machines(ctx, "computerDnsName eq "+odataString(short))
		if err != nil {
			return Machine{}, fmt.Errorf("defender: find machine %q: %w", host, err)
		}
		if m, ok := newest(ms, func(n string) bool { return n == short }); ok {
			return m, nil
		}
	case short != "":
		prefix := short + "."
		ms, err = c.machines(ctx, "startswith(computerDnsName,"+odataString(prefix)+")")
		if err != nil {
			return Machine{}, fmt.Errorf("defender: find machine %q: %w", host, err)
		}
		var names []string
		for _, m := range ms {
			if n := strings.ToLower(m.ComputerDNSName); strings.HasPrefix(n, prefix) && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if len(names) > 1 {
			slices.Sort(names)
			return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusConflict,
				fmt.Sprintf("host %q is ambiguous in Defender for Endpoint: %s; use the FQDN", host, strings.Join(names, ", ")))
		}
		if m, ok := newest(ms, func(n string) bool { return strings.HasPrefix(n, prefix) }); ok {
			return m, nil
		}
	}
	return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusNotFound,
		fmt.Sprintf("no machine named %q in Defender for Endpoint", host))
}

func (c *Client) machines(ctx context.Context, filter string) ([]Machine, error) {
	var l list[Machine]
	if err := c.do(ctx, http.MethodGet, "/api/machines?$filter="+queryEscape(filter), nil, &l); err != nil {
		return nil, err
	}
	return l.Value, nil
}

// newest returns the most recently seen machine whose lower-cased name
// satisfies match.
func newest(ms []Machine, match func(name string) bool) (Machine, bool) {
	var best Machine
	found := false
	for _, m := range ms {
		if !match(strings.ToLower(m.ComputerDNSName)) {
			continue
		}
		if !found || later(m.LastSeen, best.LastSeen) {
			best, found = m, true
		}
	}
	return best, found
}

// later reports whether timestamp a is after b. Defender writes RFC 3339
// with seven fractional digits; text that does not parse compares as text,
// which orders such timestamps correctly too.
func later(a, b string) bool {
	ta, erra := time.Parse(time.RFC3339Nano, a)
	tb, errb := time.Parse(time.RFC3339Nano, b)
	if erra == nil && errb == nil {
		return ta.After(tb)
	}
	return a > b
}

// BlockIP submits a custom indicator that blocks ip and returns the
// indicator's ID. Submitting is an upsert on the value, so a repeat updates
// the same indicator instead of adding one.
func (c *Client) BlockIP(ctx context.Context, ip, comment string) (string, error) {
	if _, err := netip.ParseAddr(strings.TrimSpace(ip)); err != nil {
		// Defender takes single addresses only, not CIDR ranges.
		return "", c.localError(http.MethodPost, "/api/indicators", http.StatusBadRequest,
			fmt.Sprintf("%q is not a single IP address", ip))
	}
	ip = strings.TrimSpace(ip)
	title := "socflow: block " + ip
	body := map[string]any{
		"indicatorValue": ip,
		"indicatorType":  "IpAddress",
		"action":         "Block",
		"title":          title,
		"description":    orDefault(comment, title),
		"severity":       "High",
		"generateAlert":  true,
	}
	var ind Indicator
	if err := c.do(ctx, http.MethodPost, "/api/indicators", body, &ind); err != nil {
		return "", fmt.Errorf("defender: block %s: %w", ip, err)
	}
	if ind.ID == "" {
		return "", fmt.Errorf("defender: block %s: answer has no indicator id", ip)
	}
	return ind.ID, nil
}

// UnblockIP deletes the indicator BlockIP created. With an empty ref it
// deletes every IP indicator whose value is ip. An indicator that is
// already gone counts as deleted, so the undo can be repeated.
func (c *Client) UnblockIP(ctx context.Context, ip, ref string) error {
	ip = strings.TrimSpace(ip)
	refs := []string{ref}
	if ref == "" {
		if ip == "" {
			return c.localError(http.MethodDelete, "/api/indicators", http.StatusBadRequest, "neither an IP address nor an indicator id given")
		}
		var l list[Indicator]
		err := c.do(ctx, http.MethodGet, "/api/indicators?$filter="+queryEscape("indicatorValue eq "+odataString(ip)), nil, &l)
		if err != nil {
			return fmt.Errorf("defender: unblock %s: %w", ip, err)
		}
		refs = refs[:0]
		for _, ind := range l.Value {
			if ind.IndicatorType == "IpAddress" && strings.EqualFold(ind.IndicatorValue, ip) && ind.ID != "" {
				refs = append(refs, ind.ID)
			}
		}
	}
	for _, id := range refs {
		err := c.do(ctx, http.MethodDelete, "/api/indicators/"+url.PathEscape(id), nil, nil)
		var se *httpx.StatusError
		if err != nil && !(errors.As(err, &se) && se.Code == http.StatusNotFound) {
			return fmt.Errorf("defender: unblock %s (indicator %s): %w", ip, id, err)
		}
	}
	return nil
}

// do runs one call and, on an error answer, replaces the raw OData error
// body with its code and message, which is what a responder needs to read.
func (c *Client) do(ctx context.Context, method, pathAndQuery string, body, out any) error {
	err := httpx.Do(ctx, c.hc, httpx.Request{
		Method: method,
		URL:    c.base + pathAndQuery,
		Header: http.Header{"Authorization": {"Bearer " + c.token}},
		Body:   body,
	}, out)
	var se *httpx.StatusError
	if errors.As(err, &se) {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(se.Body), &e) == nil && (e.Error.Code != "" || e.Error.Message != "") {
			se.Body = strings.TrimPrefix(e.Error.Code+": "+e.Error.Message, ": ")
		}
	}
	return err
}

// localError is a refusal decided here rather than by Defender, shaped like
// Defender's own so that the activity classifies both alike.
func (c *Client) localError(method, path string, code int, msg string) error {
	return fmt.Errorf("defender: %w", &httpx.StatusError{Method: method, URL: c.base + path, Code: code, Body: msg})
}

// odataString quotes s as an OData string literal.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// queryEscape escapes an OData expression for a query string, spaces as
// %20: the form Microsoft's examples use.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
