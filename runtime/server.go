// Package runtime is the library a generated server runs on; main.go
// calls Main with the project's generated pieces. This package is the
// facade: configuration (Config, parsed once from the environment),
// wiring (NewServer) and the process's life (Main, Serve). The work is
// done in layers, imports pointing down:
//
//	transport  HTTP and websockets (one type per subprotocol)
//	live       live queries and streams: groups, cohorts, batches, change hints
//	engine     per-role schemas; Prepare (document, variables, plan) and Run (DBTX)
//	compile    operation + catalog → SQL text and parameters (no I/O)
//	auth       admin secret, JWT, JWKS → session
//	replica    read replicas: round robin, failover, health checks
//	catalog    table descriptors, permissions, the SQL writer (generated db/ imports it)
//	wire, session, metrics
//
// An HTTP query: transport/http.go → engine/prepare.go → compile/compile.go
// → compile/select.go (+ the role filters of catalog/writer.go, written by
// the generated db/<table>.go) → engine/run.go.
package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/budget"
	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/console"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Project is what a generated server hands to the runtime: its tables, its
// schemas and its custom resolvers.
type Project struct {
	// Tables are the generated table descriptors.
	Tables []*catalog.Table
	// Schemas holds full.graphqls and roles/<role>.graphqls.
	Schemas fs.FS
	// CustomSDL is graph/custom.graphqls; Custom executes it.
	CustomSDL string
	Custom    CustomSchema
	// EventHandlers handle event triggers in Go, by trigger name
	// (events/handlers.go of the emitted project); a trigger without one
	// is delivered to its webhook.
	EventHandlers map[string]events.Handler
	// ActionHandlers answer actions in Go, by action name
	// (actions/handlers.go of the emitted project); an action without one
	// is answered by its webhook.
	ActionHandlers map[string]actions.Handler
	// Operations are the project's operations compiled by hasgen
	// generate (operations.Compiled of the emitted project): requests
	// that send one skip parsing, validation and compiling.
	Operations []engine.CompiledOperation
}

// CustomSchema builds the executable schema of the custom fields over a
// role's schema (engine.CustomSchema).
type CustomSchema = engine.CustomSchema

// Session is who a request runs as (session.Session).
type Session = session.Session

// SessionFrom returns the session of the request ctx belongs to, or nil.
// Custom resolvers use it to read the role and session variables.
func SessionFrom(ctx context.Context) *Session { return session.From(ctx) }

// TxFrom returns the transaction of the mutation request ctx belongs to,
// or nil outside a mutation: custom mutation resolvers run their SQL on it
// so that it commits or rolls back with the request (engine.TxFrom).
func TxFrom(ctx context.Context) engine.DBTX { return engine.TxFrom(ctx) }

// NewPool opens the connection pool the server runs on: pgx's statement
// cache (prepared statements), the configured limits, and UTC so that
// timestamps come back as Hasura writes them.
func NewPool(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(cfg.MaxConns)
	}
	if cfg.MinConns > 0 {
		pc.MinConns = int32(cfg.MinConns)
	}
	if cfg.ConnLifetime > 0 {
		pc.MaxConnLifetime = cfg.ConnLifetime
	}
	if cfg.ConnIdleTimeout > 0 {
		pc.MaxConnIdleTime = cfg.ConnIdleTimeout
	}
	if cfg.Tracer != nil {
		pc.ConnConfig.Tracer = cfg.Tracer
	}
	if max := cfg.MaxResponseSize; max > 0 {
		// A message larger than that (one root field's JSON) is an error
		// before it is read: the connection is then closed.
		pc.ConnConfig.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
			f := pgproto3.NewFrontend(r, w)
			f.SetMaxBodyLen(max)
			return f
		}
	}
	if cfg.NoPreparedStatements {
		// Each statement is described, then run, on the unnamed statement:
		// nothing outlives a transaction, as poolers in transaction mode
		// need.
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	}
	rp := pc.ConnConfig.RuntimeParams
	if cfg.IsolationLevel != "" && rp["default_transaction_isolation"] == "" {
		level, err := isolation(cfg.IsolationLevel)
		if err != nil {
			return nil, err
		}
		rp["default_transaction_isolation"] = level
	}
	if cfg.Limits.Time > 0 && rp["statement_timeout"] == "" {
		rp["statement_timeout"] = strconv.FormatInt(cfg.Limits.Time.Milliseconds(), 10)
	}
	if rp["timezone"] == "" {
		rp["timezone"] = "UTC"
	}
	register := budgetPool(cfg, pc) // budgetserver.go
	if rp["application_name"] == "" {
		rp["application_name"] = "hasgen"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	register(pool)
	return pool, nil
}

