package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/socflow/socflow/alert"
)

// The action_id of every button socflow puts on a message. They are the
// contract between Notifier, which draws the buttons, and Interactions and
// SocketMode, which read the clicks: renaming one orphans the buttons on
// messages already posted.
const (
	// ActionApprove approves one proposed action. Slack wants action_ids
	// unique within a message, so each button's action_id is ActionApprove,
	// a colon and the action's position ("socflow_approve:0"); the action's
	// ID travels in the button's value.
	ActionApprove = "socflow_approve"
	// ActionApproveAll approves every proposed action.
	ActionApproveAll = "socflow_approve_all"
	// ActionDeny refuses containment.
	ActionDeny = "socflow_deny"
	// ActionEscalate hands the incident to the next tier.
	ActionEscalate = "socflow_escalate"
	// ActionFalsePositive closes the incident as a false positive.
	ActionFalsePositive = "socflow_false_positive"
	// ActionRevert undoes containment already carried out; it appears once
	// something was contained.
	ActionRevert = "socflow_revert"
	// ActionRenew renews the leases of the containment actions in force; it
	// appears, next to Revert, while an action holds on a lease.
	ActionRenew = "socflow_renew"
	// ActionAnswer answers a playbook's question with one of its options:
	// each button's action_id is ActionAnswer, a colon and the option's
	// position; the question and the option travel in the value.
	ActionAnswer = "socflow_answer"
	// ActionNote is the optional note field next to the buttons; its text
	// becomes the decision's note.
	ActionNote = "socflow_note"
)

// Block IDs of the interactive blocks. Slack sends the block ID back with
// a click and keeps the text typed into an input block under it.
const (
	blockActions = "socflow_actions" // followed by _0, _1 ... when split
	blockNote    = "socflow_note"
	blockRevert  = "socflow_revert"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks):
// Slack refuses a whole message with invalid_blocks when one is exceeded,
// so text from alerts is cut to fit rather than trusted to.
const (
	maxHeader        = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxActionsPerRow = 25
	maxNote          = 500
	// maxLine keeps one alert-supplied line from filling a section.
	maxLine = 600
)

// buttonValue is what a button carries back: enough to send the decision
// without looking anything up. Slack signs the payload it comes back in,
// so it can be trusted as far as the signing secret is.
type buttonValue struct {
	Incident string `json:"incident"`
	Tier     string `json:"tier,omitempty"`
	Action   string `json:"action,omitempty"`
	// Question and Answer are an answer button's (ActionAnswer).
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
}

func (v buttonValue) encode() string {
	b, _ := json.Marshal(v) // strings only: cannot fail
	return string(b)
}

// view is what the bottom of the summary shows.
type view int

const (
	// viewDecide: the note field and the decision buttons.
	viewDecide view = iota
	// viewOutcome: the decision, who made it and when, and a revert button
	// once something was contained.
	viewOutcome
	// viewMoved: the incident went on to another tier's channel; the
	// buttons here would only be refused.
	viewMoved
)

// summary is one incident's top-level message.
type summary struct {
	card alert.IncidentCard
	view view
	// workflowURL and ticketURL are links, or "".
	workflowURL, ticketURL string
	// movedTo is the channel ID the incident moved to (viewMoved).
	movedTo string
}

// viewFor decides whether a card still asks for a decision. Only an
// escalation, an update, an SLA breach notice or a playbook's message or
// question of
// an incident awaiting a decision does; an
// escalation card without a status is treated as awaiting one.
func viewFor(kind alert.NotifyKind, card alert.IncidentCard) view {
	if kind != alert.NotifyEscalation && kind != alert.NotifyUpdate && kind != alert.NotifySLABreach && kind != alert.NotifyMessage && kind != alert.NotifyQuestion {
		return viewOutcome
	}
	if card.Status == alert.StatusAwaiting || (card.Status == "" && kind == alert.NotifyEscalation) {
		return viewDecide
	}
	return viewOutcome
}

