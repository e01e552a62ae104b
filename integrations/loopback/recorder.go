package loopback

import (
	"context"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
)

// Fault is a scripted failure of the requests a pattern matches (see
// [Recorder.Fail]).
type Fault struct {
	// Status is the status answered (unless Hang).
	Status int
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Body replaces the error body the fake derives from Status.
	Body string
	// Hang holds the request without answering until the client gives up
	// or the fake is released (Release, Close).
	Hang bool
	// Commit carries the request out before failing it, so that the change
	// is made but the client never learns of it: a lost answer.
	Commit bool
	// Times is how many matching requests fail; less than 1 means one.
	Times int
}

// Recorder is what every fake shares: the calls it received, the faults
// scripted for the next requests, the requests those faults hold, and the
// Server that serves the fake for long-running use. A fake embeds it, so
// that Calls, Fail, FailNext, Release and Close are the fake's own; C is
// the fake's record of one call. The zero value is ready to use, and it is
// safe for concurrent use.
type Recorder[C any] struct {
	Server

	mu       sync.Mutex
	calls    []C
	faults   []rule
	release  chan struct{}
	released bool
}

type rule struct {
	method, pattern string
	Fault
}

// FailNext makes the next n requests matching pattern fail with status,
// sending retryAfter as Retry-After when not empty. The pattern is an
// optional method and a path.Match pattern over the unescaped path, such as
// "POST /api/indicators" or "GET /rest/api/2/issue/*/transitions" (fakes
// that name requests otherwise, such as Slack's by API method, say so); an
// empty pattern matches every request.
func (rec *Recorder[C]) FailNext(pattern string, status, n int, retryAfter string) {
	rec.Fail(pattern, Fault{Status: status, Times: n, RetryAfter: retryAfter})
}

// Fail is FailNext with every detail of the failure under control.
// Failures are served in the order they were scripted, before credentials
// are checked.
func (rec *Recorder[C]) Fail(pattern string, f Fault) {
	method, p := splitPattern(pattern)
	f.Times = max(f.Times, 1)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.faults = append(rec.faults, rule{method: method, pattern: p, Fault: f})
}

// Calls returns the calls received so far, oldest first.
func (rec *Recorder[C]) Calls() []C {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.calls)
}

// Record adds a call and returns its index, for Update. It is for the
// fake that embeds the Recorder.
func (rec *Recorder[C]) Record(c C) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls = append(rec.calls, c)
	return len(rec.calls) - 1
}

// Update changes the call Record numbered i, such as to set the status
// answered once it is known.
func (rec *Recorder[C]) Update(i int, set func(*C)) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	set(&rec.calls[i])
}

// Take returns the first scripted fault that matches a request, given its
// method and its key (the unescaped path, for most fakes), and uses it up.
func (rec *Recorder[C]) Take(method, key string) (Fault, bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := range rec.faults {
		f := &rec.faults[i]
		if !match(f.method, f.pattern, method, key) {
			continue
		}
		out := f.Fault
		f.Times--
		if f.Times <= 0 {
			rec.faults = slices.Delete(rec.faults, i, i+1)
		}
		return out, true
	}
	return Fault{}, false
}

// Hold holds a request a Hang fault took until the client gives up (ctx is
// done) or the fake is released, and reports whether it was released.
func (rec *Recorder[C]) Hold(ctx context.Context) (released bool) {
	select {
	case <-ctx.Done():
		return false
	case <-rec.releaseCh():
		return true
	}
}

// Release lets every request held by a Hang fault go, now and later.
func (rec *Recorder[C]) Release() {
	ch := rec.releaseCh()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.released {
		rec.released = true
		close(ch)
	}
}

func (rec *Recorder[C]) releaseCh() chan struct{} {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.release == nil {
		rec.release = make(chan struct{})
	}
	return rec.release
}

// Close releases every held request and stops what Start started. Call it
// before closing an httptest.Server the fake is mounted on, whose Close
// waits for held requests.
func (rec *Recorder[C]) Close() error {
	rec.Release()
	return rec.Server.Close()
}

// Respond is how a fake answers one request under its scripted faults:
// serve's answer when no fault matches method and key (see Take); fail's
// answer to the fault when one does, after serve has carried the request
// out if the fault says Commit. A Hang fault holds the request (see Hold)
// and answers nothing: answered is false.
func Respond[C, R any](rec *Recorder[C], r *http.Request, key string, serve func() R, fail func(Fault) R) (resp R, answered bool) {
	f, faulted := rec.Take(r.Method, key)
	if !faulted {
		return serve(), true
	}
	if f.Commit {
		serve()
	}
	if f.Hang {
		rec.Hold(r.Context())
		return resp, false
	}
	return fail(f), true
}

// match reports whether a request, given its method and key, matches a
// pattern split into its method (empty matches any) and its path.Match
// pattern (empty matches every key).
func match(method, pattern, reqMethod, key string) bool {
	if method != "" && !strings.EqualFold(method, reqMethod) {
		return false
	}
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, key)
	return err == nil && ok
}

// MatchPattern reports whether a request matches a whole pattern as Fail
// takes it ("POST /api/*", "/api/*", "").
func MatchPattern(pattern, reqMethod, key string) bool {
	method, p := splitPattern(pattern)
	return match(method, p, reqMethod, key)
}

func splitPattern(pattern string) (method, p string) {
	method, p, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", pattern
	}
	return method, p
}