// Server is a running GraphQL server.
type Server struct {
	Engine  *engine.Engine
	Handler http.Handler
	// Metrics are served on /metrics.
	Metrics *metrics.Metrics
	pool    *pgxpool.Pool
	health  *pgxpool.Pool
	reads   *replica.Set // nil without read replicas
	poller  *live.Poller
	ws      *transport.WebsocketHandler
	relay   *relayServer        // nil without schema/relay/
	events  *eventsServer       // nil when no event trigger is delivered
	sched   *scheduleServer     // nil when nothing is scheduled
	async   *asyncServer        // nil without asynchronous actions
	budget  *budget.Coordinator // nil without a connection budget
	cache   *cache.Cache
	// rateStore is the Redis of the rate limits; nil without.
	rateStore io.Closer
	// Logs writes the Hasura-shaped logs (runtime/logs).
	Logs *logs.Logger
}

// NewServer connects to the database and builds the HTTP handler:
// /v1/graphql (HTTP GET and POST, websockets), /v1alpha1/graphql (the
// same, with Hasura's old error statuses), /v1beta1/relay (relay.go),
// /healthz, /v1/version, /metrics (and /v1/metrics) and, when enabled, /console; behind
// Hasura's CORS policy, GraphQL responses gzipped when the client asks.
func NewServer(ctx context.Context, cfg Config, p Project, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	hlogs, err := newLogs(cfg)
	if err != nil {
		return nil, err
	}
	cfg.hlogs = hlogs
	cfg.Auth.Logs = hlogs
	authn, err := auth.New(ctx, cfg.Auth)
	if err != nil {
		return nil, err
	}
	limits, err := projectLimits(p, cfg.Limits)
	if err != nil {
		return nil, err
	}
	cfg.Limits = limits.Global
	rateLimiter, rateStore, err := newRateLimiter(cfg, p, log) // ratelimits.go
	if err != nil {
		return nil, err
	}
	cfg.rateLimiter = rateLimiter
	var ch *console.Handler
	if cfg.EnableConsole {
		// GraphiQL from files in the binary (runtime/console).
		if ch, err = console.New(cfg.ConsoleHeaders); err != nil {
			return nil, err
		}
	}
	cfg, coord, err := startBudget(ctx, cfg, log) // budgetserver.go
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			coord.Close()
		}
	}()
	pool, err := NewPool(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// /healthz pings on a connection of its own: requests that hold every
	// pool connection do not make a healthy server look dead.
	hcfg := cfg
	hcfg.MaxConns, hcfg.MinConns, hcfg.Tracer = 1, 0, nil
	health, err := NewPool(ctx, hcfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if err := startSchemaCheck(ctx, cfg, health, p.Tables, log); err != nil {
		pool.Close()
		health.Close()
		return nil, err
	}
	ecfg, err := engineConfig(cfg, p, limits)
	if err != nil {
		pool.Close()
		health.Close()
		return nil, err
	}
	e, err := engine.New(ecfg, pool)
	if err != nil {
		pool.Close()
		health.Close()
		return nil, err
	}
	for _, msg := range e.StaleOperations() {
		log.Warn("a compiled operation runs uncompiled", "reason", msg)
	}
	m := metrics.New(pool)
	registerBudgetMetrics(m.Registry, coord) // budgetserver.go
	cfg.Events.metrics = m.Registry
	cfg.Schedule.metrics = m.Registry
	// Queries and live queries read the replicas (replicas.go); nil
	// without any.
	reads, err := newReplicaSet(ctx, cfg, pool, m, log)
	if err != nil {
		pool.Close()
		health.Close()
		return nil, err
	}
	defer func() {
		if !started {
			reads.Close()
		}
	}()
	cfg.Live.Reads = reads
	poller := live.New(e, pool, cfg.Live, m, log)
	wsh := transport.NewWebsocketHandler(e, pool, authn, poller, cfg.Websocket, m, log)
	wsh.Logs, wsh.Reads = hlogs, reads
	rcache, err := newCache(cfg.Cache, log) // cacheserver.go
	if err == nil {
		err = registerCacheMetrics(m.Registry, rcache)
	}
	if err != nil {
		poller.Close()
		pool.Close()
		health.Close()
		return nil, err
	}
	wsh.RateLimit, wsh.Cache = rateLimiter, rcache
	gql := &transport.Handler{Engine: e, Auth: authn, DB: pool, Reads: reads, Log: log, BodyTimeout: cfg.BodyTimeout, Strict: cfg.StrictGraphQLHTTP, Logs: hlogs, RateLimit: rateLimiter, Cache: rcache}
	relay, err := newRelay(ctx, cfg, p, ecfg, pool, authn, m, log)
	if err != nil {
		poller.Close()
		pool.Close()
		health.Close()
		return nil, err
	}
	cors, err := transport.NewCORS(cfg.CORS)
	if err != nil {
		poller.Close()
		relay.close()
		pool.Close()
		health.Close()
		return nil, err
	}
	sched, err := startScheduling(ctx, cfg, p, log)
	if err != nil {
		poller.Close()
		relay.close()
		pool.Close()
		health.Close()
		return nil, err
	}
	evs, metadataAPI, err := startMetadataAPI(ctx, cfg, p, authn, log, sched.ops())
	if err != nil {
		sched.close()
		poller.Close()
		relay.close()
		pool.Close()
		health.Close()
		return nil, err
	}
	async, err := startAsync(ctx, cfg, ecfg.Actions, e, log) // actionsserver.go
	if err != nil {
		evs.close()
		sched.close()
		poller.Close()
		relay.close()
		pool.Close()
		health.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(MetadataPath, metadataAPI)
	mux.Handle(transport.CacheClearPath, transport.CacheClearHandler(rcache, authn))
	mux.Handle("/v1/graphql", transport.Endpoint(transport.Gzip(m.InstrumentHTTP(gql)), wsh))
	if relay != nil {
		mux.Handle(RelayPath, transport.Gzip(relay.handler))
	}
	alpha := *gql
	alpha.Alpha = true
	mux.Handle("/v1alpha1/graphql", transport.Endpoint(transport.Gzip(m.InstrumentHTTP(&alpha)), wsh))
	// /v1/metrics is where Hasura EE serves them; /metrics hasgen's first
	// path.
	metricsHandler := transport.MetricsAuth(cfg.MetricsSecret, m.Handler())
	mux.Handle("/metrics", metricsHandler)
	mux.Handle("/v1/metrics", metricsHandler)
	mux.Handle("GET /v1/version", transport.VersionHandler(transport.Version()))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if r.URL.Query().Has("strict") {
			// Readiness: the database also matches the generated catalog.
			strictHealth(w, r.WithContext(ctx), health, p.Tables)
			return
		}
		if err := health.Ping(ctx); err != nil {
			http.Error(w, "ERROR: database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	})
	if ch != nil {
		mux.Handle(console.Path, ch)
		mux.Handle(console.Path+"/", ch)
	}
	started = true
	return &Server{Engine: e, Handler: cors.Middleware(mux), Metrics: m, pool: pool, health: health, reads: reads, poller: poller, ws: wsh, relay: relay, events: evs, sched: sched, async: async, budget: coord, Logs: hlogs, rateStore: rateStore, cache: rcache}, nil
}

// engineConfig is the engine configuration of p under cfg, limits being
// p's api_limits over cfg's (projectLimits): what NewServer and NewEngine
// build their engines with.
func engineConfig(cfg Config, p Project, limits *engine.LimitSet) (engine.Config, error) {
	var rls *engine.RLS
	if cfg.RLS || cfg.RLSRole != "" {
		rls = &engine.RLS{Role: cfg.RLSRole}
	}
	noIntrospection, err := introspectionDisabledFor(p)
	if err != nil {
		return engine.Config{}, err
	}
	acts, err := newActions(p)
	if err != nil {
		return engine.Config{}, err
	}
	remotes, err := remote.Load(p.Schemas, os.Getenv)
	if err != nil {
		return engine.Config{}, err
	}
	tags, err := projectQueryTags(p) // querytags.go
	if err != nil {
		return engine.Config{}, err
	}
	allow, err := projectAllowList(cfg, p) // allowlist.go
	if err != nil {
		return engine.Config{}, err
	}
	return engine.Config{
		Tables: p.Tables, Schemas: p.Schemas, CustomSDL: p.CustomSDL, Custom: p.Custom, Actions: acts,
		StringifyNumeric: cfg.StringifyNumeric, DisableIntrospection: cfg.DisableIntrospection,
		Limits: limits, RLS: rls, MaxResponseSize: cfg.MaxResponseSize, MaxSQLSize: cfg.MaxSQLSize,
		ExplicitFunctionPermissions: !cfg.InferFunctionPermissions, IntrospectionDisabledFor: noIntrospection,
		Remotes: remotes, QueryTags: tags, AllowList: allow, Operations: p.Operations,
		PersistedQueries: cfg.PersistedQueries,
	}, nil
}

// NewEngine builds the engine a server of p under cfg runs requests with,
// on pool: the same schemas, permissions, api_limits, actions, remote
// schemas and options (cfg's, as NewServer reads them), without HTTP,
// websockets or workers. A worker, a custom resolver or a test runs the
// project's typed client in process with it (gqlclient.Local): a request
// prepared and run by the returned engine answers exactly as the server
// would for the same session. It does not close pool.
func NewEngine(cfg Config, p Project, pool *pgxpool.Pool) (*engine.Engine, error) {
	limits, err := projectLimits(p, cfg.Limits)
	if err != nil {
		return nil, err
	}
	ecfg, err := engineConfig(cfg, p, limits)
	if err != nil {
		return nil, err
	}
	return engine.New(ecfg, pool)
}

// projectLimits are the project's api_limits (schema/api_limits.jsonc,
// written by hasgen generate from the metadata's api_limits.yaml: JSON
// after // comment lines), over the defaults.
func projectLimits(p Project, defaults engine.Limits) (*engine.LimitSet, error) {
	var b []byte
	if p.Schemas != nil {
		var err error
		b, err = fs.ReadFile(p.Schemas, "api_limits.jsonc")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	for bytes.HasPrefix(b, []byte("//")) {
		_, b, _ = bytes.Cut(b, []byte("\n"))
	}
	return engine.ParseLimits(b, defaults)
}

// Shutdown ends the websocket side gracefully: every subscription is
// completed and the poller stopped, then the websocket connections are
// closed (1001) once their queries are done and their messages written.
func (s *Server) Shutdown(ctx context.Context) error {
	// Event and scheduled deliveries end meanwhile (eventsserver.go,
	// scheduling.go).
	evs := s.events.shutdown(ctx)
	defer func() { <-evs }()
	sch := s.sched.shutdown(ctx)
	defer func() { <-sch }()
	asy := s.async.shutdown(ctx)
	defer func() { <-asy }()
	s.poller.Close()
	rerr := s.relay.shutdown(ctx)
	if err := s.ws.Shutdown(ctx); err != nil {
		return err
	}
	return rerr
}

// Close stops the subscriptions and releases the database pools.
func (s *Server) Close() {
	s.events.close()
	s.sched.close()
	s.async.close()
	s.poller.Close()
	s.relay.close()
	s.reads.Close()
	s.pool.Close()
	s.health.Close()
	if s.rateStore != nil {
		s.rateStore.Close()
	}
	s.cache.Close()
	// Last: the instance's share counts until its connections are closed.
	s.budget.Close()
}

// Main runs a generated server: configuration from the environment and
// flags, then serve until SIGINT or SIGTERM, then drain. It exits the
// process with status 2 on a configuration error and 1 on a start-up
// error.
func Main(p Project) {
	cfg, err := ProjectConfig(p, os.Args[1:], os.Getenv)
	if printHelp(os.Stdout, err) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if cfg.Healthcheck {
		os.Exit(Healthcheck(context.Background(), cfg, os.Stdout))
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slogLevel(cfg.LogLevel)}))
	for _, name := range UnservedEnv(p, os.Environ()) {
		log.Warn("environment variable not supported by hasgen: it has no effect", "name", name)
	}
	if w := NamingWarning(p, cfg); w != "" {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Serve(ctx, cfg, p, log); err != nil {
		printMismatch(os.Stderr, err)
		log.Error("server stopped", "error", err)
		os.Exit(1)
	}
}

// Serve serves until ctx is done, then shuts down gracefully.
func Serve(ctx context.Context, cfg Config, p Project, log *slog.Logger) error {
	srv, err := NewServer(ctx, cfg, p, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := listen(ctx, cfg) // listen.go
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	logStartup(srv.Logs, cfg, ln.Addr().String())
	log.Info("serving", "addr", ln.Addr().String(), "graphql", "/v1/graphql")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("websocket shutdown", "error", err)
	}
	return hs.Shutdown(shutdown)
}
