package runtime

// The engine: one role's request from its text to its response bytes.
//
//	Engine.Do → document (parsed + validated per role, cached)
//	          → variables checked, their shape computed
//	          → plan for that shape (compiled once, cached): per root field
//	            one SQL statement (compile.go), or gqlgen for custom fields
//	          → statements run through pgx (exec.go), JSON spliced as bytes

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// CustomSchema builds the gqlgen executable schema of the user's custom
// fields (graph/custom.graphqls) over a role's whole schema, so that
// introspection and validation see what the role sees. db is the server's
// pool, for resolvers that run their own SQL (sqlc queries). Generated
// main.go passes graph.NewExecutableSchema wrapped in one.
type CustomSchema func(roleSchema *ast.Schema, db *pgxpool.Pool) graphql.ExecutableSchema

// EngineConfig configures an Engine.
type EngineConfig struct {
	// Tables are the generated table descriptors (db.Tables).
	Tables []*Table
	// Schemas holds the generated SDL: roles/<role>.graphqls for every
	// role and full.graphqls for admin.
	Schemas fs.FS
	// SDL, when Schemas is nil, holds the same by role (admin's under
	// "admin"): schemas built in memory, as hasgen explain does.
	SDL map[string][]byte
	// CustomSDL is the user's custom schema (graph/custom.graphqls), added
	// to every role's schema; empty for none.
	CustomSDL string
	// Custom executes the custom fields; nil when there are none.
	Custom CustomSchema
	// StringifyNumeric returns bigint, numeric, float8 and money values as
	// JSON strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
	// DisableIntrospection refuses __schema and __type for non-admin roles.
	DisableIntrospection bool
}

// Engine executes GraphQL operations against Postgres.
type Engine struct {
	schema    *Schema
	roots     map[string]rootRef
	mutations map[string]mutRef
	roles     map[string]*roleExec
	noRole    *roleExec // a role with no permissions at all
	pool      *pgxpool.Pool
	stringify bool

	mu   sync.RWMutex
	docs map[docKey]*document
}

// docKey identifies a parsed document: the same text is validated once per
// role and operation name.
type docKey struct {
	role, operation, query string
}

// roleExec is what one role can run: its schema, and gqlgen's executor for
// custom fields over it.
type roleExec struct {
	name   string
	schema *ast.Schema
	custom *executor.Executor
}

// NewEngine links the tables, loads every role's schema and prepares the
// custom executors. Queries run on pool.
func NewEngine(cfg EngineConfig, pool *pgxpool.Pool) (*Engine, error) {
	s, err := NewSchema(cfg.Tables...)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		schema:    s,
		roots:     map[string]rootRef{},
		mutations: map[string]mutRef{},
		roles:     map[string]*roleExec{},
		pool:      pool,
		stringify: cfg.StringifyNumeric,
		docs:      map[docKey]*document{},
	}
	for _, t := range s.Tables {
		for name, kind := range map[string]rootKind{t.Roots.Select: rootSelect, t.Roots.SelectByPk: rootByPk, t.Roots.SelectAggregate: rootAggregate, t.Roots.SelectStream: rootStream} {
			if name != "" {
				e.roots[name] = rootRef{table: t, kind: kind}
			}
		}
		for name, kind := range map[string]mutKind{t.Roots.Insert: mutInsert, t.Roots.InsertOne: mutInsertOne,
			t.Roots.Update: mutUpdate, t.Roots.UpdateByPk: mutUpdateByPk, t.Roots.UpdateMany: mutUpdateMany,
			t.Roots.Delete: mutDelete, t.Roots.DeleteByPk: mutDeleteByPk} {
			if name != "" {
				e.mutations[name] = mutRef{table: t, kind: kind}
			}
		}
	}
	load := func(role, file string) (*roleExec, error) {
		var sdl []byte
		switch {
		case file != "" && cfg.Schemas == nil:
			var ok bool
			if sdl, ok = cfg.SDL[role]; !ok {
				return nil, fmt.Errorf("schema of role %s: missing", role)
			}
		case file != "":
			sdl, err = fs.ReadFile(cfg.Schemas, file)
			if err != nil {
				return nil, fmt.Errorf("schema of role %s: %w", role, err)
			}
		default:
			sdl = []byte("schema { query: query_root }\ntype query_root {\n  no_queries_available: String!\n}\n")
		}
		sources := []*ast.Source{{Name: file, Input: string(sdl)}}
		if cfg.CustomSDL != "" {
			ext, roots := customAsExtension(cfg.CustomSDL)
			if stub := missingRoots(string(sdl), roots); stub != "" {
				sources = append(sources, &ast.Source{Name: "roots.graphqls", Input: stub})
			}
			sources = append(sources, &ast.Source{Name: "graph/custom.graphqls", Input: ext})
		}
		sch, gerr := gqlparser.LoadSchema(sources...)
		if gerr != nil {
			return nil, fmt.Errorf("schema of role %s: %w", role, gerr)
		}
		r := &roleExec{name: role, schema: sch}
		if cfg.Custom != nil {
			ex := executor.New(cfg.Custom(sch, pool))
			if role == AdminRole || !cfg.DisableIntrospection {
				ex.Use(extension.Introspection{})
			}
			ex.SetQueryCache(lru.New[*ast.QueryDocument](256))
			r.custom = ex
		}
		return r, nil
	}
	admin, err := load(AdminRole, "full.graphqls")
	if err != nil {
		return nil, err
	}
	e.roles[AdminRole] = admin
	for _, role := range s.Roles {
		r, err := load(role, "roles/"+role+".graphqls")
		if err != nil {
			return nil, err
		}
		e.roles[role] = r
	}
	if e.noRole, err = load("", ""); err != nil {
		return nil, err
	}
	return e, nil
}

