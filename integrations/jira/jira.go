// Package jira keeps one Jira issue per socflow incident: it opens the
// issue (once, however often it is asked), comments on it as the incident
// moves, and transitions it when the incident is contained or closed. It
// speaks Jira's REST API v2 through go-jira, to Jira Cloud (basic
// authentication with an email and API token) and to Jira Data Center
// (a personal access token sent as a bearer token).
//
// # One issue per incident
//
// Jira has no idempotency key for creating an issue, so EnsureIssue finds
// before it creates: every issue carries the label IncidentLabel(id), and
// EnsureIssue searches the project for that label first. Labels cannot
// hold spaces, so the label is the incident ID lower-cased with anything
// but letters, digits, '.', '_' and '-' turned into '-', followed by a
// hash of the exact ID so that IDs differing only in those characters or
// in case never share a label. A label (rather than an issue entity
// property) works on every Jira edition and deployment and is visible to
// the people working the issue.
//
// Jira Cloud's search is eventually consistent: an issue created a moment
// ago may be missing from search results for a few seconds. Two things
// cover the retry that follows a create whose answer was lost (a timeout,
// a dropped connection, a 5xx from a proxy after Jira committed):
//   - the Tracker remembers the key of every issue it created or found, and
//     when the search misses an incident it knows, it checks the key with a
//     GET, which is consistent;
//   - after a create whose outcome it cannot know, the Tracker refuses to
//     create another issue for that incident for Config.SearchLag (one
//     minute by default), answering ErrCreateUnconfirmed, which is
//     retryable: the retry searches again once the index had time to catch
//     up, and only creates if the issue still is not there. The activity's
//     retry policy should therefore keep retrying for longer than SearchLag.
//
// Concurrent calls for one incident within a process also run one at a
// time, so that two attempts cannot both miss and both create.
//
// All of this lives in the process. The risk left is a retry that runs in another
// worker process (or after a restart) while the index still lags: it can
// create a second issue. Should that happen, every later search finds both
// and EnsureIssue always answers with the oldest, so the incident converges
// on one issue and the duplicate is visible by its label. Searching by
// summary as well would not help, since it reads the same lagging index.
package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

// defaultTimeout bounds a call when the caller gives no *http.Client; the
// activity's own timeout still applies on top.
const defaultTimeout = 30 * time.Second

// defaultSearchLag is how long Jira Cloud's search index is assumed to
// take, at most, to show a new issue.
const defaultSearchLag = time.Minute

// maxMemo bounds how many incidents a Tracker remembers.
const maxMemo = 4096

// Labels every issue carries.
const (
	// LabelSocflow marks every issue socflow opened.
	LabelSocflow = "socflow"
	// LabelDrill marks issues opened for escalation drills.
	LabelDrill = "socflow-drill"
	// incidentLabelPrefix starts IncidentLabel.
	incidentLabelPrefix = "socflow-incident-"
)

// ErrCreateUnconfirmed is returned (wrapped) by EnsureIssue while an
// earlier attempt to create the incident's issue has an unknown outcome
// and Jira's search might not show that issue yet. It is retryable: retry
// after a few seconds.
var ErrCreateUnconfirmed = errors.New("an earlier create may have succeeded; not creating again until search can show it")

