package jira

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Jira's size limits: a summary holds 255 characters, a description or a
// comment 32,767.
const (
	maxSummary = 255
	maxText    = 32000
)

// Summary returns the issue summary, "[P1] <title>" ("[P1] DRILL: <title>"
// for a drill), on one line and cut to Jira's 255 characters. A summary is
// plain text in Jira, so it needs no escaping.
func Summary(card alert.IncidentCard) string {
	p := string(card.Score.Priority)
	if p == "" {
		p = "P?"
	}
	title := alert.OneLine(card.Title)
	if title == "" {
		title = "incident " + alert.OneLine(card.IncidentID)
	}
	s := "[" + p + "] "
	if card.Drill {
		s += "DRILL: "
	}
	return alert.Truncate(s+title, maxSummary)
}

// Description renders the card as Jira wiki markup (REST v2): the facts,
// then h3 sections for the score and why, the context packet, proposed
// actions, earlier decisions and results, and a link to the incident in
// the Temporal Web UI under uiBaseURL (see Config.UIBaseURL; no link when
// it is empty).
//
// Everything that came from an alert, a feed or a responder is escaped, so
// that a hostile alert cannot plant links, images or macros in the issue.
func Description(card alert.IncidentCard, uiBaseURL string) string {
	var b strings.Builder
	field := func(name, value string) {
		fmt.Fprintf(&b, "*%s:* %s\n", name, escape(value))
	}
	if card.Drill {
		b.WriteString("*DRILL:* a rehearsal; nothing will be contained.\n")
	}
	field("Incident", card.IncidentID)
	field("Priority", fmt.Sprintf("%s, score %d/100", orDash(string(card.Score.Priority)), card.Score.Value))
	tier := orDash(card.Tier)
	if card.Channel != "" {
		tier += " in " + card.Channel
	}
	if card.Score.SLA > 0 {
		tier += " (respond within " + alert.ShortDuration(card.Score.SLA) + ")"
	}
	field("Tier", tier)
	if card.Status != "" {
		field("Status", card.Status)
	}
	field("Hosts", orDash(strings.Join(card.Hosts, ", ")))
	field("Users", orDash(strings.Join(card.Users, ", ")))
	field("Alerts", fmt.Sprintf("%d (%d occurrences)", card.Alerts, card.Occurrences))

	if len(card.Score.Factors) > 0 || card.Score.SSVC != "" {
		section(&b, "Why this score")
		bullets(&b, factorLines(card.Score))
	}
	// The packet's lines are shared with every other channel, so a
	// responder reads the same facts in the console, Slack and Jira.
	section(&b, "Context")
	bullets(&b, contextLines(card.Context))
	if len(card.Proposed) > 0 {
		section(&b, "Proposed actions")
		bullets(&b, actionLines(card.Proposed))
	}
	if len(card.History) > 0 {
		section(&b, "Decisions")
		bullets(&b, decisionLines(card.History))
	}
	if len(card.Results) > 0 {
		section(&b, "Containment results")
		bullets(&b, resultLines(card.Results))
	}
	section(&b, "socflow")
	if u := TemporalURL(uiBaseURL, card.IncidentID); u != "" {
		fmt.Fprintf(&b, "[Incident %s in the Temporal Web UI|%s]\n", escape(card.IncidentID), u)
	}
	fmt.Fprintf(&b, "Details: socflow incident show %s\n", escape(card.IncidentID))
	return alert.Truncate(b.String(), maxText)
}

// TemporalURL links to the incident's workflow in the Temporal Web UI:
// uiBaseURL is the UI address of socflow's namespace, such as
// https://temporal.example.com/namespaces/socflow. It is "" when either is
// empty. The link is a visibility query on the workflow ID rather than a
// path to one run, so that it survives continue-as-new.
func TemporalURL(uiBaseURL, incidentID string) string {
	if uiBaseURL == "" || incidentID == "" {
		return ""
	}
	// The workflow ID is "incident/<key>" (see workflows.IncidentWorkflowID);
	// integrations cannot import workflows, so the prefix is repeated here.
	q := url.QueryEscape(`WorkflowId="incident/` + incidentID + `"`)
	base := strings.TrimRight(uiBaseURL, "/")
	// Characters that end a wiki link must not appear in its target.
	base = strings.NewReplacer("|", "%7C", "]", "%5D", "[", "%5B", " ", "%20").Replace(base)
	return base + "/workflows?query=" + q
}

