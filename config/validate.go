package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake/decode"
)

// Error is one problem with the configuration.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats the problem as file:line: field: message, leaving out
// what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// problems collects what loading and validation find, each against the
// field path it concerns; parse adds the file and the line afterwards, so
// that a section's check needs to know neither.
type problems []*Error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// validate checks the decoded configuration, section by section. It reads
// no file and no environment variable: loadFiles and resolveSecrets have.
func (c *Config) validate(p *problems) {
	c.Temporal.validate(p)
	c.Server.validate(p)
	if c.DataDir == "" {
		p.add("data_dir", "is required")
	}
	c.Enrichment.validate(p)
	c.Integrations.validate(p)
	c.Intake.validate(p)
	c.Codec.validate(p)
	validatePolicy(&c.Policy, p)
}

func (t Temporal) validate(p *problems) {
	if _, _, err := net.SplitHostPort(t.Address); err != nil {
		p.add("temporal.address", "%q is not host:port", t.Address)
	}
	if t.Namespace == "" {
		p.add("temporal.namespace", "is required")
	}
	if (t.TLS.CertFile == "") != (t.TLS.KeyFile == "") {
		p.add("temporal.tls", "cert_file and key_file must be given together")
	}
}

func (s Server) validate(p *problems) {
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		p.add("server.addr", "%q is not host:port", s.Addr)
	}
	if s.MaxBodyBytes <= 0 {
		p.add("server.max_body_bytes", "must be positive")
	}
	if s.MaxAlertsPerRequest <= 0 {
		p.add("server.max_alerts_per_request", "must be positive")
	}
	for i, h := range s.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ \t") {
			p.add(fmt.Sprintf("server.allowed_hosts[%d]", i), "%q is not a host name or host:port", h)
		}
	}
	if s.OIDC.Enabled() {
		s.OIDC.validate(p)
	}
	s.UI.validate(p)
	for _, t := range []struct {
		field  string
		secret Secret
	}{{"server.token", s.Token}, {"server.admin_token", s.AdminToken}} {
		if v := t.secret.Value(); t.secret.IsSet() && len(v) < 16 {
			p.add(t.field, "$%s is %d characters: use at least 16 random ones (openssl rand -hex 24)", t.secret.Ref, len(v))
		}
	}
}

func (u WebUI) validate(p *problems) {
	for _, f := range []struct{ field, v string }{
		{"server.ui.temporal_ui_url", u.TemporalUIURL}, {"server.ui.slack_workspace_url", u.SlackWorkspaceURL},
	} {
		if f.v == "" {
			continue
		}
		if err := CheckHTTPURL(f.v); err != nil {
			p.add(f.field, "%v", err)
		}
	}
	if v := u.CSRFKey.Value(); u.CSRFKey.IsSet() && len(v) < 32 {
		p.add("server.ui.csrf_key", "$%s is %d characters: use at least 32 random ones (openssl rand -hex 32), the same on every replica", u.CSRFKey.Ref, len(v))
	}
}

func (o OIDC) validate(p *problems) {
	if err := CheckHTTPSURL(o.Issuer); err != nil {
		p.add("server.oidc.issuer", "%v", err)
	}
	if o.Audience == "" {
		p.add("server.oidc.audience", "is required: the client ID tokens are issued for")
	}
	for k, v := range o.RoleMap {
		switch v {
		case "ingest", "responder", "viewer", "admin":
		default:
			p.add("server.oidc.role_map."+k, "%q is not a role: use ingest, responder, viewer or admin", v)
		}
	}
}

func (en Enrichment) validate(p *problems) {
	if en.Timeout <= 0 {
		p.add("enrichment.timeout", "must be a positive duration such as 5s")
	}
	if en.Intel.Reload < 0 {
		p.add("enrichment.intel.reload", "must not be negative")
	}
	for i, tx := range en.Intel.TAXII {
		field := fmt.Sprintf("enrichment.intel.taxii[%d]", i)
		if err := CheckHTTPURL(tx.URL); err != nil {
			p.add(field+".url", "%v", err)
		}
		for _, sec := range []Secret{tx.Password, tx.Token} {
			if sec.Ref != "" && !sec.IsSet() {
				p.add(field, "environment variable %s is not set", sec.Ref)
			}
		}
	}
	if sn := en.Assets.ServiceNow; sn.URL != "" {
		if err := CheckHTTPURL(sn.URL); err != nil {
			p.add("enrichment.assets.servicenow.url", "%v", err)
		}
		if !sn.Token.IsSet() && (sn.User == "" || !sn.Password.IsSet()) {
			p.add("enrichment.assets.servicenow", "needs user and password ($%s), or token", sn.Password.Ref)
		}
	}
	if en.Events.Retention <= 0 {
		p.add("enrichment.events.retention", "must be a positive duration such as 720h")
	}
	if en.Events.Window <= 0 {
		p.add("enrichment.events.window", "must be a positive duration such as 30m")
	}
	if en.Logins.MaxSpeedKmh <= 0 {
		p.add("enrichment.logins.max_speed_kmh", "must be positive")
	}
}

