// Package loopback is the plumbing every integration fake shares rather
// than its own copy: a [Recorder] of the calls received and of the faults
// scripted for the next ones (fail with a status and body, hang, commit
// then fail), [Respond] to answer a request under those faults, and a
// [Server] for the long-running use `socflow dev` makes of the fakes
// (tests mount them on httptest servers instead).
package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server serves one handler until Close. The zero value is ready to use.
type Server struct {
	mu  sync.Mutex
	srv *http.Server
}

// Start serves h on addr ("127.0.0.1:0" when empty) and returns the base
// URL. name prefixes errors ("defendertest: ...").
func (s *Server) Start(name, addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New(name + ": already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(s.srv)
	return "http://" + ln.Addr().String(), nil
}

// Close stops what Start started; it is safe to call when not started.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}