// AlertComment reports that new alerts joined the incident: the counts,
// the score now and the context packet.
func AlertComment(card alert.IncidentCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*New alerts:* the incident now has %d alerts (%d occurrences); score %d/100, %s, tier %s.\n",
		card.Alerts, card.Occurrences, card.Score.Value, escape(orDash(string(card.Score.Priority))), escape(orDash(card.Tier)))
	section(&b, "Context")
	bullets(&b, contextLines(card.Context))
	return alert.Truncate(b.String(), maxText)
}

// EscalationComment asks the card's tier to decide: where, by when, and
// the proposed actions.
func EscalationComment(card alert.IncidentCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Escalated to %s*", escape(orDash(card.Tier)))
	if card.Channel != "" {
		fmt.Fprintf(&b, " (%s)", escape(card.Channel))
	}
	b.WriteString(": a decision is needed")
	if card.Score.SLA > 0 {
		b.WriteString(" within " + alert.ShortDuration(card.Score.SLA))
	}
	fmt.Fprintf(&b, ". Score %d/100, %s.\n", card.Score.Value, escape(orDash(string(card.Score.Priority))))
	if len(card.Proposed) > 0 {
		section(&b, "Proposed actions")
		bullets(&b, actionLines(card.Proposed))
	}
	fmt.Fprintf(&b, "Decide with: socflow incident decide %s --approve|--deny|--escalate\n", escape(card.IncidentID))
	return alert.Truncate(b.String(), maxText)
}

// DecisionComment records one decision: verdict, who, tier, channel,
// time, the approved actions and the note.
func DecisionComment(d alert.Decision) string {
	return "*Decision:* " + escape(decisionText(d)) + "\n"
}

// ContainmentComment reports containment results, one bullet per action.
func ContainmentComment(results []alert.ActionResult) string {
	var b strings.Builder
	b.WriteString("*Containment:*\n")
	if len(results) == 0 {
		b.WriteString("no actions were carried out.\n")
		return b.String()
	}
	bullets(&b, resultLines(results))
	return alert.Truncate(b.String(), maxText)
}

// ClosedComment reports the incident's end: its final status and what
// containment did.
func ClosedComment(card alert.IncidentCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Closed:* status %s after %d alerts (%d occurrences).\n",
		escape(orDash(card.Status)), card.Alerts, card.Occurrences)
	if len(card.Results) > 0 {
		section(&b, "Containment results")
		bullets(&b, resultLines(card.Results))
	}
	return alert.Truncate(b.String(), maxText)
}

// CommentFor picks the comment for a notification kind: an escalation, new
// alerts (update), the latest decision in the card's history, its
// containment results, a missed SLA, or its closing.
func CommentFor(kind alert.NotifyKind, card alert.IncidentCard) string {
	switch kind {
	case alert.NotifyEscalation:
		return EscalationComment(card)
	case alert.NotifyDecision:
		if len(card.History) > 0 {
			return DecisionComment(card.History[len(card.History)-1])
		}
		return "*Decision:* " + escape(orDash(card.Status)) + "\n"
	case alert.NotifyContainment:
		return ContainmentComment(card.Results)
	case alert.NotifyClosed:
		return ClosedComment(card)
	case alert.NotifyMessage:
		return "*Playbook:* " + escape(alert.OneLine(card.Message)) + "\n"
	case alert.NotifyQuestion:
		if q := card.Question; q != nil {
			opts := "any answer"
			if len(q.Options) > 0 {
				opts = strings.Join(q.Options, " / ")
			}
			return "*Question for " + escape(orDash(q.Tier)) + ":* " + escape(alert.OneLine(q.Text)) + " (" + escape(opts) + "; answer in Slack, on the incident's page or with socflow incident answer)\n"
		}
	case alert.NotifySLABreach:
		if card.Breach != nil {
			return "*SLA breached:* " + escape(card.Breach.String()) + "; at " + escape(orDash(card.Tier)) + ", status " + escape(orDash(card.Status)) + ".\n"
		}
	}
	return AlertComment(card)
}

