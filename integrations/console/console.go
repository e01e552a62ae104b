// Package console is the development notifier: it writes each incident
// card as a readable plain-text block to a writer (stdout under
// `socflow dev`), with the exact command that decides an escalation, so
// that the whole loop runs without Slack.
package console

import (
	"bytes"
	"context"
	"fmt"
	"github.com/socflow/socflow/alert"
	"io"
	"strings"
	"sync"
	"time"
)

// RefPrefix starts every reference this notifier returns.
const RefPrefix = "console:"

// Notifier writes incident cards to a writer. It is safe for concurrent
// use: each card is written whole, never interleaved with another.
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a notifier writing to w.
func New(w io.Writer) *Notifier {
	return &Notifier{w: w}
}

// Notify writes the card and returns "console:<incident id>". A console
// cannot edit what it printed, so a later call for the same incident
// prints a new block that says which earlier one it updates.
func (n *Notifier) Notify(ctx context.Context, kind alert.NotifyKind, card alert.IncidentCard, ref string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	if card.IncidentID == "" {
		return "", fmt.Errorf("console: %s card has no incident ID", kind)
	}
	own := RefPrefix + card.IncidentID
	text := Render(kind, card)
	if ref == own {
		text += "(updates the earlier message " + own + ")\n"
	}
	text += "\n"

	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := io.WriteString(n.w, text); err != nil {
		return "", fmt.Errorf("console: write %s: %w", kind, err)
	}
	return own, nil
}