// blocks renders the summary.
func (s summary) blocks() []slackapi.Block {
	c := s.card
	var out []slackapi.Block

	title := alert.OneLine(c.Title)
	if title == "" {
		title = c.IncidentID
	}
	head := priorityEmoji(c.Score.Priority) + " " + orDash(string(c.Score.Priority)) + " " + title
	if c.Drill {
		head = "[DRILL] " + head
	}
	out = append(out, slackapi.NewHeaderBlock(plain(alert.Truncate(head, maxHeader))))
	if c.Drill {
		out = append(out, slackapi.NewContextBlock("", mrkdwn(":test_tube: *Drill*: a rehearsal; nothing will be contained.")))
	}

	tier := esc(orDash(c.Tier))
	if c.Channel != "" {
		tier += " in " + channelText(c.Channel)
	}
	if c.Score.SLA > 0 {
		tier += " (respond within " + alert.ShortDuration(c.Score.SLA) + ")"
	}
	fields := []*slackapi.TextBlockObject{
		field("Priority", priorityEmoji(c.Score.Priority)+" "+esc(orDash(string(c.Score.Priority)))),
		field("Score", fmt.Sprintf("%d/100", c.Score.Value)),
		field("Tier", tier),
		field("Status", esc(orDash(strings.ReplaceAll(c.Status, "_", " ")))),
		field("Hosts", esc(orDash(strings.Join(c.Hosts, ", ")))),
		field("Users", esc(orDash(strings.Join(c.Users, ", ")))),
		field("Alerts", fmt.Sprintf("%d (%d occurrences)", c.Alerts, c.Occurrences)),
		field("Incident", "`"+esc(c.IncidentID)+"`"),
	}
	out = append(out, slackapi.NewSectionBlock(nil, fields, nil))

	if len(c.Score.Factors) > 0 {
		// Explain puts one factor on a line, in columns that esc would
		// collapse: escape the lines only.
		lines := strings.Split(strings.TrimRight(c.Score.Explain(), "\n"), "\n")
		for i, l := range lines {
			lines[i] = slackutilsx.EscapeMessage(l)
		}
		out = append(out, section("*Why this score*\n```"+alert.Truncate(strings.Join(lines, "\n"), maxSectionText-40)+"```"))
	}

	// The packet's lines are the same in every channel (console, Slack,
	// Jira, CLI), so a responder reads the same facts wherever they are.
	var ctxLines []string
	for _, l := range c.Context.Lines() {
		ctxLines = append(ctxLines, "• "+esc(l))
	}
	out = append(out, listSections("Context", ctxLines, 4)...)

	if len(c.Proposed) > 0 {
		var lines []string
		for _, a := range c.Proposed {
			l := fmt.Sprintf("• `%s` %s %s", esc(a.ID), esc(string(a.Kind)), esc(a.Target))
			if a.Destructive {
				l += " _(destructive)_"
			}
			if why := a.Kind.NoUndo(); why != "" {
				l += " _(nothing to undo: " + esc(why) + ")_"
			}
			if a.Reason != "" {
				l += ": " + esc(a.Reason)
			}
			lines = append(lines, l)
		}
		out = append(out, listSections("Proposed actions", lines, 3)...)
	}

	// A handoff loses nothing: the next tier reads what the earlier ones
	// decided and why.
	if len(c.History) > 0 {
		var lines []string
		for _, d := range c.History {
			lines = append(lines, "• "+decisionLine(d))
		}
		out = append(out, listSections("Decisions so far", lines, 3)...)
	}
	if len(c.Notes) > 0 {
		var lines []string
		for _, n := range c.Notes {
			lines = append(lines, "• "+esc(alert.OneLine(n)))
		}
		out = append(out, listSections("Handoff notes", lines, 2)...)
	}

	if len(c.Results) > 0 {
		out = append(out, listSections("Containment", resultLines(c.Results), 3)...)
	}

	var links []string
	if s.workflowURL != "" {
		links = append(links, link(s.workflowURL, "Open in Temporal"))
	}
	if s.ticketURL != "" {
		label := "Ticket"
		if s.card.TicketKey != "" {
			label = "Ticket " + s.card.TicketKey
		}
		links = append(links, link(s.ticketURL, label))
	}
	if len(links) > 0 {
		out = append(out, slackapi.NewContextBlock("", mrkdwn(strings.Join(links, " · "))))
	}

	out = append(out, slackapi.NewDividerBlock())
	switch s.view {
	case viewDecide:
		out = append(out, decisionControls(c)...)
	case viewMoved:
		out = append(out, section(fmt.Sprintf(":arrow_up: *Escalated to %s*: continued in %s; decide there.",
			esc(orDash(c.Tier)), channelText(s.movedTo))))
	default:
		out = append(out, outcomeBlocks(c)...)
	}
	return out
}