func section(b *strings.Builder, title string) {
	b.WriteString("\nh3. " + title + "\n")
}

// bullets writes one list item per line, escaped.
func bullets(b *strings.Builder, lines []string) {
	for _, l := range lines {
		b.WriteString("* " + escape(l) + "\n")
	}
}

func factorLines(s alert.Score) []string {
	var out []string
	for _, f := range s.Factors {
		l := f.Name
		if f.Effect != "" {
			l += " " + f.Effect
		}
		if f.Detail != "" {
			l += ": " + f.Detail
		}
		out = append(out, l)
	}
	if s.SSVC != "" {
		out = append(out, "SSVC decision: "+s.SSVC)
	}
	return out
}

func contextLines(p alert.ContextPacket) []string {
	lines := p.Lines()
	if len(lines) == 0 {
		return []string{"nothing known beyond the alerts"}
	}
	return lines
}

func actionLines(as []alert.Action) []string {
	var out []string
	for _, a := range as {
		l := fmt.Sprintf("%s %s", a.Kind, a.Target)
		if a.Destructive {
			l += " (destructive)"
		}
		if why := a.Kind.NoUndo(); why != "" {
			l += " (nothing to undo: " + why + ")"
		}
		if a.Reason != "" {
			l += ": " + a.Reason
		}
		out = append(out, l+" (action "+a.ID+")")
	}
	return out
}

func decisionLines(ds []alert.Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, decisionText(d))
	}
	return out
}

// decisionText reads "approve by alice (T1) via cli at <time>, actions
// isolate_host:dc01: note", unescaped.
func decisionText(d alert.Decision) string {
	l := fmt.Sprintf("%s by %s", orDash(string(d.Verdict)), orDash(d.By))
	if d.Tier != "" {
		l += " (" + d.Tier + ")"
	}
	if d.Via != "" {
		l += " via " + d.Via
	}
	if !d.At.IsZero() {
		l += " at " + timestamp(d.At)
	}
	if len(d.Actions) > 0 {
		l += ", actions " + strings.Join(d.Actions, ", ")
	}
	if d.Note != "" {
		l += ": " + d.Note
	}
	return l
}

func resultLines(rs []alert.ActionResult) []string {
	var out []string
	for _, r := range rs {
		// The result's own time anchors the summary's clock times: the
		// comment outlives the moment it was written, and r.At follows.
		l := fmt.Sprintf("%s %s: %s", r.Action.Kind, r.Action.Target, r.Summary(r.At))
		if r.Reference != "" {
			l += " (ref " + r.Reference + ")"
		}
		if !r.At.IsZero() {
			l += " at " + timestamp(r.At)
		}
		if r.Detail != "" {
			l += ": " + r.Detail
		}
		out = append(out, l)
	}
	return out
}

// escape makes text safe to place in wiki markup: it is flattened to one
// line, so that it cannot start a heading or list of its own, and the
// characters that open links, images, macros, tables and mentions ([ ] {
// } ! |) are backslash-escaped. A backslash itself becomes the entity
// &#92;, since "\\" is a line break in Jira's markup and there is no other
// way to write a plain backslash before markup. Emphasis characters (* _
// - + ^ ~) are left alone: at worst they restyle a word, and escaping them
// would make every host name unreadable in the raw text.
func escape(s string) string {
	s = alert.OneLine(s)
	if !strings.ContainsAny(s, `\[]{}!|`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString("&#92;")
		case '[', ']', '{', '}', '!', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
