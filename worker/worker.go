// Package worker is socflow's composition root: it turns a validated
// configuration into clients, the clients into activity structs, registers
// those and the workflows on a Temporal worker, and builds the HTTP API. It
// is the only place that knows which implementation backs which interface.
package worker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/auditlog"
	"github.com/socflow/socflow/integrations/console"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/jira"
	socslack "github.com/socflow/socflow/integrations/slack"
	"github.com/socflow/socflow/integrations/webhook"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/playbooks/cacaobook"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
	wfenrich "github.com/socflow/socflow/workflows/enrich"
)

// Dial connects to the Temporal frontend the configuration names, with TLS
// and an API key when configured, and the payload codec when keys are
// configured: payloads and failure messages are then encrypted (see
// [DataConverter]). The worker inherits both converters from its client,
// and its metrics handler, which reports to [TemporalMetrics].
func Dial(ctx context.Context, cfg *config.Config, logger *slog.Logger) (client.Client, error) {
	cdc, err := Codec(cfg)
	if err != nil {
		return nil, err
	}
	opts := client.Options{
		HostPort:         cfg.Temporal.Address,
		Namespace:        cfg.Temporal.Namespace,
		Logger:           tlog.NewStructuredLogger(quiet(logger)),
		DataConverter:    codec.DataConverter(cdc),
		FailureConverter: codec.FailureConverter(cdc),
		MetricsHandler:   metricsHandler(logger),
	}
	t := cfg.Temporal.TLS
	if t.Enabled || t.CertFile != "" || t.CAFile != "" || cfg.Temporal.APIKey.IsSet() {
		tc := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
		if t.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("temporal tls: load client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("temporal tls: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("temporal tls: %s holds no PEM certificate", t.CAFile)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.Temporal.APIKey.IsSet() {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.Temporal.APIKey.Value())
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal: connect to %s (namespace %s): %w", cfg.Temporal.Address, cfg.Temporal.Namespace, err)
	}
	return c, nil
}

// quiet drops the SDK's info-level chatter (every poller start) unless the
// caller's logger is at debug.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// Options are what the worker needs beyond the configuration.
type Options struct {
	Config *config.Config
	Client client.Client
	Logger *slog.Logger
	// Console receives the console notifier's output (stdout).
	Console io.Writer
	// EDR and IDP override the configured integrations (`socflow dev`
	// points them at its built-in loopback fakes): an integration client
	// (*defender.Client, *falcon.Client, *okta.Client...), which gets its
	// capability adapter, or any value offering activities.HostIsolator,
	// IPBlocker, AccountDisabler, SessionRevoker, HashBlocker,
	// DomainBlocker or HostDirectory itself.
	EDR any
	IDP any
	// Firewall overrides integrations.firewall: a client (*panos.Client,
	// *firewall.Client) or an activities.IPBlocker, which then blocks in
	// place of the EDR.
	Firewall any
	// Mail overrides integrations.mail: a *mail.Client or an
	// activities.DomainBlocker.
	Mail any
	// HTTPClient is shared by every integration; nil builds one with a
	// 30-second timeout.
	HTTPClient *http.Client
	// Playbooks replaces the built-in registry, and Activities are the
	// playbooks' own activities (playbooks.Case.Run): functions, or
	// pointers to structs whose methods are activities.
	Playbooks  *playbooks.Registry
	Activities []any
	// MaxConcurrentActivities bounds activity executions (0: SDK default).
	MaxConcurrentActivities int
	// Events is the event store to enrich from; nil opens the configured
	// one (and closes it on Stop).
	Events *events.SQLStore
	// Limits say where workflow runs continue as new (zero: the defaults,
	// well below Temporal's limits); tests make them small.
	Limits activities.Limits
}

// Worker is a configured Temporal worker.
type Worker struct {
	w       sdkworker.Worker
	policy  atomic.Pointer[policy.Policy]
	closers []io.Closer
	// cancel stops the background loops (intel reload, event retention).
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// New builds every client and activity and registers them.
func New(o Options) (*Worker, error) {
	cfg := o.Config
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	wk := &Worker{}
	wk.policy.Store(&cfg.Policy)

	caps, err := configuredCapabilities(cfg, hc, o.EDR, o.IDP, o.Firewall, o.Mail)
	if err != nil {
		return nil, err
	}
	contain := &caps.contain

	store := o.Events
	if store == nil {
		st, err := OpenEvents(cfg)
		if err != nil {
			return nil, fmt.Errorf("worker: %w", err)
		}
		store = st
		wk.closers = append(wk.closers, st)
	}
	bg, cancel := context.WithCancel(context.Background())
	wk.cancel = cancel
	background := func(run func(context.Context) error) {
		wk.wg.Add(1)
		go func() {
			defer wk.wg.Done()
			if err := run(bg); err != nil && bg.Err() == nil && o.Logger != nil {
				o.Logger.Error("background task stopped", "error", err)
			}
		}()
	}
	enrich, plan, closers, err := enrichment(cfg, o, hc, store, background)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("worker: %w", err)
	}
	for _, c := range closers {
		wk.closers = append(wk.closers, closerFunc(c))
	}
	if caps.hosts != nil && cfg.Enrichment.HostDetails {
		enrich.Hosts = caps.hosts
		plan.Add(wfenrich.EDR)
	}

	out := o.Console
	if out == nil {
		out = os.Stdout
	}
	notify := &activities.Notify{Notifier: console.New(out)}
	ticket := &activities.Ticket{Format: jira.CommentFor}
	if j := cfg.Integrations.Jira; j.Enabled() {
		tr, err := jira.New(hc, jira.Config{
			URL: j.URL, Email: j.Email, APIToken: j.APIToken.Value(), PAT: j.PAT.Value(), Project: j.Project,
			IssueType: j.IssueType, PriorityMap: j.PriorityMap, MinPriority: j.MinPriority,
			Transitions: jira.Transitions{Contain: j.Transitions.Contain, Close: j.Transitions.Close},
			UIBaseURL:   uiNamespaceURL(cfg),
			SearchLag:   j.SearchLag,
		})
		if err != nil {
			return nil, fmt.Errorf("worker: jira: %w", err)
		}
		ticket.Tracker = tr // a Transitioner too: playbooks' Transition step
		base := strings.TrimRight(j.URL, "/")
		ticket.IssueURL = func(key string) string { return base + "/browse/" + key }
	}
	if sl := cfg.Integrations.Slack; sl.Enabled() {
		notify.Notifier = socslack.New(socslack.NewClient(sl.BotToken.Value(), sl.APIURL, hc), socslack.Options{
			UIBaseURL: sl.UIBaseURL, Namespace: cfg.Temporal.Namespace, Logger: o.Logger,
		})
	}

	sink, err := auditlog.Open(filepath.Join(cfg.DataDir, "audit.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("worker: audit log: %w", err)
	}
	wk.closers = append(wk.closers, sink)

	reg := o.Playbooks
	if reg == nil {
		reg = playbooks.Builtin()
	}
	if _, err := AddCACAO(cfg, reg); err != nil {
		return nil, err
	}
	if err := cfg.ValidatePlaybooks(reg.Has); err != nil {
		return nil, err
	}

	sactx, sacancel := context.WithTimeout(context.Background(), 10*time.Second)
	sas := CheckSearchAttributes(sactx, o.Client, cfg.Temporal.Namespace)
	sacancel()
	if err := sas.Err(cfg.Temporal.Namespace); err != nil {
		cancel()
		return nil, err
	}
	if o.Logger != nil {
		switch {
		case sas.Unchecked != nil:
			o.Logger.Warn("could not list the namespace's search attributes; incidents will not set the optional ones", "error", sas.Unchecked)
		case len(sas.MissingOptional) > 0:
			o.Logger.Warn("the namespace lacks optional search attributes; incidents will not set them until they exist and the worker restarts",
				"missing", sas.MissingOptional, "create", CreateSearchAttributesCommand(cfg.Temporal.Namespace))
		}
	}

	wk.w = sdkworker.New(o.Client, workflows.TaskQueue, SDKOptions(o))
	workflows.New(reg).Register(wk.w)
	wk.w.RegisterActivity(&activities.Policy{Current: wk.policy.Load, Enrichment: plan, Limits: o.Limits, NoTracker: ticket.Tracker == nil,
		Containment: caps.plan(), PlaybookVersionSA: sas.Has(workflows.SAPlaybookVersion)})
	wk.w.RegisterActivity(&activities.Correlations{Current: wk.policy.Load, Limits: o.Limits})
	wk.w.RegisterActivity(enrich)
	wk.w.RegisterActivity(&activities.Handoff{Client: o.Client})
	wk.w.RegisterActivity(notify)
	wk.w.RegisterActivity(contain)
	wk.w.RegisterActivity(&activities.Record{Sink: sink})
	wk.w.RegisterActivity(&activities.CaseFile{Store: caseWriter{store}})
	wk.w.RegisterActivity(ticket)
	targets, err := HTTPTargets(cfg, hc)
	if err != nil {
		return nil, err
	}
	wk.w.RegisterActivity(&activities.Webhook{Targets: targets})
	for _, a := range o.Activities {
		wk.w.RegisterActivity(a)
	}
	return wk, nil
}

// SDKOptions are the Temporal worker options socflow runs with (`socflow
// bench` gives its bare pipeline the same, so that the comparison is of
// socflow's code, not of worker tuning).
func SDKOptions(o Options) sdkworker.Options {
	return sdkworker.Options{
		MaxConcurrentActivityExecutionSize: o.MaxConcurrentActivities,
		// A panic in workflow code is a bug to fix and replay, not a reason
		// to fail an incident: block the task and let it be retried.
		WorkflowPanicPolicy: sdkworker.BlockWorkflow,
	}
}

// uiNamespaceURL is the Temporal UI's page of the namespace, for links.
func uiNamespaceURL(cfg *config.Config) string {
	base := strings.TrimRight(cfg.Integrations.Slack.UIBaseURL, "/")
	if base == "" {
		return ""
	}
	return base + "/namespaces/" + cfg.Temporal.Namespace
}

func resolveAll(cfg *config.Config, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = cfg.Resolve(f)
	}
	return out
}

// SetPolicy swaps the policy new workflow decisions read; running ones keep
// the snapshot they recorded.
func (wk *Worker) SetPolicy(p *policy.Policy) { wk.policy.Store(p) }

// Start starts polling.
func (wk *Worker) Start() error {
	if err := wk.w.Start(); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	return nil
}

// Stop stops polling, waits for running activities, and closes what the
// worker opened.
func (wk *Worker) Stop() error {
	wk.w.Stop()
	if wk.cancel != nil {
		wk.cancel()
	}
	wk.wg.Wait()
	var errs []error
	for _, c := range wk.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Jira's tracker takes playbooks' named transitions.
var _ activities.Transitioner = (*jira.Tracker)(nil)

// HTTPTargets builds the APIs playbooks call by name
// (integrations.http), each with its credential.
func HTTPTargets(cfg *config.Config, hc *http.Client) (*webhook.Targets, error) {
	var ts []webhook.Target
	for _, t := range cfg.Integrations.HTTP {
		c := hc
		if t.Token.IsSet() {
			var err error
			if c, err = httpx.Authenticated(hc, httpx.TokenAuth{Scheme: t.Scheme, Token: httpx.Redacted(t.Token.Value())}); err != nil {
				return nil, fmt.Errorf("worker: integrations.http %s: %w", t.Name, err)
			}
		}
		h := http.Header{}
		for k, v := range t.Headers {
			h.Set(k, v)
		}
		ts = append(ts, webhook.Target{Name: t.Name, BaseURL: t.URL, Client: c, Header: h})
	}
	targets, err := webhook.New(ts...)
	if err != nil {
		return nil, fmt.Errorf("worker: integrations.http: %w", err)
	}
	return targets, nil
}

// CACAODir is where `socflow playbook import` keeps CACAO playbooks and
// the worker loads them from: <data_dir>/playbooks/cacao.
func CACAODir(cfg *config.Config) cacaobook.Dir {
	return cacaobook.Dir(filepath.Join(cfg.DataDir, "playbooks", "cacao"))
}

// HasHTTPTarget says whether integrations.http names the target.
func HasHTTPTarget(cfg *config.Config) func(string) bool {
	return func(name string) bool {
		for _, t := range cfg.Integrations.HTTP {
			if t.Name == name {
				return true
			}
		}
		return false
	}
}

// AddCACAO registers the imported CACAO playbooks (CACAODir) in reg and
// returns them.
func AddCACAO(cfg *config.Config, reg *playbooks.Registry) ([]*cacaobook.Book, error) {
	books, err := CACAODir(cfg).Register(reg, HasHTTPTarget(cfg))
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return books, nil
}
