package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// fakes records what the workflows asked the outside world to do.
type fakes struct {
	mu       sync.Mutex
	notes    []activities.NotifyInput
	edrCalls []string
	idpCalls []string
	audits   []json.RawMessage
	// failBlock makes BlockIP fail with the given HTTP status.
	failBlock int
	// targets are the fake vendors' states; pendingReads is how many
	// reads a host request stays pending, neverConfirm keeps it pending,
	// vendorFails fails it with that reason, failRelease makes releases
	// fail (403).
	targets      map[string]*target
	pendingReads int
	neverConfirm bool
	vendorFails  string
	failRelease  bool
	// edrIDs are the device IDs isolations named.
	edrIDs   []string
	intelErr error
	// onNotify, when set, runs inside the Notify activity (outside the
	// workflow), for tests that act while a message is being sent.
	onNotify func(activities.NotifyKind)
}

func (f *fakes) Notify(_ context.Context, kind activities.NotifyKind, card activities.IncidentCard, ref string) (string, error) {
	f.mu.Lock()
	f.notes = append(f.notes, activities.NotifyInput{Kind: kind, Card: card, Ref: ref})
	hook := f.onNotify
	f.mu.Unlock()
	if hook != nil {
		hook(kind)
	}
	return "msg-" + card.IncidentID, nil
}

func (f *fakes) record(list *[]string, s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*list = append(*list, s)
}

// target is a fake vendor's view of one target: its phase, and how many
// more reads a request in flight stays pending.
type target struct {
	phase activities.Phase
	reads int
}

// state reads a target as the vendor reports it: a request in flight is
// pending for f.pendingReads reads (forever with f.neverConfirm), then
// done, or failed with f.vendorFails.
func (f *fakes) state(key string) activities.TargetState {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.targets[key]
	if t == nil {
		return activities.TargetState{Phase: activities.PhaseOff, Vendor: "normal"}
	}
	switch t.phase {
	case activities.PhaseTurningOn, activities.PhaseTurningOff:
		if f.vendorFails != "" {
			t.phase = activities.PhaseOff
			return activities.TargetState{Phase: activities.PhaseOff, Vendor: "Failed", Failed: f.vendorFails}
		}
		if f.neverConfirm {
			break
		}
		if t.reads--; t.reads < 0 {
			t.phase = map[activities.Phase]activities.Phase{activities.PhaseTurningOn: activities.PhaseOn, activities.PhaseTurningOff: activities.PhaseOff}[t.phase]
		}
	}
	return activities.TargetState{Phase: t.phase, Vendor: string(t.phase)}
}

// set starts a request that moves the target on or off.
func (f *fakes) set(key string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.targets == nil {
		f.targets = map[string]*target{}
	}
	ph, final := activities.PhaseTurningOff, activities.PhaseOff
	if on {
		ph, final = activities.PhaseTurningOn, activities.PhaseOn
	}
	if f.pendingReads == 0 && !f.neverConfirm && f.vendorFails == "" || !strings.HasPrefix(key, "host:") {
		ph = final
	}
	f.targets[key] = &target{phase: ph, reads: f.pendingReads}
}

// already makes a target contained before socflow acts.
func (f *fakes) already(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.targets == nil {
		f.targets = map[string]*target{}
	}
	f.targets[key] = &target{phase: activities.PhaseOn}
}

func (f *fakes) HostState(_ context.Context, h alert.Host, _ string) (activities.TargetState, error) {
	return f.state("host:" + h.Name), nil
}

func (f *fakes) IsolateHost(_ context.Context, h alert.Host, _ string) (string, error) {
	f.record(&f.edrCalls, "isolate "+h.Name)
	if h.ID != "" {
		f.record(&f.edrIDs, h.ID)
	}
	f.set("host:"+h.Name, true)
	return "act-" + h.Name, nil
}

func (f *fakes) ReleaseHost(_ context.Context, h alert.Host, _ string) (string, error) {
	f.record(&f.edrCalls, "release "+h.Name)
	if f.failRelease {
		return "", &httpx.StatusError{Method: "POST", URL: "/api/machines/unisolate", Code: 403}
	}
	f.set("host:"+h.Name, false)
	return "rel-" + h.Name, nil
}

func (f *fakes) BlockState(_ context.Context, ip string) (activities.TargetState, error) {
	return f.state("ip:" + ip), nil
}

func (f *fakes) BlockIP(_ context.Context, ip, _ string) (string, error) {
	if f.failBlock != 0 {
		f.record(&f.edrCalls, "block-failed "+ip)
		return "", &httpx.StatusError{Method: "POST", URL: "/api/indicators", Code: f.failBlock}
	}
	f.record(&f.edrCalls, "block "+ip)
	f.set("ip:"+ip, true)
	return "ind-" + ip, nil
}

func (f *fakes) UnblockIP(_ context.Context, ip, ref string) error {
	f.record(&f.edrCalls, "unblock "+ip+" "+ref)
	f.set("ip:"+ip, false)
	return nil
}

func (f *fakes) AccountState(_ context.Context, user string) (activities.TargetState, error) {
	return f.state("user:" + user), nil
}

func (f *fakes) DisableUser(_ context.Context, user string) error {
	f.record(&f.idpCalls, "disable "+user)
	f.set("user:"+user, true)
	return nil
}

func (f *fakes) EnableUser(_ context.Context, user string) error {
	f.record(&f.idpCalls, "enable "+user)
	f.set("user:"+user, false)
	return nil
}