// customAsExtension turns the user's definitions of the root types into
// extensions of the generated ones, and drops its schema definition: the
// custom file is a complete schema for gqlgen, and an extension of the
// role's schema here.
func customAsExtension(sdl string) (ext string, roots []string) {
	doc, err := parser.ParseSchema(&ast.Source{Input: sdl})
	if err != nil {
		return sdl, nil // reported when the schema loads
	}
	rootNames := map[string]bool{"query_root": true, "mutation_root": true, "subscription_root": true}
	out := &ast.SchemaDocument{Directives: doc.Directives}
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		if rootNames[d.Name] {
			out.Extensions = append(out.Extensions, d)
			roots = append(roots, d.Name)
		} else {
			out.Definitions = append(out.Definitions, d)
		}
	}
	return formatSchema(out), roots
}

// missingRoots declares the root types that the custom schema extends but
// a role's generated schema lacks (a role without subscriptions, any role
// before mutations): an empty type that the extension fills, and its entry
// in the schema definition.
func missingRoots(sdl string, roots []string) string {
	ops := map[string]string{"mutation_root": "mutation", "subscription_root": "subscription"}
	var b strings.Builder
	done := map[string]bool{}
	for _, r := range roots {
		op, ok := ops[r]
		if !ok || done[r] || strings.Contains(sdl, "type "+r+" ") || strings.Contains(sdl, "type "+r+"\n") {
			continue
		}
		done[r] = true
		fmt.Fprintf(&b, "type %s\nextend schema { %s: %s }\n", r, op, r)
	}
	return b.String()
}

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     json.RawMessage `json:"variables,omitempty"`
}

// role returns the role's executor; a role without permissions gets an
// empty schema, so its fields fail validation as in Hasura.
func (e *Engine) role(name string) *roleExec {
	if r := e.roles[name]; r != nil {
		return r
	}
	return e.noRole
}

// document is a parsed and validated operation of one role.
type document struct {
	doc   *ast.QueryDocument
	op    *ast.OperationDefinition
	errs  []*Error
	plans sync.Map // variable shape → *plan
}

const maxCachedDocuments = 4096

// document returns the parsed and validated document of a request,
// computing it on first use.
func (e *Engine) document(r *roleExec, req *Request) *document {
	key := docKey{r.name, req.OperationName, req.Query}
	e.mu.RLock()
	d := e.docs[key]
	e.mu.RUnlock()
	if d != nil {
		return d
	}
	d = e.parse(r, req)
	e.mu.Lock()
	if len(e.docs) >= maxCachedDocuments {
		e.docs = map[docKey]*document{}
	}
	e.docs[key] = d
	e.mu.Unlock()
	return d
}

