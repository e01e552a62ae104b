// Package config reads socflow.yaml: the Temporal connection, the HTTP API,
// the integrations and the response policy. The file is decoded strictly
// (unknown fields are errors), secrets may only be environment references,
// and every problem is reported with the file, line and field it concerns.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake/decode"
	"github.com/socflow/socflow/policy"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is the whole of socflow.yaml.
type Config struct {
	Temporal     Temporal     `yaml:"temporal" json:"temporal"`
	Server       Server       `yaml:"server" json:"server"`
	DataDir      string       `yaml:"data_dir" json:"data_dir"`
	Enrichment   Enrichment   `yaml:"enrichment" json:"enrichment"`
	Integrations Integrations `yaml:"integrations" json:"integrations"`
	Correlation  Correlation  `yaml:"correlation" json:"correlation"`
	Intake       Intake       `yaml:"intake" json:"intake"`
	Codec        Codec        `yaml:"codec" json:"codec"`
	// Policy is inlined: triage, scoring, routing and tiers are top-level
	// keys of the file.
	Policy policy.Policy `yaml:",inline" json:"policy"`

	// Path is the file the configuration came from ("" for the defaults).
	Path string `yaml:"-" json:"path"`

	root *yaml.Node
}

// Temporal says how to reach the Temporal frontend.
type Temporal struct {
	Address   string `yaml:"address" json:"address"`
	Namespace string `yaml:"namespace" json:"namespace"`
	TLS       TLS    `yaml:"tls" json:"tls"`
	// APIKey authenticates to Temporal Cloud.
	APIKey Secret `yaml:"api_key" json:"api_key"`
}

// TLS configures mutual TLS to Temporal.
type TLS struct {
	Enabled    bool   `yaml:"enabled" json:"enabled"`
	CertFile   string `yaml:"cert_file" json:"cert_file,omitempty"`
	KeyFile    string `yaml:"key_file" json:"key_file,omitempty"`
	CAFile     string `yaml:"ca_file" json:"ca_file,omitempty"`
	ServerName string `yaml:"server_name" json:"server_name,omitempty"`
}

// Server configures socflow's HTTP API.
type Server struct {
	Addr string `yaml:"addr" json:"addr"`
	// Token is a shared bearer token from before principals: it admits its
	// holder (named "shared-token") to submit alerts and events, nothing
	// more, since every SIEM that sends alerts holds it. Create a token per
	// sender and per person instead (`socflow token create`).
	Token Secret `yaml:"token" json:"token"`
	// AdminToken admits its holder as the admin "bootstrap-admin": set it
	// to create the first tokens of a `socflow serve` deployment, then
	// keep it in a vault ($SOCFLOW_ADMIN_TOKEN).
	AdminToken Secret `yaml:"admin_token" json:"admin_token"`
	// OIDC admits bearer tokens from an OpenID Connect provider.
	OIDC         OIDC  `yaml:"oidc" json:"oidc"`
	MaxBodyBytes int64 `yaml:"max_body_bytes" json:"max_body_bytes"`
	// MaxAlertsPerRequest bounds the alerts one request may hold; more is
	// a 413 naming the cap, before anything reaches Temporal.
	MaxAlertsPerRequest int `yaml:"max_alerts_per_request" json:"max_alerts_per_request"`
	// AllowedHosts are the names clients reach the API by ("name" or
	// "name:port", "*" for any), besides loopback names and the address it
	// listens on. Behind a reverse proxy, list the public name.
	AllowedHosts []string `yaml:"allowed_hosts" json:"allowed_hosts,omitempty"`
}

// OIDC configures OpenID Connect bearer tokens (people and SSO-issued
// service accounts). Roles come from a claim; each value is a socflow role
// (ingest, responder, viewer, admin) or a key of role_map.
type OIDC struct {
	// Issuer is the provider's issuer URL ("" turns OIDC off).
	Issuer string `yaml:"issuer" json:"issuer,omitempty"`
	// Audience is the client ID tokens must be issued for.
	Audience    string `yaml:"audience" json:"audience,omitempty"`
	NameClaim   string `yaml:"name_claim" json:"name_claim,omitempty"`
	RolesClaim  string `yaml:"roles_claim" json:"roles_claim,omitempty"`
	GroupsClaim string `yaml:"groups_claim" json:"groups_claim,omitempty"`
	// RoleMap maps the provider's values to socflow roles.
	RoleMap map[string]string `yaml:"role_map" json:"role_map,omitempty"`
}

