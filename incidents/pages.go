package incidents

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// CaseReader pages incidents' case files (events.SQLStore): the bulky
// record that workflows keep outside Temporal.
type CaseReader interface {
	CaseTimeline(ctx context.Context, q events.CaseQuery) (events.CasePage[events.CaseLine], error)
	CaseAlerts(ctx context.Context, q events.CaseQuery) (events.CasePage[events.CaseAlert], error)
	CaseOccurrenceIDs(ctx context.Context, q events.CaseQuery, workflowID string) (events.CasePage[string], error)
}

// ErrBadCursor means a page's cursor is not one its listing returned.
var ErrBadCursor = errors.New("bad cursor")

// ErrAlertNotFound means the incident has no alert of that fingerprint.
var ErrAlertNotFound = errors.New("alert not found")

// Page asks for one page of an incident's timeline, alerts or occurrence
// IDs. The zero Page is the first page, of the default size, of the
// incident's newest case.
type Page struct {
	// CaseID picks one of the incident's cases in the case file (an
	// incident reopened next week is a new case); empty is the newest.
	CaseID string
	// Cursor is the NextCursor of the previous page.
	Cursor string
	// Limit bounds the page: zero means events.DefaultCaseLimit, more
	// than events.MaxCaseLimit means that.
	Limit int
}

// Where a page came from.
const (
	// SourceCaseFile is the case file, which has every entry.
	SourceCaseFile = "case_file"
	// SourceWorkflow is the workflow's own query: the only source without
	// a case file, and for incidents the case file does not have (yet).
	SourceWorkflow = "workflow"
)

// TimelinePage is a page of an incident's audit trail, oldest first. Its
// events field is where the whole timeline used to be.
type TimelinePage struct {
	ID         string                `json:"id"`
	CaseID     string                `json:"case_id,omitempty"`
	Source     string                `json:"source"`
	Events     []alert.TimelineEvent `json:"events"`
	NextCursor string                `json:"next_cursor,omitempty"`
	Total      int                   `json:"total"`
}

// AlertsPage is a page of an incident's alerts, highest score first.
type AlertsPage struct {
	ID         string             `json:"id"`
	CaseID     string             `json:"case_id,omitempty"`
	Source     string             `json:"source"`
	Alerts     []events.CaseAlert `json:"alerts"`
	NextCursor string             `json:"next_cursor,omitempty"`
	Total      int                `json:"total"`
}

// AlertIDsPage is a page of the source IDs of one alert's occurrences, in
// the order they arrived. From the workflow, they are the first
// workflows.MaxRefIDs only.
type AlertIDsPage struct {
	ID         string   `json:"id"`
	WorkflowID string   `json:"workflow_id"`
	CaseID     string   `json:"case_id,omitempty"`
	Source     string   `json:"source"`
	IDs        []string `json:"ids"`
	NextCursor string   `json:"next_cursor,omitempty"`
	Total      int      `json:"total"`
}

// Timeline returns a page of an incident's audit trail from the case
// file, or from the workflow's timeline query when there is no case file
// or it does not have the incident. The workflow writes the case file in
// batches a few seconds apart, so its latest lines are added from the
// workflow (see withLatest).
func (s *Service) Timeline(ctx context.Context, key string, p Page) (*TimelinePage, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	if s.useCases(p) {
		cp, err := s.Cases.CaseTimeline(ctx, caseQuery(id, p))
		if err == nil {
			return s.withLatest(ctx, key, p, cp)
		}
		if !fallBack(err, p) {
			return nil, caseError("timeline of "+id, err)
		}
	}
	var tl workflows.TimelineResult
	if err := s.query(ctx, key, workflows.QueryTimeline, &tl); err != nil {
		return nil, err
	}
	return pageWorkflowTimeline(id, tl.Events, max(tl.Total, len(tl.Events)), p)
}

// pageWorkflowTimeline pages the lines the workflow holds: all of them,
// or the latest of total.
func pageWorkflowTimeline(id string, lines []alert.TimelineEvent, total int, p Page) (*TimelinePage, error) {
	evs, next, err := slicePage(lines, p)
	if err != nil {
		return nil, fmt.Errorf("incidents: timeline of %s: %w", id, err)
	}
	return &TimelinePage{ID: id, Source: SourceWorkflow, Events: evs, NextCursor: next, Total: total}, nil
}

