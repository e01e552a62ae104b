package falcon

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Device containment statuses, as Falcon spells them in a device's
// status field.
const (
	StatusNormal                 = "normal"
	StatusContainmentPending     = "containment_pending"
	StatusContained              = "contained"
	StatusLiftContainmentPending = "lift_containment_pending"
)

// Device is the part of Falcon's device entity socflow reads.
type Device struct {
	DeviceID     string `json:"device_id"`
	CID          string `json:"cid,omitempty"`
	Hostname     string `json:"hostname"`
	PlatformName string `json:"platform_name,omitempty"`
	OSVersion    string `json:"os_version,omitempty"`
	AgentVersion string `json:"agent_version,omitempty"`
	LocalIP      string `json:"local_ip,omitempty"`
	ExternalIP   string `json:"external_ip,omitempty"`
	// LastSeen is Falcon's RFC 3339 text.
	LastSeen string `json:"last_seen,omitempty"`
	// Status is the containment status (StatusNormal, ...).
	Status                   string `json:"status"`
	ReducedFunctionalityMode string `json:"reduced_functionality_mode,omitempty"`
}

const (
	queryPath    = "/devices/queries/devices/v1"
	entitiesPath = "/devices/entities/devices/v2"
)

// FindDevice returns the device Falcon knows as host: a device ID (32 hex
// digits) or a host name. Falcon records the short name of most hosts, so
// an FQDN that matches nothing is looked up again by its first label. A
// host Falcon does not know is an *httpx.StatusError with Code 404; a name
// several devices carry is one with Code 409 that lists them, since
// containing the wrong one of two is worse than containing none.
func (c *Client) FindDevice(ctx context.Context, host string) (Device, error) {
	name := strings.TrimSuffix(strings.TrimSpace(host), ".")
	if name == "" {
		return Device{}, c.localError(http.MethodGet, queryPath, http.StatusBadRequest, "no host name or device ID given")
	}
	if IsDeviceID(name) {
		ds, err := c.Devices(ctx, []string{strings.ToLower(name)})
		if err != nil && !isNotFound(err) {
			return Device{}, fmt.Errorf("falcon: find device %q: %w", host, err)
		}
		if len(ds) > 0 {
			return ds[0], nil
		}
	}
	d, found, err := c.deviceNamed(ctx, host, name)
	if err != nil || found {
		return d, err
	}
	if short, _, fqdn := strings.Cut(name, "."); fqdn {
		if _, ierr := netip.ParseAddr(name); ierr != nil {
			if d, found, err := c.deviceNamed(ctx, host, short); err != nil || found {
				return d, err
			}
		}
	}
	return Device{}, c.localError(http.MethodGet, queryPath, http.StatusNotFound,
		fmt.Sprintf("no device named %q in CrowdStrike Falcon", host))
}

// deviceNamed looks name up with an exact hostname filter.
func (c *Client) deviceNamed(ctx context.Context, host, name string) (Device, bool, error) {
	var ids envelope[string]
	q := url.Values{"filter": {"hostname:" + fqlString(name)}, "limit": {"100"}}
	if err := c.do(ctx, http.MethodGet, queryPath+"?"+q.Encode(), nil, &ids); err != nil {
		return Device{}, false, fmt.Errorf("falcon: find device %q: %w", host, err)
	}
	if len(ids.Resources) == 0 {
		return Device{}, false, nil
	}
	ds, err := c.Devices(ctx, ids.Resources)
	if err != nil {
		return Device{}, false, fmt.Errorf("falcon: find device %q: %w", host, err)
	}
	// The filter matches without regard to case; so does this.
	ds = slices.DeleteFunc(ds, func(d Device) bool { return !strings.EqualFold(d.Hostname, name) })
	switch len(ds) {
	case 0:
		return Device{}, false, nil
	case 1:
		return ds[0], true, nil
	}
	cands := make([]string, len(ds))
	for i, d := range ds {
		cands[i] = fmt.Sprintf("%s (last seen %s, %s)", d.DeviceID, orDefault(d.LastSeen, "never"), orDefault(d.Status, "status unknown"))
	}
	slices.Sort(cands)
	return Device{}, false, c.localError(http.MethodGet, queryPath, http.StatusConflict,
		fmt.Sprintf("host %q is ambiguous in CrowdStrike Falcon: %d devices carry the name: %s; give the device ID",
			host, len(ds), strings.Join(cands, ", ")))
}

// Devices returns the devices with the given IDs that Falcon knows.
func (c *Client) Devices(ctx context.Context, ids []string) ([]Device, error) {
	var out envelope[Device]
	if err := c.do(ctx, http.MethodGet, entitiesPath+"?"+url.Values{"ids": ids}.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Resources, nil
}

// IsDeviceID reports whether s has the form of a Falcon device ID
// (agent ID): 32 hexadecimal digits.
func IsDeviceID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// fqlString quotes s as a Falcon Query Language string.
func fqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
