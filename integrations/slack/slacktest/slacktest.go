// Package slacktest is a loopback fake of the parts of Slack that package
// slack uses: the Web API methods chat.postMessage, chat.update,
// chat.postEphemeral, conversations.info, usergroups.list,
// usergroups.users.list, auth.test and apps.connections.open, answering
// with Slack's documented bodies and error codes; a response_url
// (ResponseURL); and Socket Mode's WebSocket, over which a test sends
// clicks and reads the acknowledgements.
//
// The fake records every call and keeps the messages it was sent, so a
// test asks what a channel shows (Messages, Thread, Updates, Ephemerals)
// instead of matching requests. Faults are scripted per method with Fail:
// HTTP 429 with Retry-After, 5xx, an {"ok":false} error code, or a call
// that hangs until the client gives up. It validates Block Kit against
// Slack's limits and answers invalid_blocks as Slack would, so a message
// that Slack would refuse fails the test too.
//
// Mount it on httptest.NewServer and point the client at URL + "/api/";
// Start serves it on its own for long-running use.
package slacktest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/socflow/socflow/integrations/loopback"
)

// Identities the fake answers with.
const (
	// DefaultToken is the bot token the fake accepts unless WithToken says
	// otherwise.
	DefaultToken = "xoxb-slacktest"
	// DefaultAppToken is the app-level token apps.connections.open accepts
	// unless WithAppToken says otherwise.
	DefaultAppToken = "xapp-1-slacktest"
	// TeamID is the fake workspace's ID.
	TeamID = "T0SLACKTST"
	// BotUserID and BotID identify the app's bot user.
	BotUserID = "U0SLACKBOT"
	BotID     = "B0SLACKBOT"
	// AppID identifies the app.
	AppID = "A0SLACKAPP"
)

// Channel is a conversation the fake knows.
type Channel struct {
	// ID such as "C0123ABCD"; empty derives one from the name.
	ID string
	// Name without '#'.
	Name string
}

// Group is a user group (subteam).
type Group struct {
	// ID such as "S0123ABCD".
	ID string
	// Handle is what users type after '@'.
	Handle string
	Name   string
	Users  []string
}

// Call is one Web API request the fake received.
type Call struct {
	// Method is the API method, such as "chat.postMessage".
	Method string
	// Params holds the form fields (the token removed); for a JSON body,
	// its top-level fields, strings as they are and the rest as JSON.
	Params url.Values
	// Blocks is the blocks parameter, as JSON, or nil.
	Blocks json.RawMessage
	// Status is the HTTP status answered; 0 when the client gave up first.
	Status int
	// Error is the error code of an {"ok":false} answer.
	Error string
}

// Message is a message the fake was sent.
type Message struct {
	// Channel is the channel ID.
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a reply, "" for a top-level message.
	ThreadTS string
	// Broadcast is a reply also shown in the channel (reply_broadcast).
	Broadcast bool
	Text      string
	Blocks    json.RawMessage
	// User is the recipient of an ephemeral message.
	User string
	// Edits counts the chat.update calls applied.
	Edits int
	// ResponseType is "ephemeral" or "in_channel" for a message posted
	// through a response_url, which names neither channel nor user.
	ResponseType string
}

