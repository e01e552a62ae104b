// Package auditlog keeps closed incidents' records in a JSON Lines file,
// outside Temporal, whose retention eventually deletes workflow histories.
// Each record is one compact line, synced to disk before Append returns,
// so that an acknowledged record survives a crash.
package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Sink appends audit records to one file. It is safe for concurrent use;
// records never interleave.
type Sink struct {
	path string

	mu sync.Mutex
	f  *os.File
	// torn says the file may end in a partial line (a failed write, or a
	// crash before this process opened it), so the next record must start
	// on a fresh line to stay parseable.
	torn bool
}

// Open opens (creating it and its parent folders if needed) the audit file
// at path for appending.
func Open(path string) (*Sink, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	// Read access lets Open check how the file ends; writes still always
	// go to the end because of O_APPEND, whatever other writers do.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	s := &Sink{path: path, f: f}
	if s.torn, err = endsMidLine(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("auditlog: %s: %w", path, err)
	}
	if created {
		// A new file's directory entry is only durable once the
		// directory itself is synced.
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, fmt.Errorf("auditlog: %w", err)
		}
	}
	return s, nil
}

// Path returns the file the sink writes.
func (s *Sink) Path() string { return s.path }

// Append writes record as one compact JSON line and syncs the file. It
// refuses a record that is not valid JSON, so the file stays parseable
// line by line.
func (s *Sink) Append(ctx context.Context, record json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, record); err != nil {
		return fmt.Errorf("auditlog: record is not valid JSON: %w", err)
	}
	line.WriteByte('\n')

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("auditlog: %s: %w", s.path, os.ErrClosed)
	}
	out := line.Bytes()
	if s.torn {
		out = append([]byte{'\n'}, out...)
	}
	if _, err := s.f.Write(out); err != nil {
		s.torn = true
		return fmt.Errorf("auditlog: write %s: %w", s.path, err)
	}
	s.torn = false
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("auditlog: sync %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file. Appends after Close fail; closing twice is
// harmless.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("auditlog: close %s: %w", s.path, err)
	}
	return nil
}

// endsMidLine reports whether f is non-empty and its last byte is not a
// newline.
func endsMidLine(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if st.Size() == 0 {
		return false, nil
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], st.Size()-1); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return b[0] != '\n', nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
