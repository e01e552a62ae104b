// Package devserver runs a real Temporal server (frontend, history, matching
// and worker services backed by SQLite) inside the current process, for
// `socflow dev` and for integration tests.
//
// It is the only package outside cmd/ that may import go.temporal.io/server:
// everything else talks to Temporal through the SDK, so that the rest of
// socflow works unchanged against a production cluster.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporal"
)

// Defaults applied by Start to zero-valued Options fields.
const (
	// DefaultIP keeps the dev server off the network unless asked.
	DefaultIP = "127.0.0.1"
	// DefaultNamespace is the namespace SDK clients use when given none.
	DefaultNamespace = "default"
	// DefaultRetention keeps closed workflows a week, long enough to
	// review last week's incidents in the UI.
	DefaultRetention = 7 * 24 * time.Hour
)

// readyTimeout bounds how long Start waits for the server to answer. The
// race-enabled build on a small CI machine needs a few seconds; anything near
// this limit means the server is wedged, not slow.
const readyTimeout = 30 * time.Second

// Options configures Start. The zero value runs an ephemeral server on a free
// loopback port with the "default" namespace and no Web UI.
type Options struct {
	// DBFile is the SQLite file that holds all state; "" keeps state in
	// memory and loses it on Stop. A missing file (and its directory) is
	// created with the schema; an existing one is resumed as is.
	DBFile string
	// IP is the address the frontend and UI bind to; default 127.0.0.1.
	// Internal services always bind to loopback.
	IP string
	// Port is the frontend gRPC port; 0 picks a free one.
	Port int
	// UIPort is the Web UI port; 0 disables the UI.
	UIPort int
	// Namespace is created if missing; default "default".
	Namespace string
	// SearchAttributes are registered on Namespace before Start returns,
	// including on a DB file created earlier without them.
	SearchAttributes map[string]enums.IndexedValueType
	// Retention is the namespace's workflow retention; default 7 days.
	Retention time.Duration
	// CodecEndpoint, when set, is the remote codec the Web UI decodes
	// payloads through (the browser calls {CodecEndpoint}/decode), so that
	// encrypted histories show in clear.
	CodecEndpoint string
	// Logger receives the server's and SDK's logs at Warn and above (their
	// Info is very chatty) and this package's own messages; nil discards.
	// Below Error is dropped once Stop begins, as shutdown warns a lot.
	Logger *slog.Logger
}

// Server is a running embedded Temporal server. Stop it with Stop.
type Server struct {
	temporal     temporal.Server
	client       client.Client
	ui           *uiserver.Server
	uiDone       chan struct{}
	logger       *slog.Logger // this package's own messages
	chatty       *slog.Logger // server and SDK messages, filtered by level
	level        *slog.LevelVar
	frontendAddr string
	uiURL        string
	uiAddr       string
	namespace    string
	dynamic      *devConfig

	stopOnce sync.Once
	stopErr  error
}

// Start runs a Temporal server and returns once the frontend answers, the
// namespace exists with the requested retention and every requested search
// attribute is visible. ctx bounds that wait (at most 30s); cancelling it
// later has no effect on the running server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	begin := time.Now()
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	if opts.UIPort > 0 {
		// The UI server exits the process (echo's Logger.Fatal) when it cannot
		// bind, so find out now and fail like any other bad option instead.
		if err := checkPortFree(opts.IP, opts.UIPort); err != nil {
			return nil, fmt.Errorf("devserver: UI port: %w", err)
		}
	}
	// The server and SDK log far too much at Info for a terminal; only their
	// warnings pass. This package's own few messages go to opts.Logger as is.
	level := &slog.LevelVar{}
	level.Set(slog.LevelWarn)
	chatty := slog.New(newMinLevelHandler(opts.Logger.Handler(), level))

	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := prepareDB(cfg, opts); err != nil {
		return nil, err
	}

	dc := newDevConfig(opts.DBFile == "")
	ts, err := newTemporalServer(cfg, dc, chatty.With("component", "temporal-server"))
	if err != nil {
		return nil, err
	}
	if err := ts.Start(); err != nil {
		// Start can fail half-way with some services running; stopping is
		// the only way to release their ports and goroutines.
		_ = ts.Stop()
		return nil, fmt.Errorf("devserver: start temporal server: %w", err)
	}

	s := &Server{
		temporal:     ts,
		logger:       opts.Logger,
		chatty:       chatty,
		level:        level,
		frontendAddr: cfg.frontendAddr,
		namespace:    opts.Namespace,
		dynamic:      dc,
	}
	if opts.UIPort > 0 {
		s.startUI(opts, cfg.frontendAddr)
	}

	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.waitReady(readyCtx, opts); err != nil {
		if stopErr := s.Stop(); stopErr != nil {
			opts.Logger.Warn("stop after failed start", "error", stopErr)
		}
		return nil, err
	}
	opts.Logger.Debug("temporal dev server ready",
		"frontend", s.frontendAddr, "ui", s.uiURL, "namespace", s.namespace,
		"db_file", opts.DBFile, "elapsed", time.Since(begin))
	return s, nil
}

// FrontendAddr returns the host:port SDK clients dial. When IP is a wildcard
// address it names loopback, since the wildcard itself is not dialable.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// UIURL returns the Web UI's base URL, or "" when the UI is disabled.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace returns the namespace Start prepared.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts down the UI, the internal client and the server. It is safe to
// call more than once; later calls return the first call's error.
//
// The server's SQLite plugin keeps one connection per database open for the
// life of the process and hands it back out, so a later Start on the same
// DBFile in this process resumes through that connection. The OS file handle,
// and an ephemeral database's memory, are freed only when the process exits.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

// quietLevel is above every level the server logs at.
const quietLevel = slog.LevelError + 4

func (s *Server) stop() error {
	// While shutting down, the server's pollers and dialers warn about
	// every service that went away before them, and its queues log as
	// errors the writes that shutdown cancelled ("context canceled",
	// "shard closed"): expected, not news. A failure to stop is Stop's
	// error.
	s.level.Set(quietLevel)
	var errs []error
	if s.client != nil {
		s.client.Close()
	}
	if s.ui != nil {
		s.stopUI()
	}
	if err := s.temporal.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("devserver: stop temporal server: %w", err))
	}
	return errors.Join(errs...)
}

func withDefaults(opts Options) (Options, error) {
	if opts.IP == "" {
		opts.IP = DefaultIP
	}
	if net.ParseIP(opts.IP) == nil {
		return opts, fmt.Errorf("devserver: IP %q is not an IP address", opts.IP)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return opts, fmt.Errorf("devserver: port %d out of range", opts.Port)
	}
	if opts.UIPort < 0 || opts.UIPort > 65535 {
		return opts, fmt.Errorf("devserver: UI port %d out of range", opts.UIPort)
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Retention < 0 {
		return opts, fmt.Errorf("devserver: negative retention %v", opts.Retention)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts, nil
}

// dialHost returns the host clients should dial to reach a listener bound to
// ip: a wildcard bind accepts loopback connections, the wildcard itself is
// not a destination.
func dialHost(ip string) string {
	if parsed := net.ParseIP(ip); parsed != nil && parsed.IsUnspecified() {
		return "127.0.0.1"
	}
	return ip
}

func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}
