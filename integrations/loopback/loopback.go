// Package loopback serves the integrations' fakes on a local address, for
// the long-running use `socflow dev` makes of them (tests mount the fakes
// on httptest servers instead). Every fake shares this one piece of
// plumbing rather than its own copy.
package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	pathpkg "path"
	"slices"
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

// Fault is a scripted failure: the next Times requests whose path matches
// Pattern (a path.Match pattern; empty matches every path) are answered
// with Status, and Retry-After when RetryAfter is set.
type Fault struct {
	Pattern    string
	Status     int
	RetryAfter string
	Times      int
}

// Faults is the queue behind the fakes' FailNext. The zero value is ready
// to use; it is not safe for concurrent use on its own, because every fake
// consults it under its own lock.
type Faults struct {
	list []Fault
}

// Add scripts n (at least 1) failures.
func (q *Faults) Add(pattern string, status, n int, retryAfter string) {
	q.list = append(q.list, Fault{Pattern: pattern, Status: status, RetryAfter: retryAfter, Times: max(n, 1)})
}

// Take returns the first scripted failure that matches path and uses it
// up, in the order they were added.
func (q *Faults) Take(path string) (Fault, bool) {
	for i := range q.list {
		f := q.list[i]
		if ok, _ := pathpkg.Match(f.Pattern, path); f.Pattern != "" && !ok {
			continue
		}
		q.list[i].Times--
		if q.list[i].Times <= 0 {
			q.list = slices.Delete(q.list, i, i+1)
		}
		return f, true
	}
	return Fault{}, false
}
