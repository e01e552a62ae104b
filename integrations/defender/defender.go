// Package defender is a client for the Microsoft Defender for Endpoint API:
// it isolates and releases machines and blocks addresses and file hashes
// with custom indicators, and is built so that every call may be repeated
// safely.
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
// isolates hosts, blocks addresses and file hashes and describes machines
// (the worker finds each capability by interface).
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
	// ErrorHResult is the Windows error code of a failed action (0 when
	// none).
	ErrorHResult          int64  `json:"errorHResult"`
	CancellationRequestor string `json:"cancellationRequestor"`
	CancellationComment   string `json:"cancellationComment"`
}

// Indicator is the part of Defender's custom indicator entity socflow
// reads.
type Indicator struct {
	ID             string `json:"id"`
	IndicatorValue string `json:"indicatorValue"`
	IndicatorType  string `json:"indicatorType"`
	Action         string `json:"action"`
	Title          string `json:"title"`
	// CreatedBySource names the user or app that submitted it, for a
	// refusal to touch another's indicator.
	CreatedBySource string `json:"createdBySource"`
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

// Isolation is a machine's isolation as its action history tells it: the
// machine entity does not say whether it is isolated, its isolate and
// unisolate actions do, whoever (portal, API, another responder) sent them.
type Isolation struct {
	MachineID string
	// Last is the newest isolate or unisolate action that has not failed,
	// timed out or been cancelled; nil when there is none, so that the
	// machine is not isolated.
	Last *MachineAction
	// Asked is the action the caller asked about by its ID, nil when it
	// asked about none.
	Asked *MachineAction
}

// Failure is Defender's reason when the asked-about action failed for
// good (Failed, TimeOut, Cancelled), or "".
func (i Isolation) Failure() string {
	a := i.Asked
	if a == nil || !Failed(a.Status) {
		return ""
	}
	msg := a.Type + " " + a.Status
	if a.ErrorHResult != 0 {
		msg += fmt.Sprintf(" (errorHResult 0x%08X)", uint32(a.ErrorHResult))
	}
	if a.Status == StatusCancelled && a.CancellationRequestor != "" {
		msg += " by " + a.CancellationRequestor
	}
	if a.CancellationComment != "" {
		msg += ": " + a.CancellationComment
	}
	return msg
}

// Failed reports whether a machine action status is final and not a
// success.
func Failed(status string) bool {
	return status == StatusFailed || status == StatusTimeOut || status == StatusCancelled
}

// Isolation reads the isolation of host, found by its machine ID first
// (see [Client.Machine]); ref, when set, is the ID of a machine action
// whose fate the caller wants too, read by ID (GET
// /api/machineactions/{id}). Reading it is all the client does: whether
// to act on it is the caller's decision.
func (c *Client) Isolation(ctx context.Context, host alert.Host, ref string) (Isolation, error) {
	m, err := c.Machine(ctx, host)
	if err != nil {
		return Isolation{}, err
	}
	out := Isolation{MachineID: m.ID}
	// The asked-about action first, so that the history read after it is
	// no older than it.
	if ref = strings.TrimSpace(ref); ref != "" {
		var a MachineAction
		if err := c.do(ctx, http.MethodGet, "/api/machineactions/"+url.PathEscape(ref), nil, &a); err != nil {
			return Isolation{}, fmt.Errorf("defender: machine action %s: %w", ref, err)
		}
		out.Asked = &a
	}
	if out.Last, err = c.lastIsolationAction(ctx, m.ID); err != nil {
		return Isolation{}, fmt.Errorf("defender: isolation of %s: %w", m.ComputerDNSName, err)
	}
	return out, nil
}

// IsolateHost sends a "Full" isolation of host and returns the machine
// action's ID. It sends it whatever the machine's state: the caller reads
// [Client.Isolation] first.
func (c *Client) IsolateHost(ctx context.Context, host alert.Host, comment string) (string, error) {
	return c.isolation(ctx, host, ActionIsolate, "isolate", map[string]string{
		"Comment":       orDefault(comment, "socflow: isolate "+hostName(host)),
		"IsolationType": "Full",
	})
}

// ReleaseHost sends the release of host from isolation and returns the
// machine action's ID.
func (c *Client) ReleaseHost(ctx context.Context, host alert.Host, comment string) (string, error) {
	return c.isolation(ctx, host, ActionUnisolate, "unisolate", map[string]string{
		"Comment": orDefault(comment, "socflow: release "+hostName(host)),
	})
}

// isolation sends the machine action of type want.
func (c *Client) isolation(ctx context.Context, host alert.Host, want, verb string, body map[string]string) (string, error) {
	m, err := c.Machine(ctx, host)
	if err != nil {
		return "", err
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
		return "", fmt.Errorf("defender: %s %s: %w", verb, m.ComputerDNSName, err)
	}
	if act.ID == "" {
		return "", fmt.Errorf("defender: %s %s: answer has no machine action id", verb, m.ComputerDNSName)
	}
	return act.ID, nil
}

// lastIsolationAction returns the newest isolate or unisolate action on the
// machine that has not failed, timed out or been cancelled, or nil.
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

func hostName(h alert.Host) string { return orDefault(h.Name, h.ID) }

// Machine returns the machine host names: by its machine ID (40 hex
// digits) when host.ID is one, or host.Name is, and Defender knows it;
// otherwise by name (see [Client.FindMachine]). A Defender alert may carry
// only the machine ID.
func (c *Client) Machine(ctx context.Context, host alert.Host) (Machine, error) {
	for _, id := range []string{host.ID, host.Name} {
		id = strings.TrimSpace(id)
		if !IsMachineID(id) {
			continue
		}
		var m Machine
		err := c.do(ctx, http.MethodGet, "/api/machines/"+url.PathEscape(strings.ToLower(id)), nil, &m)
		if err == nil && m.ID != "" {
			return m, nil
		}
		var se *httpx.StatusError
		if err != nil && !(errors.As(err, &se) && se.Code == http.StatusNotFound) {
			return Machine{}, fmt.Errorf("defender: find machine %s: %w", id, err)
		}
	}
	if strings.TrimSpace(host.Name) == "" || IsMachineID(strings.TrimSpace(host.Name)) {
		return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusNotFound,
			fmt.Sprintf("no machine with ID %s in Defender for Endpoint", orDefault(host.ID, host.Name)))
	}
	return c.FindMachine(ctx, host.Name)
}

