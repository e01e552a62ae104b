package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/httpx"
	socslack "github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/report"
	"github.com/socflow/socflow/workflows"
)

// NewSubmitter builds the intake submitter for a client, reading every
// built-in vendor format and the configured mappings. With a nil client it
// only parses (the CLI parses before it connects) until Service is set.
func NewSubmitter(cfg *config.Config, c client.Client) (*intake.Submitter, error) {
	host, _ := os.Hostname()
	formats, err := cfg.Intake.Registry()
	if err != nil {
		return nil, fmt.Errorf("intake formats: %w", err)
	}
	cdc, err := Codec(cfg)
	if err != nil {
		return nil, err
	}
	sub := &intake.Submitter{
		Formats:      formats,
		Namespace:    cfg.Temporal.Namespace,
		TaskQueue:    workflows.TaskQueue,
		Converter:    codec.DataConverter(cdc),
		Fingerprints: func() []policy.FingerprintRule { return cfg.Policy.Triage.Fingerprints },
		Identity:     fmt.Sprintf("socflow-intake@%s", host),
		Concurrency:  32,
		MaxAlerts:    cfg.Server.MaxAlertsPerRequest,
	}
	if cdc != nil {
		sub.CodecOverhead = cdc.Overhead()
	}
	if c != nil {
		sub.Service = c.WorkflowService()
	}
	return sub, nil
}

// APIOptions configure the HTTP API server.
type APIOptions struct {
	Config *config.Config
	Client client.Client
	Logger *slog.Logger
	// Ready adds a readiness check to Temporal's health (the worker in
	// `socflow dev`).
	Ready func(ctx context.Context) error
	// Events stores POST /v1/events and holds the case files; nil opens
	// the configured store.
	Events *events.SQLStore
	// Insecure admits every request as "anonymous" with every role
	// (`serve --insecure-no-auth`, loopback only).
	Insecure bool
	// DevToken, when set, admits its holder as the admin "dev-admin"
	// (`socflow dev`'s .socflow/token).
	DevToken string
	// ReportWindow is how far back /metrics' response figures look; zero
	// means report.DefaultWindow (a week).
	ReportWindow time.Duration
}

// Authenticator builds the API's authentication from the configuration:
// the static tokens (admin bootstrap, dev, the legacy shared ingest
// token), the stored API tokens and OIDC. The *auth.Tokens is returned so
// that a revocation can flush its cache.
func Authenticator(o APIOptions, store auth.TokenStore) (auth.Authenticator, *auth.Tokens, error) {
	if o.Insecure {
		return auth.Insecure{}, nil, nil
	}
	srv := o.Config.Server
	var static auth.Static
	static.Add(srv.AdminToken.Value(), auth.Principal{Name: "bootstrap-admin", Roles: []auth.Role{auth.RoleAdmin}})
	static.Add(o.DevToken, auth.Principal{Name: "dev-admin", Roles: []auth.Role{auth.RoleAdmin}})
	static.Add(srv.Token.Value(), auth.Principal{Name: "shared-token", Roles: []auth.Role{auth.RoleIngest}})
	tokens := &auth.Tokens{Store: store}
	chain := auth.Chain{&static, tokens}
	if srv.OIDC.Enabled() {
		roles := map[string]auth.Role{}
		for k, v := range srv.OIDC.RoleMap {
			roles[k] = auth.Role(v)
		}
		oidc, err := auth.NewOIDC(auth.OIDCConfig{
			Issuer: srv.OIDC.Issuer, Audience: srv.OIDC.Audience, NameClaim: srv.OIDC.NameClaim,
			RolesClaim: srv.OIDC.RolesClaim, GroupsClaim: srv.OIDC.GroupsClaim, RoleMap: roles,
		}, &http.Client{Timeout: 10 * time.Second})
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, oidc)
	}
	return chain, tokens, nil
}

