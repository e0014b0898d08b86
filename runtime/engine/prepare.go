package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	lrucache "github.com/hashicorp/golang-lru/v2"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Prepared is a request ready to run: its session, its variables and the
// plan compiled for its role and variable shape.
type Prepared struct {
	Session *session.Session
	Request *wire.Request
	// Operation is the type of the operation run.
	Operation ast.Operation
	Plan      *compile.Plan
	Vars      wire.Variables
	// Limits are the role's api_limits; Run applies the time limit.
	Limits Limits

	role *roleExec
	// op is the operation run.
	op *ast.OperationDefinition
	// joinMu serializes the database reads of the remote joins that run
	// concurrently (remote_join.go): the DBTX may be one connection.
	joinMu *sync.Mutex
	// tagHash is the document's parameterized_query_hash (querytags.go).
	tagHash string
	// doc is the request's document (CacheText memoizes on it).
	doc *document
}

// Bind resolves a statement's parameters for the session and variables of
// p. A session variable the session lacks is a not-found error.
func (p *Prepared) Bind(params []catalog.Param) ([]any, error) {
	args := make([]any, len(params))
	for i, prm := range params {
		var v any
		switch {
		case prm.SessionJSON:
			args[i] = HasuraUser(p.Session)
			continue
		case prm.Session != "":
			sv, ok := p.Session.Var(prm.Session)
			if !ok {
				return nil, &wire.Error{Code: wire.CodeNotFound, Path: "$", Message: fmt.Sprintf("missing session variable: %q", prm.Session)}
			}
			v = sv
		case prm.Var != "":
			root, ok := p.Vars.Values[prm.Var]
			if !ok {
				break
			}
			if prm.Encoding == catalog.EncodeJSON && len(prm.Path) == 0 && root != nil {
				// A whole variable as JSON: the bytes the client sent.
				args[i] = string(p.Vars.Raw[prm.Var])
				continue
			}
			v, _ = lookup(root, prm.Path)
		case prm.Literal != nil:
			v = compile.LiteralValue(prm.Literal, p.Vars.Values)
		default:
			args[i] = prm.Const
			continue
		}
		a, err := catalog.Encode(v, prm.Encoding)
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$", Message: err.Error(), Err: err}
		}
		args[i] = a
	}
	return args, nil
}

// docKey identifies a parsed document: the same text is validated once per
// role and operation name.
type docKey struct {
	role, operation, query string
}

// document is a parsed and validated operation of one role, and the plans
// compiled for it, by variable shape, the least recently used out first
// past maxPlansPerDocument (a client sending ever new variable shapes
// makes them go, not grow).
type document struct {
	doc *ast.QueryDocument
	op  *ast.OperationDefinition
	err error
	// offsetVars are the variables given as an offset argument, which
	// may hold a string of digits (offsetArg).
	offsetVars map[string]bool
	plans      *lrucache.Cache[string, *compile.Plan]
	// tagHash is the parameterized_query_hash of the query tags
	// (querytags.go), when they are on.
	tagHash string
	// size is the memory the cache counts for the document; cache is the
	// cache holding it, nil when it is not cached.
	size  atomic.Int64
	cache *docCache
	// cacheText is the document as the response cache keys it
	// (cached.go), computed on first use.
	cacheText atomic.Pointer[string]
	// parsed is set when the text parsed (err is then about its
	// validation); refused when the allow list is on and does not list
	// the document for the role (allowlist.go).
	parsed, refused bool
}

const maxPlansPerDocument = 64

// checkSQLSize refuses a plan with a statement over the SQL size limit:
// planning it would cost Postgres more than any application query needs.
func (e *Engine) checkSQLSize(p *compile.Plan) error {
	if e.maxSQL <= 0 {
		return nil
	}
	for _, f := range p.Fields {
		for _, st := range append([]compile.Statement{f.Statement}, f.Mutations...) {
			if len(st.SQL) > e.maxSQL {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet." + f.Key,
					Message: fmt.Sprintf("the field compiles to %d bytes of SQL, over the limit of %d", len(st.SQL), e.maxSQL)}
			}
		}
	}
	return nil
}

