// Package playbookstest runs a playbook the way an incident runs it, in
// seconds and without a server: the real Incident workflow on the Temporal
// SDK's test environment (time skips, so a ladder of hour-long tiers takes
// milliseconds), with in-memory fakes for every integration and scripted
// responders. A playbook's table test is a few lines:
//
//	res, err := playbookstest.Run(playbookstest.Options{
//		Playbook: myPlaybook,
//		Alert:    suspiciousLogin,
//		Answers:  []playbookstest.Answer{{After: 5 * time.Minute, By: "alice", Verdict: alert.VerdictApprove}},
//	})
//	// res.Status, res.Executed, res.Timeline
//
// The same kit backs `socflow playbook test`.
package playbookstest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/webhook"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// Answer is a scripted responder: at After (from the incident's opening)
// By gives Verdict on the incident, as a person would from Slack, the
// web view or the CLI (through the same Update). Actions narrows an
// approval to those action IDs ("isolate_host:dc01"); none approves every
// proposed action.
//
// With Question set, the answer is not a decision but By's answer
// (Answer) to the playbook's question of that ID (Case.Ask: its Key, or
// "q1", "q2"... by place), through the answer Update.
type Answer struct {
	After    time.Duration `json:"after" yaml:"after"`
	By       string        `json:"by" yaml:"by"`
	Verdict  alert.Verdict `json:"verdict,omitempty" yaml:"verdict"`
	Actions  []string      `json:"actions,omitempty" yaml:"actions"`
	Note     string        `json:"note,omitempty" yaml:"note"`
	Question string        `json:"question,omitempty" yaml:"question"`
	Answer   string        `json:"answer,omitempty" yaml:"answer"`
}

// Event is one event in the fake event store.
type Event struct {
	Time                     time.Time
	Kind                     string
	Host, User, SrcIP, DstIP string
	Domain, Summary          string
}

// Options are one run.
type Options struct {
	// Playbook is the playbook under test; the alert is routed to it
	// whatever the policy's routing says.
	Playbook playbooks.Playbook
	// Alert opens the incident, with Context as its enrichment (the alert
	// run's work, which this kit does not repeat). More alerts may follow
	// (FollowUps), each at its After.
	Alert     alert.Alert
	Context   alert.ContextPacket
	FollowUps []FollowUp
	// Policy is the policy in force; nil is socflow's default.
	Policy *policy.Policy
	// Answers are the responders' answers, in any order. None: nobody
	// answers, and the ladder's timers run their course.
	Answers []Answer
	// Fail makes these actions fail at the vendor (action ID to the
	// vendor's error text, such as "403 forbidden").
	Fail map[string]string
	// Already marks targets contained before socflow acts ("host:dc01",
	// "ip:203.0.113.7", "user:bob", "hash:<sha256>", "domain:evil.example"):
	// socflow leaves them as found. Sessions have no state to be found in.
	Already []string
	// Intel are the hits by indicator that the intel source and the
	// online provider "virustotal" answer Case.Enrich with.
	Intel map[string][]alert.IntelHit
	// Events are the event store's telemetry, which the events source
	// answers from (by host, user, address or domain, and kind).
	Events []Event
	// HTTP answers the playbook's Case.Call requests (and a CACAO
	// playbook's http-api commands) by target; nil answers 200 with an
	// empty body. Each call is in Result.Calls as "http POST soar /path".
	HTTP func(target, method, path, body string) (status int, answer string)
	// Timeout bounds the whole run in the test environment's skipped time
	// (default a day: past every default tier, SLA and lease).
	Timeout time.Duration
	// Activities are the playbook's own activities (Case.Run), registered
	// as a worker would: functions, or pointers to structs whose methods
	// are activities.
	Activities []any
}

// FollowUp is an alert that joins the incident at After.
type FollowUp struct {
	After   time.Duration
	Alert   alert.Alert
	Context alert.ContextPacket
}