// Config says where Jira is, how to authenticate, and how incidents map
// onto issues.
type Config struct {
	// URL is the site's base URL: https://<site>.atlassian.net for Cloud,
	// the base URL (with any context path) for Data Center.
	URL string
	// Email and APIToken authenticate to Jira Cloud (basic
	// authentication).
	Email    string
	APIToken string
	// PAT is a Jira Data Center personal access token, sent as
	// "Authorization: Bearer <PAT>". Set either PAT or Email and APIToken.
	PAT string
	// Project is the key of the project issues are opened in, unless
	// EnsureIssue is given another.
	Project string
	// IssueType names the issue type; empty means "Task".
	IssueType string
	// PriorityMap maps socflow priorities (P1..P4) onto Jira priority
	// names. It is merged over the default, Highest, High, Medium and Low.
	// An empty name sends no priority, for projects whose create screen
	// has no Priority field.
	PriorityMap map[string]string
	// Transitions names the workflow transitions MarkContained and
	// MarkClosed perform.
	Transitions Transitions
	// MinPriority, such as "P3", is the least urgent priority that gets an
	// issue; less urgent incidents (and incidents not yet scored) get none.
	// Empty opens an issue for every incident.
	MinPriority string
	// UIBaseURL is the Temporal Web UI address of socflow's namespace,
	// such as https://temporal.example.com/namespaces/socflow; issues link
	// to the incident there. Empty leaves the link out.
	UIBaseURL string
	// SearchLag is how long after a create with an unknown outcome
	// EnsureIssue waits for search to show the issue before creating
	// another; 0 means one minute.
	SearchLag time.Duration
}

// Transitions names workflow transitions. Names match case-insensitively;
// an empty name means the workflow has no such step.
type Transitions struct {
	// Contain is performed once containment has been carried out.
	Contain string
	// Close is performed when the incident closes.
	Close string
}

// Tracker keeps socflow incidents in Jira. It is safe for concurrent use.
type Tracker struct {
	api         *gojira.Client
	base        string
	project     string
	issueType   string
	priorities  map[alert.Priority]string
	transitions Transitions
	minRank     int
	uiBase      string
	searchLag   time.Duration
	now         func() time.Time

	mu sync.Mutex
	// jql says which search endpoint to call first: Cloud's
	// /search/jql (true) or Data Center's /search.
	jql bool
	// busy serialises EnsureIssue per incident label within the process.
	busy map[string]chan struct{}
	// memo remembers, per incident label, the issue and any create with
	// an unknown outcome.
	memo map[string]*memo
	// targets remembers the status each transition led to, per project
	// and lower-cased transition name.
	targets map[string]string
}

type memo struct {
	key string
	// unconfirmed is when a create with an unknown outcome failed; zero
	// when there is none.
	unconfirmed time.Time
	touched     time.Time
}

// New returns a Tracker for the Jira site in cfg. A nil hc gets a private
// client with a 30s timeout; hc's Transport (if any) carries the calls.
// Basic credentials (Email and APIToken) mean Jira Cloud, a PAT means Data
// Center; setting both is an error. A missing URL or missing credentials
// are httpx.ErrNotConfigured.
func New(hc *http.Client, cfg Config) (*Tracker, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, fmt.Errorf("jira: no URL: %w", httpx.ErrNotConfigured)
	}
	u, err := httpx.BaseURL(strings.TrimSpace(cfg.URL))
	if err != nil {
		return nil, fmt.Errorf("jira: URL %q: want https://<site>.atlassian.net or your Data Center base URL", cfg.URL)
	}
	basic := cfg.Email != "" || cfg.APIToken != ""
	switch {
	case basic && cfg.PAT != "":
		return nil, errors.New("jira: both basic credentials (email and API token, for Cloud) and a personal access token (for Data Center) are set: set one")
	case !basic && cfg.PAT == "":
		return nil, fmt.Errorf("jira: no credentials: set an email and API token (Cloud) or a personal access token (Data Center): %w", httpx.ErrNotConfigured)
	case basic && cfg.Email == "":
		return nil, fmt.Errorf("jira: API token without an email: %w", httpx.ErrNotConfigured)
	case basic && cfg.APIToken == "":
		return nil, fmt.Errorf("jira: email without an API token: %w", httpx.ErrNotConfigured)
	}

	t := &Tracker{
		base:        strings.TrimRight(u.String(), "/"),
		project:     strings.TrimSpace(cfg.Project),
		issueType:   strings.TrimSpace(cfg.IssueType),
		transitions: cfg.Transitions,
		uiBase:      strings.TrimSpace(cfg.UIBaseURL),
		searchLag:   cfg.SearchLag,
		now:         time.Now,
		// Cloud retired /rest/api/2/search for /search/jql, which Data
		// Center does not have; the other is tried when the first is gone.
		jql:     basic,
		busy:    map[string]chan struct{}{},
		memo:    map[string]*memo{},
		targets: map[string]string{},
		priorities: map[alert.Priority]string{
			alert.P1: "Highest", alert.P2: "High", alert.P3: "Medium", alert.P4: "Low",
		},
	}
	if t.issueType == "" {
		t.issueType = "Task"
	}
	if t.searchLag <= 0 {
		t.searchLag = defaultSearchLag
	}
	for p, name := range cfg.PriorityMap {
		pr := alert.Priority(strings.ToUpper(strings.TrimSpace(p)))
		if pr.Rank() == 0 {
			return nil, fmt.Errorf("jira: priority map: %q is not a socflow priority (P1..P4)", p)
		}
		t.priorities[pr] = strings.TrimSpace(name)
	}
	if cfg.MinPriority != "" {
		pr := alert.Priority(strings.ToUpper(strings.TrimSpace(cfg.MinPriority)))
		if pr.Rank() == 0 {
			return nil, fmt.Errorf("jira: min priority %q: want P1, P2, P3 or P4", cfg.MinPriority)
		}
		t.minRank = pr.Rank()
	}

	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	authed := *hc
	if cfg.PAT != "" {
		authed.Transport = &gojira.PATAuthTransport{Token: cfg.PAT, Transport: hc.Transport}
	} else {
		authed.Transport = &gojira.BasicAuthTransport{Username: cfg.Email, Password: cfg.APIToken, Transport: hc.Transport}
	}
	t.api, err = gojira.NewClient(apiClient{hc: &authed, now: func() time.Time { return t.now() }}, t.base)
	if err != nil {
		return nil, fmt.Errorf("jira: %w", err)
	}
	return t, nil
}