// CheckAuth refuses to serve without a way to authenticate: no admin or
// dev token, no OIDC and no stored token means nobody could ever use the
// API. insecure (--insecure-no-auth) is allowed on loopback only.
func CheckAuth(ctx context.Context, addr string, o APIOptions, store auth.TokenStore) error {
	if o.Insecure {
		if !loopbackAddr(addr) {
			return fmt.Errorf("refusing --insecure-no-auth on %s: without authentication the API may only listen on loopback (127.0.0.1)", addr)
		}
		return nil
	}
	srv := o.Config.Server
	if srv.AdminToken.IsSet() || o.DevToken != "" || srv.OIDC.Enabled() {
		return nil
	}
	if store != nil {
		if list, err := store.ListTokens(ctx); err == nil {
			for _, t := range list {
				if t.RevokedAt == nil && slices.Contains(t.Roles, auth.RoleAdmin) {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("no way to authenticate an admin: set $%s (server.admin_token) to create API tokens, or configure server.oidc, "+
		"or pass --insecure-no-auth (loopback only)", srv.AdminToken.Ref)
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return httpx.LoopbackHost(host)
}

// NewAPI builds the HTTP API's handler. With Slack configured it also
// serves POST /slack/interactions (when a signing secret is set); the
// returned closer waits for the decisions that handler has in flight.
func NewAPI(o APIOptions) (http.Handler, func(context.Context) error, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var closers []func(context.Context) error
	closer := func(ctx context.Context) error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c(ctx))
		}
		return errors.Join(errs...)
	}
	store := o.Events
	if store == nil {
		st, err := OpenEvents(o.Config)
		if err != nil {
			return nil, nil, err
		}
		store = st
		closers = append(closers, func(context.Context) error { return st.Close() })
	}
	// The case files' figures are the response times on /metrics, read
	// on scrape (cached) rather than counted in this process, so that
	// every API replica reports the same week and a restart loses nothing.
	reg.MustRegister(report.NewCollector(report.CollectorOptions{Reader: store, Window: o.ReportWindow}))
	// The event store holds the case files too: the API pages incidents'
	// timelines, alerts and occurrence IDs from it.
	svc, err := Incidents(o.Config, o.Client, store)
	if err != nil {
		return nil, nil, err
	}
	extra := map[string]http.Handler{}
	if sl := o.Config.Integrations.Slack; sl.Enabled() && sl.SigningSecret.IsSet() {
		api := socslack.NewClient(sl.BotToken.Value(), sl.APIURL, &http.Client{Timeout: 15 * time.Second})
		h, err := socslack.NewInteractions(socslack.InteractionsOptions{
			SigningSecret:   sl.SigningSecret.Value(),
			Decider:         SlackDecider(o.Config, svc, socslack.NewApprovers(api, 5*time.Minute)),
			API:             api,
			DispatchOptions: socslack.DispatchOptions{Logger: o.Logger},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("slack interactions: %w", err)
		}
		extra["POST /slack/interactions"] = h
		closers = append(closers, h.Close)
	}
	sub, err := NewSubmitter(o.Config, o.Client)
	if err != nil {
		return nil, nil, err
	}
	authn, tokens, err := Authenticator(o, store)
	if err != nil {
		return nil, nil, fmt.Errorf("authentication: %w", err)
	}
	var revoked func()
	if tokens != nil {
		revoked = tokens.Forget
	}
	return httpapi.New(httpapi.Options{
		Intake:       sub,
		Events:       store,
		Incidents:    svc,
		Extra:        extra,
		Auth:         authn,
		Tokens:       store,
		Revoked:      revoked,
		MaxBodyBytes: o.Config.Server.MaxBodyBytes,
		AllowedHosts: AllowedHosts(o.Config.Server),
		UI:           WebUI(o.Config),
		Logger:       o.Logger,
		Registry:     reg,
		Metrics:      sdkRegistry,
		Ready: func(ctx context.Context) error {
			if _, err := o.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				return fmt.Errorf("temporal: %w", err)
			}
			if o.Ready != nil {
				return o.Ready(ctx)
			}
			return nil
		},
	}), closer, nil
}

// WebUI is the incident web view's options from the configuration: its
// links (the Temporal UI as server.ui sets it, else as Slack's and Jira's
// links have it) and its CSRF key.
func WebUI(cfg *config.Config) httpapi.UIOptions {
	u := cfg.Server.UI
	o := httpapi.UIOptions{
		TemporalUIURL:     u.TemporalUIURL,
		Namespace:         cfg.Temporal.Namespace,
		SlackWorkspaceURL: u.SlackWorkspaceURL,
		SecureCookies:     u.SecureCookies,
	}
	if o.TemporalUIURL == "" {
		o.TemporalUIURL = cfg.Integrations.Slack.UIBaseURL
	}
	if u.CSRFKey.IsSet() {
		o.CSRFKey = []byte(u.CSRFKey.Value())
	}
	return o
}

// SlackDecider sends Slack decisions as decide updates. It resolves which
// of the tier's approver groups the Slack user belongs to (an API call the
// workflow's validator cannot make) and passes them along; the validator
// still decides.
func SlackDecider(cfg *config.Config, svc *incidents.Service, groups *socslack.Approvers) socslack.Decider {
	return socslack.DeciderFunc(func(ctx context.Context, incidentID string, req socslack.Request) error {
		if req.Question != "" {
			// The button named the question's tier, whose approver groups
			// Authorize already resolved; the validator checks again.
			in := workflows.AnswerInput{Question: req.Question, Answer: req.Answer, By: req.By, Via: req.Via}
			if groups != nil {
				if q := questionTier(ctx, svc, incidentID, req.Question); q != "" {
					in.Groups = approverGroups(ctx, cfg, groups, q, req.By)
				}
			}
			_, err := svc.Answer(ctx, incidentID, in)
			return err
		}
		in := workflows.DecideInput{Verdict: req.Verdict, Actions: req.Actions, By: req.By, Via: req.Via, Note: req.Note}
		if groups != nil {
			in.Groups = approverGroups(ctx, cfg, groups, currentTier(ctx, svc, incidentID), in.By)
		}
		_, err := svc.Decide(ctx, incidentID, in)
		return err
	})
}

// questionTier is the tier an incident's question was put to, or "".
func questionTier(ctx context.Context, svc *incidents.Service, id, question string) string {
	st, err := svc.Get(ctx, id)
	if err != nil {
		return ""
	}
	for _, q := range st.Questions {
		if q.ID == question {
			return q.Tier
		}
	}
	return ""
}

// approverGroups are the tier's approver groups the Slack user is in.
func approverGroups(ctx context.Context, cfg *config.Config, groups *socslack.Approvers, tier, user string) []string {
	var out []string
	if t := cfg.Policy.Tier(tier); t != nil {
		for _, entry := range t.Approvers {
			if strings.EqualFold(entry, user) {
				continue
			}
			if ok, err := groups.Allowed(ctx, []string{entry}, user); err == nil && ok {
				out = append(out, entry)
			}
		}
	}
	return out
}

func currentTier(ctx context.Context, svc *incidents.Service, id string) string {
	st, err := svc.Get(ctx, id)
	if err != nil {
		return ""
	}
	return st.Tier
}

// RunSlackSocketMode receives Slack clicks over Socket Mode until ctx
// ends, for sites without a public URL. It returns at once when no app
// token is configured.
func RunSlackSocketMode(ctx context.Context, cfg *config.Config, c client.Client, logger *slog.Logger) error {
	sl := cfg.Integrations.Slack
	if !sl.Enabled() || !sl.AppToken.IsSet() {
		return nil
	}
	api := socslack.NewClient(sl.BotToken.Value(), sl.APIURL, &http.Client{Timeout: 15 * time.Second})
	svc, err := Incidents(cfg, c, nil)
	if err != nil {
		return err
	}
	sm := &socslack.SocketMode{
		AppToken: sl.AppToken.Value(), API: api,
		Decider:         SlackDecider(cfg, svc, socslack.NewApprovers(api, 5*time.Minute)),
		DispatchOptions: socslack.DispatchOptions{Logger: logger},
	}
	return sm.Run(ctx)
}

// ServeAPI listens on addr and serves h until ctx ends, then shuts down
// gracefully. The listener is bound before it returns ready on the channel,
// so callers can print the address knowing it is reachable.
func ServeAPI(ctx context.Context, addr string, h http.Handler, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}

// AllowedHosts is the API's Host allowlist for a server configuration:
// server.allowed_hosts, plus the address it listens on when that is a
// name or a specific address (loopback names are always allowed). Listening
// on every interface with no list allows any name: clients then reach it
// by addresses socflow cannot know, and a token is required there anyway.
func AllowedHosts(s config.Server) []string {
	hosts := slices.Clone(s.AllowedHosts)
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return hosts
	}
	ip := net.ParseIP(host)
	if host == "" || ip != nil && ip.IsUnspecified() {
		if len(hosts) == 0 {
			return []string{"*"}
		}
		return hosts
	}
	if httpx.LoopbackHost(host) {
		return hosts // always allowed
	}
	return append(hosts, host)
}
