// Package incidents is the read and decide side of socflow, shared by the
// HTTP API and the CLI: it lists incidents through Temporal visibility,
// reads one through its queries, pages its case file, and sends decisions
// as the decide update.
package incidents

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/workflows"
)

// ErrNotFound means no incident has that key (or its history is past the
// namespace's retention).
var ErrNotFound = errors.New("incident not found")

// ErrBadRequest marks a mistake in what the caller asked for (a filter, an
// incident key), which the API answers with 400 and the CLI as a usage
// error, rather than passing it to Temporal to fail there.
var ErrBadRequest = errors.New("bad request")

// MaxKeyBytes bounds an incident key: the workflow ID "incident/<key>"
// stays within Temporal's default limit of 1,000 bytes for an ID.
const MaxKeyBytes = 1000 - len("incident/")

// CheckKey refuses an incident key that no incident can have: empty, too
// long, not UTF-8, or with a control character (a NUL, an escape
// sequence that would rewrite a terminal), naming what is wrong.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: the incident key is empty", ErrBadRequest)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: the incident key is %d bytes, at most %d", ErrBadRequest, len(key), MaxKeyBytes)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: the incident key %q is not valid UTF-8", ErrBadRequest, key)
	}
	for i, r := range key {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: the incident key %q has a control character at byte %d", ErrBadRequest, key, i)
		}
	}
	return nil
}

// statuses are the values ListOptions.Status may take.
var statuses = []string{
	workflows.StatusOpen, workflows.StatusAwaiting, workflows.StatusContaining, workflows.StatusContained,
	workflows.StatusPartial, workflows.StatusDenied, workflows.StatusFalsePositive, workflows.StatusClosed, workflows.StatusNoAction, workflows.StatusUnverified, workflows.StatusRevertFailed, workflows.StatusLeaseEnded,
}

// Statuses are the values ListOptions.Status may take, for a form to
// offer.
func Statuses() []string { return slices.Clone(statuses) }

// RejectedError is a decision the incident refused, with its reason.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "decision refused: " + e.Reason }

