// Package events is the event store behind POST /v1/events: endpoint and
// network telemetry (process starts, network connections, authentications,
// firewall allows and blocks, DNS queries) kept for a retention period in
// SQLite (the default, through a pure-Go driver) or PostgreSQL, so that
// enrichment can ask "what happened on this alert's host, user and
// addresses just before it?".
//
// Raw telemetry never goes through Temporal: only alerts start workflows.
// The same database keeps incidents' case files: the bulky record of each
// incident that its workflow writes here instead of holding it in state.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
)

// The event kinds.
const (
	KindProcessStart      = "process_start"
	KindNetworkConnection = "network_connection"
	KindAuthentication    = "authentication"
	KindFirewallAllow     = "firewall_allow"
	KindFirewallBlock     = "firewall_block"
	KindDNS               = "dns"
	// KindEmail is a message delivered: User is the recipient and Domain
	// the sender's domain, so that a phishing playbook can find who else
	// received mail from the same sender.
	KindEmail = "email"
)

// Kinds lists the event kinds the store accepts.
func Kinds() []string {
	return []string{KindProcessStart, KindNetworkConnection, KindAuthentication, KindFirewallAllow, KindFirewallBlock, KindDNS, KindEmail}
}

// Authentication outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Limits on what one event may carry. They keep a flood of oversized
// events from filling the store; a Windows command line is at most 32,767
// characters, so MaxTextBytes never cuts a real one.
const (
	MaxTextBytes = 32 << 10
	MaxRawBytes  = 16 << 10
)

// Event is one telemetry record. Which fields are set depends on Kind; the
// store matches an event to a query by Host, User, SrcIP and DstIP.
type Event struct {
	Time time.Time `json:"time"`
	// Kind is one of Kinds().
	Kind string `json:"kind"`
	// Host is the endpoint that reported or saw the event. Host names are
	// case-insensitive, so the store keeps them lower-cased.
	Host string `json:"host,omitempty"`
	// User is the account involved. User names are compared without regard
	// to case (as Active Directory and most identity providers do), so the
	// store keeps them lower-cased.
	User    string `json:"user,omitempty"`
	SrcIP   string `json:"src_ip,omitempty"`
	DstIP   string `json:"dst_ip,omitempty"`
	DstPort int    `json:"dst_port,omitempty"`
	// Process is the image name or path, CommandLine its arguments, and
	// ParentProcess the process that started it.
	Process       string `json:"process,omitempty"`
	CommandLine   string `json:"command_line,omitempty"`
	ParentProcess string `json:"parent_process,omitempty"`
	// Domain is the name queried (dns) or connected to, when known.
	Domain string `json:"domain,omitempty"`
	// Outcome is "success" or "failure"; required for authentication.
	Outcome string `json:"outcome,omitempty"`
	// Source names the product that reported the event ("sysmon",
	// "okta", "pfsense").
	Source string `json:"source,omitempty"`
	// Raw is the original record, at most MaxRawBytes of JSON.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// FieldError says which field of an event is unusable and why, naming the
// field as it appears in JSON.
type FieldError struct {
	Field  string
	Reason string
}

// Error renders the problem as "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Normalize returns the event in the form the store keeps and compares:
// text trimmed and made valid UTF-8 without NUL bytes (PostgreSQL refuses
// them, and an attacker must not be able to get an event refused by
// putting one in a command line), host, user, kind, outcome and domain
// lower-cased, addresses in canonical form, and the time in UTC truncated
// to the microsecond, the resolution both SQLite and PostgreSQL stores keep.
func (e Event) Normalize() Event {
	clean := func(s string) string { return strings.TrimSpace(validText(s)) }
	lower := func(s string) string { return strings.ToLower(clean(s)) }
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Kind = lower(e.Kind)
	e.Host = lower(e.Host)
	e.User = lower(e.User)
	e.SrcIP = canonicalIP(clean(e.SrcIP))
	e.DstIP = canonicalIP(clean(e.DstIP))
	e.Process = clean(e.Process)
	e.CommandLine = clean(e.CommandLine)
	e.ParentProcess = clean(e.ParentProcess)
	e.Domain = strings.TrimSuffix(lower(e.Domain), ".")
	e.Outcome = lower(e.Outcome)
	e.Source = clean(e.Source)
	if len(e.Raw) > 0 && !utf8.Valid(e.Raw) {
		// In valid JSON invalid bytes can only sit inside strings, so
		// replacing them keeps the JSON valid.
		e.Raw = json.RawMessage(strings.ToValidUTF8(string(e.Raw), "\uFFFD"))
	}
	return e
}

// canonicalIP returns the canonical text of an address (IPv4-mapped IPv6
// unmapped, IPv6 compressed and lower-case) so that equal addresses match
// in the store, or s unchanged when it is not an address.
func canonicalIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	return a.Unmap().String()
}