// decisionControls are the note field and the buttons.
func decisionControls(c alert.IncidentCard) []slackapi.Block {
	note := slackapi.NewPlainTextInputBlockElement(plain("Why (optional): read by the next tier and kept in the audit trail"), ActionNote).
		WithMaxLength(maxNote)
	out := []slackapi.Block{
		slackapi.NewInputBlock(blockNote, plain("Note"), nil, note).WithOptional(true),
	}

	val := func(action string) string {
		return buttonValue{Incident: c.IncidentID, Tier: c.Tier, Action: action}.encode()
	}
	var buttons []slackapi.BlockElement
	var destructive []string
	for i, a := range c.Proposed {
		if a.Destructive {
			destructive = append(destructive, a.ID)
		}
		v := val(a.ID)
		if len(v) > maxButtonValue {
			// An action ID this long cannot travel in a button; "Approve
			// all" still covers it.
			continue
		}
		b := slackapi.NewButtonBlockElement(ActionApprove+":"+strconv.Itoa(i), v, plain(alert.Truncate("Approve "+a.ID, maxButtonText)))
		if a.Destructive {
			text := fmt.Sprintf("%s %s interrupts someone's work until it is reverted.", a.Kind, a.Target)
			if why := a.Kind.NoUndo(); why != "" {
				text = fmt.Sprintf("%s %s interrupts someone's work and cannot be reverted: %s.", a.Kind, a.Target, why)
			}
			b = b.WithStyle(slackapi.StyleDanger).WithConfirm(confirm("Approve "+string(a.Kind)+"?", text, "Approve"))
		} else {
			b = b.WithStyle(slackapi.StylePrimary)
		}
		buttons = append(buttons, b)
	}
	if len(c.Proposed) > 0 {
		b := slackapi.NewButtonBlockElement(ActionApproveAll, val(""), plain(fmt.Sprintf("Approve all (%d)", len(c.Proposed))))
		if len(destructive) > 0 {
			b = b.WithStyle(slackapi.StyleDanger).WithConfirm(confirm(
				fmt.Sprintf("Approve all %d actions?", len(c.Proposed)),
				"Destructive: "+strings.Join(destructive, ", "),
				"Approve all"))
		} else {
			b = b.WithStyle(slackapi.StylePrimary)
		}
		buttons = append(buttons, b)
	}
	buttons = append(buttons,
		slackapi.NewButtonBlockElement(ActionDeny, val(""), plain("Deny")),
		slackapi.NewButtonBlockElement(ActionEscalate, val(""), plain("Escalate")),
		slackapi.NewButtonBlockElement(ActionFalsePositive, val(""), plain("False positive")),
	)
	if len(val("")) > maxButtonValue {
		return []slackapi.Block{section("_This incident's ID is too long for Slack buttons; decide with `socflow incident decide`._")}
	}
	for i := 0; i < len(buttons); i += maxActionsPerRow {
		row := buttons[i:min(i+maxActionsPerRow, len(buttons))]
		id := blockActions
		if i > 0 {
			id += "_" + strconv.Itoa(i/maxActionsPerRow)
		}
		out = append(out, slackapi.NewActionBlock(id, row...))
	}
	return out
}

// outcomeBlocks replace the buttons once the incident is decided: the
// decision, who made it and when, and a way back if something was
// contained.
func outcomeBlocks(c alert.IncidentCard) []slackapi.Block {
	var out []slackapi.Block
	if n := len(c.History); n > 0 {
		d := c.History[n-1]
		text := verdictEmoji(d.Verdict) + " *" + verdictLabel(d.Verdict) + "* by " + who(d.By)
		text += decisionMeta(d)
		if len(d.Actions) > 0 {
			text += "\nActions: " + esc(strings.Join(d.Actions, ", "))
		}
		if d.Note != "" {
			text += "\n> " + esc(d.Note)
		}
		out = append(out, section(alert.Truncate(text, maxSectionText)))
	} else {
		out = append(out, section(":information_source: Status: *"+esc(orDash(strings.ReplaceAll(c.Status, "_", " ")))+"*"))
	}
	if revertable(c) {
		val := buttonValue{Incident: c.IncidentID, Tier: c.Tier}.encode()
		b := slackapi.NewButtonBlockElement(ActionRevert, val, plain("Revert containment")).
			WithStyle(slackapi.StyleDanger).
			WithConfirm(confirm("Revert containment?", "Undo every containment action carried out, newest first.", "Revert"))
		elems := []slackapi.BlockElement{b}
		if renewable(c) {
			// Renewing keeps containment in force, so it asks no
			// confirmation: a stray click costs nothing a revert cannot undo.
			elems = append(elems, slackapi.NewButtonBlockElement(ActionRenew, val, plain("Renew lease")).WithStyle(slackapi.StylePrimary))
		}
		out = append(out, slackapi.NewActionBlock(blockRevert, elems...))
	}
	return out
}

