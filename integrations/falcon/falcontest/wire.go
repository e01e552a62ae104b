package falcontest

import "time"

// The wire shapes of Falcon's answers, as its API reference documents
// them (msa.ReplyMetaOnly, domain.DeviceSwagger, msa.EntityActionResponse).

type page[T any] struct {
	Meta      meta       `json:"meta"`
	Resources []T        `json:"resources"`
	Errors    []apiError `json:"errors"`
}

type meta struct {
	QueryTime  float64     `json:"query_time"`
	Pagination *pagination `json:"pagination,omitempty"`
	PoweredBy  string      `json:"powered_by"`
	TraceID    string      `json:"trace_id"`
}

type pagination struct {
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
	Total  int `json:"total"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id,omitempty"`
}

type deviceJSON struct {
	DeviceID                 string `json:"device_id"`
	CID                      string `json:"cid"`
	Hostname                 string `json:"hostname"`
	PlatformName             string `json:"platform_name"`
	OSVersion                string `json:"os_version"`
	AgentVersion             string `json:"agent_version"`
	LocalIP                  string `json:"local_ip,omitempty"`
	FirstSeen                string `json:"first_seen"`
	LastSeen                 string `json:"last_seen"`
	Status                   string `json:"status"`
	ReducedFunctionalityMode string `json:"reduced_functionality_mode"`
	ProductTypeDesc          string `json:"product_type_desc"`
}

type actionJSON struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// cid is the customer ID the fake's devices belong to.
const cid = "0123456789abcdef0123456789abcdef"

func (d *device) json() deviceJSON {
	return deviceJSON{
		DeviceID:                 d.DeviceID,
		CID:                      cid,
		Hostname:                 d.Hostname,
		PlatformName:             d.PlatformName,
		OSVersion:                d.OSVersion,
		AgentVersion:             "7.10.17706.0",
		LocalIP:                  d.LocalIP,
		FirstSeen:                d.LastSeen.Add(-30 * 24 * time.Hour).Format(time.RFC3339),
		LastSeen:                 d.LastSeen.Format(time.RFC3339),
		Status:                   d.Status,
		ReducedFunctionalityMode: "no",
		ProductTypeDesc:          "Workstation",
	}
}
