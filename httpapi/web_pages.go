package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/workflows"
)

//go:embed web/*.html
var webFiles embed.FS

// refreshScript reloads the list every few seconds, unless the reader is
// typing in the filter form (a reload would throw their input away). It
// is the view's only script; the Content-Security-Policy admits it by its
// hash and nothing else.
const refreshScript = `(function(){var s=+document.body.dataset.refresh;if(!s)return;` +
	`setInterval(function(){var a=document.activeElement;` +
	`if(a&&(a.tagName==="INPUT"||a.tagName==="SELECT"||a.tagName==="TEXTAREA"))return;location.reload();},s*1000);})();`

// webPages are the view's templates, parsed once by New: each page is the
// layout with that page's content.
type webPages struct {
	pages map[string]*template.Template
	// csp is the Content-Security-Policy every page is served with.
	csp string
}

func newWebPages() *webPages {
	funcs := template.FuncMap{
		"ts":      func(t time.Time) string { return formatTime(t) },
		"dash":    dashIfEmpty,
		"join":    strings.Join,
		"summary": func(r alert.ActionResult, now time.Time) string { return r.Summary(now) },
		"key":     func(id string) string { return strings.TrimPrefix(id, "incident/") },
		"pathkey": func(id string) string { return url.PathEscape(strings.TrimPrefix(id, "incident/")) },
		"script":  func() template.HTML { return template.HTML("<script>" + refreshScript + "</script>") },
		"words":   words,
		"age":     age,
		"priorities": func() []string {
			return []string{string(alert.P1), string(alert.P2), string(alert.P3), string(alert.P4)}
		},
		"checked": func(list []string, v string) bool { return slices.Contains(list, v) },
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(webFiles, "web/layout.html"))
	p := &webPages{pages: map[string]*template.Template{}}
	for _, name := range []string{"login", "list", "incident", "error"} {
		t := template.Must(template.Must(layout.Clone()).ParseFS(webFiles, "web/"+name+".html"))
		p.pages[name] = t
	}
	sum := sha256.Sum256([]byte(refreshScript))
	p.csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; " +
		"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	return p
}

// view is what every page's template gets: who is signed in, the CSRF
// token of their session, and the page's own data.
type view struct {
	Title     string
	Principal *auth.Principal
	CSRF      string
	// Refresh is the seconds between reloads (0: none).
	Refresh int
	Now     time.Time
	Page    any
}

// render writes a page, rendered in full before anything is sent, so that
// a template error is an error page and never half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, code int, name string, v any) {
	vw, ok := v.(view)
	if !ok {
		vw = view{Page: v}
	}
	if vw.Now.IsZero() {
		vw.Now = s.uiNow()
	}
	if vw.Title == "" {
		vw.Title = "socflow"
	}
	var buf bytes.Buffer
	if err := s.web.pages[name].ExecuteTemplate(&buf, "layout", vw); err != nil {
		s.Logger.Error("web page", "page", name, "error", err)
		code, buf = http.StatusInternalServerError, bytes.Buffer{}
		_ = s.web.pages["error"].ExecuteTemplate(&buf, "layout", view{Title: "Error", Now: vw.Now,
			Page: errorPage{Code: code, Status: http.StatusText(code), Message: "This page could not be shown; the error is in the server's log."}})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show incident data to whoever is signed in: never cached,
	// never framed, never sniffed, and no Referer to the links they offer.
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with the view's own form posts, which checkPost
	// refuses as it must.
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", s.web.csp)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func (s *server) uiNow() time.Time {
	if s.UI.Now != nil {
		return s.UI.Now()
	}
	return time.Now()
}

// errorPage says what went wrong in words a responder can act on.
type errorPage struct {
	Code    int
	Status  string
	Message string
}

// uiError answers an error page. It shows no incident data: a refused
// visit learns nothing but the refusal.
func (s *server) uiError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.render(w, r, code, "error", view{Title: http.StatusText(code), Page: errorPage{Code: code, Status: http.StatusText(code), Message: msg}})
}