// Result is what the run did.
type Result struct {
	// Status is the incident's status when it closed, or when the run's
	// time was up with it still open (Open).
	Status string `json:"status"`
	Open   bool   `json:"open,omitempty"`
	// Tier is the last tier the incident was with.
	Tier string `json:"tier"`
	// Score is the opening alert's score.
	Score alert.Score `json:"score"`
	// Proposed are the actions the playbook proposed.
	Proposed []alert.Action `json:"proposed,omitempty"`
	// Executed are the containment results (and undos), as the incident
	// recorded them.
	Executed []alert.ActionResult `json:"executed,omitempty"`
	// Calls are the vendor calls made, in order: "isolate dc01", "block
	// 203.0.113.7", "disable bob", "revoke bob", "block hash <sha256>",
	// "block domain evil.example", "release dc01", "unblock hash
	// <sha256>"...
	Calls []string `json:"calls,omitempty"`
	// Notifications are the kinds of message sent to responders.
	Notifications []alert.NotifyKind `json:"notifications,omitempty"`
	// Decisions are the decisions the incident took.
	Decisions []alert.Decision `json:"decisions,omitempty"`
	// Messages are what the playbook told the tier (Case.Notify), and
	// Comments what reached the ticket (every step's comment, the
	// playbook's included), in order.
	Messages []string `json:"messages,omitempty"`
	Comments []string `json:"comments,omitempty"`
	// Transitions are the ticket transitions the playbook made.
	Transitions []string `json:"transitions,omitempty"`
	// Questions are the playbook's questions and what each got.
	Questions []alert.Question `json:"questions,omitempty"`
	// Refused are the answers the incident refused ("escalate by bob at
	// +2m: tier IR is the last tier"), each with the incident's reason.
	Refused []string `json:"refused,omitempty"`
	// Timeline is the incident's whole timeline, in order.
	Timeline []alert.TimelineEvent `json:"timeline"`
	// Took is the skipped time from opening to closing.
	Took time.Duration `json:"took"`
}

