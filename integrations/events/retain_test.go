package events

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePruner records each call on a channel and fails when told to.
type fakePruner struct {
	calls chan time.Time
	fail  error
}

func (p *fakePruner) Prune(_ context.Context, olderThan time.Time) (int, error) {
	p.calls <- olderThan
	return 3, p.fail
}

func TestRetain(t *testing.T) {
	tests := []struct {
		name    string
		fail    error
		wantLog string
	}{
		{"prunes", nil, "event retention: pruned"},
		{"keeps going after a failure", errors.New("database is locked"), "database is locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePruner{calls: make(chan time.Time), fail: tt.fail}
			var logs syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				done <- Retain(ctx, p, 24*time.Hour, time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
			}()
			// The first prune runs at once, the next ones on the ticker.
			for i := range 3 {
				select {
				case olderThan := <-p.calls:
					if cut := start.Add(-24 * time.Hour); olderThan.Before(cut) || olderThan.After(time.Now().Add(-24*time.Hour)) {
						t.Errorf("prune %d: olderThan %v, want about %v", i, olderThan, cut)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("prune %d never came", i)
				}
			}
			cancel()
			// Drain a prune that may have started before the cancellation.
			for {
				select {
				case <-p.calls:
					continue
				case err := <-done:
					if err != nil {
						t.Errorf("Retain = %v, want nil after cancellation", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Retain did not return after cancellation")
				}
				break
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs %q, want %q", logs.String(), tt.wantLog)
			}
		})
	}
}

func TestRetainRefusesBadArguments(t *testing.T) {
	p := &fakePruner{calls: make(chan time.Time, 1)}
	for _, args := range [][2]time.Duration{{0, time.Minute}, {time.Hour, 0}, {-time.Hour, time.Minute}} {
		if err := Retain(context.Background(), p, args[0], args[1], nil); err == nil {
			t.Errorf("Retain(maxAge %s, every %s) succeeded", args[0], args[1])
		}
	}
}

func TestRetainWithStore(t *testing.T) {
	s := openSQLite(t, "")
	now := time.Now()
	mustAppend(t, s,
		Event{Time: now.Add(-48 * time.Hour), Kind: KindDNS, Host: "h"},
		Event{Time: now.Add(-time.Minute), Kind: KindDNS, Host: "h"},
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = Retain(ctx, s, 24*time.Hour, time.Millisecond, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := s.Related(context.Background(), Query{Hosts: []string{"h"}, Before: now, Window: 72 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events left, want 1", len(evs))
		}
		time.Sleep(time.Millisecond) // polling with a deadline, not waiting a fixed time
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
