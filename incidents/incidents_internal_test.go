package incidents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/workflows"
)

func TestListOptionsQuery(t *testing.T) {
	base := "WorkflowType = 'Incident'"
	tests := []struct {
		name string
		o    ListOptions
		want string
	}{
		{"everything", ListOptions{}, base},
		{"status", ListOptions{Status: "awaiting_decision"}, base + " AND SocflowStatus = 'awaiting_decision'"},
		{"priority is upper-cased", ListOptions{Priority: "p1"}, base + " AND SocflowPriority = 'P1'"},
		{"open only", ListOptions{OpenOnly: true}, base + " AND ExecutionStatus = 'Running'"},
		{"limit is not part of the query", ListOptions{Limit: 5}, base},
		{
			"all filters, in order",
			ListOptions{Status: "contained", Priority: "P2", OpenOnly: true},
			base + " AND SocflowStatus = 'contained' AND SocflowPriority = 'P2' AND ExecutionStatus = 'Running'",
		},
		{
			"a single quote cannot end the string",
			ListOptions{Status: "x' OR WorkflowType = 'RespondToAlert"},
			base + " AND SocflowStatus = 'x'' OR WorkflowType = ''RespondToAlert'",
		},
		{"quote in priority", ListOptions{Priority: "p1'"}, base + " AND SocflowPriority = 'P1'''"},
		{"a backslash cannot escape the closing quote", ListOptions{Status: `x\`}, base + ` AND SocflowStatus = 'x\\'`},
		{"tier", ListOptions{Tier: "IR"}, base + " AND SocflowTier = 'IR'"},
		{"entity is a host or a user, lower-cased", ListOptions{Entity: "DC01"}, base + " AND (SocflowHost = 'dc01' OR SocflowUser = 'dc01')"},
		{"quote in entity", ListOptions{Entity: "x' OR 'a'='a"}, base + " AND (SocflowHost = 'x'' or ''a''=''a' OR SocflowUser = 'x'' or ''a''=''a')"},
		{"rule", ListOptions{Rule: "ET SCAN 'smb'"}, base + " AND SocflowRule = 'ET SCAN ''smb'''"},
		{"backslash in rule", ListOptions{Rule: `a\`}, base + ` AND SocflowRule = 'a\\'`},
		{
			"time range on the start time, in UTC",
			ListOptions{Since: time.Date(2026, 5, 14, 11, 0, 0, 0, time.FixedZone("CEST", 2*3600)), Until: time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC)},
			base + " AND StartTime >= '2026-05-14T09:00:00Z' AND StartTime < '2026-05-15T00:00:00Z'",
		},
		{"drills only", ListOptions{Drill: DrillOnly}, base + " AND SocflowDrill = true"},
		{"real only, incidents without the attribute included", ListOptions{Drill: DrillReal}, base + " AND (SocflowDrill = false OR SocflowDrill IS NULL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.Query(); got != tt.want {
				t.Errorf("Query() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestListOptionsValidate(t *testing.T) {
	for _, o := range []ListOptions{{}, {Status: "awaiting_decision"}, {Priority: "p1"}, {Status: "closed", Priority: "P4", OpenOnly: true}} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []ListOptions{{Status: `\`}, {Status: "broken"}, {Priority: "P9"}, {Priority: "p1'"}, {Status: "Closed"}} {
		if err := o.Validate(); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: %v, want ErrBadRequest", o, err)
		}
	}
	t0 := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	for _, o := range []ListOptions{
		{Tier: "IR", Entity: "bob@example.com", Rule: "ET SCAN 'smb'", Since: t0, Until: t0.Add(time.Hour), Drill: DrillReal},
		{Drill: DrillOnly}, {Since: t0},
	} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// Each refusal names the field, so that a form can say what to fix.
	for _, tt := range []struct {
		o    ListOptions
		want string
	}{
		{ListOptions{Tier: "T1\x00"}, "tier"},
		{ListOptions{Entity: strings.Repeat("a", 257)}, "entity is 257 bytes"},
		{ListOptions{Rule: "\xff"}, "rule"},
		{ListOptions{Entity: " dc01"}, "spaces"},
		{ListOptions{Since: t0, Until: t0}, "until"},
		{ListOptions{Since: t0, Until: t0.Add(-time.Hour)}, "must be after since"},
		{ListOptions{Drill: "yes"}, "drill must be"},
	} {
		err := tt.o.Validate()
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want ErrBadRequest naming %q", tt.o, err, tt.want)
		}
	}
}

// TestByUrgency: P1 before P4 before an unknown priority; the oldest
// first within a priority.
func TestByUrgency(t *testing.T) {
	t0 := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	list := []Summary{
		{ID: "p3-new", Priority: "P3", StartedAt: t0.Add(time.Hour)},
		{ID: "none", StartedAt: t0.Add(-time.Hour)},
		{ID: "p1-new", Priority: "P1", StartedAt: t0.Add(2 * time.Hour)},
		{ID: "p3-old", Priority: "P3", StartedAt: t0},
		{ID: "p1-old", Priority: "P1", StartedAt: t0},
		{ID: "p2", Priority: "P2", StartedAt: t0.Add(3 * time.Hour)},
	}
	slices.SortFunc(list, ByUrgency)
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	if got, want := strings.Join(ids, " "), "p1-old p1-new p2 p3-old p3-new none"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"host:dc01", "user:bob.smith@example.com", "host:wörkstation-7"} {
		if err := CheckKey(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "host:\x00", "host:\xff", "host:\x1b[31m", "host:a\nb", strings.Repeat("k", MaxKeyBytes+1)} {
		if err := CheckKey(k); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: %v, want ErrBadRequest", k, err)
		}
	}
}

func TestClassify(t *testing.T) {
	appErr := temporal.NewApplicationError("bob may not decide at tier IR", "NotApprover")
	tests := []struct {
		name        string
		err         error
		notFound    bool
		rejected    string
		unavailable bool
	}{
		{name: "workflow not found", err: serviceerror.NewNotFound("workflow not found for ID: incident/host:x"), notFound: true},
		{name: "wrapped not found", err: fmt.Errorf("query: %w", serviceerror.NewNotFound("gone")), notFound: true},
		{name: "refused update", err: appErr, rejected: "bob may not decide at tier IR"},
		{name: "wrapped refused update", err: fmt.Errorf("update: %w", appErr), rejected: "bob may not decide"},
		{name: "unavailable stays unavailable", err: serviceerror.NewUnavailable("connection refused"), unavailable: true},
		{name: "other", err: errors.New("boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify("decide incident/host:x", tt.err)
			if got == nil {
				t.Fatal("classify returned nil")
			}
			if errors.Is(got, ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", got, !tt.notFound, tt.notFound)
			}
			var rej *RejectedError
			if errors.As(got, &rej) != (tt.rejected != "") {
				t.Errorf("%v: RejectedError = %v, want %v", got, rej != nil, tt.rejected != "")
			} else if rej != nil && !strings.Contains(rej.Reason, tt.rejected) {
				t.Errorf("reason %q does not carry %q", rej.Reason, tt.rejected)
			}
			var su *serviceerror.Unavailable
			if errors.As(got, &su) != tt.unavailable {
				t.Errorf("%v: Unavailable kept = %v, want %v", got, su != nil, tt.unavailable)
			}
			if tt.rejected == "" && !strings.Contains(got.Error(), "incident/host:x") {
				t.Errorf("error %q does not name the incident", got)
			}
		})
	}
}

// fakeClient is the Temporal client as this package uses it; only the
// methods the Service calls are implemented.
type fakeClient struct {
	client.Client

	queryErr  error
	queryVal  any
	byQuery   map[string]any // answers by query name, before queryVal
	updateErr error
	getErr    error
	pages     []*workflowservice.ListWorkflowExecutionsResponse

	queries  []string // "<workflow ID> <query>"
	updates  []client.UpdateWorkflowOptions
	attempts []workflows.AttemptSignal
	lists    []*workflowservice.ListWorkflowExecutionsRequest
}

func (f *fakeClient) QueryWorkflow(_ context.Context, id, runID, name string, _ ...any) (converter.EncodedValue, error) {
	f.queries = append(f.queries, id+" "+name)
	if f.queryErr != nil {
		return nil, f.queryErr
	}
	if v, ok := f.byQuery[name]; ok {
		return jsonValue{v}, nil
	}
	return jsonValue{f.queryVal}, nil
}

func (f *fakeClient) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updates = append(f.updates, o)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return &fakeHandle{id: o.WorkflowID, err: f.getErr, val: workflows.DecideResult{Status: workflows.StatusContaining, Tier: "IR"}}, nil
}

func (f *fakeClient) SignalWorkflow(_ context.Context, id, _ string, name string, arg any) error {
	if name != workflows.SignalAttempt {
		return fmt.Errorf("unexpected signal %s to %s", name, id)
	}
	f.attempts = append(f.attempts, arg.(workflows.AttemptSignal))
	return nil
}

func (f *fakeClient) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.lists = append(f.lists, req)
	i := len(f.lists) - 1
	if i >= len(f.pages) {
		return nil, errors.New("unexpected page request")
	}
	return f.pages[i], nil
}

type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return j.v != nil }
func (j jsonValue) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

type fakeHandle struct {
	id  string
	err error
	val any
}

func (h *fakeHandle) WorkflowID() string { return h.id }
func (h *fakeHandle) RunID() string      { return "run" }
func (h *fakeHandle) UpdateID() string   { return "upd" }
func (h *fakeHandle) Get(_ context.Context, ptr any) error {
	if h.err != nil {
		return h.err
	}
	return jsonValue{h.val}.Get(ptr)
}

func TestGetAndTimeline(t *testing.T) {
	fc := &fakeClient{queryVal: workflows.IncidentState{ID: "incident/host:dc01", Key: "host:dc01", Status: workflows.StatusAwaiting}}
	svc := &Service{Client: fc, Namespace: "default"}
	for _, key := range []string{"host:dc01", "incident/host:dc01", "  host:dc01 "} {
		st, err := svc.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if st.Key != "host:dc01" || st.Status != workflows.StatusAwaiting {
			t.Errorf("Get(%q) = %+v", key, st)
		}
	}
	for _, q := range fc.queries {
		if q != "incident/host:dc01 status" {
			t.Errorf("query %q, want the status query of incident/host:dc01", q)
		}
	}

	fc = &fakeClient{queryVal: workflows.TimelineResult{Events: []alert.TimelineEvent{{Stage: "route", Message: "opened"}}}}
	svc = &Service{Client: fc}
	tl, err := svc.Timeline(context.Background(), "host:dc01", Page{})
	if err != nil || len(tl.Events) != 1 || tl.Events[0].Message != "opened" || tl.Source != SourceWorkflow {
		t.Errorf("Timeline = %+v, %v", tl, err)
	}
	if fc.queries[0] != "incident/host:dc01 timeline" {
		t.Errorf("query %q, want the timeline query", fc.queries[0])
	}

	fc = &fakeClient{queryErr: serviceerror.NewNotFound("workflow not found")}
	svc = &Service{Client: fc}
	if _, err := svc.Get(context.Background(), "host:nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing incident: %v, want ErrNotFound", err)
	}
	if _, err := svc.Timeline(context.Background(), "host:nope", Page{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Timeline of a missing incident: %v, want ErrNotFound", err)
	}
}

func TestDecide(t *testing.T) {
	in := workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}
	refused := temporal.NewApplicationError("alice escalated this incident and may not approve isolate_host alone", "SelfApproval")
	tests := []struct {
		name      string
		updateErr error
		getErr    error
		notFound  bool
		rejected  string
		wantOK    bool
	}{
		{name: "accepted", wantOK: true},
		{name: "no such incident", updateErr: serviceerror.NewNotFound("workflow not found"), notFound: true},
		{name: "refused by the validator", getErr: refused, rejected: "may not approve isolate_host alone"},
		{name: "refused when sending", updateErr: refused, rejected: "may not approve"},
		{name: "Temporal down", updateErr: serviceerror.NewUnavailable("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeClient{updateErr: tt.updateErr, getErr: tt.getErr}
			svc := &Service{Client: fc}
			res, err := svc.Decide(context.Background(), "incident/host:dc01", in)
			if len(fc.updates) != 1 {
				t.Fatalf("%d updates sent, want 1", len(fc.updates))
			}
			o := fc.updates[0]
			if o.WorkflowID != "incident/host:dc01" || o.UpdateName != "decide" || o.WaitForStage != client.WorkflowUpdateStageCompleted {
				t.Errorf("update options = %+v", o)
			}
			if len(o.Args) != 1 || !reflect.DeepEqual(o.Args[0], in) {
				t.Errorf("update args = %v, want the decision", o.Args)
			}
			if tt.wantOK {
				if err != nil || res.Status != workflows.StatusContaining || res.Tier != "IR" {
					t.Errorf("Decide = %+v, %v", res, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decide = %+v, want an error", res)
			}
			// A refusal is recorded in the incident's timeline; other
			// failures are not refusals.
			if refusedNow := tt.rejected != ""; refusedNow != (len(fc.attempts) == 1) {
				t.Errorf("attempt signals = %+v after %v", fc.attempts, err)
			} else if refusedNow && (fc.attempts[0].By != in.By || !strings.Contains(fc.attempts[0].Reason, "may not approve")) {
				t.Errorf("attempt = %+v", fc.attempts[0])
			}
			if errors.Is(err, ErrNotFound) != tt.notFound {
				t.Errorf("%v: not found = %v, want %v", err, !tt.notFound, tt.notFound)
			}
			var rej *RejectedError
			if errors.As(err, &rej) != (tt.rejected != "") {
				t.Errorf("%v: rejected = %v, want %v", err, rej != nil, tt.rejected != "")
			} else if rej != nil && !strings.Contains(rej.Error(), tt.rejected) {
				t.Errorf("%q does not carry the validator's reason %q", rej.Error(), tt.rejected)
			}
		})
	}
}

func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func execution(t *testing.T, id string, started time.Time, status enumspb.WorkflowExecutionStatus, sa map[string]any, memo map[string]any) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	e := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id},
		StartTime: timestamppb.New(started),
		Status:    status,
	}
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		e.CloseTime = timestamppb.New(started.Add(time.Hour))
	}
	if sa != nil {
		e.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
		for k, v := range sa {
			e.SearchAttributes.IndexedFields[k] = payload(t, v)
		}
	}
	if memo != nil {
		e.Memo = &commonpb.Memo{Fields: map[string]*commonpb.Payload{}}
		for k, v := range memo {
			e.Memo.Fields[k] = payload(t, v)
		}
	}
	return e
}

func TestList(t *testing.T) {
	t0 := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	running := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	fc := &fakeClient{pages: []*workflowservice.ListWorkflowExecutionsResponse{
		{
			Executions: []*workflowpb.WorkflowExecutionInfo{
				execution(t, "incident/host:old", t0, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
					map[string]any{"SocflowStatus": "contained", "SocflowPriority": "P2"},
					map[string]any{"sla": workflows.SLAMemo{Milestones: alert.Milestones{AcknowledgeDue: t0.Add(30 * time.Minute), Acknowledged: t0.Add(40 * time.Minute), ContainDue: t0.Add(4 * time.Hour), Contained: t0.Add(time.Hour)}}}),
				execution(t, "incident/host:dc01", t0.Add(2*time.Hour), running,
					map[string]any{"SocflowStatus": "awaiting_decision", "SocflowPriority": "P1", "SocflowScore": 100,
						"SocflowTier": "IR", "SocflowHost": "dc01", "SocflowPlaybook": "network-anomaly", "SocflowDrill": true},
					map[string]any{"title": "Inbound SMB to dc01", "alerts": 3,
						"sla": workflows.SLAMemo{Milestones: alert.Milestones{AcknowledgeDue: t0.Add(2*time.Hour + 15*time.Minute), ContainDue: t0.Add(3 * time.Hour)}, DueSoon: 5 * time.Minute}}),
			},
			NextPageToken: []byte("page2"),
		},
		{
			Executions: []*workflowpb.WorkflowExecutionInfo{
				execution(t, "incident/user:bob", t0.Add(time.Hour), enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
					map[string]any{"SocflowStatus": "awaiting_decision"}, nil),
				execution(t, "incident/user:older", t0.Add(-time.Hour), enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, nil, nil),
			},
		},
	}}
	// dc01's acknowledgement is due in 3 minutes: due soon.
	svc := &Service{Client: fc, Namespace: "prod", Now: func() time.Time { return t0.Add(2*time.Hour + 12*time.Minute) }}
	list, err := svc.List(context.Background(), ListOptions{Priority: "p1", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	// Three (the limit), newest first; the fourth is not returned.
	if want := "incident/host:dc01 incident/user:bob incident/host:old"; strings.Join(ids, " ") != want {
		t.Errorf("ids = %v, want %s", ids, want)
	}
	if len(fc.lists) != 2 {
		t.Fatalf("%d list calls, want 2 pages", len(fc.lists))
	}
	first := fc.lists[0]
	if first.GetNamespace() != "prod" || first.GetQuery() != (ListOptions{Priority: "p1"}).Query() || first.GetPageSize() != 3 {
		t.Errorf("request = %v", first)
	}
	if string(fc.lists[1].GetNextPageToken()) != "page2" {
		t.Errorf("second request token %q, want page2", fc.lists[1].GetNextPageToken())
	}

	dc := list[0]
	if !dc.Running || dc.Status != "awaiting_decision" || dc.Priority != "P1" || dc.Score != 100 || dc.Tier != "IR" ||
		dc.Host != "dc01" || dc.Playbook != "network-anomaly" || dc.Title != "Inbound SMB to dc01" || dc.Alerts != 3 ||
		!dc.ClosedAt.IsZero() || !dc.StartedAt.Equal(t0.Add(2*time.Hour)) || !dc.Drill || dc.SLA != SLADueSoon {
		t.Errorf("running summary = %+v", dc)
	}
	if bob := list[1]; bob.Running || bob.Status != "terminated" {
		t.Errorf("a terminated incident reports %q, want terminated", bob.Status)
	}
	if list[1].Drill {
		t.Errorf("an incident without SocflowDrill reads as a drill")
	}
	if old := list[2]; old.Running || old.Status != "contained" || old.ClosedAt.IsZero() {
		t.Errorf("a completed incident keeps its socflow status: %+v", old)
	}
	if old := list[2]; old.SLA != SLABreached {
		t.Errorf("an incident acknowledged 10m late lists SLA %q, want breached", old.SLA)
	}
	if bob := list[1]; bob.SLA != "" {
		t.Errorf("an incident without the SLA memo lists SLA %q, want none", bob.SLA)
	}
}

func TestListError(t *testing.T) {
	svc := &Service{Client: &fakeClient{}}
	if _, err := svc.List(context.Background(), ListOptions{}); err == nil || !strings.Contains(err.Error(), "incidents: list") {
		t.Errorf("List error = %v, want it prefixed", err)
	}
}
