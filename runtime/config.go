package runtime

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/budget"
	"github.com/hasgen/hasgen/runtime/console"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/ratelimit"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/jackc/pgx/v5"
)

// Config is the server's configuration, parsed once: ConfigFromEnv reads
// it from the environment variables a Hasura deployment already sets, and
// flags. Each part goes as it is to the package it configures.
type Config struct {
	DatabaseURL string // HASURA_GRAPHQL_DATABASE_URL
	Host        string // HASURA_GRAPHQL_SERVER_HOST, default all interfaces
	Port        int    // HASURA_GRAPHQL_SERVER_PORT, default 8080
	// ReusePort listens with SO_REUSEPORT (HASGEN_SERVER_REUSEPORT, Linux):
	// several server processes on one host share the port, the kernel
	// spreading new connections among them (listen.go).
	ReusePort bool
	// Auth: HASURA_GRAPHQL_ADMIN_SECRET, HASURA_GRAPHQL_JWT_SECRET,
	// HASURA_GRAPHQL_JWT_SECRETS, HASURA_GRAPHQL_UNAUTHORIZED_ROLE,
	// HASURA_GRAPHQL_AUTH_HOOK, HASURA_GRAPHQL_AUTH_HOOK_MODE.
	Auth             auth.Config
	StringifyNumeric bool // HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES
	EnableConsole    bool // HASURA_GRAPHQL_ENABLE_CONSOLE: GraphiQL at /console
	// ConsoleHeaders pre-fill the console's header editor
	// (HASGEN_CONSOLE_HEADERS, a JSON object; hasgen dev sets the admin
	// secret): whoever opens /console gets them, so only for local use.
	ConsoleHeaders map[string]string
	// DefaultNamingConvention is HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION:
	// checked against the generated names (naming.go), which it cannot
	// change.
	DefaultNamingConvention string
	// DisableIntrospection refuses introspection to non-admin roles
	// (HASGEN_DISABLE_INTROSPECTION).
	DisableIntrospection bool
	// EnableAllowList runs, for every role but admin, only the documents
	// of the allow list (HASURA_GRAPHQL_ENABLE_ALLOWLIST, --enable-allowlist;
	// allowlist.go).
	EnableAllowList bool
	// InferFunctionPermissions lets every role that may select from a
	// query function's table call the function; false asks for a function
	// permission (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS, default true).
	InferFunctionPermissions bool
	// Pool limits: HASURA_GRAPHQL_PG_CONNECTIONS (max, default 50),
	// HASGEN_PG_MIN_CONNECTIONS, HASURA_GRAPHQL_PG_CONN_LIFETIME (seconds,
	// default 600) and HASURA_GRAPHQL_PG_TIMEOUT (idle seconds, default 180).
	MaxConns        int
	MinConns        int
	ConnLifetime    time.Duration
	ConnIdleTimeout time.Duration
	// ReadReplicas are the read replicas queries and live queries run on
	// (replicas.go): HASURA_GRAPHQL_READ_REPLICA_URLS, else the metadata's
	// read_replicas.
	ReadReplicas []ReplicaConfig
	// ReplicaMaxLag takes a read replica out of rotation while its replay
	// lag is over it (HASGEN_READ_REPLICA_MAX_LAG, milliseconds; 0, the
	// default, measures none): runtime/replica's MaxLag.
	ReplicaMaxLag time.Duration
	// TotalMaxConns is the connection budget shared by every instance on
	// the database (HASGEN_PG_TOTAL_MAX_CONNECTIONS, or the metadata's
	// pool_settings.total_max_connections; 0, the default, is none): each
	// instance sizes its connections to its share (budgetserver.go).
	TotalMaxConns int
	// budget is the instance's share of TotalMaxConns, which every pool
	// NewPool opens takes its connections from; nil without a budget.
	budget *budget.Coordinator
	// replicaLimiter, for a read replica's pool, is the limiter its
	// connections take from in place of the primary's (Coordinator.Follow).
	replicaLimiter *budget.Limiter
	// IsolationLevel is every transaction's isolation: read-committed
	// (the default), repeatable-read or serializable; from the metadata's
	// connection_info.
	IsolationLevel string
	// NoPreparedStatements runs statements without named prepared
	// statements (connection_info.use_prepared_statements: false).
	NoPreparedStatements bool
	// LogLevel is debug, info, warn or error: HASGEN_LOG_LEVEL, else
	// HASURA_GRAPHQL_LOG_LEVEL (hasgen's own name wins when both are
	// set). It applies to the Hasura-shaped logs and the others alike.
	LogLevel string
	// EnabledLogTypes is HASURA_GRAPHQL_ENABLED_LOG_TYPES: the Hasura
	// log types written (runtime/logs), comma-separated; empty is
	// Hasura's default, startup, http-log, webhook-log and websocket-log.
	EnabledLogTypes string
	// LogOutput receives the Hasura-shaped log lines; nil is standard
	// error, where the other logs go. Not read from the environment.
	LogOutput io.Writer
	// hlogs is the server's logger, for the parts NewServer builds.
	hlogs *logs.Logger
	// RateLimit says where api_limits.rate_limit counts (ratelimits.go);
	// rateLimiter is the limiter NewServer builds.
	RateLimit   RateLimitConfig
	rateLimiter *ratelimit.Limiter
	// Tracer, when set, sees every statement the pool runs (OpenTelemetry
	// instrumentation, tests that count statements). Not read from the
	// environment.
	Tracer pgx.QueryTracer
	// Live configures subscriptions: the HASURA_GRAPHQL_LIVE_QUERIES_* and
	// HASURA_GRAPHQL_STREAMING_QUERIES_* variables,
	// HASGEN_SUBSCRIPTION_WORKERS and HASGEN_CHANGE_HINTS. Its DatabaseURL
	// is DatabaseURL.
	Live live.Config
	// Limits are the defaults of the api_limits that the metadata does not
	// set: HASGEN_DEPTH_LIMIT, HASGEN_NODE_LIMIT, HASGEN_BATCH_LIMIT and
	// HASGEN_TIME_LIMIT (seconds), engine.DefaultLimits() when unset; 0
	// turns one off. The time limit is also every pool connection's
	// statement_timeout.
	Limits engine.Limits
	// MaxResponseSize bounds a response, in bytes
	// (HASGEN_MAX_RESPONSE_SIZE, default 64 MiB): one root field's JSON
	// over it is refused as it arrives from Postgres, never buffered; a
	// response or batch over it as it is assembled.
	MaxResponseSize int
	// MaxSQLSize bounds the SQL text of one compiled statement
	// (HASGEN_MAX_SQL_SIZE, bytes, default 1 MiB): the cost of planning it.
	MaxSQLSize int
	// BodyTimeout bounds the time to read a request body
	// (HASGEN_BODY_READ_TIMEOUT, seconds, default 30).
	BodyTimeout time.Duration
	// RLS turns on defence in depth with Postgres's row-level security
	// (HASGEN_RLS=true): hasura.user is set for every request's
	// statements; RLSRole (HASGEN_RLS_ROLE, which implies it) is the
	// database role they run as.
	RLS     bool
	RLSRole string
	// SchemaCheck is what the server does at start when the database does
	// not match the generated catalog (HASGEN_SCHEMA_CHECK, schemacheck.go):
	// fail (the default), warn or off.
	SchemaCheck string
	// Healthcheck (the --healthcheck flag) asks a running server for
	// /healthz instead of serving, for a container's HEALTHCHECK
	// (healthcheck.go); no database URL is needed.
	Healthcheck bool
	// Websocket: HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE (seconds, default 5)
	// and HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT (seconds,
	// default 3).
	Websocket transport.WebsocketConfig
	// CORS is HASURA_GRAPHQL_CORS_DOMAIN (default: every origin) and
	// HASURA_GRAPHQL_DISABLE_CORS (transport/cors.go).
	CORS transport.CORSConfig
	// MetricsSecret, when set, is the bearer token /metrics asks for
	// (HASURA_GRAPHQL_METRICS_SECRET).
	MetricsSecret string
	// StrictGraphQLHTTP follows the GraphQL-over-HTTP spec under
	// application/json too (HASGEN_STRICT_GRAPHQL_HTTP): 400 for a request
	// that is not well-formed, 415 for a POST that is not JSON.
	StrictGraphQLHTTP bool
	// PersistedQueries is HASGEN_PERSISTED_QUERIES: off (Hasura's
	// behaviour), on (Apollo's persisted queries answered from the
	// compiled operations) or only (nothing else for a role but admin).
	PersistedQueries engine.PersistedMode
	// Events configures the delivery of event triggers (eventsserver.go):
	// HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE, HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL
	// and HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE.
	Events EventsConfig
	// Schedule configures scheduled triggers (scheduling.go):
	// HASGEN_SCHEDULED_EVENTS_FETCH_INTERVAL and
	// HASGEN_SCHEDULED_EVENTS_FETCH_BATCH_SIZE.
	Schedule ScheduleConfig
	// Async configures the worker of asynchronous actions
	// (actionsserver.go): HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL and
	// HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE.
	Async AsyncConfig
	// Cache configures the response cache of @cached queries
	// (cacheserver.go): HASURA_GRAPHQL_REDIS_URL and the cache's limits.
	Cache CacheConfig
}

