package intel_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/intel"
)

var _ activities.IntelIndex = (*intel.Feeds)(nil)

// rewrite replaces a file's content and moves its modification time on,
// so that the change shows even where the file system's clock is coarse.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	next := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, next, next); err != nil {
		t.Fatal(err)
	}
}

// hookLog records what the reload hook saw.
type hookLog struct {
	mu   sync.Mutex
	errs []error
	oks  int
}

func (h *hookLog) hook(reports []intel.Report, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.errs = append(h.errs, err)
		return
	}
	h.oks++
}

func (h *hookLog) counts() (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.oks, len(h.errs)
}

func TestFeedsLoadAndReload(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "watchlist.csv")
	txtPath := filepath.Join(dir, "block.txt")
	if err := os.WriteFile(csvPath, []byte("indicator,confidence\n203.0.113.7,90\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(txtPath, []byte("evil.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var h hookLog
	f := intel.NewFeeds(
		append(intel.Files(csvPath, txtPath), intel.File{Path: filepath.Join("testdata", "misp-feed")}),
		intel.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		intel.WithReloadHook(h.hook),
	)
	ctx := context.Background()
	if got := f.Lookup("203.0.113.7"); got != nil {
		t.Fatalf("Lookup before Load = %+v, want nil", got)
	}
	reports, err := f.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 3 || reports[0].Source != csvPath || reports[0].Loaded != 1 || reports[2].Loaded != 11 {
		t.Errorf("reports = %v", reports)
	}
	if got := lookupTexts(f, "203.0.113.7"); len(got) != 2 {
		t.Errorf("Lookup = %q, want the CSV's and the MISP feed's hits", got)
	}

	t.Run("unchanged sources are not reloaded", func(t *testing.T) {
		before := f.Index()
		changed, err := f.Reload(ctx)
		if err != nil || changed || f.Index() != before {
			t.Errorf("Reload = %v, %v; index swapped: %v", changed, err, f.Index() != before)
		}
	})

	t.Run("a changed file is reloaded", func(t *testing.T) {
		rewrite(t, txtPath, "evil.example\nworse.example\n")
		changed, err := f.Reload(ctx)
		if err != nil || !changed {
			t.Fatalf("Reload = %v, %v; want a reload", changed, err)
		}
		if len(f.Lookup("worse.example")) != 1 {
			t.Error("the new entry is not found")
		}
	})

	t.Run("a broken file keeps the current index", func(t *testing.T) {
		before := f.Index()
		_, errsBefore := h.counts()
		rewrite(t, csvPath, "indicator,confidence\n203.0.113.7,very\n")
		changed, err := f.Reload(ctx)
		if err == nil || changed {
			t.Fatalf("Reload = %v, %v; want an error", changed, err)
		}
		if !strings.Contains(err.Error(), csvPath+":2: confidence") {
			t.Errorf("error %q does not name the file and line", err)
		}
		if f.Index() != before || len(f.Lookup("203.0.113.7")) != 2 || len(f.Lookup("worse.example")) != 1 {
			t.Error("the index changed after a failed reload")
		}
		if !strings.Contains(logs.String(), "keeping the current index") {
			t.Errorf("log lacks the failure:\n%s", logs.String())
		}
		// The same broken version is not retried (or reported) again.
		changed, err = f.Reload(ctx)
		if err != nil || changed {
			t.Errorf("second Reload = %v, %v; want no attempt", changed, err)
		}
		if _, errs := h.counts(); errs != errsBefore+1 {
			t.Errorf("hook saw %d errors, want %d", errs, errsBefore+1)
		}
		rewrite(t, csvPath, "indicator,confidence\n203.0.113.8,90\n")
		if changed, err := f.Reload(ctx); err != nil || !changed {
			t.Fatalf("Reload after the fix = %v, %v", changed, err)
		}
		if len(f.Lookup("203.0.113.8")) != 1 || len(f.Lookup("203.0.113.7")) != 1 {
			t.Error("the fixed file is not what the index holds")
		}
	})

	t.Run("a vanished file keeps the current index", func(t *testing.T) {
		if err := os.Remove(txtPath); err != nil {
			t.Fatal(err)
		}
		_, err := f.Reload(ctx)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Reload error = %v, want os.ErrNotExist", err)
		}
		if len(f.Lookup("worse.example")) != 1 {
			t.Error("the index lost the vanished file's entries")
		}
	})
}

