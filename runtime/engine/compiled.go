package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// Compiled operations are the project's own operations (operations/*.graphql
// of the emitted project) compiled when hasgen generate runs, by this
// engine over the same descriptors the server links: the SQL each
// (operation, role) becomes is written into generated Go, where a pull
// request shows it. The server gets them back in Config.Operations and
// pins them: their documents are parsed and validated, and their plans
// compiled, once when the role loads, and never leave the caches. A request
// whose text and operation name match a pinned operation of its role
// takes it with one map lookup and goes on through the same Prepare and
// Run as any other (so its response is the same bytes); a variable shape
// other than the compiled one (a variable left out, or null) is compiled
// on first use into the pinned document's plans.

// CompiledOperation is a named operation compiled for the roles whose
// schema validates it.
type CompiledOperation struct {
	// Name is the operation's name; Source where it is defined
	// (operations/<file>.graphql:line:col).
	Name, Source string
	// Query is the whole document the operation is in, as clients send
	// it (with its fragments and possibly other operations).
	Query string
	// Hash is the hex SHA-256 of Query: its Apollo persisted-query hash.
	Hash string
	// Roles are the roles that may run it, sorted, admin included.
	Roles []CompiledRole
	// Refused are the roles whose schema does not validate it, and why.
	Refused []RefusedRole
}

// CompiledRole is the SQL of an operation for one role: one statement per
// database-backed root field (several for update_<table>_many).
type CompiledRole struct {
	Role       string
	Statements []CompiledStatement
}

// CompiledStatement is one statement of a compiled operation: the root
// field (response key) it answers, its SQL text and where each of its
// parameters comes from ($1 first).
type CompiledStatement struct {
	Field  string
	SQL    string
	Params []string
}

// RefusedRole is a role that may not run an operation: the first error its
// schema gives the operation.
type RefusedRole struct {
	Role, Error string
}