// IncidentLabel is the label that marks the issue of the incident with
// this ID, such as "socflow-incident-host-dc01-a945365a" for "host:dc01".
func IncidentLabel(incidentID string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(incidentID) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-'
		if !ok {
			r = '-'
		}
		if r == '-' && (dash || b.Len() == 0) {
			continue
		}
		dash = r == '-'
		b.WriteRune(r)
	}
	slug := strings.TrimRight(b.String(), "-")
	// Jira caps a label at 255 characters; the slug is ASCII, and a
	// label must not change, so it is cut without a mark.
	slug = slug[:min(len(slug), 200)]
	sum := sha256.Sum256([]byte(incidentID))
	if slug == "" {
		return incidentLabelPrefix + hex.EncodeToString(sum[:4])
	}
	return incidentLabelPrefix + slug + "-" + hex.EncodeToString(sum[:4])
}

// Labels returns the labels of the card's issue: socflow's own, the
// incident's, its priority's and, for a drill, the drill label.
func Labels(card alert.IncidentCard) []string {
	ls := []string{LabelSocflow, IncidentLabel(card.IncidentID)}
	if p := card.Score.Priority; p.Rank() > 0 {
		ls = append(ls, "priority-"+strings.ToLower(string(p)))
	}
	if card.Drill {
		ls = append(ls, LabelDrill)
	}
	return ls
}