// uiIncidentError maps the incident service's errors onto error pages, as
// incidentError does onto the API's answers.
func (s *server) uiIncidentError(w http.ResponseWriter, r *http.Request, err error) {
	var rej *incidents.RejectedError
	switch {
	case errors.Is(err, incidents.ErrNotFound):
		s.uiError(w, r, http.StatusNotFound, "No incident has that key (or its history is past the namespace's retention).")
	case errors.Is(err, incidents.ErrBadCursor):
		s.uiError(w, r, http.StatusBadRequest, "cursor: "+err.Error())
	case errors.Is(err, incidents.ErrBadRequest):
		s.uiError(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), incidents.ErrBadRequest.Error()+": "))
	case errors.As(err, &rej):
		s.uiError(w, r, http.StatusConflict, rej.Error())
	default:
		s.Logger.Error("incident request failed", "error", err)
		s.uiError(w, r, http.StatusBadGateway, "Temporal or the case file did not answer: "+err.Error())
	}
}

// uiRoutes are the web view's routes. They authenticate themselves (the
// session cookie, not a bearer header) and are not part of the API's
// description; see web.go.
func (s *server) uiRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /ui":                             func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/", http.StatusMovedPermanently) },
		"GET /ui/{$}":                         s.uiList,
		"GET /ui/login":                       s.uiLoginForm,
		"POST /ui/login":                      s.uiLogin,
		"POST /ui/logout":                     s.uiLogout,
		"GET /ui/incidents/{key}":             s.uiIncident,
		"POST /ui/incidents/{key}/decide":     s.uiDecide,
		"POST /ui/incidents/{key}/answer":     s.uiAnswer,
		"GET /ui/incidents/{key}/export.md":   s.uiExport("md"),
		"GET /ui/incidents/{key}/export.json": s.uiExport("json"),
		"/ui/":                                s.uiNotFound,
	}
}

// uiNotFound answers the view's unknown paths (and wrong methods) as a
// page, after authenticating, so that probing learns nothing.
func (s *server) uiNotFound(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.uiPrincipal(w, r); !ok {
		return
	}
	s.uiError(w, r, http.StatusNotFound, fmt.Sprintf("There is no page %s %s.", r.Method, r.URL.Path))
}

// loginPage is the sign-in form.
type loginPage struct {
	CSRF    string
	Next    string
	Problem string
}

// listPage is the incident list.
type listPage struct {
	Form     listForm
	Statuses []string
	Rows     []incidents.Summary
	Problem  string
	// Limit is how many incidents the list asked for; Full says it got
	// that many, so there may be more than shown.
	Limit int
	Full  bool
}

// listForm echoes the filters as the reader typed them.
type listForm struct {
	Priority, Status, Tier, Entity, Rule, Since, Until, Drill string
	Open                                                      bool
}

// uiListLimit is how many incidents the list shows at most.
const uiListLimit = 200

// listFilters reads the list's query parameters, naming the first that is
// wrong.
func listFilters(q url.Values) (incidents.ListOptions, listForm, error) {
	f := listForm{Priority: q.Get("priority"), Status: q.Get("status"), Tier: strings.TrimSpace(q.Get("tier")),
		Entity: strings.TrimSpace(q.Get("entity")), Rule: strings.TrimSpace(q.Get("rule")), Since: strings.TrimSpace(q.Get("since")),
		Until: strings.TrimSpace(q.Get("until")), Drill: q.Get("drill"), Open: q.Get("open") == "true" || q.Get("open") == "on"}
	o := incidents.ListOptions{Priority: f.Priority, Status: f.Status, Tier: f.Tier, Entity: f.Entity, Rule: f.Rule,
		OpenOnly: f.Open, Drill: incidents.DrillFilter(f.Drill), Limit: uiListLimit}
	var err error
	if o.Since, err = formTime("since", f.Since); err != nil {
		return o, f, err
	}
	if o.Until, err = formTime("until", f.Until); err != nil {
		return o, f, err
	}
	if err := o.Validate(); err != nil {
		return o, f, errors.New(strings.TrimPrefix(err.Error(), incidents.ErrBadRequest.Error()+": "))
	}
	return o, f, nil
}

// formTime reads a time as a browser's datetime-local input sends it
// (taken as UTC), a date, or RFC 3339.
func formTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time: use 2026-05-14, 2026-05-14T09:30 (UTC) or RFC 3339", field, v)
}

