// Package cli is the socflow command line: one file per command, each with
// an options struct, flag parsing in newCmdX and the work in runX, and every
// error mapped to an exit code in one place (exit.go).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/worker"
)

// DevServer is an embedded Temporal server started by `socflow dev`.
type DevServer interface {
	FrontendAddr() string
	UIURL() string
	Stop() error
}

// DevServerOptions configure the embedded server.
type DevServerOptions struct {
	// DBFile is the SQLite file; "" runs in memory.
	DBFile           string
	IP               string
	Port             int
	UIPort           int
	Namespace        string
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           *slog.Logger
	// CodecEndpoint is the remote codec the Web UI decodes through.
	CodecEndpoint string
}

// DevServerStarter starts an embedded Temporal server. The binary injects
// it, so that this package (and its tests) does not link the Temporal server.
type DevServerStarter func(ctx context.Context, o DevServerOptions) (DevServer, error)

// Factory carries what every command needs: I/O, the environment, the
// global flags, and the services the commands talk to. The incident,
// alert and config commands copy what they need into their options when
// they are built (and the I/O when they run, once -o is parsed), so that
// their run functions see only their options and a test hands them fakes,
// here or in the options. A nil service is the configured one.
type Factory struct {
	In        io.Reader
	Out       io.Writer
	ErrOut    io.Writer
	LookupEnv func(string) (string, bool)
	DevServer DevServerStarter

	// Now is the clock the commands date things by; nil is time.Now.
	Now func() time.Time
	// Incidents opens the incident service; nil opens the configured
	// case files and Temporal.
	Incidents OpenIncidents
	// API returns a client of the HTTP API; nil is the configured API
	// with the CLI's credential.
	API func(APIFlags) (APIClient, error)
	// Alerts connects the alert submitter; nil dials the configured
	// Temporal.
	Alerts ConnectSubmitter
	// Figures opens the store `socflow report` reads; nil opens the
	// configured event store read-only.
	Figures OpenFigures
	// Playbooks are the playbooks the worker runs and the playbook
	// commands know (nil: the built-in ones), and Activities their own
	// activities: what a binary built on socflow adds (see Extensions).
	Playbooks  *playbooks.Registry
	Activities []any

	// ContainmentPlan says what the configured providers can carry out,
	// for `playbook validate`; nil builds them as a worker would.
	ContainmentPlan func(*config.Config) (activities.ContainmentPlan, error)

	Global GlobalOptions
}

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	ConfigPath      string
	TemporalAddress string
	Namespace       string
	Output          string
	LogLevel        string
}

// JSON reports whether -o json was asked for.
func (g *GlobalOptions) JSON() bool { return g.Output == "json" }

// Main runs the command line and returns the process exit code.
func Main(dev DevServerStarter) int { return MainWith(dev, Extensions{}) }

// Extensions are what a binary built on socflow adds to it: its own
// playbooks (beside the built-in ones, or in place of a built-in of the
// same name and version) and their activities. Every command sees them:
// dev and worker run them, playbook list, validate and test know them.
type Extensions struct {
	Playbooks  []playbooks.Playbook
	Activities []any
}

// MainWith runs the CLI with ext, for a binary of one's own:
//
//	func main() { os.Exit(socflowcmd.Main(cli.Extensions{Playbooks: []playbooks.Playbook{ransomware}})) }
func MainWith(dev DevServerStarter, ext Extensions) int {
	f := &Factory{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, LookupEnv: os.LookupEnv, DevServer: dev}
	ext.apply(f)
	return Run(f, os.Args[1:])
}

// apply puts the extensions in the factory every command reads.
func (ext Extensions) apply(f *Factory) {
	if len(ext.Playbooks) > 0 {
		f.Playbooks = playbooks.Builtin()
		for _, p := range ext.Playbooks {
			f.Playbooks.Add(p)
		}
	}
	f.Activities = append(f.Activities, ext.Activities...)
}

// playbooks is the factory's registry: the extensions', else the built-in.
func (f *Factory) playbooks() *playbooks.Registry {
	if f.Playbooks != nil {
		return f.Playbooks
	}
	return playbooks.Builtin()
}