// Run runs the playbook on one alert until the incident closes.
func Run(o Options) (*Result, error) {
	if o.Playbook.Run == nil || o.Playbook.Name == "" {
		return nil, errors.New("playbookstest: Options.Playbook needs a name and a Run function")
	}
	pol := o.Policy
	if pol == nil {
		p := config.Default().Policy
		pol = &p
	}
	f := newFakes(o.Fail, o.Already)
	f.intel, f.events, f.http = o.Intel, o.Events, o.HTTP
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	// The clock starts when the alert fired, so that the timeline's times
	// read as the alert's.
	start := o.Alert.Time
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		o.Alert.Time = start
	}
	env.SetStartTime(start.Add(time.Second))
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 24 * time.Hour
	}
	env.SetWorkflowRunTimeout(timeout)
	env.SetTestTimeout(time.Minute) // wall clock: a playbook that spins fails, not hangs

	reg := playbooks.Builtin()
	reg.Remove(o.Playbook.Name) // the version under test is the one incidents start on
	reg.Add(o.Playbook)
	workflows.New(reg).Register(env)
	env.RegisterActivity(&activities.Policy{Current: func() *policy.Policy { return pol },
		Containment: activities.ContainmentPlan{Actions: alert.ActionKinds()},
		Enrichment:  activities.EnrichmentPlan{Sources: []string{"intel", "events"}, Online: []string{"virustotal"}, Timeout: 10 * time.Second, Window: 24 * time.Hour}})
	env.RegisterActivity(&activities.Webhook{Targets: f})
	env.RegisterActivity(&activities.Enrich{Intel: f, Online: map[string]activities.OnlineIntel{"virustotal": onlineIntel{f}}, Events: f})
	env.RegisterActivity(&activities.Notify{Notifier: f})
	env.RegisterActivity(&activities.Contain{Isolator: f, Blocker: f, Accounts: f, Sessions: f, Hashes: f, Domains: f})
	env.RegisterActivity(&activities.Record{Sink: f})
	env.RegisterActivity(&activities.Handoff{})
	env.RegisterActivity(&activities.CaseFile{Store: f})
	env.RegisterActivity(&activities.Ticket{Tracker: f, Format: func(k activities.NotifyKind, c activities.IncidentCard) string {
		if k == activities.NotifyMessage {
			return c.Message
		}
		return string(k) + ": " + c.Status
	}})
	for i, a := range o.Activities {
		if err := register(env, a); err != nil {
			return nil, fmt.Errorf("playbookstest: Options.Activities[%d]: %w", i, err)
		}
	}

	first := signal(pol, o.Playbook.Name, o.Alert, o.Context, 1)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalAlert, first) }, 0)
	for i, fu := range o.FollowUps {
		sig := signal(pol, o.Playbook.Name, fu.Alert, fu.Context, 1)
		sig.Source = fmt.Sprintf("alert/playbookstest-%d/run", i+2)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalAlert, sig) }, fu.After)
	}
	var mu sync.Mutex
	var refused []string
	for i, a := range o.Answers {
		var in any = workflows.DecideInput{Verdict: a.Verdict, Actions: a.Actions, By: a.By, Via: "playbook test", Note: a.Note}
		name, what := workflows.UpdateDecide, string(a.Verdict)
		if a.Question != "" {
			in = workflows.AnswerInput{Question: a.Question, Answer: a.Answer, By: a.By, Via: "playbook test"}
			name, what = workflows.UpdateAnswer, fmt.Sprintf("answer %q to %s", a.Answer, a.Question)
		}
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(name, fmt.Sprintf("answer-%d", i), &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) {
					mu.Lock()
					defer mu.Unlock()
					refused = append(refused, fmt.Sprintf("%s by %s at +%s: %v", what, a.By, alert.ShortDuration(a.After), err))
				},
				OnComplete: func(any, error) {},
			}, in)
		}, a.After)
	}

	// Just before the run's time is up, read the state: an incident still
	// open then (held, reminding its tier) is a result, not a failure.
	var last *workflows.IncidentState
	env.RegisterDelayedCallback(func() {
		if v, err := env.QueryWorkflow(workflows.QueryStatus); err == nil {
			var st workflows.IncidentState
			if v.Get(&st) == nil {
				last = &st
			}
		}
	}, timeout-time.Second)

	env.ExecuteWorkflow(workflows.IncidentType, workflows.IncidentInput{Key: first.Route.Key})
	var st *workflows.IncidentState
	open := false
	var te *temporal.TimeoutError
	switch err := env.GetWorkflowError(); {
	case err == nil:
		if st, err = f.audit(); err != nil {
			return nil, err
		}
	case errors.As(err, &te) && last != nil:
		st, open = last, true
	default:
		return nil, fmt.Errorf("playbookstest: the incident failed: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	res := &Result{
		Status: st.Status, Open: open, Tier: st.Tier, Score: first.Score, Proposed: st.Proposed, Executed: st.Results,
		Decisions: st.Decisions, Questions: st.Questions, Refused: refused, Timeline: f.timelineAll(), Calls: f.callsAll(), Notifications: f.kindsAll(),
	}
	f.mu.Lock()
	res.Messages, res.Comments = slices.Clone(f.messages), slices.Clone(f.comments)
	res.Transitions = slices.Clone(f.transitions)
	f.mu.Unlock()
	if !st.ClosedAt.IsZero() && !st.OpenedAt.IsZero() {
		res.Took = st.ClosedAt.Sub(st.OpenedAt)
	}
	return res, nil
}

// register registers an activity, turning the SDK's panic on a value it
// cannot register (a struct that is not a pointer) into an error.
func register(env *testsuite.TestWorkflowEnvironment, a any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	env.RegisterActivity(a)
	return nil
}

// signal is an alert run's first handoff of a, scored and routed by the
// policy, routed to the playbook under test.
func signal(pol *policy.Policy, playbook string, a alert.Alert, pkt alert.ContextPacket, count int) workflows.IncidentAlertSignal {
	route := pol.Route(&a, "playbookstest")
	route.Playbook = playbook
	at := a.Time
	return workflows.IncidentAlertSignal{
		Source: "alert/playbookstest-1/run", Seq: 1, Count: count, Alert: &a, Context: &pkt, First: true, Total: count,
		Score: pol.Score(&a, &pkt, count), Route: route, ReceivedAt: at, EnrichedAt: at, SentAt: at,
	}
}