func (s *server) uiList(w http.ResponseWriter, r *http.Request) {
	p, cred, ok := s.uiPrincipal(w, r)
	if !ok {
		return
	}
	vw := view{Title: "Incidents", Principal: p, CSRF: s.csrfToken(cred)}
	if d := s.UI.Refresh; d >= 0 {
		vw.Refresh = int(max(d, time.Second).Seconds())
		if d == 0 {
			vw.Refresh = 15
		}
	}
	o, form, err := listFilters(r.URL.Query())
	page := listPage{Form: form, Statuses: incidents.Statuses(), Limit: uiListLimit}
	if err != nil {
		page.Problem = err.Error()
		vw.Page, vw.Refresh = page, 0
		s.render(w, r, http.StatusBadRequest, "list", vw)
		return
	}
	list, err := s.Incidents.List(r.Context(), o)
	if err != nil {
		code := http.StatusBadGateway
		if errors.Is(err, incidents.ErrBadRequest) {
			code = http.StatusBadRequest
		} else {
			s.Logger.Error("incident list failed", "error", err)
		}
		page.Problem = "The list could not be read: " + err.Error()
		vw.Page = page
		s.render(w, r, code, "list", vw)
		return
	}
	slices.SortStableFunc(list, incidents.ByUrgency)
	page.Rows, page.Full = list, len(list) >= uiListLimit
	vw.Page = page
	s.render(w, r, http.StatusOK, "list", vw)
}

// alertRunReader reads an alert run's own state (incidents.Service): the
// entities of each alert, which the case file does not keep. The view
// asks for it when the incident service offers it.
type alertRunReader interface {
	AlertRun(ctx context.Context, workflowID string) (*workflows.AlertState, error)
}

// Bounds of an incident page: the full record is the export's.
const (
	// uiMaxAlerts is how many alerts the page lists.
	uiMaxAlerts = 500
	// uiMaxEntityLookups is how many alerts' entities the page asks the
	// alert runs for (one query each).
	uiMaxEntityLookups = 25
	// uiMaxTimeline is how many of the latest timeline lines it shows.
	uiMaxTimeline = 1000
	// uiTimelinePages bounds the pages read to reach the latest lines.
	uiTimelinePages = 20
)

// incidentPage is one incident.
type incidentPage struct {
	Key   string
	State *workflows.IncidentState
	// Alerts are every alert (to uiMaxAlerts) in the order they arrived.
	Alerts      []pageAlert
	AlertsTotal int
	Context     []string
	// Timeline are the latest lines; Earlier counts those left out.
	Timeline []alert.TimelineEvent
	Earlier  int
	// Escalations are the timeline's escalation lines: the path so far.
	Escalations []alert.TimelineEvent
	Ladder      *workflows.LadderState
	// CanDecide shows the decide form (responders only).
	CanDecide bool
	// Flash is the outcome of the decision just sent.
	FlashKind, Flash string
	// Links out.
	TemporalURL, SlackURL, TicketURL string
	Problems                         []string
}

// pageAlert is an alert on the incident's page.
type pageAlert struct {
	events.CaseAlert
	// Entities are the alert's own, when its run could be asked.
	Entities []string
}

func (s *server) uiIncident(w http.ResponseWriter, r *http.Request) {
	p, cred, ok := s.uiPrincipal(w, r)
	if !ok {
		return
	}
	key := r.PathValue("key")
	if err := incidents.CheckKey(key); err != nil {
		s.uiIncidentError(w, r, err)
		return
	}
	ctx := r.Context()
	st, err := s.Incidents.Get(ctx, key)
	if err != nil {
		s.uiIncidentError(w, r, err)
		return
	}
	now := s.uiNow()
	page := incidentPage{Key: key, State: st, Context: st.Context.Lines(), Ladder: ladder(st),
		CanDecide: p.Has(auth.RoleResponder) && st.Status != workflows.StatusClosed}
	page.FlashKind, page.Flash = s.takeFlash(w, r)

	alerts, total, err := s.pageAlerts(ctx, key, st)
	if err != nil {
		page.Problems = append(page.Problems, "alerts: "+err.Error())
	}
	page.Alerts, page.AlertsTotal = alerts, total
	page.Timeline, page.Earlier, err = s.latestTimeline(ctx, key)
	if err != nil {
		page.Problems = append(page.Problems, "timeline: "+err.Error())
	}
	for _, l := range page.Timeline {
		if l.Stage == alert.StageEscalate {
			page.Escalations = append(page.Escalations, l)
		}
	}
	page.TemporalURL = s.temporalURL(st.ID)
	page.SlackURL = s.slackURL(st.NotifyRef)
	page.TicketURL = st.TicketURL
	s.render(w, r, http.StatusOK, "incident", view{Title: "Incident " + key, Principal: p, CSRF: s.csrfToken(cred), Now: now, Page: page})
}

