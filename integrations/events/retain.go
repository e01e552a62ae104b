package events

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Retain enforces the retention period: it prunes events older than maxAge
// at once and then every interval, until ctx is done, when it returns nil.
// A failed prune is logged and retried at the next interval, because a
// database that is briefly unavailable must not stop retention for good.
// log may be nil.
func Retain(ctx context.Context, p Pruner, maxAge, every time.Duration, log *slog.Logger) error {
	if maxAge <= 0 || every <= 0 {
		return errors.New("events: retain: maxAge and every must be positive")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		olderThan := time.Now().Add(-maxAge)
		n, err := p.Prune(ctx, olderThan)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("event retention: prune failed", "error", err, "older_than", olderThan)
		case n > 0:
			log.Info("event retention: pruned", "events", n, "older_than", olderThan)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
