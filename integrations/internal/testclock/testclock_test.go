package testclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/internal/testclock"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	now := clk.Now
	if !now().Equal(start) {
		t.Fatalf("Now = %v, want %v", now(), start)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { clk.Add(time.Second) })
	}
	wg.Wait()
	if got := now(); !got.Equal(start.Add(10 * time.Second)) {
		t.Errorf("after ten concurrent seconds: %v", got)
	}
}