func (f *fakes) Append(_ context.Context, rec json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audits = append(f.audits, rec)
	return nil
}

func (f *fakes) Lookup(ind string) []alert.IntelHit {
	if ind == "203.0.113.7" {
		return []alert.IntelHit{{Indicator: ind, Type: "ipv4", Source: "watchlist.csv", Confidence: 80}}
	}
	return nil
}

func (f *fakes) Find(hosts, _ []string) *alert.Asset {
	for _, h := range hosts {
		switch strings.ToLower(h) {
		case "dc01":
			return &alert.Asset{Name: "dc01", Tier: 1, Role: "domain-controller", MatchedBy: "hostname"}
		case "prn-01":
			return &alert.Asset{Name: "prn-01", Tier: 4, Role: "printer", MatchedBy: "hostname"}
		}
	}
	return nil
}

func (f *fakes) kinds() []activities.NotifyKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []activities.NotifyKind
	for _, n := range f.notes {
		out = append(out, n.Kind)
	}
	return out
}

// firstVersions keeps version 1 of each playbook: the engine's tests were
// written against the shipped playbooks' first versions, which incidents
// begun before version 2 still run; playbooks_test covers the latest.
func firstVersions(r *playbooks.Registry) *playbooks.Registry {
	out := playbooks.NewRegistry()
	for _, p := range r.List() {
		if v1, ok := r.GetVersion(p.Name, 1); ok {
			out.Add(v1)
		}
	}
	return out
}

// registryOverride gives a test its own playbooks (by test name), for the
// harnesses it makes after setting it.
var registryOverride = map[string]*playbooks.Registry{}

// planOverride gives a test its own enrichment plan (by test name).
var planOverride = map[string]activities.EnrichmentPlan{
	"TestEnrichmentSourcesRunInParallelAndFailAlone": {Intel: true, Assets: true, Users: true, Related: true, Hosts: true,
		Online: []string{"virustotal"}, Timeout: 2 * time.Second, Window: 30 * time.Minute},
}

// Assess fails: the login history is down.
func (f *fakes) Assess(context.Context, string, string, time.Time) (alert.UserContext, error) {
	return alert.UserContext{}, &httpx.StatusError{Method: "GET", URL: "/logins", Code: 503}
}

func (f *fakes) Record(context.Context, string, string, time.Time, bool, string) error { return nil }

func (f *fakes) Related(_ context.Context, q activities.RelatedQuery) ([]alert.RelatedEvent, error) {
	return []alert.RelatedEvent{{Time: q.Before.Add(-3 * time.Minute), Kind: "process_start", Summary: "process_start powershell.exe -enc on " + q.Hosts[0]}}, nil
}

func (f *fakes) HostDetails(ctx context.Context, host string) (*alert.HostDetails, error) {
	// Slower than the source's timeout: a gap, not a stuck alert.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Hour):
		return &alert.HostDetails{Name: host}, nil
	}
}

// onlineFake answers as VirusTotal would: one address is known bad.
type onlineFake struct{}

func (onlineFake) Lookup(_ context.Context, ind string) ([]alert.IntelHit, error) {
	if ind == "198.51.100.9" {
		return []alert.IntelHit{{Indicator: ind, Type: "ipv4", Source: "virustotal", Confidence: 64}}, nil
	}
	return nil, nil
}

type intelFailer struct{ *fakes }

func (i intelFailer) Lookup(string) []alert.IntelHit { panic("intel source crashed") }

func testPolicy(t *testing.T, mutate func(*policy.Policy)) *policy.Policy {
	t.Helper()
	p := config.Default().Policy
	if mutate != nil {
		mutate(&p)
	}
	return &p
}

type harness struct {
	testsuite.WorkflowTestSuite
	env   *testsuite.TestWorkflowEnvironment
	f     *fakes
	cases *memCases
	// pol is the policy in force; a test may swap it, as a reload does.
	pol  atomic.Pointer[policy.Policy]
	plan activities.EnrichmentPlan
}

// memCases is an in-memory case file that applies each batch once, as the
// real store does.
type memCases struct {
	mu       sync.Mutex
	batches  map[string]bool
	records  []activities.CaseRecord
	timeline map[int]alert.TimelineEvent
	ids      map[string][]string
	alerts   map[string]activities.CaseAlert
	// cases are the cases written, in the order they opened.
	cases []memCase
}

// memCase is one case's link fields.
type memCase struct {
	incident string
	link     activities.CaseLink
}

func (m *memCases) PreviousCase(_ context.Context, incidentID, caseID string) (*activities.CaseLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var prev *activities.CaseLink
	for _, c := range m.cases {
		if c.incident != incidentID {
			continue
		}
		if c.link.CaseID == caseID {
			return prev, nil
		}
		l := c.link
		prev = &l
	}
	return nil, fmt.Errorf("no case %s of %s", caseID, incidentID)
}

