// Package alert holds the records that flow through socflow: the canonical
// Alert every vendor format is decoded into, the context packet enrichment
// builds around it, the score, the decisions responders make, the containment
// actions and the audit timeline.
//
// The package depends on the standard library only, so every other package
// (workflows, activities, integrations, the CLI) can share these types and
// Temporal can serialise them as plain JSON.
package alert

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// MaxRawBytes bounds the raw vendor payload kept on an alert. Temporal keeps
// every workflow input in history, so an unbounded payload would make a storm
// of large alerts fill the persistence store.
const MaxRawBytes = 16 << 10

// Alert is the canonical, vendor-neutral form of one detection.
type Alert struct {
	// ID is the identifier the source gave the alert. When the source gives
	// none, intake derives one from the fingerprint and time.
	ID string `json:"id,omitempty"`
	// Source names the product that raised the alert (for example
	// "suricata", "elastic", "crowdstrike").
	Source string `json:"source"`
	// Rule is the detection rule's name or ID at the source.
	Rule string `json:"rule"`
	// Title is a one-line human summary.
	Title string `json:"title"`
	// Description carries the source's longer explanation, if any.
	Description string `json:"description,omitempty"`
	// Category is a coarse class used by routing, such as "network",
	// "malware", "identity" or "exfiltration".
	Category string `json:"category,omitempty"`
	// Severity is the source's severity mapped onto socflow's scale.
	Severity Severity `json:"severity"`
	// Time is when the detection happened at the source.
	Time time.Time `json:"time"`
	// Entities are the hosts, users, addresses and artefacts involved.
	Entities Entities `json:"entities"`
	// Techniques are MITRE ATT&CK technique IDs such as "T1059.001".
	Techniques []string `json:"techniques,omitempty"`
	// CVSS is an optional CVSS v3.1 or v4.0 vector that scoring may use as
	// the base instead of Severity.
	CVSS string `json:"cvss,omitempty"`
	// Labels are free-form key/value pairs from the source.
	Labels map[string]string `json:"labels,omitempty"`
	// Raw is the original payload, truncated to MaxRawBytes.
	Raw string `json:"raw,omitempty"`
	// RawTruncated reports that Raw was cut at MaxRawBytes.
	RawTruncated bool `json:"raw_truncated,omitempty"`
	// Correlation names the correlation rule that raised this alert, and
	// Related the IDs of the alerts that made it fire.
	Correlation string   `json:"correlation,omitempty"`
	Related     []string `json:"related,omitempty"`
	// Drill marks synthetic alerts raised by escalation drills, so that
	// they are routed and audited like real ones but never contain anything.
	Drill bool `json:"drill,omitempty"`
	// SubmittedBy names the authenticated principal that submitted the
	// alert, and AutoContainTrusted says whether the policy may contain on
	// its word alone (the timeout default "contain"). Intake sets both
	// from the credential and overwrites whatever the body said, so that
	// whoever can post an alert cannot claim trust it does not have.
	SubmittedBy        string `json:"submitted_by,omitempty"`
	AutoContainTrusted bool   `json:"auto_contain_trusted,omitempty"`
}

// Entities are the observables an alert names.
type Entities struct {
	Hosts     []Host     `json:"hosts,omitempty"`
	Users     []User     `json:"users,omitempty"`
	IPs       []IP       `json:"ips,omitempty"`
	Processes []Process  `json:"processes,omitempty"`
	Files     []FileHash `json:"files,omitempty"`
	Domains   []string   `json:"domains,omitempty"`
	URLs      []string   `json:"urls,omitempty"`
}

// Host is an endpoint named by an alert.
type Host struct {
	Name string `json:"name"`
	// ID is the host's identifier at the EDR, when the source knows it.
	ID string   `json:"id,omitempty"`
	IP []string `json:"ip,omitempty"`
	OS string   `json:"os,omitempty"`
}

// User is an account named by an alert.
type User struct {
	Name   string `json:"name"`
	Domain string `json:"domain,omitempty"`
	Email  string `json:"email,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Direction says which side of a connection an address was on.
type Direction string

// Directions of an IP entity.
const (
	DirectionSource      Direction = "source"
	DirectionDestination Direction = "destination"
	DirectionUnknown     Direction = ""
)

// IP is a network address named by an alert.
type IP struct {
	Addr      string    `json:"addr"`
	Direction Direction `json:"direction,omitempty"`
	Port      int       `json:"port,omitempty"`
}

// Process is a process named by an alert.
type Process struct {
	Name        string `json:"name,omitempty"`
	PID         int    `json:"pid,omitempty"`
	CommandLine string `json:"command_line,omitempty"`
	Parent      string `json:"parent,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
}

