package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socflow/socflow/auth"
)

// The incident web view lives under /ui/: server-rendered HTML
// (web_pages.go, templates in web/), authenticated exactly as the API
// is. A browser cannot send a bearer header, so the credential travels in
// a cookie that only this origin's /ui pages receive, and every page
// authenticates it again through Options.Auth: a revoked token stops
// working at the next click, not when a session would expire.
//
// The /ui routes are HTML for people, not API: openapi.json does not
// describe them, and TestOpenAPIRoutes holds the document to the API's
// routes alone (routes()), which these are not part of.

// UIOptions configure the incident web view. The zero value serves it
// without outbound links, with a random CSRF key for this process.
type UIOptions struct {
	// TemporalUIURL is the Temporal Web UI's base URL
	// ("http://127.0.0.1:8233"); with Namespace, an incident page links
	// its workflow there. Empty: no link.
	TemporalUIURL string
	Namespace     string
	// SlackWorkspaceURL is the Slack workspace's URL
	// ("https://acme.slack.com"), for links to an incident's thread.
	// Empty: no link.
	SlackWorkspaceURL string
	// CSRFKey signs the forms' CSRF tokens. Empty is a random key drawn
	// when the handler is built, which is right for one process; replicas
	// behind one load balancer need the same key (at least 32 bytes), or
	// a form served by one is refused by another.
	CSRFKey []byte
	// SecureCookies marks the view's cookies Secure on plain HTTP too: set
	// it when a proxy in front terminates TLS, so that the browser never
	// sends the session over HTTP.
	SecureCookies bool
	// Refresh is how often the list reloads itself; zero is 15 seconds,
	// negative turns it off.
	Refresh time.Duration
	// Now is the clock pages date things by; nil is time.Now.
	Now func() time.Time
}

// Cookie names. Both are scoped to Path=/ui, HttpOnly and SameSite=Strict.
const (
	// sessionCookie holds the credential itself: there is no server-side
	// session to steal or to forget to revoke.
	sessionCookie = "socflow_session"
	// loginCookie holds the random nonce the login form's CSRF token is
	// derived from, before there is a credential to derive it from.
	loginCookie = "socflow_login"
	// flashCookie carries a decision's outcome across the redirect that
	// follows it, signed so that nobody can plant a message.
	flashCookie = "socflow_flash"
)

// csrfField is the hidden form field that carries the CSRF token.
const csrfField = "csrf"

// uiKey returns the key that CSRF tokens and flash messages are signed
// with: UIOptions.CSRFKey, else a random one drawn once by New.
func newUIKey(configured []byte) []byte {
	if len(configured) > 0 {
		return configured
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// mac is HMAC-SHA256 of parts under the UI key, each part length-prefixed
// so that no two lists of parts sign alike.
func (s *server) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.uiKey)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s;", len(p), p)
	}
	return m.Sum(nil)
}

// csrfToken is the CSRF token for a session credential: bound to the
// credential's hash (never the credential itself, which the page must not
// carry), and to this deployment's key.
func (s *server) csrfToken(credential string) string {
	h := sha256.Sum256([]byte(credential))
	return base64.RawURLEncoding.EncodeToString(s.mac("socflow-ui-csrf", string(h[:])))
}

// loginCSRFToken is the login form's CSRF token, bound to the nonce in
// its cookie.
func (s *server) loginCSRFToken(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("socflow-ui-login", nonce))
}

// errCrossSite and errBadCSRF are refused form posts.
var (
	errCrossSite = errors.New("this form was sent from another site; open socflow's own page and send it from there")
	errBadCSRF   = errors.New("the form's security token is missing or does not match your session; reload the page and try again")
)

// checkPost refuses a form post that another site could have made: one
// whose Sec-Fetch-Site says it came from elsewhere, whose Origin names
// another host, or whose CSRF token is not want (compared in constant
// time).
func checkPost(r *http.Request, want string) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || !strings.EqualFold(u.Host, r.Host) {
			return errCrossSite
		}
	}
	got := r.PostFormValue(csrfField)
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errBadCSRF
	}
	return nil
}

// setCookie sets a /ui cookie; maxAge < 0 deletes it. It is Secure over
// TLS, and always when SecureCookies says a proxy terminates TLS in front:
// a session cookie is never sent in clear.
func (s *server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/ui", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || s.UI.SecureCookies,
	})
}

// sessionMaxAge bounds how long a browser keeps the credential: a
// working day. The credential's own expiry and revocation apply on top.
const sessionMaxAge = 12 * 60 * 60

// cookieSafe reports whether a credential can be stored in a cookie as
// is: API tokens and JWTs can; anything with spaces, quotes, commas,
// semicolons or backslashes cannot, and is no credential socflow issues.
func cookieSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return s != "" && len(s) <= 3800
}

