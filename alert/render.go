package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Gap sources that enrichment uses for its own lookups. When one of them
// failed, Lines lets the gap speak instead of also claiming "not found",
// which would read as a fact the packet does not have.
const (
	gapIntel  = "intel"
	gapAssets = "assets"
)

// Lines renders the packet as one human-readable line per fact, in a fixed
// order: asset, intel hits, users, related events, gaps. Every channel
// (console, Slack, Jira, CLI) prints these lines as they are, so a
// responder reads the same words wherever the incident reaches them.
//
// Text that came from outside (feed descriptions, anomaly findings, event
// summaries) is flattened to a single line, so a hostile feed cannot forge
// extra lines in a notification.
func (p ContextPacket) Lines() []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, OneLine(fmt.Sprintf(format, args...)))
	}

	switch {
	case p.Asset != nil:
		add("asset: %s", assetText(p.Asset))
	case !p.hasGap(gapAssets):
		add("asset: not in inventory")
	}

	if h := p.Host; h != nil {
		text := h.Name
		if h.OS != "" {
			text += " (" + h.OS + ")"
		}
		if h.Isolation != "" {
			text += ", " + h.Isolation
		}
		if h.Health != "" {
			text += ", health " + h.Health
		}
		if !h.LastSeen.IsZero() {
			text += ", last seen " + h.LastSeen.UTC().Format(time.RFC3339)
		}
		if h.Source != "" {
			text += " per " + h.Source
		}
		add("host: %s", text)
	}
	for _, h := range p.IntelHits {
		add("intel: %s", intelText(h))
	}
	if len(p.Hashes) > 0 {
		add("hashes: %s", strings.Join(p.Hashes, ", "))
	}
	if len(p.IntelHits) == 0 && !p.hasGap(gapIntel) {
		add("intel: no watchlist hits")
	}

	for _, u := range p.Users {
		seen := ""
		if !u.FirstSeen.IsZero() {
			seen = " (first seen " + u.FirstSeen.UTC().Format(time.DateOnly) + ")"
		}
		if u.IP != "" {
			where := strings.TrimSpace(u.City + " " + u.Country)
			if u.ASN != 0 {
				where += fmt.Sprintf(" AS%d %s", u.ASN, u.ASOrg)
			}
			if where = strings.TrimSpace(where); where != "" {
				seen += " from " + u.IP + " (" + where + ")"
			} else {
				seen += " from " + u.IP
			}
		}
		if len(u.Anomalies) == 0 {
			add("user: %s%s: no anomalies", u.Name, seen)
		}
		for _, a := range u.Anomalies {
			add("user: %s%s: %s", u.Name, seen, a)
		}
	}

	for _, e := range p.Related {
		kind := e.Kind
		if kind == "" {
			kind = "event"
		}
		add("related: %s %s: %s", e.Time.UTC().Format(time.RFC3339), kind, e.Summary)
	}

	for _, g := range p.Gaps {
		add("gap: %s: %s", g.Source, g.Reason)
	}
	return out
}

func (p ContextPacket) hasGap(source string) bool {
	for _, g := range p.Gaps {
		if g.Source == source {
			return true
		}
	}
	return false
}

// assetText reads "dc01 tier 1 (domain-controller), owner identity-team,
// tags ad, crown-jewel, matched by hostname".
func assetText(a *Asset) string {
	var b strings.Builder
	b.WriteString(a.Name)
	b.WriteString(" tier ")
	b.WriteString(strconv.Itoa(a.Tier))
	if a.Role != "" {
		b.WriteString(" (" + a.Role + ")")
	}
	if a.Owner != "" {
		b.WriteString(", owner " + a.Owner)
	}
	if len(a.Tags) > 0 {
		b.WriteString(", tags " + strings.Join(a.Tags, ", "))
	}
	if a.MatchedBy != "" {
		b.WriteString(", matched by " + a.MatchedBy)
	}
	return b.String()
}

// intelText reads "203.0.113.0/24 (cidr) on abuse-feed (confidence 60)
// [brute-force, hosting]: description".
func intelText(h IntelHit) string {
	var b strings.Builder
	b.WriteString(h.Indicator)
	if h.Type != "" {
		b.WriteString(" (" + h.Type + ")")
	}
	src := h.Source
	if src == "" {
		src = "an unnamed source"
	}
	fmt.Fprintf(&b, " on %s (confidence %d)", src, h.Confidence)
	if len(h.Labels) > 0 {
		b.WriteString(" [" + strings.Join(h.Labels, ", ") + "]")
	}
	if h.Description != "" {
		b.WriteString(": " + h.Description)
	}
	return b.String()
}