// revertable reports whether a revert button makes sense: something is in
// force (done, or still awaiting the vendor's word either way) and the
// incident is still open to a revert.
func revertable(c alert.IncidentCard) bool {
	if c.Drill || c.Status == alert.StatusClosed {
		return false
	}
	return slices.ContainsFunc(c.Results, func(r alert.ActionResult) bool { return r.Status.InForce() })
}

// renewable reports whether a renew button makes sense: an action in force
// holds on a lease that socflow would otherwise let run out. It is only
// asked where revertable holds.
func renewable(c alert.IncidentCard) bool {
	return slices.ContainsFunc(c.Results, alert.ActionResult.Leased)
}

// fallbackText is the message's text: what notifications, screen readers
// and clients without Block Kit show.
func fallbackText(v view, c alert.IncidentCard) string {
	s := "[" + orDash(string(c.Score.Priority)) + "] " + alert.OneLine(c.Title) + " (" + c.IncidentID + ")"
	switch {
	case v == viewDecide:
		s += ": awaiting a decision at " + orDash(c.Tier)
	case len(c.History) > 0:
		d := c.History[len(c.History)-1]
		s += ": " + strings.ToLower(verdictLabel(d.Verdict)) + " by " + orDash(d.By)
	case c.Status != "":
		s += ": " + strings.ReplaceAll(c.Status, "_", " ")
	}
	if c.Drill {
		s = "[DRILL] " + s
	}
	return esc(alert.Truncate(s, 3000))
}

// threadText is the thread reply that tells the channel what changed; an
// edited message notifies nobody.
func threadText(kind alert.NotifyKind, c alert.IncidentCard) string {
	switch kind {
	case alert.NotifyEscalation:
		if n := len(c.History); n > 0 && c.History[n-1].Verdict == alert.VerdictEscalate && c.History[n-1].Tier != c.Tier {
			return fmt.Sprintf(":arrow_up: Now awaiting a decision at *%s*.\n%s", esc(orDash(c.Tier)), decisionLine(c.History[n-1]))
		}
		return fmt.Sprintf(":bell: Reminder: still awaiting a decision at *%s*.", esc(orDash(c.Tier)))
	case alert.NotifyUpdate:
		return fmt.Sprintf(":bell: New alerts: now *%d* alert(s) (%d occurrences), score *%d*/100 (%s).",
			c.Alerts, c.Occurrences, c.Score.Value, esc(orDash(string(c.Score.Priority))))
	case alert.NotifyContainment:
		lines := resultLines(c.Results)
		if len(lines) == 0 {
			return ":shield: Containment: *" + esc(orDash(strings.ReplaceAll(c.Status, "_", " "))) + "*"
		}
		return alert.Truncate("*Containment*: "+esc(strings.ReplaceAll(c.Status, "_", " "))+"\n"+strings.Join(lines, "\n"), 3900)
	case alert.NotifyClosed:
		return ":lock: Closed: *" + esc(orDash(strings.ReplaceAll(c.Status, "_", " "))) + "*"
	case alert.NotifyMessage:
		return alert.Truncate(":speech_balloon: "+esc(alert.OneLine(c.Message)), 3900)
	case alert.NotifySLABreach:
		if c.Breach != nil {
			return fmt.Sprintf(":alarm_clock: *SLA breached*: %s. Now at *%s*, %s.", esc(c.Breach.String()), esc(orDash(c.Tier)), esc(orDash(strings.ReplaceAll(c.Status, "_", " "))))
		}
	}
	if n := len(c.History); n > 0 {
		return alert.Truncate(decisionLine(c.History[n-1]), 3900)
	}
	return ":information_source: Status: *" + esc(orDash(strings.ReplaceAll(c.Status, "_", " "))) + "*"
}

// decisionLine reads ":white_check_mark: *approve* by <@U1> (T1 via slack,
// <date>): note".
func decisionLine(d alert.Decision) string {
	s := verdictEmoji(d.Verdict) + " *" + esc(string(d.Verdict)) + "* by " + who(d.By)
	s += decisionMeta(d)
	if len(d.Actions) > 0 {
		s += ", actions " + esc(strings.Join(d.Actions, ", "))
	}
	if d.Note != "" {
		s += ": " + esc(alert.Truncate(alert.OneLine(d.Note), maxLine))
	}
	return s
}