func (m *memCases) AppendCase(_ context.Context, rec activities.CaseRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.batches == nil {
		m.batches, m.timeline, m.ids, m.alerts = map[string]bool{}, map[int]alert.TimelineEvent{}, map[string][]string{}, map[string]activities.CaseAlert{}
	}
	if m.batches[rec.Batch] {
		return nil
	}
	m.batches[rec.Batch] = true
	m.records = append(m.records, rec)
	i := slices.IndexFunc(m.cases, func(c memCase) bool { return c.link.CaseID == rec.CaseID })
	if i < 0 {
		i = len(m.cases)
		m.cases = append(m.cases, memCase{incident: rec.IncidentID, link: activities.CaseLink{CaseID: rec.CaseID, OpenedAt: rec.OpenedAt}})
	}
	if rec.Status != "" {
		m.cases[i].link.Status, m.cases[i].link.ClosedAt = rec.Status, rec.ClosedAt
	}
	for i, e := range rec.Timeline {
		m.timeline[rec.TimelineStart+i] = e
	}
	for _, o := range rec.Occurrences {
		m.ids[o.WorkflowID] = append(m.ids[o.WorkflowID], o.IDs...)
	}
	for _, a := range rec.Alerts {
		if prev, ok := m.alerts[a.WorkflowID]; ok && a.Title == "" {
			a.Title, a.Rule = prev.Title, prev.Rule
		}
		m.alerts[a.WorkflowID] = a
	}
	return nil
}

func newHarness(t *testing.T, pol *policy.Policy, intel activities.IntelIndex) *harness {
	t.Helper()
	return newHarnessWith(t, pol, intel, nil)
}

func newHarnessWith(t *testing.T, pol *policy.Policy, intel activities.IntelIndex, tracker activities.Tracker) *harness {
	t.Helper()
	return newHarnessFull(t, pol, intel, tracker, activities.Limits{}, nil)
}

// newHarnessFull also sets the rollover limits and the case file (nil: a
// fresh in-memory one).
func newHarnessFull(t *testing.T, pol *policy.Policy, intel activities.IntelIndex, tracker activities.Tracker, limits activities.Limits, cases *memCases) *harness {
	t.Helper()
	if cases == nil {
		cases = &memCases{}
	}
	h := &harness{f: &fakes{}, cases: cases, plan: activities.EnrichmentPlan{Intel: true, Assets: true}}
	if p, ok := planOverride[t.Name()]; ok {
		h.plan = p
	}
	h.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h.env = h.NewTestWorkflowEnvironment()
	h.env.SetTestTimeout(30 * time.Second)
	if intel == nil {
		intel = h.f
	}
	reg := firstVersions(playbooks.Builtin())
	if r, ok := registryOverride[t.Name()]; ok {
		reg = r
	}
	workflows.New(reg).Register(h.env)
	h.pol.Store(pol)
	containment := activities.ContainmentPlan{Actions: alert.ActionKinds()}
	if c, ok := containmentOverride[t.Name()]; ok {
		containment = c
	}
	h.env.RegisterActivity(&activities.Policy{Current: h.pol.Load, Enrichment: h.plan, Limits: limits, Containment: containment})
	h.env.RegisterActivity(&activities.Correlations{Current: h.pol.Load, Limits: limits})
	h.env.RegisterActivity(&activities.Enrich{Intel: intel, Assets: h.f, Users: h.f, Events: h.f, Hosts: h.f,
		Online: map[string]activities.OnlineIntel{"virustotal": onlineFake{}}})
	h.env.RegisterActivity(&activities.Notify{Notifier: h.f})
	h.env.RegisterActivity(&activities.Contain{Isolator: h.f, Blocker: h.f, Accounts: h.f, Sessions: h.f, Hashes: h.f, Domains: h.f})
	h.env.RegisterActivity(&activities.Record{Sink: h.f})
	h.env.RegisterActivity(&activities.Handoff{})
	h.env.RegisterActivity(&activities.CaseFile{Store: h.cases})
	h.env.RegisterActivity(&activities.Ticket{Tracker: tracker, Format: func(k activities.NotifyKind, c activities.IncidentCard) string {
		return string(k) + " " + c.Status
	}})
	return h
}

var _ worker.WorkflowRegistry = (*testsuite.TestWorkflowEnvironment)(nil)

func networkAlert(host, src string) alert.Alert {
	return alert.Alert{
		ID: "a-1", Source: "suricata", Rule: "ET POLICY anomaly", Title: "Anomalous outbound traffic",
		Category: "network", Severity: alert.SeverityMedium,
		Time: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: host}},
			IPs:   []alert.IP{{Addr: src, Direction: alert.DirectionSource}, {Addr: "10.0.0.10", Direction: alert.DirectionDestination}},
		},
	}
}

// handoffs captures the Handoff activity's calls instead of reaching a
// Temporal server.
func (h *harness) captureHandoffs() *[]workflows.IncidentAlertSignal {
	var got []workflows.IncidentAlertSignal
	var mu sync.Mutex
	var hand *activities.Handoff
	h.env.OnActivity(hand.SignalWithStart, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SignalWithStartInput) (activities.SignalWithStartResult, error) {
			var s workflows.IncidentAlertSignal
			if err := json.Unmarshal(in.SignalArg, &s); err != nil {
				return activities.SignalWithStartResult{}, err
			}
			if in.WorkflowID != workflows.IncidentWorkflowID(s.Route.Key) || in.WorkflowType != workflows.IncidentType {
				return activities.SignalWithStartResult{}, fmt.Errorf("handoff to %s (%s), want the routed incident", in.WorkflowID, in.WorkflowType)
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
			return activities.SignalWithStartResult{RunID: "run"}, nil
		})
	return &got
}