// Enabled reports whether OIDC is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Enrichment configures the enrichment sources. Every source is optional;
// the context packet names the ones that failed.
type Enrichment struct {
	// Timeout bounds each remote source; a source that exceeds it becomes
	// a gap.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	Intel   Intel         `yaml:"intel" json:"intel"`
	Assets  Assets        `yaml:"assets" json:"assets"`
	GeoIP   GeoIP         `yaml:"geoip" json:"geoip"`
	Events  Events        `yaml:"events" json:"events"`
	Logins  Logins        `yaml:"logins" json:"logins"`
	// VirusTotal and AbuseIPDB are online lookups, on when their API key
	// is set ($VT_API_KEY, $ABUSEIPDB_API_KEY).
	VirusTotal Online `yaml:"virustotal" json:"virustotal"`
	AbuseIPDB  Online `yaml:"abuseipdb" json:"abuseipdb"`
	// HostDetails asks the EDR about the alert's host (OS, last seen).
	HostDetails bool `yaml:"host_details" json:"host_details"`
}

// Intel lists the threat intelligence sources.
type Intel struct {
	// Files are CSV and text lists, STIX 2.1 bundles (.json), MISP event
	// files and MISP feed folders.
	Files []string `yaml:"files" json:"files,omitempty"`
	// TAXII are TAXII 2.1 collections polled for STIX indicators.
	TAXII []TAXII `yaml:"taxii" json:"taxii,omitempty"`
	// Reload is how often the sources are checked for changes.
	Reload time.Duration `yaml:"reload" json:"reload"`
}

// TAXII is one collection.
type TAXII struct {
	Name string `yaml:"name" json:"name"`
	// URL is the collection's URL: {api-root}/collections/{id}/.
	URL      string `yaml:"url" json:"url"`
	Username string `yaml:"username" json:"username,omitempty"`
	Password Secret `yaml:"password" json:"password"`
	Token    Secret `yaml:"token" json:"token"`
}

// Assets lists the inventory sources.
type Assets struct {
	Files      []string   `yaml:"files" json:"files,omitempty"`
	ServiceNow ServiceNow `yaml:"servicenow" json:"servicenow"`
}

// ServiceNow is the live CMDB, asked when the files do not know an asset.
type ServiceNow struct {
	URL      string `yaml:"url" json:"url,omitempty"`
	Table    string `yaml:"table" json:"table,omitempty"`
	User     string `yaml:"user" json:"user,omitempty"`
	Password Secret `yaml:"password" json:"password"`
	Token    Secret `yaml:"token" json:"token"`
}

// GeoIP names MaxMind databases.
type GeoIP struct {
	City string `yaml:"city" json:"city,omitempty"`
	ASN  string `yaml:"asn" json:"asn,omitempty"`
}

// Events configures the telemetry store behind POST /v1/events.
type Events struct {
	// Path is the SQLite file, relative to data_dir; the default.
	Path string `yaml:"path" json:"path,omitempty"`
	// PostgresDSN uses PostgreSQL instead, for several processes.
	PostgresDSN Secret `yaml:"postgres_dsn" json:"postgres_dsn"`
	// Retention is how long events are kept.
	Retention time.Duration `yaml:"retention" json:"retention"`
	// Window is how far before an alert related events are looked for.
	Window time.Duration `yaml:"window" json:"window"`
}

// Logins configures the login history.
type Logins struct {
	// MaxSpeedKmh is the fastest believable travel between two logins.
	MaxSpeedKmh float64 `yaml:"max_speed_kmh" json:"max_speed_kmh"`
}

// Online is an online reputation service.
type Online struct {
	APIKey Secret `yaml:"api_key" json:"api_key"`
	URL    string `yaml:"url" json:"url,omitempty"`
	// PerMinute bounds the calls (0: the client's default for the
	// service's free tier).
	PerMinute float64 `yaml:"per_minute" json:"per_minute,omitempty"`
}

// Intake configures how alerts are read.
type Intake struct {
	// Formats are site-specific JSON formats mapped by field paths, tried
	// after the built-in vendor formats (or forced with ?format=<name>).
	Formats []decode.GenericMapping `yaml:"formats" json:"formats,omitempty"`
}