func TestFeedsFirstLoadFails(t *testing.T) {
	f := intel.NewFeeds(intel.Files(filepath.Join(t.TempDir(), "missing.csv")))
	if _, err := f.Load(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load error = %v, want os.ErrNotExist", err)
	}
	if f.Index() != nil || f.Lookup("203.0.113.7") != nil {
		t.Error("a failed first load left an index")
	}
}

func TestFeedsClockReachesTheIndex(t *testing.T) {
	f := intel.NewFeeds(intel.Files(filepath.Join("testdata", "stix", "bundle.json")),
		intel.WithFeedsClock(fixedClock(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))))
	if _, err := f.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.Lookup("192.0.2.13")) != 1 {
		t.Error("the February indicator is not valid on the feeds' clock")
	}
}

func TestFeedsWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "block.txt")
	if err := os.WriteFile(path, []byte("evil.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var h hookLog
	f := intel.NewFeeds(intel.Files(path), intel.WithReloadHook(h.hook))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := f.Load(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Watch(ctx, 5*time.Millisecond) }()

	rewrite(t, path, "evil.example\nnew.example\n")
	waitFor(t, "the watcher to load the new entry", func() bool { return len(f.Lookup("new.example")) == 1 })

	rewrite(t, path, "not an indicator at all\n")
	waitFor(t, "the watcher to report the broken file", func() bool { _, errs := h.counts(); return errs > 0 })
	if len(f.Lookup("new.example")) != 1 {
		t.Error("the broken file emptied the watchlist")
	}

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
	if err := f.Watch(context.Background(), 0); err == nil {
		t.Error("Watch with a zero interval succeeded")
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// countingSource is a Source whose content the test controls.
type countingSource struct {
	mu      sync.Mutex
	stamp   string
	fail    error
	entries []string
	loads   int
}

func (s *countingSource) Name() string { return "counting" }

func (s *countingSource) Stamp(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stamp, nil
}

func (s *countingSource) AddTo(_ context.Context, ix *intel.Index) (intel.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.fail != nil {
		return intel.Report{}, s.fail
	}
	for _, e := range s.entries {
		if err := ix.Add(alertHit(e)); err != nil {
			return intel.Report{}, err
		}
	}
	return intel.Report{Loaded: len(s.entries)}, nil
}

func TestFeedsCustomSource(t *testing.T) {
	src := &countingSource{stamp: "1", entries: []string{"192.0.2.1"}}
	f := intel.NewFeeds([]intel.Source{src})
	ctx := context.Background()
	reports, err := f.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Source != "counting" {
		t.Errorf("report source = %q, want the source's name", reports[0].Source)
	}
	for range 3 {
		if _, err := f.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if src.loads != 1 {
		t.Errorf("loads = %d with an unchanged stamp, want 1", src.loads)
	}
	src.mu.Lock()
	src.stamp, src.fail = "2", errors.New("collection unreachable")
	src.mu.Unlock()
	if _, err := f.Reload(ctx); err == nil || !strings.Contains(err.Error(), "intel: source counting: collection unreachable") {
		t.Errorf("Reload error = %v", err)
	}
	if len(f.Lookup("192.0.2.1")) != 1 {
		t.Error("a failing source emptied the index")
	}
}

func alertHit(indicator string) alert.IntelHit {
	return alert.IntelHit{Indicator: indicator, Source: "counting", Confidence: 70}
}
