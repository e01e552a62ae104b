package devserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const (
	// clusterName is arbitrary but persisted in the DB file: changing it
	// would orphan every namespace in existing files.
	clusterName = "active"
	// internalIP is where history, matching and worker listen; nothing
	// outside the process should reach them whatever Options.IP says.
	internalIP = "127.0.0.1"
	storeName  = "sqlite-default"
	// visibilityStoreName is the in-memory server's visibility database.
	visibilityStoreName = "sqlite-visibility"
)

// filePragmas are applied to file databases. Measured: SQLite defaults (rollback journal, synchronous=FULL, no busy timeout) are
// about 3x slower and fail with "database is locked" under concurrent
// writers. WAL with synchronous=NORMAL may lose the last transactions on
// power loss, never corrupt the file, which is fine for a dev server.
var filePragmas = map[string]string{
	"journal_mode": "wal",
	"synchronous":  "NORMAL",
	"busy_timeout": "5000",
}

// serverConfig is everything Start derives from Options before the server
// runs.
type serverConfig struct {
	conf         *config.Config
	sql          *config.SQL
	hosts        map[primitives.ServiceName]static.Hosts
	frontendAddr string
}

func buildConfig(opts Options) (*serverConfig, error) {
	frontendPort := opts.Port
	if frontendPort == 0 {
		p, err := freePort(opts.IP)
		if err != nil {
			return nil, fmt.Errorf("devserver: frontend port: %w", err)
		}
		frontendPort = p
	}
	// The frontend's HTTP API is what Nexus callbacks and the cluster
	// metadata record point at, so it gets a port even if nobody uses it.
	httpPort, err := freePort(opts.IP)
	if err != nil {
		return nil, fmt.Errorf("devserver: frontend HTTP port: %w", err)
	}
	frontendAddr := hostPort(dialHost(opts.IP), frontendPort)

	conf := &config.Config{}
	// Membership is static (see hosts below): every service is in this
	// process, so there is no gossip ring to join and no membership ports.
	conf.Global.Membership.MaxJoinDuration = readyTimeout
	conf.Global.Membership.BroadcastAddress = internalIP

	sqlConf, err := buildSQLConfig(opts.DBFile)
	if err != nil {
		return nil, err
	}
	conf.Persistence.DefaultStore = storeName
	conf.Persistence.VisibilityStore = storeName
	// One shard: a dev server has one history host, more shards only add
	// background work.
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{storeName: {SQL: sqlConf}}
	if opts.DBFile == "" {
		// In memory, visibility gets a database of its own. SQLite's
		// shared cache locks whole tables, and the visibility writes (a
		// row per workflow start, upsert and close) were a quarter of the
		// server's work in the bench's profile, contending with every
		// execution write. A file keeps one database: splitting an
		// existing file would lose its runs from the lists.
		vis := *sqlConf
		vis.ConnectAttributes = maps.Clone(sqlConf.ConnectAttributes)
		vis.DatabaseName = sqlConf.DatabaseName + "-visibility"
		conf.Persistence.VisibilityStore = visibilityStoreName
		conf.Persistence.DataStores[visibilityStoreName] = config.DataStore{SQL: &vis}
	}

	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            hostPort(dialHost(opts.IP), httpPort),
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"

	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(frontendAddr),
	}
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{
			GRPCPort: frontendPort,
			HTTPPort: httpPort,
			BindOnIP: opts.IP,
		}},
	}
	for _, svc := range []primitives.ServiceName{
		primitives.HistoryService, primitives.MatchingService, primitives.WorkerService,
	} {
		port, err := freePort(internalIP)
		if err != nil {
			return nil, fmt.Errorf("devserver: %s port: %w", svc, err)
		}
		conf.Services[string(svc)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: internalIP}}
		hosts[svc] = static.SingleLocalHost(hostPort(internalIP, port))
	}

	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service dials the frontend through this address; without
	// it the server panics at start.
	conf.PublicClient.HostPort = frontendAddr

	return &serverConfig{conf: conf, sql: sqlConf, hosts: hosts, frontendAddr: frontendAddr}, nil
}

func buildSQLConfig(dbFile string) (*config.SQL, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if dbFile == "" {
		// A random name keeps two ephemeral servers in one process (tests)
		// from sharing a database through the shared cache.
		conf.DatabaseName = "socflow-" + rand.Text()
		conf.ConnectAttributes["mode"] = "memory"
		conf.ConnectAttributes["cache"] = "shared"
		return conf, nil
	}
	conf.DatabaseName = dbFile
	conf.ConnectAttributes["mode"] = "rwc"
	for k, v := range filePragmas {
		conf.ConnectAttributes[k] = v
	}
	return conf, nil
}

