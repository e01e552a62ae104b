package loopback_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

func TestFaultsAreTakenInOrderAndUsedUp(t *testing.T) {
	var rec loopback.Recorder[string]
	rec.FailNext("/api/*", 429, 2, "3")
	rec.Fail("", loopback.Fault{Status: 500})
	for i, want := range []int{429, 429, 500} {
		f, ok := rec.Take("GET", "/api/x")
		if !ok || f.Status != want {
			t.Fatalf("take %d = %+v %v, want %d", i, f, ok, want)
		}
	}
	if _, ok := rec.Take("GET", "/api/x"); ok {
		t.Fatal("faults not used up")
	}
	rec.FailNext("/other", 503, 1, "")
	if _, ok := rec.Take("GET", "/api/x"); ok {
		t.Fatal("a fault for another path matched")
	}
}

func TestFaultsMatchMethodAndPath(t *testing.T) {
	tests := []struct {
		pattern, method, key string
		want                 bool
	}{
		{"", "GET", "/anything", true},
		{"POST /api/machines/*/isolate", "POST", "/api/machines/m1/isolate", true},
		{"post /api/machines/*/isolate", "POST", "/api/machines/m1/isolate", true},
		{"POST /api/machines/*/isolate", "GET", "/api/machines/m1/isolate", false},
		{"/api/machines/*", "DELETE", "/api/machines/m1", true},
		{"/api/machines/*", "GET", "/api/machines/m1/isolate", false},
		{"GET ", "GET", "/x", true},
		{"chat.postMessage", "POST", "chat.postMessage", true},
		{"[", "GET", "[", false},
	}
	for _, tt := range tests {
		if got := loopback.MatchPattern(tt.pattern, tt.method, tt.key); got != tt.want {
			t.Errorf("MatchPattern(%q, %s, %s) = %v, want %v", tt.pattern, tt.method, tt.key, got, tt.want)
		}
		var rec loopback.Recorder[string]
		rec.FailNext(tt.pattern, 500, 1, "")
		if _, got := rec.Take(tt.method, tt.key); got != tt.want {
			t.Errorf("Take after FailNext(%q) on %s %s = %v, want %v", tt.pattern, tt.method, tt.key, got, tt.want)
		}
	}
}

func TestRecordAndUpdate(t *testing.T) {
	type call struct {
		Path   string
		Status int
	}
	var rec loopback.Recorder[call]
	i := rec.Record(call{Path: "/a"})
	rec.Record(call{Path: "/b", Status: 200})
	got := rec.Calls()
	got[0].Path = "changed by the caller"
	rec.Update(i, func(c *call) { c.Status = 404 })
	if calls := rec.Calls(); len(calls) != 2 || calls[0] != (call{"/a", 404}) || calls[1] != (call{"/b", 200}) {
		t.Fatalf("calls = %+v", calls)
	}
}

// fake is the smallest fake on a Recorder: it counts the changes it makes
// and answers 200, or the fault's status with "injected".
type fake struct {
	loopback.Recorder[int]
	changes atomic.Int32
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, answered := loopback.Respond(&f.Recorder, r, r.URL.Path, func() loopback.Response {
		f.changes.Add(1)
		return loopback.JSON(http.StatusOK, map[string]string{"ok": "<yes>"})
	}, func(fl loopback.Fault) loopback.Response {
		return fl.Answer(loopback.JSON(fl.Status, map[string]string{"error": "injected"}))
	})
	f.Record(resp.Status)
	if answered {
		resp.Write(w, "application/json")
	}
}

func get(t *testing.T, ctx context.Context, url string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestRespond(t *testing.T) {
	f := &fake{}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = f.Close() })
	ctx := context.Background()

	resp, body, err := get(t, ctx, ts.URL+"/x")
	if err != nil || resp.StatusCode != 200 || body != "{\"ok\":\"<yes>\"}\n" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("plain call: %v %v %q", resp, err, body)
	}

	f.FailNext("GET /x", http.StatusTooManyRequests, 1, "7")
	resp, body, _ = get(t, ctx, ts.URL+"/x")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" || !strings.Contains(body, "injected") {
		t.Errorf("fault: %d %v %q", resp.StatusCode, resp.Header, body)
	}

	f.Fail("", loopback.Fault{Status: http.StatusBadGateway, Body: "<html>bad gateway</html>"})
	resp, body, _ = get(t, ctx, ts.URL+"/x")
	if resp.StatusCode != 502 || body != "<html>bad gateway</html>" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("fault with a body: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if n := f.changes.Load(); n != 1 {
		t.Errorf("%d changes after two faults, want 1", n)
	}

	f.Fail("", loopback.Fault{Status: http.StatusInternalServerError, Commit: true})
	if resp, _, _ = get(t, ctx, ts.URL+"/x"); resp.StatusCode != 500 || f.changes.Load() != 2 {
		t.Errorf("committed fault: %d, %d changes; want 500 and the change made", resp.StatusCode, f.changes.Load())
	}

	// A hang lasts until the client gives up...
	f.Fail("", loopback.Fault{Hang: true})
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := get(t, tctx, ts.URL+"/x"); err == nil {
		t.Error("a held request was answered")
	}
	// ...or until Release, and then nothing is answered either.
	f.Fail("", loopback.Fault{Hang: true, Commit: true})
	done := make(chan error, 1)
	go func() {
		_, _, err := get(t, ctx, ts.URL+"/x")
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for f.changes.Load() != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the committed request never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	f.Release()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Release did not let the held request go")
	}
	calls := f.Calls()
	if want := []int{200, 429, 502, 500}; len(calls) < len(want) || calls[3] != 500 {
		t.Errorf("recorded statuses %v, want %v then held ones", calls, want)
	}
}