// Service reads and decides incidents.
type Service struct {
	Client    client.Client
	Namespace string
	// Cases, when set, pages the timeline, alerts and occurrence IDs from
	// the case file (pages.go); without it they come from the workflow.
	Cases CaseReader
	// Converter reads memos, which the workers' data converter wrote (and
	// its codec encrypted); nil is the SDK's default. Search attributes
	// are always in clear and read with the default converter.
	Converter converter.DataConverter
	// Now is the clock a list judges SLA states by; nil is time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// slaState is an incident's SLA state as of now, from its memo. Only a
// run that completed closed the incident; one that ended otherwise
// (terminated, timed out, continued as new) is judged as of its end, since
// no deadline can be met in it any more.
func slaState(m workflows.SLAMemo, sum Summary, completed bool, now time.Time) string {
	ms := m.Milestones
	if completed {
		ms.Closed = sum.ClosedAt
	}
	if !sum.Running && !sum.ClosedAt.IsZero() {
		now = sum.ClosedAt
	}
	return ms.ForStatus(sum.Status).SLAState(now, m.DueSoon)
}

func (s *Service) converter() converter.DataConverter {
	if s.Converter == nil {
		return converter.GetDefaultDataConverter()
	}
	return s.Converter
}

// Summary is one line of an incident list, read from visibility without
// touching the workflow.
type Summary struct {
	ID        string    `json:"id"`
	RunID     string    `json:"run_id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	Running   bool      `json:"running"`
	Priority  string    `json:"priority"`
	Score     int64     `json:"score"`
	Tier      string    `json:"tier"`
	Host      string    `json:"host,omitempty"`
	User      string    `json:"user,omitempty"`
	Rule      string    `json:"rule,omitempty"`
	Playbook  string    `json:"playbook,omitempty"`
	Alerts    int       `json:"alerts"`
	StartedAt time.Time `json:"started_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	// Drill marks an escalation drill's incident (SocflowDrill), so that
	// a list can tell rehearsals from real incidents.
	Drill bool `json:"drill,omitempty"`
	// SLA is where the incident stands against its tier's time to
	// respond: SLAOnTime, SLADueSoon or SLABreached, or "" when no SLA
	// applies (or it is not known yet).
	SLA string `json:"sla,omitempty"`
}

// The values of Summary.SLA (alert.SLAState's).
const (
	SLAOnTime   = alert.SLAOnTime
	SLADueSoon  = alert.SLADueSoon
	SLABreached = alert.SLABreached
)

// ByUrgency orders summaries for a responder's queue: the most urgent
// priority first (P1 before P4, an unknown priority last), and within a
// priority the oldest first, since it has waited longest.
func ByUrgency(a, b Summary) int {
	return cmp.Or(
		cmp.Compare(alert.Priority(b.Priority).Rank(), alert.Priority(a.Priority).Rank()),
		a.StartedAt.Compare(b.StartedAt),
		cmp.Compare(a.ID, b.ID),
	)
}

// ListOptions filters a list. Every field is optional; the zero value
// lists every incident.
type ListOptions struct {
	// Status is a socflow status ("awaiting_decision"); empty lists all.
	Status   string
	Priority string
	// OpenOnly lists only running incidents.
	OpenOnly bool
	Limit    int
	// Tier is the tier the incident is with ("T1", "IR"); tiers are the
	// policy's to name, so any printable value is accepted.
	Tier string
	// Entity matches the incident's primary host or primary user
	// (SocflowHost or SocflowUser), whichever it is.
	Entity string
	// Rule is the detection rule of the incident's first alert.
	Rule string
	// Since and Until bound the incident's start time: Since inclusive,
	// Until exclusive; zero leaves that side open.
	Since, Until time.Time
	// Drill picks drills (DrillOnly), real incidents (DrillReal) or both
	// (DrillAny, the zero value).
	Drill DrillFilter
}

// DrillFilter says whether a list shows escalation drills.
type DrillFilter string

// The values of ListOptions.Drill.
const (
	DrillAny  DrillFilter = ""
	DrillOnly DrillFilter = "drill"
	DrillReal DrillFilter = "real"
)

// maxFilterBytes bounds a free-text filter (tier, entity, rule): longer
// than any keyword search attribute socflow writes.
const maxFilterBytes = 256

// Validate refuses a filter no incident can match, naming the field and
// the values it takes: the visibility query would only match nothing (or,
// for a stray backslash, fail as Temporal's parser reads it).
func (o ListOptions) Validate() error {
	if o.Status != "" && !slices.Contains(statuses, o.Status) {
		return fmt.Errorf("%w: status must be one of %s, got %q", ErrBadRequest, strings.Join(statuses, ", "), o.Status)
	}
	if o.Priority != "" && !slices.Contains([]string{"P1", "P2", "P3", "P4"}, strings.ToUpper(o.Priority)) {
		return fmt.Errorf("%w: priority must be P1, P2, P3 or P4, got %q", ErrBadRequest, o.Priority)
	}
	for _, f := range []struct{ name, v string }{{"tier", o.Tier}, {"entity", o.Entity}, {"rule", o.Rule}} {
		if err := checkFilter(f.name, f.v); err != nil {
			return err
		}
	}
	if !o.Since.IsZero() && !o.Until.IsZero() && !o.Until.After(o.Since) {
		return fmt.Errorf("%w: until (%s) must be after since (%s)", ErrBadRequest,
			o.Until.UTC().Format(time.RFC3339), o.Since.UTC().Format(time.RFC3339))
	}
	switch o.Drill {
	case DrillAny, DrillOnly, DrillReal:
	default:
		return fmt.Errorf("%w: drill must be %q or %q (or empty for both), got %q", ErrBadRequest, DrillOnly, DrillReal, string(o.Drill))
	}
	return nil
}

// checkFilter refuses a free-text filter that no search attribute holds:
// too long, not UTF-8, or with a control character.
func checkFilter(name, v string) error {
	switch {
	case len(v) > maxFilterBytes:
		return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrBadRequest, name, len(v), maxFilterBytes)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrBadRequest, name, v)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("%w: %s %q has leading or trailing spaces", ErrBadRequest, name, v)
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s %q has a control character at byte %d", ErrBadRequest, name, v, i)
		}
	}
	return nil
}