// Render formats a card as a plain-text block ending in a newline: a
// heading for the kind, the incident, the score and why, the context
// packet, proposed actions, earlier decisions, results and, for an
// escalation, the commands that decide it.
func Render(kind alert.NotifyKind, card alert.IncidentCard) string {
	var b bytes.Buffer
	// line writes one line of the card. Its string arguments came from
	// outside, or carry what did, and are flattened so that an alert title
	// cannot forge lines of the card (such as a different command); the
	// layout (indents, columns) is the format's.
	line := func(format string, args ...any) {
		for i, a := range args {
			if s, ok := a.(string); ok {
				args[i] = alert.OneLine(s)
			}
		}
		fmt.Fprintf(&b, format+"\n", args...)
	}
	section := func(title string) {
		b.WriteByte('\n')
		b.WriteString(title + ":\n")
	}

	heading := "=== " + headingFor(kind) + " " + alert.OneLine(card.IncidentID)
	if kind == alert.NotifyEscalation {
		heading += " (decision needed)"
	}
	line("%s %s", heading, strings.Repeat("=", max(3, 72-len(heading)-1)))
	if card.Drill {
		line("DRILL: a rehearsal; nothing will be contained")
	}
	line("%s", card.Title)
	field := func(name, format string, args ...any) {
		line("%-9s %s", name, fmt.Sprintf(format, args...))
	}
	if card.Status != "" {
		field("status", "%s", card.Status)
	}
	field("priority", "%s, score %d/100", orDash(string(card.Score.Priority)), card.Score.Value)
	tier := orDash(card.Tier)
	if card.Channel != "" {
		tier += " in " + card.Channel
	}
	if card.Score.SLA > 0 {
		tier += " (respond within " + alert.ShortDuration(card.Score.SLA) + ")"
	}
	field("tier", "%s", tier)
	field("hosts", "%s", orDash(strings.Join(card.Hosts, ", ")))
	field("users", "%s", orDash(strings.Join(card.Users, ", ")))
	field("alerts", "%d (%d occurrences)", card.Alerts, card.Occurrences)
	if card.Breach != nil {
		field("breached", "%s", card.Breach.String())
	}
	if card.Message != "" {
		field("message", "%s", card.Message)
	}
	if q := card.Question; q != nil {
		opts := "any text"
		if len(q.Options) > 0 {
			opts = strings.Join(q.Options, " / ")
		}
		field("question", "%s (%s)", q.Text, q.ID)
		field("answer", "%s, by %s (default %s): socflow incident answer %s %s ANSWER", opts, q.Deadline.UTC().Format(time.RFC3339), orDash(q.Default), card.IncidentID, q.ID)
	}

	if u := card.Update; u != nil {
		text := fmt.Sprintf("new since the last message: %d alert(s), %d occurrence(s)", u.NewAlerts, u.NewOccurrences)
		if u.Summarised {
			text += " (summarised: this incident is past its overflow threshold)"
		}
		field("update", "%s", text)
		for _, t := range u.Titles {
			line("          + %s", t)
		}
	}

	if len(card.Score.Factors) > 0 {
		section("why this score")
		// Explain puts one factor on a line, in columns line would
		// collapse.
		b.WriteString(card.Score.Explain())
	}

	// The packet's lines are shared with every other channel, so a
	// responder reads the same facts in the console, Slack and Jira.
	section("context")
	for _, l := range card.Context.Lines() {
		line("  %s", l)
	}

	if len(card.Proposed) > 0 {
		section("proposed actions")
		for _, a := range card.Proposed {
			text := fmt.Sprintf("[%s] %s %s", a.ID, a.Kind, a.Target)
			if a.Destructive {
				text += " (destructive)"
			}
			if why := a.Kind.NoUndo(); why != "" {
				text += " (nothing to undo: " + why + ")"
			}
			if a.Reason != "" {
				text += ": " + a.Reason
			}
			line("  %s", text)
		}
	}

	if len(card.History) > 0 {
		section("earlier decisions")
		for _, d := range card.History {
			text := fmt.Sprintf("%s %s by %s", timestamp(d.At), d.Verdict, orDash(d.By))
			if d.Tier != "" {
				text += " (" + d.Tier + ")"
			}
			if d.Via != "" {
				text += " via " + d.Via
			}
			if len(d.Actions) > 0 {
				text += ", actions " + strings.Join(d.Actions, ", ")
			}
			if d.Note != "" {
				text += ": " + d.Note
			}
			line("  %s", text)
		}
	}

	if len(card.Notes) > 0 {
		section("handoff notes")
		for _, n := range card.Notes {
			line("  %s", n)
		}
	}

	if len(card.Results) > 0 {
		section("results")
		for _, r := range card.Results {
			text := fmt.Sprintf("%s [%s] %s", timestamp(r.At), r.Action.ID, r.Summary(r.At))
			if r.Reference != "" {
				text += " (ref " + r.Reference + ")"
			}
			if r.Detail != "" {
				text += ": " + r.Detail
			}
			line("  %s", text)
		}
	}

	if kind == alert.NotifyEscalation {
		section("to decide, run one of")
		id := shellQuote(card.IncidentID)
		for _, verdict := range []string{"--approve", "--deny", "--escalate"} {
			line("  socflow incident decide %s %s", id, verdict)
		}
		if len(card.Proposed) > 1 {
			line("to approve only some actions, name each with --action:")
			line("  socflow incident decide %s --approve --action %s", id, shellQuote(card.Proposed[0].ID))
		}
	}
	return b.String()
}

func headingFor(kind alert.NotifyKind) string {
	switch kind {
	case alert.NotifyEscalation:
		return "ESCALATION"
	case alert.NotifyUpdate:
		return "UPDATE"
	case alert.NotifyDecision:
		return "DECISION"
	case alert.NotifyContainment:
		return "CONTAINMENT"
	case alert.NotifyClosed:
		return "CLOSED"
	case alert.NotifySLABreach:
		return "SLA BREACHED"
	case alert.NotifyMessage:
		return "MESSAGE"
	case alert.NotifyQuestion:
		return "QUESTION"
	}
	return strings.ToUpper(string(kind))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// shellQuote makes an incident ID safe to paste into a shell: IDs are
// built from alert fields (a host name, a user), which an attacker may
// choose.
func shellQuote(s string) string {
	safe := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@+=,%", r))
	})
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
