// Package panos blocks addresses at a Palo Alto Networks firewall through
// the PAN-OS XML API: an address object socflow-<ip> per blocked address,
// a member of a configured static address group that a deny rule uses,
// committed and the commit job followed until it finishes. Every call
// may be repeated: a block that is in the running configuration already
// changes nothing and commits nothing.
package panos

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
)

// DefaultVsys is the virtual system of a firewall without several.
const DefaultVsys = "vsys1"

// defaultPoll is how often a commit job is asked about: commits take tens
// of seconds.
const defaultPoll = 2 * time.Second

// NamePrefix starts the name of every address object socflow creates.
const NamePrefix = "socflow-"

// Config is the client's configuration.
type Config struct {
	// URL is the firewall's management address (https://fw.example).
	URL string
	// Key is the API key, sent as the X-PAN-KEY header.
	Key string
	// AddressGroup is the static address group a deny rule uses.
	AddressGroup string
	// Vsys defaults to DefaultVsys.
	Vsys string
	// PollInterval is how often the commit job is asked about (2s when 0).
	PollInterval time.Duration
}

var (
	objectName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$`)
	vsysName   = regexp.MustCompile(`^vsys[0-9]+$`)
)

// CheckGroup reports whether name can be an address group's name, which
// the client places in XPaths between single quotes.
func CheckGroup(name string) error {
	if !objectName.MatchString(name) {
		return fmt.Errorf("%q is not a PAN-OS object name (letters, digits, space, '.', '_', '-'; at most 63)", name)
	}
	return nil
}

// CheckVsys reports whether name is a virtual system's name (vsys1).
func CheckVsys(name string) error {
	if !vsysName.MatchString(name) {
		return fmt.Errorf("%q is not a virtual system such as vsys1", name)
	}
	return nil
}

// Client talks to one firewall: it blocks and unblocks addresses, and
// reads whether one is blocked ([Client.Blocked]).
type Client struct {
	hc    *http.Client
	api   string
	key   string
	group string
	vsys  string
	poll  time.Duration
}

// New returns a client. A nil hc gets a private client with a 30s
// timeout; a missing key is httpx.ErrNotConfigured.
func New(hc *http.Client, c Config) (*Client, error) {
	if c.Key == "" {
		return nil, fmt.Errorf("panos: no API key: %w", httpx.ErrNotConfigured)
	}
	if _, err := httpx.BaseURL(c.URL); err != nil {
		return nil, fmt.Errorf("panos: URL %q: want https://firewall", c.URL)
	}
	if err := CheckGroup(c.AddressGroup); err != nil {
		return nil, fmt.Errorf("panos: address group: %w", err)
	}
	if c.Vsys == "" {
		c.Vsys = DefaultVsys
	}
	if err := CheckVsys(c.Vsys); err != nil {
		return nil, fmt.Errorf("panos: %w", err)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = defaultPoll
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{hc: hc, api: strings.TrimRight(c.URL, "/") + "/api/", key: c.Key, group: c.AddressGroup, vsys: c.Vsys, poll: c.PollInterval}, nil
}

// ObjectName is the address object that blocks ip: socflow-<ip>, with an
// IPv6 address's colons as dashes, which names may not hold.
func ObjectName(ip netip.Addr) string {
	return NamePrefix + strings.ReplaceAll(ip.Unmap().String(), ":", "-")
}

func (c *Client) vsysPath() string {
	return "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='" + c.vsys + "']"
}

func (c *Client) objectPath(name string) string {
	return c.vsysPath() + "/address/entry[@name='" + name + "']"
}

func (c *Client) groupPath() string {
	return c.vsysPath() + "/address-group/entry[@name='" + c.group + "']/static"
}

// Block is an address's standing at the firewall.
type Block struct {
	// Object is the address object that blocks it ([ObjectName]).
	Object string
	// InForce says the object is a member of the address group in the
	// running configuration, whoever put it there; a member only in the
	// candidate configuration (a commit that failed) blocks nothing.
	InForce bool
}

// Blocked reads whether ip is blocked: its address object a member of the
// group in the running configuration. Reading it is all the client does.
func (c *Client) Blocked(ctx context.Context, ip string) (Block, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return Block{}, localError(fmt.Sprintf("%q is not a single IP address", ip))
	}
	b := Block{Object: ObjectName(addr.Unmap())}
	running, err := c.members(ctx, "show")
	if err != nil {
		return Block{}, fmt.Errorf("panos: block state of %s: %w", addr, err)
	}
	b.InForce = slices.Contains(running, b.Object)
	return b, nil
}

// BlockIP puts the address in the group and commits, unless the running
// configuration has it there already. The reference is the object's name.
func (c *Client) BlockIP(ctx context.Context, ip, comment string) (string, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", localError(fmt.Sprintf("%q is not a single IP address", ip))
	}
	addr = addr.Unmap()
	name := ObjectName(addr)
	running, err := c.members(ctx, "show")
	if err != nil {
		return "", fmt.Errorf("panos: block %s: %w", addr, err)
	}
	if slices.Contains(running, name) {
		return name, nil
	}
	bits := "/32"
	if addr.Is6() {
		bits = "/128"
	}
	element := "<ip-netmask>" + escape(addr.String()+bits) + "</ip-netmask><description>" + escape(truncate(comment, 255)) + "</description>"
	if _, err := c.call(ctx, url.Values{"type": {"config"}, "action": {"set"}, "xpath": {c.objectPath(name)}, "element": {element}}); err != nil {
		return "", fmt.Errorf("panos: block %s: create address %s: %w", addr, name, err)
	}
	if _, err := c.call(ctx, url.Values{"type": {"config"}, "action": {"set"}, "xpath": {c.groupPath()}, "element": {"<member>" + name + "</member>"}}); err != nil {
		return "", fmt.Errorf("panos: block %s: add %s to group %s: %w", addr, name, c.group, err)
	}
	if err := c.commit(ctx); err != nil {
		return "", fmt.Errorf("panos: block %s: %w", addr, err)
	}
	return name, nil
}

// UnblockIP takes the object out of the group, deletes it and commits;
// an address that is in neither configuration is left alone. ref is what
// BlockIP returned; without it the name is derived from ip.
func (c *Client) UnblockIP(ctx context.Context, ip, ref string) error {
	name := ref
	if name == "" {
		addr, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			return localError(fmt.Sprintf("%q is not a single IP address, and no reference given", ip))
		}
		name = ObjectName(addr)
	}
	if !strings.HasPrefix(name, NamePrefix) || !objectName.MatchString(name) {
		// Only objects socflow made are deleted.
		return localError(fmt.Sprintf("%q is not an address object socflow created", name))
	}
	running, err := c.members(ctx, "show")
	if err != nil {
		return fmt.Errorf("panos: unblock %s: %w", name, err)
	}
	candidate, err := c.members(ctx, "get")
	if err != nil {
		return fmt.Errorf("panos: unblock %s: %w", name, err)
	}
	exists, err := c.exists(ctx, name)
	if err != nil {
		return fmt.Errorf("panos: unblock %s: %w", name, err)
	}
	if !slices.Contains(running, name) && !slices.Contains(candidate, name) && !exists {
		return nil
	}
	if slices.Contains(candidate, name) {
		if _, err := c.call(ctx, url.Values{"type": {"config"}, "action": {"delete"}, "xpath": {c.groupPath() + "/member[text()='" + name + "']"}}); err != nil {
			return fmt.Errorf("panos: unblock %s: remove from group %s: %w", name, c.group, err)
		}
	}
	if exists {
		if _, err := c.call(ctx, url.Values{"type": {"config"}, "action": {"delete"}, "xpath": {c.objectPath(name)}}); err != nil {
			return fmt.Errorf("panos: unblock %s: delete the address: %w", name, err)
		}
	}
	if err := c.commit(ctx); err != nil {
		return fmt.Errorf("panos: unblock %s: %w", name, err)
	}
	return nil
}

// members lists the group's static members in the running ("show") or
// candidate ("get") configuration; a group that is not there has none.
func (c *Client) members(ctx context.Context, action string) ([]string, error) {
	r, err := c.call(ctx, url.Values{"type": {"config"}, "action": {action}, "xpath": {c.groupPath()}})
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("read group %s: %w", c.group, err)
	}
	return r.Result.Static.Members, nil
}

func (c *Client) exists(ctx context.Context, name string) (bool, error) {
	r, err := c.call(ctx, url.Values{"type": {"config"}, "action": {"get"}, "xpath": {c.objectPath(name)}})
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return false, nil
		}
		return false, fmt.Errorf("read address %s: %w", name, err)
	}
	return len(r.Result.Entries) > 0, nil
}

// commit commits the candidate configuration and waits for the job.
func (c *Client) commit(ctx context.Context) error {
	r, err := c.call(ctx, url.Values{"type": {"commit"}, "cmd": {"<commit></commit>"}})
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	id := strings.TrimSpace(r.Result.Job.ID)
	if id == "" {
		// "There are no changes to commit."
		return nil
	}
	t := time.NewTicker(c.poll)
	defer t.Stop()
	for {
		j, err := c.call(ctx, url.Values{"type": {"op"}, "cmd": {"<show><jobs><id>" + escape(id) + "</id></jobs></show>"}})
		if err != nil {
			return fmt.Errorf("commit job %s: %w", id, err)
		}
		job := j.Result.Job
		if job.Status == "FIN" {
			if job.Result == "OK" {
				return nil
			}
			// The change stays in the candidate configuration; the commit
			// will fail again until someone fixes what it names.
			return &httpx.StatusError{Method: "commit", URL: c.api, Code: http.StatusConflict,
				Body: fmt.Sprintf("commit job %s finished %s: %s", id, job.Result, strings.Join(job.Details, "; "))}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("commit job %s still %s: %w", id, job.Status, ctx.Err())
		case <-t.C:
		}
	}
}

// response is the PAN-OS answer, all kinds in one.
type response struct {
	Status string `xml:"status,attr"`
	Code   string `xml:"code,attr"`
	Msg    text   `xml:"msg"`
	Result struct {
		Msg     text     `xml:"msg"`
		Entries []string `xml:"entry>ip-netmask"`
		Static  struct {
			Members []string `xml:"member"`
		} `xml:"static"`
		// Job is a commit's job (<job>2</job>) or a job's status.
		Job struct {
			ID      string   `xml:",chardata"`
			Status  string   `xml:"status"`
			Result  string   `xml:"result"`
			Details []string `xml:"details>line"`
		} `xml:"job"`
	} `xml:"result"`
}

// text is an element's character data, nested <line>s joined.
type text string

func (t *text) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var parts []string
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case xml.CharData:
			if s := strings.TrimSpace(string(v)); s != "" {
				parts = append(parts, s)
			}
		case xml.EndElement:
			if v.Name == start.Name {
				*t = text(strings.Join(parts, " "))
				return nil
			}
		}
	}
}

func (c *Client) call(ctx context.Context, v url.Values) (*response, error) {
	what := v.Get("type") + " " + v.Get("action")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-PAN-KEY", c.key)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	var r response
	perr := xml.Unmarshal(data, &r)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body := strings.TrimSpace(string(data))
		if perr == nil {
			body = describe(&r)
		}
		if len(body) > 2048 {
			body = body[:2048]
		}
		return nil, &httpx.StatusError{Method: what, URL: c.api, Code: resp.StatusCode, Body: body,
			RetryAfter: httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	if perr != nil {
		return nil, fmt.Errorf("%s: answer is not a PAN-OS response: %v", what, perr)
	}
	if r.Status != "success" {
		return nil, &httpx.StatusError{Method: what, URL: c.api, Code: statusOf(r.Code), Body: describe(&r)}
	}
	return &r, nil
}

func describe(r *response) string {
	msg := string(r.Msg)
	if msg == "" {
		msg = string(r.Result.Msg)
	}
	return strings.TrimSpace(fmt.Sprintf("code %s: %s", r.Code, msg))
}

// statusOf maps a PAN-OS error code to the HTTP status that classifies it
// alike: the request's own fault is a 4xx, the firewall's a 5xx.
func statusOf(code string) int {
	switch code {
	case "7":
		return http.StatusNotFound // object not present
	case "8", "10":
		return http.StatusConflict // not unique, still referenced
	case "15", "16", "403":
		return http.StatusForbidden
	case "22":
		return http.StatusUnauthorized // session timed out
	case "1", "3", "6", "12", "14", "17", "18":
		return http.StatusBadRequest
	}
	// 2, 4, 5, 11, 13, 21: internal errors and failed operations (another
	// commit in progress) that a later try may get past.
	return http.StatusServiceUnavailable
}

func localError(msg string) error {
	return fmt.Errorf("panos: %w", &httpx.StatusError{Method: "check", URL: "input", Code: http.StatusBadRequest, Body: msg})
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
