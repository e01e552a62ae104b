package devserver

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts the server's tag-based log.Logger to slog so that
// server output lands in the caller's handler with everything else.
type serverLogger struct {
	log *slog.Logger
}

var (
	_ log.Logger      = serverLogger{}
	_ log.WithLogger  = serverLogger{}
	_ log.SLogWrapper = serverLogger{}
)

func newServerLogger(l *slog.Logger) serverLogger { return serverLogger{log: l} }

func (l serverLogger) Debug(msg string, tags ...tag.Tag) { l.emit(slog.LevelDebug, msg, tags) }
func (l serverLogger) Info(msg string, tags ...tag.Tag)  { l.emit(slog.LevelInfo, msg, tags) }
func (l serverLogger) Warn(msg string, tags ...tag.Tag)  { l.emit(slog.LevelWarn, msg, tags) }
func (l serverLogger) Error(msg string, tags ...tag.Tag) { l.emit(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal log at Error and return instead of exiting: a
// fault in the embedded server must not kill `socflow dev` or a test binary
// behind its caller's back. The Temporal CLI's dev server does the same.
func (l serverLogger) DPanic(msg string, tags ...tag.Tag) { l.emit(slog.LevelError, msg, tags) }
func (l serverLogger) Panic(msg string, tags ...tag.Tag)  { l.emit(slog.LevelError, msg, tags) }
func (l serverLogger) Fatal(msg string, tags ...tag.Tag)  { l.emit(slog.LevelError, msg, tags) }

// With pre-renders tags once; without it the server wraps the logger in a
// generic prepender that copies tags on every call.
func (l serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{log: slog.New(l.log.Handler().WithAttrs(tagsToAttrs(tags)))}
}

// SLog lets server components that want an slog.Logger (log.NewSlogLogger)
// use ours directly instead of routing back through the tag adapter.
func (l serverLogger) SLog() *slog.Logger { return l.log }

func (l serverLogger) emit(level slog.Level, msg string, tags []tag.Tag) {
	// Checking first skips converting tags for the Info/Debug flood that
	// the level filter would drop anyway.
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.LogAttrs(context.Background(), level, msg, tagsToAttrs(tags)...)
}

func tagsToAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		if t == nil {
			continue
		}
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return attrs
}

// minLevelHandler drops records below min before they reach next, whatever
// level next itself accepts: the caller's handler is often at Info, where the
// server would drown everything else.
type minLevelHandler struct {
	min  slog.Leveler
	next slog.Handler
}

func newMinLevelHandler(next slog.Handler, min slog.Leveler) *minLevelHandler {
	return &minLevelHandler{min: min, next: next}
}

func (h *minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.next.Enabled(ctx, level)
}

func (h *minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}

func (h *minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &minLevelHandler{min: h.min, next: h.next.WithAttrs(attrs)}
}

func (h *minLevelHandler) WithGroup(name string) slog.Handler {
	return &minLevelHandler{min: h.min, next: h.next.WithGroup(name)}
}
