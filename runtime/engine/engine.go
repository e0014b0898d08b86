// Package engine runs GraphQL requests against Postgres. One path serves
// every transport, explain and the subscription poller:
//
//	p, err := e.Prepare(ctx, session, req) // document (parsed, validated per role, cached) → plan (compiled, cached)
//	out, err = e.Run(ctx, db, p, out)      // statements run on db: a pool, a connection or a transaction
//
// Prepare finds the role's schema, parses and validates the document,
// checks the variables and computes their shape, and takes the compiled
// plan for that shape from the document's cache or compiles it (package
// compile). Run binds the parameters from the session and variables, runs
// the statements (one round trip for the query fields; one transaction for
// the mutation fields, custom ones included) and splices each field's JSON,
// as Postgres wrote it, into the response.
package engine

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/allowlist"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// CustomSchema builds the gqlgen executable schema of the user's custom
// fields (graph/custom.graphqls) over a role's whole schema, so that
// introspection and validation see what the role sees. db is the server's
// pool, for resolvers that run their own SQL (sqlc queries). Generated
// main.go passes graph.NewExecutableSchema wrapped in one.
type CustomSchema func(roleSchema *ast.Schema, db *pgxpool.Pool) graphql.ExecutableSchema

// Config configures an Engine.
type Config struct {
	// Tables are the generated table descriptors (db.Tables).
	Tables []*catalog.Table
	// Schemas holds the generated SDL: roles/<role>.graphqls for every
	// role and full.graphqls for admin.
	Schemas fs.FS
	// SDL, when Schemas is nil, holds the same by role (admin's under
	// "admin"): schemas built in memory, as hasgen explain does.
	SDL map[string][]byte
	// CustomSDL is the user's custom schema (graph/custom.graphqls), added
	// to every role's schema (a field marked @roles(names: [...]) to
	// those roles' and admin's only); empty for none.
	CustomSDL string
	// Custom executes the custom fields; nil when there are none.
	Custom CustomSchema
	// StringifyNumeric returns bigint, numeric, float8 and money values as
	// JSON strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
	// DisableIntrospection refuses __schema and __type for non-admin roles.
	DisableIntrospection bool
	// IntrospectionDisabledFor are the roles refused __schema and __type
	// (the metadata's graphql_schema_introspection; introspection.go).
	IntrospectionDisabledFor []string
	// ExplicitFunctionPermissions shows a query function only to the roles
	// with a function permission on it
	// (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false; functions.go).
	ExplicitFunctionPermissions bool
	// Limits are the api_limits; nil is DefaultLimits() for every role but
	// admin.
	Limits *LimitSet
	// MaxResponseSize bounds a request's response, in bytes; 0 is none.
	// (One root field's is bounded by the pool: runtime.NewPool.)
	MaxResponseSize int
	// MaxSQLSize bounds the SQL text of one compiled statement, in bytes:
	// the cost of planning it; 0 is none.
	MaxSQLSize int
	// Relay serves the Relay schema (Schemas holds relay/'s files, SDL
	// the Relay schemas): connections, node and global ids.
	Relay bool
	// Actions calls the handlers of the actions (runtime/actions); nil
	// when the project has none.
	Actions *actions.Service
	// RLS, when not nil, runs every request's statements with the
	// session in hasura.user (and, with RLS.Role, as that database role),
	// so that the database's own row-level security checks them too.
	RLS *RLS
	// Remotes are the project's remote schemas (remote.Load): their root
	// fields, in the role schemas, are answered by them (remote.go).
	Remotes []*remote.Remote
	// QueryTags, when not nil, comments every root field's SQL with the
	// operation it serves (the source's query_tags; querytags.go).
	QueryTags *QueryTags
	// AllowList, when not nil, is the allow list
	// (HASURA_GRAPHQL_ENABLE_ALLOWLIST): a role but admin runs only its
	// documents (allowlist.go).
	AllowList *allowlist.List
	// Operations are the project's compiled operations (the generated
	// operations.Compiled; compiled.go): pinned for their roles.
	Operations []CompiledOperation
	// PersistedQueries says how Apollo's persisted queries are answered
	// (persisted.go; HASGEN_PERSISTED_QUERIES).
	PersistedQueries PersistedMode
}