// planBytes estimates a plan's memory: its SQL texts, and as much again
// for its parameters and the rest.
func planBytes(p *compile.Plan) int64 {
	var n int64
	for _, f := range p.Fields {
		n += int64(len(f.SQL))
		for _, m := range f.Mutations {
			n += int64(len(m.SQL))
		}
	}
	return 2 * n
}

// Prepare finds the role's document for req (parsing and validating it on
// first use), checks the variables and returns the plan for their shape
// (compiling it on first use). Errors are *wire.Error or wire.List values:
// the request's, nothing was run.
//
// With the allow list on, a document it does not list for the session's
// role is refused (allowlist.go) once it parses, before it is validated,
// as Hasura does.
func (e *Engine) Prepare(ctx context.Context, s *session.Session, req *wire.Request) (*Prepared, error) {
	return e.prepare(ctx, s, req, true)
}

// prepareInternal is Prepare for a request the server writes itself (a
// Go handler's query, an action relationship's rows): the allow list,
// which is about what clients send, does not apply.
func (e *Engine) prepareInternal(ctx context.Context, s *session.Session, req *wire.Request) (*Prepared, error) {
	return e.prepare(ctx, s, req, false)
}

func (e *Engine) prepare(ctx context.Context, s *session.Session, req *wire.Request, client bool) (*Prepared, error) {
	if client && (req.Persisted != "" || req.NoQuery || e.persist == PersistedOnly) {
		var err error
		if req, err = e.persisted(s, req); err != nil { // persisted.go
			return nil, err
		}
	}
	r, err := e.role(s.Role)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "the schema of role " + s.Role + " does not load", Err: err}
	}
	d := e.document(r, req)
	if client && d.refused {
		return nil, errNotAllowed()
	}
	if d.err != nil {
		return nil, d.err
	}
	vars, err := wire.ParseVariables(req.Variables)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$.variables", Message: err.Error(), Err: err}
	}
	var shape strings.Builder
	if err := shapeOf(&shape, r.schema, d.op, vars.Values, d.offsetVars); err != nil {
		return nil, err
	}
	key := shape.String()
	plan, _ := d.plans.Get(key)
	if plan == nil {
		if plan, err = e.compiler.Operation(r.name, d.doc, d.op, vars.Values); err != nil {
			return nil, err
		}
		e.markActions(plan, d.op.Operation) // action.go
		if err := e.checkSQLSize(plan); err != nil {
			return nil, err
		}
		e.markRemote(d.op.Operation, plan)
		e.tagPlan(plan, d.op, d.tagHash) // querytags.go
		if !d.plans.Contains(key) && d.cache != nil {
			d.cache.grow(d, planBytes(plan))
		}
		d.plans.Add(key, plan)
	}
	if err := e.checkIntrospection(s.Role, plan); err != nil {
		return nil, err
	}
	for _, check := range plan.Checks {
		if err := check(vars.Values); err != nil {
			return nil, err
		}
	}
	return &Prepared{Session: s, Request: req, Operation: d.op.Operation, Plan: plan, Vars: vars, Limits: e.limits.For(r.name), role: r, op: d.op, joinMu: &sync.Mutex{}, tagHash: d.tagHash, doc: d}, nil
}

// document returns the parsed and validated document of a request,
// computing it on first use.
func (e *Engine) document(r *roleExec, req *wire.Request) *document {
	if r.pinned != nil {
		if d := r.pinnedDoc(req); d != nil {
			return d // a compiled operation (compiled.go)
		}
	}
	key := docKey{r.name, req.OperationName, req.Query}
	if d, ok := e.docs.get(key); ok {
		return d
	}
	d := e.parse(r, req)
	e.docs.add(key, d)
	return d
}

