package intel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socflow/socflow/alert"
)

// Source is one origin of indicators that Feeds loads and watches: a file
// or folder (File), or a TAXII collection (taxii.Source).
type Source interface {
	// Name identifies the source in reports, logs and errors.
	Name() string
	// Stamp returns a fingerprint of the source's current content: it
	// changes whenever the content does, and only then (as far as the
	// source can tell). A file's is its size and modification time; a
	// TAXII collection polls for new objects and counts its versions.
	Stamp(ctx context.Context) (string, error)
	// AddTo loads the source's current content into ix.
	AddTo(ctx context.Context, ix *Index) (Report, error)
}

// File is a Source on the local file system: a CSV or plain-text list, a
// STIX bundle or MISP event (.json), a MISP feed folder or a folder of
// such files; see Index.AddPath.
type File struct {
	Path string
}

// Files returns a File source per path.
func Files(paths ...string) []Source {
	out := make([]Source, len(paths))
	for i, p := range paths {
		out[i] = File{Path: p}
	}
	return out
}

// Name returns the path.
func (f File) Name() string { return f.Path }

// Stamp returns the size and modification time of the file, or of every
// file directly in the folder, hashed. Metadata is enough: feeds are
// replaced by writing files, which moves their modification time, and
// reading a million lines to hash them on every poll would cost more than
// the reload it saves.
func (f File) Stamp(context.Context) (string, error) {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return "", fmt.Errorf("intel: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano()), nil
	}
	ents, err := os.ReadDir(f.Path)
	if err != nil {
		return "", fmt.Errorf("intel: %w", err)
	}
	h := sha256.New()
	for _, e := range ents {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return "", fmt.Errorf("intel: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%v\n", e.Name(), info.Size(), info.ModTime().UnixNano(), info.IsDir())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AddTo loads the file or folder; see Index.AddPath.
func (f File) AddTo(_ context.Context, ix *Index) (Report, error) {
	return ix.AddPath(filepath.Clean(f.Path))
}

// FeedsOption configures Feeds.
type FeedsOption func(*Feeds)

// WithFeedsClock sets the clock the indexes check validity windows
// against (see WithClock).
func WithFeedsClock(now func() time.Time) FeedsOption {
	return func(f *Feeds) {
		if now != nil {
			f.now = now
		}
	}
}

// WithLogger logs every reload: the counts when it succeeds, the error
// when it fails. The default logs nothing.
func WithLogger(l *slog.Logger) FeedsOption {
	return func(f *Feeds) {
		if l != nil {
			f.log = l
		}
	}
}

// WithReloadHook calls fn after every load attempt with the reports (nil
// when it failed) and the error (nil when it succeeded). Watch reports
// failures only through here and the logger.
func WithReloadHook(fn func(reports []Report, err error)) FeedsOption {
	return func(f *Feeds) { f.hook = fn }
}

// Feeds owns a set of sources and the index built from them. Lookup reads
// the current index without locking; Load and Reload build a fresh index
// from every source and swap it in whole, so a lookup sees either the old
// index or the new one, never a mix. When a load fails the current index
// stays: a broken feed must never empty the watchlist.
//
// Feeds satisfies the same Lookup method as *Index (activities.IntelIndex).
type Feeds struct {
	sources []Source
	now     func() time.Time
	log     *slog.Logger
	hook    func([]Report, error)

	cur atomic.Pointer[Index]

	// mu serialises loads. stamps are those of the sources the current
	// index was built from; failed are those of the last load that failed,
	// so that a broken version is reported once rather than every poll.
	mu      sync.Mutex
	stamps  []string
	failed  []string
	reports []Report
}

// NewFeeds returns Feeds over sources, with an empty index until Load.
func NewFeeds(sources []Source, opts ...FeedsOption) *Feeds {
	f := &Feeds{
		sources: slices.Clone(sources),
		now:     time.Now,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Lookup returns the hits for indicator in the current index, or nil
// before the first successful load.
func (f *Feeds) Lookup(indicator string) []alert.IntelHit {
	ix := f.cur.Load()
	if ix == nil {
		return nil
	}
	return ix.Lookup(indicator)
}

// AppendLookup is Index.AppendLookup on the current index: it appends
// the hits for indicator to dst, allocating nothing when dst has room,
// and returns dst unchanged before the first successful load. The hits'
// Labels are shared with the index and must not be modified.
func (f *Feeds) AppendLookup(dst []alert.IntelHit, indicator string) []alert.IntelHit {
	ix := f.cur.Load()
	if ix == nil {
		return dst
	}
	return ix.AppendLookup(dst, indicator)
}

// Index returns the current index, or nil before the first successful
// load.
func (f *Feeds) Index() *Index { return f.cur.Load() }

// Reports returns the reports of the load that built the current index.
func (f *Feeds) Reports() []Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reports)
}

// Load builds an index from every source and swaps it in. On error the
// current index stays and the error says which source failed.
func (f *Feeds) Load(ctx context.Context) ([]Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stamps, err := f.stampAll(ctx)
	if err != nil {
		f.done(nil, err)
		return nil, err
	}
	return f.load(ctx, stamps)
}

// Reload loads again when a source's stamp has changed since the current
// index was built, and reports whether it swapped in a new index. A set of
// stamps that failed to load before is not retried until one changes.
func (f *Feeds) Reload(ctx context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stamps, err := f.stampAll(ctx)
	if err != nil {
		f.done(nil, err)
		return false, err
	}
	if f.cur.Load() != nil && slices.Equal(stamps, f.stamps) {
		return false, nil
	}
	if slices.Equal(stamps, f.failed) {
		return false, nil
	}
	if _, err := f.load(ctx, stamps); err != nil {
		return false, err
	}
	return true, nil
}

// Watch calls Reload every interval until ctx is done, and returns
// ctx.Err(). Failures go to the logger and the reload hook; the current
// index stays.
func (f *Feeds) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("intel: watch interval %s: want a positive duration", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_, _ = f.Reload(ctx)
		}
	}
}