// EnsureIssue returns the key of the incident's issue in project (the
// configured project when empty), creating the issue if there is none;
// created reports whether this call created it. Incidents less urgent than
// Config.MinPriority get no issue: the answer is "", false, nil. Calling it
// again for the same incident, for example when an activity is retried,
// answers with the same issue; see the package documentation for how, and
// for the one case that can still open a second issue.
func (t *Tracker) EnsureIssue(ctx context.Context, card alert.IncidentCard, project string) (key string, created bool, err error) {
	if t.minRank > 0 && card.Score.Priority.Rank() < t.minRank {
		return "", false, nil
	}
	if project = strings.TrimSpace(project); project == "" {
		project = t.project
	}
	id := card.IncidentID
	switch {
	case strings.TrimSpace(id) == "":
		return "", false, fmt.Errorf("jira: ensure issue: %w", t.localError(http.MethodPost, "/rest/api/2/issue", "the incident card has no incident ID"))
	case project == "":
		return "", false, fmt.Errorf("jira: ensure issue for %s: %w", id, t.localError(http.MethodPost, "/rest/api/2/issue", "no project: set the Jira project in the configuration"))
	}
	label := IncidentLabel(id)
	release, err := t.acquire(ctx, label)
	if err != nil {
		return "", false, fmt.Errorf("jira: ensure issue for %s: %w", id, err)
	}
	defer release()

	key, err = t.find(ctx, project, label)
	if err != nil {
		return "", false, fmt.Errorf("jira: ensure issue for %s: search: %w", id, err)
	}
	if key != "" {
		t.remember(label, key)
		return key, false, nil
	}
	if known := t.knownKey(label); known != "" {
		// Search has not caught up with an issue this process made or saw.
		exists, err := t.exists(ctx, known)
		if err != nil {
			return "", false, fmt.Errorf("jira: ensure issue for %s: get %s: %w", id, known, err)
		}
		if exists {
			return known, false, nil
		}
		t.forget(label)
	}
	if at := t.unconfirmedAt(label); !at.IsZero() {
		if wait := at.Add(t.searchLag).Sub(t.now()); wait > 0 {
			return "", false, fmt.Errorf("jira: ensure issue for %s: %w (retry; at most %s more)", id, ErrCreateUnconfirmed, wait.Round(time.Second))
		}
	}

	issue, _, err := t.api.Issue.CreateWithContext(ctx, t.newIssue(card, project, label))
	if err != nil {
		err = cause(err)
		if unknownOutcome(err) {
			t.markUnconfirmed(label)
		}
		return "", false, fmt.Errorf("jira: create issue for %s: %w", id, err)
	}
	if issue == nil || issue.Key == "" {
		t.markUnconfirmed(label)
		return "", false, fmt.Errorf("jira: create issue for %s: the answer has no issue key", id)
	}
	t.remember(label, issue.Key)
	return issue.Key, true, nil
}

func (t *Tracker) newIssue(card alert.IncidentCard, project, label string) *gojira.Issue {
	f := &gojira.IssueFields{
		Project:     gojira.Project{Key: project},
		Type:        gojira.IssueType{Name: t.issueType},
		Summary:     Summary(card),
		Description: Description(card, t.uiBase),
		Labels:      Labels(card),
	}
	if name := t.priorities[card.Score.Priority]; name != "" {
		f.Priority = &gojira.Priority{Name: name}
	}
	return &gojira.Issue{Fields: f}
}

// unknownOutcome reports whether a failed create may nevertheless have
// made the issue: the answer never arrived, or a server error came back
// (possibly from a proxy after Jira committed). A 4xx, 429 included, means
// Jira refused the request.
func unknownOutcome(err error) bool {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusRequestTimeout
	}
	return true
}

// find searches the project for issues with the label and returns the
// oldest one's key, or "".
func (t *Tracker) find(ctx context.Context, project, label string) (string, error) {
	jql := fmt.Sprintf("project = %s AND labels = %s ORDER BY created ASC", quoteJQL(project), quoteJQL(label))
	fields := []string{"summary", "status", "labels", "created"}
	search := func(enhanced bool) ([]gojira.Issue, error) {
		if enhanced {
			is, _, err := t.api.Issue.SearchV2JQLWithContext(ctx, jql, &gojira.SearchOptionsV2{MaxResults: 10, Fields: fields})
			return is, cause(err)
		}
		is, _, err := t.api.Issue.SearchWithContext(ctx, jql, &gojira.SearchOptions{MaxResults: 10, Fields: fields})
		return is, cause(err)
	}

	t.mu.Lock()
	enhanced := t.jql
	t.mu.Unlock()
	issues, err := search(enhanced)
	var se *httpx.StatusError
	if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
		// This deployment has the other endpoint (Cloud answers 410 on
		// /search, Data Center 404 on /search/jql).
		other, err2 := search(!enhanced)
		if err2 != nil {
			return "", err
		}
		t.mu.Lock()
		t.jql = !enhanced
		t.mu.Unlock()
		issues, err = other, nil
	}
	if err != nil {
		return "", err
	}
	// Should a second issue exist, every caller converges on the oldest.
	best, bestID := "", int64(-1)
	for _, is := range issues {
		if is.Key == "" {
			continue
		}
		n, perr := strconv.ParseInt(is.ID, 10, 64)
		if perr != nil {
			n = 1<<62 - 1
		}
		if bestID < 0 || n < bestID {
			best, bestID = is.Key, n
		}
	}
	return best, nil
}

