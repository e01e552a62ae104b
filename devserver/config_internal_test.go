package devserver

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/server/common/dynamicconfig"
)

// TestSearchAttributeRefreshOnlyAfterAdding: a forced refresh on every
// lookup is a database read per workflow start and upsert; it is on only
// in the window after Start added attributes.
func TestSearchAttributeRefreshOnlyAfterAdding(t *testing.T) {
	dc := newDevConfig(true)
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	value := func() any { return dc.GetValue(key)[0].Value }
	if value() != false {
		t.Fatalf("forced refresh is on before any attribute was added")
	}
	dc.forceSearchAttributeRefresh()
	if value() != true {
		t.Fatalf("forced refresh is off right after attributes were added")
	}
	if got := dc.GetValue(dynamicconfig.HistoryCacheHostLevelMaxSize.Key()); len(got) != 1 || got[0].Value != 8096 {
		t.Errorf("static values not passed through: %v", got)
	}
}

// TestOnePartitionPerTaskQueue: one matching host serves every task queue
// from one partition; a DB file keeps reading all four, where an earlier
// server may have left tasks.
func TestOnePartitionPerTaskQueue(t *testing.T) {
	write := dynamicconfig.MatchingNumTaskqueueWritePartitions.Key()
	read := dynamicconfig.MatchingNumTaskqueueReadPartitions.Key()
	for _, tc := range []struct {
		name     string
		inMemory bool
		reads    []dynamicconfig.ConstrainedValue
	}{
		{"in memory", true, []dynamicconfig.ConstrainedValue{{Value: 1}}},
		{"DB file", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dc := newDevConfig(tc.inMemory)
			if got := dc.GetValue(write); len(got) != 1 || got[0].Value != 1 {
				t.Errorf("write partitions = %v, want 1", got)
			}
			if got := dc.GetValue(read); len(got) != len(tc.reads) || (len(got) == 1 && got[0].Value != tc.reads[0].Value) {
				t.Errorf("read partitions = %v, want %v", got, tc.reads)
			}
		})
	}
}

// TestStopIsQuiet: once Stop begins, the server's messages (errors about
// the writes shutdown cancels included) no longer reach the log.
func TestStopIsQuiet(t *testing.T) {
	var buf bytes.Buffer
	level := &slog.LevelVar{}
	level.Set(slog.LevelWarn)
	chatty := slog.New(newMinLevelHandler(slog.NewTextHandler(&buf, nil), level))
	s := &Server{temporal: stoppedServer{chatty}, chatty: chatty, level: level}
	chatty.Error("before stop")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.Contains(got, "before stop") || strings.Contains(got, "during stop") {
		t.Errorf("log = %q, want the message before Stop only", got)
	}
}

// stoppedServer is a temporal.Server whose Stop logs as the real one does
// when shutdown cancels its writes.
type stoppedServer struct{ log *slog.Logger }

func (stoppedServer) Start() error { return nil }
func (s stoppedServer) Stop() error {
	s.log.Error("during stop", "error", "context canceled")
	return nil
}