// Fault is a scripted failure of a Web API method.
type Fault struct {
	// Status is the HTTP status; 0 is 200 when Error is set, else 500.
	Status int
	// RetryAfter is the Retry-After header of a 429, in seconds; empty is
	// "30". Slack always sends one with a 429.
	RetryAfter string
	// Error answers HTTP 200 {"ok":false,"error":Error}, such as
	// "invalid_auth" or "channel_not_found".
	Error string
	// Hang holds the call until the client gives up (or Release or Close),
	// like a Slack that never answers.
	Hang bool
	// Times is how many calls fail; less than 1 means one.
	Times int
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the bot token the fake accepts.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithAppToken sets the app-level token apps.connections.open accepts.
func WithAppToken(token string) Option { return func(s *Server) { s.appToken = token } }

// WithChannels fixes the workspace's channels: any other is
// channel_not_found. Without it the fake makes up a channel for every name
// or ID it is sent.
func WithChannels(cs ...Channel) Option {
	return func(s *Server) {
		s.fixedChannels = true
		for _, c := range cs {
			s.addChannel(c)
		}
	}
}

// WithGroups sets the workspace's user groups.
func WithGroups(gs ...Group) Option {
	return func(s *Server) { s.groups = append(s.groups, gs...) }
}

// WithPingInterval sets how often the Socket Mode fake pings its clients;
// 0 is 5 seconds. slack-go's client reconnects when no ping comes for 30.
func WithPingInterval(d time.Duration) Option { return func(s *Server) { s.pingEvery = d } }

// Server is the fake. It is an http.Handler and safe for concurrent use.
// Calls, FailNext (whose pattern is an API method, such as
// "chat.postMessage") and Release come with its loopback.Recorder.
type Server struct {
	loopback.Recorder[Call]

	mu            sync.Mutex
	token         string
	appToken      string
	fixedChannels bool
	channels      []Channel
	groups        []Group
	messages      []*Message
	updates       []Message
	ephemerals    []Message
	seq           int64

	pingEvery time.Duration
	upgrader  websocket.Upgrader
	sockets   []*socket
	// socketAdded and ackAdded are closed, and replaced, when a connection
	// or an acknowledgement arrives, to wake the waiting helpers.
	socketAdded chan struct{}
	acks        map[string]json.RawMessage
	ackAdded    chan struct{}
	envelopes   int
}

// New returns a fake that accepts DefaultToken and knows any channel.
func New(opts ...Option) *Server {
	s := &Server{
		token:       DefaultToken,
		appToken:    DefaultAppToken,
		pingEvery:   5 * time.Second,
		socketAdded: make(chan struct{}),
		acks:        map[string]json.RawMessage{},
		ackAdded:    make(chan struct{}),
		// slack-go's client sends Origin https://api.slack.com, which is
		// not the fake's host: accept any origin.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	for _, o := range opts {
		o(s)
	}
	if s.pingEvery <= 0 {
		s.pingEvery = 5 * time.Second
	}
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) and returns the
// API URL to give slack.NewClient ("http://127.0.0.1:port/api/"). Tests
// can mount the Server on httptest.NewServer instead.
func (s *Server) Start(addr string) (string, error) {
	u, err := s.Recorder.Start("slacktest", addr, s)
	if err != nil {
		return "", err
	}
	return u + "/api/", nil
}

// Close releases hung calls, closes Socket Mode connections and stops what
// Start started.
func (s *Server) Close() error {
	s.Release()
	s.mu.Lock()
	socks := s.sockets
	s.sockets = nil
	s.mu.Unlock()
	for _, c := range socks {
		c.close()
	}
	return s.Recorder.Close()
}

// Fail scripts a failure of method ("chat.postMessage"; "" matches every
// method). Faults are served in the order scripted, before the token is
// checked. A call a Hang fault holds is answered 503 once released.
func (s *Server) Fail(method string, f Fault) {
	lf := loopback.Fault{Status: f.Status, RetryAfter: f.RetryAfter, Hang: f.Hang, Times: f.Times}
	switch {
	case f.Error != "":
		b, _ := json.Marshal(slackError(f.Error))
		lf.Body = string(b)
		if lf.Status == 0 {
			lf.Status = http.StatusOK
		}
	case lf.Status == 0:
		lf.Status = http.StatusInternalServerError
	}
	s.Recorder.Fail(method, lf)
}

// CallsTo returns the calls of one method.
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the top-level messages in a channel (ID or name), as
// they are now (updates applied), oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.channelID(channel)
	var out []Message
	for _, m := range s.messages {
		if m.Channel == id && m.ThreadTS == "" {
			out = append(out, *m)
		}
	}
	return out
}

// Thread returns the replies to the message ts in a channel, oldest first.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.channelID(channel)
	var out []Message
	for _, m := range s.messages {
		if m.Channel == id && m.ThreadTS == ts {
			out = append(out, *m)
		}
	}
	return out
}

// Updates returns each chat.update applied, as the message it left,
// oldest first.
func (s *Server) Updates() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updates)
}

// Ephemerals returns the ephemeral messages posted, oldest first.
func (s *Server) Ephemerals() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// ChannelID returns the ID of a channel given by name or ID, "" when the
// fake does not know it.
func (s *Server) ChannelID(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelID(channel)
}