func TestRespondToAlertEnrichesScoresAndHandsOff(t *testing.T) {
	h := newHarness(t, testPolicy(t, nil), nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	at := time.Date(2026, 11, 29, 10, 0, 1, 0, time.UTC)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: at})
	}, 0)
	// Two duplicate batches arrive later: counted and forwarded, not rerun.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 3, ReceivedAt: at.Add(time.Minute)})
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: at.Add(10 * time.Minute)})
	}, 10*time.Minute)

	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp1"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Disposition != workflows.DispositionHandedOff || res.Occurrences != 5 || res.IncidentID != "incident/host:dc01" {
		t.Fatalf("result = %+v, want handed off, 5 occurrences, incident/host:dc01", res)
	}
	if len(*got) != 3 {
		t.Fatalf("handoffs = %d, want 3 (first, then one per duplicate batch)", len(*got))
	}
	first := (*got)[0]
	if first.Score.Priority != alert.P1 || first.Context.Asset == nil || first.Context.Asset.Tier != 1 || len(first.Context.IntelHits) != 1 {
		t.Errorf("first handoff score %+v context %+v: want P1 with dc01 tier 1 and one intel hit", first.Score, first.Context)
	}
	var total int
	for i, s := range *got {
		if s.Seq != i+1 {
			t.Errorf("handoff %d has seq %d", i, s.Seq)
		}
		total += s.Count
	}
	if total != 5 {
		t.Errorf("forwarded %d occurrences, want 5", total)
	}
}

func TestRespondToAlertSuppressedIsRecordedNotDropped(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Triage.Suppressions = []policy.Suppression{{
			Name: "scanner", Match: policy.Match{"src_ip": "203.0.113.*"}, Reason: "authorised scanner",
			Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		}}
	})
	h := newHarness(t, pol, nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 2, ReceivedAt: a.Time})
	}, 0)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp2"})
	var res workflows.RespondToAlertResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Disposition != workflows.DispositionSuppressed || !strings.Contains(res.Suppression, "scanner") || res.Occurrences != 2 {
		t.Fatalf("result = %+v, want suppressed by scanner with 2 occurrences", res)
	}
	if len(*got) != 0 {
		t.Fatalf("a suppressed alert was handed off %d times", len(*got))
	}
}

func TestRespondToAlertFailedSourceBecomesGap(t *testing.T) {
	h := newHarness(t, testPolicy(t, nil), intelFailer{})
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time})
	}, 0)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp3"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 {
		t.Fatalf("handoffs = %d, want 1", len(*got))
	}
	gaps := (*got)[0].Context.Gaps
	if len(gaps) != 1 || gaps[0].Source != "intel" {
		t.Fatalf("gaps = %+v, want one intel gap", gaps)
	}
	if (*got)[0].Context.Asset == nil {
		t.Error("the asset lookup should still have answered")
	}
}

// incidentSignal builds what RespondToAlert would hand off.
func incidentSignal(t *testing.T, pol *policy.Policy, a alert.Alert, ctx alert.ContextPacket, source string, seq, count int) workflows.IncidentAlertSignal {
	t.Helper()
	return workflows.IncidentAlertSignal{
		Source: source, Seq: seq, Count: count, Alert: &a, Context: &ctx, First: seq == 1, Total: count,
		Score: pol.Score(&a, &ctx, count), Route: pol.Route(&a, "fp"),
		ReceivedAt: a.Time, EnrichedAt: a.Time.Add(200 * time.Millisecond), SentAt: a.Time.Add(time.Second),
	}
}

func (h *harness) decide(t *testing.T, after time.Duration, in workflows.DecideInput, rejected *error) {
	t.Helper()
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateDecide, in.By+string(in.Verdict), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { *rejected = err },
			OnComplete: func(any, error) {},
		}, in)
	}, after)
}

func (h *harness) state(t *testing.T) workflows.IncidentState {
	t.Helper()
	v, err := h.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.IncidentState
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestIncidentApprovedIsContainedAndAudited(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	ctx := alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}
	sig := incidentSignal(t, pol, a, ctx, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	// The same signal redelivered by a retried handoff must not count twice.
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, time.Second)
	var rejected error
	h.decide(t, 5*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Via: "cli"}, &rejected)
	var mid workflows.IncidentState
	h.env.RegisterDelayedCallback(func() { mid = h.state(t) }, 6*time.Minute)

	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if rejected != nil {
		t.Fatalf("approval rejected: %v", rejected)
	}
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusContained || res.Priority != "P1" || res.Alerts != 1 {
		t.Fatalf("result = %+v, want contained P1 with 1 alert", res)
	}
	if mid.Occurrences != 1 {
		t.Errorf("occurrences = %d after a redelivered signal, want 1", mid.Occurrences)
	}
	// P1 network anomaly: block the external source and isolate the host.
	want := []string{"block 203.0.113.7", "isolate dc01"}
	if strings.Join(h.f.edrCalls, ",") != strings.Join(want, ",") {
		t.Errorf("EDR calls = %v, want %v", h.f.edrCalls, want)
	}
	if mid.Tier != "IR" {
		t.Errorf("a P1 went to tier %q, want IR directly", mid.Tier)
	}
	if res.Metrics.TimeToDecide != 5*time.Minute || res.Metrics.TimeToContain < 5*time.Minute {
		t.Errorf("metrics = %+v, want decide 5m, contain after that", res.Metrics)
	}
	if len(h.f.audits) != 1 {
		t.Fatalf("audit records = %d, want 1", len(h.f.audits))
	}
	var rec workflows.IncidentState
	if err := json.Unmarshal(h.f.audits[0], &rec); err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, e := range rec.Timeline {
		if e.At.IsZero() || e.Actor == "" {
			t.Errorf("timeline event without time or actor: %+v", e)
		}
		actors = append(actors, string(e.Stage)+"/"+e.Actor)
	}
	if !strings.Contains(strings.Join(actors, " "), "decide/alice") {
		t.Errorf("timeline %v lacks alice's decision", actors)
	}
	kinds := h.f.kinds()
	if len(kinds) < 3 || kinds[0] != activities.NotifyEscalation || kinds[len(kinds)-1] != activities.NotifyClosed {
		t.Errorf("notifications = %v, want escalation first and closed last", kinds)
	}
}

