package auditlog_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/auditlog"
)

var _ activities.AuditSink = (*auditlog.Sink)(nil)

func open(t *testing.T, path string) *auditlog.Sink {
	t.Helper()
	s, err := auditlog.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("file does not end with a newline: %q", data)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    string // the line written; "" when the record is refused
		wantErr string
	}{
		{"compacted", "{\n  \"incident_id\": \"inc-1\",\n  \"alerts\": [1, 2]\n}", `{"incident_id":"inc-1","alerts":[1,2]}`, ""},
		{"string with newline stays escaped", `{"note":"a\nb"}`, `{"note":"a\nb"}`, ""},
		{"scalar", `"just text"`, `"just text"`, ""},
		{"invalid", `{"incident_id":`, "", "not valid JSON"},
		{"two values", `{} {}`, "", "not valid JSON"},
		{"empty", ``, "", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			s := open(t, path)
			err := s.Append(context.Background(), json.RawMessage(tt.record))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "auditlog: ") {
					t.Fatalf("Append error = %v, want auditlog: ...%s", err, tt.wantErr)
				}
				if data, _ := os.ReadFile(path); len(data) != 0 {
					t.Errorf("a refused record was written: %q", data)
				}
				return
			}
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if got := readLines(t, path); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenCreatesFoldersAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "audit.jsonl")
	s := open(t, path)
	if err := s.Append(context.Background(), json.RawMessage(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("Stat = %v, %v; want a 0600 file", st, err)
	}

	// Reopening appends rather than truncating.
	s2 := open(t, path)
	if err := s2.Append(context.Background(), json.RawMessage(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, path); !slices.Equal(got, []string{`{"n":1}`, `{"n":2}`}) {
		t.Errorf("file = %q", got)
	}
	if s2.Path() != path {
		t.Errorf("Path() = %q, want %q", s2.Path(), path)
	}
}

func TestTornTailIsTerminated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	// A crash mid-write leaves a partial line behind.
	if err := os.WriteFile(path, []byte("{\"n\":1}\n{\"n\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	for i := 2; i <= 3; i++ {
		if err := s.Append(context.Background(), json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{`{"n":1}`, `{"n":`, `{"n":2}`, `{"n":3}`}
	if got := readLines(t, path); !slices.Equal(got, want) {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestAppendAfterClose(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.jsonl"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := s.Append(context.Background(), json.RawMessage(`{}`)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Append after Close = %v, want os.ErrClosed", err)
	}
}

func TestAppendCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s := open(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Append(ctx, json.RawMessage(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append = %v, want context.Canceled", err)
	}
}

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.Open(filepath.Join(blocker, "audit.jsonl")); err == nil || !strings.HasPrefix(err.Error(), "auditlog: ") {
		t.Errorf("Open under a file = %v, want an auditlog: error", err)
	}
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s := open(t, path)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Records of different sizes make torn writes visible.
				rec := fmt.Sprintf(`{"writer": %d, "seq": %d, "pad": %q}`, w, i, strings.Repeat("x", (w*37+i*11)%500))
				if err := s.Append(context.Background(), json.RawMessage(rec)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[[2]int]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct{ Writer, Seq int }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q is not valid JSON: %v", sc.Text(), err)
		}
		key := [2]int{rec.Writer, rec.Seq}
		if seen[key] {
			t.Errorf("record %v written twice", key)
		}
		seen[key] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("found %d records, want %d", len(seen), writers*each)
	}
}