// responsePath is where ResponseURL points, as Slack's
// https://hooks.slack.com/actions/… URLs do.
const responsePath = "/actions/"

// ResponseURL returns a response_url on the fake served at base (the
// httptest server's URL), for payloads that tell the app where to answer.
// Messages posted to it are kept with the ephemerals.
func ResponseURL(base string) string {
	return strings.TrimSuffix(base, "/") + responsePath + TeamID + "/1700000000001/slacktest"
}

// serveResponseURL takes a message posted to a response_url: JSON with
// text, blocks and response_type.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	c := Call{Method: "response_url", Params: url.Values{}}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil {
		s.record(c, http.StatusBadRequest, "invalid_payload")
		writeJSON(w, answer{status: http.StatusBadRequest, body: slackError("invalid_payload")})
		return
	}
	c.Params.Set("text", msg.Text)
	c.Params.Set("response_type", msg.ResponseType)
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		c.Blocks = msg.Blocks
	}
	s.mu.Lock()
	s.ephemerals = append(s.ephemerals, Message{TS: s.nextTS(), Text: msg.Text, Blocks: c.Blocks, ResponseType: msg.ResponseType})
	s.mu.Unlock()
	s.record(c, http.StatusOK, "")
	writeJSON(w, ok200(map[string]any{"ok": true}))
}

// answer is a response worked out under the lock and written after it.
type answer struct {
	status int
	header http.Header
	body   any
}

// ServeHTTP answers a Web API call or opens a Socket Mode connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, socketPath) {
		s.serveSocket(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, responsePath) {
		s.serveResponseURL(w, r)
		return
	}
	method := path.Base(r.URL.Path)
	call, token, err := readCall(r, method)
	if err != nil {
		writeJSON(w, answer{status: http.StatusBadRequest, body: slackError("invalid_form_data")})
		return
	}

	f, faulted := s.Take(r.Method, method)
	if faulted && f.Hang {
		if !s.Hold(r.Context()) {
			s.record(call, 0, "")
			return
		}
		f = loopback.Fault{Status: http.StatusServiceUnavailable}
	}

	var a answer
	if faulted {
		a = faultAnswer(f)
	} else {
		s.mu.Lock()
		a = s.route(r, method, token, call)
		s.mu.Unlock()
	}
	s.record(call, a.status, errorCode(a.body))
	writeJSON(w, a)
}

func (s *Server) record(c Call, status int, code string) {
	c.Status, c.Error = status, code
	s.Record(c)
}

// errorCode returns the error code of an {"ok":false} body, "" for any
// other.
func errorCode(body any) string {
	switch b := body.(type) {
	case map[string]any:
		if b["ok"] == false {
			code, _ := b["error"].(string)
			return code
		}
	case json.RawMessage:
		var m struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &m) == nil && m.OK != nil && !*m.OK {
			return m.Error
		}
	}
	return ""
}

// readCall reads a form or JSON call. The token comes from the form or
// from an Authorization: Bearer header.
func readCall(r *http.Request, method string) (Call, string, error) {
	c := Call{Method: method, Params: url.Values{}}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return c, "", err
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json":
		if len(bytes.TrimSpace(body)) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				return c, "", err
			}
			for k, v := range m {
				var str string
				if json.Unmarshal(v, &str) == nil {
					c.Params.Set(k, str)
				} else {
					c.Params.Set(k, string(v))
				}
			}
		}
	default:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return c, "", err
		}
		for k, vs := range r.URL.Query() {
			q[k] = append(q[k], vs...)
		}
		c.Params = q
	}
	if t := c.Params.Get("token"); t != "" {
		token = t
	}
	c.Params.Del("token")
	if b := c.Params.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
	}
	return c, token, nil
}

func faultAnswer(f loopback.Fault) answer {
	status := f.Status
	a := answer{status: status, header: http.Header{}}
	switch {
	case f.Body != "":
		a.body = json.RawMessage(f.Body)
	case status == http.StatusTooManyRequests:
		ra := f.RetryAfter
		if ra == "" {
			ra = "30"
		}
		a.header.Set("Retry-After", ra)
		a.body = slackError("ratelimited")
	case status >= 500:
		a.body = slackError("fatal_error")
	default:
		a.body = slackError("invalid_request")
	}
	return a
}