// Validate reports every problem that makes the event unusable, each as a
// *FieldError joined with errors.Join, or nil. Call it on a normalised
// event: it does not forgive case or stray spaces.
func (e Event) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if e.Time.IsZero() {
		bad("time", "is required (RFC 3339 or Unix seconds)")
	}
	switch {
	case e.Kind == "":
		bad("kind", "is required, one of %s", strings.Join(Kinds(), ", "))
	case !slices.Contains(Kinds(), e.Kind):
		bad("kind", "must be one of %s, got %q", strings.Join(Kinds(), ", "), e.Kind)
	}
	if e.Host == "" && e.User == "" && e.SrcIP == "" && e.DstIP == "" {
		bad("host", "an event must name at least one of host, user, src_ip or dst_ip")
	}
	for _, f := range []struct{ name, value string }{{"src_ip", e.SrcIP}, {"dst_ip", e.DstIP}} {
		if f.value == "" {
			continue
		}
		if _, err := netip.ParseAddr(f.value); err != nil {
			bad(f.name, "is not an IP address: %q", truncate(f.value, 64))
		}
	}
	if e.DstPort < 0 || e.DstPort > 65535 {
		bad("dst_port", "must be 0-65535, got %d", e.DstPort)
	}
	switch {
	case e.Kind == KindAuthentication && e.Outcome == "":
		bad("outcome", "is required for authentication: %s or %s", OutcomeSuccess, OutcomeFailure)
	case e.Outcome != "" && e.Outcome != OutcomeSuccess && e.Outcome != OutcomeFailure:
		bad("outcome", "must be %s or %s, got %q", OutcomeSuccess, OutcomeFailure, truncate(e.Outcome, 64))
	}
	if e.Kind == KindAuthentication && e.User == "" {
		bad("user", "is required for authentication")
	}
	if e.Kind == KindEmail && (e.User == "" || e.Domain == "") {
		bad("user", "and domain are required for email: the recipient and the sender's domain")
	}
	for _, f := range e.textFields() {
		if len(f.value) > MaxTextBytes {
			bad(f.name, "is %d bytes, more than the %d allowed", len(f.value), MaxTextBytes)
		}
	}
	switch {
	case len(e.Raw) > MaxRawBytes:
		bad("raw", "is %d bytes, more than the %d allowed", len(e.Raw), MaxRawBytes)
	case len(e.Raw) > 0 && !json.Valid(e.Raw):
		bad("raw", "is not valid JSON")
	}
	return errors.Join(errs...)
}

type namedText struct{ name, value string }

func (e Event) textFields() []namedText {
	return []namedText{
		{"host", e.Host}, {"user", e.User}, {"process", e.Process}, {"command_line", e.CommandLine},
		{"parent_process", e.ParentProcess}, {"domain", e.Domain}, {"source", e.Source},
	}
}

// summaryArg bounds each value in a summary, so that one long command
// line does not push the rest of the context packet off a Slack message.
const summaryArg = 100

// Summary renders an event as a one-line, human-readable sentence, for
// alert.RelatedEvent:
//
//	process_start powershell.exe -enc JAB... (parent winword.exe) by alice on ws-042
//	firewall_block 10.0.1.42 -> 203.0.113.7:443
//	authentication failure bob from 203.0.113.50
//
// Control and bidirectional-override characters are replaced, because
// the text is attacker-influenced and ends up in terminals and chat.
func Summary(e Event) string {
	var b strings.Builder
	b.WriteString(e.Kind)
	word := func(prefix, s string) {
		if s != "" {
			b.WriteString(prefix)
			b.WriteString(safe(s))
		}
	}
	switch e.Kind {
	case KindProcessStart:
		cmd := e.CommandLine
		if cmd == "" {
			cmd = e.Process
		}
		word(" ", cmd)
		if e.ParentProcess != "" {
			word(" (parent ", e.ParentProcess)
			b.WriteString(")")
		}
		word(" by ", e.User)
		word(" on ", e.Host)
	case KindNetworkConnection, KindFirewallAllow, KindFirewallBlock:
		word(" ", flow(e))
		word(" (", e.Domain)
		if e.Domain != "" {
			b.WriteString(")")
		}
		word(" by ", e.Process)
		if e.Kind == KindNetworkConnection {
			word(" as ", e.User)
		}
		word(" on ", e.Host)
	case KindAuthentication:
		word(" ", e.Outcome)
		word(" ", e.User)
		word(" from ", e.SrcIP)
		word(" on ", e.Host)
		word(" via ", e.Source)
	case KindEmail:
		word(" from ", e.Domain)
		word(" to ", e.User)
		word(" via ", e.Source)
	case KindDNS:
		word(" ", e.Domain)
		word(" from ", e.SrcIP)
		word(" by ", e.Process)
		word(" on ", e.Host)
	default:
		word(" ", flow(e))
		word(" ", e.User)
		word(" on ", e.Host)
	}
	return b.String()
}

// flow renders "src -> dst:port", leaving out what is unknown.
func flow(e Event) string {
	dst := e.DstIP
	if dst == "" {
		dst = e.Domain
	}
	if dst != "" && e.DstPort > 0 {
		if strings.Contains(dst, ":") {
			dst = "[" + dst + "]"
		}
		dst = fmt.Sprintf("%s:%d", dst, e.DstPort)
	}
	switch {
	case e.SrcIP != "" && dst != "":
		return e.SrcIP + " -> " + dst
	case dst != "":
		return "-> " + dst
	}
	return e.SrcIP
}

// safe makes attacker-controlled text fit for one line of a terminal or a
// chat message, and bounds its length.
func safe(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			return '\uFFFD'
		}
		return r
	}, s)
	return truncate(s, summaryArg)
}

// truncate cuts s to at most n runes, marking the cut with "...".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// RelatedEvents turns events into the context packet's form.
func RelatedEvents(evs []Event) []alert.RelatedEvent {
	out := make([]alert.RelatedEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, alert.RelatedEvent{Time: e.Time, Kind: e.Kind, Summary: Summary(e), Host: e.Host, User: e.User})
	}
	return out
}