// FileHash is a file named by an alert, by one or more of its hashes.
type FileHash struct {
	Name   string `json:"name,omitempty"`
	Path   string `json:"path,omitempty"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// FieldError says which field of an alert is unusable and why. Intake
// reports it to whoever sent the alert, so the text must name the field as
// it appears in the native JSON format.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Validate reports every problem that makes the alert unusable, each as a
// *FieldError joined with errors.Join, or nil when the alert can be
// processed.
func (a *Alert) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(a.Source) == "" {
		bad("source", "is required")
	}
	if strings.TrimSpace(a.Rule) == "" {
		bad("rule", "is required")
	}
	if strings.TrimSpace(a.Title) == "" {
		bad("title", "is required")
	}
	if !a.Severity.Valid() {
		bad("severity", "must be one of %s, got %q", strings.Join(SeverityNames(), ", "), string(a.Severity))
	}
	if a.Time.IsZero() {
		bad("time", "is required (RFC 3339)")
	}
	if a.Entities.Empty() {
		bad("entities", "must name at least one host, user, IP, process, file, domain or URL")
	}
	for i, h := range a.Entities.Hosts {
		if strings.TrimSpace(h.Name) == "" && h.ID == "" {
			bad(fmt.Sprintf("entities.hosts[%d].name", i), "is required")
		}
	}
	for i, u := range a.Entities.Users {
		if strings.TrimSpace(u.Name) == "" {
			bad(fmt.Sprintf("entities.users[%d].name", i), "is required")
		}
	}
	for i, ip := range a.Entities.IPs {
		if _, err := netip.ParseAddr(ip.Addr); err != nil {
			bad(fmt.Sprintf("entities.ips[%d].addr", i), "%q is not an IP address", ip.Addr)
		}
		switch ip.Direction {
		case DirectionSource, DirectionDestination, DirectionUnknown:
		default:
			bad(fmt.Sprintf("entities.ips[%d].direction", i), "must be source or destination, got %q", ip.Direction)
		}
		if ip.Port < 0 || ip.Port > 65535 {
			bad(fmt.Sprintf("entities.ips[%d].port", i), "%d is out of range", ip.Port)
		}
	}
	return errors.Join(errs...)
}

// Empty reports whether no entity at all is named.
func (e Entities) Empty() bool {
	return len(e.Hosts) == 0 && len(e.Users) == 0 && len(e.IPs) == 0 &&
		len(e.Processes) == 0 && len(e.Files) == 0 && len(e.Domains) == 0 && len(e.URLs) == 0
}

// PrimaryHost returns the first named host, lower-cased, or "".
func (a *Alert) PrimaryHost() string {
	for _, h := range a.Entities.Hosts {
		if h.Name != "" {
			return strings.ToLower(h.Name)
		}
	}
	return ""
}

// PrimaryUser returns the first named user, lower-cased, or "".
func (a *Alert) PrimaryUser() string {
	for _, u := range a.Entities.Users {
		if u.Name != "" {
			return strings.ToLower(u.Name)
		}
	}
	return ""
}

// SourceIP returns the first address marked as a connection source, or "".
func (a *Alert) SourceIP() string {
	for _, ip := range a.Entities.IPs {
		if ip.Direction == DirectionSource {
			return ip.Addr
		}
	}
	return ""
}

// DestinationIP returns the first address marked as a destination, or "".
func (a *Alert) DestinationIP() string {
	for _, ip := range a.Entities.IPs {
		if ip.Direction == DirectionDestination {
			return ip.Addr
		}
	}
	return ""
}

// Hashes returns every file hash the alert names, processes included.
func (a *Alert) Hashes() []string {
	var out []string
	for _, f := range a.Entities.Files {
		for _, h := range []string{f.SHA256, f.SHA1, f.MD5} {
			if h != "" {
				out = append(out, strings.ToLower(h))
			}
		}
	}
	for _, p := range a.Entities.Processes {
		if p.SHA256 != "" {
			out = append(out, strings.ToLower(p.SHA256))
		}
	}
	return out
}

// TruncateRaw stores raw as the alert's raw payload, cut at MaxRawBytes on a
// UTF-8 boundary. Unlike Truncate it adds no mark, so that Raw stays a
// prefix of the payload; RawTruncated says it was cut.
func (a *Alert) TruncateRaw(raw []byte) {
	cut := cutUTF8(raw, MaxRawBytes)
	a.Raw, a.RawTruncated = string(cut), len(cut) < len(raw)
}