func TestIncidentNobodyAnswersClimbsTheLadder(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	// A medium alert on an unknown host is P3: it starts at T1.
	a := networkAlert("ws-999", "203.0.113.9")
	a.Severity = alert.SeverityHigh
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	if sig.Score.Priority != alert.P2 {
		t.Fatalf("test alert scored %s, want P2", sig.Score.Priority)
	}
	pol.Scoring.Paths[alert.P2] = "T1"
	sig.Score.Tier = "T1"
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	// Nobody answers T1 (15m) or T2 (30m); IR approves after 50 more minutes.
	h.decide(t, 15*time.Minute+30*time.Minute+50*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "ir-lead", Via: "cli"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if rejected != nil {
		t.Fatal(rejected)
	}
	var tiers []string
	for _, n := range h.f.notes {
		if n.Kind == activities.NotifyEscalation {
			tiers = append(tiers, n.Card.Tier+" "+n.Card.Channel)
		}
	}
	want := "T1 #soc-t1,T2 #soc-t2,IR #incident-response"
	if strings.Join(tiers, ",") != want {
		t.Fatalf("escalations = %v, want %s", tiers, want)
	}
	last := h.f.notes[len(h.f.notes)-1]
	if len(last.Card.History) != 1 || last.Card.History[0].By != "ir-lead" {
		t.Errorf("final card history = %+v, want ir-lead's decision carried", last.Card.History)
	}
	if h.f.edrCalls[0] != "block 203.0.113.9" {
		t.Errorf("EDR calls = %v", h.f.edrCalls)
	}
}

func TestIncidentTimeoutDefaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		host     string
		want     string
		wantEDR  int
		priority alert.Priority
		trusted  bool
		// unprotect turns off the default protection of tier-1 assets.
		unprotect bool
		// reason, when set, is why the contain default must not apply.
		reason string
	}{
		// P1 on a domain controller from a trusted submitter, tier-1
		// assets not protected: IR's timeout contains.
		{name: "P1 contains", host: "dc01", want: workflows.StatusContained, wantEDR: 2, priority: alert.P1, trusted: true, unprotect: true},
		// P4 on a printer: T1 -> T2 -> IR, then the P4 default closes.
		{name: "P4 closes", host: "prn-01", want: workflows.StatusClosed, wantEDR: 0, priority: alert.P4, trusted: true},
		// Before trusted-auto-contain, both of these were contained by
		// the timer. An untrusted submitter: IR decides.
		{name: "P1 untrusted holds", host: "dc01", want: workflows.StatusDenied, wantEDR: 0, priority: alert.P1, unprotect: true,
			reason: "not trusted for automatic containment (first: siem-ingest)"},
		// A protected (tier-1) host: IR decides.
		{name: "P1 protected holds", host: "dc01", want: workflows.StatusDenied, wantEDR: 0, priority: alert.P1, trusted: true,
			reason: "host dc01 is protected: a tier-1 asset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := testPolicy(t, func(p *policy.Policy) {
				if tc.unprotect {
					p.Containment.Protected.MaxAssetTier = 0
				}
			})
			h := newHarness(t, pol, nil)
			a := networkAlert(tc.host, "203.0.113.7")
			a.AutoContainTrusted, a.SubmittedBy = tc.trusted, "siem-ingest"
			var held workflows.IncidentState
			var rejected error
			if tc.reason != "" {
				// Past IR's hour the default does not apply; IR denies later.
				h.env.RegisterDelayedCallback(func() { held = h.state(t) }, 2*time.Hour+30*time.Minute)
				h.decide(t, 2*time.Hour+31*time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "ir-lead"}, &rejected)
			}
			ctx := alert.ContextPacket{Asset: h.f.Find([]string{tc.host}, nil)}
			sig := incidentSignal(t, pol, a, ctx, "alert/fp/run1", 1, 1)
			if sig.Score.Priority != tc.priority {
				t.Fatalf("scored %s (%d), want %s:\n%s", sig.Score.Priority, sig.Score.Value, tc.priority, sig.Score.Explain())
			}
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
			h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
			var res workflows.IncidentResult
			if err := h.env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want || len(h.f.edrCalls) != tc.wantEDR {
				t.Fatalf("status %s with EDR calls %v, want %s with %d", res.Status, h.f.edrCalls, tc.want, tc.wantEDR)
			}
			if tc.reason != "" {
				if rejected != nil {
					t.Fatal(rejected)
				}
				da := held.DefaultAction
				if held.Status != workflows.StatusAwaiting || da == nil || da.Applied || !strings.Contains(da.Reason, tc.reason) {
					t.Fatalf("held: status %s, default action %+v; want awaiting, not applied because %q", held.Status, da, tc.reason)
				}
			}
		})
	}
}

