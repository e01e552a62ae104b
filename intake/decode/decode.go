// Package decode turns the alerts detection products emit into socflow's
// canonical alert.Alert: Elastic Security, Splunk alert webhooks, Suricata
// EVE, CrowdStrike Falcon streaming events, Microsoft Defender for Endpoint,
// Microsoft Graph security alerts_v2, AWS GuardDuty, Wazuh, OCSF Detection
// Findings, socflow's own native JSON, and site-specific formats described by
// a GenericMapping.
//
// The rules every decoder follows:
//
//   - It decodes one entry: one JSON value of a batch that intake has already
//     split (one line of NDJSON, one element of an array). Pages and envelopes
//     the products really send (a Graph page, a GuardDuty EventBridge event,
//     an Elasticsearch search response) are one entry holding zero or more
//     alerts.
//   - It never panics, whatever the input. Real payloads have missing fields,
//     nulls, numbers written as strings and placeholder values ("-", "N/A");
//     these are read leniently.
//   - An alert it cannot use is rejected with a *FieldError that names the
//     vendor's field ("suricata: alert.signature: missing"), so whoever sent it
//     can fix it. Every alert it returns passes (*alert.Alert).Validate.
//   - Entries that are not alerts (Suricata flow records, Falcon audit
//     events) are counted in Result.Skipped, not reported as errors.
//   - Each vendor severity scale is mapped onto socflow's five steps by a
//     documented table; a severity the source does not state is medium
//     (defaultSeverity), so that it is neither buried nor paged as high.
//   - Category is set to "network", "malware", "identity" or "exfiltration"
//     when the vendor's data says so, because routing keys on it.
package decode

import (
	"encoding/json"

	"github.com/socflow/socflow/alert"
)

// Result is what decoding one entry produced: the alerts it held (a page may
// hold none or many) and how many records were skipped because they are not
// alerts, with the reason for the last one skipped.
type Result struct {
	Alerts     []alert.Alert
	Skipped    int
	SkipReason string
}

// Format is one alert format socflow can decode.
type Format interface {
	// Name is the format's name, as callers force it (?format=suricata).
	Name() string
	// Detect reports whether the top-level JSON object is this format. It
	// must be cheap and never panic.
	Detect(obj map[string]json.RawMessage) bool
	// Decode decodes one entry. It returns an error naming the field for an
	// unusable alert. When a page holds usable and unusable alerts, Decode
	// returns the usable ones in Result.Alerts together with an error naming
	// each unusable one, so that one bad element does not lose the page.
	Decode(raw []byte) (Result, error)
}

// FieldError says which field of a vendor payload makes an entry unusable.
// Field is spelled as the vendor spells it (with the page position for an
// element of a page, as in "value[2].title"), because the message goes back
// to whoever sent the payload.
type FieldError struct {
	Format string
	Field  string
	Reason string
}

// Error renders "format: field: reason", or "format: reason" when the
// problem is the entry as a whole.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Format + ": " + e.Reason
	}
	return e.Format + ": " + e.Field + ": " + e.Reason
}

// missing is the error for a required field that is absent, null or empty.
func missing(format, field string) error {
	return &FieldError{Format: format, Field: field, Reason: "missing"}
}