func (e *Engine) parse(r *roleExec, req *wire.Request) *document {
	plans, _ := lrucache.New[string, *compile.Plan](maxPlansPerDocument) // errors only for a size <= 0
	d := &document{plans: plans}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$.query", Message: strings.TrimPrefix(err.Error(), "input:"), Err: err}
		return d
	}
	d.parsed = true
	d.refused = !e.allows(r.name, doc, req.Query) // allowlist.go
	// The cost first: validating and compiling a document is linear in
	// its size with fragments expanded, which the limits bound.
	if err := checkCost(e.limits.For(r.name), doc); err != nil {
		d.err = err
		return d
	}
	offsetVars, err := validate(r.schema, doc)
	if err != nil {
		d.err = err
		return d
	}
	d.offsetVars = offsetVars
	d.doc = doc
	if e.tags != nil {
		d.tagHash = queryHash(doc)
	}
	switch {
	case req.OperationName != "":
		if d.op = doc.Operations.ForName(req.OperationName); d.op == nil {
			d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: fmt.Sprintf("no such operation found in the document: %q", req.OperationName)}
		}
	case len(doc.Operations) == 1:
		d.op = doc.Operations[0]
	default:
		d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "exactly one operation has to be present in the document when operationName is not specified"}
	}
	return d
}

// validate checks a document against a role's schema: first the fields,
// arguments and input fields the schema lacks, reported as Hasura does
// ("field 'x' not found in type: 'T'" at a path such as
// $.selectionSet.albums.args.where.x), then the rest of GraphQL's rules
// (gqlparser), which also annotate the document with its definitions (the
// compiler relies on that). It returns the variables given as an offset
// argument.
func validate(schema *ast.Schema, doc *ast.QueryDocument) (map[string]bool, error) {
	offsetVars, err := checkFields(schema, doc)
	if err != nil {
		return nil, err
	}
	gerrs := validator.ValidateWithRules(schema, doc, hasuraRules())
	if len(gerrs) == 0 {
		return offsetVars, nil
	}
	out := make(wire.List, len(gerrs))
	for i, ge := range gerrs {
		msg := ge.Message
		if strings.HasSuffix(msg, "must select only one top level field.") {
			msg = msgOneRootField
		}
		msg = hasuraDirectiveMessage(msg) // cached.go
		out[i] = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: msg, Err: ge}
	}
	return nil, out
}

// msgOneRootField is Hasura's error for a subscription with several root
// fields.
const msgOneRootField = "subscriptions must select one top level field"

func checkFields(schema *ast.Schema, doc *ast.QueryDocument) (map[string]bool, error) {
	ck := &fieldChecker{schema: schema, doc: doc}
	for _, op := range doc.Operations {
		var root *ast.Definition
		switch op.Operation {
		case ast.Mutation:
			root = schema.Mutation
			if root == nil {
				return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "no mutations exist"}
			}
		case ast.Subscription:
			root = schema.Subscription
			if root == nil {
				return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "no subscriptions exist"}
			}
		default:
			root = schema.Query
		}
		ck.visited = map[string]bool{}
		ck.selections(root, op.SelectionSet, "$")
		if ck.err != nil {
			return nil, ck.err
		}
	}
	return ck.offsetVars, nil
}

type fieldChecker struct {
	schema  *ast.Schema
	doc     *ast.QueryDocument
	visited map[string]bool
	err     *wire.Error
	// offsetVars are the variables given as an offset argument.
	offsetVars map[string]bool
}

func (ck *fieldChecker) fail(path, format string, args ...any) {
	if ck.err == nil {
		ck.err = &wire.Error{Code: wire.CodeValidationFailed, Path: path, Message: fmt.Sprintf(format, args...)}
	}
}

func (ck *fieldChecker) selections(def *ast.Definition, set ast.SelectionSet, path string) {
	for _, sel := range set {
		if ck.err != nil {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__typename" || s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			fd := def.Fields.ForName(s.Name)
			fpath := path + ".selectionSet." + s.Name
			if fd == nil {
				ck.fail(fpath, "field '%s' not found in type: '%s'", s.Name, def.Name)
				return
			}
			for _, a := range s.Arguments {
				ad := fd.Arguments.ForName(a.Name)
				if ad == nil {
					ck.fail(fpath, "'%s' has no argument named '%s'", s.Name, a.Name)
					return
				}
				if offsetArg(a.Name, ad.Type) && ck.offset(a.Value) {
					continue
				}
				ck.value(ad.Type, a.Value, fpath+".args."+a.Name)
			}
			if inner := ck.schema.Types[fd.Type.Name()]; inner != nil && (inner.Kind == ast.Object || inner.Kind == ast.Interface) {
				ck.selections(inner, s.SelectionSet, fpath)
			}
		case *ast.InlineFragment:
			inner := def
			if s.TypeCondition != "" {
				if inner = ck.schema.Types[s.TypeCondition]; inner == nil {
					ck.fail(path, "type '%s' not found", s.TypeCondition)
					return
				}
			}
			ck.selections(inner, s.SelectionSet, path)
		case *ast.FragmentSpread:
			if ck.visited[s.Name] {
				continue
			}
			ck.visited[s.Name] = true
			frag := ck.doc.Fragments.ForName(s.Name)
			if frag == nil {
				continue // gqlparser reports it
			}
			inner := ck.schema.Types[frag.TypeCondition]
			if inner == nil {
				ck.fail(path, "type '%s' not found", frag.TypeCondition)
				return
			}
			ck.selections(inner, frag.SelectionSet, path)
		}
	}
}

