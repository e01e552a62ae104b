// Package config reads socflow.yaml: the Temporal connection, the HTTP API,
// the integrations and the response policy. The file is decoded strictly
// (unknown fields are errors), secrets may only be environment references,
// and every problem is reported with the file, line and field it concerns.
package config

import (
	_ "embed"
	"time"

	"gopkg.in/yaml.v3"

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
	// UI configures the incident web view the API serves under /ui/.
	UI WebUI `yaml:"ui" json:"ui,omitzero"`
}

// WebUI configures the incident web view: where its links lead, and the
// key its forms' CSRF tokens are signed with.
type WebUI struct {
	// TemporalUIURL is the Temporal Web UI an incident page links its
	// workflow in; empty falls back to integrations.slack.ui_base_url
	// (`socflow dev` fills in its embedded UI's).
	TemporalUIURL string `yaml:"temporal_ui_url" json:"temporal_ui_url,omitempty"`
	// SlackWorkspaceURL ("https://acme.slack.com") links an incident's
	// Slack thread.
	SlackWorkspaceURL string `yaml:"slack_workspace_url" json:"slack_workspace_url,omitempty"`
	// CSRFKey signs the view's CSRF tokens ($SOCFLOW_UI_CSRF_KEY, at
	// least 32 characters). Unset is a random key per process: set one
	// when several `socflow serve` replicas share a load balancer.
	CSRFKey Secret `yaml:"csrf_key" json:"csrf_key,omitzero"`
	// SecureCookies marks the view's cookies Secure though socflow serves
	// plain HTTP: set it behind a proxy that terminates TLS.
	SecureCookies bool `yaml:"secure_cookies" json:"secure_cookies,omitempty"`
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
	EDR Service `yaml:"edr" json:"edr"`
	IDP Service `yaml:"idp" json:"idp"`
	// Firewall blocks addresses in place of the EDR when configured; it
	// is left out of the JSON when not.
	Firewall Firewall `yaml:"firewall" json:"firewall,omitzero"`
	// Mail blocks sender domains at the mail gateway when configured; it
	// is left out of the JSON when not.
	Mail  Mail  `yaml:"mail" json:"mail,omitzero"`
	Slack Slack `yaml:"slack" json:"slack"`
	Jira  Jira  `yaml:"jira" json:"jira"`
	// HTTP are the APIs playbooks call by name (a CACAO http-api
	// command's target): the address and credential are here, never in
	// the playbook.
	HTTP []HTTPTarget `yaml:"http" json:"http,omitempty"`
}

// HTTPTarget is one API playbooks may call.
type HTTPTarget struct {
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url"`
	// Token is sent as "Authorization: Bearer <token>" (Scheme replaces
	// Bearer).
	Token  Secret `yaml:"token" json:"token"`
	Scheme string `yaml:"scheme" json:"scheme,omitempty"`
	// Headers are sent with every call (not secrets: they are shown by
	// config check).
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
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
	// for Endpoint) or "falcon" (CrowdStrike Falcon, OAuth2 only); for the
	// IdP "okta" or "entra" (Microsoft Entra ID, OAuth2 only); for the
	// firewall "panos" or "http", for the mail gateway "http". Empty
	// disables the integration.
	Provider string `yaml:"provider" json:"provider"`
	URL      string `yaml:"url" json:"url,omitempty"`
	// Token is the API token, the older spelling of auth.token. Once the
	// configuration is loaded it holds the token whichever spelling the
	// file used, so that readers of Token keep working.
	Token Secret `yaml:"token" json:"token"`
	// Auth says how to authenticate: a token, OAuth2 client credentials or
	// basic, exactly one.
	Auth Auth `yaml:"auth" json:"auth"`
}

// Providers each integration accepts.
var (
	EDRProviders = []string{"", "defender", "falcon"}
	IDPProviders = []string{"", "okta", "entra"}
)
