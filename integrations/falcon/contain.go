package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// Device actions, as the devices-actions endpoint names them.
const (
	ActionContain         = "contain"
	ActionLiftContainment = "lift_containment"
)

const actionsPath = "/devices/entities/devices-actions/v2"

// Containment returns the device host names, whose Status is its
// containment as Falcon reports it (StatusNormal, StatusContainmentPending,
// StatusContained, StatusLiftContainmentPending). Reading it is all the
// client does: whether to act on it is the caller's decision. The device is
// found by host.ID first (the device ID an alert carried) and by host.Name
// when there is no ID or Falcon does not know it (see [Client.FindDevice]).
func (c *Client) Containment(ctx context.Context, host alert.Host) (Device, error) {
	return c.device(ctx, host)
}

// IsolateHost sends the contain action for host and returns its device ID,
// Falcon's only handle for the request. It sends it whatever the device's
// status: the caller reads [Client.Containment] first. Falcon's action
// takes no comment, so comment is not sent; the console records the API
// client as the actor.
func (c *Client) IsolateHost(ctx context.Context, host alert.Host, _ string) (string, error) {
	return c.act(ctx, host, ActionContain, "contain", StatusContained, StatusContainmentPending)
}

// ReleaseHost sends the lift_containment action for host and returns its
// device ID.
func (c *Client) ReleaseHost(ctx context.Context, host alert.Host, _ string) (string, error) {
	return c.act(ctx, host, ActionLiftContainment, "lift containment of", StatusNormal, StatusLiftContainmentPending)
}

// device resolves host by its device ID, then by its name.
func (c *Client) device(ctx context.Context, host alert.Host) (Device, error) {
	if id := strings.TrimSpace(host.ID); id != "" {
		if !IsDeviceID(id) && strings.TrimSpace(host.Name) == "" {
			return Device{}, c.localError(http.MethodGet, entitiesPath, http.StatusBadRequest,
				fmt.Sprintf("%q is not a Falcon device ID (32 hex digits)", id))
		}
		if IsDeviceID(id) {
			ds, err := c.Devices(ctx, []string{strings.ToLower(id)})
			if err != nil && !isNotFound(err) {
				return Device{}, fmt.Errorf("falcon: find device %s: %w", id, err)
			}
			if len(ds) > 0 {
				return ds[0], nil
			}
			if strings.TrimSpace(host.Name) == "" {
				return Device{}, c.localError(http.MethodGet, entitiesPath, http.StatusNotFound,
					fmt.Sprintf("no device with ID %s in CrowdStrike Falcon", id))
			}
		}
	}
	return c.FindDevice(ctx, host.Name)
}

// act sends action for the device. Falcon refuses an action that another
// (the console, another responder) has just sent as a conflict; a device
// already done or pending that way is then as good as ours.
func (c *Client) act(ctx context.Context, host alert.Host, action, verb, done, pending string) (string, error) {
	d, err := c.device(ctx, host)
	if err != nil {
		return "", err
	}
	var out envelope[struct {
		ID string `json:"id"`
	}]
	path := actionsPath + "?" + url.Values{"action_name": {action}}.Encode()
	err = c.do(ctx, http.MethodPost, path, map[string][]string{"ids": {d.DeviceID}}, &out)
	if err != nil {
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			if ds, derr := c.Devices(ctx, []string{d.DeviceID}); derr == nil && len(ds) == 1 &&
				(ds[0].Status == done || ds[0].Status == pending) {
				return d.DeviceID, nil
			}
		}
		return "", fmt.Errorf("falcon: %s %s: %w", verb, d.Hostname, err)
	}
	if len(out.Resources) == 0 || out.Resources[0].ID != d.DeviceID {
		if len(out.Errors) > 0 {
			return "", fmt.Errorf("falcon: %s %s: %s", verb, d.Hostname, errorText(out.Errors))
		}
		return "", fmt.Errorf("falcon: %s %s: the answer does not name device %s", verb, d.Hostname, d.DeviceID)
	}
	return d.DeviceID, nil
}

// HostDetails is the device as socflow's context packet shows it: its
// name, ID, OS, containment, sensor health and when Falcon last saw it.
func (c *Client) HostDetails(ctx context.Context, host string) (*alert.HostDetails, error) {
	d, err := c.FindDevice(ctx, host)
	if err != nil {
		return nil, err
	}
	out := &alert.HostDetails{Name: d.Hostname, ID: d.DeviceID, OS: orDefault(d.OSVersion, d.PlatformName), Source: "falcon"}
	switch d.Status {
	case StatusContained:
		out.Isolation = "isolated"
	case StatusNormal:
		out.Isolation = "not isolated"
	}
	if d.ReducedFunctionalityMode == "yes" {
		out.Health = "reduced functionality mode"
	}
	if t, err := time.Parse(time.RFC3339Nano, d.LastSeen); err == nil {
		out.LastSeen = t
	}
	return out, nil
}

func isNotFound(err error) bool {
	var se *httpx.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}
