package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// SocketMode receives button clicks over Slack's Socket Mode WebSocket
// instead of HTTP, for sites Slack cannot reach. Clicks are acknowledged
// at once and become decisions exactly as Interactions makes them; no
// signing secret is involved, the app-level token authenticates the
// connection.
type SocketMode struct {
	// AppToken is the app-level token ("xapp-…") with the
	// connections:write scope. Required.
	AppToken string
	// API is the bot's Web API client (NewClient); Socket Mode opens its
	// connection through the same API URL and HTTP client, and refused
	// decisions are answered through it. Required.
	API *slackapi.Client
	// Decider receives the decisions. Required.
	Decider Decider
	DispatchOptions
}

// RunSocketMode runs SocketMode with default DispatchOptions until ctx
// ends; see SocketMode.Run.
func RunSocketMode(ctx context.Context, appToken string, api *slackapi.Client, decide Decider) error {
	s := &SocketMode{AppToken: appToken, API: api, Decider: decide}
	return s.Run(ctx)
}

// Run connects and handles clicks until ctx ends, reconnecting when Slack
// asks to. It returns nil once ctx ends and the decisions in flight have
// finished (or DecideTimeout passed), and an error when the connection
// cannot be made at all (a bad app token).
func (s *SocketMode) Run(ctx context.Context) error {
	switch {
	case s.AppToken == "":
		return errors.New("slack: socket mode needs an app-level token")
	case s.API == nil:
		return errors.New("slack: socket mode needs a Web API client")
	case s.Decider == nil:
		return errors.New("slack: socket mode needs a Decider")
	}
	// slack-go keeps the app-level token on the client; a copy keeps the
	// caller's client as it was.
	withApp := *s.API
	slackapi.OptionAppLevelToken(s.AppToken)(&withApp)
	smc := socketmode.New(&withApp)
	d := newDispatcher(s.API, s.Decider, s.DispatchOptions)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- smc.RunContext(runCtx) }()

	var runErr error
	running := true
	for running {
		select {
		case <-ctx.Done():
			running = false
		case runErr = <-errc:
			errc = nil
			running = false
		case evt := <-smc.Events:
			s.handle(runCtx, smc, d, evt)
		}
	}
	cancel()
	if errc != nil {
		runErr = <-errc
	}

	closeCtx, stop := context.WithTimeout(context.Background(), d.o.DecideTimeout)
	defer stop()
	closeErr := d.close(closeCtx)
	if ctx.Err() != nil && (runErr == nil || errors.Is(runErr, context.Canceled)) {
		return closeErr
	}
	return errors.Join(fmt.Errorf("slack: socket mode: %w", runErr), closeErr)
}

// handle acknowledges every request Slack sends (an unacknowledged one is
// redelivered) and dispatches clicks.
func (s *SocketMode) handle(ctx context.Context, smc *socketmode.Client, d *dispatcher, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		d.log.InfoContext(ctx, "slack: socket mode connected")
	case socketmode.EventTypeConnectionError:
		d.log.WarnContext(ctx, "slack: socket mode connection failed; retrying", "error", connectionError(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		d.log.ErrorContext(ctx, "slack: socket mode refused the app token")
	case socketmode.EventTypeInteractive:
		ack(ctx, smc, d, evt)
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if !ok {
			return
		}
		dec, ok, err := DecisionFromCallback(cb)
		if err != nil {
			d.log.WarnContext(ctx, "slack: unreadable click", "error", err)
			return
		}
		if !ok {
			return
		}
		if err := d.submit(dec); err != nil {
			d.log.WarnContext(ctx, "slack: decision not queued", "incident_id", dec.IncidentID, "error", err)
		}
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand:
		// Not ours to handle, but Slack redelivers what is not acknowledged.
		ack(ctx, smc, d, evt)
	}
}

func ack(ctx context.Context, smc *socketmode.Client, d *dispatcher, evt socketmode.Event) {
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	if err := smc.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
		d.log.WarnContext(ctx, "slack: socket mode ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
	}
}

func connectionError(data any) error {
	if e, ok := data.(*slackapi.ConnectionErrorEvent); ok && e.ErrorObj != nil {
		return e.ErrorObj
	}
	return errors.New("unknown")
}
