package runtime

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Project is what a generated server hands to the runtime: its tables, its
// schemas and its custom resolvers.
type Project struct {
	// Tables are the generated table descriptors.
	Tables []*Table
	// Schemas holds full.graphqls and roles/<role>.graphqls.
	Schemas fs.FS
	// CustomSDL is graph/custom.graphqls; Custom executes it.
	CustomSDL string
	Custom    CustomSchema
}

// Config is the server's configuration. ConfigFromEnv reads it from the
// environment variables a Hasura deployment already sets, and flags.
type Config struct {
	DatabaseURL      string // HASURA_GRAPHQL_DATABASE_URL
	Host             string // HASURA_GRAPHQL_SERVER_HOST, default all interfaces
	Port             int    // HASURA_GRAPHQL_SERVER_PORT, default 8080
	AdminSecret      string // HASURA_GRAPHQL_ADMIN_SECRET
	JWTSecret        string // HASURA_GRAPHQL_JWT_SECRET
	JWTSecrets       string // HASURA_GRAPHQL_JWT_SECRETS (a JSON array of configs)
	UnauthorizedRole string // HASURA_GRAPHQL_UNAUTHORIZED_ROLE
	StringifyNumeric bool   // HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES
	EnableConsole    bool   // HASURA_GRAPHQL_ENABLE_CONSOLE: GraphiQL at /console
	// DisableIntrospection refuses introspection to non-admin roles
	// (HASGEN_DISABLE_INTROSPECTION).
	DisableIntrospection bool
	// Pool limits: HASURA_GRAPHQL_PG_CONNECTIONS (max, default 50),
	// HASGEN_PG_MIN_CONNECTIONS, HASURA_GRAPHQL_PG_CONN_LIFETIME (seconds,
	// default 600) and HASURA_GRAPHQL_PG_TIMEOUT (idle seconds, default 180).
	MaxConns        int
	MinConns        int
	ConnLifetime    time.Duration
	ConnIdleTimeout time.Duration
	// LogLevel is debug, info, warn or error (HASGEN_LOG_LEVEL).
	LogLevel string
	// Tracer, when set, sees every statement the pool runs (OpenTelemetry
	// instrumentation, tests that count statements). Not read from the
	// environment.
	Tracer pgx.QueryTracer
	// Realtime is the websocket and subscription settings (realtime.go).
	Realtime RealtimeConfig
}

// ConfigFromEnv reads the configuration from the environment (getenv,
// usually os.Getenv) and then from command-line flags, which win.
func ConfigFromEnv(args []string, getenv func(string) string) (Config, error) {
	cfg := Config{Port: 8080, MaxConns: 50, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 180 * time.Second, LogLevel: "info"}
	var errs []string
	str := func(dst *string, names ...string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				*dst = v
				return
			}
		}
	}
	num := func(dst *int, name string) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a non-negative integer", name, v))
				return
			}
			*dst = n
		}
	}
	seconds := func(dst *time.Duration, name string) {
		var n int
		num(&n, name)
		if getenv(name) != "" && n >= 0 {
			*dst = time.Duration(n) * time.Second
		}
	}
	boolean := func(dst *bool, name string) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: want true or false", name, v))
				return
			}
			*dst = b
		}
	}
	str(&cfg.DatabaseURL, "HASURA_GRAPHQL_DATABASE_URL", "DATABASE_URL")
	str(&cfg.Host, "HASURA_GRAPHQL_SERVER_HOST")
	num(&cfg.Port, "HASURA_GRAPHQL_SERVER_PORT")
	str(&cfg.AdminSecret, "HASURA_GRAPHQL_ADMIN_SECRET", "HASURA_GRAPHQL_ACCESS_KEY")
	str(&cfg.JWTSecret, "HASURA_GRAPHQL_JWT_SECRET")
	str(&cfg.JWTSecrets, "HASURA_GRAPHQL_JWT_SECRETS")
	str(&cfg.UnauthorizedRole, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE")
	boolean(&cfg.StringifyNumeric, "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES")
	boolean(&cfg.EnableConsole, "HASURA_GRAPHQL_ENABLE_CONSOLE")
	boolean(&cfg.DisableIntrospection, "HASGEN_DISABLE_INTROSPECTION")
	num(&cfg.MaxConns, "HASURA_GRAPHQL_PG_CONNECTIONS")
	num(&cfg.MinConns, "HASGEN_PG_MIN_CONNECTIONS")
	seconds(&cfg.ConnLifetime, "HASURA_GRAPHQL_PG_CONN_LIFETIME")
	seconds(&cfg.ConnIdleTimeout, "HASURA_GRAPHQL_PG_TIMEOUT")
	str(&cfg.LogLevel, "HASGEN_LOG_LEVEL")
	errs = append(errs, cfg.Realtime.readEnv(getenv)...)
	if len(errs) > 0 {
		return cfg, errors.New(strings.Join(errs, "; "))
	}

	fl := flag.NewFlagSet("server", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL (HASURA_GRAPHQL_DATABASE_URL)")
	fl.StringVar(&cfg.Host, "server-host", cfg.Host, "address to listen on (HASURA_GRAPHQL_SERVER_HOST)")
	fl.IntVar(&cfg.Port, "server-port", cfg.Port, "port to listen on (HASURA_GRAPHQL_SERVER_PORT)")
	fl.StringVar(&cfg.AdminSecret, "admin-secret", cfg.AdminSecret, "admin secret (HASURA_GRAPHQL_ADMIN_SECRET)")
	fl.StringVar(&cfg.JWTSecret, "jwt-secret", cfg.JWTSecret, "JWT configuration JSON (HASURA_GRAPHQL_JWT_SECRET)")
	fl.StringVar(&cfg.UnauthorizedRole, "unauthorized-role", cfg.UnauthorizedRole, "role for unauthenticated requests (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)")
	fl.BoolVar(&cfg.StringifyNumeric, "stringify-numeric-types", cfg.StringifyNumeric, "bigint, numeric, float8 and money as JSON strings")
	fl.BoolVar(&cfg.EnableConsole, "enable-console", cfg.EnableConsole, "serve GraphiQL at /console")
	fl.IntVar(&cfg.MaxConns, "pg-connections", cfg.MaxConns, "maximum database connections (HASURA_GRAPHQL_PG_CONNECTIONS)")
	var usage strings.Builder
	fl.SetOutput(&usage)
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fl.PrintDefaults()
			return cfg, fmt.Errorf("usage:\n%s", usage.String())
		}
		return cfg, err
	}
	if cfg.DatabaseURL == "" {
		return cfg, errors.New("no database: set HASURA_GRAPHQL_DATABASE_URL or pass --database-url")
	}
	return cfg, nil
}

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
	rp := pc.ConnConfig.RuntimeParams
	if rp["timezone"] == "" {
		rp["timezone"] = "UTC"
	}
	if rp["application_name"] == "" {
		rp["application_name"] = "hasgen"
	}
	return pgxpool.NewWithConfig(ctx, pc)
}