// fakes are the integrations: vendors that act at once (or fail as
// Options.Fail says), a notifier, an audit sink and a case file, all in
// memory.
type fakes struct {
	mu    sync.Mutex
	fail  map[string]string
	intel map[string][]alert.IntelHit
	http  func(target, method, path, body string) (int, string)
	// transitions are the ticket's, in order.
	transitions []string
	events      []Event
	on          map[string]bool
	calls       []string
	kinds       []alert.NotifyKind
	audits      []json.RawMessage
	batches     map[string]bool
	timeline    map[int]alert.TimelineEvent
	messages    []string
	comments    []string
}

func newFakes(fail map[string]string, already []string) *fakes {
	f := &fakes{fail: fail, on: map[string]bool{}, batches: map[string]bool{}, timeline: map[int]alert.TimelineEvent{}}
	for _, k := range already {
		f.on[k] = true
	}
	return f
}

// act records a vendor call and applies it, or fails as scripted. The
// failure is a vendor's refusal (403): final, not retried.
func (f *fakes) act(verb string, kind alert.ActionKind, target string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, verb+" "+target)
	if msg, ok := f.fail[string(kind)+":"+target]; ok && on {
		return &httpx.StatusError{Method: "POST", URL: "playbookstest://" + string(kind), Code: 403, Body: msg}
	}
	f.on[key(kind, target)] = on
	return nil
}

func key(kind alert.ActionKind, target string) string {
	switch kind {
	case alert.ActionIsolateHost:
		return "host:" + target
	case alert.ActionBlockIP:
		return "ip:" + target
	case alert.ActionBlockHash:
		return "hash:" + target
	case alert.ActionBlockSenderDomain:
		return "domain:" + target
	}
	return "user:" + target
}

func (f *fakes) state(kind alert.ActionKind, target string) activities.TargetState {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on[key(kind, target)] {
		return activities.TargetState{Phase: activities.PhaseOn, Vendor: "on"}
	}
	return activities.TargetState{Phase: activities.PhaseOff, Vendor: "off"}
}

// HostState implements activities.HostIsolator.
func (f *fakes) HostState(_ context.Context, h alert.Host, _ string) (activities.TargetState, error) {
	return f.state(alert.ActionIsolateHost, h.Name), nil
}

// IsolateHost implements activities.HostIsolator.
func (f *fakes) IsolateHost(_ context.Context, h alert.Host, _ string) (string, error) {
	return "iso-" + h.Name, f.act("isolate", alert.ActionIsolateHost, h.Name, true)
}

// ReleaseHost implements activities.HostIsolator.
func (f *fakes) ReleaseHost(_ context.Context, h alert.Host, _ string) (string, error) {
	return "rel-" + h.Name, f.act("release", alert.ActionIsolateHost, h.Name, false)
}

// BlockState implements activities.IPBlocker.
func (f *fakes) BlockState(_ context.Context, ip string) (activities.TargetState, error) {
	return f.state(alert.ActionBlockIP, ip), nil
}

// BlockIP implements activities.IPBlocker.
func (f *fakes) BlockIP(_ context.Context, ip, _ string) (string, error) {
	return "blk-" + ip, f.act("block", alert.ActionBlockIP, ip, true)
}

// UnblockIP implements activities.IPBlocker.
func (f *fakes) UnblockIP(_ context.Context, ip, _ string) error {
	return f.act("unblock", alert.ActionBlockIP, ip, false)
}

// AccountState implements activities.AccountDisabler.
func (f *fakes) AccountState(_ context.Context, user string) (activities.TargetState, error) {
	return f.state(alert.ActionDisableUser, user), nil
}

// DisableUser implements activities.AccountDisabler.
func (f *fakes) DisableUser(_ context.Context, user string) error {
	return f.act("disable", alert.ActionDisableUser, user, true)
}

