package intake_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"

	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// fakeService is the workflow service as intake sees it: only
// SignalWithStartWorkflowExecution is implemented; any other call panics
// through the nil embedded interface.
type fakeService struct {
	workflowservice.WorkflowServiceClient

	// answer decides the reply per workflow ID; nil starts every run.
	answer func(id string) (started bool, err error)

	mu   sync.Mutex
	reqs []*workflowservice.SignalWithStartWorkflowExecutionRequest
}

func (f *fakeService) SignalWithStartWorkflowExecution(_ context.Context, req *workflowservice.SignalWithStartWorkflowExecutionRequest, _ ...grpc.CallOption) (*workflowservice.SignalWithStartWorkflowExecutionResponse, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	started := true
	if f.answer != nil {
		var err error
		if started, err = f.answer(req.GetWorkflowId()); err != nil {
			return nil, err
		}
	}
	return &workflowservice.SignalWithStartWorkflowExecutionResponse{RunId: "run-" + req.GetWorkflowId(), Started: started}, nil
}

// byID returns the recorded requests keyed by workflow ID.
func (f *fakeService) byID(t *testing.T) map[string]*workflowservice.SignalWithStartWorkflowExecutionRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]*workflowservice.SignalWithStartWorkflowExecutionRequest{}
	for _, r := range f.reqs {
		if _, dup := out[r.GetWorkflowId()]; dup {
			t.Errorf("two calls for %s in one batch", r.GetWorkflowId())
		}
		out[r.GetWorkflowId()] = r
	}
	return out
}

func decodeSignal(t *testing.T, req *workflowservice.SignalWithStartWorkflowExecutionRequest) workflows.AlertSignal {
	t.Helper()
	var sig workflows.AlertSignal
	if err := converter.GetDefaultDataConverter().FromPayloads(req.GetSignalInput(), &sig); err != nil {
		t.Fatalf("decode signal of %s: %v", req.GetWorkflowId(), err)
	}
	return sig
}

func newSubmitter(svc *fakeService) *intake.Submitter {
	return &intake.Submitter{
		Service:     svc,
		Namespace:   "socflow-test",
		TaskQueue:   workflows.TaskQueue,
		Identity:    "intake-test",
		Concurrency: 4,
		Now:         func() time.Time { return time.Date(2026, 5, 14, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600)) },
	}
}

