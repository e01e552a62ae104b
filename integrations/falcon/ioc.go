package falcon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// IOC Management's paths: entities (create, delete) and combined (query
// with the entities in one answer).
const (
	iocPath         = "/iocs/entities/indicators/v1"
	iocCombinedPath = "/iocs/combined/indicator/v1"
)

// IOCSource is the source socflow's custom IOCs carry: an undo without
// its reference deletes only IOCs of this source, never another's.
const IOCSource = "socflow"

// IOCPlatforms are the platforms socflow's hash IOCs apply to: every
// desktop and server sensor, since a dropped file is not picky.
var IOCPlatforms = []string{"windows", "mac", "linux"}

// IOC is the part of Falcon's custom indicator entity socflow reads.
type IOC struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Value     string `json:"value"`
	Action    string `json:"action"`
	Severity  string `json:"severity"`
	Source    string `json:"source"`
	CreatedBy string `json:"created_by"`
	// Expired is set once the expiration passed: Falcon then sets the
	// action to no_action and keeps the IOC listed.
	Expired bool `json:"expired"`
	Deleted bool `json:"deleted"`
}

// Prevents reports whether a custom IOC action blocks what it names.
func Prevents(action string) bool { return action == "prevent" || action == "prevent_no_ui" }

// iocType returns hash in lower case and its IOC type. Falcon's custom
// IOCs take SHA-256 and MD5 only; a SHA-1 or anything else is refused as
// Falcon's 400 would be, naming what it takes.
func (c *Client) iocType(method, hash string) (string, string, error) {
	hash = strings.ToLower(strings.TrimSpace(hash))
	switch k := alert.HashKind(hash); k {
	case alert.HashSHA256, alert.HashMD5:
		return hash, k, nil
	case alert.HashSHA1:
		return "", "", c.localError(method, iocPath, http.StatusBadRequest,
			fmt.Sprintf("%s is a SHA-1: Falcon's custom IOCs take SHA-256 or MD5; block the file's SHA-256", hash))
	}
	return "", "", c.localError(method, iocPath, http.StatusBadRequest, fmt.Sprintf("%q is not a SHA-256 or MD5 hash", hash))
}

// hashIOCs lists the custom IOCs of a hash, whoever made them, in one
// call: the combined endpoint answers with the entities, not IDs alone.
func (c *Client) hashIOCs(ctx context.Context, typ, hash string) ([]IOC, error) {
	// FQL joins terms with "+" (and); url.Values sends it as %2B, which a
	// bare "+" in a query string would not survive.
	q := url.Values{"filter": {fmt.Sprintf("type:'%s'+value:'%s'", typ, hash)}, "limit": {"100"}}
	var out envelope[IOC]
	if err := c.do(ctx, http.MethodGet, iocCombinedPath+"?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	var iocs []IOC
	for _, i := range out.Resources {
		if i.Type == typ && strings.EqualFold(i.Value, hash) && !i.Deleted {
			iocs = append(iocs, i)
		}
	}
	return iocs, nil
}

// HashIOC returns a custom IOC that prevents the file with this hash
// (SHA-256 or MD5) on the hosts, whoever created it, or nil when none
// does. An expired one no longer prevents anything and does not count.
func (c *Client) HashIOC(ctx context.Context, hash string) (*IOC, error) {
	hash, typ, err := c.iocType(http.MethodGet, hash)
	if err != nil {
		return nil, err
	}
	iocs, err := c.hashIOCs(ctx, typ, hash)
	if err != nil {
		return nil, fmt.Errorf("falcon: IOCs of %s: %w", hash, err)
	}
	for i, ioc := range iocs {
		if Prevents(ioc.Action) && !ioc.Expired {
			return &iocs[i], nil
		}
	}
	return nil, nil
}

// BlockHash creates a custom IOC that prevents the file with this hash on
// every Windows, macOS and Linux host (applied globally, severity high)
// and returns its ID. Falcon keeps one IOC per type and value: an IOC of
// another's that prevents it already is answered with its ID; one that
// only detects, or allows, it is refused (409) rather than replaced, since
// the undo would then delete another's indicator. Falcon's warnings (a
// hash it knows as a common file) are not ignored: the IOC is then not
// created and the call fails with Falcon's message.
func (c *Client) BlockHash(ctx context.Context, hash, comment string) (string, error) {
	hash, typ, err := c.iocType(http.MethodPost, hash)
	if err != nil {
		return "", err
	}
	existing := func() (string, error) {
		iocs, err := c.hashIOCs(ctx, typ, hash)
		if err != nil {
			return "", fmt.Errorf("falcon: block %s: %w", hash, err)
		}
		for _, ioc := range iocs {
			if Prevents(ioc.Action) && !ioc.Expired {
				return ioc.ID, nil
			}
			return "", c.localError(http.MethodPost, iocPath, http.StatusConflict,
				fmt.Sprintf("IOC %s for %s has action %s (source %s): socflow does not replace another's indicator; change its action in the console",
					ioc.ID, hash, ioc.Action, orDefault(ioc.Source, orDefault(ioc.CreatedBy, "unknown"))))
		}
		return "", nil
	}
	if id, err := existing(); id != "" || err != nil {
		return id, err
	}
	desc := orDefault(comment, "socflow: block "+hash)
	body := map[string]any{
		"comment": desc,
		"indicators": []map[string]any{{
			"type":             typ,
			"value":            hash,
			"action":           "prevent",
			"severity":         "high",
			"platforms":        IOCPlatforms,
			"applied_globally": true,
			"source":           IOCSource,
			"description":      desc,
		}},
	}
	var out envelope[IOC]
	err = c.do(ctx, http.MethodPost, iocPath, body, &out)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Code == http.StatusBadRequest {
		// Another request (a retry whose answer was lost, the console)
		// may have created it first: a duplicate is refused as a 400.
		if id, lerr := existing(); id != "" && lerr == nil {
			return id, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("falcon: block %s: %w", hash, err)
	}
	i := slices.IndexFunc(out.Resources, func(ioc IOC) bool { return ioc.ID != "" && strings.EqualFold(ioc.Value, hash) })
	if i < 0 {
		if len(out.Errors) > 0 {
			return "", fmt.Errorf("falcon: block %s: %s", hash, errorText(out.Errors))
		}
		return "", fmt.Errorf("falcon: block %s: the answer names no IOC", hash)
	}
	return out.Resources[i].ID, nil
}

// UnblockHash deletes the custom IOC BlockHash created. With an empty ref
// it deletes the IOCs of hash whose source is socflow's, never another's.
// An IOC already gone counts as deleted, so the undo can be repeated.
func (c *Client) UnblockHash(ctx context.Context, hash, ref string) error {
	ids := []string{ref}
	if ref == "" {
		h, typ, err := c.iocType(http.MethodDelete, hash)
		if err != nil {
			return err
		}
		iocs, err := c.hashIOCs(ctx, typ, h)
		if err != nil {
			return fmt.Errorf("falcon: unblock %s: %w", h, err)
		}
		ids = ids[:0]
		for _, ioc := range iocs {
			if ioc.Source == IOCSource && ioc.ID != "" {
				ids = append(ids, ioc.ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
	}
	q := url.Values{"ids": {strings.Join(ids, ",")}, "comment": {"socflow: unblock " + hash}}
	err := c.do(ctx, http.MethodDelete, iocPath+"?"+q.Encode(), nil, nil)
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("falcon: unblock %s: %w", hash, err)
	}
	return nil
}