// Run executes args and maps the outcome to an exit code.
func Run(f *Factory, args []string) int {
	cmd := NewRootCmd(f)
	cmd.SetArgs(args)
	cmd.SetIn(f.In)
	cmd.SetOut(f.Out)
	cmd.SetErr(f.ErrOut)
	err := cmd.Execute()
	var ue *usageError
	if err != nil && !errors.As(err, &ue) && strings.HasPrefix(err.Error(), "unknown command") {
		// Cobra's own, for the root (see group).
		err = usageErrorf("%v\nRun 'socflow --help' for usage.", err)
	}
	if err != nil {
		fmt.Fprintln(f.ErrOut, "socflow: "+strings.TrimSpace(err.Error()))
	}
	return ExitCode(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "socflow",
		Short:         "Alert-to-containment runner for SOCs, on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return checkOutput(cmd, f.Global.Output)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	// The root has no Args and no Run: cobra's legacy argument check then
	// refuses an unknown command, with suggestions, and a bare socflow
	// prints the help. Every other group refuses typos through group.
	pf := root.PersistentFlags()
	pf.StringVar(&f.Global.ConfigPath, "config", "", "configuration file (default $SOCFLOW_CONFIG, else ./socflow.yaml if present, else built-in defaults)")
	pf.StringVar(&f.Global.TemporalAddress, "temporal-address", "", "Temporal frontend host:port (default $TEMPORAL_ADDRESS, else the configuration's)")
	pf.StringVar(&f.Global.Namespace, "namespace", "", "Temporal namespace (default $TEMPORAL_NAMESPACE, else the configuration's)")
	pf.StringVarP(&f.Global.Output, "output", "o", "text", "output format: text, json or md (md: only the commands that say so)")
	pf.StringVar(&f.Global.LogLevel, "log-level", "info", "log level: debug, info, warn or error")

	root.AddCommand(
		newCmdDev(f, nil),
		newCmdWorker(f, nil),
		newCmdServe(f, nil),
		newCmdAlert(f),
		newCmdIncident(f),
		newCmdReport(f, nil),
		newCmdPlaybook(f),
		newCmdConfig(f),
		newCmdToken(f),
		newCmdBench(f, nil),
		newCmdCodecServer(f, nil),
	)
	// Cobra adds its completion command as it executes; added now, it
	// refuses an unknown shell as the other groups refuse their typos.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			group(c)
		}
	}
	return root
}

// now reads the factory's clock.
func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// streams are the factory's I/O in the format the flags chose; the flags
// are parsed only when the command runs, so a RunE calls it.
func (f *Factory) streams() IOStreams {
	return IOStreams{In: f.In, Out: f.Out, ErrOut: f.ErrOut, JSON: f.Global.JSON(), Markdown: f.Global.Output == outputMarkdown}
}

// logger builds the process logger (stderr, text).
func (f *Factory) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.Global.LogLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(f.ErrOut, &slog.HandlerOptions{Level: lvl}))
}

// configPath picks the configuration file: the flag, $SOCFLOW_CONFIG,
// ./socflow.yaml, or fallback (which may be "" for the built-in defaults).
func (f *Factory) configPath(fallback string) string {
	if f.Global.ConfigPath != "" {
		return f.Global.ConfigPath
	}
	if p, ok := f.LookupEnv("SOCFLOW_CONFIG"); ok && p != "" {
		return p
	}
	if _, err := os.Stat("socflow.yaml"); err == nil {
		return "socflow.yaml"
	}
	if fallback != "" {
		if _, err := os.Stat(fallback); err == nil {
			return fallback
		}
	}
	return ""
}

// loadConfig reads and validates the configuration, then applies the
// global flags, which win over the file and the environment.
func (f *Factory) loadConfig(fallback string) (*config.Config, error) {
	var cfg *config.Config
	path := f.configPath(fallback)
	if path == "" {
		var err error
		if cfg, err = config.Parse(nil, "", f.LookupEnv); err != nil {
			return nil, err
		}
	} else {
		var err error
		if cfg, err = config.Load(path, f.LookupEnv); err != nil {
			return nil, err
		}
	}
	if f.Global.TemporalAddress != "" {
		cfg.Temporal.Address = f.Global.TemporalAddress
	}
	if f.Global.Namespace != "" {
		cfg.Temporal.Namespace = f.Global.Namespace
	}
	return cfg, nil
}

// dial loads the configuration and connects to Temporal.
func (f *Factory) dial(ctx context.Context) (*config.Config, client.Client, error) {
	cfg, err := f.loadConfig("")
	if err != nil {
		return nil, nil, err
	}
	c, err := f.connect(ctx, cfg)
	return cfg, c, err
}

// connect connects to Temporal with an already loaded configuration.
func (f *Factory) connect(ctx context.Context, cfg *config.Config) (client.Client, error) {
	c, err := worker.Dial(ctx, cfg, f.logger())
	if err != nil {
		return nil, unavailable(err)
	}
	return c, nil
}

// group makes a command that only holds subcommands refuse to run bare or
// with an unknown subcommand: a usage error, not a success, so that a
// script notices a typo. Cobra reports an unknown subcommand itself only
// for the root (when the root has no Args); for any other group it prints
// the help and succeeds. The message is cobra's, with its suggestions.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return unknownCommand(c, args[0])
		}
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return usageErrorf("%q needs a subcommand: %s", c.CommandPath(), strings.Join(names, ", "))
	}
	return cmd
}

// unknownCommand is cobra's "unknown command" error with its "Did you
// mean this?" suggestions, and where to find the commands.
func unknownCommand(c *cobra.Command, name string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown command %q for %q", name, c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		b.WriteString("\n\nDid you mean this?\n")
		for _, n := range s {
			fmt.Fprintf(&b, "\t%s\n", n)
		}
	}
	fmt.Fprintf(&b, "\nRun '%s --help' for usage.", c.CommandPath())
	return usageErrorf("%s", b.String())
}

// errNoDevServer is what dev and bench say in a build without the embedded
// Temporal server.
var errNoDevServer = errors.New("this build of socflow has no embedded Temporal server")

// untilInterrupted runs a long-running command with a context that ends
// on Ctrl-C or SIGTERM, so that it stops cleanly (workers drain, servers
// close their databases) instead of dying mid-write.
func untilInterrupted(ctx context.Context, run func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx)
}
