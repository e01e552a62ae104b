package devserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/devserver"
)

const (
	taskQueue      = "devserver-test"
	finishSignal   = "finish"
	waitTimeout    = 30 * time.Second
	workflowName   = "WaitForSignal"
	priorityAttr   = "SocflowPriority"
	scoreAttr      = "SocflowScore"
	eventuallyTick = 50 * time.Millisecond
)

// waitForSignal is the smallest workflow that must survive a restart: it
// parks until a signal arrives and returns the signalled value.
func waitForSignal(ctx workflow.Context) (string, error) {
	var value string
	workflow.GetSignalChannel(ctx, finishSignal).Receive(ctx, &value)
	return value, nil
}

func TestStartEphemeral(t *testing.T) {
	ctx := context.Background()
	want := map[string]enums.IndexedValueType{
		priorityAttr: enums.INDEXED_VALUE_TYPE_KEYWORD,
		scoreAttr:    enums.INDEXED_VALUE_TYPE_INT,
	}
	srv := start(t, "ephemeral", devserver.Options{SearchAttributes: want})

	if got := srv.Namespace(); got != devserver.DefaultNamespace {
		t.Errorf("Namespace() = %q, want %q", got, devserver.DefaultNamespace)
	}
	if got := srv.UIURL(); got != "" {
		t.Errorf("UIURL() = %q, want empty without UIPort", got)
	}
	c := dial(t, srv)

	resp, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	assertSearchAttributes(t, resp.GetCustomAttributes(), want)

	ns, err := c.WorkflowService().DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("DescribeNamespace: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != devserver.DefaultRetention {
		t.Errorf("retention = %v, want %v", got, devserver.DefaultRetention)
	}

	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestFileModeResumesAcrossRestart(t *testing.T) {
	ctx := context.Background()
	// A missing parent directory must be created, as `socflow dev` points
	// at ~/.local/share/socflow/dev.db on a fresh machine.
	dbFile := filepath.Join(t.TempDir(), "state", "x.db")
	first := map[string]enums.IndexedValueType{priorityAttr: enums.INDEXED_VALUE_TYPE_KEYWORD}

	srv := start(t, "file (new)", devserver.Options{DBFile: dbFile, SearchAttributes: first})
	if _, err := os.Stat(dbFile); err != nil {
		t.Fatalf("DB file not created: %v", err)
	}
	// The -wal file exists only in WAL mode: proof the pragmas reached SQLite.
	if _, err := os.Stat(dbFile + "-wal"); err != nil {
		t.Errorf("DB not in WAL mode: %v", err)
	}
	c := dial(t, srv)
	w := startWorker(t, c)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "resume-" + t.Name(),
		TaskQueue: taskQueue,
	}, workflowName)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	// Wait for the worker to run the first workflow task, so the restart
	// interrupts a workflow that is parked in the signal wait.
	eventually(t, "first workflow task completed", func() error {
		desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			return err
		}
		if desc.GetPendingWorkflowTask() != nil || desc.GetWorkflowExecutionInfo().GetHistoryLength() < 4 {
			return errors.New("first workflow task not completed yet")
		}
		return nil
	})
	w.Stop()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Restart on the same file with one more search attribute, as after an
	// upgrade that adds one.
	second := map[string]enums.IndexedValueType{
		priorityAttr: enums.INDEXED_VALUE_TYPE_KEYWORD,
		scoreAttr:    enums.INDEXED_VALUE_TYPE_INT,
	}
	srv = start(t, "file (resume)", devserver.Options{DBFile: dbFile, SearchAttributes: second})
	c = dial(t, srv)
	resp, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	assertSearchAttributes(t, resp.GetCustomAttributes(), second)
	// The attribute just added is usable at once, by a workflow start that
	// sets it (the services' caches were loaded before it existed).
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "uses-new-attribute-" + t.Name(), TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyInt64(scoreAttr).ValueSet(7)),
	}, workflowName); err != nil {
		t.Fatalf("start with the search attribute added at restart: %v", err)
	}

	startWorker(t, c)
	if err := c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), finishSignal, "resumed"); err != nil {
		t.Fatalf("SignalWorkflow after restart: %v", err)
	}
	getCtx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	var got string
	if err := c.GetWorkflow(getCtx, run.GetID(), run.GetRunID()).Get(getCtx, &got); err != nil {
		t.Fatalf("workflow result after restart: %v", err)
	}
	if got != "resumed" {
		t.Errorf("workflow result = %q, want %q", got, "resumed")
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// A registered attribute cannot change type; Start must say so rather
	// than hand back a server whose workflows would fail to upsert it.
	_, err = devserver.Start(ctx, devserver.Options{
		DBFile:           dbFile,
		SearchAttributes: map[string]enums.IndexedValueType{scoreAttr: enums.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           testLogger(t),
	})
	if err == nil || !strings.Contains(err.Error(), scoreAttr) {
		t.Fatalf("Start with %s retyped: err = %v, want a type mismatch naming it", scoreAttr, err)
	}
	t.Logf("retyped search attribute rejected: %v", err)
}

func TestUI(t *testing.T) {
	uiPort := freePort(t)
	const codecEndpoint = "http://127.0.0.1:1/codec"
	srv := start(t, "ephemeral with UI", devserver.Options{UIPort: uiPort, CodecEndpoint: codecEndpoint})
	if want := fmt.Sprintf("http://127.0.0.1:%d", uiPort); srv.UIURL() != want {
		t.Fatalf("UIURL() = %q, want %q", srv.UIURL(), want)
	}
	httpClient := &http.Client{Timeout: 5 * time.Second}
	eventually(t, "UI root answers 200", func() error {
		resp, err := httpClient.Get(srv.UIURL() + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	})
	// The browser learns the codec endpoint from the UI's settings.
	resp, err := httpClient.Get(srv.UIURL() + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var settings struct{ Codec struct{ Endpoint string } }
	if err := json.NewDecoder(resp.Body).Decode(&settings); err != nil {
		t.Fatal(err)
	}
	if settings.Codec.Endpoint != codecEndpoint {
		t.Errorf("UI codec endpoint = %q, want %q", settings.Codec.Endpoint, codecEndpoint)
	}
}

// start runs a server for the test, logs how long it took to become ready
// and stops it at cleanup.
func start(t *testing.T, label string, opts devserver.Options) *devserver.Server {
	t.Helper()
	opts.Logger = testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	begin := time.Now()
	srv, err := devserver.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start (%s): %v", label, err)
	}
	t.Logf("%s: start-to-ready %v, frontend %s", label, time.Since(begin).Round(time.Millisecond), srv.FrontendAddr())
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop (%s): %v", label, err)
		}
	})
	return srv
}

func dial(t *testing.T, srv *devserver.Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendAddr(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatalf("dial %s: %v", srv.FrontendAddr(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func startWorker(t *testing.T, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(waitForSignal, workflow.RegisterOptions{Name: workflowName})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	// Stop is idempotent, so an explicit early Stop in the test is fine.
	t.Cleanup(w.Stop)
	return w
}

func assertSearchAttributes(t *testing.T, got, want map[string]enums.IndexedValueType) {
	t.Helper()
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("search attribute %s = %v, want %v (all custom: %v)", name, got[name], typ, got)
		}
	}
}

// eventually polls fn until it succeeds or waitTimeout passes.
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %v", what, waitTimeout, err)
		}
		time.Sleep(eventuallyTick)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testLogger sends server warnings to the test log. Server goroutines can
// still log after the test ends, when t.Log panics, so the writer goes quiet
// at cleanup.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu     sync.Mutex
	t      *testing.T
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(string(p))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
