package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/okta"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/integrations/panos"
	"github.com/socflow/socflow/integrations/panos/panostest"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// DevOptions are `socflow dev`'s flags.
type DevOptions struct {
	DB           string
	Ephemeral    bool
	APIAddr      string
	IP           string
	TemporalPort int
	UIPort       int
	// ExposeTemporal allows --ip beyond loopback: the embedded Temporal
	// frontend and Web UI have no authentication.
	ExposeTemporal bool
	// EDR is the built-in EDR fake dev runs when the configuration names
	// no EDR: "defender" or "falcon".
	EDR string
	// Ready, when set, receives the API address once everything is up
	// (tests use it instead of polling the terminal).
	Ready chan<- string
}

// devFallbackConfig is used by `socflow dev` when no configuration is
// given, so that a fresh clone enriches from the bundled example data.
const devFallbackConfig = "examples/socflow.yaml"

func newCmdDev(f *Factory, runF func(context.Context, *DevOptions) error) *cobra.Command {
	opts := &DevOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run an embedded Temporal server, the Web UI, the worker and the HTTP API in one process",
		Long: `dev runs everything on this machine: a real Temporal server persisted to a
SQLite file (or in memory with --ephemeral), the Temporal Web UI, the socflow
worker with built-in loopback fakes for the EDR and identity provider (unless
the configuration names real ones), and the HTTP API. Everything listens on
loopback unless you say otherwise. Stop it with Ctrl-C; starting it again
resumes every unfinished workflow.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Ephemeral && cmd.Flags().Changed("db") {
				return usageErrorf("--db and --ephemeral exclude each other")
			}
			if !slices.Contains(devEDRs, opts.EDR) {
				return usageErrorf("--edr must be one of %s, not %q", strings.Join(devEDRs, ", "), opts.EDR)
			}
			if !isLoopback(opts.IP) && !opts.ExposeTemporal {
				return usageErrorf("--ip %s exposes the Temporal frontend and Web UI, which have no authentication: "+
					"anyone who reaches them can read every alert and start, signal or terminate any workflow; "+
					"add --expose-temporal if that is what you want", opts.IP)
			}
			if f.DevServer == nil {
				return errNoDevServer
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if !isLoopback(opts.IP) {
				fmt.Fprintf(f.ErrOut, "WARNING: the Temporal frontend (%s port %d), Web UI (port %d) and its codec endpoint (decrypted payloads) listen beyond loopback WITHOUT AUTHENTICATION\n",
					opts.IP, opts.TemporalPort, opts.UIPort)
			}
			return untilInterrupted(cmd.Context(), func(ctx context.Context) error { return runDev(ctx, f, opts) })
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", filepath.Join(".socflow", "temporal.db"), "SQLite file holding Temporal's state")
	cmd.Flags().BoolVar(&opts.Ephemeral, "ephemeral", false, "keep Temporal's state in memory only")
	cmd.Flags().StringVar(&opts.APIAddr, "api-addr", "127.0.0.1:8080", "socflow HTTP API address")
	cmd.Flags().StringVar(&opts.IP, "ip", "127.0.0.1", "address Temporal and its UI listen on")
	cmd.Flags().IntVar(&opts.TemporalPort, "temporal-port", 7233, "Temporal frontend gRPC port")
	cmd.Flags().IntVar(&opts.UIPort, "ui-port", 8233, "Temporal Web UI port (0 disables it)")
	cmd.Flags().BoolVar(&opts.ExposeTemporal, "expose-temporal", false, "allow --ip beyond loopback (Temporal and its UI have no authentication)")
	cmd.Flags().StringVar(&opts.EDR, "edr", "defender", "built-in EDR fake when the configuration names no EDR: "+strings.Join(devEDRs, " or "))
	return cmd
}

func runDev(ctx context.Context, f *Factory, opts *DevOptions) error {
	start := time.Now()
	log := f.logger()
	cfg, err := f.loadConfig(devFallbackConfig)
	if err != nil {
		return err
	}
	// dev's API always needs a credential: the admin token it keeps in
	// the data directory, which the CLI on this machine reads.
	devToken, createdToken, err := ensureDevToken(cfg.DataDir)
	if err != nil {
		return err
	}
	codecNote, err := ensureDevCodec(cfg)
	if err != nil {
		return err
	}
	cdc, err := worker.Codec(cfg)
	if err != nil {
		return err
	}
	// The UI decodes in the browser through a codec endpoint of dev's own,
	// bound before the UI starts so that its address is in the UI's config.
	var codecLn net.Listener
	var codecEndpoint string
	if opts.UIPort != 0 {
		if codecLn, err = net.Listen("tcp", net.JoinHostPort(opts.IP, "0")); err != nil {
			return fmt.Errorf("dev: listen for the codec endpoint on %s: %w", opts.IP, err)
		}
		defer codecLn.Close()
		_, port, _ := net.SplitHostPort(codecLn.Addr().String())
		codecEndpoint = "http://" + net.JoinHostPort(dialHost(opts.IP), port)
	}

	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	db := opts.DB
	if opts.Ephemeral {
		db = ""
	}
	srv, err := f.DevServer(ctx, DevServerOptions{
		DBFile: db, IP: opts.IP, Port: opts.TemporalPort, UIPort: opts.UIPort,
		Namespace: cfg.Temporal.Namespace, SearchAttributes: sa, Logger: log,
		CodecEndpoint: codecEndpoint,
	})
	if err != nil {
		return fmt.Errorf("dev: start Temporal: %w", err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			log.Warn("stopping Temporal", "error", err)
		}
	}()
	cfg.Temporal.Address = srv.FrontendAddr()

	c, err := worker.Dial(ctx, cfg, log)
	if err != nil {
		return unavailable(err)
	}
	defer c.Close()

	// One event store for the worker (enrichment) and the API (POST
	// /v1/events): SQLite allows one writer process.
	store, err := worker.OpenEvents(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	wo := worker.Options{Config: cfg, Client: c, Logger: log, Console: f.Out, Events: store, Playbooks: f.Playbooks, Activities: f.Activities}
	fakes, err := startDevFakes(cfg, opts.EDR, devPendingFor)
	defer fakes.close()
	if err != nil {
		return err
	}
	wo.EDR, wo.IDP, wo.Firewall = fakes.edr, fakes.idp, fakes.firewall
	wk, err := worker.New(wo)
	if err != nil {
		return err
	}
	if err := wk.Start(); err != nil {
		return err
	}
	defer func() {
		if err := wk.Stop(); err != nil {
			log.Warn("stopping worker", "error", err)
		}
	}()

	if cfg.Server.UI.TemporalUIURL == "" {
		// The incident view links its workflows in dev's own Web UI.
		cfg.Server.UI.TemporalUIURL = srv.UIURL()
	}
	api, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Client: c, Logger: log, Events: store, DevToken: devToken})
	if err != nil {
		return err
	}
	defer func() { _ = closeAPI(context.Background()) }()
	go func() {
		if err := worker.RunSlackSocketMode(ctx, cfg, c, log); err != nil {
			log.Error("slack socket mode stopped", "error", err)
		}
	}()
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- worker.ServeAPI(ctx, opts.APIAddr, api, ready) }()
	if codecLn != nil && srv.UIURL() != "" {
		h, err := devCodecHandler(cdc, codecLn, opts.IP, srv.UIURL(), cfg.Codec.CORSOrigins)
		if err != nil {
			return err
		}
		go func() {
			if err := serveHTTP(ctx, "dev codec endpoint", codecLn, h, log); err != nil {
				log.Error("codec endpoint stopped", "error", err)
			}
		}()
	}
	var apiAddr string
	select {
	case apiAddr = <-ready:
	case err := <-errc:
		return err
	}

	w := f.Out
	fmt.Fprintf(w, "socflow dev is ready in %s\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "  HTTP API      http://%s   (POST /v1/alerts, POST /v1/events, GET /v1/incidents, GET /healthz)\n", apiAddr)
	fmt.Fprintf(w, "  Incidents     http://%s/ui/   (sign in with the admin token below)\n", apiAddr)
	fmt.Fprintf(w, "  Temporal      %s   namespace %s\n", srv.FrontendAddr(), cfg.Temporal.Namespace)
	if u := srv.UIURL(); u != "" {
		fmt.Fprintf(w, "  Temporal UI   %s/namespaces/%s/workflows\n", u, cfg.Temporal.Namespace)
	}
	if db == "" {
		fmt.Fprintf(w, "  State         in memory (--ephemeral): lost when this process stops\n")
	} else {
		fmt.Fprintf(w, "  State         %s (restart resumes unfinished workflows)\n", db)
	}
	fmt.Fprintf(w, "  Config        %s\n", dash(cfg.Path))
	tokenPath := filepath.Join(cfg.DataDir, "token")
	if createdToken {
		fmt.Fprintf(w, "  Admin token   %s (new; kept in %s, mode 0600; the CLI reads it from there)\n", devToken, tokenPath)
	} else {
		fmt.Fprintf(w, "  Admin token   in %s (the CLI reads it from there; curl -H \"Authorization: Bearer $(cat %s)\")\n", tokenPath, tokenPath)
	}
	fmt.Fprintf(w, "  Payloads      %s\n", codecNote)
	if codecEndpoint != "" && srv.UIURL() != "" {
		fmt.Fprintf(w, "  Codec         %s (the Web UI decrypts through it)\n", codecEndpoint)
	}
	for _, n := range fakes.notes {
		fmt.Fprintf(w, "  %-13s %s\n", n.what, n.text)
	}
	fmt.Fprintf(w, "  Audit log     %s\n", filepath.Join(cfg.DataDir, "audit.jsonl"))
	switch sl := cfg.Integrations.Slack; {
	case !sl.Enabled():
		fmt.Fprintf(w, "  Notifications console (set SLACK_BOT_TOKEN for Slack); decide with the CLI\n")
	case sl.AppToken.IsSet():
		fmt.Fprintf(w, "  Notifications Slack, decisions over Socket Mode\n")
	default:
		fmt.Fprintf(w, "  Notifications Slack, decisions at POST http://%s/slack/interactions\n", apiAddr)
	}
	if cfg.Integrations.Jira.Enabled() {
		fmt.Fprintf(w, "  Tickets       Jira %s, project %s\n", cfg.Integrations.Jira.URL, cfg.Integrations.Jira.Project)
	}
	flag := ""
	if srv.FrontendAddr() != "127.0.0.1:7233" {
		flag = " --temporal-address " + srv.FrontendAddr()
	}
	fmt.Fprintf(w, "Try:  socflow alert submit examples/alerts/network-anomaly-dc01.json%s\n", flag)
	fmt.Fprintf(w, "      socflow incident list%s\n", flag)
	if opts.Ready != nil {
		opts.Ready <- apiAddr
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(w, "socflow dev: stopping")
		return <-errc
	case err := <-errc:
		return err
	}
}

// devEDRs are the EDR fakes dev can run, the default first.
var devEDRs = []string{"defender", "falcon"}

// devPendingFor is how long the fake EDR keeps an isolation pending before
// it confirms it, and about how long the fake firewall's commit takes.
const devPendingFor = 3 * time.Second

// devAddressGroup is the fake firewall's block address group.
const devAddressGroup = "socflow-blocked"

// devFakes are the loopback fakes dev runs in place of the integrations
// the configuration leaves out, the clients the worker uses for them, and
// what dev says about them.
type devFakes struct {
	edr, idp, firewall any
	notes              []devNote
	closers            []func() error
}

type devNote struct{ what, text string }

func (f *devFakes) close() {
	for _, c := range slices.Backward(f.closers) {
		_ = c()
	}
}

// startDevFakes starts the fakes: an EDR (edr names which) when the
// configuration has none, and with it a PAN-OS firewall unless one is
// configured, so that block_ip is the firewall's; an Okta when there is
// no identity provider. A fake firewall beside a real EDR would take its
// blocks, so there is none then. The EDR fake confirms an isolation
// pendingFor after the request. The caller closes what it returns, also
// on error.
func startDevFakes(cfg *config.Config, edr string, pendingFor time.Duration) (*devFakes, error) {
	f := &devFakes{}
	hc := &http.Client{Timeout: 30 * time.Second}
	in := cfg.Integrations
	if in.EDR.Provider == "" {
		switch edr {
		case "falcon":
			fake := falcontest.New(falcontest.WithPendingFor(pendingFor))
			url, err := fake.Start("127.0.0.1:0")
			if err != nil {
				return f, fmt.Errorf("dev: start the built-in EDR: %w", err)
			}
			f.closers = append(f.closers, fake.Close)
			if f.edr, err = falcon.New(hc, falcon.Config{BaseURL: url, ClientID: falcontest.DefaultClientID, ClientSecret: falcontest.DefaultClientSecret}); err != nil {
				return f, err
			}
			f.notes = append(f.notes, devNote{"EDR", "built-in CrowdStrike Falcon fake at " + url})
		default:
			fake := defendertest.New(defendertest.WithToken("dev"), defendertest.WithPendingFor(pendingFor))
			url, err := fake.Start("127.0.0.1:0")
			if err != nil {
				return f, fmt.Errorf("dev: start the built-in EDR: %w", err)
			}
			f.closers = append(f.closers, fake.Close)
			if f.edr, err = defender.New(hc, url, "dev"); err != nil {
				return f, err
			}
			f.notes = append(f.notes, devNote{"EDR", "built-in Defender for Endpoint fake at " + url})
		}
		if in.Firewall.Provider == "" {
			fake := panostest.New(panostest.WithCommitPolls(2))
			url, err := fake.Start("127.0.0.1:0")
			if err != nil {
				return f, fmt.Errorf("dev: start the built-in firewall: %w", err)
			}
			f.closers = append(f.closers, fake.Close)
			f.firewall, err = panos.New(hc, panos.Config{URL: url, Key: panostest.DefaultKey, AddressGroup: devAddressGroup, PollInterval: max(pendingFor/2, time.Millisecond)})
			if err != nil {
				return f, err
			}
			f.notes = append(f.notes, devNote{"Firewall", "built-in PAN-OS fake at " + url + " (address group " + devAddressGroup + ")"})
		}
	}
	if in.IDP.Provider == "" {
		fake := oktatest.New(oktatest.WithToken("dev"))
		url, err := fake.Start("127.0.0.1:0")
		if err != nil {
			return f, fmt.Errorf("dev: start the built-in identity provider: %w", err)
		}
		f.closers = append(f.closers, fake.Close)
		if f.idp, err = okta.New(hc, url, "dev"); err != nil {
			return f, err
		}
		f.notes = append(f.notes, devNote{"Identity", "built-in Okta fake at " + url})
	}
	return f, nil
}

// isLoopback reports whether ip is a loopback address (an unparsable one
// is not: the dev server refuses it later with its own words).
func isLoopback(ip string) bool { return net.ParseIP(ip) != nil && httpx.LoopbackHost(ip) }

// ensureDevToken returns the admin token `socflow dev` keeps in dataDir,
// creating it (mode 0600) on first start. A token file others may read is
// refused: it admits its reader as an admin.
func ensureDevToken(dataDir string) (token string, created bool, err error) {
	path := filepath.Join(dataDir, "token")
	if b, err := os.ReadFile(path); err == nil {
		fi, err := os.Stat(path)
		if err != nil {
			return "", false, err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", false, fmt.Errorf("dev: %s is readable by others (mode %o): chmod 600 it, or delete it for a new token", path, fi.Mode().Perm())
		}
		if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, auth.TokenPrefix) {
			return t, false, nil
		}
		return "", false, fmt.Errorf("dev: %s does not hold a socflow token: delete it for a new one", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("dev: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, fmt.Errorf("dev: %w", err)
	}
	token, _, err = auth.NewToken()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("dev: %w", err)
	}
	if _, err := fmt.Fprintln(f, token); err != nil {
		_ = f.Close()
		return "", false, fmt.Errorf("dev: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("dev: %w", err)
	}
	return token, true, nil
}

// ensureDevCodec gives dev a key when none is configured: it creates
// data_dir/codec.key (mode 0600) on first start and uses it from then on,
// so histories are encrypted from the first alert, and the CLI (which
// finds the same file) reads them. It says what dev encrypts with.
func ensureDevCodec(cfg *config.Config) (string, error) {
	path := config.LocalCodecKeyPath(cfg.DataDir)
	if k := cfg.Codec.Keys; len(k) > 0 && !(len(k) == 1 && k[0].ID == config.LocalCodecKeyID && k[0].File == path) {
		return fmt.Sprintf("encrypted (AES-256-GCM) with key %s of codec.keys", k[0].ID), nil
	}
	created := false
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return "", fmt.Errorf("dev: create %s for the codec key: %w", cfg.DataDir, err)
		}
		key, err := codec.NewKeyMaterial()
		if err != nil {
			return "", err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("dev: create the codec key: %w", err)
		}
		_, werr := f.Write(key)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return "", fmt.Errorf("dev: write the codec key %s: %w", path, werr)
		}
		created = true
	}
	if err := cfg.UseLocalCodecKey(); err != nil {
		return "", err
	}
	note := fmt.Sprintf("encrypted (AES-256-GCM) with the local key %s", path)
	if created {
		note += " (created now; keep it: without it these histories cannot be read)"
	}
	return note, nil
}

// devCodecHandler is dev's codec endpoint for its Web UI. The UI has no
// sign-in, so there is no credential to check: the endpoint answers only
// requests addressed to its own loopback address (a page that rebinds its
// name to 127.0.0.1 is refused), and browsers only from the UI's origin
// (and codec.cors_origins). Beyond loopback (--expose-temporal) it is as
// open as the UI itself, which dev says loudly at start.
func devCodecHandler(c *codec.Codec, ln net.Listener, ip, uiURL string, extraOrigins []string) (http.Handler, error) {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	authorize := codec.LoopbackHost(port)
	if !isLoopback(ip) {
		authorize = func(*http.Request) error { return nil }
	}
	origins := append([]string{uiURL}, extraOrigins...)
	if u, err := url.Parse(uiURL); err == nil && isLoopback(u.Hostname()) {
		origins = append(origins, "http://localhost:"+u.Port())
	}
	return codec.NewHandler(c, codec.HandlerOptions{Authorize: authorize, CORSOrigins: origins})
}

// dialHost is where a browser reaches a listener bound to ip.
func dialHost(ip string) string {
	if p := net.ParseIP(ip); p != nil && p.IsUnspecified() {
		return "127.0.0.1"
	}
	return ip
}