// Registry returns the built-in decoders plus the configured mappings.
func (in Intake) Registry() (*decode.Registry, error) {
	r := decode.Builtin()
	for _, m := range in.Formats {
		f, err := decode.NewGeneric(m)
		if err != nil {
			return nil, err
		}
		if err := r.Add(f); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Correlation configures Sigma correlation rules.
type Correlation struct {
	// RulesDir holds Sigma correlation rules (.yml), relative to the
	// configuration file's folder.
	RulesDir string `yaml:"rules_dir" json:"rules_dir,omitempty"`
}

// Integrations configures the services socflow acts through.
type Integrations struct {
	EDR   Service `yaml:"edr" json:"edr"`
	IDP   Service `yaml:"idp" json:"idp"`
	Slack Slack   `yaml:"slack" json:"slack"`
	Jira  Jira    `yaml:"jira" json:"jira"`
}

// Slack configures notifications and interactive decisions in Slack. It is
// on when a bot token is set ($SLACK_BOT_TOKEN by default).
type Slack struct {
	BotToken      Secret `yaml:"bot_token" json:"bot_token"`
	SigningSecret Secret `yaml:"signing_secret" json:"signing_secret"`
	// AppToken enables Socket Mode, for sites without a public URL for
	// POST /slack/interactions.
	AppToken Secret `yaml:"app_token" json:"app_token"`
	// APIURL overrides https://slack.com/api/ ($SLACK_API_URL), for tests
	// and proxies.
	APIURL string `yaml:"api_url" json:"api_url,omitempty"`
	// UIBaseURL is the Temporal Web UI address messages link to.
	UIBaseURL string `yaml:"ui_base_url" json:"ui_base_url,omitempty"`
}

// Enabled reports whether Slack is configured.
func (s Slack) Enabled() bool { return s.BotToken.IsSet() }

// Jira configures the one-ticket-per-incident integration. It is on when
// a URL is set ($JIRA_URL), with $JIRA_EMAIL and $JIRA_API_TOKEN (Cloud) or
// $JIRA_PAT (Data Center).
type Jira struct {
	URL      string `yaml:"url" json:"url,omitempty"`
	Email    string `yaml:"email" json:"email,omitempty"`
	APIToken Secret `yaml:"api_token" json:"api_token"`
	PAT      Secret `yaml:"pat" json:"pat"`
	Project  string `yaml:"project" json:"project,omitempty"`
	// IssueType defaults to Task.
	IssueType string `yaml:"issue_type" json:"issue_type,omitempty"`
	// MinPriority is the least urgent priority that gets a ticket.
	MinPriority string            `yaml:"min_priority" json:"min_priority,omitempty"`
	PriorityMap map[string]string `yaml:"priority_map" json:"priority_map,omitempty"`
	// SearchLag is how long after a create whose outcome is unknown (a
	// timeout, a 5xx) socflow waits for Jira's search to show the issue
	// before creating another; Jira Cloud's index lags by seconds. Default
	// one minute.
	SearchLag time.Duration `yaml:"search_lag" json:"search_lag,omitempty"`
	// Transitions name the workflow transitions performed on containment
	// and on close.
	Transitions struct {
		Contain string `yaml:"contain" json:"contain,omitempty"`
		Close   string `yaml:"close" json:"close,omitempty"`
	} `yaml:"transitions" json:"transitions"`
}

// Enabled reports whether Jira is configured.
func (j Jira) Enabled() bool { return j.URL != "" }

// Service is one remote API.
type Service struct {
	// Provider picks the client: for the EDR "defender" (Microsoft Defender
	// for Endpoint); for the IdP "okta". Empty disables the integration.
	Provider string `yaml:"provider" json:"provider"`
	URL      string `yaml:"url" json:"url,omitempty"`
	Token    Secret `yaml:"token" json:"token"`
}

// Providers each integration accepts.
var (
	EDRProviders = []string{"", "defender"}
	IDPProviders = []string{"", "okta"}
)

// Error is one problem with the configuration.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

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

// Default returns the built-in configuration.
func Default() *Config {
	c, err := parse(nil, "", os.LookupEnv)
	if err != nil {
		panic("config: built-in defaults are invalid: " + err.Error())
	}
	return c
}

// Load reads, resolves and validates a configuration file. lookup reads
// environment variables (os.LookupEnv outside tests). Every problem found is
// returned, joined, each an *Error naming file, line and field.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read the configuration: %v", errors.Unwrap(err))}
	}
	return parse(data, path, lookup)
}

// Parse is Load for a file already in memory; path is only used in errors
// and to resolve relative data file paths.
func Parse(data []byte, path string, lookup func(string) (string, bool)) (*Config, error) {
	return parse(data, path, lookup)
}

func parse(data []byte, path string, lookup func(string) (string, bool)) (*Config, error) {
	var c Config
	if err := decodeStrict(defaultYAML, &c); err != nil {
		return nil, fmt.Errorf("config: built-in defaults: %w", err)
	}
	var root yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, yamlErrors(path, err)
		}
		// Lists replace the default lists rather than merging into them, so
		// clear the ones the file sets before decoding over the defaults.
		clearListsSetIn(&root, &c)
		if err := decodeStrict(data, &c); err != nil {
			return nil, yamlErrors(path, err)
		}
	}
	c.Path, c.root = path, &root
	c.applyEnv(lookup)
	errs := c.validate(lookup)
	for _, e := range errs {
		e.File = path
		e.Line = lineOf(&root, e.Field)
	}
	if len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	return &c, nil
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