// Query builds the visibility query for the options.
func (o ListOptions) Query() string {
	q := []string{fmt.Sprintf("WorkflowType = '%s'", workflows.IncidentType)}
	if o.Status != "" {
		q = append(q, fmt.Sprintf("SocflowStatus = '%s'", quote(o.Status)))
	}
	if o.Priority != "" {
		q = append(q, fmt.Sprintf("SocflowPriority = '%s'", quote(strings.ToUpper(o.Priority))))
	}
	if o.OpenOnly {
		q = append(q, "ExecutionStatus = 'Running'")
	}
	if o.Tier != "" {
		q = append(q, fmt.Sprintf("SocflowTier = '%s'", quote(o.Tier)))
	}
	if o.Entity != "" {
		// Workflows write hosts and users lower-cased (alert.PrimaryHost).
		e := quote(strings.ToLower(o.Entity))
		q = append(q, fmt.Sprintf("(SocflowHost = '%s' OR SocflowUser = '%s')", e, e))
	}
	if o.Rule != "" {
		q = append(q, fmt.Sprintf("SocflowRule = '%s'", quote(o.Rule)))
	}
	if !o.Since.IsZero() {
		q = append(q, fmt.Sprintf("StartTime >= '%s'", o.Since.UTC().Format(time.RFC3339Nano)))
	}
	if !o.Until.IsZero() {
		q = append(q, fmt.Sprintf("StartTime < '%s'", o.Until.UTC().Format(time.RFC3339Nano)))
	}
	switch o.Drill {
	case DrillOnly:
		q = append(q, "SocflowDrill = true")
	case DrillReal:
		// An incident from before SocflowDrill was set has none: real.
		q = append(q, "(SocflowDrill = false OR SocflowDrill IS NULL)")
	}
	// No ORDER BY: SQL visibility stores (SQLite, PostgreSQL) refuse it;
	// List sorts what it fetched.
	return strings.Join(q, " AND ")
}

// quote escapes a value for a single-quoted string of the visibility
// query: Temporal's parser reads a backslash as an escape, so it is
// doubled first, then each quote.
func quote(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''")
}