// uiPrincipal authenticates a /ui request's session cookie. ok is false
// when the request has been answered: redirected to the login page (no
// cookie, or one Options.Auth refuses), or an error page (authentication
// unavailable, or a principal without the viewer role).
func (s *server) uiPrincipal(w http.ResponseWriter, r *http.Request) (p *auth.Principal, credential string, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		s.toLogin(w, r, false)
		return nil, "", false
	}
	if s.Auth == nil {
		s.uiError(w, r, http.StatusUnauthorized, "This server has no authentication method configured.")
		return nil, "", false
	}
	p, err = s.Auth.Authenticate(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, auth.ErrUnauthenticated) {
			s.Logger.Error("authentication failed", "route", r.Pattern, "error", err)
			w.Header().Set("Retry-After", "5")
			s.uiError(w, r, http.StatusServiceUnavailable, "Authentication is unavailable right now; try again in a moment.")
			return nil, "", false
		}
		s.Logger.Info("refused credential", "route", r.Pattern, "error", err)
		s.setCookie(w, r, sessionCookie, "", -1)
		s.toLogin(w, r, true)
		return nil, "", false
	}
	if !p.Has(auth.RoleViewer) {
		s.uiError(w, r, http.StatusForbidden, fmt.Sprintf("%s (%s) may not view incidents: it needs the viewer role.", p.Name, joinRoles(p.Roles)))
		return nil, "", false
	}
	return p, c.Value, true
}

// toLogin redirects to the login page, with where to come back to when
// the visit was a page read; expired says the session's token was
// refused (the login page words it: no text travels in the URL).
func (s *server) toLogin(w http.ResponseWriter, r *http.Request, expired bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && safeNext(r.URL.RequestURI()) {
		q.Set("next", r.URL.RequestURI())
	}
	if expired {
		q.Set("why", "expired")
	}
	target := "/ui/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext reports whether a login's next is one of the view's own pages:
// never another host ("//evil", "/\evil"), so the login page is no open
// redirect.
func safeNext(next string) bool {
	return strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "/ui/login") &&
		!strings.Contains(next, "//") && !strings.Contains(next, `\`)
}

// setFlash carries a message to the next page view.
func (s *server) setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	msg = truncateBytes(kind+":"+msg, 1500)
	v := base64.RawURLEncoding.EncodeToString([]byte(msg)) + "." + base64.RawURLEncoding.EncodeToString(s.mac("socflow-ui-flash", msg))
	s.setCookie(w, r, flashCookie, v, 60)
}

// takeFlash reads and clears the flash message, if a valid one is set.
func (s *server) takeFlash(w http.ResponseWriter, r *http.Request) (kind, msg string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	s.setCookie(w, r, flashCookie, "", -1)
	b64, sig, ok := strings.Cut(c.Value, ".")
	raw, err1 := base64.RawURLEncoding.DecodeString(b64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac("socflow-ui-flash", string(raw))) {
		return "", ""
	}
	kind, msg, _ = strings.Cut(string(raw), ":")
	return kind, msg
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// uiLoginForm shows the sign-in form, with a fresh nonce for its CSRF
// token.
func (s *server) uiLoginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "")
}

func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, code int, problem string) {
	nonce := make([]byte, 18)
	_, _ = rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	s.setCookie(w, r, loginCookie, n, 60*60)
	next := r.FormValue("next")
	if !safeNext(next) {
		next = ""
	}
	if problem == "" && r.URL.Query().Get("why") == "expired" {
		problem = "Your session's token is unknown, expired or revoked: sign in again."
	}
	s.render(w, r, code, "login", loginPage{CSRF: s.loginCSRFToken(n), Next: next, Problem: problem})
}

// uiLogin authenticates the token typed into the form with Options.Auth,
// the API's own, and keeps it in the session cookie.
func (s *server) uiLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	nonce := ""
	if c, err := r.Cookie(loginCookie); err == nil {
		nonce = c.Value
	}
	want := ""
	if nonce != "" {
		want = s.loginCSRFToken(nonce)
	}
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if err := checkPost(r, want); err != nil {
		s.renderLogin(w, r, http.StatusForbidden, err.Error())
		return
	}
	cred := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("token")), "Bearer "))
	switch {
	case cred == "":
		s.renderLogin(w, r, http.StatusBadRequest, "Enter an API token (sft_...) or an OIDC bearer token.")
		return
	case !cookieSafe(cred):
		s.renderLogin(w, r, http.StatusBadRequest, "That is not a token socflow accepts: tokens have no spaces, quotes, commas or semicolons and are under 3,800 characters.")
		return
	case s.Auth == nil:
		s.renderLogin(w, r, http.StatusUnauthorized, "This server has no authentication method configured.")
		return
	}
	p, err := s.Auth.Authenticate(r.Context(), cred)
	if err != nil {
		if !errors.Is(err, auth.ErrUnauthenticated) {
			s.Logger.Error("authentication failed", "route", r.Pattern, "error", err)
			s.renderLogin(w, r, http.StatusServiceUnavailable, "Authentication is unavailable right now; try again in a moment.")
			return
		}
		s.Logger.Info("refused credential", "route", r.Pattern, "error", err)
		s.renderLogin(w, r, http.StatusUnauthorized, "Unknown, expired or revoked token.")
		return
	}
	if !p.Has(auth.RoleViewer) {
		s.renderLogin(w, r, http.StatusForbidden, fmt.Sprintf("%s (%s) may not view incidents: it needs the viewer role.", p.Name, joinRoles(p.Roles)))
		return
	}
	s.Logger.Info("web sign-in", "principal", p.Name, "method", p.Method)
	s.setCookie(w, r, loginCookie, "", -1)
	s.setCookie(w, r, sessionCookie, cred, sessionMaxAge)
	next := r.PostFormValue("next")
	if !safeNext(next) {
		next = "/ui/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// uiLogout forgets the session. It needs the session's CSRF token, but
// not a credential that still authenticates: signing out with a revoked
// token must work.
func (s *server) uiLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	if err := checkPost(r, s.csrfToken(c.Value)); err != nil {
		s.uiError(w, r, http.StatusForbidden, err.Error())
		return
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