func TestDecisionValidation(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Tiers[0].Approvers = []string{"alice", "bob"}
		p.Tiers[1].Approvers = []string{"bob", "carol"}
	})
	a := networkAlert("ws-1", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	sig.Score.Tier = "T1"
	for _, tc := range []struct {
		name string
		in   workflows.DecideInput
		want string
	}{
		{"not an approver", workflows.DecideInput{Verdict: alert.VerdictApprove, By: "mallory"}, "mallory is not an approver at tier T1"},
		{"no identity", workflows.DecideInput{Verdict: alert.VerdictApprove}, "identity is required"},
		{"unknown verdict", workflows.DecideInput{Verdict: "nuke", By: "alice"}, `unknown verdict "nuke"`},
		{"unknown action", workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice", Actions: []string{"isolate_host:dc99"}}, `action "isolate_host:dc99" was not proposed`},
		{"revert before containment", workflows.DecideInput{Verdict: alert.VerdictRevert, By: "alice"}, "no containment to revert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, pol, nil)
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
			var rejected error
			h.decide(t, time.Minute, tc.in, &rejected)
			h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
			if rejected == nil || !strings.Contains(rejected.Error(), tc.want) {
				t.Fatalf("rejection = %v, want it to say %q", rejected, tc.want)
			}
			for _, e := range h.f.edrCalls {
				if !strings.HasPrefix(e, "block") {
					t.Errorf("a rejected decision led to %s", e)
				}
			}
		})
	}
}

func TestEscalatorMayNotApproveDestructiveAlone(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Tiers[0].Approvers = []string{"bob"}
		p.Tiers[1].Approvers = []string{"bob", "carol"}
	})
	h := newHarness(t, pol, nil)
	a := networkAlert("ws-1", "203.0.113.7")
	a.Category = "malware"
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	sig.Score.Tier = "T1"
	sig.Route.Playbook = "malware-on-host"
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2, r3 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictEscalate, By: "bob", Note: "looks real"}, &r1)
	h.decide(t, 2*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "bob"}, &r2)
	h.decide(t, 3*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "carol"}, &r3)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if r1 != nil || r3 != nil {
		t.Fatalf("escalate: %v, carol's approval: %v; both should be accepted", r1, r3)
	}
	if r2 == nil || !strings.Contains(r2.Error(), "four-eyes") {
		t.Fatalf("bob approving his own escalation: %v, want a four-eyes rejection", r2)
	}
	if strings.Join(h.f.edrCalls, ",") != "isolate ws-1" {
		t.Errorf("EDR calls = %v, want isolate ws-1 (the private destination is not blocked)", h.f.edrCalls)
	}
}

func TestContainmentSagaUndoesOnFailure(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	h.f.failBlock = 403
	a := networkAlert("ws-1", "203.0.113.7")
	a.Entities.Users = []alert.User{{Name: "alice"}}
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	sig.Route.Playbook = "standard" // isolate, block, disable: in that order
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := "isolate ws-1,block-failed 203.0.113.7,release ws-1"
	if strings.Join(h.f.edrCalls, ",") != want {
		t.Fatalf("EDR calls = %v, want %s (a 403 is not retried; the isolation is undone)", h.f.edrCalls, want)
	}
	if len(h.f.idpCalls) != 0 {
		t.Errorf("identity calls after the failure: %v", h.f.idpCalls)
	}
	if res.Status != workflows.StatusPartial {
		t.Errorf("status = %s, want %s", res.Status, workflows.StatusPartial)
	}
}

func TestRevertAfterContainment(t *testing.T) {
	pol := testPolicy(t, nil)
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2 error
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	h.decide(t, 20*time.Minute, workflows.DecideInput{Verdict: alert.VerdictRevert, By: "alice", Note: "pentest"}, &r2)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if r1 != nil || r2 != nil {
		t.Fatal(errors.Join(r1, r2))
	}
	// network-anomaly blocks, then isolates (P1); the revert runs newest first.
	want := "block 203.0.113.7,isolate dc01,release dc01,unblock 203.0.113.7 ind-203.0.113.7"
	if strings.Join(h.f.edrCalls, ",") != want {
		t.Fatalf("EDR calls = %v, want %s", h.f.edrCalls, want)
	}
	if res.Status != workflows.StatusFalsePositive {
		t.Errorf("status = %s, want false_positive", res.Status)
	}
}

