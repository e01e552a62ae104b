package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketPath is where apps.connections.open sends clients, as Slack's
// wss://wss-primary.slack.com/link/?ticket=… does.
const socketPath = "/link/"

// socket is one Socket Mode connection. gorilla/websocket allows one
// writer at a time, hence the mutex.
type socket struct {
	mu   sync.Mutex
	conn *websocket.Conn
	done chan struct{}
	once sync.Once
}

func (c *socket) writeJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.conn.WriteJSON(v)
}

func (c *socket) ping() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.WriteControl(websocket.PingMessage, []byte("slacktest"), time.Now().Add(10*time.Second))
}

func (c *socket) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.conn.Close()
	})
}

// serveSocket upgrades a Socket Mode connection, greets it as Slack does
// with a hello, pings it, and records the acknowledgements it sends.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	c := &socket{conn: conn, done: make(chan struct{})}
	hello := map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "slacktest", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID},
	}
	if err := c.writeJSON(hello); err != nil {
		c.close()
		return
	}
	s.mu.Lock()
	s.sockets = append(s.sockets, c)
	close(s.socketAdded)
	s.socketAdded = make(chan struct{})
	every := s.pingEvery
	s.mu.Unlock()

	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := c.ping(); err != nil {
				c.close()
				return
			}
			select {
			case <-c.done:
				return
			case <-t.C:
			}
		}
	}()
	go func() {
		defer s.dropSocket(c)
		for {
			var ack struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			if err := conn.ReadJSON(&ack); err != nil {
				return
			}
			if ack.EnvelopeID == "" {
				continue
			}
			s.mu.Lock()
			s.acks[ack.EnvelopeID] = ack.Payload
			close(s.ackAdded)
			s.ackAdded = make(chan struct{})
			s.mu.Unlock()
		}
	}()
}

func (s *Server) dropSocket(c *socket) {
	c.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.sockets {
		if x == c {
			s.sockets = append(s.sockets[:i], s.sockets[i+1:]...)
			break
		}
	}
}

// WaitSocket waits until a Socket Mode client is connected.
func (s *Server) WaitSocket(ctx context.Context) error {
	return waitFor(ctx, func() (bool, chan struct{}) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.sockets) > 0, s.socketAdded
	})
}

// SendInteractive delivers an interactive request (a block_actions
// payload, as JSON) to the newest Socket Mode client, as Slack does when a
// button is clicked, and returns its envelope ID.
func (s *Server) SendInteractive(payload []byte) (string, error) {
	if !json.Valid(payload) {
		return "", errors.New("slacktest: payload is not JSON")
	}
	s.mu.Lock()
	if len(s.sockets) == 0 {
		s.mu.Unlock()
		return "", errors.New("slacktest: no Socket Mode client is connected")
	}
	c := s.sockets[len(s.sockets)-1]
	s.envelopes++
	id := fmt.Sprintf("env-%d-%s", s.envelopes, s.nextTS())
	s.mu.Unlock()
	err := c.writeJSON(map[string]any{
		"envelope_id": id, "type": "interactive", "payload": json.RawMessage(payload),
		"accepts_response_payload": false,
	})
	if err != nil {
		return "", fmt.Errorf("slacktest: send interactive: %w", err)
	}
	return id, nil
}

// WaitAck waits for the client's acknowledgement of an envelope and
// returns its payload (often empty).
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	var out json.RawMessage
	err := waitFor(ctx, func() (bool, chan struct{}) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, ok := s.acks[envelopeID]
		out = p
		return ok, s.ackAdded
	})
	return out, err
}
