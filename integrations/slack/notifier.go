package slack

import (
	"context"
	"errors"
	"fmt"
	"github.com/socflow/socflow/alert"
	"log/slog"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"github.com/socflow/socflow/integrations/httpx"
)

// Options configures a Notifier. The zero value works: no links.
type Options struct {
	// UIBaseURL is the Temporal Web UI's base URL, such as
	// "http://127.0.0.1:8233". When set, every message links the incident's
	// workflow at {UIBaseURL}/namespaces/{Namespace}/workflows/{incident ID}.
	UIBaseURL string
	// Namespace is the Temporal namespace; empty is "default".
	Namespace string
	// TicketURL returns the incident's ticket (Jira issue) URL, or "" when
	// there is none. Nil means no ticket links.
	TicketURL func(incidentID string) string
	// Logger receives what fails without failing the notification (the
	// best-effort update of a message an escalation left behind). Nil is
	// slog.Default().
	Logger *slog.Logger
}

// Notifier posts incident cards to Slack: one top-level message per
// incident and tier channel, edited in place as the incident moves on,
// with a thread reply for each change. It is safe for concurrent use.
type Notifier struct {
	api  *slackapi.Client
	opts Options
	log  *slog.Logger

	mu sync.Mutex
	// channelIDs maps a configured channel name ("#soc-t1", lower case,
	// without '#') to the ID Slack answered with, so that an escalation can
	// tell whether the tier's channel is the one the message is already in.
	channelIDs map[string]string
}

// New returns a notifier posting through client (see NewClient). The bot
// needs the chat:write scope, and channels:read to tell a channel
// configured by name from another when an incident escalates; configuring
// tiers with channel IDs needs neither that scope nor the look-up.
func New(client *slackapi.Client, opts Options) *Notifier {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{api: client, opts: opts, log: log, channelIDs: map[string]string{}}
}

// Notify sends or updates the incident's message and returns its
// reference, "slack:<channel ID>:<ts>".
//
//   - escalation without a reference posts the message, with its buttons,
//     in card.Channel.
//   - escalation with a reference to a message in card.Channel updates it
//     and replies in its thread (a reminder, or the next tier sharing the
//     channel); a retry therefore never posts a second message.
//   - escalation with a reference to another channel (the next tier's)
//     posts a new message there, carrying the whole packet and the earlier
//     tiers' decisions, and returns its reference; the old message loses its
//     buttons and points to the new channel, best effort.
//   - update, decision, containment and closed update the message (the
//     buttons give way to the decision, who made it, when, and the results)
//     and reply in its thread. Without a reference they post a new message,
//     there being nothing to update.
func (n *Notifier) Notify(ctx context.Context, kind alert.NotifyKind, card alert.IncidentCard, ref string) (string, error) {
	if n.api == nil {
		return "", fmt.Errorf("slack: no client: %w", httpx.ErrNotConfigured)
	}
	if card.IncidentID == "" {
		return "", fmt.Errorf("slack: %s card has no incident ID", kind)
	}
	r, err := ParseRef(ref)
	if err != nil {
		if ref != "" {
			// A reference from another notifier (console, before Slack was
			// configured): Slack has no message to update yet.
			n.log.WarnContext(ctx, "slack: ignoring foreign notification reference", "ref", ref, "incident_id", card.IncidentID)
		}
		got, err := n.post(ctx, kind, card)
		if err != nil {
			return "", err
		}
		if kind == alert.NotifyQuestion {
			// The question goes in the thread of the message just posted;
			// were this reply to fail the activity, its retry would post
			// the message again, so it is logged instead.
			if err := n.ask(ctx, got, card); err != nil {
				n.log.WarnContext(ctx, "slack: could not ask the question in the new message's thread", "ref", got.String(), "error", err)
			}
		}
		return got.String(), nil
	}

	if kind == alert.NotifyEscalation && card.Channel != "" && !n.sameChannel(ctx, r.Channel, card.Channel) {
		return n.moveTo(ctx, card, r)
	}
	got, err := n.update(ctx, kind, card, r)
	if err != nil {
		return "", err
	}
	// A breach is also shown in the channel: the tier must see it without
	// opening the thread.
	reply := func() error { return n.reply(ctx, got, threadText(kind, card), kind == alert.NotifySLABreach) }
	if kind == alert.NotifyQuestion {
		reply = func() error { return n.ask(ctx, got, card) }
	}
	if err := reply(); err != nil {
		if got != r {
			// The message was posted anew: its reference must reach the
			// workflow, or the retry would post it once more.
			n.log.WarnContext(ctx, "slack: could not reply in the new message's thread", "ref", got.String(), "error", err)
			return got.String(), nil
		}
		return "", err
	}
	return got.String(), nil
}

// post posts the card as a new top-level message in card.Channel.
func (n *Notifier) post(ctx context.Context, kind alert.NotifyKind, card alert.IncidentCard) (Ref, error) {
	if card.Channel == "" {
		return Ref{}, fmt.Errorf("slack: tier %q has no Slack channel: %w", card.Tier, httpx.ErrNotConfigured)
	}
	s := n.summary(kind, card)
	ch, ts, err := n.api.PostMessageContext(ctx, card.Channel,
		slackapi.MsgOptionText(fallbackText(s.view, card), false),
		slackapi.MsgOptionBlocks(s.blocks()...),
		slackapi.MsgOptionDisableLinkUnfurl(),
	)
	if err != nil {
		return Ref{}, apiError("chat.postMessage", err)
	}
	if ch == "" {
		ch = card.Channel
	}
	n.learnChannel(card.Channel, ch)
	return Ref{Channel: ch, TS: ts}, nil
}