// Engine executes GraphQL operations against Postgres. It is safe for
// concurrent use.
type Engine struct {
	compiler *compile.Compiler
	roles    map[string]*lazyRole
	noRole   *roleExec   // a role with no permissions at all
	base     *baseSchema // what the roles' schemas share
	pool     *pgxpool.Pool
	limits   *LimitSet
	rls      *RLS
	maxResp  int
	maxSQL   int
	// noIntrospection refuses __schema and __type to a role.
	noIntrospection func(role string) bool
	// docs caches parsed and validated documents; each holds the plans
	// compiled for it.
	docs *docCache
	// actions calls action handlers (action.go).
	actions *actions.Service
	// remotes finds the remote schema of a root field; nil without any.
	remotes *remoteIndex
	// remoteRels are the tables' remote relationships; nil without any
	// (remote_rel.go).
	remoteRels *remoteRels
	// tags are the query tags; nil when off (querytags.go).
	tags *QueryTags
	// allow is the allow list; nil when off (allowlist.go).
	allow *allowlist.List
	// compiled are the compiled operations, nil without any; stale the
	// ones not pinned (compiled.go).
	compiled *compiledSet
	staleMu  sync.Mutex
	stale    []string
	// persist is the persisted-query mode (persisted.go).
	persist PersistedMode
}

// roleExec is what one role can run: its schema, and gqlgen's executor for
// custom fields over it.
type roleExec struct {
	name   string
	schema *ast.Schema
	custom *executor.Executor
	// pinned are the role's compiled operations, set when the role
	// loads, read-only after (compiled.go).
	pinned map[pinKey]*document
}

// New links the tables, loads every role's schema and prepares the custom
// executors. pool is handed to the custom resolvers and is what Do runs
// on; it may be nil for an engine that only prepares and explains.
func New(cfg Config, pool *pgxpool.Pool) (*Engine, error) {
	s, err := catalog.NewSchema(cfg.Tables...)
	if err != nil {
		return nil, err
	}
	if cfg.ExplicitFunctionPermissions {
		s.ExplicitFunctionPermissions()
	}
	docs, err := newDocCache(maxCachedDocuments, maxCachedDocumentBytes)
	if err != nil {
		return nil, err
	}
	limits := cfg.Limits
	if limits == nil {
		limits = &LimitSet{Global: DefaultLimits()}
	}
	rels, err := newRemoteRels(cfg.Remotes)
	if err != nil {
		return nil, err
	}
	copts := compile.Options{StringifyNumeric: cfg.StringifyNumeric, Relay: cfg.Relay, CustomSubscription: cfg.Actions.Async}
	if rels != nil {
		copts.RemoteRelationships, copts.RemoteMarker = rels.columns, rels.marker
	}
	e := &Engine{
		remoteRels: rels,
		compiler:   compile.New(s, copts),
		roles:      map[string]*lazyRole{},
		pool:       pool,
		limits:     limits,
		rls:        cfg.RLS,
		maxResp:    cfg.MaxResponseSize,
		maxSQL:     cfg.MaxSQLSize,
		actions:    cfg.Actions,
		docs:       docs,
		tags:       cfg.QueryTags,
		allow:      cfg.AllowList,
		compiled:   newCompiledSet(cfg.Operations),
		persist:    cfg.PersistedQueries,
	}
	e.noIntrospection = introspectionPolicy(cfg)
	if len(cfg.Remotes) > 0 {
		e.remotes = newRemoteIndex(cfg.Remotes)
	}
	admin, err := e.loadRole(cfg, session.AdminRole, "full.graphqls")
	if err != nil {
		return nil, err
	}
	e.roles[session.AdminRole] = loaded(admin)
	e.base = &baseSchema{source: func() (string, error) {
		b, err := e.sdl(cfg, session.AdminRole, "full.graphqls")
		return string(b), err
	}}
	for _, role := range schemaRoles(cfg, s.Roles) {
		file := "roles/" + role + ".graphqls"
		e.roles[role] = &lazyRole{load: func() (*roleExec, error) { return e.loadRole(cfg, role, file) }}
	}
	// A role that only sees remote schemas has a schema file too.
	for _, r := range cfg.Remotes {
		for _, role := range r.Roles {
			if e.roles[role] == nil {
				file := "roles/" + role + ".graphqls"
				e.roles[role] = &lazyRole{load: func() (*roleExec, error) { return e.loadRole(cfg, role, file) }}
			}
		}
	}
	if e.noRole, err = e.loadRole(cfg, "", ""); err != nil {
		return nil, err
	}
	return e, nil
}

// schemaRoles are the roles with a schema: those of the tables, and those
// with a schema file of their own (a role that may only run actions).
func schemaRoles(cfg Config, tableRoles []string) []string {
	set := map[string]bool{}
	for _, r := range tableRoles {
		set[r] = true
	}
	if cfg.Schemas != nil {
		files, _ := fs.Glob(cfg.Schemas, "roles/*.graphqls") // the pattern is valid
		for _, f := range files {
			set[strings.TrimSuffix(strings.TrimPrefix(f, "roles/"), ".graphqls")] = true
		}
	} else {
		for r := range cfg.SDL {
			set[r] = true
		}
	}
	delete(set, session.AdminRole)
	return slices.Sorted(maps.Keys(set))
}