// withLatest makes a page of the case file's timeline current: the last
// page gets the workflow's latest lines that the case file has not
// received yet (as many as the page has room for), and the first page of
// the newest case is the workflow's own when the workflow has moved on
// to a case that the case file does not have yet (an incident reopened a
// moment ago). Asking the workflow is best effort: when it cannot answer
// (Temporal down, history past retention), the case file's page stands.
func (s *Service) withLatest(ctx context.Context, key string, p Page, cp events.CasePage[events.CaseLine]) (*TimelinePage, error) {
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	page := &TimelinePage{ID: id, CaseID: cp.CaseID, Source: SourceCaseFile, Events: make([]alert.TimelineEvent, len(cp.Items)),
		NextCursor: cp.Next, Total: cp.Total}
	for i, l := range cp.Items {
		page.Events[i] = l.TimelineEvent
	}
	newest := p.Cursor == "" && p.CaseID == ""
	if s.Client == nil || (cp.Next != "" && !newest) {
		return page, nil
	}
	st, err := s.Get(ctx, key)
	if err != nil || st.CaseID == "" {
		return page, nil
	}
	if st.CaseID != cp.CaseID {
		if newest {
			return pageWorkflowTimeline(id, st.Timeline, max(st.TimelineTotal, len(st.Timeline)), Page{Limit: p.Limit})
		}
		return page, nil
	}
	page.Total = max(page.Total, st.TimelineTotal)
	if cp.Next != "" {
		return page, nil
	}
	last := -1
	if n := len(cp.Items); n > 0 {
		last = cp.Items[n-1].Position
	} else if p.Cursor != "" {
		// The store accepted the cursor, so it reads.
		last, _ = events.TimelineAfter(p.Cursor)
	}
	limit := cmp.Or(min(p.Limit, events.MaxCaseLimit), events.DefaultCaseLimit)
	first := max(st.TimelineTotal-len(st.Timeline), 0)
	for i, e := range st.Timeline {
		if pos := first + i; pos > last {
			if len(page.Events) == limit {
				// The rest on the next page, after the last line shown.
				page.NextCursor = events.TimelineCursor(cp.CaseID, last)
				break
			}
			page.Events, last = append(page.Events, e), pos
		}
	}
	return page, nil
}

// Alerts returns a page of an incident's alerts from the case file, or
// the top alerts the workflow keeps when the case file does not have it.
func (s *Service) Alerts(ctx context.Context, key string, p Page) (*AlertsPage, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	if s.useCases(p) {
		cp, err := s.Cases.CaseAlerts(ctx, caseQuery(id, p))
		if err == nil {
			return &AlertsPage{ID: id, CaseID: cp.CaseID, Source: SourceCaseFile, Alerts: cp.Items, NextCursor: cp.Next, Total: cp.Total}, nil
		}
		if !fallBack(err, p) {
			return nil, caseError("alerts of "+id, err)
		}
	}
	st, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	all := make([]events.CaseAlert, len(st.Alerts))
	for i, a := range st.Alerts {
		all[i] = events.CaseAlert{
			WorkflowID: a.WorkflowID, AlertID: a.AlertID, Source: a.Source, Rule: a.Rule, Title: a.Title,
			Severity: a.Severity, Score: a.Score, Occurrences: a.Occurrences, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen,
		}
	}
	// The case file's order, so that a listing reads the same from both.
	slices.SortStableFunc(all, func(a, b events.CaseAlert) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.WorkflowID, b.WorkflowID))
	})
	page, next, err := slicePage(all, p)
	if err != nil {
		return nil, fmt.Errorf("incidents: alerts of %s: %w", id, err)
	}
	return &AlertsPage{ID: id, Source: SourceWorkflow, Alerts: page, NextCursor: next, Total: len(all)}, nil
}