func (e *Engine) parse(r *roleExec, req *Request) *document {
	d := &document{}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		d.errs = []*Error{{Code: CodeValidationFailed, Path: "$.query", Message: strings.TrimPrefix(err.Error(), "input:")}}
		return d
	}
	if errs := checkFields(r.schema, doc); len(errs) > 0 {
		d.errs = errs
		return d
	}
	if gerrs := validateQuery(r.schema, doc); len(gerrs) > 0 {
		for _, ge := range gerrs {
			d.errs = append(d.errs, &Error{Code: CodeValidationFailed, Path: "$", Message: ge.Message})
		}
		return d
	}
	d.doc = doc
	if req.OperationName != "" {
		d.op = doc.Operations.ForName(req.OperationName)
		if d.op == nil {
			d.errs = []*Error{{Code: CodeValidationFailed, Path: "$", Message: fmt.Sprintf("no such operation found in the document: %q", req.OperationName)}}
		}
	} else if len(doc.Operations) == 1 {
		d.op = doc.Operations[0]
	} else {
		d.errs = []*Error{{Code: CodeValidationFailed, Path: "$", Message: "exactly one operation has to be present in the document when operationName is not specified"}}
	}
	return d
}

// plan is a compiled operation for one variable shape.
type plan struct {
	fields []planField
	custom bool // some field is executed by gqlgen
	err    *Error
}

type fieldKind uint8

const (
	fieldSQL fieldKind = iota + 1
	fieldTypename
	fieldCustom
	fieldMutation
)

type planField struct {
	key    string
	kind   fieldKind
	sql    string
	params []Param
	text   string // fieldTypename: the type name
	field  *ast.Field
	// nullable fields (by_pk) are null when their statement returns no row.
	nullable bool
	// tables are the tables the statement reads (quoted names): a live
	// query over it can change only when one of them does.
	tables []string
	// A fieldMutation's statements (update_<t>_many: one per update, its
	// results an array), and whether its permission is backend-only.
	mutations   []mutStatement
	many        bool
	backendOnly bool
}

// compile plans an operation for one role and variable shape.
func (e *Engine) compile(r *roleExec, d *document, vars map[string]any) *plan {
	p := &plan{}
	c := &compiler{s: e.schema, role: r.name, doc: d.doc, vars: vars, stringify: e.stringify}
	rootType := "query_root"
	switch d.op.Operation {
	case ast.Mutation:
		rootType = "mutation_root"
	case ast.Subscription:
		rootType = "subscription_root"
	}
	for _, f := range c.collect(d.op.SelectionSet, rootType) {
		pf := planField{key: f.alias, field: f.field}
		ref, db := e.roots[f.field.Name]
		mref, mut := e.mutations[f.field.Name]
		switch {
		case f.field.Name == "__typename":
			pf.kind, pf.text = fieldTypename, rootType
		case mut && d.op.Operation == ast.Mutation:
			pf.kind = fieldMutation
			pf.mutations = c.compileMutation(mref, f)
			if c.err != nil {
				p.err = c.err
				return p
			}
			pf.many = mref.kind == mutUpdateMany
			pf.nullable = mref.kind != mutInsert && mref.kind != mutUpdate && mref.kind != mutDelete && !pf.many
			pf.backendOnly = mref.table.backendOnly(c.role, mref.kind)
		case db && d.op.Operation != ast.Mutation:
			c.w = NewWriter(false)
			c.compileRoot(ref, f)
			if c.err != nil {
				p.err = c.err
				return p
			}
			pf.kind, pf.sql, pf.params, pf.tables = fieldSQL, c.w.String(), c.w.Params(), c.w.Tables()
			pf.nullable = ref.kind == rootByPk
		default:
			pf.kind = fieldCustom
			// A copy carrying the merged selections of every field under
			// this response key.
			cf := *f.field
			cf.SelectionSet = f.sels
			pf.field = &cf
			p.custom = true
		}
		p.fields = append(p.fields, pf)
	}
	return p
}

// Do runs one request for a session and returns the response body:
// {"data": ...} or {"errors": [...]}.
func (e *Engine) Do(ctx context.Context, s *Session, req *Request) []byte {
	return e.AppendDo(nil, ctx, s, req)
}

