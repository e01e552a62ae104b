package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/socflow/socflow/alert"
)

// Via is the channel a decision made in Slack is recorded as coming
// through.
const Via = "slack"

// Decider hands a responder's decision to the incident. The composition
// root (worker.SlackDecider) turns a Request into the decide update:
//
//	slack.DeciderFunc(func(ctx context.Context, id string, in slack.Request) error {
//		_, err := svc.Decide(ctx, id, Request{Verdict: in.Verdict, ...})
//		return err
//	})
//
// An error is shown to the responder (only to them) as the reason their
// click changed nothing, so it should say why: "U123 is not an approver at
// tier T1".
type Decider interface {
	Decide(ctx context.Context, incidentID string, in Request) error
}

// DeciderFunc adapts a function to Decider.
type DeciderFunc func(ctx context.Context, incidentID string, in Request) error

// Decide calls f.
func (f DeciderFunc) Decide(ctx context.Context, incidentID string, in Request) error {
	return f(ctx, incidentID, in)
}

// Decision is a click on one of socflow's buttons, read from Slack's
// block_actions payload.
type Decision struct {
	IncidentID string
	// Tier is the tier the message asked; the workflow checks the approver
	// against its current tier regardless.
	Tier    string
	Verdict alert.Verdict
	// Actions are the approved action IDs; empty approves all proposed.
	Actions []string
	// By is the Slack user ID of whoever clicked.
	By string
	// Via is always "slack".
	Via string
	// Note is what the responder typed in the note field, if anything.
	Note string
	// Question and Answer are set for a click on a question's option
	// (ActionAnswer); Verdict is then empty.
	Question, Answer string

	// Where the click came from, to answer the responder there.
	Channel     string
	MessageTS   string
	ResponseURL string
}

// Request is what a click asks of the incident: the verdict and who gave
// it. The adapter knows no workflow types; the worker maps it onto the
// decide update.
type Request struct {
	Verdict alert.Verdict
	Actions []string
	// By is the Slack user ID; Via is "slack".
	By   string
	Via  string
	Note string
	// Question and Answer are an answer to a playbook's question, which
	// the worker sends as the answer update instead.
	Question, Answer string
}

// Input is what the decision asks of the incident.
func (d Decision) Input() Request {
	return Request{Verdict: d.Verdict, Actions: d.Actions, By: d.By, Via: d.Via, Note: d.Note, Question: d.Question, Answer: d.Answer}
}

// what names the click in messages to the responder.
func (d Decision) what() string {
	if d.Question != "" {
		return "answer to " + d.Question
	}
	return string(d.Verdict)
}

// DecisionFromCallback reads a decision from an interaction payload. ok is
// false for anything that is not a click on one of socflow's buttons
// (typing in the note field, other apps' payloads): those are acknowledged
// and ignored. An error means a socflow button with a value socflow did not
// write.
func DecisionFromCallback(cb slackapi.InteractionCallback) (d Decision, ok bool, err error) {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return Decision{}, false, nil
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a == nil {
			continue
		}
		verdict, approveOne, known := verdictFor(a.ActionID)
		answer := strings.HasPrefix(a.ActionID, ActionAnswer+":")
		if !known && !answer {
			continue
		}
		var v buttonValue
		if err := json.Unmarshal([]byte(a.Value), &v); err != nil || strings.TrimSpace(v.Incident) == "" {
			return Decision{}, true, fmt.Errorf("slack: button %s carries no incident (value %q)", a.ActionID, alert.Truncate(a.Value, 100))
		}
		if cb.User.ID == "" {
			return Decision{}, true, fmt.Errorf("slack: click on %s names no user", a.ActionID)
		}
		d = Decision{
			IncidentID:  v.Incident,
			Tier:        v.Tier,
			Verdict:     verdict,
			By:          cb.User.ID,
			Via:         Via,
			Note:        noteFrom(cb),
			Channel:     cb.Channel.ID,
			MessageTS:   cb.Container.MessageTs,
			ResponseURL: cb.ResponseURL,
		}
		if d.Channel == "" {
			d.Channel = cb.Container.ChannelID
		}
		if answer {
			if v.Question == "" || v.Answer == "" {
				return Decision{}, true, fmt.Errorf("slack: button %s names no question or answer", a.ActionID)
			}
			d.Question, d.Answer, d.Note = v.Question, v.Answer, ""
		}
		if approveOne {
			if v.Action == "" {
				return Decision{}, true, fmt.Errorf("slack: button %s names no action", a.ActionID)
			}
			d.Actions = []string{v.Action}
		}
		return d, true, nil
	}
	return Decision{}, false, nil
}

// verdictFor maps a button's action_id to its verdict.
func verdictFor(actionID string) (v alert.Verdict, approveOne, ok bool) {
	switch {
	case actionID == ActionApprove || strings.HasPrefix(actionID, ActionApprove+":"):
		return alert.VerdictApprove, true, true
	case actionID == ActionApproveAll:
		return alert.VerdictApprove, false, true
	case actionID == ActionDeny:
		return alert.VerdictDeny, false, true
	case actionID == ActionEscalate:
		return alert.VerdictEscalate, false, true
	case actionID == ActionFalsePositive:
		return alert.VerdictFalsePositive, false, true
	case actionID == ActionRevert:
		return alert.VerdictRevert, false, true
	case actionID == ActionRenew:
		return alert.VerdictRenew, false, true
	}
	return "", false, false
}