// prepareDB creates the schema in a new DB file and the namespace (with its
// search attributes) wherever it is missing. Both run before the server
// starts because the server refuses to start on an empty database.
func prepareDB(cfg *serverConfig, opts Options) error {
	if opts.DBFile != "" {
		_, err := os.Stat(opts.DBFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.MkdirAll(filepath.Dir(opts.DBFile), 0o755); err != nil {
				return fmt.Errorf("devserver: create directory for %s: %w", opts.DBFile, err)
			}
			if err := sqliteschema.SetupSchema(cfg.sql); err != nil {
				return fmt.Errorf("devserver: set up schema in %s: %w", opts.DBFile, err)
			}
		case err != nil:
			return fmt.Errorf("devserver: DB file: %w", err)
		}
	}
	// On an existing namespace this is a no-op, search attributes included;
	// ensureSearchAttributes adds those after start.
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("devserver: namespace %s: %w", opts.Namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(cfg.sql, ns); err != nil {
		return fmt.Errorf("devserver: create namespace %s: %w", opts.Namespace, err)
	}
	return nil
}

func newTemporalServer(cfg *serverConfig, dc *devConfig, logger *slog.Logger) (temporal.Server, error) {
	serverLogger := newServerLogger(logger)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.conf.Global.Authorization, serverLogger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	ts, err := temporal.NewServer(
		temporal.WithConfig(cfg.conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(cfg.hosts),
		temporal.WithLogger(serverLogger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: new temporal server: %w", err)
	}
	return ts, nil
}

// dynamicConfig tunes the server for a single-user dev box, as the Temporal
// CLI's dev server does. inMemory says the database starts empty.
func dynamicConfig(inMemory bool) dynamicconfig.StaticClient {
	c := dynamicconfig.StaticClient{
		// The default host cache (128k mutable states) is sized for a
		// production history host, not a laptop.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// The UI and `socflow` list workflows often; the default 10 RPS
		// throttles a single user clicking around.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// One matching host gains nothing from four partitions per task
		// queue: each task goes to one of them at random while the
		// worker's pollers spread over all four, so a task often waits
		// for a poll to be forwarded from another partition. Measured
		// with `socflow bench --only e2e` on two cores: 20.3 alerts/s
		// with four, 27.7 writing to one, 30.6 writing to and reading
		// from one.
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
	if inMemory {
		// Reading from one partition too is only safe when no task can
		// be waiting in the others: a DB file written by an older
		// socflow (or before a restart) may hold a backlog there, which
		// fewer read partitions would strand.
		c[dynamicconfig.MatchingNumTaskqueueReadPartitions.Key()] = 1
	}
	return c
}

// devConfig is the server's dynamic configuration: dynamicConfig, plus a
// search-attribute cache that reads the database on every lookup only
// for a while after Start added attributes to an existing namespace.
//
// Measured: forcing that refresh always (as Temporal's own dev setups do)
// costs a database read per workflow start, upsert and list, which on two
// cores throttled the pipeline to ~11 alerts/s with "System Persistence
// Max QPS Reached"; without it, attributes added to an existing DB file
// would be refused for up to the cache's 60-second refresh interval.
type devConfig struct {
	static     dynamicconfig.StaticClient
	forceUntil atomic.Int64 // unix nanoseconds
	// on and off are returned as the same slices every time: the server
	// caches conversions by slice.
	on, off []dynamicconfig.ConstrainedValue
}

func newDevConfig(inMemory bool) *devConfig {
	return &devConfig{
		static: dynamicConfig(inMemory),
		on:     []dynamicconfig.ConstrainedValue{{Value: true}},
		off:    []dynamicconfig.ConstrainedValue{{Value: false}},
	}
}

// searchAttributesCacheTTL is the server's search-attribute cache refresh
// interval (common/searchattribute's cacheRefreshInterval).
const searchAttributesCacheTTL = 60 * time.Second

// GetValue implements dynamicconfig.Client.
func (c *devConfig) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key() {
		if time.Now().UnixNano() < c.forceUntil.Load() {
			return c.on
		}
		return c.off
	}
	return c.static.GetValue(key)
}

// forceSearchAttributeRefresh makes every service read search attributes
// from the database until their caches have surely refreshed.
func (c *devConfig) forceSearchAttributeRefresh() {
	c.forceUntil.Store(time.Now().Add(2 * searchAttributesCacheTTL).UnixNano())
}