// IsMachineID reports whether s has the form of a Defender machine ID: 40
// hexadecimal digits.
func IsMachineID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// HostDetails is the machine as socflow's context packet shows it: its
// name, ID, OS, health and when Defender last saw it.
func (c *Client) HostDetails(ctx context.Context, host string) (*alert.HostDetails, error) {
	m, err := c.Machine(ctx, alert.Host{Name: host})
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
// would pick web1.dev for web1.prod. A host Defender does not know is an
// *httpx.StatusError with Code 404; a bare name that matches several FQDNs,
// or a name several machine records carry (a re-onboarded or cloned
// machine), is one with Code 409 that lists the candidates, since
// isolating the wrong one of two is worse than isolating none: the
// machine ID settles it.
func (c *Client) FindMachine(ctx context.Context, host string) (Machine, error) {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if name == "" {
		return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusBadRequest, "no host name given")
	}
	ms, err := c.machines(ctx, "computerDnsName eq "+odataString(name))
	if err != nil {
		return Machine{}, fmt.Errorf("defender: find machine %q: %w", host, err)
	}
	if m, ok, err := c.only(host, ms, func(n string) bool { return n == name }); ok || err != nil {
		return m, err
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
		if m, ok, err := c.only(host, ms, func(n string) bool { return n == short }); ok || err != nil {
			return m, err
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
		if m, ok, err := c.only(host, ms, func(n string) bool { return strings.HasPrefix(n, prefix) }); ok || err != nil {
			return m, err
		}
	}
	return Machine{}, c.localError(http.MethodGet, "/api/machines", http.StatusNotFound,
		fmt.Sprintf("no machine named %q in Defender for Endpoint", host))
}

// only returns the one machine whose lower-cased name satisfies match, or
// a 409 listing them when several records do.
func (c *Client) only(host string, ms []Machine, match func(name string) bool) (Machine, bool, error) {
	var found []Machine
	for _, m := range ms {
		if match(strings.ToLower(m.ComputerDNSName)) && !slices.ContainsFunc(found, func(f Machine) bool { return strings.EqualFold(f.ID, m.ID) }) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return Machine{}, false, nil
	case 1:
		return found[0], true, nil
	}
	cands := make([]string, len(found))
	for i, m := range found {
		cands[i] = fmt.Sprintf("%s (last seen %s, %s)", m.ID, orDefault(m.LastSeen, "never"), orDefault(m.HealthStatus, "health unknown"))
	}
	slices.Sort(cands)
	return Machine{}, false, c.localError(http.MethodGet, "/api/machines", http.StatusConflict,
		fmt.Sprintf("host %q is ambiguous in Defender for Endpoint: %d machines carry the name: %s; give the machine ID",
			host, len(found), strings.Join(cands, ", ")))
}

func (c *Client) machines(ctx context.Context, filter string) ([]Machine, error) {
	var l list[Machine]
	if err := c.do(ctx, http.MethodGet, "/api/machines?$filter="+queryEscape(filter), nil, &l); err != nil {
		return nil, err
	}
	return l.Value, nil
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
	title := titlePrefix + "block " + ip
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

// BlockIndicator returns an indicator that blocks ip, whoever created it,
// or nil when none does. Reading it is all the client does: an address
// another's indicator blocks already is the caller's to leave alone.
func (c *Client) BlockIndicator(ctx context.Context, ip string) (*Indicator, error) {
	ip = strings.TrimSpace(ip)
	if _, err := netip.ParseAddr(ip); err != nil {
		return nil, c.localError(http.MethodGet, "/api/indicators", http.StatusBadRequest,
			fmt.Sprintf("%q is not a single IP address", ip))
	}
	var l list[Indicator]
	if err := c.do(ctx, http.MethodGet, "/api/indicators?$filter="+queryEscape("indicatorValue eq "+odataString(ip)), nil, &l); err != nil {
		return nil, fmt.Errorf("defender: indicators of %s: %w", ip, err)
	}
	for i, ind := range l.Value {
		if ind.IndicatorType == "IpAddress" && strings.EqualFold(ind.IndicatorValue, ip) && Blocks(ind.Action) {
			return &l.Value[i], nil
		}
	}
	return nil, nil
}

// Blocks reports whether an indicator action blocks.
func Blocks(action string) bool {
	return action == "Block" || action == "AlertAndBlock" || action == "BlockAndRemediate"
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

// File indicator types, as Defender names them, by alert.HashKind.
var hashTypes = map[string]string{
	alert.HashSHA256: "FileSha256",
	alert.HashSHA1:   "FileSha1",
	alert.HashMD5:    "FileMd5",
}

// titlePrefix starts the title of every indicator socflow submits: an
// undo without its reference deletes only indicators so titled.
const titlePrefix = "socflow: "

// hashType returns hash in lower case and its indicator type, or a
// refusal shaped as Defender's 400.
func (c *Client) hashType(method, hash string) (string, string, error) {
	hash = strings.ToLower(strings.TrimSpace(hash))
	t, ok := hashTypes[alert.HashKind(hash)]
	if !ok {
		return "", "", c.localError(method, "/api/indicators", http.StatusBadRequest,
			fmt.Sprintf("%q is not a SHA-256, SHA-1 or MD5 hash", hash))
	}
	return hash, t, nil
}

// hashIndicators lists the file indicators of hash (every action).
func (c *Client) hashIndicators(ctx context.Context, hash, typ string) ([]Indicator, error) {
	var l list[Indicator]
	if err := c.do(ctx, http.MethodGet, "/api/indicators?$filter="+queryEscape("indicatorValue eq "+odataString(hash)), nil, &l); err != nil {
		return nil, err
	}
	var out []Indicator
	for _, ind := range l.Value {
		if ind.IndicatorType == typ && strings.EqualFold(ind.IndicatorValue, hash) {
			out = append(out, ind)
		}
	}
	return out, nil
}

// HashIndicator returns an indicator that blocks the file with this hash
// (SHA-256, SHA-1 or MD5), whoever created it, or nil when none does. An
// app with Ti.ReadWrite (not .All) sees only its own indicators, so grant
// Ti.ReadWrite.All for another's block to count as already there.
func (c *Client) HashIndicator(ctx context.Context, hash string) (*Indicator, error) {
	hash, typ, err := c.hashType(http.MethodGet, hash)
	if err != nil {
		return nil, err
	}
	inds, err := c.hashIndicators(ctx, hash, typ)
	if err != nil {
		return nil, fmt.Errorf("defender: indicators of %s: %w", hash, err)
	}
	for i, ind := range inds {
		if Blocks(ind.Action) {
			return &inds[i], nil
		}
	}
	return nil, nil
}

// BlockHash submits a BlockAndRemediate file indicator for hash (which
// stops the file running and quarantines it on every device) and returns
// the indicator's ID. Submitting is an upsert on the value, so a repeat
// updates socflow's own indicator instead of adding one; for the same
// reason it refuses (409) when another's indicator for the hash audits,
// warns or allows it: the upsert would overwrite theirs, and the undo
// would then delete it. A blocking one of another's is answered with its
// ID, as a block already in force.
func (c *Client) BlockHash(ctx context.Context, hash, comment string) (string, error) {
	hash, typ, err := c.hashType(http.MethodPost, hash)
	if err != nil {
		return "", err
	}
	inds, err := c.hashIndicators(ctx, hash, typ)
	if err != nil {
		return "", fmt.Errorf("defender: block %s: %w", hash, err)
	}
	for _, ind := range inds {
		switch {
		case Blocks(ind.Action):
			return ind.ID, nil
		case !strings.HasPrefix(ind.Title, titlePrefix):
			return "", c.localError(http.MethodPost, "/api/indicators", http.StatusConflict,
				fmt.Sprintf("indicator %s for %s has action %s (by %s): socflow does not overwrite another's indicator; change its action in the portal",
					ind.ID, hash, ind.Action, orDefault(ind.CreatedBySource, "someone else")))
		}
	}
	title := titlePrefix + "block " + hash
	body := map[string]any{
		"indicatorValue":     hash,
		"indicatorType":      typ,
		"action":             "BlockAndRemediate",
		"title":              title,
		"description":        orDefault(comment, title),
		"severity":           "High",
		"generateAlert":      true,
		"recommendedActions": "Find how the file arrived (socflow's incident names it) and check the devices that ran it.",
	}
	var ind Indicator
	if err := c.do(ctx, http.MethodPost, "/api/indicators", body, &ind); err != nil {
		return "", fmt.Errorf("defender: block %s: %w", hash, err)
	}
	if ind.ID == "" {
		return "", fmt.Errorf("defender: block %s: answer has no indicator id", hash)
	}
	return ind.ID, nil
}

// UnblockHash deletes the indicator BlockHash created. With an empty ref
// it deletes socflow's own indicators of hash (by their title), never
// another's. An indicator that is already gone counts as deleted, so the
// undo can be repeated.
func (c *Client) UnblockHash(ctx context.Context, hash, ref string) error {
	refs := []string{ref}
	if ref == "" {
		h, typ, err := c.hashType(http.MethodDelete, hash)
		if err != nil {
			return err
		}
		inds, err := c.hashIndicators(ctx, h, typ)
		if err != nil {
			return fmt.Errorf("defender: unblock %s: %w", h, err)
		}
		refs = refs[:0]
		for _, ind := range inds {
			if strings.HasPrefix(ind.Title, titlePrefix) && ind.ID != "" {
				refs = append(refs, ind.ID)
			}
		}
	}
	for _, id := range refs {
		err := c.do(ctx, http.MethodDelete, "/api/indicators/"+url.PathEscape(id), nil, nil)
		var se *httpx.StatusError
		if err != nil && !(errors.As(err, &se) && se.Code == http.StatusNotFound) {
			return fmt.Errorf("defender: unblock %s (indicator %s): %w", hash, id, err)
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