func TestIncidentUpdatesAreSummarisedPastOverflow(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Triage.IncidentOverflow = 2
		p.Triage.SummaryInterval = 10 * time.Minute
	})
	h := newHarness(t, pol, nil)
	for i := 0; i < 8; i++ {
		a := networkAlert("ws-7", "203.0.113.7")
		a.ID, a.Rule, a.Title = fmt.Sprintf("a-%d", i), fmt.Sprintf("rule-%d", i), fmt.Sprintf("Alert %d", i)
		sig := incidentSignal(t, pol, a, alert.ContextPacket{}, fmt.Sprintf("alert/fp%d/run", i), 1, 1+i)
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, time.Duration(i)*time.Minute)
	}
	var rejected error
	h.decide(t, 40*time.Minute, workflows.DecideInput{Verdict: alert.VerdictDeny, By: "alice"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: "host:ws-7"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var updates, summaries, alerts, occurrences int
	for _, n := range h.f.notes {
		if n.Kind != activities.NotifyUpdate {
			continue
		}
		updates++
		if n.Card.Update.Summarised {
			summaries++
		}
		alerts += n.Card.Update.NewAlerts
		occurrences += n.Card.Update.NewOccurrences
	}
	// Alert 0 is in the escalation itself; 1..7 arrive as updates.
	if alerts != 7 || occurrences != 2+3+4+5+6+7+8 {
		t.Errorf("updates reported %d alerts, %d occurrences; want 7 and 35 (nothing lost)", alerts, occurrences)
	}
	if summaries == 0 || updates > 4 {
		t.Errorf("%d updates (%d summaries): past the overflow threshold updates should be summarised", updates, summaries)
	}
}

func TestFourEyesNeedsTwoApprovers(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Approvals.Destructive = 2
		p.Tiers[2].Approvers = []string{"alice", "bob", "S-IR-LEADS"}
	})
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var r1, r2, r3, r4 error
	var mid workflows.IncidentState
	var midEDR int
	h.decide(t, time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "alice"}, &r1)
	h.decide(t, 2*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "ALICE"}, &r2)
	h.env.RegisterDelayedCallback(func() {
		mid = h.state(t)
		midEDR = len(h.f.edrCalls)
		h.env.SignalWorkflow(workflows.SignalAttempt, workflows.AttemptSignal{Verdict: alert.VerdictApprove, By: "mallory", Via: "slack", Reason: "not an approver"})
	}, 3*time.Minute)
	// carol is not listed by name, but is in a listed group.
	h.decide(t, 4*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "carol", Groups: []string{"S-IR-LEADS"},
		Actions: []string{"isolate_host:dc01"}}, &r3)
	h.decide(t, 5*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "bob"}, &r4)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if r1 != nil || r3 != nil {
		t.Fatalf("alice: %v, carol: %v; both should be accepted", r1, r3)
	}
	if r2 == nil || !strings.Contains(r2.Error(), "already approved") {
		t.Errorf("alice approving twice: %v", r2)
	}
	if r4 == nil {
		t.Error("bob's approval after the decision was complete should be refused")
	}
	if mid.Status != workflows.StatusAwaiting || len(mid.Approvals) != 1 || midEDR != 0 {
		t.Fatalf("after one approval: status %s, %d approvals, %d EDR calls; want still awaiting", mid.Status, len(mid.Approvals), midEDR)
	}
	// carol approved only the isolation: that is all both approved.
	if strings.Join(h.f.edrCalls, ",") != "isolate dc01" || res.Status != workflows.StatusContained {
		t.Fatalf("EDR calls %v status %s, want only the isolation both approved", h.f.edrCalls, res.Status)
	}
	var rec workflows.IncidentState
	if err := json.Unmarshal(h.f.audits[0], &rec); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range rec.Timeline {
		lines = append(lines, e.Actor+": "+e.Message)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"alice: approval 1 of 2", "mallory: refused approve via slack: not an approver", "alice+carol"} {
		if !strings.Contains(all, want) {
			t.Errorf("timeline lacks %q:\n%s", want, all)
		}
	}
}

// fakeTracker is a ticketing system that remembers its one issue.
type fakeTracker struct {
	mu       sync.Mutex
	ensures  int
	created  int
	comments []string
	marks    []string
}

func (f *fakeTracker) EnsureIssue(_ context.Context, card activities.IncidentCard, project string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ensures++
	if card.Score.Priority.Rank() < alert.P2.Rank() {
		return "", false, nil
	}
	if f.created == 0 {
		f.created++
		return "SEC-1", true, nil
	}
	return "SEC-1", false, nil
}

func (f *fakeTracker) Comment(_ context.Context, key, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.comments = append(f.comments, key+" "+text)
	return nil
}

func (f *fakeTracker) MarkContained(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marks = append(f.marks, key+" contained")
	return nil
}

func (f *fakeTracker) MarkClosed(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marks = append(f.marks, key+" closed")
	return nil
}

func TestIncidentKeepsOneTicketThroughTheLadder(t *testing.T) {
	pol := testPolicy(t, nil)
	tr := &fakeTracker{}
	h := newHarnessWith(t, pol, nil, tr)
	a := networkAlert("ws-9", "203.0.113.7")
	a.Severity = alert.SeverityHigh // P2: T2 first
	sig := incidentSignal(t, pol, a, alert.ContextPacket{}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var rejected error
	// Nobody answers T2; IR approves.
	h.decide(t, 45*time.Minute, workflows.DecideInput{Verdict: alert.VerdictApprove, By: "ir"}, &rejected)
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if rejected != nil || res.Status != workflows.StatusContained {
		t.Fatalf("status %s, rejection %v", res.Status, rejected)
	}
	if tr.created != 1 {
		t.Fatalf("%d tickets created over %d ensures, want exactly 1", tr.created, tr.ensures)
	}
	want := []string{"SEC-1 escalation awaiting_decision", "SEC-1 containment contained", "SEC-1 closed contained"}
	for _, w := range want {
		found := false
		for _, c := range tr.comments {
			found = found || c == w
		}
		if !found {
			t.Errorf("ticket comments %v lack %q", tr.comments, w)
		}
	}
	if strings.Join(tr.marks, ",") != "SEC-1 contained,SEC-1 closed" {
		t.Errorf("transitions = %v", tr.marks)
	}
	for _, n := range h.f.notes[1:] {
		if n.Card.TicketKey != "SEC-1" {
			t.Errorf("%s notification does not link the ticket", n.Kind)
		}
	}
}

func TestEnrichmentSourcesRunInParallelAndFailAlone(t *testing.T) {
	h := newHarness(t, testPolicy(t, nil), nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "198.51.100.9")
	a.Entities.Users = []alert.User{{Name: "alice"}}
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time})
	}, 0)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 {
		t.Fatalf("handoffs = %d", len(*got))
	}
	pkt := (*got)[0].Context
	gaps := map[string]string{}
	for _, g := range pkt.Gaps {
		gaps[g.Source] = g.Reason
	}
	if len(gaps) != 2 || !strings.Contains(gaps["users"], "503") || !strings.Contains(gaps["edr"], "timed out") {
		t.Fatalf("gaps = %v, want users (503) and edr (timed out) only", gaps)
	}
	if pkt.Asset == nil || len(pkt.Related) != 1 || len(pkt.IntelHits) != 1 || pkt.IntelHits[0].Source != "virustotal" {
		t.Fatalf("packet = %+v: the other sources must still answer", pkt)
	}
}