// AppendDo is Do appending the response to dst, so that a server can
// reuse its buffers.
func (e *Engine) AppendDo(dst []byte, ctx context.Context, s *Session, req *Request) []byte {
	r := e.role(s.Role)
	d := e.document(r, req)
	if d.errs != nil {
		return AppendErrors(dst, d.errs...)
	}
	vars, verr := decodeVariables(req.Variables)
	if verr != nil {
		return AppendErrors(dst, verr)
	}
	var shape strings.Builder
	if err := shapeOf(&shape, r.schema, d.op, vars); err != nil {
		return AppendErrors(dst, err)
	}
	key := shape.String()
	var p *plan
	if v, ok := d.plans.Load(key); ok {
		p = v.(*plan)
	} else {
		p = e.compile(r, d, vars)
		d.plans.Store(key, p)
	}
	if p.err != nil {
		return AppendErrors(dst, p.err)
	}
	switch d.op.Operation {
	case ast.Subscription:
		return AppendErrors(dst, &Error{Code: CodeValidationFailed, Path: "$", Message: "subscriptions are served on the websocket endpoint"})
	case ast.Mutation:
		return e.runMutation(ctx, s, r, d, p, req, vars, dst)
	}
	return e.run(ctx, s, r, d, p, req, vars, dst)
}

// decodeVariables decodes the request's variables, keeping object key
// order.
func decodeVariables(raw json.RawMessage) (map[string]any, *Error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return nil, nil
	}
	vars, rawVars, err := parseVariables(raw)
	if err != nil {
		return nil, &Error{Code: CodeParseFailed, Path: "$.variables", Message: err.Error()}
	}
	vars[rawVarsKey] = rawVars
	return vars, nil
}

// rawVarsKey holds, among the decoded variables, each variable's JSON as
// sent (map[string][]byte). No GraphQL variable can have this name.
const rawVarsKey = "\x00raw"

// plainJSON turns an ordered value into the map form gqlgen expects.
func plainJSON(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			m[k] = plainJSON(x.vals[i])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

// Roles returns the roles the engine has schemas for, admin included,
// sorted.
func (e *Engine) Roles() []string {
	out := make([]string, 0, len(e.roles))
	for r := range e.roles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Schema returns the role's GraphQL schema (the no-permission schema for an
// unknown role).
func (e *Engine) Schema(role string) *ast.Schema { return e.role(role).schema }

// Explained is the SQL of one database-backed root field.
type Explained struct {
	// Field is the response key of the root field.
	Field string
	// SQL is the statement, with $n parameters.
	SQL string
	// Params describes each parameter: where its value comes from, and
	// the value when it is known (a constant, a variable, a session
	// variable the session has).
	Params []string
	// Args are the parameters' values as the statement would be run with
	// them; nil when a session variable it needs is missing.
	Args []any
}

// Explain compiles a request for a session's role and returns the SQL of
// each database-backed root field without running anything: what
// "hasgen explain" prints. It needs no database connection.
func (e *Engine) Explain(s *Session, req *Request) ([]Explained, *Error) {
	r := e.role(s.Role)
	d := e.document(r, req)
	if d.errs != nil {
		return nil, d.errs[0]
	}
	vars, verr := decodeVariables(req.Variables)
	if verr != nil {
		return nil, verr
	}
	var shape strings.Builder
	if err := shapeOf(&shape, r.schema, d.op, vars); err != nil {
		return nil, err
	}
	p := e.compile(r, d, vars)
	if p.err != nil {
		return nil, p.err
	}
	var out []Explained
	explain := func(key, sql string, params []Param) {
		ex := Explained{Field: key, SQL: sql}
		for i, prm := range params {
			ex.Params = append(ex.Params, describeParam(i+1, prm, s, vars))
		}
		if args, err := bindParams(params, s, vars); err == nil {
			ex.Args = args
		}
		out = append(out, ex)
	}
	for _, f := range p.fields {
		switch f.kind {
		case fieldSQL:
			explain(f.key, f.sql, f.params)
		case fieldMutation:
			for _, st := range f.mutations {
				explain(f.key, st.sql, st.params)
			}
		}
	}
	return out, nil
}

func describeParam(n int, p Param, s *Session, vars map[string]any) string {
	switch {
	case p.Session != "":
		if v, ok := s.Var(p.Session); ok {
			return fmt.Sprintf("$%d = %q (session variable %s)", n, v, p.Session)
		}
		return fmt.Sprintf("$%d = session variable %s (not set)", n, p.Session)
	case p.Var != "":
		root, _ := vars[p.Var]
		v, _ := lookup(root, p.Path)
		a, _ := encodeParam(v, p.Encoding)
		path := "$" + p.Var
		for _, k := range p.Path {
			path += fmt.Sprintf(".%v", k)
		}
		return fmt.Sprintf("$%d = %s (variable %s)", n, formatArg(a), path)
	}
	return fmt.Sprintf("$%d = %s", n, formatArg(p.Const))
}

func formatArg(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(a)
}