// ConfigFromEnv reads the configuration from the environment (getenv,
// usually os.Getenv) and then from command-line flags, which win. The
// error names every variable with a bad value.
func ConfigFromEnv(args []string, getenv func(string) string) (Config, error) {
	return configFrom(Source{}, args, getenv)
}

// ProjectConfig is ConfigFromEnv over the defaults of the project's
// metadata (its source's connection_info, schema/source.jsonc): the
// database URL from the variable the metadata names, its pool settings,
// isolation level and use of prepared statements.
func ProjectConfig(p Project, args []string, getenv func(string) string) (Config, error) {
	src, err := projectSource(p)
	if err != nil {
		return Config{}, err
	}
	return configFrom(src, args, getenv)
}

func configFrom(src Source, args []string, getenv func(string) string) (Config, error) {
	return configRecording(src, args, getenv, nil)
}

// configRecording is configFrom that tells record each variable it reads,
// with its default (envvars.go).
func configRecording(src Source, args []string, getenv func(string) string, record func(EnvVar)) (Config, error) {
	cfg := Config{Port: 8080, MaxConns: 50, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 180 * time.Second, LogLevel: "info",
		Limits: engine.DefaultLimits(), MaxResponseSize: 64 << 20, MaxSQLSize: 1 << 20, BodyTimeout: 30 * time.Second,
		InferFunctionPermissions: true, SchemaCheck: SchemaCheckFail}
	if src.MaxConnections > 0 {
		cfg.MaxConns = src.MaxConnections
	}
	cfg.TotalMaxConns = src.TotalMaxConnections
	if src.IdleTimeout > 0 {
		cfg.ConnIdleTimeout = time.Duration(src.IdleTimeout) * time.Second
	}
	if src.ConnectionLifetime > 0 {
		cfg.ConnLifetime = time.Duration(src.ConnectionLifetime) * time.Second
	}
	cfg.IsolationLevel = src.IsolationLevel
	cfg.NoPreparedStatements = src.UsePreparedStatements != nil && !*src.UsePreparedStatements
	urlVars := []string{"HASURA_GRAPHQL_DATABASE_URL", "DATABASE_URL"}
	if src.DatabaseURLFromEnv != "" {
		urlVars = []string{src.DatabaseURLFromEnv}
	}
	cfg.DatabaseURL = src.DatabaseURL
	env := envReader{getenv: getenv, record: record}
	env.str(&cfg.DatabaseURL, urlVars...)
	env.str(&cfg.Host, "HASURA_GRAPHQL_SERVER_HOST")
	env.num(&cfg.Port, "HASURA_GRAPHQL_SERVER_PORT", 0)
	env.boolean(&cfg.ReusePort, "HASGEN_SERVER_REUSEPORT")
	env.str(&cfg.Auth.AdminSecret, "HASURA_GRAPHQL_ADMIN_SECRET", "HASURA_GRAPHQL_ACCESS_KEY")
	env.str(&cfg.Auth.JWTSecret, "HASURA_GRAPHQL_JWT_SECRET")
	env.str(&cfg.Auth.JWTSecrets, "HASURA_GRAPHQL_JWT_SECRETS")
	env.str(&cfg.Auth.UnauthorizedRole, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE")
	env.boolean(&cfg.StringifyNumeric, "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES")
	env.boolean(&cfg.EnableConsole, "HASURA_GRAPHQL_ENABLE_CONSOLE")
	var consoleHeaders string
	env.str(&consoleHeaders, "HASGEN_CONSOLE_HEADERS")
	if h, err := console.ParseHeaders(consoleHeaders); err != nil {
		env.errs = append(env.errs, "HASGEN_CONSOLE_HEADERS: "+err.Error())
	} else {
		cfg.ConsoleHeaders = h
	}
	env.str(&cfg.DefaultNamingConvention, "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION")
	env.boolean(&cfg.DisableIntrospection, "HASGEN_DISABLE_INTROSPECTION")
	env.boolean(&cfg.EnableAllowList, "HASURA_GRAPHQL_ENABLE_ALLOWLIST")
	env.boolean(&cfg.InferFunctionPermissions, "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS")
	env.num(&cfg.MaxConns, "HASURA_GRAPHQL_PG_CONNECTIONS", 0)
	replicaEnv := readReplicaEnv(&env, src)
	env.duration(&cfg.ReplicaMaxLag, "HASGEN_READ_REPLICA_MAX_LAG", time.Millisecond, 0)
	env.num(&cfg.MinConns, "HASGEN_PG_MIN_CONNECTIONS", 0)
	env.num(&cfg.TotalMaxConns, "HASGEN_PG_TOTAL_MAX_CONNECTIONS", 0)
	env.duration(&cfg.ConnLifetime, "HASURA_GRAPHQL_PG_CONN_LIFETIME", time.Second, 0)
	env.duration(&cfg.ConnIdleTimeout, "HASURA_GRAPHQL_PG_TIMEOUT", time.Second, 0)
	env.str(&cfg.LogLevel, "HASGEN_LOG_LEVEL", "HASURA_GRAPHQL_LOG_LEVEL")
	env.str(&cfg.EnabledLogTypes, "HASURA_GRAPHQL_ENABLED_LOG_TYPES")
	env.str(&cfg.Auth.AuthHook, "HASURA_GRAPHQL_AUTH_HOOK")
	env.str(&cfg.Auth.AuthHookMode, "HASURA_GRAPHQL_AUTH_HOOK_MODE")
	if _, err := logs.ParseLevel(cfg.LogLevel); err != nil {
		env.errs = append(env.errs, "HASGEN_LOG_LEVEL/HASURA_GRAPHQL_LOG_LEVEL: "+err.Error())
	}
	if _, err := logs.ParseTypes(cfg.EnabledLogTypes); err != nil {
		env.errs = append(env.errs, "HASURA_GRAPHQL_ENABLED_LOG_TYPES: "+err.Error())
	}
	env.num(&cfg.Limits.Depth, "HASGEN_DEPTH_LIMIT", 0)
	env.num(&cfg.Limits.Nodes, "HASGEN_NODE_LIMIT", 0)
	env.num(&cfg.Limits.Batch, "HASGEN_BATCH_LIMIT", 0)
	env.duration(&cfg.Limits.Time, "HASGEN_TIME_LIMIT", time.Second, 0)
	env.num(&cfg.MaxResponseSize, "HASGEN_MAX_RESPONSE_SIZE", 0)
	env.num(&cfg.MaxSQLSize, "HASGEN_MAX_SQL_SIZE", 0)
	env.duration(&cfg.BodyTimeout, "HASGEN_BODY_READ_TIMEOUT", time.Second, 0)
	env.boolean(&cfg.RLS, "HASGEN_RLS")
	env.str(&cfg.RLSRole, "HASGEN_RLS_ROLE")
	env.str(&cfg.SchemaCheck, "HASGEN_SCHEMA_CHECK")
	env.duration(&cfg.Websocket.KeepAlive, "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE", time.Second, 1)
	env.duration(&cfg.Websocket.InitTimeout, "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", time.Second, 1)
	env.duration(&cfg.Live.LiveInterval, "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", time.Millisecond, 1)
	env.num(&cfg.Live.LiveBatchSize, "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", 1)
	env.duration(&cfg.Live.StreamInterval, "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", time.Millisecond, 1)
	env.num(&cfg.Live.StreamBatchSize, "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE", 1)
	env.num(&cfg.Live.Workers, "HASGEN_SUBSCRIPTION_WORKERS", 1)
	env.str(&cfg.CORS.Domains, "HASURA_GRAPHQL_CORS_DOMAIN")
	env.boolean(&cfg.CORS.Disabled, "HASURA_GRAPHQL_DISABLE_CORS")
	var readCookie bool
	env.boolean(&readCookie, "HASURA_GRAPHQL_WS_READ_COOKIE")
	cfg.Websocket.IgnoreCookie = cfg.CORS.Disabled && !readCookie
	if _, err := transport.NewCORS(cfg.CORS); err != nil {
		env.errs = append(env.errs, err.Error())
	}
	env.str(&cfg.MetricsSecret, "HASURA_GRAPHQL_METRICS_SECRET")
	env.boolean(&cfg.StrictGraphQLHTTP, "HASGEN_STRICT_GRAPHQL_HTTP")
	readEventsEnv(&env, &cfg.Events)
	readScheduleEnv(&env, &cfg.Schedule)
	readAsyncEnv(&env, &cfg.Async)
	readCacheEnv(&env, &cfg.Cache)
	readRateLimitEnv(&env, &cfg.RateLimit) // ratelimits.go
	env.note("HASGEN_PERSISTED_QUERIES", "off", "")
	switch v := strings.ToLower(getenv("HASGEN_PERSISTED_QUERIES")); v {
	case "", "off", "false":
		cfg.PersistedQueries = engine.PersistedOff
	case "on", "true":
		cfg.PersistedQueries = engine.PersistedOn
	case "only":
		cfg.PersistedQueries = engine.PersistedOnly
	default:
		env.errs = append(env.errs, fmt.Sprintf("HASGEN_PERSISTED_QUERIES=%q: want off, on or only", v))
	}
	env.note("HASGEN_CHANGE_HINTS", "", "")
	switch v := strings.ToLower(getenv("HASGEN_CHANGE_HINTS")); v {
	case "":
		cfg.Live.Hints = live.HintsAuto
	case "true", "1", "on":
		cfg.Live.Hints = live.HintsOn
	case "false", "0", "off":
		cfg.Live.Hints = live.HintsOff
	default:
		env.errs = append(env.errs, fmt.Sprintf("HASGEN_CHANGE_HINTS=%q: want true or false (unset: use them when installed)", v))
	}
	if err := checkSchemaCheckMode(cfg.SchemaCheck); err != nil {
		env.errs = append(env.errs, err.Error())
	}
	if err := checkNaming(cfg.DefaultNamingConvention); err != nil {
		env.errs = append(env.errs, err.Error())
	}
	if len(env.errs) > 0 {
		return cfg, errors.New(strings.Join(env.errs, "; "))
	}

	fl := flag.NewFlagSet("server", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL (HASURA_GRAPHQL_DATABASE_URL)")
	fl.StringVar(&cfg.Host, "server-host", cfg.Host, "address to listen on (HASURA_GRAPHQL_SERVER_HOST)")
	fl.IntVar(&cfg.Port, "server-port", cfg.Port, "port to listen on (HASURA_GRAPHQL_SERVER_PORT)")
	fl.BoolVar(&cfg.ReusePort, "server-reuseport", cfg.ReusePort, "listen with SO_REUSEPORT, so that several server processes share the port (HASGEN_SERVER_REUSEPORT, Linux)")
	fl.StringVar(&cfg.Auth.AdminSecret, "admin-secret", cfg.Auth.AdminSecret, "admin secret (HASURA_GRAPHQL_ADMIN_SECRET)")
	fl.StringVar(&cfg.Auth.JWTSecret, "jwt-secret", cfg.Auth.JWTSecret, "JWT configuration JSON (HASURA_GRAPHQL_JWT_SECRET)")
	fl.StringVar(&cfg.Auth.UnauthorizedRole, "unauthorized-role", cfg.Auth.UnauthorizedRole, "role for unauthenticated requests (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)")
	fl.BoolVar(&cfg.StringifyNumeric, "stringify-numeric-types", cfg.StringifyNumeric, "bigint, numeric, float8 and money as JSON strings")
	fl.BoolVar(&cfg.EnableConsole, "enable-console", cfg.EnableConsole, "serve GraphiQL at /console")
	fl.BoolVar(&cfg.EnableAllowList, "enable-allowlist", cfg.EnableAllowList, "run only the allow list's operations, for every role but admin (HASURA_GRAPHQL_ENABLE_ALLOWLIST)")
	fl.BoolVar(&cfg.InferFunctionPermissions, "infer-function-permissions", cfg.InferFunctionPermissions, "let every role that may select from a query function's table call it (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS)")
	fl.BoolVar(&cfg.Healthcheck, "healthcheck", false, "check the health of the server running with this configuration (GET /healthz) and exit 0 or 1")
	fl.StringVar(&cfg.SchemaCheck, "schema-check", cfg.SchemaCheck, "when the database does not match the generated catalog: fail, warn or off (HASGEN_SCHEMA_CHECK)")
	fl.IntVar(&cfg.MaxConns, "pg-connections", cfg.MaxConns, "maximum database connections (HASURA_GRAPHQL_PG_CONNECTIONS)")
	var usage strings.Builder
	fl.SetOutput(&usage)
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// The flag set has written its usage (once) to usage.
			return cfg, helpError{usage.String() + envHelp(src)}
		}
		return cfg, err
	}
	if cfg.DatabaseURL == "" && !cfg.Healthcheck {
		if src.DatabaseURLFromEnv != "" {
			return cfg, fmt.Errorf("no database: set %s (the metadata's database_url.from_env) or pass --database-url", src.DatabaseURLFromEnv)
		}
		return cfg, errors.New("no database: set HASURA_GRAPHQL_DATABASE_URL or pass --database-url")
	}
	if err := checkSchemaCheckMode(cfg.SchemaCheck); err != nil {
		return cfg, err
	}
	if _, err := isolation(cfg.IsolationLevel); err != nil {
		return cfg, err
	}
	replicas, err := readReplicas(src, replicaEnv, cfg)
	if err != nil {
		return cfg, err
	}
	cfg.ReadReplicas = replicas
	cfg.Live.DatabaseURL = cfg.DatabaseURL
	return cfg, nil
}

