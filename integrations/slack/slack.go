// Package slack delivers incident cards to Slack and turns the buttons on
// them back into decisions.
//
// Notifier implements activities.Notifier: one Block Kit message per
// incident in the tier's channel, updated in place as the incident moves
// on, with a thread for everything that happened since. Interactions (the
// HTTP endpoint Slack calls when a button is clicked) and SocketMode (the
// same over a WebSocket, for sites without a public URL) verify the click,
// acknowledge it at once and hand the decision to a Decider. Approvers
// resolves a tier's approver entries, user IDs or user groups, against
// Slack.
//
// Every Web API error leaves this package as a *httpx.StatusError, so that
// activities.Classify retries rate limits and server errors (honouring
// Retry-After) and fails fast on bad tokens and missing channels.
package slack

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// defaultHTTPTimeout bounds one Web API call when NewClient is given no
// HTTP client. The notify activity has its own deadline; this one keeps a
// call that Slack never answers from holding a worker slot until then.
const defaultHTTPTimeout = 15 * time.Second

// NewClient returns a Web API client for token that calls apiURL (Slack's
// own, https://slack.com/api/, when empty) through hc. apiURL may be given
// with or without its trailing "/api/" or "/": slack-go appends the method
// name to it as it is, so it is normalised here. A nil hc gets a client of
// its own with a timeout, never http.DefaultClient.
func NewClient(token, apiURL string, hc *http.Client) *slackapi.Client {
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return slackapi.New(token,
		slackapi.OptionAPIURL(NormalizeAPIURL(apiURL)),
		slackapi.OptionHTTPClient(hc),
	)
}

// NormalizeAPIURL returns apiURL ending in exactly one "/api/": both
// "http://127.0.0.1:8080" and "http://127.0.0.1:8080/api" become
// "http://127.0.0.1:8080/api/". Empty is Slack's own API URL.
func NormalizeAPIURL(apiURL string) string {
	u := strings.TrimSpace(apiURL)
	if u == "" {
		return slackapi.APIURL
	}
	u = strings.TrimRight(u, "/")
	if !strings.HasSuffix(u, "/api") {
		u += "/api"
	}
	return u + "/"
}

// RefPrefix starts every message reference this package returns.
const RefPrefix = "slack:"

// Ref identifies an incident's top-level message: the channel ID Slack
// answered with (never a channel name, which may change) and the message
// timestamp, which is Slack's message ID within a channel.
type Ref struct {
	Channel string
	TS      string
}

// String formats the reference as "slack:<channel ID>:<ts>", the handle
// Notify returns and the workflow keeps.
func (r Ref) String() string { return RefPrefix + r.Channel + ":" + r.TS }

// ParseRef reads a reference made by Ref.String. Anything else, a console
// reference left from before Slack was configured included, is an error.
func ParseRef(s string) (Ref, error) {
	rest, ok := strings.CutPrefix(s, RefPrefix)
	if !ok {
		return Ref{}, fmt.Errorf("slack: %q is not a Slack message reference", s)
	}
	ch, ts, ok := strings.Cut(rest, ":")
	if !ok || ch == "" || ts == "" || strings.Contains(ts, ":") {
		return Ref{}, fmt.Errorf("slack: malformed message reference %q (want slack:<channel>:<ts>)", s)
	}
	return Ref{Channel: ch, TS: ts}, nil
}
