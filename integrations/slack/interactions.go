package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Slack's request signing refuses timestamps more than five minutes from
// now (slackapi.NewSecretsVerifier checks it); a signature is remembered
// that long, plus a margin for clock skew, to refuse replays.
const (
	signatureWindow = 5 * time.Minute
	replayMargin    = time.Minute
	// maxInteractionBody bounds a payload: Slack includes the whole message,
	// blocks and all, in a block_actions payload.
	maxInteractionBody = 1 << 20
)

// InteractionsOptions configure the interactivity endpoint.
type InteractionsOptions struct {
	// SigningSecret is the app's signing secret (Basic Information in the
	// app's settings). Required.
	SigningSecret string
	// Decider receives the decisions. Required.
	Decider Decider
	// API posts the ephemeral answers to refused decisions; nil only logs
	// them.
	API *slackapi.Client
	// ReplayEntries bounds the signatures remembered to refuse replays; 0
	// is 10000, far more than five minutes of clicks. When full, the
	// oldest is forgotten first.
	ReplayEntries int
	DispatchOptions
}

// Interactions is the http.Handler for Slack's interactivity requests
// (mount it at POST /slack/interactions and give that URL as the app's
// Request URL). It checks the request signature, refuses stale and
// replayed requests with 401, answers 200 at once and sends the decision
// in the background; Close waits for those in flight.
type Interactions struct {
	secret string
	d      *dispatcher
	seen   *replayCache
	log    *slog.Logger
}

// NewInteractions returns the handler.
func NewInteractions(o InteractionsOptions) (*Interactions, error) {
	if o.SigningSecret == "" {
		return nil, errors.New("slack: interactions need the app's signing secret")
	}
	if o.Decider == nil {
		return nil, errors.New("slack: interactions need a Decider")
	}
	if o.ReplayEntries <= 0 {
		o.ReplayEntries = 10000
	}
	d := newDispatcher(o.API, o.Decider, o.DispatchOptions)
	return &Interactions{
		secret: o.SigningSecret,
		d:      d,
		seen:   newReplayCache(o.ReplayEntries),
		log:    d.log,
	}, nil
}

// ServeHTTP answers one interactivity request.
func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload too large")
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the body")
		return
	}
	if reason := h.verify(r.Header, body, time.Now()); reason != "" {
		h.log.WarnContext(r.Context(), "slack: interaction refused", "reason", reason, "remote_addr", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, reason)
		return
	}

	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		writeError(w, http.StatusBadRequest, "want a form with a payload field")
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		writeError(w, http.StatusBadRequest, "payload is not an interaction: "+err.Error())
		return
	}
	status, msg := h.accept(r.Context(), cb)
	if status != http.StatusOK {
		writeError(w, status, msg)
		return
	}
	// Slack wants an empty 200 for block_actions.
	w.WriteHeader(http.StatusOK)
}

// verify checks the signature and refuses replays; it returns why a
// request is refused, or "".
func (h *Interactions) verify(header http.Header, body []byte, now time.Time) string {
	sv, err := slackapi.NewSecretsVerifier(header, h.secret)
	switch {
	case errors.Is(err, slackapi.ErrMissingHeaders):
		return "missing X-Slack-Signature or X-Slack-Request-Timestamp"
	case errors.Is(err, slackapi.ErrExpiredTimestamp):
		return "request timestamp is more than 5 minutes from now"
	case err != nil:
		return "invalid signature"
	}
	if _, err := sv.Write(body); err != nil {
		return "invalid signature"
	}
	if err := sv.Ensure(); err != nil {
		return "invalid signature"
	}
	// NewSecretsVerifier has parsed the timestamp already. The signature
	// is hex, which it reads in either case: key on one case, or the same
	// request upper-cased would pass as new.
	ts, _ := strconv.ParseInt(header.Get("X-Slack-Request-Timestamp"), 10, 64)
	key := strings.ToLower(strings.TrimSpace(header.Get("X-Slack-Signature")))
	if !h.seen.firstSeen(key, time.Unix(ts, 0).Add(signatureWindow+replayMargin), now) {
		return "replayed request"
	}
	return ""
}

// accept turns a verified payload into a queued decision, returning the
// HTTP status and error text to answer with.
func (h *Interactions) accept(ctx context.Context, cb slackapi.InteractionCallback) (int, string) {
	dec, ok, err := DecisionFromCallback(cb)
	if err != nil {
		h.log.WarnContext(ctx, "slack: unreadable click", "error", err)
		return http.StatusBadRequest, err.Error()
	}
	if !ok {
		return http.StatusOK, ""
	}
	if err := h.d.submit(dec); err != nil {
		h.log.WarnContext(ctx, "slack: decision not queued", "incident_id", dec.IncidentID, "error", err)
		return http.StatusServiceUnavailable, err.Error()
	}
	return http.StatusOK, ""
}

// Close stops taking decisions (later clicks get 503) and waits for those
// queued or in flight, or until ctx ends, when it cancels them.
func (h *Interactions) Close(ctx context.Context) error {
	return h.d.close(ctx)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// replayCache remembers signatures until they expire, at most max of them.
type replayCache struct {
	mu    sync.Mutex
	max   int
	until map[string]time.Time
	// order is arrival order, for eviction when full.
	order []string
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, until: make(map[string]time.Time)}
}

// firstSeen records key until expires and reports whether it was not
// already recorded.
func (c *replayCache) firstSeen(key string, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.until[key]; ok && now.Before(t) {
		return false
	}
	// Forget the expired at the front, and the oldest when full.
	for len(c.order) > 0 {
		k := c.order[0]
		t, ok := c.until[k]
		if ok && now.Before(t) && len(c.until) < c.max {
			break
		}
		delete(c.until, k)
		c.order = c.order[1:]
	}
	c.until[key] = expires
	c.order = append(c.order, key)
	return true
}
