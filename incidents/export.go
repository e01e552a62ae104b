package incidents

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// Export is an incident's post-incident record in one piece: what it was,
// every alert and every timeline line (read from the case file to the end,
// nothing truncated), the context packet, the decisions and the
// containment record. It is what `incident timeline -o md|json` and the
// web view's downloads write.
type Export struct {
	ID       string      `json:"id"`
	Key      string      `json:"key"`
	CaseID   string      `json:"case_id,omitempty"`
	Title    string      `json:"title"`
	Status   string      `json:"status"`
	Tier     string      `json:"tier"`
	Playbook string      `json:"playbook,omitempty"`
	Drill    bool        `json:"drill,omitempty"`
	Score    alert.Score `json:"score"`
	// Trigger names the escalation trigger that sent the incident to
	// incident response, if one did.
	Trigger        string    `json:"trigger,omitempty"`
	Hosts          []string  `json:"hosts,omitempty"`
	Users          []string  `json:"users,omitempty"`
	SourceIPs      []string  `json:"source_ips,omitempty"`
	DestinationIPs []string  `json:"destination_ips,omitempty"`
	OpenedAt       time.Time `json:"opened_at"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	TicketKey      string    `json:"ticket_key,omitempty"`
	TicketURL      string    `json:"ticket_url,omitempty"`
	// Alerts are every alert that joined, from the case file, highest
	// score first.
	Alerts  []events.CaseAlert  `json:"alerts"`
	Context alert.ContextPacket `json:"context"`
	// Decisions are the decisions the incident holds (DecisionsOmitted
	// counts older ones it let go; the timeline has every one).
	Decisions        []alert.Decision `json:"decisions"`
	DecisionsOmitted int              `json:"decisions_omitted,omitempty"`
	// Proposed are the actions last proposed, Results the containment
	// record: every action taken, with its verification and lease.
	Proposed []alert.Action       `json:"proposed,omitempty"`
	Results  []alert.ActionResult `json:"results"`
	Metrics  workflows.Metrics    `json:"metrics"`
	// Timeline is the whole audit trail, oldest first.
	Timeline []alert.TimelineEvent `json:"timeline"`
	// GeneratedAt is when the export was taken: an open incident's
	// record grows after it.
	GeneratedAt time.Time `json:"generated_at"`
}

// ExportSource is what an export reads (Service, and the CLI's and the
// API's views of it).
type ExportSource interface {
	Get(ctx context.Context, key string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, key string, p Page) (*TimelinePage, error)
	Alerts(ctx context.Context, key string, p Page) (*AlertsPage, error)
}

// Export gathers the incident's post-incident record (see Collect).
func (s *Service) Export(ctx context.Context, key string) (*Export, error) {
	return Collect(ctx, s, key, time.Now())
}

// maxExportPages bounds the pages an export follows, so that a listing
// whose cursors never end (a bug, a store that answers the same page)
// cannot loop for ever: 10,000 pages of MaxCaseLimit lines is far beyond
// any incident.
const maxExportPages = 10000

// errEndless is a listing that went on past maxExportPages.
var errEndless = errors.New("incidents: export: the listing did not end")

// Collect gathers key's post-incident record from src: the incident's
// state, then its alerts and its timeline, each paged to the end by
// cursor. now dates the export.
func Collect(ctx context.Context, src ExportSource, key string, now time.Time) (*Export, error) {
	st, err := src.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	e := &Export{
		ID: st.ID, Key: st.Key, CaseID: st.CaseID, Title: st.Title, Status: st.Status, Tier: st.Tier, Playbook: st.Playbook,
		Drill: st.Drill, Score: st.Score, Trigger: st.Trigger, Hosts: st.Hosts, Users: st.Users, SourceIPs: st.SourceIPs,
		DestinationIPs: st.DestinationIPs, OpenedAt: st.OpenedAt, ClosedAt: st.ClosedAt, TicketKey: st.TicketKey,
		TicketURL: st.TicketURL, Context: st.Context, Decisions: st.Decisions, DecisionsOmitted: st.Omitted.Decisions,
		Proposed: st.Proposed, Results: st.Results, Metrics: st.Metrics, GeneratedAt: now.UTC(),
	}
	if e.Decisions == nil {
		e.Decisions = []alert.Decision{}
	}
	if e.Results == nil {
		e.Results = []alert.ActionResult{}
	}
	e.Alerts, err = readAll(func(p Page) ([]events.CaseAlert, string, error) {
		ap, err := src.Alerts(ctx, key, p)
		if err != nil {
			return nil, "", err
		}
		return ap.Alerts, ap.NextCursor, nil
	})
	if err != nil {
		return nil, err
	}
	e.Alerts = MergeAlerts(e.Alerts, st.Alerts)
	e.Timeline, err = readAll(func(p Page) ([]alert.TimelineEvent, string, error) {
		tp, err := src.Timeline(ctx, key, p)
		if err != nil {
			return nil, "", err
		}
		if e.CaseID == "" {
			e.CaseID = tp.CaseID
		}
		return tp.Events, tp.NextCursor, nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// readAll follows a listing's cursors from its first page to its last,
// in pages as large as the case file gives.
func readAll[T any](page func(Page) ([]T, string, error)) ([]T, error) {
	out := []T{}
	p := Page{Limit: events.MaxCaseLimit}
	seen := map[string]bool{}
	for range maxExportPages {
		items, next, err := page(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("%w: cursor %q came back twice", errEndless, next)
		}
		seen[next] = true
		// The cursor names the case, so later pages stay on the first's.
		p = Page{Cursor: next, Limit: events.MaxCaseLimit}
	}
	return nil, fmt.Errorf("%w after %d pages", errEndless, maxExportPages)
}

// WriteMarkdown renders an export as a Markdown report for a
// post-incident review. Everything that came from an alert or a vendor
// (titles, rule names, entity names, timeline text) is flattened to one
// line and escaped with [alert.MarkdownText], so that a hostile alert can
// neither inject HTML into the rendered report nor forge its structure.
func WriteMarkdown(w io.Writer, e *Export) error {
	b := &mdWriter{w: w}
	t := alert.MarkdownText
	b.printf("# Incident %s: %s\n\n", t(e.Key), t(e.Title))
	if e.Drill {
		b.printf("> **Drill**: this incident was raised by an escalation drill; nothing was contained for real.\n\n")
	}
	b.printf("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			b.printf("| %s | %s |\n", k, v)
		}
	}
	row("Workflow", t(e.ID))
	row("Case", t(e.CaseID))
	row("Status", enum(e.Status))
	row("Priority", t(string(e.Score.Priority)))
	row("Score", fmt.Sprintf("%d", e.Score.Value))
	row("Tier", t(e.Tier))
	row("Playbook", t(e.Playbook))
	row("Escalation trigger", t(e.Trigger))
	row("Opened", mdTime(e.OpenedAt))
	row("Closed", mdTime(e.ClosedAt))
	row("Hosts", t(strings.Join(e.Hosts, ", ")))
	row("Users", t(strings.Join(e.Users, ", ")))
	row("Source IPs", t(strings.Join(e.SourceIPs, ", ")))
	row("Destination IPs", t(strings.Join(e.DestinationIPs, ", ")))
	if e.TicketURL != "" {
		row("Ticket", fmt.Sprintf("[%s](%s)", t(cmp.Or(e.TicketKey, e.TicketURL)), markdownURL(e.TicketURL)))
	} else {
		row("Ticket", t(e.TicketKey))
	}
	row("Time to enrich", mdDur(e.Metrics.TimeToEnrich))
	row("Time to decide", mdDur(e.Metrics.TimeToDecide))
	row("Time to contain", mdDur(e.Metrics.TimeToContain))
	row("Report generated", mdTime(e.GeneratedAt))

	b.printf("\n## Score\n\n%d (%s)", e.Score.Value, t(string(e.Score.Priority)))
	if e.Score.SSVC != "" {
		b.printf(", SSVC %s", t(e.Score.SSVC))
	}
	b.printf("\n\n")
	if len(e.Score.Factors) > 0 {
		b.printf("| Factor | Effect | Detail |\n|---|---|---|\n")
		for _, f := range e.Score.Factors {
			b.printf("| %s | %s | %s |\n", t(f.Name), t(f.Effect), t(f.Detail))
		}
		b.printf("\n")
	}

	b.printf("## Alerts (%d)\n\n", len(e.Alerts))
	if len(e.Alerts) == 0 {
		b.printf("None recorded.\n\n")
	} else {
		b.printf("| First seen | Source | Rule | Title | Severity | Score | Occurrences |\n|---|---|---|---|---|---|---|\n")
		for _, a := range byFirstSeen(e.Alerts) {
			b.printf("| %s | %s | %s | %s | %s | %d | %d |\n", mdTime(a.FirstSeen), t(a.Source), t(a.Rule), t(a.Title),
				t(string(a.Severity)), a.Score, a.Occurrences)
		}
		b.printf("\n")
	}

	b.printf("## Context\n\n")
	if lines := e.Context.Lines(); len(lines) == 0 {
		b.printf("Nothing was learned in enrichment.\n\n")
	} else {
		for _, l := range lines {
			b.printf("- %s\n", t(l))
		}
		b.printf("\n")
	}

	b.printf("## Decisions (%d)\n\n", len(e.Decisions)+e.DecisionsOmitted)
	if e.DecisionsOmitted > 0 {
		b.printf("The %d oldest are in the timeline only.\n\n", e.DecisionsOmitted)
	}
	if len(e.Decisions) == 0 {
		b.printf("None.\n\n")
	} else {
		b.printf("| At | Verdict | By | Via | Tier | Actions | Note |\n|---|---|---|---|---|---|---|\n")
		for _, d := range e.Decisions {
			b.printf("| %s | %s | %s | %s | %s | %s | %s |\n", mdTime(d.At), enum(string(d.Verdict)), t(d.By), t(d.Via), t(d.Tier),
				t(cmp.Or(strings.Join(d.Actions, ", "), "all proposed")), t(d.Note))
		}
		b.printf("\n")
	}

	b.printf("## Containment\n\n")
	if len(e.Proposed) > 0 {
		b.printf("Proposed:\n\n")
		for _, a := range e.Proposed {
			b.printf("- %s %s: %s\n", enum(string(a.Kind)), t(a.Target), t(a.Reason))
		}
		b.printf("\n")
	}
	if len(e.Results) == 0 {
		b.printf("No action was taken.\n\n")
	} else {
		b.printf("| At | Action | Target | Outcome | Reference | Detail |\n|---|---|---|---|---|---|\n")
		for _, r := range e.Results {
			b.printf("| %s | %s | %s | %s | %s | %s |\n", mdTime(r.At), enum(string(r.Action.Kind)), t(r.Action.Target),
				t(r.Summary(e.GeneratedAt)), t(r.Reference), t(r.Detail))
		}
		b.printf("\n")
	}

	b.printf("## Timeline (%d)\n\n", len(e.Timeline))
	b.printf("| Time | Stage | Actor | Event |\n|---|---|---|---|\n")
	for _, l := range e.Timeline {
		b.printf("| %s | %s | %s | %s |\n", mdTime(l.At), t(string(l.Stage)), t(l.Actor), t(l.Message))
	}
	return b.err
}

// mdWriter keeps the first write error, so that WriteMarkdown reads as
// the report it writes.
type mdWriter struct {
	w   io.Writer
	err error
}

func (b *mdWriter) printf(format string, args ...any) {
	if b.err == nil {
		_, b.err = fmt.Fprintf(b.w, format, args...)
	}
}

// enum writes one of socflow's own values (a status, an action kind, a
// verdict) in words: "awaiting decision", not "awaiting\_decision".
func enum(s string) string { return alert.MarkdownText(strings.ReplaceAll(s, "_", " ")) }

// markdownURL is a link target: only http and https, with the characters
// that would end a Markdown link target percent-encoded.
func markdownURL(u string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return "#"
	}
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(u)
}

func mdTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func mdDur(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.Round(time.Second).String()
}

// byFirstSeen returns the alerts in the order they arrived, which is how
// a reviewer reads a story (the case file lists them by score).
func byFirstSeen(in []events.CaseAlert) []events.CaseAlert {
	out := append([]events.CaseAlert{}, in...)
	SortAlertsByTime(out)
	return out
}

// SortAlertsByTime puts alerts in the order they arrived (first seen,
// then last seen, then by run ID so that the order is stable), whatever
// their source: one timeline of an endpoint's, a network sensor's and a
// cloud's alerts.
func SortAlertsByTime(alerts []events.CaseAlert) {
	slices.SortStableFunc(alerts, func(a, b events.CaseAlert) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), a.LastSeen.Compare(b.LastSeen), cmp.Compare(a.WorkflowID, b.WorkflowID))
	})
}

// MergeAlerts brings a case file's alerts up to date with the incident's
// own top alerts (IncidentState.Alerts): the workflow writes the case
// file in batches seconds apart, so an alert that joined a moment ago is
// in the state first. An alert in both keeps the larger counts and the
// later last-seen; one only in the state is added.
func MergeAlerts(cases []events.CaseAlert, refs []workflows.AlertRef) []events.CaseAlert {
	out := append([]events.CaseAlert{}, cases...)
	at := make(map[string]int, len(out))
	for i, a := range out {
		at[a.WorkflowID] = i
	}
	for _, r := range refs {
		i, ok := at[r.WorkflowID]
		if !ok {
			at[r.WorkflowID] = len(out)
			out = append(out, events.CaseAlert{
				WorkflowID: r.WorkflowID, AlertID: r.AlertID, Source: r.Source, Rule: r.Rule, Title: r.Title, Severity: r.Severity,
				Score: r.Score, Occurrences: r.Occurrences, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen,
			})
			continue
		}
		a := &out[i]
		a.Occurrences = max(a.Occurrences, r.Occurrences)
		if r.LastSeen.After(a.LastSeen) {
			a.LastSeen, a.Score = r.LastSeen, r.Score
		}
	}
	return out
}