// Duplicates that arrive while the first occurrence is being enriched go
// with the first handoff; nothing may be reported twice, nor a handoff of
// zero occurrences sent (an incident counted that as one).
func TestDuplicatesDuringEnrichmentAreCountedOnce(t *testing.T) {
	h := newHarness(t, testPolicy(t, nil), nil)
	got := h.captureHandoffs()
	a := networkAlert("dc01", "203.0.113.7")
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 1, ReceivedAt: a.Time})
		h.env.SignalWorkflow(workflows.SignalAlert, workflows.AlertSignal{Alert: a, Count: 2, ReceivedAt: a.Time})
	}, 0)
	h.env.ExecuteWorkflow(workflows.RespondToAlertType, workflows.RespondToAlertInput{Fingerprint: "fp"})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range *got {
		if s.Count == 0 {
			t.Errorf("handoff %d reports zero occurrences", s.Seq)
		}
		total += s.Count
	}
	if total != 3 {
		t.Fatalf("forwarded %d occurrences in %d handoffs, want 3", total, len(*got))
	}
}

// TestFourEyesExecutesOnlyWhatTwoApproved: alice approved only the
// isolation and carol only the account disable. Nothing has two
// approvers, so nothing runs (before, the empty intersection meant
// "everything": isolation, IP block and disable all ran); the answer says
// what each approved, and bob's approval of the isolation makes it the
// one action two approved.
func TestFourEyesExecutesOnlyWhatTwoApproved(t *testing.T) {
	pol := testPolicy(t, func(p *policy.Policy) {
		p.Approvals.Destructive = 2
		p.Tiers[2].Approvers = []string{"alice", "bob", "carol"}
	})
	h := newHarness(t, pol, nil)
	a := networkAlert("dc01", "203.0.113.7")
	// Routed to the standard playbook, which proposes the account
	// disable too: two destructive actions.
	a.Category = "other"
	a.Entities.Users = []alert.User{{Name: "bob.smith"}}
	sig := incidentSignal(t, pol, a, alert.ContextPacket{Asset: &alert.Asset{Name: "dc01", Tier: 1}}, "alert/fp/run1", 1, 1)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SignalAlert, sig) }, 0)
	var proposed []string
	h.env.RegisterDelayedCallback(func() {
		for _, act := range h.state(t).Proposed {
			proposed = append(proposed, act.ID)
		}
	}, 30*time.Second)
	results := map[string]workflows.DecideResult{}
	errs := map[string]error{}
	var midEDR, midIdP int
	decide := func(after time.Duration, by string, actions ...string) {
		h.env.RegisterDelayedCallback(func() {
			h.env.UpdateWorkflow(workflows.UpdateDecide, by, &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { errs[by] = err },
				OnComplete: func(v any, err error) {
					if err != nil {
						errs[by] = err
						return
					}
					results[by] = v.(workflows.DecideResult)
				},
			}, workflows.DecideInput{Verdict: alert.VerdictApprove, By: by, Actions: actions})
		}, after)
	}
	decide(time.Minute, "alice", "isolate_host:dc01")
	decide(2*time.Minute, "carol", "disable_user:bob.smith")
	h.env.RegisterDelayedCallback(func() { midEDR, midIdP = len(h.f.edrCalls), len(h.f.idpCalls) }, 3*time.Minute)
	decide(4*time.Minute, "bob", "isolate_host:dc01")
	h.env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: sig.Route.Key})
	var res workflows.IncidentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(proposed, "disable_user:bob.smith") || !slices.Contains(proposed, "isolate_host:dc01") {
		t.Fatalf("proposed %v: the test needs the isolation and the disable", proposed)
	}
	if len(errs) != 0 {
		t.Fatalf("decisions refused: %v", errs)
	}
	if c := results["carol"]; c.Status != "recorded" || c.Approvals != 2 || c.Needed != 2 ||
		!slices.Equal(c.Approved["alice"], []string{"isolate_host:dc01"}) || !slices.Equal(c.Approved["carol"], []string{"disable_user:bob.smith"}) {
		t.Errorf("carol's answer = %+v, want recorded with what each approved", c)
	}
	if midEDR != 0 || midIdP != 0 {
		t.Errorf("after alice and carol: %d EDR and %d IdP calls, want none (no action has two approvers)", midEDR, midIdP)
	}
	if results["bob"].Status != "accepted" {
		t.Errorf("bob's answer = %+v, want accepted", results["bob"])
	}
	if strings.Join(h.f.edrCalls, ",") != "isolate dc01" || len(h.f.idpCalls) != 0 {
		t.Errorf("EDR calls %v, IdP calls %v: want only the isolation alice and bob approved", h.f.edrCalls, h.f.idpCalls)
	}
}