// envReader reads typed settings and collects the problems found.
type envReader struct {
	getenv func(string) string
	errs   []string
	// record, when set, is told each variable read and its default.
	record func(EnvVar)
}

// note records a variable read, with its default in unit.
func (r *envReader) note(name, def, unit string) {
	if r.record != nil {
		r.record(EnvVar{Name: name, Default: def, Unit: unit})
	}
}

// str sets dst from the first of names that is set.
func (r *envReader) str(dst *string, names ...string) {
	for _, n := range names {
		r.note(n, *dst, "")
	}
	for _, n := range names {
		if v := r.getenv(n); v != "" {
			*dst = v
			return
		}
	}
}

// num sets dst from name, an integer of at least min.
func (r *envReader) num(dst *int, name string, min int) {
	r.note(name, strconv.Itoa(*dst), "")
	v := r.getenv(name)
	if v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		want := "a non-negative integer"
		if min > 0 {
			want = "a positive integer"
		}
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want %s", name, v, want))
		return
	}
	*dst = n
}

// duration sets dst from name, a number of units of at least min.
func (r *envReader) duration(dst *time.Duration, name string, unit time.Duration, min int) {
	r.note(name, strconv.FormatInt(int64(*dst/unit), 10), unitName(unit))
	n := -1
	quiet := *r
	quiet.record = nil
	quiet.num(&n, name, min)
	r.errs = quiet.errs
	if n >= 0 {
		*dst = time.Duration(n) * unit
	}
}

func (r *envReader) boolean(dst *bool, name string) {
	r.note(name, strconv.FormatBool(*dst), "")
	if v := r.getenv(name); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s=%q: want true or false", name, v))
			return
		}
		*dst = b
	}
}