// update rewrites the top-level message. A message someone deleted is
// posted again, and the new reference returned, so that the incident keeps
// a message with its buttons.
func (n *Notifier) update(ctx context.Context, kind alert.NotifyKind, card alert.IncidentCard, r Ref) (Ref, error) {
	s := n.summary(kind, card)
	_, _, _, err := n.api.UpdateMessageContext(ctx, r.Channel, r.TS,
		slackapi.MsgOptionText(fallbackText(s.view, card), false),
		slackapi.MsgOptionBlocks(s.blocks()...),
	)
	var er slackapi.SlackErrorResponse
	if errors.As(err, &er) && er.Err == "message_not_found" {
		n.log.WarnContext(ctx, "slack: incident message is gone; posting it again", "ref", r.String(), "incident_id", card.IncidentID)
		if card.Channel == "" {
			card.Channel = r.Channel
		}
		return n.post(ctx, kind, card)
	}
	if err != nil {
		return Ref{}, apiError("chat.update", err)
	}
	return r, nil
}

// reply posts text in the message's thread; broadcast shows it in the
// channel too (reply_broadcast).
func (n *Notifier) reply(ctx context.Context, r Ref, text string, broadcast bool) error {
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(text, false),
		slackapi.MsgOptionTS(r.TS),
		slackapi.MsgOptionDisableLinkUnfurl(),
	}
	if broadcast {
		opts = append(opts, slackapi.MsgOptionBroadcast())
	}
	_, _, err := n.api.PostMessageContext(ctx, r.Channel, opts...)
	return apiError("chat.postMessage", err)
}

// ask posts a question in the message's thread, shown in the channel too
// (the tier must see it without opening the thread), with its options as
// buttons.
func (n *Notifier) ask(ctx context.Context, r Ref, card alert.IncidentCard) error {
	if card.Question == nil {
		return fmt.Errorf("slack: question card of %s has no question", card.IncidentID)
	}
	_, _, err := n.api.PostMessageContext(ctx, r.Channel,
		slackapi.MsgOptionText(alert.Truncate("Question: "+alert.OneLine(card.Question.Text), 3900), false),
		slackapi.MsgOptionBlocks(questionBlocks(card)...),
		slackapi.MsgOptionTS(r.TS),
		slackapi.MsgOptionBroadcast(),
		slackapi.MsgOptionDisableLinkUnfurl(),
	)
	return apiError("chat.postMessage", err)
}

// moveTo posts the incident in the next tier's channel, then retires the
// old message. Only the post can fail the call: were the old message's
// update to fail the activity after the post, its retry (still holding the
// old reference) would post in the new channel a second time.
func (n *Notifier) moveTo(ctx context.Context, card alert.IncidentCard, old Ref) (string, error) {
	got, err := n.post(ctx, alert.NotifyEscalation, card)
	if err != nil {
		return "", err
	}
	s := n.summary(alert.NotifyEscalation, card)
	s.view, s.movedTo = viewMoved, got.Channel
	if _, _, _, err := n.api.UpdateMessageContext(ctx, old.Channel, old.TS,
		slackapi.MsgOptionText(esc(fmt.Sprintf("%s escalated to %s", card.IncidentID, card.Tier)), false),
		slackapi.MsgOptionBlocks(s.blocks()...),
	); err != nil {
		n.log.WarnContext(ctx, "slack: could not retire the earlier tier's message", "ref", old.String(), "error", apiError("chat.update", err))
	}
	text := fmt.Sprintf(":arrow_up: Escalated to *%s*: continued in %s.", esc(orDash(card.Tier)), channelText(got.Channel))
	if err := n.reply(ctx, old, text, false); err != nil {
		n.log.WarnContext(ctx, "slack: could not reply in the earlier tier's thread", "ref", old.String(), "error", err)
	}
	return got.String(), nil
}

func (n *Notifier) summary(kind alert.NotifyKind, card alert.IncidentCard) summary {
	s := summary{card: card, view: viewFor(kind, card), workflowURL: workflowURL(n.opts.UIBaseURL, n.opts.Namespace, card.IncidentID)}
	if n.opts.TicketURL != nil {
		s.ticketURL = n.opts.TicketURL(card.IncidentID)
	}
	if card.TicketURL != "" {
		// The incident's own record of its ticket wins over a derived URL.
		s.ticketURL = card.TicketURL
	}
	return s
}

// sameChannel reports whether the configured channel (an ID or a name) is
// the channel with ID id. A name is resolved from earlier answers, else by
// conversations.info; when that fails the channels count as different,
// because a second message is a smaller harm than an escalation that never
// reaches the next tier.
func (n *Notifier) sameChannel(ctx context.Context, id, configured string) bool {
	if strings.EqualFold(id, configured) {
		return true
	}
	if isChannelID(configured) {
		return false
	}
	name := channelName(configured)
	n.mu.Lock()
	known, ok := n.channelIDs[name]
	n.mu.Unlock()
	if ok {
		return known == id
	}
	info, err := n.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		n.log.WarnContext(ctx, "slack: cannot tell whether the tier's channel changed; posting anew",
			"channel", configured, "message_channel", id, "error", apiError("conversations.info", err))
		return false
	}
	n.learnChannel(info.Name, id)
	return channelName(info.Name) == name
}

func (n *Notifier) learnChannel(configured, id string) {
	if configured == "" || id == "" || isChannelID(configured) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.channelIDs) > 1024 {
		// Tiers name a handful of channels; this only guards against a
		// configuration that names a new one per incident.
		clear(n.channelIDs)
	}
	n.channelIDs[channelName(configured)] = id
}

func channelName(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
}