// HashQuery returns the hex SHA-256 of a document's text: its Apollo
// persisted-query hash.
func HashQuery(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// CompileOperation compiles the named operation of a document (the text a
// client sends: the operation and its fragments) for every role of the
// engine, admin included; source is where it is defined
// (operations/x.graphql:3:1), for messages. A role whose schema does not
// validate it is listed in Refused, with the reason. An operation whose
// SQL would depend on the values of its variables (an input object, enum,
// Boolean or ID variable) is an error.
func (e *Engine) CompileOperation(name, source, query string) (CompiledOperation, error) {
	co := CompiledOperation{Name: name, Source: source, Query: query, Hash: HashQuery(query)}
	for _, role := range e.Roles() {
		r, err := e.role(role)
		if err != nil {
			return co, fmt.Errorf("%s: operation %s: %w", source, name, err)
		}
		d := e.parse(r, &wire.Request{Query: query, OperationName: name})
		if d.err != nil {
			co.Refused = append(co.Refused, RefusedRole{Role: role, Error: refusal(d.err)})
			continue
		}
		vars, err := canonicalVars(r.schema, d.op)
		if err != nil {
			return co, fmt.Errorf("%s: operation %s: %w", source, name, err)
		}
		plan, err := e.compilePlan(r, d, vars)
		if err != nil {
			co.Refused = append(co.Refused, RefusedRole{Role: role, Error: refusal(err)})
			continue
		}
		co.Roles = append(co.Roles, CompiledRole{Role: role, Statements: planStatements(plan)})
	}
	return co, nil
}

// refusal is the message of a role's validation or compile error: each
// error with the path Hasura reports.
func refusal(err error) string {
	var msgs []string
	for _, we := range wire.Errors(err) {
		msg := we.Message
		if we.Path != "" && we.Path != "$" {
			msg += " (at " + we.Path + ")"
		}
		msgs = append(msgs, msg)
	}
	return strings.Join(msgs, "; ")
}

// canonicalVars are the variable values of the shape a compiled operation
// is compiled for: every variable given, not null. Only variables whose
// value cannot change the SQL qualify: scalars whose shape is 'v' and
// lists of them.
func canonicalVars(schema *ast.Schema, op *ast.OperationDefinition) (map[string]any, error) {
	vars := map[string]any{}
	for _, vd := range op.VariableDefinitions {
		t := vd.Type
		list := t.Elem != nil
		if list {
			t = t.Elem
		}
		def := schema.Types[t.Name()]
		if t.Elem != nil || def == nil || def.Kind != ast.Scalar || def.Name == "Boolean" || def.Name == "ID" {
			return nil, fmt.Errorf("variable $%s of type %s: the SQL of a compiled operation must not depend on its variables' values; use variables of scalar types other than Boolean and ID (or lists of them) and write input objects and enums in the document", vd.Variable, vd.Type.String())
		}
		var v any = "0"
		if def.Name == "Int" || def.Name == "Float" {
			v = json.Number("0")
		}
		if list {
			v = []any{v}
		}
		vars[vd.Variable] = v
	}
	return vars, nil
}

// compilePlan compiles the plan of a document for the variables' shape,
// as Prepare does before it adds the query tags.
func (e *Engine) compilePlan(r *roleExec, d *document, vars map[string]any) (*compile.Plan, error) {
	plan, err := e.compiler.Operation(r.name, d.doc, d.op, vars)
	if err != nil {
		return nil, err
	}
	e.markActions(plan, d.op.Operation) // action.go
	if err := e.checkSQLSize(plan); err != nil {
		return nil, err
	}
	e.markRemote(d.op.Operation, plan)
	return plan, nil
}

// planStatements lists a plan's statements with their parameters.
func planStatements(plan *compile.Plan) []CompiledStatement {
	var out []CompiledStatement
	add := func(key string, st compile.Statement) {
		cs := CompiledStatement{Field: key, SQL: st.SQL, Params: []string{}}
		for _, p := range st.Params {
			cs.Params = append(cs.Params, paramSource(p))
		}
		out = append(out, cs)
	}
	for _, f := range plan.Fields {
		switch f.Kind {
		case compile.FieldQuery, compile.FieldLive, compile.FieldStream:
			add(f.Key, f.Statement)
		case compile.FieldMutation:
			for _, st := range f.Mutations {
				add(f.Key, st)
			}
		}
	}
	return out
}

// paramSource says where a parameter's value comes from, without a
// request: what a generated file lists.
func paramSource(p catalog.Param) string {
	switch {
	case p.SessionJSON:
		return "session"
	case p.Session != "":
		return "session variable " + p.Session
	case p.Var != "":
		s := "$" + p.Var
		for _, k := range p.Path {
			s += fmt.Sprintf(".%v", k)
		}
		return s
	case p.Literal != nil:
		return "input literal " + p.Literal.String()
	}
	return "constant " + formatArg(p.Const)
}

// pinKey finds a pinned document: an operation name and a document text.
type pinKey struct {
	operation, query string
}

// compiledSet is Config.Operations by role, and by hash for persisted
// queries.
type compiledSet struct {
	byRole map[string][]*compiledFor
	byHash map[string]string
}

// compiledFor is a compiled operation's SQL for one role.
type compiledFor struct {
	op   *CompiledOperation
	role *CompiledRole
}

func newCompiledSet(ops []CompiledOperation) *compiledSet {
	if len(ops) == 0 {
		return nil
	}
	s := &compiledSet{byRole: map[string][]*compiledFor{}, byHash: map[string]string{}}
	for i := range ops {
		op := &ops[i]
		s.byHash[HashQuery(op.Query)] = op.Query
		for j := range op.Roles {
			cr := &op.Roles[j]
			s.byRole[cr.Role] = append(s.byRole[cr.Role], &compiledFor{op: op, role: cr})
		}
	}
	return s
}

// pin parses, validates and compiles a role's compiled operations into
// r.pinned. An operation whose SQL now differs from what was generated (the
// runtime or the permissions changed without hasgen generate, or an
// environment setting such as HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES
// changes the SQL) is not pinned: it runs as any other request, and
// StaleOperations names it.
func (e *Engine) pin(r *roleExec) {
	if e.compiled == nil {
		return
	}
	for _, cf := range e.compiled.byRole[r.name] {
		d := e.parse(r, &wire.Request{Query: cf.op.Query, OperationName: cf.op.Name})
		if d.err != nil {
			e.noteStale(cf, "does not validate: "+refusal(d.err))
			continue
		}
		vars, err := canonicalVars(r.schema, d.op)
		if err != nil {
			e.noteStale(cf, err.Error())
			continue
		}
		plan, err := e.compilePlan(r, d, vars)
		if err != nil {
			e.noteStale(cf, "does not compile: "+refusal(err))
			continue
		}
		if got := planStatements(plan); !slices.EqualFunc(got, cf.role.Statements, sameStatement) {
			e.noteStale(cf, "its SQL differs from the generated SQL: run hasgen generate")
			continue
		}
		var shape strings.Builder
		if err := shapeOf(&shape, r.schema, d.op, vars, d.offsetVars); err != nil {
			e.noteStale(cf, err.Error())
			continue
		}
		e.tagPlan(plan, d.op, d.tagHash) // querytags.go
		d.plans.Add(shape.String(), plan)
		if r.pinned == nil {
			r.pinned = map[pinKey]*document{}
		}
		r.pinned[pinKey{cf.op.Name, cf.op.Query}] = d
		if len(d.doc.Operations) == 1 {
			// Sent without its name, as a document of one operation may be.
			r.pinned[pinKey{"", cf.op.Query}] = d
		}
	}
}

func sameStatement(a, b CompiledStatement) bool {
	return a.Field == b.Field && a.SQL == b.SQL && slices.Equal(a.Params, b.Params)
}

func (e *Engine) noteStale(cf *compiledFor, why string) {
	e.staleMu.Lock()
	defer e.staleMu.Unlock()
	e.stale = append(e.stale, fmt.Sprintf("compiled operation %s (%s), role %s: %s", cf.op.Name, cf.op.Source, cf.role.Role, why))
}

// StaleOperations loads the roles of the compiled operations and returns,
// sorted, a message for each (operation, role) that is not served from the
// compiled set because the server would now compile it differently. The
// server logs them at start-up.
func (e *Engine) StaleOperations() []string {
	if e.compiled == nil {
		return nil
	}
	for _, role := range slices.Sorted(maps.Keys(e.compiled.byRole)) {
		if e.roles[role] != nil {
			_, _ = e.role(role) // a role that does not load fails its requests, as without compiled operations
		}
	}
	e.staleMu.Lock()
	defer e.staleMu.Unlock()
	out := slices.Clone(e.stale)
	slices.Sort(out)
	return out
}

// PersistedQuery returns the document of a compiled operation by its hex
// SHA-256 (Apollo's persisted-query hash), or false.
func (e *Engine) PersistedQuery(hash string) (string, bool) {
	if e.compiled == nil {
		return "", false
	}
	q, ok := e.compiled.byHash[strings.ToLower(hash)]
	return q, ok
}

// IsCompiled reports whether a request's document and operation name are a
// compiled operation pinned for the session's role.
func (e *Engine) IsCompiled(s *session.Session, req *wire.Request) bool {
	r, err := e.role(s.Role)
	if err != nil || r.pinned == nil {
		return false
	}
	return r.pinnedDoc(req) != nil
}

// pinnedDoc is the pinned document of a request, or nil.
func (r *roleExec) pinnedDoc(req *wire.Request) *document {
	return r.pinned[pinKey{req.OperationName, req.Query}]
}