func (f *Feeds) stampAll(ctx context.Context) ([]string, error) {
	stamps := make([]string, len(f.sources))
	for i, s := range f.sources {
		st, err := s.Stamp(ctx)
		if err != nil {
			return nil, fmt.Errorf("intel: source %s: %w", s.Name(), err)
		}
		stamps[i] = st
	}
	return stamps, nil
}

// load builds and swaps in an index; f.mu is held. The stamps were taken
// before reading, so a change during the load is seen by the next poll.
func (f *Feeds) load(ctx context.Context, stamps []string) ([]Report, error) {
	start := time.Now()
	ix := New(WithClock(f.now))
	reports := make([]Report, 0, len(f.sources))
	for _, s := range f.sources {
		if err := ctx.Err(); err != nil {
			f.done(nil, err)
			return nil, err
		}
		rep, err := s.AddTo(ctx, ix)
		if err != nil {
			f.failed = stamps
			err = fmt.Errorf("intel: source %s: %w", s.Name(), err)
			f.done(nil, err)
			return nil, err
		}
		if rep.Source == "" {
			rep.Source = s.Name()
		}
		reports = append(reports, rep)
	}
	f.cur.Store(ix)
	f.stamps, f.failed, f.reports = stamps, nil, reports
	f.log.Info("intel loaded", "entries", ix.Len(), "sources", len(reports), "took", time.Since(start).Round(time.Millisecond))
	for _, r := range reports {
		if n := r.SkippedTotal(); n > 0 {
			f.log.Info("intel source skipped entries", "source", r.Source, "loaded", r.Loaded, "skipped", n, "detail", r.String())
		}
	}
	f.done(slices.Clone(reports), nil)
	return reports, nil
}

func (f *Feeds) done(reports []Report, err error) {
	if errors.Is(err, context.Canceled) {
		return // shutting down, not failing
	}
	if err != nil {
		kept := 0
		if ix := f.cur.Load(); ix != nil {
			kept = ix.Len()
		}
		f.log.Error("intel load failed; keeping the current index", "err", err, "kept_entries", kept)
	}
	if f.hook != nil {
		f.hook(reports, err)
	}
}
