package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

// temporalFake is the workflow service as intake calls it: every
// SignalWithStart gets err, or starts a run.
type temporalFake struct {
	workflowservice.WorkflowServiceClient
	err   error
	calls int
}

func (f *temporalFake) SignalWithStartWorkflowExecution(context.Context, *workflowservice.SignalWithStartWorkflowExecutionRequest, ...grpc.CallOption) (*workflowservice.SignalWithStartWorkflowExecutionResponse, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &workflowservice.SignalWithStartWorkflowExecutionResponse{RunId: "run", Started: true}, nil
}

// newIntakeServer serves the API over a real intake.Submitter, so that
// the status codes are checked against intake's own verdicts.
func newIntakeServer(t *testing.T, svc *temporalFake) *env {
	t.Helper()
	sub := &intake.Submitter{Service: svc, Namespace: "socflow-test", TaskQueue: workflows.TaskQueue, Concurrency: 1}
	e := &env{incidents: &fakeIncidents{}}
	e.srv = httptest.NewServer(httpapi.New(httpapi.Options{
		Intake: sub, Incidents: e.incidents, Registry: prometheus.NewRegistry(), MaxBodyBytes: 4 << 20,
		Auth: testAuth(),
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// urlsAlert is within every per-field bound, and under 256 KiB as sent,
// but over it once JSON-escaped for Temporal ('<' becomes \u003c).
func urlsAlert() string {
	var urls []string
	for i := range 120 {
		urls = append(urls, fmt.Sprintf(`"https://e.example/%d?%s"`, i, strings.Repeat("<", 1900)))
	}
	return `{"source":"suricata","rule":"r1","title":"t","severity":"medium","time":"2026-05-14T09:12:31Z",` +
		`"entities":{"hosts":[{"name":"dc01"}],"urls":[` + strings.Join(urls, ",") + `]}}`
}

// TestPostAlertsPermanentRejections checks that an alert Temporal can never
// take is answered 400 or 413, which a SIEM does not retry, and only an
// alert Temporal cannot take now is 503 Retry-After.
func TestPostAlertsPermanentRejections(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		err     error
		code    int
		errHas  string
		retryIn string
	}{
		{name: "alert over the encoded bound", body: urlsAlert(), code: http.StatusRequestEntityTooLarge, errHas: "entities.urls"},
		{name: "Temporal's blob size limit", body: alertJSON("dc01"), err: serviceerror.NewInvalidArgument("Blob data size exceeds limit."),
			code: http.StatusRequestEntityTooLarge, errHas: "Blob data size exceeds limit"},
		{name: "gRPC message size", body: alertJSON("dc01"), err: status.Error(codes.ResourceExhausted, "grpc: received message larger than max (5242880 vs. 4194304)"),
			code: http.StatusRequestEntityTooLarge, errHas: "larger than max"},
		{name: "Temporal refuses the request", body: alertJSON("dc01"), err: serviceerror.NewInvalidArgument("invalid search attribute"),
			code: http.StatusBadRequest, errHas: "invalid search attribute"},
		{name: "host name too long", body: alertJSON(strings.Repeat("h", 300)), code: http.StatusBadRequest, errHas: "entities.hosts[0].name"},
		{name: "Temporal unavailable", body: alertJSON("dc01"), err: serviceerror.NewUnavailable("frontend unreachable"),
			code: http.StatusServiceUnavailable, retryIn: "5"},
		{name: "Temporal rate limit", body: alertJSON("dc01"), err: serviceerror.NewResourceExhausted(0, "namespace rate limit exceeded"),
			code: http.StatusServiceUnavailable, retryIn: "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newIntakeServer(t, &temporalFake{err: tt.err})
			a := e.do(t, "POST", "/v1/alerts", "application/json", "", tt.body)
			if a.code != tt.code {
				t.Fatalf("code %d, want %d: %.300s", a.code, tt.code, a.body)
			}
			if got := a.header.Get("Retry-After"); got != tt.retryIn {
				t.Errorf("Retry-After %q, want %q", got, tt.retryIn)
			}
			if tt.errHas != "" {
				if msg := a.errorText(t); !strings.Contains(msg, tt.errHas) {
					t.Errorf("error %q does not mention %q", msg, tt.errHas)
				}
				if rejected, _ := a.json(t)["rejected"].([]any); len(rejected) != 1 {
					t.Errorf("the answer must list the rejected alert: %.300s", a.body)
				}
			}
		})
	}
}

// TestPostAlertsTooLargeInABatch checks that a batch keeps its good alerts
// and lists the one too large, as it does any other rejected entry.
func TestPostAlertsTooLargeInABatch(t *testing.T) {
	svc := &temporalFake{}
	e := newIntakeServer(t, svc)
	a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", alertJSON("dc01")+"\n"+urlsAlert()+"\n")
	if a.code != http.StatusAccepted {
		t.Fatalf("code %d, want 202: %.300s", a.code, a.body)
	}
	rejected, _ := a.json(t)["rejected"].([]any)
	if len(rejected) != 1 || rejected[0].(map[string]any)["line"] != 2.0 || rejected[0].(map[string]any)["too_large"] != true {
		t.Errorf("want line 2 rejected as too large: %.300s", a.body)
	}
	if svc.calls != 1 {
		t.Errorf("%d calls to Temporal, want 1 (the good alert)", svc.calls)
	}
}

// TestPostAlertsRejectedStatus checks the status of a batch of which
// nothing was accepted: 413 only when every alert was too large.
func TestPostAlertsRejectedStatus(t *testing.T) {
	tooLarge := intake.Rejection{Index: 0, Error: "too large for Temporal: ...", TooLarge: true}
	invalid := intake.Rejection{Index: 1, Error: "rule: is required"}
	tests := []struct {
		name     string
		rejected []intake.Rejection
		code     int
	}{
		{"all too large", []intake.Rejection{tooLarge, tooLarge}, http.StatusRequestEntityTooLarge},
		{"too large and invalid", []intake.Rejection{tooLarge, invalid}, http.StatusBadRequest},
		{"all invalid", []intake.Rejection{invalid}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.ingester.resp = &intake.Response{Rejected: tt.rejected, Results: []intake.Result{}}
			if a := e.do(t, "POST", "/v1/alerts", "application/json", "", alertJSON("dc01")); a.code != tt.code {
				t.Errorf("code %d, want %d: %s", a.code, tt.code, a.body)
			}
		})
	}
}

// TestRejectionsEchoedAreCapped: a 1 MiB body of "{}" lines drew an 88 MB
// answer, one rejection each; the answer lists the first ones and counts
// all of them.
func TestRejectionsEchoedAreCapped(t *testing.T) {
	e := newIntakeServer(t, &temporalFake{})
	body := strings.Repeat("{}\n", 9000)
	a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", body)
	if a.code != http.StatusBadRequest {
		t.Fatalf("code %d: %.300s", a.code, a.body)
	}
	if len(a.body) > 64<<10 {
		t.Errorf("answer is %d bytes for a %d-byte body", len(a.body), len(body))
	}
	var got struct {
		Rejected      []intake.Rejection `json:"rejected"`
		RejectedTotal int                `json:"rejected_total"`
		Error         string             `json:"error"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.RejectedTotal != 9000 || len(got.Rejected) != intake.MaxRejectionsListed || got.Rejected[0].Line != 1 {
		t.Errorf("rejected_total %d, %d listed (first at line %d); want 9000, %d, line 1",
			got.RejectedTotal, len(got.Rejected), got.Rejected[0].Line, intake.MaxRejectionsListed)
	}
	if !strings.Contains(got.Error, "8999 more") {
		t.Errorf("error %q does not count the rest", got.Error)
	}
}

// TestAlertsPerRequestCapped: more alerts than the cap is a 413 naming it,
// before anything reaches Temporal.
func TestAlertsPerRequestCapped(t *testing.T) {
	svc := &temporalFake{}
	e := newIntakeServer(t, svc)
	one := `{"source":"suricata","rule":"r1","title":"t","severity":"medium","time":"2026-05-14T09:12:31Z","entities":{"hosts":[{"name":"dc01"}]}}`
	body := strings.Repeat(one+"\n", intake.DefaultMaxAlerts+1)
	a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", body)
	if a.code != http.StatusRequestEntityTooLarge || !strings.Contains(a.errorText(t), fmt.Sprintf("at most %d", intake.DefaultMaxAlerts)) {
		t.Fatalf("code %d: %.300s; want 413 naming the cap", a.code, a.body)
	}
	if svc.calls != 0 {
		t.Errorf("%d calls reached Temporal", svc.calls)
	}
	if a := e.do(t, "POST", "/v1/alerts", "application/x-ndjson", "", strings.Repeat(one+"\n", 3)); a.code != http.StatusAccepted {
		t.Errorf("3 alerts: code %d %s", a.code, a.body)
	}
}