var yamlLine = regexp.MustCompile(`^\s*(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors rewrites yaml.v3's "line N: ..." messages as file:line errors.
func yamlErrors(path string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []error
	for _, m := range msgs {
		e := &Error{File: path, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Msg = g[2]
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func clearListsSetIn(root *yaml.Node, c *Config) {
	if nodeAt(root, "tiers") != nil {
		c.Policy.Tiers = nil
	}
	if nodeAt(root, "routing.default.group_by") != nil {
		c.Policy.Routing.Default.GroupBy = nil
	}
}

// applyEnv applies the conventional environment variables, which win over
// the file so that one file serves several deployments.
func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	set := func(dst *string, name string) {
		if v, ok := lookup(name); ok && v != "" {
			*dst = v
		}
	}
	set(&c.Temporal.Address, "TEMPORAL_ADDRESS")
	set(&c.Temporal.Namespace, "TEMPORAL_NAMESPACE")
	set(&c.Temporal.TLS.CertFile, "TEMPORAL_TLS_CLIENT_CERT_PATH")
	set(&c.Temporal.TLS.KeyFile, "TEMPORAL_TLS_CLIENT_KEY_PATH")
	set(&c.Temporal.TLS.CAFile, "TEMPORAL_TLS_SERVER_CA_CERT_PATH")
	set(&c.Temporal.TLS.ServerName, "TEMPORAL_TLS_SERVER_NAME")
	if c.Temporal.APIKey.Ref == "" {
		c.Temporal.APIKey.Ref = "TEMPORAL_API_KEY"
	}
	if c.Server.Token.Ref == "" {
		c.Server.Token.Ref = "SOCFLOW_API_TOKEN"
	}
	if c.Server.AdminToken.Ref == "" {
		c.Server.AdminToken.Ref = "SOCFLOW_ADMIN_TOKEN"
	}
	set(&c.DataDir, "SOCFLOW_DATA_DIR")
	defaultRef := func(s *Secret, name string) {
		if s.Ref == "" {
			s.Ref = name
		}
	}
	defaultRef(&c.Enrichment.VirusTotal.APIKey, "VT_API_KEY")
	defaultRef(&c.Enrichment.AbuseIPDB.APIKey, "ABUSEIPDB_API_KEY")
	defaultRef(&c.Enrichment.Events.PostgresDSN, "SOCFLOW_EVENTS_POSTGRES_DSN")
	sl := &c.Integrations.Slack
	defaultRef(&sl.BotToken, "SLACK_BOT_TOKEN")
	defaultRef(&sl.SigningSecret, "SLACK_SIGNING_SECRET")
	defaultRef(&sl.AppToken, "SLACK_APP_TOKEN")
	set(&sl.APIURL, "SLACK_API_URL")
	j := &c.Integrations.Jira
	set(&j.URL, "JIRA_URL")
	set(&j.Email, "JIRA_EMAIL")
	set(&j.Project, "JIRA_PROJECT")
	defaultRef(&j.APIToken, "JIRA_API_TOKEN")
	defaultRef(&j.PAT, "JIRA_PAT")
}

// Resolve turns a data file path from the configuration into a path
// relative to the working directory: relative paths are read from the
// configuration file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

func (c *Config) validate(lookup func(string) (string, bool)) []*Error {
	var errs []*Error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
	}

	// The two secrets with conventional defaults are optional.
	c.Temporal.APIKey.resolve(lookup)
	c.Server.Token.resolve(lookup)
	c.Server.AdminToken.resolve(lookup)

	if _, _, err := net.SplitHostPort(c.Temporal.Address); err != nil {
		bad("temporal.address", "%q is not host:port", c.Temporal.Address)
	}
	if c.Temporal.Namespace == "" {
		bad("temporal.namespace", "is required")
	}
	if t := c.Temporal.TLS; (t.CertFile == "") != (t.KeyFile == "") {
		bad("temporal.tls", "cert_file and key_file must be given together")
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "%q is not host:port", c.Server.Addr)
	}
	if c.Server.MaxBodyBytes <= 0 {
		bad("server.max_body_bytes", "must be positive")
	}
	if c.Server.MaxAlertsPerRequest <= 0 {
		bad("server.max_alerts_per_request", "must be positive")
	}
	for i, h := range c.Server.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ \t") {
			bad(fmt.Sprintf("server.allowed_hosts[%d]", i), "%q is not a host name or host:port", h)
		}
	}
	if o := c.Server.OIDC; o.Enabled() {
		if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && !isLoopbackURL(u)) || u.Host == "" {
			bad("server.oidc.issuer", "%q is not an https URL (http only on loopback)", o.Issuer)
		}
		if o.Audience == "" {
			bad("server.oidc.audience", "is required: the client ID tokens are issued for")
		}
		for k, v := range o.RoleMap {
			switch v {
			case "ingest", "responder", "viewer", "admin":
			default:
				bad("server.oidc.role_map."+k, "%q is not a role: use ingest, responder, viewer or admin", v)
			}
		}
	}
	for name, t := range map[string]Secret{"server.token": c.Server.Token, "server.admin_token": c.Server.AdminToken} {
		if t.IsSet() && len(t.Value()) < 16 {
			bad(name, "$%s is %d characters: use at least 16 random ones (openssl rand -hex 24)", t.Ref, len(t.Value()))
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "is required")
	}
	if c.Enrichment.Timeout <= 0 {
		bad("enrichment.timeout", "must be a positive duration such as 5s")
	}
	for i, f := range c.Enrichment.Intel.Files {
		if _, err := os.Stat(c.Resolve(f)); err != nil {
			bad(fmt.Sprintf("enrichment.intel.files[%d]", i), "%v", err)
		}
	}
	for i, f := range c.Enrichment.Assets.Files {
		if _, err := os.Stat(c.Resolve(f)); err != nil {
			bad(fmt.Sprintf("enrichment.assets.files[%d]", i), "%v", err)
		}
	}
	en := &c.Enrichment
	if en.Intel.Reload < 0 {
		bad("enrichment.intel.reload", "must not be negative")
	}
	for i := range en.Intel.TAXII {
		tx := &en.Intel.TAXII[i]
		field := fmt.Sprintf("enrichment.intel.taxii[%d]", i)
		if u, err := url.Parse(tx.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(field+".url", "%q is not an http(s) URL", tx.URL)
		}
		if tx.Name == "" {
			tx.Name = tx.URL
		}
		for _, sec := range []*Secret{&tx.Password, &tx.Token} {
			if sec.Ref != "" && !sec.resolve(lookup) {
				bad(field, "environment variable %s is not set", sec.Ref)
			}
		}
	}
	if sn := &en.Assets.ServiceNow; sn.URL != "" {
		if u, err := url.Parse(sn.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("enrichment.assets.servicenow.url", "%q is not an http(s) URL", sn.URL)
		}
		sn.Password.resolve(lookup)
		sn.Token.resolve(lookup)
		if !sn.Token.IsSet() && (sn.User == "" || !sn.Password.IsSet()) {
			bad("enrichment.assets.servicenow", "needs user and password ($%s), or token", sn.Password.Ref)
		}
	}
	for _, f := range []struct{ field, path string }{{"enrichment.geoip.city", en.GeoIP.City}, {"enrichment.geoip.asn", en.GeoIP.ASN}} {
		if f.path != "" {
			if _, err := os.Stat(c.Resolve(f.path)); err != nil {
				bad(f.field, "%v", err)
			}
		}
	}
	en.Events.PostgresDSN.resolve(lookup)
	if en.Events.Retention <= 0 {
		bad("enrichment.events.retention", "must be a positive duration such as 720h")
	}
	if en.Events.Window <= 0 {
		bad("enrichment.events.window", "must be a positive duration such as 30m")
	}
	if en.Logins.MaxSpeedKmh <= 0 {
		bad("enrichment.logins.max_speed_kmh", "must be positive")
	}
	en.VirusTotal.APIKey.resolve(lookup)
	en.AbuseIPDB.APIKey.resolve(lookup)
	checkService := func(name string, s *Service, providers []string) {
		if !slices.Contains(providers, s.Provider) {
			bad("integrations."+name+".provider", "%q is not one of %q", s.Provider, providers[1:])
			return
		}
		if s.Provider == "" {
			return
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("integrations."+name+".url", "%q is not an http(s) URL", s.URL)
		}
		if s.Token.Ref == "" {
			bad("integrations."+name+".token", "is required: name the environment variable, as in $%s_TOKEN", strings.ToUpper(s.Provider))
		} else if !s.Token.resolve(lookup) {
			bad("integrations."+name+".token", "environment variable %s is not set", s.Token.Ref)
		}
	}
	checkService("edr", &c.Integrations.EDR, EDRProviders)
	checkService("idp", &c.Integrations.IDP, IDPProviders)

	sl := &c.Integrations.Slack
	sl.BotToken.resolve(lookup)
	sl.SigningSecret.resolve(lookup)
	sl.AppToken.resolve(lookup)
	if sl.APIURL != "" {
		if u, err := url.Parse(sl.APIURL); err != nil || u.Host == "" {
			bad("integrations.slack.api_url", "%q is not a URL", sl.APIURL)
		}
	}
	if sl.AppToken.IsSet() && !strings.HasPrefix(sl.AppToken.Value(), "xapp-") {
		bad("integrations.slack.app_token", "$%s does not hold an app-level token (xapp-...)", sl.AppToken.Ref)
	}
	j := &c.Integrations.Jira
	j.APIToken.resolve(lookup)
	j.PAT.resolve(lookup)
	if j.Enabled() {
		if u, err := url.Parse(j.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("integrations.jira.url", "%q is not an http(s) URL", j.URL)
		}
		cloud, dc := j.Email != "" || j.APIToken.IsSet(), j.PAT.IsSet()
		switch {
		case cloud && dc:
			bad("integrations.jira", "set either email and api_token (Cloud) or pat (Data Center), not both")
		case !cloud && !dc:
			bad("integrations.jira", "no credentials: set $%s and $%s (Cloud) or $%s (Data Center)", "JIRA_EMAIL", j.APIToken.Ref, j.PAT.Ref)
		case cloud && (j.Email == "" || !j.APIToken.IsSet()):
			bad("integrations.jira", "Jira Cloud needs both email and api_token ($%s)", j.APIToken.Ref)
		}
		if j.Project == "" {
			bad("integrations.jira.project", "is required (the project key, as in SEC)")
		}
		if j.MinPriority != "" && alert.Priority(j.MinPriority).Rank() == 0 {
			bad("integrations.jira.min_priority", "%q is not P1-P4", j.MinPriority)
		}
	}

	if ssvc := &c.Policy.Scoring.SSVC; ssvc.Enabled {
		if ssvc.Table == "" {
			ssvc.Decisions = policy.BuiltinDecisionTable()
		} else if data, err := os.ReadFile(c.Resolve(ssvc.Table)); err != nil {
			bad("scoring.ssvc.table", "%v", err)
		} else if t, err := policy.ParseDecisionTable(ssvc.Table, data); err != nil {
			bad("scoring.ssvc.table", "%v", err)
		} else {
			ssvc.Decisions = t
		}
		if ssvc.Decisions != nil {
			for outcome := range ssvc.PriorityFloor {
				if !slices.ContainsFunc(ssvc.Decisions.Rows, func(r policy.DecisionRow) bool { return r.Outcome == outcome }) {
					bad("scoring.ssvc.priority_floor."+outcome, "is not an outcome of table %s", ssvc.Decisions.Name)
				}
			}
		}
	}

	builtin := decode.Builtin()
	for i, m := range c.Intake.Formats {
		field := fmt.Sprintf("intake.formats[%d]", i)
		if err := m.Validate(); err != nil {
			for _, e := range flatten(err) {
				bad(field, "%v", e)
			}
			continue
		}
		if _, clash := builtin.Get(m.Name); clash {
			bad(field+".name", "%q is a built-in format", m.Name)
		}
	}

	if dir := c.Correlation.RulesDir; dir != "" {
		cs, err := LoadSigmaDir(c.Resolve(dir))
		if err != nil {
			// Sigma errors already name their own file and line.
			for _, e := range flatten(err) {
				var ce *Error
				if errors.As(e, &ce) {
					errs = append(errs, &Error{Field: "correlation.rules_dir", Msg: ce.Error()})
				} else {
					bad("correlation.rules_dir", "%v", e)
				}
			}
		}
		c.Policy.Correlations = cs
	}

	errs = append(errs, c.validateCodec(lookup)...)
	errs = append(errs, validatePolicy(&c.Policy)...)
	return errs
}

func validatePolicy(p *policy.Policy) []*Error {
	var errs []*Error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	checkMatch := func(field string, m policy.Match, required bool) {
		if required && len(m) == 0 {
			bad(field, "must name at least one field")
		}
		for k := range m {
			if !policy.KnownField(k) {
				bad(field+"."+k, "unknown field; known fields are %s", strings.Join(policy.FieldNames(), ", "))
			}
		}
	}

	if p.Triage.DedupeWindow <= 0 {
		bad("triage.dedupe_window", "must be a positive duration such as 1h")
	}
	if p.Triage.IncidentOverflow < 1 {
		bad("triage.incident_overflow", "must be at least 1")
	}
	if p.Triage.SummaryInterval <= 0 {
		bad("triage.summary_interval", "must be a positive duration such as 5m")
	}
	for i, f := range p.Triage.Fingerprints {
		field := fmt.Sprintf("triage.fingerprints[%d]", i)
		checkMatch(field+".match", f.Match, false)
		if len(f.Fields) == 0 {
			bad(field+".fields", "must list at least one field")
		}
		for j, name := range f.Fields {
			if !policy.KnownField(name) {
				bad(fmt.Sprintf("%s.fields[%d]", field, j), "unknown field %q", name)
			}
		}
	}
	seen := map[string]bool{}
	for i, s := range p.Triage.Suppressions {
		field := fmt.Sprintf("triage.suppressions[%d]", i)
		if s.Name == "" {
			bad(field+".name", "is required")
		} else if seen[s.Name] {
			bad(field+".name", "%q is used twice", s.Name)
		}
		seen[s.Name] = true
		checkMatch(field+".match", s.Match, true)
		if strings.TrimSpace(s.Reason) == "" {
			bad(field+".reason", "is required: say why this noise is safe to suppress")
		}
		if s.Expires.IsZero() {
			bad(field+".expires", "is required (a date such as 2027-01-31): suppressions must end")
		}
	}

	sc := p.Scoring
	for _, sev := range alert.SeverityNames() {
		v, ok := sc.SeverityBase[alert.Severity(sev)]
		if !ok {
			bad("scoring.severity_base."+sev, "is missing")
		} else if v < 0 || v > 100 {
			bad("scoring.severity_base."+sev, "%g is outside 0-100", v)
		}
	}
	for k := range sc.SeverityBase {
		if !k.Valid() {
			bad("scoring.severity_base."+string(k), "is not a severity")
		}
	}
	for tier := 1; tier <= 4; tier++ {
		if m, ok := sc.AssetTierMultiplier[tier]; !ok || m <= 0 {
			bad(fmt.Sprintf("scoring.asset_tier_multiplier.%d", tier), "must be a positive multiplier")
		}
	}
	if sc.UnknownAssetMultiplier <= 0 {
		bad("scoring.unknown_asset_multiplier", "must be positive")
	}
	for name, v := range map[string]float64{"intel_weight": sc.IntelWeight, "anomaly_points": sc.AnomalyPoints,
		"max_anomaly_points": sc.MaxAnomalyPoints, "duplicate_points": sc.DuplicatePoints, "max_duplicate_points": sc.MaxDuplicatePoints} {
		if v < 0 {
			bad("scoring."+name, "must not be negative")
		}
	}
	p1, p2, p3 := sc.Priorities[alert.P1], sc.Priorities[alert.P2], sc.Priorities[alert.P3]
	if !(p1 > p2 && p2 > p3 && p3 > 0 && p1 <= 100) {
		bad("scoring.priorities", "thresholds must satisfy 100 >= P1 > P2 > P3 > 0, got P1=%d P2=%d P3=%d", p1, p2, p3)
	}
	for _, pr := range []alert.Priority{alert.P1, alert.P2, alert.P3, alert.P4} {
		tier, ok := sc.Paths[pr]
		if !ok {
			bad("scoring.paths."+string(pr), "is missing")
		} else if p.Tier(tier) == nil {
			bad("scoring.paths."+string(pr), "names tier %q, which is not in tiers", tier)
		}
		switch d := sc.OnTimeout[pr]; d {
		case policy.DefaultContain, policy.DefaultClose, policy.DefaultHold:
		default:
			bad("scoring.on_timeout."+string(pr), "must be contain, close or hold, got %q", d)
		}
	}

	if sc.CorrelationPoints < 0 {
		bad("scoring.correlation_points", "must not be negative")
	}
	for outcome, pr := range sc.SSVC.PriorityFloor {
		if pr.Rank() == 0 {
			bad("scoring.ssvc.priority_floor."+outcome, "%q is not P1-P4", pr)
		}
	}

	trig := map[string]bool{}
	for i, t := range p.EscalationTriggers {
		field := fmt.Sprintf("escalation_triggers[%d]", i)
		if t.Name == "" {
			bad(field+".name", "is required")
		} else if trig[t.Name] {
			bad(field+".name", "%q is used twice", t.Name)
		}
		trig[t.Name] = true
		if strings.TrimSpace(t.Reason) == "" {
			bad(field+".reason", "is required: responders read why IR was called")
		}
		if t.When.Empty() {
			bad(field+".when", "sets no condition; it would send every incident to IR")
		}
		if t.When.MinPriority != "" && t.When.MinPriority.Rank() == 0 {
			bad(field+".when.min_priority", "%q is not P1-P4", t.When.MinPriority)
		}
		if t.When.MaxAssetTier < 0 || t.When.MaxAssetTier > 4 {
			bad(field+".when.max_asset_tier", "must be 1-4")
		}
	}

	checkRoute := func(field string, r policy.RouteRule, isDefault bool) {
		if !isDefault {
			if r.Name == "" {
				bad(field+".name", "is required")
			}
			checkMatch(field+".match", r.Match, true)
		}
		if len(r.GroupBy) == 0 {
			bad(field+".group_by", "must list at least one field")
		}
		for j, g := range r.GroupBy {
			if !policy.KnownField(g) {
				bad(fmt.Sprintf("%s.group_by[%d]", field, j), "unknown field %q", g)
			}
		}
		if r.Window <= 0 {
			bad(field+".window", "must be a positive duration such as 1h")
		}
		if r.Playbook == "" {
			bad(field+".playbook", "is required")
		}
	}
	checkRoute("routing.default", p.Routing.Default, true)
	for i, r := range p.Routing.Rules {
		checkRoute(fmt.Sprintf("routing.rules[%d]", i), r, false)
	}

	if p.Approvals.Destructive < 1 || p.Approvals.Destructive > 5 {
		bad("approvals.destructive", "must be 1-5 approvers, got %d", p.Approvals.Destructive)
	}
	pr := p.Containment.Protected
	for field, list := range map[string][]string{"containment.protected.hosts": pr.Hosts, "containment.protected.users": pr.Users} {
		for i, g := range list {
			if _, err := path.Match(g, ""); err != nil || strings.TrimSpace(g) == "" {
				bad(fmt.Sprintf("%s[%d]", field, i), "%q is not a name or a glob such as dc*", g)
			}
		}
	}
	if pr.MaxAssetTier < 0 || pr.MaxAssetTier > 4 {
		bad("containment.protected.max_asset_tier", "must be 0 (off) or 1-4, got %d", pr.MaxAssetTier)
	}
	if len(p.Tiers) == 0 {
		bad("tiers", "must define at least one tier")
	}
	names := map[string]bool{}
	for i, t := range p.Tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if t.Name == "" {
			bad(field+".name", "is required")
		} else if names[t.Name] {
			bad(field+".name", "%q is used twice", t.Name)
		}
		names[t.Name] = true
		if t.Timeout <= 0 {
			bad(field+".timeout", "must be a positive duration such as 15m")
		}
		switch t.OnTimeout {
		case policy.OnTimeoutEscalate:
			if i == len(p.Tiers)-1 {
				bad(field+".on_timeout", "the last tier has no tier to escalate to; use default")
			}
		case policy.OnTimeoutDefault:
		default:
			bad(field+".on_timeout", "must be escalate or default, got %q", t.OnTimeout)
		}
	}
	return errs
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

// ValidatePlaybooks checks that every playbook the routing names exists;
// the caller passes the names it knows, because the registry lives with the
// workflow code.
func (c *Config) ValidatePlaybooks(known func(string) bool) error {
	var errs []error
	check := func(field, name string) {
		if !known(name) {
			errs = append(errs, &Error{File: c.Path, Line: lineOf(c.root, field), Field: field, Msg: fmt.Sprintf("unknown playbook %q", name)})
		}
	}
	check("routing.default.playbook", c.Policy.Routing.Default.Playbook)
	for i, r := range c.Policy.Routing.Rules {
		check(fmt.Sprintf("routing.rules[%d].playbook", i), r.Playbook)
	}
	return errors.Join(errs...)
}

// nodeAt finds the node at a field path such as "tiers[1].timeout", or nil.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n, exact := walk(root, path)
	if !exact {
		return nil
	}
	return n
}

// lineOf returns the line of the node at path, or of its deepest ancestor
// present in the file (a missing field is reported where its parent is),
// or 0 when the file does not mention it at all.
func lineOf(root *yaml.Node, path string) int {
	n, _ := walk(root, path)
	if n == nil {
		return 0
	}
	return n.Line
}

var (
	segment = regexp.MustCompile(`^([^\[\]]*)((?:\[\d+\])*)$`)
	digits  = regexp.MustCompile(`\d+`)
)

func walk(root *yaml.Node, path string) (*yaml.Node, bool) {
	if root == nil || root.Kind == 0 {
		return nil, false
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	var deepest *yaml.Node
	parts := strings.Split(path, ".")
	for i := 0; i < len(parts); i++ {
		g := segment.FindStringSubmatch(parts[i])
		if g == nil {
			return deepest, false
		}
		key, idx := g[1], g[2]
		if key != "" {
			next := mapValue(n, key)
			if next == nil {
				// A key may itself contain dots ("labels.team").
				next = mapValue(n, strings.Join(parts[i:], "."))
				if next == nil {
					return deepest, false
				}
				i = len(parts)
			}
			n, deepest = next, next
		}
		for _, m := range digits.FindAllString(idx, -1) {
			j, _ := strconv.Atoi(m)
			if n.Kind != yaml.SequenceNode || j >= len(n.Content) {
				return deepest, false
			}
			n = n.Content[j]
			deepest = n
		}
	}
	return n, true
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func isLoopbackURL(u *url.URL) bool {
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