// EnableUser implements activities.AccountDisabler.
func (f *fakes) EnableUser(_ context.Context, user string) error {
	return f.act("enable", alert.ActionDisableUser, user, false)
}

// RevokeSessions implements activities.SessionRevoker: it changes no
// state, as a revocation leaves none to read.
func (f *fakes) RevokeSessions(_ context.Context, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "revoke "+user)
	if msg, ok := f.fail[string(alert.ActionRevokeSessions)+":"+user]; ok {
		return &httpx.StatusError{Method: "POST", URL: "playbookstest://" + string(alert.ActionRevokeSessions), Code: 403, Body: msg}
	}
	return nil
}

// HashState implements activities.HashBlocker.
func (f *fakes) HashState(_ context.Context, hash string) (activities.TargetState, error) {
	return f.state(alert.ActionBlockHash, hash), nil
}

// BlockHash implements activities.HashBlocker.
func (f *fakes) BlockHash(_ context.Context, hash, _ string) (string, error) {
	return "ind-" + hash, f.act("block hash", alert.ActionBlockHash, hash, true)
}

// UnblockHash implements activities.HashBlocker.
func (f *fakes) UnblockHash(_ context.Context, hash, _ string) error {
	return f.act("unblock hash", alert.ActionBlockHash, hash, false)
}

// DomainState implements activities.DomainBlocker.
func (f *fakes) DomainState(_ context.Context, domain string) (activities.TargetState, error) {
	return f.state(alert.ActionBlockSenderDomain, domain), nil
}

// BlockSenderDomain implements activities.DomainBlocker.
func (f *fakes) BlockSenderDomain(_ context.Context, domain, _ string) (string, error) {
	return "rule-" + domain, f.act("block domain", alert.ActionBlockSenderDomain, domain, true)
}

// UnblockSenderDomain implements activities.DomainBlocker.
func (f *fakes) UnblockSenderDomain(_ context.Context, domain, _ string) error {
	return f.act("unblock domain", alert.ActionBlockSenderDomain, domain, false)
}

// Notify implements activities.Notifier.
func (f *fakes) Notify(_ context.Context, kind alert.NotifyKind, card alert.IncidentCard, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kinds = append(f.kinds, kind)
	if kind == alert.NotifyMessage {
		f.messages = append(f.messages, card.Message)
	}
	return "msg-" + card.IncidentID, nil
}

// EnsureIssue implements activities.Tracker: every incident gets SOC-1.
func (f *fakes) EnsureIssue(context.Context, alert.IncidentCard, string) (string, bool, error) {
	return "SOC-1", true, nil
}

// Comment implements activities.Tracker.
func (f *fakes) Comment(_ context.Context, _, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.comments = append(f.comments, text)
	return nil
}

// Transition implements activities.Transitioner: the ticket takes every
// transition but "Unknown".
func (f *fakes) Transition(_ context.Context, _, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "Unknown" {
		return fmt.Errorf("no transition %q from status %q", name, "Open")
	}
	f.transitions = append(f.transitions, name)
	return nil
}

// MarkContained implements activities.Tracker.
func (f *fakes) MarkContained(context.Context, string) error { return nil }

// MarkClosed implements activities.Tracker.
func (f *fakes) MarkClosed(context.Context, string) error { return nil }

// Append implements activities.AuditSink.
func (f *fakes) Append(_ context.Context, rec json.RawMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audits = append(f.audits, slices.Clone(rec))
	return nil
}

// AppendCase implements activities.CaseWriter: each batch once.
func (f *fakes) AppendCase(_ context.Context, rec activities.CaseRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.batches[rec.Batch] {
		return nil
	}
	f.batches[rec.Batch] = true
	for i, e := range rec.Timeline {
		f.timeline[rec.TimelineStart+i] = e
	}
	return nil
}

// PreviousCase implements activities.CaseWriter: every incident is the
// key's first.
func (f *fakes) PreviousCase(context.Context, string, string) (*activities.CaseLink, error) {
	return nil, nil
}

