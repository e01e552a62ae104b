package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Bounds on what one alert carries. Every field below reaches Temporal (a
// keyword search attribute takes at most 2 KiB, a payload or a query result
// 2 MiB, a gRPC message 4 MiB), a Slack card or a Jira issue, so none may
// grow with what a sender writes. Bound applies them.
const (
	// MaxNameBytes bounds names: source, rule, category, host and user
	// names, IDs, techniques, file and process names. 255 is what file
	// systems and DNS allow a name, and keeps a name well inside a search
	// attribute once lower-cased.
	MaxNameBytes = 255
	// MaxDomainBytes is the longest DNS name (RFC 1035).
	MaxDomainBytes      = 253
	MaxTitleBytes       = 512
	MaxDescriptionBytes = 4 << 10
	MaxCommandLineBytes = 4 << 10
	MaxPathBytes        = 1 << 10
	MaxURLBytes         = 2 << 10
	MaxLabels           = 64
	MaxLabelKeyBytes    = 128
	MaxLabelValueBytes  = 1 << 10
	// MaxEntities bounds each list: each kind of entity, a host's
	// addresses, techniques, related alerts.
	MaxEntities = 256
	// MaxEncodedBytes bounds the whole alert as JSON, as Temporal receives
	// it: escaping can make it six times its size on the wire ('<' is
	// \u003c), and one alert travels in every signal of its run.
	MaxEncodedBytes = 256 << 10
)

// LabelTruncated is the label listing, comma-separated, the fields that
// were cut to their bound ("title,entities.processes.command_line"), so
// that a responder knows the full text is only in the source (or in Raw).
const LabelTruncated = "socflow.truncated"

// NoteTruncated adds field to the LabelTruncated label, once.
func (a *Alert) NoteTruncated(field string) {
	cur := a.Labels[LabelTruncated]
	if cur != "" && slices.Contains(strings.Split(cur, ","), field) {
		return
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if cur != "" {
		field = cur + "," + field
	}
	a.Labels[LabelTruncated] = Truncate(field, MaxLabelValueBytes)
}

// Bound makes the alert fit everywhere it goes, field by field, and reports
// the fields it cannot shorten. The rules:
//
//   - Text written for people (rule, title, description, category, host
//     OS, process and file names and paths, command lines, URLs, label
//     values) is cut with Truncate and the field named in LabelTruncated.
//     The rule is text too: an alert must not be lost for a long rule
//     name, and two rules that share their first 250 bytes are then one.
//   - Lists (each kind of entity, a host's addresses, techniques, related
//     alerts) keep their first MaxEntities entries; labels keep the first
//     MaxLabels keys in byte order, and drop keys over MaxLabelKeyBytes.
//     The list is named in LabelTruncated.
//   - Names that say what the alert is about, and what containment acts
//     on (the ID and source, host names, IDs and addresses, user names,
//     domains, e-mails and IDs, IP addresses, domains, hashes, techniques,
//     related IDs, the CVSS vector), are never shortened: a shorter name
//     is another host or account. One over its bound is a *FieldError,
//     joined with errors.Join like Validate's, and the alert is refused.
//
// Bound is idempotent, so an alert that went through it once (a decoder's
// output, a resubmitted alert) is unchanged.
func (a *Alert) Bound() error {
	b := bounder{a: a}
	b.name("id", a.ID, MaxNameBytes)
	b.name("source", a.Source, MaxNameBytes)
	b.text("rule", &a.Rule, MaxNameBytes)
	b.text("title", &a.Title, MaxTitleBytes)
	b.text("description", &a.Description, MaxDescriptionBytes)
	b.text("category", &a.Category, MaxNameBytes)
	b.name("cvss", a.CVSS, MaxNameBytes)
	b.text("correlation", &a.Correlation, MaxNameBytes)
	if len(a.Raw) > MaxRawBytes {
		a.Raw, a.RawTruncated = cutUTF8(a.Raw, MaxRawBytes), true
	}
	boundList(&b, "techniques", &a.Techniques)
	for i, v := range a.Techniques {
		b.name(fmt.Sprintf("techniques[%d]", i), v, MaxNameBytes)
	}
	boundList(&b, "related", &a.Related)
	for i, v := range a.Related {
		b.name(fmt.Sprintf("related[%d]", i), v, MaxNameBytes)
	}

	e := &a.Entities
	boundList(&b, "entities.hosts", &e.Hosts)
	for i := range e.Hosts {
		h := &e.Hosts[i]
		at := fmt.Sprintf("entities.hosts[%d].", i)
		b.name(at+"name", h.Name, MaxNameBytes)
		b.name(at+"id", h.ID, MaxNameBytes)
		b.text("entities.hosts.os", &h.OS, MaxNameBytes)
		boundList(&b, "entities.hosts.ip", &h.IP)
		for j, ip := range h.IP {
			b.name(fmt.Sprintf("%sip[%d]", at, j), ip, MaxNameBytes)
		}
	}
	boundList(&b, "entities.users", &e.Users)
	for i, u := range e.Users {
		at := fmt.Sprintf("entities.users[%d].", i)
		b.name(at+"name", u.Name, MaxNameBytes)
		b.name(at+"domain", u.Domain, MaxNameBytes)
		b.name(at+"email", u.Email, MaxNameBytes)
		b.name(at+"id", u.ID, MaxNameBytes)
	}
	boundList(&b, "entities.ips", &e.IPs)
	for i, ip := range e.IPs {
		b.name(fmt.Sprintf("entities.ips[%d].addr", i), ip.Addr, MaxNameBytes)
	}
	boundList(&b, "entities.processes", &e.Processes)
	for i := range e.Processes {
		p := &e.Processes[i]
		b.text("entities.processes.name", &p.Name, MaxNameBytes)
		b.text("entities.processes.parent", &p.Parent, MaxNameBytes)
		b.text("entities.processes.command_line", &p.CommandLine, MaxCommandLineBytes)
		b.name(fmt.Sprintf("entities.processes[%d].sha256", i), p.SHA256, MaxNameBytes)
	}
	boundList(&b, "entities.files", &e.Files)
	for i := range e.Files {
		f := &e.Files[i]
		at := fmt.Sprintf("entities.files[%d].", i)
		b.text("entities.files.name", &f.Name, MaxNameBytes)
		b.text("entities.files.path", &f.Path, MaxPathBytes)
		b.name(at+"md5", f.MD5, MaxNameBytes)
		b.name(at+"sha1", f.SHA1, MaxNameBytes)
		b.name(at+"sha256", f.SHA256, MaxNameBytes)
	}
	boundList(&b, "entities.domains", &e.Domains)
	for i, d := range e.Domains {
		b.name(fmt.Sprintf("entities.domains[%d]", i), d, MaxDomainBytes)
	}
	boundList(&b, "entities.urls", &e.URLs)
	for i := range e.URLs {
		b.text("entities.urls", &e.URLs[i], MaxURLBytes)
	}

	b.labels()
	return errors.Join(b.errs...)
}

type bounder struct {
	a    *Alert
	errs []error
}

// text cuts free text to n bytes.
func (b *bounder) text(field string, s *string, n int) {
	if len(*s) > n {
		*s = Truncate(*s, n)
		b.a.NoteTruncated(field)
	}
}

// name refuses a name over n bytes.
func (b *bounder) name(field, s string, n int) {
	if len(s) > n {
		b.errs = append(b.errs, &FieldError{Field: field, Reason: fmt.Sprintf(
			"is %d bytes, at most %d: socflow does not shorten a name, since a shorter one names something else", len(s), n)})
	}
}

func boundList[T any](b *bounder, field string, l *[]T) {
	if len(*l) > MaxEntities {
		*l = slices.Clip((*l)[:MaxEntities])
		b.a.NoteTruncated(field)
	}
}

// labels keeps the first MaxLabels keys in byte order, each within
// MaxLabelKeyBytes, and cuts their values. LabelTruncated itself is not
// counted; a sender's own value for it is kept, cut like any value.
func (b *bounder) labels() {
	a := b.a
	if v, ok := a.Labels[LabelTruncated]; ok {
		a.Labels[LabelTruncated] = Truncate(v, MaxLabelValueBytes)
	}
	kept, cut := 0, false
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if k == LabelTruncated {
			continue
		}
		if len(k) > MaxLabelKeyBytes || kept == MaxLabels {
			delete(a.Labels, k)
			cut = true
			continue
		}
		kept++
		if v := a.Labels[k]; len(v) > MaxLabelValueBytes {
			a.Labels[k] = Truncate(v, MaxLabelValueBytes)
			cut = true
		}
	}
	if cut {
		a.NoteTruncated("labels")
	}
}

// LargestField returns the top-level field (or entity list) whose JSON
// encoding is largest, and that size: what to name when the alert as a
// whole is over MaxEncodedBytes.
func (a *Alert) LargestField() (field string, size int) {
	parts := []struct {
		name string
		v    any
	}{
		{"id", a.ID}, {"source", a.Source}, {"rule", a.Rule}, {"title", a.Title},
		{"description", a.Description}, {"category", a.Category}, {"techniques", a.Techniques},
		{"cvss", a.CVSS}, {"labels", a.Labels}, {"raw", a.Raw}, {"correlation", a.Correlation},
		{"related", a.Related},
		{"entities.hosts", a.Entities.Hosts}, {"entities.users", a.Entities.Users},
		{"entities.ips", a.Entities.IPs}, {"entities.processes", a.Entities.Processes},
		{"entities.files", a.Entities.Files}, {"entities.domains", a.Entities.Domains},
		{"entities.urls", a.Entities.URLs},
	}
	for _, p := range parts {
		b, err := json.Marshal(p.v)
		if err == nil && len(b) > size {
			field, size = p.name, len(b)
		}
	}
	return field, size
}