// decisionMeta reads " (T1, via slack, <date>)", leaving out what is not
// known.
func decisionMeta(d alert.Decision) string {
	var meta []string
	if d.Tier != "" {
		meta = append(meta, esc(d.Tier))
	}
	if d.Via != "" {
		meta = append(meta, "via "+esc(d.Via))
	}
	if !d.At.IsZero() {
		meta = append(meta, slackDate(d.At))
	}
	if len(meta) == 0 {
		return ""
	}
	return " (" + strings.Join(meta, ", ") + ")"
}

func resultLines(rs []alert.ActionResult) []string {
	var out []string
	for _, r := range rs {
		// The result's own time anchors the summary's clock times: the
		// message outlives the moment it was rendered, and r.At is shown
		// beside them.
		l := fmt.Sprintf("• %s `%s` %s", resultEmoji(r.Status), esc(r.Action.ID), esc(r.Summary(r.At)))
		if r.Reference != "" {
			l += " (ref " + esc(r.Reference) + ")"
		}
		if r.Detail != "" {
			l += ": " + esc(r.Detail)
		}
		if !r.At.IsZero() {
			l += " " + slackDate(r.At)
		}
		out = append(out, l)
	}
	return out
}

// listSections packs lines under a bold title into as few sections as
// Slack's 3000-character limit allows, at most maxBlocks; what does not fit
// is counted rather than dropped silently.
func listSections(title string, lines []string, maxBlocks int) []slackapi.Block {
	const room = maxSectionText - 100 // for the "… n more" line
	var out []slackapi.Block
	var b strings.Builder
	b.WriteString("*" + title + "*")
	if len(lines) == 0 {
		b.WriteString("\n-")
	}
	for i, l := range lines {
		l = alert.Truncate(l, maxLine)
		if utf8.RuneCountInString(b.String())+1+utf8.RuneCountInString(l) > room {
			if len(out)+1 == maxBlocks {
				fmt.Fprintf(&b, "\n_… %d more; see the Temporal UI or `socflow incident show`_", len(lines)-i)
				return append(out, section(b.String()))
			}
			out = append(out, section(b.String()))
			b.Reset()
			b.WriteString(l)
			continue
		}
		b.WriteString("\n" + l)
	}
	return append(out, section(b.String()))
}

func section(text string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwn(alert.Truncate(text, maxSectionText)), nil, nil)
}