func (in Integrations) validate(p *problems) {
	seen := map[string]bool{}
	for i, t := range in.HTTP {
		at := fmt.Sprintf("integrations.http[%d]", i)
		switch {
		case t.Name == "":
			p.add(at+".name", "is required: playbooks name the target")
		case seen[t.Name]:
			p.add(at+".name", "%q is named twice", t.Name)
		}
		seen[t.Name] = true
		if err := CheckHTTPURL(t.URL); err != nil {
			p.add(at+".url", "%v", err)
		}
		for k := range t.Headers {
			if strings.EqualFold(k, "Authorization") {
				p.add(at+".headers", "Authorization belongs in token (a secret from the environment), not in headers")
			}
		}
	}
	in.EDR.validate("integrations.edr", EDRProviders, p)
	in.IDP.validate("integrations.idp", IDPProviders, p)
	in.Firewall.validate(p)
	in.Mail.validate(p)
	in.Slack.validate(p)
	in.Jira.validate(p)
}

// validate checks one service at field ("integrations.edr") against the
// providers its integration accepts.
func (s Service) validate(field string, providers []string, p *problems) {
	if !slices.Contains(providers, s.Provider) {
		p.add(field+".provider", "%q is not one of %q", s.Provider, providers[1:])
		return
	}
	if s.Provider == "" {
		return
	}
	if err := CheckHTTPURL(s.URL); err != nil {
		p.add(field+".url", "%v", err)
	}
	s.validateAuth(field, p)
}

func (sl Slack) validate(p *problems) {
	if sl.APIURL != "" {
		if u, err := url.Parse(sl.APIURL); err != nil || u.Host == "" {
			p.add("integrations.slack.api_url", "%q is not a URL", sl.APIURL)
		}
	}
	if sl.AppToken.IsSet() && !strings.HasPrefix(sl.AppToken.Value(), "xapp-") {
		p.add("integrations.slack.app_token", "$%s does not hold an app-level token (xapp-...)", sl.AppToken.Ref)
	}
}

func (j Jira) validate(p *problems) {
	if !j.Enabled() {
		return
	}
	if err := CheckHTTPURL(j.URL); err != nil {
		p.add("integrations.jira.url", "%v", err)
	}
	cloud, dc := j.Email != "" || j.APIToken.IsSet(), j.PAT.IsSet()
	switch {
	case cloud && dc:
		p.add("integrations.jira", "set either email and api_token (Cloud) or pat (Data Center), not both")
	case !cloud && !dc:
		p.add("integrations.jira", "no credentials: set $%s and $%s (Cloud) or $%s (Data Center)", "JIRA_EMAIL", j.APIToken.Ref, j.PAT.Ref)
	case cloud && (j.Email == "" || !j.APIToken.IsSet()):
		p.add("integrations.jira", "Jira Cloud needs both email and api_token ($%s)", j.APIToken.Ref)
	}
	if j.Project == "" {
		p.add("integrations.jira.project", "is required (the project key, as in SEC)")
	}
	if j.MinPriority != "" && alert.Priority(j.MinPriority).Rank() == 0 {
		p.add("integrations.jira.min_priority", "%q is not P1-P4", j.MinPriority)
	}
}

func (in Intake) validate(p *problems) {
	builtin := decode.Builtin()
	for i, m := range in.Formats {
		field := fmt.Sprintf("intake.formats[%d]", i)
		if err := m.Validate(); err != nil {
			for _, e := range flatten(err) {
				p.add(field, "%v", e)
			}
			continue
		}
		if _, clash := builtin.Get(m.Name); clash {
			p.add(field+".name", "%q is a built-in format", m.Name)
		}
	}
}

// ErrorAt is a problem with field (a path such as "routing.rules[2].playbook")
// of the loaded file, with the field's line: for checks made outside this
// package, such as `socflow playbook validate`'s.
func (c *Config) ErrorAt(field, msg string) *Error {
	return &Error{File: c.Path, Line: lineOf(c.root, field), Field: field, Msg: msg}
}

// ValidatePlaybooks checks that every playbook the routing names exists;
// the caller passes the names it knows, because the registry lives with the
// workflow code.

func (c *Config) ValidatePlaybooks(known func(string) bool) error {
	var errs []error
	check := func(field, name string) {
		if !known(name) {
			errs = append(errs, c.ErrorAt(field, fmt.Sprintf("unknown playbook %q", name)))
		}
	}
	check("routing.default.playbook", c.Policy.Routing.Default.Playbook)
	for i, r := range c.Policy.Routing.Rules {
		check(fmt.Sprintf("routing.rules[%d].playbook", i), r.Playbook)
	}
	return errors.Join(errs...)
}