func (f *fakes) audit() (*workflows.IncidentState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.audits) == 0 {
		return nil, errors.New("playbookstest: the incident wrote no audit record")
	}
	var st workflows.IncidentState
	if err := json.Unmarshal(f.audits[len(f.audits)-1], &st); err != nil {
		return nil, fmt.Errorf("playbookstest: read the audit record: %w", err)
	}
	return &st, nil
}

func (f *fakes) timelineAll() []alert.TimelineEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	pos := make([]int, 0, len(f.timeline))
	for p := range f.timeline {
		pos = append(pos, p)
	}
	sort.Ints(pos)
	out := make([]alert.TimelineEvent, 0, len(pos))
	for _, p := range pos {
		out = append(out, f.timeline[p])
	}
	return out
}

func (f *fakes) callsAll() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakes) kindsAll() []alert.NotifyKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.kinds)
}

// Lines are the timeline as text, one event a line: "+5m0s  decide
// alice  approve ...", times from the first event, for a golden file or a
// terminal.
func (r *Result) Lines() []string {
	var out []string
	var t0 time.Time
	for _, e := range r.Timeline {
		if t0.IsZero() {
			t0 = e.At
		}
		out = append(out, fmt.Sprintf("+%-8s %-8s %-18s %s", alert.ShortDuration(e.At.Sub(t0)), e.Stage, alert.OneLine(e.Actor), alert.OneLine(e.Message)))
	}
	return out
}

// String summarises the result for a failing test: status, calls and the
// timeline.
func (r *Result) String() string {
	open := ""
	if r.Open {
		open = " (still open)"
	}
	return fmt.Sprintf("status %s%s at %s; calls %v; refused %v\n%s", r.Status, open, r.Tier, r.Calls, r.Refused, strings.Join(r.Lines(), "\n"))
}

// Lookup answers the intel source from Options.Intel.
func (f *fakes) Lookup(indicator string) []alert.IntelHit { return f.intel[indicator] }

// onlineIntel answers the online provider from Options.Intel, as
// "virustotal".
type onlineIntel struct{ f *fakes }

func (o onlineIntel) Lookup(_ context.Context, indicator string) ([]alert.IntelHit, error) {
	var out []alert.IntelHit
	for _, h := range o.f.intel[indicator] {
		h.Source = "virustotal"
		out = append(out, h)
	}
	return out, nil
}

// Related answers the events source from Options.Events, newest first.
func (f *fakes) Related(_ context.Context, q activities.RelatedQuery) ([]alert.RelatedEvent, error) {
	var out []alert.RelatedEvent
	in := func(vals []string, v string) bool {
		return v != "" && slices.ContainsFunc(vals, func(x string) bool { return strings.EqualFold(x, v) })
	}
	for i := len(f.events) - 1; i >= 0; i-- {
		e := f.events[i]
		if e.Time.After(q.Before) || (q.Window > 0 && e.Time.Before(q.Before.Add(-q.Window))) {
			continue
		}
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.Kind) {
			continue
		}
		if in(q.Hosts, e.Host) || in(q.Users, e.User) || in(q.IPs, e.SrcIP) || in(q.IPs, e.DstIP) || in(q.Domains, e.Domain) {
			out = append(out, alert.RelatedEvent{Time: e.Time, Kind: e.Kind, Summary: e.Summary, Host: e.Host, User: e.User})
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Do implements activities.HTTPTargets from Options.HTTP.
func (f *fakes) Do(_ context.Context, c webhook.Call) (webhook.Response, error) {
	method := strings.ToUpper(cmp.Or(c.Method, "GET"))
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("http %s %s %s", method, c.Target, c.Path))
	f.mu.Unlock()
	status, body := 200, "" // nil HTTP: every call succeeds
	if f.http != nil {
		status, body = f.http(c.Target, method, c.Path, c.Body)
	}
	res := webhook.Response{Status: status, Body: body}
	if status < 200 || status > 299 {
		return res, &httpx.StatusError{Method: method, URL: c.Target + " " + c.Path, Code: status, Body: body}
	}
	return res, nil
}
