package alert

import (
	"fmt"
	"strings"
	"time"
)

// What the Temporal UI shows of socflow's workflows (Temporal's user
// metadata): a one-line summary in the workflow list, so that it reads
// like an incident list rather than a column of workflow IDs, and
// Markdown details on the workflow's page. Both are fixed when the
// workflow starts; the incident's current status is its current details,
// which the workflow keeps up to date.

// Temporal's limits on a workflow's static summary and details.
const (
	MaxUISummaryBytes = 200
	MaxUIDetailsBytes = 20000
)

// UIMetadata is a workflow's static summary and details.
type UIMetadata struct {
	Summary string `json:"summary,omitempty"`
	Details string `json:"details,omitempty"`
}

// AlertMetadata is an alert run's: its severity, title, first host and
// user, and rule; the details list its source, entities and techniques.
func AlertMetadata(a Alert) UIMetadata {
	return UIMetadata{
		Summary: uiSummary(a.Drill, string(a.Severity), a),
		Details: uiDetails([][2]string{
			{"Alert", a.Title},
			{"Source", a.Source},
			{"Rule", a.Rule},
			{"Severity", string(a.Severity)},
			{"Hosts", strings.Join(hostNames(a.Entities.Hosts), ", ")},
			{"Users", strings.Join(userNames(a.Entities.Users), ", ")},
			{"Techniques", strings.Join(a.Techniques, ", ")},
			{"Drill", drillText(a.Drill)},
		}),
	}
}

// IncidentMetadata is an incident run's, from the alert that opened it and
// its score: priority, title, first host and user, rule; the details add
// the routing key and the score.
func IncidentMetadata(key string, a Alert, s Score) UIMetadata {
	return UIMetadata{
		Summary: uiSummary(a.Drill, string(s.Priority), a),
		Details: uiDetails([][2]string{
			{"Incident", key},
			{"Opened by", a.Title},
			{"Priority", fmt.Sprintf("%s, score %d/100", s.Priority, s.Value)},
			{"Source", a.Source},
			{"Rule", a.Rule},
			{"Hosts", strings.Join(hostNames(a.Entities.Hosts), ", ")},
			{"Users", strings.Join(userNames(a.Entities.Users), ", ")},
			{"Drill", drillText(a.Drill)},
		}),
	}
}

// uiSummary reads "P1 · Inbound SMB to dc01 · host dc01 · user bob · rule
// SOCFLOW-NET-0042", "[DRILL] " first for a drill, cut to Temporal's 200
// bytes. It is plain text: the list shows it as it is.
func uiSummary(drill bool, level string, a Alert) string {
	parts := []string{}
	if level != "" {
		parts = append(parts, level)
	}
	parts = append(parts, OneLine(a.Title))
	if h := hostNames(a.Entities.Hosts); len(h) > 0 {
		parts = append(parts, "host "+OneLine(h[0]))
	}
	if u := userNames(a.Entities.Users); len(u) > 0 {
		parts = append(parts, "user "+OneLine(u[0]))
	}
	if a.Rule != "" {
		parts = append(parts, "rule "+OneLine(a.Rule))
	}
	s := strings.Join(parts, " · ")
	if drill {
		s = "[DRILL] " + s
	}
	return Truncate(s, MaxUISummaryBytes)
}

// uiDetails is one "**Label**: value" line per field that has a value, the
// values escaped (MarkdownText): an alert's title cannot add a link or a
// heading to the page.
func uiDetails(fields [][2]string) string {
	var b strings.Builder
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		fmt.Fprintf(&b, "**%s**: %s  \n", f[0], MarkdownText(f[1]))
	}
	return Truncate(strings.TrimSuffix(b.String(), "  \n"), MaxUIDetailsBytes)
}

func drillText(drill bool) string {
	if drill {
		return "yes: a rehearsal, nothing is contained"
	}
	return ""
}

func hostNames(hs []Host) []string { return names(hs, func(h Host) string { return h.Name }) }

func userNames(us []User) []string { return names(us, func(u User) string { return u.Name }) }

// names are the non-empty names of xs, in order.
func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if n := name(x); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// CurrentDetails is an incident's current details for the Temporal UI:
// its status, the tier asked and where, its priority, how many alerts,
// and where it stands against each SLA as of now. It reads the card's
// status, tier, channel, score, counts and drill flag only.
func CurrentDetails(c IncidentCard, m Milestones, now time.Time) string {
	tier := c.Tier
	if c.Channel != "" {
		if c.Status == StatusAwaiting {
			tier += ", asked in " + c.Channel
		} else {
			tier += " (" + c.Channel + ")"
		}
	}
	fields := [][2]string{
		{"Status", strings.ReplaceAll(c.Status, "_", " ")},
		{"Tier", tier},
		{"Priority", fmt.Sprintf("%s, score %d/100", c.Score.Priority, c.Score.Value)},
		{"Alerts", fmt.Sprintf("%d (%d occurrences)", c.Alerts, c.Occurrences)},
	}
	for _, kind := range []string{SLAAcknowledge, SLAContain} {
		due, done := m.Deadline(kind)
		at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
		var v string
		switch {
		case due.IsZero():
			continue
		case !done.IsZero() && done.After(due):
			v = "breached: " + at(done) + ", due " + at(due)
		case !done.IsZero():
			v = "met at " + at(done)
		case now.After(due):
			v = "breached: due " + at(due)
		default:
			v = "due " + at(due)
		}
		fields = append(fields, [2]string{"SLA " + kind, v})
	}
	if c.Drill {
		fields = append(fields, [2]string{"Drill", drillText(true)})
	}
	return uiDetails(fields)
}
