package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// Outcome is what a containment call found and did.
type Outcome struct {
	DeviceID string
	Hostname string
	// Status is the device's status before the call.
	Status string
	// Already says the device was in the wanted state, or on its way
	// there, so that no action was sent.
	Already bool
}

// Contain network-contains the device host names (a host name or device
// ID). A device already contained, or with a containment pending, is left
// alone: the outcome says Already.
func (c *Client) Contain(ctx context.Context, host string) (Outcome, error) {
	return c.act(ctx, host, ActionContain, "contain", StatusContained, StatusContainmentPending)
}

// LiftContainment lifts the containment of the device host names. A device
// that is not contained, or has a lift pending, is left alone.
func (c *Client) LiftContainment(ctx context.Context, host string) (Outcome, error) {
	return c.act(ctx, host, ActionLiftContainment, "lift containment of", StatusNormal, StatusLiftContainmentPending)
}

// IsolateHost contains host and returns its device ID. Falcon's action
// takes no comment, so comment is not sent; the console records the API
// client as the actor. See [Client.Contain] for whether anything was sent.
func (c *Client) IsolateHost(ctx context.Context, host, _ string) (string, error) {
	o, err := c.Contain(ctx, host)
	return o.DeviceID, err
}

// ReleaseHost lifts the containment of host and returns its device ID.
func (c *Client) ReleaseHost(ctx context.Context, host, _ string) (string, error) {
	o, err := c.LiftContainment(ctx, host)
	return o.DeviceID, err
}

// act sends action unless the device's status is done or pending already.
func (c *Client) act(ctx context.Context, host, action, verb, done, pending string) (Outcome, error) {
	d, err := c.FindDevice(ctx, host)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{DeviceID: d.DeviceID, Hostname: d.Hostname, Status: d.Status}
	if d.Status == done || d.Status == pending {
		o.Already = true
		return o, nil
	}
	var out envelope[struct {
		ID string `json:"id"`
	}]
	path := actionsPath + "?" + url.Values{"action_name": {action}}.Encode()
	err = c.do(ctx, http.MethodPost, path, map[string][]string{"ids": {d.DeviceID}}, &out)
	if err != nil {
		// An action that raced ours (another responder, the console) is
		// as good as ours, should Falcon refuse ours as a conflict.
		var se *httpx.StatusError
		if errors.As(err, &se) && se.Code == http.StatusConflict {
			if ds, derr := c.Devices(ctx, []string{d.DeviceID}); derr == nil && len(ds) == 1 &&
				(ds[0].Status == done || ds[0].Status == pending) {
				o.Already = true
				return o, nil
			}
		}
		return Outcome{}, fmt.Errorf("falcon: %s %s: %w", verb, host, err)
	}
	if len(out.Resources) == 0 || out.Resources[0].ID != d.DeviceID {
		if len(out.Errors) > 0 {
			return Outcome{}, fmt.Errorf("falcon: %s %s: %s", verb, host, errorText(out.Errors))
		}
		return Outcome{}, fmt.Errorf("falcon: %s %s: the answer does not name device %s", verb, host, d.DeviceID)
	}
	return o, nil
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