// offset reads an offset argument as Hasura does (offsetArg): a string of
// digits is the integer it spells, and any 64-bit integer goes; a
// variable given there is noted, its value may be such a string. It
// reports whether the value needs no other check.
func (ck *fieldChecker) offset(v *ast.Value) bool {
	switch v.Kind {
	case ast.StringValue:
		if decimal(v.Raw) {
			v.Kind = ast.IntValue
			return true
		}
	case ast.IntValue:
		_, err := strconv.ParseInt(v.Raw, 10, 64)
		return err == nil
	case ast.Variable:
		if ck.offsetVars == nil {
			ck.offsetVars = map[string]bool{}
		}
		ck.offsetVars[v.Raw] = true
	}
	return false
}

// value checks the input fields of a literal input value.
func (ck *fieldChecker) value(t *ast.Type, v *ast.Value, path string) {
	if v == nil || ck.err != nil || ck.enumLiteral(t, v, path) {
		return
	}
	switch v.Kind {
	case ast.ListValue:
		elem := t
		if t.Elem != nil {
			elem = t.Elem
		}
		for i, ch := range v.Children {
			ck.value(elem, ch.Value, fmt.Sprintf("%s[%d]", path, i))
		}
	case ast.ObjectValue:
		if t.Elem != nil {
			ck.value(t.Elem, v, path)
			return
		}
		def := ck.schema.Types[t.NamedType]
		if def == nil || def.Kind != ast.InputObject {
			return
		}
		for _, ch := range v.Children {
			fd := def.Fields.ForName(ch.Name)
			if fd == nil {
				ck.fail(path+"."+ch.Name, "field '%s' not found in type: '%s'", ch.Name, def.Name)
				return
			}
			ck.value(fd.Type, ch.Value, path+"."+ch.Name)
		}
	case ast.IntValue:
		if t.Elem == nil && t.NamedType == "Int" {
			var n int64
			if _, err := fmt.Sscan(v.Raw, &n); err != nil || n < -1<<31 || n > 1<<31-1 {
				ck.err = &wire.Error{Code: wire.CodeParseFailed, Path: path,
					Message: fmt.Sprintf("The value %s lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?", v.Raw)}
			}
		}
	}
}

// Request variables: their shape (what decides the SQL of an operation),
// checked against the declared types with Hasura's messages, and the way
// into a variable's value that a compiled parameter names.

// lookup follows path into a decoded variable value.
func lookup(v any, path []any) (any, bool) {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			switch o := v.(type) {
			case *wire.Object:
				x, ok := o.Get(k)
				if !ok {
					return nil, false
				}
				v = x
			case map[string]any:
				x, ok := o[k]
				if !ok {
					return nil, false
				}
				v = x
			default:
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok {
				if k == 0 {
					continue // a single value coerced to a list of one
				}
				return nil, false
			}
			if k >= len(l) {
				return nil, false
			}
			v = l[k]
		}
	}
	return v, true
}