// route answers a call; s.mu is held.
func (s *Server) route(r *http.Request, method, token string, c Call) answer {
	p := c.Params
	if method == "apps.connections.open" {
		if token == "" {
			return ok200(slackError("not_authed"))
		}
		if token != s.appToken {
			return ok200(slackError("invalid_auth"))
		}
		return ok200(map[string]any{"ok": true, "url": "ws://" + r.Host + socketPath + "?ticket=" + s.nextTS()})
	}
	switch {
	case token == "":
		return ok200(slackError("not_authed"))
	case token != s.token:
		return ok200(slackError("invalid_auth"))
	}

	switch method {
	case "auth.test":
		return ok200(map[string]any{
			"ok": true, "url": "https://slacktest.slack.com/", "team": "slacktest", "user": "socflow",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false,
		})

	case "chat.postMessage":
		ch, code := s.resolve(p.Get("channel"), true)
		if code != "" {
			return ok200(slackError(code))
		}
		if code := checkContent(p); code != "" {
			return ok200(slackError(code))
		}
		m := &Message{Channel: ch.ID, TS: s.nextTS(), ThreadTS: p.Get("thread_ts"), Text: p.Get("text"), Blocks: c.Blocks, Broadcast: p.Get("reply_broadcast") == "true"}
		s.messages = append(s.messages, m)
		return ok200(map[string]any{"ok": true, "channel": ch.ID, "ts": m.TS, "message": messageJSON(*m)})

	case "chat.update":
		// chat.update takes a channel ID only.
		if !slices.ContainsFunc(s.channels, func(x Channel) bool { return x.ID == p.Get("channel") }) {
			return ok200(slackError("channel_not_found"))
		}
		i := slices.IndexFunc(s.messages, func(m *Message) bool { return m.Channel == p.Get("channel") && m.TS == p.Get("ts") })
		if i < 0 {
			return ok200(slackError("message_not_found"))
		}
		if code := checkContent(p); code != "" {
			return ok200(slackError(code))
		}
		m := s.messages[i]
		if _, ok := p["text"]; ok {
			m.Text = p.Get("text")
		}
		if c.Blocks != nil {
			m.Blocks = c.Blocks
		}
		m.Edits++
		s.updates = append(s.updates, *m)
		return ok200(map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(*m)})

	case "chat.postEphemeral":
		ch, code := s.resolve(p.Get("channel"), false)
		if code != "" {
			return ok200(slackError(code))
		}
		if p.Get("user") == "" {
			return ok200(slackError("user_not_found"))
		}
		if code := checkContent(p); code != "" {
			return ok200(slackError(code))
		}
		m := Message{Channel: ch.ID, TS: s.nextTS(), ThreadTS: p.Get("thread_ts"), Text: p.Get("text"), Blocks: c.Blocks, User: p.Get("user")}
		s.ephemerals = append(s.ephemerals, m)
		return ok200(map[string]any{"ok": true, "message_ts": m.TS})

	case "conversations.info":
		i := slices.IndexFunc(s.channels, func(x Channel) bool { return x.ID == p.Get("channel") })
		if i < 0 {
			return ok200(slackError("channel_not_found"))
		}
		ch := s.channels[i]
		return ok200(map[string]any{"ok": true, "channel": map[string]any{
			"id": ch.ID, "name": ch.Name, "name_normalized": ch.Name, "is_channel": true, "is_group": false,
			"is_im": false, "is_private": false, "is_archived": false, "is_general": false, "is_member": true,
			"created": 1449252889, "creator": "W012A3BCD", "context_team_id": TeamID,
		}})

	case "usergroups.list":
		var out []map[string]any
		for _, g := range s.groups {
			out = append(out, groupJSON(g, p.Get("include_users") == "true"))
		}
		return ok200(map[string]any{"ok": true, "usergroups": out})

	case "usergroups.users.list":
		i := slices.IndexFunc(s.groups, func(g Group) bool { return g.ID == p.Get("usergroup") })
		if i < 0 {
			return ok200(slackError("no_such_subteam"))
		}
		return ok200(map[string]any{"ok": true, "users": append([]string{}, s.groups[i].Users...)})
	}
	return answer{status: http.StatusNotFound, body: slackError("unknown_method")}
}