// List returns the newest incidents first.
func (s *Service) List(ctx context.Context, o ListOptions) ([]Summary, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	limit := o.Limit
	if limit <= 0 {
		limit = 50
	}
	now := s.now() // one clock for every row
	var out []Summary
	var token []byte
	for len(out) < limit {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.Namespace, Query: o.Query(), PageSize: int32(min(limit, 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("incidents: list: %w", err)
		}
		for _, e := range resp.Executions {
			sum := Summary{
				ID:        e.GetExecution().GetWorkflowId(),
				RunID:     e.GetExecution().GetRunId(),
				Running:   e.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING,
				StartedAt: e.GetStartTime().AsTime(),
			}
			if ct := e.GetCloseTime(); ct != nil {
				sum.ClosedAt = ct.AsTime()
			}
			sa := e.GetSearchAttributes().GetIndexedFields()
			sum.Status = keyword(sa, workflows.SAStatus)
			sum.Priority = keyword(sa, workflows.SAPriority)
			sum.Score = integer(sa, workflows.SAScore)
			sum.Tier = keyword(sa, workflows.SATier)
			sum.Host = keyword(sa, workflows.SAHost)
			sum.User = keyword(sa, workflows.SAUser)
			sum.Rule = keyword(sa, workflows.SARule)
			sum.Playbook = keyword(sa, workflows.SAPlaybook)
			sum.Drill = boolean(sa, workflows.SADrill)
			if !sum.Running && e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				sum.Status = strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_"))
			}
			memo := e.GetMemo().GetFields()
			if p := memo[workflows.MemoTitle]; p != nil {
				_ = s.converter().FromPayload(p, &sum.Title)
			}
			if p := memo[workflows.MemoAlerts]; p != nil {
				_ = s.converter().FromPayload(p, &sum.Alerts)
			}
			if p := memo[workflows.MemoSLA]; p != nil {
				var m workflows.SLAMemo
				if s.converter().FromPayload(p, &m) == nil {
					sum.SLA = slaState(m, sum, e.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, now)
				}
			}
			out = append(out, sum)
			if len(out) == limit {
				break
			}
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out, nil
}

// Get returns an incident's whole state through its status query. It
// works on closed incidents too, as long as their history is retained.
func (s *Service) Get(ctx context.Context, key string) (*workflows.IncidentState, error) {
	var st workflows.IncidentState
	if err := s.query(ctx, key, workflows.QueryStatus, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (s *Service) query(ctx context.Context, key, name string, out any) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	v, err := s.Client.QueryWorkflow(ctx, id, "", name)
	if err != nil {
		return classify("query "+id, err)
	}
	if err := v.Get(out); err != nil {
		return fmt.Errorf("incidents: decode %s of %s: %w", name, id, err)
	}
	return nil
}

// Decide sends a decision and waits until the incident has accepted or
// refused it.
func (s *Service) Decide(ctx context.Context, key string, in workflows.DecideInput) (*workflows.DecideResult, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	var res workflows.DecideResult
	if err := s.update(ctx, id, workflows.UpdateDecide, in, &res); err != nil {
		return nil, s.refused(ctx, id, in, classify("decide "+id, err))
	}
	return &res, nil
}

// Answer sends an answer to a playbook's question and waits until the
// incident has accepted or refused it.
func (s *Service) Answer(ctx context.Context, key string, in workflows.AnswerInput) (*workflows.AnswerResult, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	var res workflows.AnswerResult
	if err := s.update(ctx, id, workflows.UpdateAnswer, in, &res); err != nil {
		return nil, classify("answer "+id, err)
	}
	return &res, nil
}

// update sends an Update to the incident and waits for its result: the
// incident's validator refuses it, or its handler answers.
func (s *Service) update(ctx context.Context, id, name string, in, out any) error {
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: []any{in}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

// refused records a refused decision in the incident's timeline: the
// validator that refused it cannot write to the incident. Best effort: the
// refusal itself is what the caller must see.
func (s *Service) refused(ctx context.Context, id string, in workflows.DecideInput, err error) error {
	var rej *RejectedError
	if errors.As(err, &rej) {
		_ = s.Client.SignalWorkflow(ctx, id, "", workflows.SignalAttempt, workflows.AttemptSignal{
			Verdict: in.Verdict, By: in.By, Via: in.Via, Reason: rej.Reason,
		})
	}
	return err
}

// classify maps Temporal's errors onto this package's: a missing workflow is
// ErrNotFound, a refused update a *RejectedError.
func classify(op string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("incidents: %s: %w", op, ErrNotFound)
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return &RejectedError{Reason: ae.Error()}
	}
	return fmt.Errorf("incidents: %s: %w", op, err)
}

// keyword and integer read search attributes from a visibility record; a
// missing or unreadable one reads as the zero value, as the UI shows it.
func keyword(sa map[string]*commonpb.Payload, key temporal.SearchAttributeKeyKeyword) string {
	var v string
	if p := sa[key.GetName()]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &v)
	}
	return v
}

func boolean(sa map[string]*commonpb.Payload, key temporal.SearchAttributeKeyBool) bool {
	var v bool
	if p := sa[key.GetName()]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &v)
	}
	return v
}

func integer(sa map[string]*commonpb.Payload, key temporal.SearchAttributeKeyInt64) int64 {
	var v int64
	if p := sa[key.GetName()]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &v)
	}
	return v
}

// AlertRun returns one alert run's state through its status query: the
// alert as it arrived (its entities included), which the incident and its
// case file keep only in summary. workflowID is the run's
// ("alert/<fingerprint>", as an incident's alerts name it).
func (s *Service) AlertRun(ctx context.Context, workflowID string) (*workflows.AlertState, error) {
	fp, ok := strings.CutPrefix(workflowID, "alert/")
	if !ok || CheckKey(fp) != nil {
		return nil, fmt.Errorf("%w: %q is not an alert run's workflow ID (alert/<fingerprint>)", ErrBadRequest, workflowID)
	}
	v, err := s.Client.QueryWorkflow(ctx, workflowID, "", workflows.QueryStatus)
	if err != nil {
		return nil, classify("query "+workflowID, err)
	}
	var st workflows.AlertState
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("incidents: decode %s of %s: %w", workflows.QueryStatus, workflowID, err)
	}
	return &st, nil
}
