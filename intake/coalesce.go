package intake

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/converter"
)

// coalescer merges, per fingerprint, the occurrences that concurrent
// requests submit while a signal for that fingerprint is in flight: they
// wait and go together in the next signal (group commit). A storm from
// many senders then costs Temporal one SignalWithStart per fingerprint per
// round trip, not one per request, and no request hears back before
// Temporal accepted its alerts.
type coalescer struct {
	mu sync.Mutex
	// lines holds, per fingerprint with a signal in flight, the requests
	// waiting for the next one.
	lines map[string][]*waiter
}

// waiter is one request's occurrences of a fingerprint.
type waiter struct {
	items    []Item
	received time.Time
	out      []delivery
	// wake receives nil once the occurrences are delivered, or the batch
	// this waiter is to send itself as the next leader.
	wake chan []*waiter
}

// maxLeadRounds is how many merged signals one request sends before it
// hands the line to the first request waiting, which is in the next
// signal itself. Measured with `socflow bench` (storm phase, 4 senders):
// 1 beats 3, where a leader kept its own sender waiting for others' rounds.
const maxLeadRounds = 1

// submit delivers the occurrences of fp, merged with those of concurrent
// requests, and returns once Temporal answered for them.
func (s *Submitter) submit(ctx context.Context, dc converter.DataConverter, fp string, items []Item, received time.Time, out []delivery) {
	me := &waiter{items: items, received: received, out: out, wake: make(chan []*waiter, 1)}
	c := &s.merge
	c.mu.Lock()
	if c.lines == nil {
		c.lines = map[string][]*waiter{}
	}
	if q, busy := c.lines[fp]; busy {
		c.lines[fp] = append(q, me)
		c.mu.Unlock()
		if batch := <-me.wake; batch != nil {
			s.lead(ctx, dc, fp, me, batch)
		}
		return
	}
	c.lines[fp] = nil
	c.mu.Unlock()
	s.lead(ctx, dc, fp, me, []*waiter{me})
}

// lead sends batch as one signal (or as few as its size allows), then
// whatever queued meanwhile, until the line is empty or it has led
// maxLeadRounds times, when the first waiter leads the rest.
func (s *Submitter) lead(ctx context.Context, dc converter.DataConverter, fp string, me *waiter, batch []*waiter) {
	// The merged signal carries other requests' alerts: a sender that
	// hangs up must not cancel it (the deadline still holds).
	sendCtx := context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(sendCtx, d)
		defer cancel()
	}
	c := &s.merge
	for round := 1; ; round++ {
		s.sendMerged(sendCtx, dc, fp, batch)
		for _, w := range batch {
			if w != me {
				w.wake <- nil
			}
		}
		c.mu.Lock()
		next := c.lines[fp]
		if len(next) == 0 {
			delete(c.lines, fp)
			c.mu.Unlock()
			return
		}
		c.lines[fp] = nil
		c.mu.Unlock()
		if round >= maxLeadRounds {
			next[0].wake <- next
			return
		}
		batch = next
	}
}

// sendMerged delivers the waiters' occurrences together and hands each its
// outcomes. The first occurrence carries the alert; ReceivedAt is the
// earliest request's.
func (s *Submitter) sendMerged(ctx context.Context, dc converter.DataConverter, fp string, batch []*waiter) {
	if len(batch) == 1 {
		w := batch[0]
		s.deliver(ctx, dc, fp, w.items, w.received, w.out)
		return
	}
	var items []Item
	received := batch[0].received
	for _, w := range batch {
		items = append(items, w.items...)
		if w.received.Before(received) {
			received = w.received
		}
	}
	out := make([]delivery, len(items))
	s.deliver(ctx, dc, fp, items, received, out)
	k := 0
	for _, w := range batch {
		k += copy(w.out, out[k:k+len(w.items)])
	}
}
