package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// hostile is alert text that would run in a page that did not escape it.
const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`

// webIncidents is fakeIncidents with an incident worth showing: three
// alerts of three sources, a score with factors, a proposed action, a
// containment result, and hostile text in every alert-derived field.
type webIncidents struct {
	*fakeIncidents
	list []incidents.Summary
}

func (f *webIncidents) List(ctx context.Context, o incidents.ListOptions) ([]incidents.Summary, error) {
	if _, err := f.fakeIncidents.List(ctx, o); err != nil {
		return nil, err
	}
	return f.list, nil
}

var webT0 = time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)

func (f *webIncidents) Get(ctx context.Context, key string) (*workflows.IncidentState, error) {
	st, err := f.fakeIncidents.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	st.Title = "Lateral movement " + hostile
	st.Score = alert.Score{Value: 97, Priority: alert.P1, Factors: []alert.Factor{
		{Name: "severity", Detail: "critical", Effect: "+40"}, {Name: "asset", Detail: "tier 1 " + hostile, Effect: "x1.5"}}}
	st.Proposed = []alert.Action{alert.NewAction(alert.ActionIsolateHost, "dc01", "P1 on a tier 1 asset")}
	st.Results = []alert.ActionResult{{Action: alert.NewAction(alert.ActionBlockIP, "203.0.113.7", ""), Status: alert.ActionPending,
		State: "pending", VerifyBy: webT0.Add(10 * time.Minute), At: webT0}}
	st.Decisions = []alert.Decision{{Verdict: alert.VerdictEscalate, By: "bob", Via: "slack", Tier: "T1", At: webT0}}
	st.Hosts = []string{"dc01"}
	return st, nil
}

func (f *webIncidents) Alerts(ctx context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error) {
	if err := f.page(key, p); err != nil {
		return nil, err
	}
	return &incidents.AlertsPage{ID: "incident/" + key, Total: 3, Alerts: []events.CaseAlert{
		{WorkflowID: "alert/edr", Source: "defender", Title: "Credential dumping " + hostile, Score: 97, FirstSeen: webT0.Add(2 * time.Minute)},
		{WorkflowID: "alert/ndr", Source: "suricata", Title: "Inbound SMB", Score: 60, FirstSeen: webT0},
		{WorkflowID: "alert/cloud", Source: "guardduty", Title: "Console login", Score: 40, FirstSeen: webT0.Add(time.Minute)},
	}}, nil
}

func (f *webIncidents) Timeline(ctx context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error) {
	if err := f.page(key, p); err != nil {
		return nil, err
	}
	return &incidents.TimelinePage{ID: "incident/" + key, Total: 2, Events: []alert.TimelineEvent{
		{At: webT0, Stage: alert.StageIngest, Actor: "socflow", Message: "alert " + hostile},
		{At: webT0, Stage: alert.StageEscalate, Actor: "socflow", Message: "asked T1"},
	}}, nil
}

// webEnv is the API with real authentication (authEnv) and the web view
// over webIncidents.
type webEnv struct {
	*authEnv
	inc *webIncidents
}

func newWebEnv(t *testing.T) *webEnv {
	t.Helper()
	ae := newAuthEnv(t)
	inc := &webIncidents{fakeIncidents: ae.incidents, list: []incidents.Summary{
		{ID: "incident/host:p3-old", Priority: "P3", StartedAt: webT0},
		{ID: "incident/host:p1-new", Priority: "P1", StartedAt: webT0.Add(time.Hour), SLA: incidents.SLABreached},
		{ID: "incident/host:p1-old", Priority: "P1", StartedAt: webT0, Title: hostile},
	}}
	ae.env = newEnvWith(t, ae, inc)
	// What the tests read is what inc records.
	ae.env.incidents = inc.fakeIncidents
	return &webEnv{authEnv: ae, inc: inc}
}

// newEnvWith is an API with ae's authentication (the same token store)
// over inc, which the fakeIncidents of ae records for.
func newEnvWith(t *testing.T, ae *authEnv, inc httpapi.Incidents, edits ...func(*httpapi.Options)) *env {
	t.Helper()
	return newEnv(t, func(o *httpapi.Options) {
		ae.edit(o)
		o.Incidents = inc
		for _, e := range edits {
			e(o)
		}
	})
}

// browser is a client that keeps cookies as a browser does and does not
// follow redirects, so that tests see them.
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]*http.Cookie
	hc      *http.Client
}

func (e *webEnv) browser(t *testing.T) *browser {
	hc := *e.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: e.srv.URL, cookies: map[string]*http.Cookie{}, hc: &hc}
}

type page struct {
	code   int
	header http.Header
	body   string
	// set are the cookies the answer set.
	set map[string]*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	p := page{code: resp.StatusCode, header: resp.Header, body: string(data), set: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		p.set[c.Name] = c
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return p
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", p.body)
	}
	return m[1]
}

// login signs in with token and returns the session's CSRF token.
func (b *browser) login(token string) string {
	b.t.Helper()
	form := b.do("GET", "/ui/login", nil, nil)
	p := b.do("POST", "/ui/login", url.Values{"csrf": {csrfOf(b.t, form)}, "token": {token}}, nil)
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/ui/" {
		b.t.Fatalf("login: %d to %q\n%s", p.code, p.header.Get("Location"), p.body)
	}
	return csrfOf(b.t, b.do("GET", "/ui/", nil, nil))
}

// TestUILogin: the form takes a token, Options.Auth judges it, and the
// session cookie is HttpOnly, SameSite=Strict and scoped to /ui.
func TestUILogin(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	form := b.do("GET", "/ui/login", nil, nil)
	if form.code != http.StatusOK || !strings.Contains(form.body, `name="token"`) {
		t.Fatalf("login form: %d\n%s", form.code, form.body)
	}
	csrf := csrfOf(t, form)
	for _, tt := range []struct {
		name, token string
		code        int
		says        string
	}{
		{"wrong token", e.tokens["wrong"], http.StatusUnauthorized, "Unknown, expired or revoked token"},
		{"revoked token", e.tokens["revoked"], http.StatusUnauthorized, "Unknown, expired or revoked token"},
		{"expired OIDC", e.tokens["expired-oidc"], http.StatusUnauthorized, "Unknown, expired or revoked token"},
		{"ingest only", e.tokens["ingest"], http.StatusForbidden, "needs the viewer role"},
		{"empty", "", http.StatusBadRequest, "Enter an API token"},
		{"not a token", "a b;c", http.StatusBadRequest, "not a token socflow accepts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := b.do("POST", "/ui/login", url.Values{"csrf": {csrf}, "token": {tt.token}}, nil)
			if p.code != tt.code || !strings.Contains(p.body, tt.says) || p.set["socflow_session"] != nil {
				t.Errorf("%d, session cookie %v; want %d saying %q\n%s", p.code, p.set["socflow_session"], tt.code, tt.says, p.body)
			}
			csrf = csrfOf(t, p) // each refusal serves a new form
		})
	}
	p := b.do("POST", "/ui/login", url.Values{"csrf": {csrf}, "token": {e.tokens["viewer"]}, "next": {"/ui/incidents/host:dc01"}}, nil)
	c := p.set["socflow_session"]
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/ui/incidents/host:dc01" || c == nil {
		t.Fatalf("good login: %d to %q, cookie %v", p.code, p.header.Get("Location"), c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui" || c.Secure || c.Value != e.tokens["viewer"] {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui, not Secure over plain HTTP", c)
	}
	if p := b.do("GET", "/ui/", nil, nil); p.code != http.StatusOK || !strings.Contains(p.body, "host:p1-old") || !strings.Contains(p.body, ">viewer<") {
		t.Errorf("list with the cookie: %d\n%s", p.code, p.body)
	}
}

// TestUILoginNeedsCSRF: a login posted without the form's nonce cookie,
// with a wrong token, or from another site is refused (login CSRF would
// sign a victim into the attacker's account).
// TestUISecureCookiesBehindAProxy: with secure_cookies (TLS ends at a
// proxy in front), the session cookie is Secure over plain HTTP too.
func TestUISecureCookiesBehindAProxy(t *testing.T) {
	ae := newAuthEnv(t)
	ae.env = newEnvWith(t, ae, &webIncidents{fakeIncidents: ae.incidents}, func(o *httpapi.Options) { o.UI.SecureCookies = true })
	e := &webEnv{authEnv: ae}
	b := e.browser(t)
	csrf := csrfOf(t, b.do("GET", "/ui/login", nil, nil))
	p := b.do("POST", "/ui/login", url.Values{"csrf": {csrf}, "token": {e.tokens["viewer"]}}, nil)
	if c := p.set["socflow_session"]; c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("session cookie %+v, want Secure and HttpOnly", c)
	}
}

func TestUILoginNeedsCSRF(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	csrf := csrfOf(t, b.do("GET", "/ui/login", nil, nil))
	for name, tt := range map[string]struct {
		// token is the CSRF token sent: "good" (the form's), "" or a wrong one.
		token  string
		header map[string]string
		drop   bool
	}{
		"no token":       {token: ""},
		"wrong token":    {token: "sft_not-the-form-token"},
		"no nonce":       {token: "good", drop: true},
		"cross-site":     {token: "good", header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"foreign origin": {token: "good", header: map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"token": {e.tokens["viewer"]}}
			switch tt.token {
			case "good":
				form.Set("csrf", csrf)
			case "":
			default:
				form.Set("csrf", tt.token)
			}
			if tt.drop {
				delete(b.cookies, "socflow_login")
			}
			p := b.do("POST", "/ui/login", form, tt.header)
			if p.code != http.StatusForbidden || p.set["socflow_session"] != nil {
				t.Errorf("%d, session %v; want 403 and no session\n%s", p.code, p.set["socflow_session"], p.body)
			}
			// The refusal serves a new form with a new nonce cookie.
			csrf = csrfOf(t, p)
		})
	}
	// And the same form, sent properly, signs in: the refusals were the
	// checks', not a broken form's.
	if p := b.do("POST", "/ui/login", url.Values{"csrf": {csrf}, "token": {e.tokens["viewer"]}}, nil); p.code != http.StatusSeeOther {
		t.Errorf("good login after refusals: %d\n%s", p.code, p.body)
	}
}

// TestUIRefusesUnauthenticated: every page, without a session or with a
// refused one, redirects to the login page and shows no incident data.
func TestUIRefusesUnauthenticated(t *testing.T) {
	e := newWebEnv(t)
	for _, cred := range []string{"", e.tokens["wrong"], e.tokens["revoked"], e.tokens["forged-oidc"]} {
		for _, path := range []string{"/ui/", "/ui/?priority=P1", "/ui/incidents/host:dc01", "/ui/incidents/host:dc01/export.md",
			"/ui/incidents/host:dc01/export.json", "/ui/nothing-here"} {
			b := e.browser(t)
			if cred != "" {
				b.cookies["socflow_session"] = &http.Cookie{Name: "socflow_session", Value: cred}
			}
			p := b.do("GET", path, nil, nil)
			loc := p.header.Get("Location")
			if p.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/login") ||
				strings.Contains(p.body, "Lateral movement") || strings.Contains(p.body, "suricata") || strings.Contains(p.body, "p1-old") {
				t.Errorf("GET %s with %.12q: %d to %q\n%s", path, cred, p.code, loc, p.body)
			}
			if cred != "" && (p.set["socflow_session"] == nil || p.set["socflow_session"].MaxAge >= 0) {
				t.Errorf("GET %s: a refused session cookie is not cleared", path)
			}
		}
	}
	// A refused decision post is redirected too, and decides nothing.
	b := e.browser(t)
	if p := b.do("POST", "/ui/incidents/host:dc01/decide", url.Values{"verdict": {"deny"}}, nil); p.code != http.StatusSeeOther {
		t.Errorf("decide without a session: %d", p.code)
	}
	if len(e.incidents.decisions) != 0 {
		t.Errorf("decisions %v, want none", e.incidents.decisions)
	}
}

// TestUIRevocationIsImmediate: a token revoked through the API stops
// working at the session's next page.
func TestUIRevocationIsImmediate(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	b.login(e.tokens["viewer"])
	if a := e.do(t, "DELETE", "/v1/tokens/tok_viewer", "", e.tokens["admin"], ""); a.code != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.code, a.body)
	}
	if p := b.do("GET", "/ui/", nil, nil); p.code != http.StatusSeeOther {
		t.Errorf("after revocation: %d, want a redirect to the login page", p.code)
	}
}

// TestUIDecide: only a responder may decide, from this site, with the
// session's CSRF token; the decider is the session's principal, whatever
// the form says, and the outcome shows on the page after the redirect.
func TestUIDecide(t *testing.T) {
	e := newWebEnv(t)
	const path = "/ui/incidents/host:dc01/decide"
	viewer := e.browser(t)
	vcsrf := viewer.login(e.tokens["viewer"])
	if p := viewer.do("GET", "/ui/incidents/host:dc01", nil, nil); strings.Contains(p.body, `id="decide-form"`) {
		t.Errorf("a viewer is shown the decide form")
	}
	if p := viewer.do("POST", path, url.Values{"csrf": {vcsrf}, "verdict": {"deny"}}, nil); p.code != http.StatusForbidden ||
		!strings.Contains(p.body, "needs the responder role") {
		t.Errorf("viewer decides: %d\n%s", p.code, p.body)
	}

	resp := e.browser(t)
	csrf := resp.login(e.tokens["responder"])
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); !strings.Contains(p.body, `id="decide-form"`) {
		t.Errorf("a responder is not shown the decide form")
	}
	for name, tt := range map[string]struct {
		form   url.Values
		header map[string]string
		code   int
		says   string
	}{
		"no CSRF token":        {url.Values{"verdict": {"deny"}}, nil, http.StatusForbidden, "security token"},
		"wrong CSRF token":     {url.Values{"csrf": {csrf + "x"}, "verdict": {"deny"}}, nil, http.StatusForbidden, "security token"},
		"another's CSRF token": {url.Values{"csrf": {vcsrf}, "verdict": {"deny"}}, nil, http.StatusForbidden, "security token"},
		"cross-site":           {url.Values{"csrf": {csrf}, "verdict": {"deny"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "another site"},
		"same-site":            {url.Values{"csrf": {csrf}, "verdict": {"deny"}}, map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden, "another site"},
		"foreign origin":       {url.Values{"csrf": {csrf}, "verdict": {"deny"}}, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, "another site"},
		"null origin":          {url.Values{"csrf": {csrf}, "verdict": {"deny"}}, map[string]string{"Origin": "null"}, http.StatusForbidden, "another site"},
		"unknown verdict":      {url.Values{"csrf": {csrf}, "verdict": {"revert"}}, nil, http.StatusBadRequest, `verdict &#34;revert&#34;`},
		"approve nothing":      {url.Values{"csrf": {csrf}, "verdict": {"approve"}}, nil, http.StatusBadRequest, "Tick the actions"},
		"bad key":              {url.Values{"csrf": {csrf}, "verdict": {"deny"}}, nil, 0, ""},
	} {
		if name == "bad key" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p := resp.do("POST", path, tt.form, tt.header)
			if p.code != tt.code || !strings.Contains(p.body, tt.says) {
				t.Errorf("%d, want %d saying %q\n%s", p.code, tt.code, tt.says, p.body)
			}
		})
	}
	if len(e.incidents.decisions) != 0 {
		t.Fatalf("refused posts decided: %v", e.incidents.decisions)
	}

	p := resp.do("POST", path, url.Values{"csrf": {csrf}, "verdict": {"approve"}, "action": {"isolate_host:dc01"}, "note": {"go"},
		"by": {"mallory"}}, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL})
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/ui/incidents/host:dc01" {
		t.Fatalf("approve: %d to %q\n%s", p.code, p.header.Get("Location"), p.body)
	}
	if len(e.incidents.decisions) != 1 {
		t.Fatalf("decisions %v", e.incidents.decisions)
	}
	d := e.incidents.decisions[0]
	if d.By != "responder" || d.Via != "web" || d.Verdict != alert.VerdictApprove || len(d.Actions) != 1 || d.Actions[0] != "isolate_host:dc01" || d.Note != "go" {
		t.Errorf("decision %+v: want responder via web approving isolate_host:dc01", d)
	}
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); !strings.Contains(p.body, "Your approve was containing (tier IR).") {
		t.Errorf("the outcome is not shown after the redirect:\n%s", p.body)
	}
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); strings.Contains(p.body, `id="flash"`) {
		t.Errorf("the outcome is shown twice")
	}

	e.incidents.decideErr = &incidents.RejectedError{Reason: "responder may not approve for tier IR"}
	resp.do("POST", path, url.Values{"csrf": {csrf}, "verdict": {"deny"}}, nil)
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); !strings.Contains(p.body, "Your deny was refused: responder may not approve for tier IR") {
		t.Errorf("a refusal's reason is not shown:\n%s", p.body)
	}
	// A forged flash cookie is ignored.
	resp.cookies["socflow_flash"] = &http.Cookie{Name: "socflow_flash", Value: "b2s6cGhpc2g.AAAA"}
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); strings.Contains(p.body, `id="flash"`) {
		t.Errorf("a forged flash message is shown")
	}
}

