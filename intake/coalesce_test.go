package intake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// TestConcurrentBatchesOfOneFingerprintShareASignal: during a storm, many
// senders post the same noisy alert at once. Each request used to make its
// own SignalWithStart per fingerprint, so the server's rate bounded the
// storm; now occurrences that arrive while a signal for their fingerprint
// is in flight go together in the next one, and every request still hears
// of each of its alerts only once Temporal accepted it.
func TestConcurrentBatchesOfOneFingerprintShareASignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		first := true
		var mu sync.Mutex
		svc := &fakeService{answer: func(string) (bool, error) {
			mu.Lock()
			wait := first
			first = false
			mu.Unlock()
			if wait {
				<-release // the first signal is in flight until released
			}
			return wait, nil
		}}
		s := newSubmitter(svc)
		batch := func(n, from int) []intake.Item {
			body := ""
			for i := range n {
				body += fmt.Sprintf(`{"id":"a-%d","source":"suricata","rule":"r1","title":"Inbound SMB to dc01","category":"network","severity":"medium","time":"2026-05-14T09:12:31Z","entities":{"hosts":[{"name":"dc01"}]}}`+"\n", from+i)
			}
			return parse(t, body)
		}
		resps := make([]*intake.Response, 4)
		var wg sync.WaitGroup
		submit := func(k int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resps[k] = s.SubmitItems(context.Background(), batch(10, 10*k))
			}()
		}
		submit(0)
		synctest.Wait() // the first request's signal is in flight
		for k := 1; k < 4; k++ {
			submit(k)
		}
		synctest.Wait() // the other three wait for it
		svc.mu.Lock()
		inFlight := len(svc.reqs)
		svc.mu.Unlock()
		if inFlight != 1 {
			t.Errorf("%d signals sent while the first was in flight, want 1 (the others wait to go together)", inFlight)
		}
		close(release)
		wg.Wait()

		if len(svc.reqs) != 2 {
			t.Fatalf("%d signals for 40 occurrences of one fingerprint from 4 concurrent requests, want 2", len(svc.reqs))
		}
		second := decodeSignal(t, svc.reqs[1])
		if second.Count != 30 || len(second.IDs) != 30 {
			t.Errorf("second signal: count %d, %d IDs; want the 30 occurrences of the three waiting requests", second.Count, len(second.IDs))
		}
		started := 0
		for k, r := range resps {
			if r.Accepted != 10 || len(r.Results) != 10 || len(r.Failed) != 0 {
				t.Fatalf("request %d: %+v", k, r)
			}
			for _, res := range r.Results {
				if res.WorkflowID != workflows.AlertWorkflowID(intake.Fingerprint(batch(1, 0)[0].Alert, nil)) {
					t.Errorf("request %d: result for %s", k, res.WorkflowID)
				}
				if !res.Duplicate {
					started++
				}
			}
		}
		if started != 1 {
			t.Errorf("%d results say they started the run, want exactly the first", started)
		}
	})
}