// shapeOf checks the variables against their declared types and writes
// the part of them that decides the SQL of an operation: presence and
// nullness, object keys in order, list lengths of non-scalar lists, enum
// values and Booleans. Scalar values become parameters and are left out, so
// requests that differ only in them share one compiled statement.
//
// A variable given as an offset (offsetVars) may also be a string of
// digits, as in Hasura.
func shapeOf(b *strings.Builder, schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any, offsetVars map[string]bool) error {
	for _, vd := range op.VariableDefinitions {
		v, ok := vars[vd.Variable]
		path := "$.variableValues." + vd.Variable
		if !ok {
			if vd.Type.NonNull && vd.DefaultValue == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
					Message: fmt.Sprintf("expecting a value for non-nullable variable: %q", vd.Variable)}
			}
			b.WriteString("-;")
			continue
		}
		if s, ok := v.(string); ok && offsetVars[vd.Variable] && offsetArg("offset", vd.Type) && decimal(s) {
			b.WriteString("v;")
			continue
		}
		if err := shapeValue(b, schema, vd.Type, v, path); err != nil {
			return err
		}
		b.WriteByte(';')
	}
	return nil
}

func shapeValue(b *strings.Builder, schema *ast.Schema, t *ast.Type, v any, path string) error {
	if v == nil {
		if t.NonNull {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("unexpected null value for type %q", t.String())}
		}
		b.WriteByte('n')
		return nil
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok {
			return shapeValue(b, schema, t.Elem, v, path)
		}
		def := schema.Types[baseName(t.Elem)]
		scalarList := t.Elem.Elem == nil && def != nil && def.Kind == ast.Scalar && def.Name != "Boolean"
		if !scalarList {
			b.WriteByte('[')
		}
		for i, e := range l {
			var sub strings.Builder
			if err := shapeValue(&sub, schema, t.Elem, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
			if !scalarList {
				b.WriteString(sub.String())
				b.WriteByte(',')
			}
		}
		if scalarList {
			b.WriteString("[v]")
		} else {
			b.WriteByte(']')
		}
		return nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		b.WriteByte('v')
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if err := enumVariable(def, v, path); err != nil {
			return err
		}
		b.WriteString(v.(string))
	case ast.InputObject:
		o, ok := v.(*wire.Object)
		if !ok {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
				Message: fmt.Sprintf("expected an object for type %q, but found %s", def.Name, wire.Kind(v))}
		}
		b.WriteByte('{')
		for i, k := range o.Keys {
			f := def.Fields.ForName(k)
			if f == nil {
				return &wire.Error{Code: wire.CodeValidationFailed, Path: path + "." + k,
					Message: fmt.Sprintf("field '%s' not found in type: '%s'", k, def.Name)}
			}
			b.WriteString(k)
			b.WriteByte(':')
			if err := shapeValue(b, schema, f.Type, o.Vals[i], path+"."+k); err != nil {
				return err
			}
			b.WriteByte(',')
		}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				if _, ok := o.Get(f.Name); !ok {
					return &wire.Error{Code: wire.CodeValidationFailed, Path: path,
						Message: fmt.Sprintf("missing required field '%s'", f.Name)}
				}
			}
		}
		b.WriteByte('}')
	default:
		if err := checkScalar(def.Name, v, path); err != nil {
			return err
		}
		if def.Name == "Boolean" {
			if v.(bool) {
				b.WriteByte('t')
			} else {
				b.WriteByte('f')
			}
			return nil
		}
		b.WriteByte('v')
		if def.Name == "ID" {
			writeNodeShape(b, v)
		}
	}
	return nil
}

// checkScalar checks a variable's value for a built-in scalar. Postgres
// scalars (bigint, numeric, uuid, jsonb, ...) accept any JSON value and are
// checked by Postgres when cast, as in Hasura.
func checkScalar(name string, v any, path string) error {
	bad := func(want string) *wire.Error {
		return &wire.Error{Code: wire.CodeParseFailed, Path: path,
			Message: fmt.Sprintf("expected %s for type %q, but found %s", want, name, wire.Kind(v))}
	}
	switch name {
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return bad("a 32-bit integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, 32); err != nil {
			return &wire.Error{Code: wire.CodeParseFailed, Path: path,
				Message: fmt.Sprintf("The value %s lies outside the bounds or is not an integer.  Maybe it is a float, or is there integer overflow?", n)}
		}
	case "Float":
		if _, ok := v.(json.Number); !ok {
			return bad("a float")
		}
	case "String":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "ID":
		switch v.(type) {
		case string, json.Number:
		default:
			return bad("a String or a 32-bit integer")
		}
	}
	return nil
}

func baseName(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}