// TestUIListFilters: a wrong filter is a 400 page naming it; good ones
// reach the incident service; the list is by priority, then oldest first.
func TestUIListFilters(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	b.login(e.tokens["viewer"])
	for q, says := range map[string]string{
		"priority=P9":                         "priority must be P1, P2, P3 or P4",
		"status=bogus":                        "status must be one of",
		"since=yesterday":                     "since &#34;yesterday&#34; is not a time",
		"since=2026-05-14&until=2026-05-13":   "until (2026-05-13T00:00:00Z) must be after since",
		"drill=maybe":                         "drill must be",
		"entity=" + url.QueryEscape("a\x00b"): "entity",
	} {
		p := b.do("GET", "/ui/?"+q, nil, nil)
		if p.code != http.StatusBadRequest || !strings.Contains(p.body, says) || strings.Contains(p.body, "p1-old") {
			t.Errorf("?%s: %d, want 400 saying %q\n%s", q, p.code, says, p.body)
		}
	}
	e.incidents.listed = nil
	p := b.do("GET", "/ui/?priority=p1&status=contained&tier=IR&entity=DC01&rule=smb&since=2026-05-14T09:00&until=2026-05-15&drill=real&open=true", nil, nil)
	if p.code != http.StatusOK {
		t.Fatalf("%d\n%s", p.code, p.body)
	}
	o := e.incidents.listed[0]
	want := incidents.ListOptions{Priority: "p1", Status: "contained", Tier: "IR", Entity: "DC01", Rule: "smb", OpenOnly: true,
		Since: webT0, Until: time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC), Drill: incidents.DrillReal, Limit: 200}
	if o != want {
		t.Errorf("list options\n%+v, want\n%+v", o, want)
	}
	i1, i2, i3 := strings.Index(p.body, "host:p1-old"), strings.Index(p.body, "host:p1-new"), strings.Index(p.body, "host:p3-old")
	if i1 < 0 || !(i1 < i2 && i2 < i3) {
		t.Errorf("order: p1-old at %d, p1-new at %d, p3-old at %d; want P1 oldest first, then P3", i1, i2, i3)
	}
	if !strings.Contains(p.body, `class="sla-breached"`) || strings.Contains(p.body, hostile) {
		t.Errorf("SLA not shown, or a title not escaped")
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'sha256-") || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", p.header)
	}
	if !strings.Contains(p.body, `data-refresh="15"`) {
		t.Errorf("the list does not refresh itself")
	}
}