// resolve finds a channel by ID, name or #name, making one up unless the
// channels are fixed.
func (s *Server) resolve(channel string, create bool) (Channel, string) {
	if channel == "" {
		return Channel{}, "channel_not_found"
	}
	name := strings.TrimPrefix(channel, "#")
	for _, c := range s.channels {
		if c.ID == channel || strings.EqualFold(c.Name, name) {
			return c, ""
		}
	}
	if s.fixedChannels || !create {
		return Channel{}, "channel_not_found"
	}
	if looksLikeID(channel) {
		return s.addChannel(Channel{ID: channel, Name: strings.ToLower(channel)}), ""
	}
	return s.addChannel(Channel{Name: name}), ""
}

func (s *Server) channelID(channel string) string {
	name := strings.TrimPrefix(channel, "#")
	for _, c := range s.channels {
		if c.ID == channel || strings.EqualFold(c.Name, name) {
			return c.ID
		}
	}
	return ""
}

func (s *Server) addChannel(c Channel) Channel {
	c.Name = strings.TrimPrefix(c.Name, "#")
	if c.ID == "" {
		c.ID = derivedID("C", c.Name)
	}
	s.channels = append(s.channels, c)
	return c
}

// nextTS hands out message timestamps: seconds since the epoch and a
// sequence, unique and increasing, as Slack's are within a channel.
func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", 1700000000+s.seq/1000000, s.seq%1000000)
}

// checkContent refuses what Slack refuses: no text and no blocks, text over
// 40,000 characters, blocks beyond Block Kit's limits.
func checkContent(p url.Values) string {
	text, blocks := p.Get("text"), p.Get("blocks")
	if strings.TrimSpace(text) == "" && (blocks == "" || blocks == "[]") {
		return "no_text"
	}
	if len([]rune(text)) > 40000 {
		return "msg_too_long"
	}
	if blocks != "" {
		if err := ValidateBlocks([]byte(blocks)); err != nil {
			return "invalid_blocks"
		}
	}
	return ""
}

func messageJSON(m Message) map[string]any {
	out := map[string]any{
		"type": "message", "subtype": "bot_message", "text": m.Text, "ts": m.TS,
		"bot_id": BotID, "app_id": AppID, "user": BotUserID, "team": TeamID,
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	return out
}

func groupJSON(g Group, withUsers bool) map[string]any {
	out := map[string]any{
		"id": g.ID, "team_id": TeamID, "is_usergroup": true, "is_subteam": true, "name": g.Name,
		"description": "", "handle": g.Handle, "is_external": false, "date_create": 1446746793,
		"date_update": 1446746793, "date_delete": 0, "auto_type": nil, "created_by": "U060RNRCZ",
		"updated_by": "U060RNRCZ", "deleted_by": nil,
		"prefs":      map[string]any{"channels": []string{}, "groups": []string{}},
		"user_count": len(g.Users),
	}
	if withUsers {
		out["users"] = append([]string{}, g.Users...)
	}
	return out
}

func slackError(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func ok200(body any) answer { return answer{status: http.StatusOK, body: body} }

func writeJSON(w http.ResponseWriter, a answer) {
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// derivedID makes a Slack-shaped ID (prefix, a digit and 8 letters or
// digits) from a name, stable across runs.
func derivedID(prefix, name string) string {
	sum := sha1.Sum([]byte(strings.ToLower(name)))
	n := new(big.Int).SetBytes(sum[:])
	base := big.NewInt(int64(len(idAlphabet)))
	var b strings.Builder
	b.WriteString(prefix + "0")
	for range 8 {
		var r big.Int
		n.DivMod(n, base, &r)
		b.WriteByte(idAlphabet[r.Int64()])
	}
	return b.String()
}

func looksLikeID(s string) bool {
	if len(s) < 3 || !strings.ContainsRune("CGD", rune(s[0])) {
		return false
	}
	return strings.Trim(s[1:], idAlphabet) == ""
}

// waitFor waits until cond reports done, re-checking each time the
// channel it returns is closed.
func waitFor(ctx context.Context, cond func() (bool, chan struct{})) error {
	for {
		done, wake := cond()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