// ladder is the escalation in progress, if any.
func ladder(st *workflows.IncidentState) *workflows.LadderState {
	if st.Progress == nil {
		return nil
	}
	return st.Progress.Ladder
}

// pageAlerts reads the incident's alerts (to uiMaxAlerts), brought up to
// date with the incident's own (incidents.MergeAlerts), in time order,
// with the entities of the first uiMaxEntityLookups from their runs.
func (s *server) pageAlerts(ctx context.Context, key string, st *workflows.IncidentState) ([]pageAlert, int, error) {
	var all []events.CaseAlert
	total := 0
	p := incidents.Page{Limit: events.MaxCaseLimit}
	seen := map[string]bool{}
	for len(all) < uiMaxAlerts {
		ap, err := s.Incidents.Alerts(ctx, key, p)
		if err != nil {
			return nil, 0, err
		}
		all, total = append(all, ap.Alerts...), ap.Total
		if ap.NextCursor == "" || len(ap.Alerts) == 0 || seen[ap.NextCursor] {
			break
		}
		seen[ap.NextCursor] = true
		p = incidents.Page{Cursor: ap.NextCursor, Limit: events.MaxCaseLimit}
	}
	all = incidents.MergeAlerts(all, st.Alerts)
	total = max(total, st.AlertCount, len(all))
	all = all[:min(len(all), uiMaxAlerts)]
	incidents.SortAlertsByTime(all)
	out := make([]pageAlert, len(all))
	ar, _ := s.Incidents.(alertRunReader)
	for i, a := range all {
		out[i].CaseAlert = a
		if ar == nil || i >= uiMaxEntityLookups {
			continue
		}
		// Best effort: an alert run past retention still has its line.
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		as, err := ar.AlertRun(qctx, a.WorkflowID)
		cancel()
		if err == nil {
			out[i].Entities = entityWords(as.Alert.Entities)
		}
	}
	return out, max(total, len(all)), nil
}