// TestUIIncidentPage: alerts of three sources in time order, the score's
// factors, the actions, and every piece of alert text escaped.
func TestUIIncidentPage(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	b.login(e.tokens["viewer"])
	p := b.do("GET", "/ui/incidents/host:dc01", nil, nil)
	if p.code != http.StatusOK {
		t.Fatalf("%d\n%s", p.code, p.body)
	}
	if strings.Contains(p.body, "<script") || strings.Contains(p.body, "<img") || !strings.Contains(p.body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("hostile alert text is not escaped:\n%s", p.body)
	}
	ndr, cloud, edr := strings.Index(p.body, ">suricata<"), strings.Index(p.body, ">guardduty<"), strings.Index(p.body, ">defender<")
	if ndr < 0 || !(ndr < cloud && cloud < edr) {
		t.Errorf("alerts not in time order: %d %d %d", ndr, cloud, edr)
	}
	for _, want := range []string{"x1.5", "&#43;40", "isolate host", "pending verification (vendor: pending; verify by", "escalate", "asked T1", "Export (Markdown)"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if p := b.do("GET", "/ui/incidents/host:nope", nil, nil); p.code != http.StatusNotFound || !strings.Contains(p.body, "No incident has that key") {
		t.Errorf("unknown incident: %d\n%s", p.code, p.body)
	}
	if p := b.do("GET", "/ui/incidents/"+url.PathEscape("host:\x1b[31m"), nil, nil); p.code != http.StatusBadRequest || !strings.Contains(p.body, "control character") {
		t.Errorf("bad key: %d\n%s", p.code, p.body)
	}
}

// TestUILinks: the Temporal UI, Slack and Jira links, when configured.
func TestUILinks(t *testing.T) {
	ae := newAuthEnv(t)
	inc := &linkIncidents{webIncidents: &webIncidents{fakeIncidents: ae.incidents}}
	ae.env = newEnvWith(t, ae, inc, func(o *httpapi.Options) {
		o.UI = httpapi.UIOptions{TemporalUIURL: "http://127.0.0.1:8233/", Namespace: "prod", SlackWorkspaceURL: "https://acme.slack.com"}
	})
	e := &webEnv{authEnv: ae}
	b := e.browser(t)
	b.login(e.tokens["viewer"])
	p := b.do("GET", "/ui/incidents/host:dc01", nil, nil)
	for _, want := range []string{
		`href="http://127.0.0.1:8233/namespaces/prod/workflows/incident%2fhost:dc01"`,
		`href="https://acme.slack.com/archives/C0123/p1715678000123456"`,
		`href="https://acme.atlassian.net/browse/SOC-7"`,
	} {
		if !strings.Contains(strings.ToLower(p.body), strings.ToLower(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
}

type linkIncidents struct{ *webIncidents }

func (f *linkIncidents) Get(ctx context.Context, key string) (*workflows.IncidentState, error) {
	st, err := f.webIncidents.Get(ctx, key)
	if err == nil {
		st.NotifyRef, st.TicketKey, st.TicketURL = "slack:C0123:1715678000.123456", "SOC-7", "https://acme.atlassian.net/browse/SOC-7"
	}
	return st, err
}

// TestUIExport: the downloads are attachments, the Markdown escapes alert
// text, and the JSON is the export.
func TestUIExport(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	b.login(e.tokens["viewer"])
	md := b.do("GET", "/ui/incidents/host:dc01/export.md", nil, nil)
	if md.code != http.StatusOK || md.header.Get("Content-Disposition") != `attachment; filename="incident-host_dc01.md"` ||
		!strings.HasPrefix(md.header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("export.md: %d %v", md.code, md.header)
	}
	if strings.Contains(md.body, "<script") || !strings.Contains(md.body, "&lt;script&gt;") || !strings.Contains(md.body, "## Timeline (2)") {
		t.Errorf("markdown:\n%s", md.body)
	}
	js := b.do("GET", "/ui/incidents/host:dc01/export.json", nil, nil)
	var ex incidents.Export
	if err := json.Unmarshal([]byte(js.body), &ex); err != nil || js.header.Get("Content-Disposition") != `attachment; filename="incident-host_dc01.json"` {
		t.Fatalf("export.json: %v %v", err, js.header)
	}
	if len(ex.Alerts) != 3 || len(ex.Timeline) != 2 || len(ex.Decisions) != 1 || len(ex.Results) != 1 {
		t.Errorf("export %+v", ex)
	}
}

// TestUILogout: signing out needs the CSRF token and clears the cookie.
func TestUILogout(t *testing.T) {
	e := newWebEnv(t)
	b := e.browser(t)
	csrf := b.login(e.tokens["viewer"])
	if p := b.do("POST", "/ui/logout", url.Values{}, nil); p.code != http.StatusForbidden || b.cookies["socflow_session"] == nil {
		t.Errorf("logout without CSRF: %d", p.code)
	}
	p := b.do("POST", "/ui/logout", url.Values{"csrf": {csrf}}, nil)
	if p.code != http.StatusSeeOther || b.cookies["socflow_session"] != nil {
		t.Errorf("logout: %d, cookie %v", p.code, b.cookies["socflow_session"])
	}
	if p := b.do("GET", "/ui/", nil, nil); p.code != http.StatusSeeOther {
		t.Errorf("after logout: %d", p.code)
	}
}

// TestUINoOpenRedirect: the login page's next goes only to the view's own
// pages.
func TestUINoOpenRedirect(t *testing.T) {
	e := newWebEnv(t)
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/ui/\evil`, "/ui//evil.example", "/v1/tokens"} {
		b := e.browser(t)
		form := b.do("GET", "/ui/login?next="+url.QueryEscape(next), nil, nil)
		p := b.do("POST", "/ui/login", url.Values{"csrf": {csrfOf(t, form)}, "token": {e.tokens["viewer"]}, "next": {next}}, nil)
		if loc := p.header.Get("Location"); loc != "/ui/" {
			t.Errorf("next %q: redirected to %q", next, loc)
		}
	}
}

// TestUIRoutesAreNotAPI: the view's routes are HTML for people, so the
// API's description (TestOpenAPIRoutes) leaves them out on purpose.
func TestUIRoutesAreNotAPI(t *testing.T) {
	for pattern := range httpapi.Routes() {
		if strings.Contains(pattern, " /ui") {
			t.Errorf("%s is among the API's routes", pattern)
		}
	}
}

// questionIncidents asks one open question with two options.
type questionIncidents struct{ *webIncidents }

func (f *questionIncidents) Get(ctx context.Context, key string) (*workflows.IncidentState, error) {
	st, err := f.webIncidents.Get(ctx, key)
	if err == nil {
		at := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
		st.Questions = []alert.Question{
			{ID: "isolate-now", Text: "Isolate dc01 before the backup window?", Options: []string{"yes", "no"}, Tier: "T1",
				AskedAt: at, Deadline: at.Add(30 * time.Minute), Default: "no"},
			{ID: "q1", Text: "Who owns dc01?", Tier: "T1", AskedAt: at, Deadline: at.Add(time.Hour),
				Answer: &alert.QuestionAnswer{Value: "infra team", By: "bob", Via: "slack", At: at.Add(time.Minute)}},
		}
	}
	return st, err
}

// TestUIAnswer: the page lists the questions, open ones with a button per
// option for a responder (none for a viewer); an answer is posted as the
// session's principal via web, with the CSRF checks of a decision.
func TestUIAnswer(t *testing.T) {
	ae := newAuthEnv(t)
	inc := &questionIncidents{&webIncidents{fakeIncidents: ae.incidents}}
	ae.env = newEnvWith(t, ae, inc)
	ae.env.incidents = inc.fakeIncidents
	e := &webEnv{authEnv: ae}
	const path = "/ui/incidents/host:dc01/answer"

	viewer := e.browser(t)
	vcsrf := viewer.login(e.tokens["viewer"])
	p := viewer.do("GET", "/ui/incidents/host:dc01", nil, nil)
	if !strings.Contains(p.body, "Isolate dc01 before the backup window?") || !strings.Contains(p.body, "infra team") || strings.Contains(p.body, `class="answer-form"`) {
		t.Errorf("viewer's page: want both questions, no answer form\n%s", p.body)
	}
	if p := viewer.do("POST", path, url.Values{"csrf": {vcsrf}, "question": {"isolate-now"}, "answer": {"yes"}}, nil); p.code != http.StatusForbidden {
		t.Errorf("viewer answers: %d", p.code)
	}

	resp := e.browser(t)
	csrf := resp.login(e.tokens["responder"])
	p = resp.do("GET", "/ui/incidents/host:dc01", nil, nil)
	if !strings.Contains(p.body, `name="answer" value="yes"`) || !strings.Contains(p.body, `name="answer" value="no"`) || strings.Count(p.body, `class="answer-form"`) != 1 {
		t.Errorf("responder's page: want one answer form with yes and no\n%s", p.body)
	}
	if p := resp.do("POST", path, url.Values{"question": {"isolate-now"}, "answer": {"yes"}}, nil); p.code != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", p.code)
	}
	if p := resp.do("POST", path, url.Values{"csrf": {csrf}, "question": {"isolate-now"}, "answer": {"yes"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.code != http.StatusForbidden {
		t.Errorf("cross-site: %d", p.code)
	}
	if len(e.incidents.answers) != 0 {
		t.Fatalf("refused posts answered: %v", e.incidents.answers)
	}
	p = resp.do("POST", path, url.Values{"csrf": {csrf}, "question": {"isolate-now"}, "answer": {"yes"}, "by": {"mallory"}}, nil)
	if p.code != http.StatusSeeOther {
		t.Fatalf("answer: %d\n%s", p.code, p.body)
	}
	if a := e.incidents.answers; len(a) != 1 || a[0].By != "responder" || a[0].Via != "web" || a[0].Question != "isolate-now" || a[0].Answer != "yes" {
		t.Errorf("answers %+v, want responder via web: yes", a)
	}
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); !strings.Contains(p.body, "Your answer to isolate-now was accepted: yes.") {
		t.Errorf("the outcome is not shown:\n%s", p.body)
	}
	e.incidents.decideErr = &incidents.RejectedError{Reason: "question isolate-now was already answered by bob: yes"}
	resp.do("POST", path, url.Values{"csrf": {csrf}, "question": {"isolate-now"}, "answer": {"no"}}, nil)
	if p := resp.do("GET", "/ui/incidents/host:dc01", nil, nil); !strings.Contains(p.body, "Your answer was refused: question isolate-now was already answered by bob") {
		t.Errorf("a refusal's reason is not shown:\n%s", p.body)
	}
}