func field(name, value string) *slackapi.TextBlockObject {
	return mrkdwn(alert.Truncate("*"+name+"*\n"+value, maxFieldText))
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

func confirm(title, text, ok string) *slackapi.ConfirmationBlockObject {
	return slackapi.NewConfirmationBlockObject(
		plain(alert.Truncate(title, maxConfirmTitle)),
		plain(alert.Truncate(alert.OneLine(text), maxConfirmText)),
		plain(ok), plain("Cancel"),
	).WithStyle(slackapi.StyleDanger)
}

// link is mrkdwn's <url|text>. Slack wants &, < and > escaped inside the
// URL too.
func link(u, text string) string {
	return "<" + slackutilsx.EscapeMessage(u) + "|" + esc(text) + ">"
}

// workflowURL links the incident's workflow in the Temporal UI.
func workflowURL(base, namespace, workflowID string) string {
	if base == "" || workflowID == "" {
		return ""
	}
	if namespace == "" {
		namespace = "default"
	}
	return strings.TrimRight(base, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// esc makes text from alerts inert in mrkdwn: on one line, with &, < and >
// escaped, so an alert title cannot forge a link, a mention (<!channel>)
// or extra lines.
func esc(s string) string { return slackutilsx.EscapeMessage(alert.OneLine(s)) }

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// who shows a Slack user ID as a mention (Slack renders the name) and any
// other identity ("alice", "policy") as text.
func who(by string) string {
	if isUserID(by) {
		return "<@" + by + ">"
	}
	return esc(orDash(by))
}

// channelText shows a channel ID as a channel link and a name as text.
func channelText(ch string) string {
	if isChannelID(ch) {
		return "<#" + ch + ">"
	}
	return esc(ch)
}

// slackDate renders t in each reader's own time zone, with the UTC time as
// the fallback for clients that cannot.
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time_secs}|%s>", t.Unix(), t.UTC().Format(time.RFC3339))
}

func priorityEmoji(p alert.Priority) string {
	switch p {
	case alert.P1:
		return ":red_circle:"
	case alert.P2:
		return ":large_orange_circle:"
	case alert.P3:
		return ":large_yellow_circle:"
	case alert.P4:
		return ":large_blue_circle:"
	}
	return ":white_circle:"
}

func verdictEmoji(v alert.Verdict) string {
	switch v {
	case alert.VerdictApprove:
		return ":white_check_mark:"
	case alert.VerdictDeny:
		return ":no_entry_sign:"
	case alert.VerdictEscalate:
		return ":arrow_up:"
	case alert.VerdictFalsePositive:
		return ":heavy_minus_sign:"
	case alert.VerdictRevert:
		return ":leftwards_arrow_with_hook:"
	case alert.VerdictRenew:
		return ":repeat:"
	}
	return ":grey_question:"
}

func verdictLabel(v alert.Verdict) string {
	switch v {
	case alert.VerdictApprove:
		return "Approved"
	case alert.VerdictDeny:
		return "Denied"
	case alert.VerdictEscalate:
		return "Escalated"
	case alert.VerdictFalsePositive:
		return "False positive"
	case alert.VerdictRevert:
		return "Reverted"
	case alert.VerdictRenew:
		return "Lease renewed"
	}
	return orDash(string(v))
}

func resultEmoji(s alert.ActionStatus) string {
	switch s {
	case alert.ActionDone:
		return ":white_check_mark:"
	case alert.ActionFailed:
		return ":x:"
	case alert.ActionReverted:
		return ":leftwards_arrow_with_hook:"
	case alert.ActionSkipped:
		return ":fast_forward:"
	case alert.ActionPending, alert.ActionReverting:
		return ":hourglass_flowing_sand:"
	case alert.ActionUnverified, alert.ActionRevertFailed:
		return ":warning:"
	case alert.ActionLeftAsFound:
		return ":eyes:"
	}
	return ":grey_question:"
}

// isUserID reports whether s looks like a Slack user ID (U… or, on
// Enterprise Grid, W…).
func isUserID(s string) bool { return slackID(s, "UW") }

// isGroupID reports whether s looks like a user group (subteam) ID.
func isGroupID(s string) bool { return slackID(s, "S") }

// isChannelID reports whether s looks like a conversation ID: public (C),
// private (G) or direct (D).
func isChannelID(s string) bool { return slackID(s, "CGD") }

// slackID reports whether s has the shape of a Slack ID with one of the
// prefixes: upper-case letters and digits, at least one digit, so that a
// name such as "SOC" is not taken for a group.
func slackID(s, prefixes string) bool {
	if len(s) < 3 || !strings.ContainsRune(prefixes, rune(s[0])) {
		return false
	}
	digit := false
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r < 'A' || r > 'Z':
			return false
		}
	}
	return digit
}

// questionBlocks render a playbook's question as a thread reply: the text,
// when the default applies, and a button per option (a CLI hint for a
// question that takes any text, which buttons cannot carry).
func questionBlocks(c alert.IncidentCard) []slackapi.Block {
	q := c.Question
	text := fmt.Sprintf(":question: *Question for %s* (`%s`): %s", esc(orDash(q.Tier)), esc(q.ID), esc(alert.Truncate(q.Text, maxLine)))
	out := []slackapi.Block{slackapi.NewSectionBlock(mrkdwn(alert.Truncate(text, maxSectionText)), nil, nil)}
	when := "Answer by " + q.Deadline.UTC().Format("15:04 MST")
	if q.Default != "" {
		when += "; then the answer is *" + esc(q.Default) + "*"
	}
	if len(q.Options) == 0 {
		when += fmt.Sprintf(". Answer with `socflow incident answer %s %s \"…\"` or on the incident's page.", esc(c.IncidentID), esc(q.ID))
		return append(out, slackapi.NewContextBlock("", mrkdwn(when)))
	}
	out = append(out, slackapi.NewContextBlock("", mrkdwn(when+".")))
	var elems []slackapi.BlockElement
	for i, o := range q.Options {
		if i == maxActionsPerRow {
			break
		}
		v := buttonValue{Incident: c.IncidentID, Tier: q.Tier, Question: q.ID, Answer: o}.encode()
		elems = append(elems, slackapi.NewButtonBlockElement(ActionAnswer+":"+strconv.Itoa(i), alert.Truncate(v, maxButtonValue), plain(alert.Truncate(o, maxButtonText))))
	}
	return append(out, slackapi.NewActionBlock("socflow_question:"+alert.Truncate(q.ID, 200), elems...))
}