// noteFrom reads the note field's text from the message's state, which
// Slack sends with every click.
func noteFrom(cb slackapi.InteractionCallback) string {
	if cb.BlockActionState == nil {
		return ""
	}
	a, ok := cb.BlockActionState.Values[blockNote][ActionNote]
	if !ok {
		return ""
	}
	return alert.Truncate(alert.OneLine(a.Value), maxNote)
}

// DispatchOptions tune how decisions are handed to the Decider, the same
// for Interactions and SocketMode. The zero value works.
type DispatchOptions struct {
	// Logger receives decisions that failed and answers that could not be
	// posted. Nil is slog.Default().
	Logger *slog.Logger
	// Workers is how many decisions are sent at once; 0 is 4.
	Workers int
	// Queue is how many more may wait; 0 is 64. A click beyond that is
	// refused (HTTP 503, which Slack shows the responder) rather than
	// queued without bound.
	Queue int
	// DecideTimeout bounds one Decide call and the answer to the
	// responder; 0 is 30 seconds.
	DecideTimeout time.Duration
	// Authorize, when set, vets a decision before the Decider sees it; its
	// error is shown to the responder. Approvers.Authorize builds one that
	// resolves Slack user groups, which the workflow cannot.
	Authorize func(ctx context.Context, d Decision) error
}

var (
	errBusy   = errors.New("too many decisions in flight; try again in a moment")
	errClosed = errors.New("shutting down; try again in a moment")
)

// dispatcher runs decisions in the background with bounded concurrency
// and a bounded queue; Slack's 3-second acknowledgement deadline leaves no
// room to wait for a workflow update.
type dispatcher struct {
	api     *slackapi.Client
	decide  Decider
	o       DispatchOptions
	log     *slog.Logger
	queue   chan Decision
	workers sync.WaitGroup

	mu     sync.Mutex
	closed bool

	// ctx outlives requests (a decision runs after its request was
	// answered) and is cancelled only when Close gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc
}

func newDispatcher(api *slackapi.Client, decide Decider, o DispatchOptions) *dispatcher {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.DecideTimeout <= 0 {
		o.DecideTimeout = 30 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &dispatcher{api: api, decide: decide, o: o, log: log, queue: make(chan Decision, o.Queue), ctx: ctx, cancel: cancel}
	for range o.Workers {
		d.workers.Go(d.work)
	}
	return d
}

// submit queues a decision without waiting.
func (d *dispatcher) submit(dec Decision) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed
	}
	select {
	case d.queue <- dec:
		return nil
	default:
		return errBusy
	}
}

func (d *dispatcher) work() {
	for dec := range d.queue {
		d.handle(dec)
	}
}

// handle sends one decision and, when it is refused, tells the responder
// why.
func (d *dispatcher) handle(dec Decision) {
	ctx, cancel := context.WithTimeout(d.ctx, d.o.DecideTimeout)
	defer cancel()
	log := d.log.With("incident_id", dec.IncidentID, "verdict", string(dec.Verdict), "by", dec.By)
	if d.o.Authorize != nil {
		if err := d.o.Authorize(ctx, dec); err != nil {
			log.InfoContext(ctx, "slack: decision not authorised", "error", err)
			d.tell(ctx, dec, fmt.Sprintf(":no_entry: Your *%s* on `%s` was not recorded: %s", esc(dec.what()), esc(dec.IncidentID), esc(err.Error())))
			return
		}
	}
	if err := d.decide.Decide(ctx, dec.IncidentID, dec.Input()); err != nil {
		log.InfoContext(ctx, "slack: decision refused", "error", err)
		d.tell(ctx, dec, fmt.Sprintf(":warning: Your *%s* on `%s` was not recorded: %s", esc(dec.what()), esc(dec.IncidentID), esc(alert.Truncate(err.Error(), 1000))))
		return
	}
	log.InfoContext(ctx, "slack: decision recorded")
}

// tell answers the responder with a message only they see: in the channel
// of the click when there is one, else through the payload's response_url.
func (d *dispatcher) tell(ctx context.Context, dec Decision, text string) {
	if d.api == nil {
		d.log.WarnContext(ctx, "slack: no client to tell the responder why", "user", dec.By, "text", text)
		return
	}
	var err error
	switch {
	case dec.Channel != "":
		_, err = d.api.PostEphemeralContext(ctx, dec.Channel, dec.By, slackapi.MsgOptionText(text, false))
		err = apiError("chat.postEphemeral", err)
	case dec.ResponseURL != "":
		_, _, _, err = d.api.SendMessageContext(ctx, "",
			slackapi.MsgOptionText(text, false),
			slackapi.MsgOptionResponseURL(dec.ResponseURL, slackapi.ResponseTypeEphemeral))
		err = apiError("response_url", err)
	default:
		err = errors.New("the click names neither a channel nor a response_url")
	}
	if err != nil {
		d.log.WarnContext(ctx, "slack: could not tell the responder why", "user", dec.By, "error", err)
	}
}

// close stops taking decisions and waits for those queued or in flight.
// When ctx ends first, the rest are cancelled and ctx's error returned.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.queue)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		<-done
		return fmt.Errorf("slack: decisions cancelled at shutdown: %w", ctx.Err())
	}
}