// loaded is a lazyRole already loaded.
func loaded(r *roleExec) *lazyRole {
	l := &lazyRole{load: func() (*roleExec, error) { return r, nil }}
	l.get()
	return l
}

// sdl reads a role's schema file (in cfg.Schemas, or cfg.SDL).
func (e *Engine) sdl(cfg Config, role, file string) ([]byte, error) {
	if cfg.Schemas == nil {
		sdl, ok := cfg.SDL[role]
		if !ok {
			return nil, fmt.Errorf("schema of role %s: missing", role)
		}
		return sdl, nil
	}
	sdl, err := fs.ReadFile(cfg.Schemas, file)
	if err != nil {
		return nil, fmt.Errorf("schema of role %s: %w", role, err)
	}
	return sdl, nil
}

// loadRole loads a role's schema (file in cfg.Schemas, or cfg.SDL; no file:
// the empty schema of a role without permissions), with the custom schema
// added, and its custom executor. Admin's is full.graphqls; another role's
// file may hold only what differs from it (baseSchema).
func (e *Engine) loadRole(cfg Config, role, file string) (*roleExec, error) {
	var sdl []byte
	if file != "" {
		var err error
		if sdl, err = e.sdl(cfg, role, file); err != nil {
			return nil, err
		}
	} else {
		sdl = []byte("schema { query: query_root }\ntype query_root {\n  \"\"\"" + compile.NoQueriesText + "\"\"\"\n  " + compile.NoQueriesField + ": String!\n}\n")
	}
	sources := []*ast.Source{{Name: file, Input: string(sdl)}}
	if src := withCached(string(sdl)); src != nil {
		sources = append(sources, src)
	}
	if cfg.CustomSDL != "" {
		ext, roots := customAsExtension(cfg.CustomSDL, role)
		if stub := missingRoots(string(sdl), roots); stub != "" {
			sources = append(sources, &ast.Source{Name: "roots.graphqls", Input: stub})
		}
		sources = append(sources, &ast.Source{Name: "graph/custom.graphqls", Input: ext})
	}
	var sch *ast.Schema
	var gerr error
	if role == session.AdminRole || file == "" {
		sch, gerr = gqlparser.LoadSchema(sources...)
	} else {
		sch, gerr = e.base.roleSchema(sources)
	}
	if gerr != nil {
		return nil, fmt.Errorf("schema of role %s: %w", role, gerr)
	}
	sortEnumValues(sch)
	if cfg.ExplicitFunctionPermissions {
		hideFunctions(sch, e.compiler.Schema(), role)
	}
	r := &roleExec{name: role, schema: sch}
	if cfg.Custom != nil {
		ex := executor.New(cfg.Custom(sch, e.pool))
		if role == session.AdminRole || !cfg.DisableIntrospection {
			ex.Use(extension.Introspection{})
		}
		ex.SetQueryCache(lru.New[*ast.QueryDocument](256))
		ex.SetDefaultRulesFn(hasuraRules)
		r.custom = ex
	}
	e.pin(r) // compiled.go
	return r, nil
}

// role returns the role's executor, loading it on first use; a role
// without permissions gets an empty schema, so its fields fail validation
// as in Hasura.
func (e *Engine) role(name string) (*roleExec, error) {
	if l := e.roles[name]; l != nil {
		return l.get()
	}
	return e.noRole, nil
}

// Roles returns the roles the engine has schemas for, admin included,
// sorted.
func (e *Engine) Roles() []string { return slices.Sorted(maps.Keys(e.roles)) }

// Schema returns the role's GraphQL schema (the no-permission schema for an
// unknown role).
func (e *Engine) Schema(role string) (*ast.Schema, error) {
	r, err := e.role(role)
	if err != nil {
		return nil, err
	}
	return r.schema, nil
}

// Catalog returns the linked tables the engine compiles against.
func (e *Engine) Catalog() *catalog.Schema { return e.compiler.Schema() }

// Limits returns role's api_limits.
func (e *Engine) Limits(role string) Limits { return e.limits.For(role) }

// Cached returns how many documents the engine's cache holds, and how many
// plans they hold together.
func (e *Engine) Cached() (documents, plans int) {
	for _, d := range e.docs.lru.Values() {
		plans += d.plans.Len()
	}
	return e.docs.lru.Len(), plans
}

// Pool returns the pool the engine was built with (nil for none).
func (e *Engine) Pool() *pgxpool.Pool { return e.pool }

// hasRoot reports whether the SDL declares the root type r.
func hasRoot(sdl, r string) bool {
	return strings.Contains(sdl, "type "+r+" ") || strings.Contains(sdl, "type "+r+"\n")
}