// entityWords names an alert's entities as a responder reads them.
func entityWords(e alert.Entities) []string {
	var out []string
	for _, h := range e.Hosts {
		out = append(out, "host "+cmpOr(h.Name, h.ID))
	}
	for _, u := range e.Users {
		out = append(out, "user "+u.Name)
	}
	for _, ip := range e.IPs {
		w := "ip " + ip.Addr
		if ip.Direction != "" {
			w += " (" + string(ip.Direction) + ")"
		}
		out = append(out, w)
	}
	for _, p := range e.Processes {
		out = append(out, "process "+cmpOr(p.Name, strconv.Itoa(p.PID)))
	}
	for _, f := range e.Files {
		out = append(out, "file "+cmpOr(f.Name, f.Path, f.SHA256, f.SHA1, f.MD5))
	}
	for _, d := range e.Domains {
		out = append(out, "domain "+d)
	}
	for _, u := range e.URLs {
		out = append(out, "url "+u)
	}
	return out
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// latestTimeline reads the timeline to its end (to uiTimelinePages pages)
// and keeps the latest uiMaxTimeline lines, where decisions and
// containment are; earlier counts the lines left out.
func (s *server) latestTimeline(ctx context.Context, key string) (lines []alert.TimelineEvent, earlier int, err error) {
	p := incidents.Page{Limit: events.MaxCaseLimit}
	skipped := 0
	for range uiTimelinePages {
		tp, err := s.Incidents.Timeline(ctx, key, p)
		if err != nil {
			return lines, skipped, err
		}
		lines = append(lines, tp.Events...)
		if n := len(lines) - uiMaxTimeline; n > 0 {
			lines, skipped = lines[n:], skipped+n
		}
		if tp.NextCursor == "" || len(tp.Events) == 0 {
			return lines, skipped, nil
		}
		p = incidents.Page{Cursor: tp.NextCursor, Limit: events.MaxCaseLimit}
	}
	return lines, skipped, fmt.Errorf("more than %d lines: the latest are not shown; download the export", uiTimelinePages*events.MaxCaseLimit)
}

// temporalURL is the incident's workflow in the Temporal Web UI, built as
// Slack's and Jira's links are.
func (s *server) temporalURL(workflowID string) string {
	base := strings.TrimRight(s.UI.TemporalUIURL, "/")
	if base == "" || s.UI.Namespace == "" || workflowID == "" {
		return ""
	}
	return base + "/namespaces/" + url.PathEscape(s.UI.Namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// slackURL is the incident's Slack thread, from the notifier's reference
// ("slack:<channel>:<ts>"), when the workspace's URL is known.
func (s *server) slackURL(ref string) string {
	base := strings.TrimRight(s.UI.SlackWorkspaceURL, "/")
	if base == "" {
		return ""
	}
	sr, err := slack.ParseRef(ref)
	if err != nil {
		return ""
	}
	return base + "/archives/" + url.PathEscape(sr.Channel) + "/p" + url.PathEscape(strings.ReplaceAll(sr.TS, ".", ""))
}

// webVerdicts are the verdicts the page's decide form sends.
var webVerdicts = []alert.Verdict{alert.VerdictApprove, alert.VerdictDeny, alert.VerdictEscalate, alert.VerdictFalsePositive}

// uiResponderPost reads a form a responder posts about an incident (a
// decision, an answer): the session's principal, the form within 64 KiB,
// its CSRF token and origin, the responder role (checked here, not only
// by hiding the form: a viewer can post too) and the incident's key. It
// has answered the request when ok is false.
func (s *server) uiResponderPost(w http.ResponseWriter, r *http.Request, verb string) (p *auth.Principal, key string, ok bool) {
	p, cred, ok := s.uiPrincipal(w, r)
	if !ok {
		return nil, "", false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return nil, "", false
	}
	if err := checkPost(r, s.csrfToken(cred)); err != nil {
		s.uiError(w, r, http.StatusForbidden, err.Error())
		return nil, "", false
	}
	if !p.Has(auth.RoleResponder) {
		s.uiError(w, r, http.StatusForbidden, fmt.Sprintf("%s (%s) may not %s: it needs the responder role.", p.Name, joinRoles(p.Roles), verb))
		return nil, "", false
	}
	key = r.PathValue("key")
	if err := incidents.CheckKey(key); err != nil {
		s.uiIncidentError(w, r, err)
		return nil, "", false
	}
	return p, key, true
}

// uiDecide sends the decide form's decision exactly as POST
// /v1/incidents/{key}/decision does (DecisionRequest.decision): the
// decider is the session's principal, never a form field.
func (s *server) uiDecide(w http.ResponseWriter, r *http.Request) {
	p, key, ok := s.uiResponderPost(w, r, "decide")
	if !ok {
		return
	}
	verdict := alert.Verdict(r.PostFormValue("verdict"))
	if !slices.Contains(webVerdicts, verdict) {
		s.uiError(w, r, http.StatusBadRequest, fmt.Sprintf("verdict %q: the form sends approve, deny, escalate or false_positive", verdict))
		return
	}
	actions := r.PostForm["action"]
	if verdict == alert.VerdictApprove && len(actions) == 0 {
		// An empty list would approve every proposed action: from a form,
		// unticking them all means "none", so ask instead.
		s.uiError(w, r, http.StatusBadRequest, "Tick the actions to approve: none was selected.")
		return
	}
	if verdict != alert.VerdictApprove {
		actions = nil
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > 2000 {
		s.uiError(w, r, http.StatusBadRequest, fmt.Sprintf("The note is %d bytes; keep it under 2,000.", len(note)))
		return
	}
	req := DecisionRequest{Verdict: verdict, Actions: actions, Note: note}
	in, err := req.decision(p, "web")
	if err != nil {
		s.uiError(w, r, http.StatusBadRequest, "decision: "+err.Error())
		return
	}
	back := "/ui/incidents/" + url.PathEscape(key)
	res, err := s.Incidents.Decide(r.Context(), key, in)
	var rej *incidents.RejectedError
	switch {
	case errors.As(err, &rej):
		s.setFlash(w, r, "refused", "Your "+words(string(verdict))+" was refused: "+rej.Reason)
	case err != nil:
		s.uiIncidentError(w, r, err)
		return
	default:
		s.setFlash(w, r, "ok", decidedWords(verdict, res))
	}
	s.Logger.Info("web decision", "incident", key, "verdict", verdict, "by", p.Name, "refused", rej != nil)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// uiAnswer sends a question's answer as POST /v1/incidents/{key}/answer
// does: the answerer is the session's principal.
func (s *server) uiAnswer(w http.ResponseWriter, r *http.Request) {
	p, key, ok := s.uiResponderPost(w, r, "answer")
	if !ok {
		return
	}
	req := AnswerRequest{Question: r.PostFormValue("question"), Answer: strings.TrimSpace(r.PostFormValue("answer"))}
	if len(req.Answer) > 2000 {
		s.uiError(w, r, http.StatusBadRequest, fmt.Sprintf("The answer is %d bytes; keep it under 2,000.", len(req.Answer)))
		return
	}
	in, err := req.answer(p, "web")
	if err != nil {
		s.uiError(w, r, http.StatusBadRequest, "answer: "+err.Error())
		return
	}
	res, err := s.Incidents.Answer(r.Context(), key, in)
	var rej *incidents.RejectedError
	switch {
	case errors.As(err, &rej):
		s.setFlash(w, r, "refused", "Your answer was refused: "+rej.Reason)
	case err != nil:
		s.uiIncidentError(w, r, err)
		return
	default:
		s.setFlash(w, r, "ok", fmt.Sprintf("Your answer to %s was accepted: %s.", in.Question, res.Answer))
	}
	s.Logger.Info("web answer", "incident", key, "question", in.Question, "by", p.Name, "refused", rej != nil)
	http.Redirect(w, r, "/ui/incidents/"+url.PathEscape(key), http.StatusSeeOther)
}

func words(s string) string { return strings.ReplaceAll(s, "_", " ") }

// decidedWords says what became of an accepted decision.
func decidedWords(v alert.Verdict, res *workflows.DecideResult) string {
	if res == nil {
		return "Your " + words(string(v)) + " was accepted."
	}
	msg := fmt.Sprintf("Your %s was %s", words(string(v)), cmpOr(res.Status, "accepted"))
	if res.Tier != "" {
		msg += " (tier " + res.Tier + ")"
	}
	if res.Needed > 0 {
		msg += fmt.Sprintf(": %d of %d approvals", res.Approvals, res.Needed)
	}
	return msg + "."
}

// uiExport downloads the incident's post-incident record (incidents.Collect)
// as Markdown or JSON.
func (s *server) uiExport(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := s.uiPrincipal(w, r); !ok {
			return
		}
		key := r.PathValue("key")
		if err := incidents.CheckKey(key); err != nil {
			s.uiIncidentError(w, r, err)
			return
		}
		e, err := incidents.Collect(r.Context(), s.Incidents, key, s.uiNow())
		if err != nil {
			s.uiIncidentError(w, r, err)
			return
		}
		var buf bytes.Buffer
		ctype := "text/markdown; charset=utf-8"
		if format == "json" {
			ctype = "application/json"
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			err = enc.Encode(e)
		} else {
			err = incidents.WriteMarkdown(&buf, e)
		}
		if err != nil {
			s.Logger.Error("export", "incident", key, "error", err)
			s.uiError(w, r, http.StatusInternalServerError, "The export could not be written; the error is in the server's log.")
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, exportName(key), format))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(buf.Bytes())
	}
}

// exportName is a file name for an incident's export: its key with every
// character a file name or the header could trip on replaced.
func exportName(key string) string {
	var b strings.Builder
	b.WriteString("incident-")
	for _, c := range key {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '@':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return truncateBytes(b.String(), 120)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func dashIfEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// age says how long ago t was, in the largest unit that matters.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