// quoteJQL quotes a JQL value.
func quoteJQL(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// exists reports whether the issue is there, by a GET, which unlike search
// is consistent right after a create.
func (t *Tracker) exists(ctx context.Context, key string) (bool, error) {
	_, _, err := t.api.Issue.GetWithContext(ctx, key, &gojira.GetQueryOptions{Fields: "status"})
	err = cause(err)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

// Comment adds a comment, in Jira wiki markup, to the issue. Comments are
// not idempotent: a retry after an answer was lost posts the comment
// twice.
func (t *Tracker) Comment(ctx context.Context, key, text string) error {
	path := "/rest/api/2/issue/" + key + "/comment"
	if err := t.checkKey(key, http.MethodPost, path); err != nil {
		return fmt.Errorf("jira: comment: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("jira: comment on %s: %w", key, t.localError(http.MethodPost, path, "empty comment"))
	}
	// go-jira's Comment type would also send empty author and visibility
	// objects; the documented body is just this.
	req, err := t.api.NewRequestWithContext(ctx, http.MethodPost, strings.TrimPrefix(path, "/"), map[string]string{"body": alert.Truncate(text, maxText)})
	if err != nil {
		return fmt.Errorf("jira: comment on %s: %w", key, err)
	}
	var out gojira.Comment
	if _, err := t.api.Do(req, &out); err != nil {
		return fmt.Errorf("jira: comment on %s: %w", key, cause(err))
	}
	return nil
}

// Transition performs the workflow transition with this name (matched
// case-insensitively) on the issue.
//
// When no offered transition has the name, the issue may already be where
// the transition leads, for instance when this is a retry of a transition
// whose answer was lost: that is success when the issue's status equals
// the name, or equals the status the same transition led to earlier in
// this process. Otherwise the error is a 400 *httpx.StatusError (not
// retryable) that names the issue's status and the transitions it offers.
func (t *Tracker) Transition(ctx context.Context, key, name string) error {
	path := "/rest/api/2/issue/" + key + "/transitions"
	if err := t.checkKey(key, http.MethodPost, path); err != nil {
		return fmt.Errorf("jira: transition: %w", err)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("jira: transition %s: %w", key, t.localError(http.MethodPost, path, "no transition name"))
	}
	offered, _, err := t.api.Issue.GetTransitionsWithContext(ctx, key)
	if err != nil {
		return fmt.Errorf("jira: transition %s to %q: list transitions: %w", key, name, cause(err))
	}
	project, _, _ := strings.Cut(key, "-")
	memoKey := strings.ToUpper(project) + "\x00" + strings.ToLower(name)
	for _, tr := range offered {
		if !strings.EqualFold(strings.TrimSpace(tr.Name), name) {
			continue
		}
		if tr.To.Name != "" {
			t.mu.Lock()
			t.targets[memoKey] = tr.To.Name
			t.mu.Unlock()
		}
		resp, err := t.api.Issue.DoTransitionWithContext(ctx, key, tr.ID)
		if err != nil {
			return fmt.Errorf("jira: transition %s to %q: %w", key, name, cause(err))
		}
		// go-jira leaves the (empty, 204) body to the caller.
		resp.Body.Close()
		return nil
	}

	issue, _, err := t.api.Issue.GetWithContext(ctx, key, &gojira.GetQueryOptions{Fields: "status"})
	if err != nil {
		return fmt.Errorf("jira: transition %s to %q: get status: %w", key, name, cause(err))
	}
	status := ""
	if issue.Fields != nil && issue.Fields.Status != nil {
		status = issue.Fields.Status.Name
	}
	t.mu.Lock()
	target := t.targets[memoKey]
	t.mu.Unlock()
	if status != "" && (strings.EqualFold(status, name) || strings.EqualFold(status, target)) {
		return nil
	}
	names := make([]string, 0, len(offered))
	for _, tr := range offered {
		names = append(names, strconv.Quote(tr.Name))
	}
	avail := "none"
	if len(names) > 0 {
		avail = strings.Join(names, ", ")
	}
	return fmt.Errorf("jira: transition %s: %w", key, t.localError(http.MethodPost, path,
		fmt.Sprintf("no transition %q from status %q; available: %s", name, status, avail)))
}

// MarkContained performs Config.Transitions.Contain, if one is named.
func (t *Tracker) MarkContained(ctx context.Context, key string) error {
	if t.transitions.Contain == "" {
		return nil
	}
	return t.Transition(ctx, key, t.transitions.Contain)
}

// MarkClosed performs Config.Transitions.Close, if one is named.
func (t *Tracker) MarkClosed(ctx context.Context, key string) error {
	if t.transitions.Close == "" {
		return nil
	}
	return t.Transition(ctx, key, t.transitions.Close)
}

// checkKey refuses anything but an issue key ("SEC-12") or ID, which
// go-jira would otherwise paste into the path unescaped.
func (t *Tracker) checkKey(key, method, path string) error {
	if validKey(key) {
		return nil
	}
	return t.localError(method, path, fmt.Sprintf("%q is not an issue key such as SEC-12", key))
}

func validKey(key string) bool {
	digits := func(s string) bool {
		if s == "" {
			return false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if digits(key) {
		return true
	}
	i := strings.LastIndexByte(key, '-')
	if i <= 0 || !digits(key[i+1:]) {
		return false
	}
	for j, c := range key[:i] {
		letter := (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (j == 0 || ((c < '0' || c > '9') && c != '_')) {
			return false
		}
	}
	return true
}

// localError is a request refused before it was sent: a 400, so that the
// activity boundary does not retry what cannot succeed.
func (t *Tracker) localError(method, path, msg string) error {
	return &httpx.StatusError{Method: method, URL: t.base + path, Code: http.StatusBadRequest, Body: msg}
}

// acquire waits until no other EnsureIssue for the label runs in this
// process, so that two concurrent attempts cannot both miss and create.
func (t *Tracker) acquire(ctx context.Context, label string) (release func(), err error) {
	for {
		t.mu.Lock()
		held, busy := t.busy[label]
		if !busy {
			ch := make(chan struct{})
			t.busy[label] = ch
			t.mu.Unlock()
			return func() {
				t.mu.Lock()
				delete(t.busy, label)
				t.mu.Unlock()
				close(ch)
			}, nil
		}
		t.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// entry returns the label's memo, making room for it if need be. The
// caller holds t.mu.
func (t *Tracker) entry(label string) *memo {
	m := t.memo[label]
	if m == nil {
		if len(t.memo) >= maxMemo {
			oldest := ""
			for l, e := range t.memo {
				if oldest == "" || e.touched.Before(t.memo[oldest].touched) {
					oldest = l
				}
			}
			delete(t.memo, oldest)
		}
		m = &memo{}
		t.memo[label] = m
	}
	m.touched = t.now()
	return m
}

func (t *Tracker) remember(label, key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.entry(label)
	m.key, m.unconfirmed = key, time.Time{}
}

func (t *Tracker) forget(label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.memo, label)
}

func (t *Tracker) markUnconfirmed(label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entry(label).unconfirmed = t.now()
}

func (t *Tracker) knownKey(label string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.memo[label]; m != nil {
		return m.key
	}
	return ""
}

func (t *Tracker) unconfirmedAt(label string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.memo[label]; m != nil {
		return m.unconfirmed
	}
	return time.Time{}
}