// AlertIDs returns a page of the source IDs of one alert's occurrences
// in an incident; fingerprint is the alert's ("suricata-0113a1...") or
// its run's ID ("alert/suricata-0113a1...").
func (s *Service) AlertIDs(ctx context.Context, key, fingerprint string, p Page) (*AlertIDsPage, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	id := workflows.IncidentWorkflowID(workflows.IncidentKey(key))
	wf := workflows.AlertWorkflowID(strings.TrimPrefix(strings.TrimSpace(fingerprint), "alert/"))
	if s.useCases(p) {
		cp, err := s.Cases.CaseOccurrenceIDs(ctx, caseQuery(id, p), wf)
		if err == nil {
			return &AlertIDsPage{ID: id, WorkflowID: wf, CaseID: cp.CaseID, Source: SourceCaseFile, IDs: cp.Items, NextCursor: cp.Next, Total: cp.Total}, nil
		}
		if !fallBack(err, p) {
			return nil, caseError("ids of "+wf+" in "+id, err)
		}
	}
	st, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(st.Alerts, func(a workflows.AlertRef) bool { return a.WorkflowID == wf })
	if i < 0 {
		return nil, fmt.Errorf("incidents: %s in %s: %w", wf, id, ErrAlertNotFound)
	}
	ids, next, err := slicePage(st.Alerts[i].IDs, p)
	if err != nil {
		return nil, fmt.Errorf("incidents: ids of %s in %s: %w", wf, id, err)
	}
	return &AlertIDsPage{ID: id, WorkflowID: wf, Source: SourceWorkflow, IDs: ids, NextCursor: next, Total: len(st.Alerts[i].IDs)}, nil
}

// useCases reports whether a page is asked of the case file: there is
// one, and the cursor is not one of a listing that came from the
// workflow, which must go on where it started.
func (s *Service) useCases(p Page) bool {
	return s.Cases != nil && !strings.HasPrefix(p.Cursor, workflowCursor)
}

// fallBack reports whether a case file error sends the first page to the
// workflow instead: the case file has nothing of the incident (or of the
// alert), and the caller asked for no particular case or place in it.
func fallBack(err error, p Page) bool {
	return p.CaseID == "" && p.Cursor == "" && (errors.Is(err, events.ErrNoCase) || errors.Is(err, events.ErrNoCaseAlert))
}

func caseQuery(id string, p Page) events.CaseQuery {
	return events.CaseQuery{IncidentID: id, CaseID: p.CaseID, Cursor: p.Cursor, Limit: p.Limit}
}

// caseError maps the case file's errors onto this package's.
func caseError(op string, err error) error {
	switch {
	case errors.Is(err, events.ErrBadCursor):
		return fmt.Errorf("incidents: %s: %w: %s", op, ErrBadCursor, reason(err, events.ErrBadCursor))
	case errors.Is(err, events.ErrNoCase):
		return fmt.Errorf("incidents: %s: %s: %w", op, reason(err, events.ErrNoCase), ErrNotFound)
	case errors.Is(err, events.ErrNoCaseAlert):
		return fmt.Errorf("incidents: %s: %w", op, ErrAlertNotFound)
	}
	return fmt.Errorf("incidents: %s: case file: %w", op, err)
}

// reason is what an error says beyond its sentinel's own text.
func reason(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

// workflowCursor starts the cursors of listings paged from the workflow:
// an offset, since the query answers with the whole list. The case file's
// cursors are base64url JSON, which never starts so.
const workflowCursor = "workflow:"

// slicePage cuts one page out of a list the workflow returned whole.
func slicePage[T any](all []T, p Page) ([]T, string, error) {
	if p.CaseID != "" {
		// The workflow knows only its current case, and has no ID for it
		// to compare.
		return nil, "", fmt.Errorf("case %q: %w (no case file has it)", p.CaseID, ErrNotFound)
	}
	limit := p.Limit
	switch {
	case limit < 0:
		return nil, "", fmt.Errorf("limit must not be negative, got %d", limit)
	case limit == 0:
		limit = events.DefaultCaseLimit
	}
	limit = min(limit, events.MaxCaseLimit)
	start := 0
	if p.Cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(p.Cursor, workflowCursor))
		if !strings.HasPrefix(p.Cursor, workflowCursor) || err != nil || n < 0 {
			return nil, "", fmt.Errorf("%w: not one this listing returned", ErrBadCursor)
		}
		start = min(n, len(all))
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = workflowCursor + strconv.Itoa(end)
	}
	return append([]T{}, all[start:end]...), next, nil
}