func parse(t *testing.T, body string) []intake.Item {
	t.Helper()
	items, err := intake.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func ndjson(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func wfID(t *testing.T, it intake.Item) string {
	t.Helper()
	if it.Alert == nil {
		t.Fatalf("item %d was rejected: %v", it.Index, it.Err)
	}
	return workflows.AlertWorkflowID(intake.Fingerprint(it.Alert, nil))
}

func TestSubmitMergesDuplicates(t *testing.T) {
	svc := &fakeService{}
	items := parse(t, ndjson(
		alertJSON("dc01", "r1"), // 0: A
		alertJSON("ws01", "r1"), // 1: B
		alertJSON("DC01", "r1"), // 2: A again (host case differs)
		`{"source": "x"}`,       // 3: rejected
		alertJSON("dc01", "r1"), // 4: A again
		alertJSON("ws02", "r2"), // 5: C
	))
	resp := newSubmitter(svc).SubmitItems(context.Background(), items)

	idA, idB, idC := wfID(t, items[0]), wfID(t, items[1]), wfID(t, items[5])
	if idA != wfID(t, items[2]) || idA == idB || idA == idC {
		t.Fatalf("fixture fingerprints are not what the test assumes: %s %s %s", idA, idB, idC)
	}

	type res struct {
		index int
		id    string
		dup   bool
	}
	var got []res
	for _, r := range resp.Results {
		got = append(got, res{r.Index, r.WorkflowID, r.Duplicate})
	}
	want := []res{{0, idA, false}, {1, idB, false}, {2, idA, true}, {4, idA, true}, {5, idC, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results = %+v\nwant      %+v", got, want)
	}
	if resp.Accepted != 5 || resp.Duplicates != 2 || len(resp.Failed) != 0 {
		t.Errorf("accepted %d duplicates %d failed %v, want 5, 2, none", resp.Accepted, resp.Duplicates, resp.Failed)
	}
	if len(resp.Rejected) != 1 || resp.Rejected[0].Index != 3 || resp.Rejected[0].Line != 4 ||
		!strings.Contains(resp.Rejected[0].Error, "rule: is required") {
		t.Errorf("rejected = %+v, want entry 3 on line 4 naming the missing rule", resp.Rejected)
	}

	calls := svc.byID(t)
	if len(calls) != 3 {
		t.Fatalf("%d calls, want one per fingerprint (3)", len(calls))
	}
	counts := map[string]int{idA: 3, idB: 1, idC: 1}
	for id, n := range counts {
		req := calls[id]
		if req == nil {
			t.Errorf("no call for %s", id)
			continue
		}
		sig := decodeSignal(t, req)
		if sig.Count != n {
			t.Errorf("%s: signal count %d, want %d", id, sig.Count, n)
		}
		if !sig.ReceivedAt.Equal(time.Date(2026, 5, 14, 8, 0, 0, 0, time.UTC)) || sig.ReceivedAt.Location() != time.UTC {
			t.Errorf("%s: received_at %v, want the batch time in UTC", id, sig.ReceivedAt)
		}
	}
	// The first occurrence of a group is the one carried.
	if sig := decodeSignal(t, calls[idA]); sig.Alert.Entities.Hosts[0].Name != "dc01" {
		t.Errorf("signal carries host %q, want the batch's first occurrence (dc01)", sig.Alert.Entities.Hosts[0].Name)
	}
}

func TestSubmitRequest(t *testing.T) {
	svc := &fakeService{}
	items := parse(t, alertJSON("dc01", "r1"))
	resp := newSubmitter(svc).SubmitItems(context.Background(), items)
	if resp.Accepted != 1 || resp.Duplicates != 0 {
		t.Fatalf("response = %+v", resp)
	}
	fp := intake.Fingerprint(items[0].Alert, nil)
	req := svc.byID(t)["alert/"+fp]
	if req == nil {
		t.Fatalf("no call for alert/%s: %+v", fp, svc.reqs)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"namespace", req.GetNamespace(), "socflow-test"},
		{"task queue", req.GetTaskQueue().GetName(), "socflow"},
		{"task queue kind", req.GetTaskQueue().GetKind(), enumspb.TASK_QUEUE_KIND_NORMAL},
		{"workflow type", req.GetWorkflowType().GetName(), "RespondToAlert"},
		{"signal", req.GetSignalName(), "alert"},
		{"conflict policy", req.GetWorkflowIdConflictPolicy(), enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING},
		{"identity", req.GetIdentity(), "intake-test"},
		{"result workflow ID", resp.Results[0].WorkflowID, "alert/" + fp},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if req.GetRequestId() == "" {
		t.Error("request ID is empty: the server could not deduplicate retries")
	}
	var in workflows.RespondToAlertInput
	if err := converter.GetDefaultDataConverter().FromPayloads(req.GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	if in.Fingerprint != fp {
		t.Errorf("input fingerprint = %q, want %q", in.Fingerprint, fp)
	}
	sig := decodeSignal(t, req)
	if sig.Count != 1 || sig.Alert.Rule != "r1" || sig.Alert.Raw == "" {
		t.Errorf("signal = %+v, want the whole alert once", sig)
	}
}

func TestSubmitUsesPolicyFingerprints(t *testing.T) {
	svc := &fakeService{}
	s := newSubmitter(svc)
	s.Fingerprints = func() []policy.FingerprintRule {
		return []policy.FingerprintRule{{Match: policy.Match{"source": "suricata"}, Fields: []string{"rule"}}}
	}
	resp := s.SubmitItems(context.Background(), parse(t, ndjson(alertJSON("dc01", "r1"), alertJSON("ws01", "r1"))))
	if len(svc.reqs) != 1 || resp.Duplicates != 1 {
		t.Errorf("%d calls, %d duplicates: a rule fingerprinting by rule only must merge both hosts", len(svc.reqs), resp.Duplicates)
	}
}

func TestSubmitRunAlreadyOpen(t *testing.T) {
	items := parse(t, ndjson(alertJSON("dc01", "r1"), alertJSON("ws01", "r1"), alertJSON("dc01", "r1")))
	open := wfID(t, items[0])
	svc := &fakeService{answer: func(id string) (bool, error) { return id != open, nil }}
	resp := newSubmitter(svc).SubmitItems(context.Background(), items)
	dups := map[int]bool{}
	for _, r := range resp.Results {
		dups[r.Index] = r.Duplicate
	}
	want := map[int]bool{0: true, 1: false, 2: true}
	if !reflect.DeepEqual(dups, want) {
		t.Errorf("duplicate flags = %v, want %v (a signal into an open run is a duplicate)", dups, want)
	}
	if resp.Accepted != 3 || resp.Duplicates != 2 {
		t.Errorf("accepted %d duplicates %d, want 3 and 2", resp.Accepted, resp.Duplicates)
	}
}

func TestSubmitFailure(t *testing.T) {
	items := parse(t, ndjson(
		alertJSON("dc01", "r1"),
		alertJSON("ws01", "r1"),
		"not json at all",
		alertJSON("dc01", "r1"),
	))
	down := wfID(t, items[0])
	svc := &fakeService{answer: func(id string) (bool, error) {
		if id == down {
			return false, serviceerror.NewUnavailable("frontend unreachable")
		}
		return true, nil
	}}
	resp := newSubmitter(svc).SubmitItems(context.Background(), items)

	var failed []int
	for _, f := range resp.Failed {
		failed = append(failed, f.Index)
		if !strings.Contains(f.Error, "frontend unreachable") || !strings.Contains(f.Error, down) {
			t.Errorf("failure %q does not say what failed and for which workflow", f.Error)
		}
	}
	if !reflect.DeepEqual(failed, []int{0, 3}) {
		t.Errorf("failed = %v, want [0 3]", failed)
	}
	if len(resp.Results) != 1 || resp.Results[0].Index != 1 || resp.Results[0].Duplicate {
		t.Errorf("results = %+v, want only entry 1, new", resp.Results)
	}
	if resp.Accepted != 1 || resp.Duplicates != 0 {
		t.Errorf("accepted %d duplicates %d, want 1 and 0: failed alerts are not accepted", resp.Accepted, resp.Duplicates)
	}
	if len(resp.Rejected) != 1 || resp.Rejected[0].Index != 2 || resp.Rejected[0].Line != 3 {
		t.Errorf("rejected = %+v, want entry 2 on line 3", resp.Rejected)
	}
}

func TestSubmitNothingValid(t *testing.T) {
	svc := &fakeService{}
	resp := newSubmitter(svc).SubmitItems(context.Background(), parse(t, `[{"source":"x"}, 1]`))
	if len(svc.reqs) != 0 {
		t.Errorf("%d calls for a batch without a valid alert", len(svc.reqs))
	}
	if resp.Accepted != 0 || len(resp.Rejected) != 2 || resp.Results == nil {
		t.Errorf("response = %+v, want two rejections and an empty (non-nil) results list", resp)
	}
	if resp.Rejected[0].Index != 0 || resp.Rejected[1].Index != 1 || resp.Rejected[0].Line != 0 {
		t.Errorf("rejected = %+v, want entries 0 and 1 without line numbers", resp.Rejected)
	}
}

func TestIngest(t *testing.T) {
	svc := &fakeService{}
	s := newSubmitter(svc)
	if _, err := s.Ingest(context.Background(), []byte("{"), "", intake.Origin{}); !errors.Is(err, intake.ErrMalformed) {
		t.Errorf("Ingest of a malformed body: %v, want ErrMalformed", err)
	}
	if len(svc.reqs) != 0 {
		t.Error("a malformed body reached Temporal")
	}
	resp, err := s.Ingest(context.Background(), []byte(alertJSON("dc01", "r1")), "", intake.Origin{})
	if err != nil || resp.Accepted != 1 || len(svc.reqs) != 1 {
		t.Errorf("Ingest = %+v, %v; want one alert accepted with one call", resp, err)
	}
}

// TestOriginIsTheCredentials: who submitted an alert, and whether it is
// trusted for automatic containment, come from the origin the API
// authenticated; a body claiming either is overwritten, and an alert of a
// source the origin may not submit is rejected on its own.
func TestOriginIsTheCredentials(t *testing.T) {
	forged := `{"source":"suricata","rule":"r1","title":"t","severity":"high","time":"2026-05-14T09:12:31Z",` +
		`"entities":{"hosts":[{"name":"dc01"}]},"submitted_by":"trusted-edr","auto_contain_trusted":true}`
	b, err := intake.ParseFormat([]byte(forged), nil, "")
	if err != nil || len(b.Items) != 1 || b.Items[0].Alert == nil {
		t.Fatalf("parse: %+v %v", b, err)
	}
	if a := b.Items[0].Alert; a.SubmittedBy != "" || a.AutoContainTrusted {
		t.Fatalf("the body's claims survived parsing: %q %v", a.SubmittedBy, a.AutoContainTrusted)
	}
	intake.Origin{Principal: "siem", AutoContain: false}.Stamp(b.Items)
	if a := b.Items[0].Alert; a.SubmittedBy != "siem" || a.AutoContainTrusted {
		t.Errorf("stamped %q %v, want siem, untrusted", a.SubmittedBy, a.AutoContainTrusted)
	}
	b, _ = intake.ParseFormat([]byte(forged+"\n"+strings.Replace(forged, "suricata", "crowdstrike", 1)), nil, "")
	intake.Origin{Principal: "cs", AutoContain: true, MaySubmit: func(s string) bool { return s == "crowdstrike" }}.Stamp(b.Items)
	if len(b.Items) != 2 || !errors.Is(b.Items[0].Err, intake.ErrForbiddenSource) || !strings.Contains(b.Items[0].Err.Error(), `"suricata"`) {
		t.Fatalf("the suricata alert from a crowdstrike-only origin: %+v", b.Items[0])
	}
	if a := b.Items[1].Alert; b.Items[1].Err != nil || a.SubmittedBy != "cs" || !a.AutoContainTrusted {
		t.Errorf("the crowdstrike alert: %+v %v", a, b.Items[1].Err)
	}
}

func TestSubmitManyGroupsConcurrently(t *testing.T) {
	var lines []string
	for i := range 50 {
		host := "ws" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		lines = append(lines, alertJSON(host, "r1"), alertJSON(host, "r1"))
	}
	svc := &fakeService{}
	s := newSubmitter(svc)
	s.Concurrency = 8
	resp := s.SubmitItems(context.Background(), parse(t, ndjson(lines...)))
	if len(svc.reqs) != 50 || resp.Accepted != 100 || resp.Duplicates != 50 {
		t.Errorf("%d calls, accepted %d, duplicates %d; want 50, 100, 50", len(svc.reqs), resp.Accepted, resp.Duplicates)
	}
	for i, r := range resp.Results {
		if r.Index != i || r.Duplicate != (i%2 == 1) {
			t.Fatalf("result %d = %+v: results must be in entry order, each second one a duplicate", i, r)
		}
	}
}