// Server is a running GraphQL server.
type Server struct {
	Engine  *Engine
	Handler http.Handler
	// Metrics are served on /metrics.
	Metrics *Metrics
	pool    *pgxpool.Pool
	log     *slog.Logger
	subs    *Subscriptions
	ws      *WebsocketHandler
}

// NewServer connects to the database and builds the HTTP handler:
// /v1/graphql (HTTP POST and websockets), /healthz, /metrics and, when
// enabled, /console.
func NewServer(ctx context.Context, cfg Config, p Project, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	auth, err := NewAuthenticator(ctx, AuthConfig{AdminSecret: cfg.AdminSecret, JWTSecret: cfg.JWTSecret, JWTSecrets: cfg.JWTSecrets, UnauthorizedRole: cfg.UnauthorizedRole})
	if err != nil {
		return nil, err
	}
	pool, err := NewPool(ctx, cfg)
	if err != nil {
		return nil, err
	}
	engine, err := NewEngine(EngineConfig{
		Tables: p.Tables, Schemas: p.Schemas, CustomSDL: p.CustomSDL, Custom: p.Custom,
		StringifyNumeric: cfg.StringifyNumeric, DisableIntrospection: cfg.DisableIntrospection,
	}, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	gql := &Handler{Engine: engine, Auth: auth, Log: log}
	// Websockets and subscriptions on /v1/graphql, metrics on /metrics.
	metrics := NewMetrics(pool)
	subs := NewSubscriptions(engine, cfg.Realtime.subscriptionConfig(cfg.DatabaseURL, metrics, log))
	wsh := NewWebsocketHandler(engine, auth, subs, cfg.Realtime.Websocket, metrics, log)
	mux.Handle("/v1/graphql", Endpoint(metrics.instrumentHTTP(gql), wsh))
	mux.Handle("/metrics", metrics.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			http.Error(w, "ERROR: database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	})
	if cfg.EnableConsole {
		mux.Handle("/console", playground.Handler("hasgen", "/v1/graphql"))
	}
	return &Server{Engine: engine, Handler: mux, Metrics: metrics, pool: pool, log: log, subs: subs, ws: wsh}, nil
}

// Close stops the subscriptions and releases the database pool.
func (s *Server) Close() {
	s.subs.Close()
	s.pool.Close()
}

// Main runs a generated server: configuration from the environment and
// flags, then serve until SIGINT or SIGTERM, then drain. It exits the
// process with status 1 on a configuration or start-up error.
func Main(p Project) {
	cfg, err := ConfigFromEnv(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Serve(ctx, cfg, p, log); err != nil {
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
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler, ReadHeaderTimeout: 10 * time.Second}
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
	if err := srv.shutdownRealtime(shutdown); err != nil {
		log.Warn("websocket shutdown", "error", err)
	}
	return hs.Shutdown(shutdown)
}
