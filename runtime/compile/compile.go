// Package compile turns a validated GraphQL operation into SQL: each
// database-backed root field becomes ONE statement that returns the
// field's whole JSON value, with the role's filters (generated Go, from
// package catalog) in the WHERE of every table it reads. It does no I/O
// and imports no database driver, so its output is tested as text.
//
//	c := compile.New(schema, compile.Options{})
//	plan, err := c.Operation(role, doc, op, vars)
//	// plan.Fields[i].SQL, plan.Fields[i].Params: run them (package engine)
//
// Files: select.go (queries and aggregates), where.go (boolean
// expressions), orderby.go, mutation.go, stream.go (the poll statement of
// streams), function.go (tracked functions and computed fields), value.go
// (input values); the poll statement of live queries is here.
package compile

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options change what the compiled SQL returns.
type Options struct {
	// StringifyNumeric returns bigint, numeric, float8 and money values as
	// JSON strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
	// Relay compiles operations of the Relay schema (relay.go).
	Relay bool
	// RemoteRelationships tells the tables' remote relationship fields;
	// RemoteMarker is the key of the marker objects that stand for their
	// values (remoterel.go).
	RemoteRelationships RemoteRelColumns
	RemoteMarker        string
	// CustomSubscription reports the custom root fields that may be
	// subscribed to (asynchronous actions' <action>(id:)): they compile
	// to FieldCustom, and package engine answers them. Nil: none.
	CustomSubscription func(name string) bool
}

// Compiler compiles operations over one schema. It is immutable and safe
// for concurrent use.
type Compiler struct {
	schema    *catalog.Schema
	opts      Options
	roots     map[string]rootRef
	mutations map[string]mutRef
}

// New returns a compiler for the tables of s.
func New(s *catalog.Schema, opts Options) *Compiler {
	c := &Compiler{schema: s, opts: opts, roots: map[string]rootRef{}, mutations: map[string]mutRef{}}
	for _, t := range s.Tables {
		r := t.Roots
		if opts.Relay {
			relayRoots(c.roots, t)
			r.Select, r.SelectByPk, r.SelectAggregate, r.SelectStream = "", "", "", ""
		}
		for _, q := range []struct {
			name string
			kind rootKind
		}{{r.Select, rootSelect}, {r.SelectByPk, rootByPk}, {r.SelectAggregate, rootAggregate}, {r.SelectStream, rootStream}} {
			if q.name != "" {
				c.roots[q.name] = rootRef{table: t, kind: q.kind}
			}
		}
		for _, m := range []struct {
			name string
			kind mutKind
		}{{r.Insert, mutInsert}, {r.InsertOne, mutInsertOne}, {r.Update, mutUpdate}, {r.UpdateByPk, mutUpdateByPk},
			{r.UpdateMany, mutUpdateMany}, {r.Delete, mutDelete}, {r.DeleteByPk, mutDeleteByPk}} {
			if m.name != "" {
				c.mutations[m.name] = mutRef{table: t, kind: m.kind}
			}
		}
		c.addFunctions(t)
	}
	return c
}

// Schema returns the schema the compiler reads.
func (c *Compiler) Schema() *catalog.Schema { return c.schema }

// Plan is a compiled operation: its root fields in response order.
type Plan struct {
	Fields []Field
	// Custom is set when some field is executed by gqlgen.
	Custom bool
	// Remote is set when some field is answered by a remote schema
	// (FieldRemote; the engine marks them).
	Remote bool
	// RemoteRels are the remote relationship fields whose markers the
	// statements' JSON holds (remoterel.go).
	RemoteRels []RemoteRel
	// Checks validate the values of a request's variables that its
	// statements read but cannot check themselves (Relay cursors): the
	// engine runs them on every request the plan serves.
	Checks []func(vars map[string]any) error
}

// FieldKind is how a root field is answered.
type FieldKind uint8

// Field kinds.
const (
	// FieldQuery runs Statement, which returns the field's JSON in its one
	// row and column (no row: null).
	FieldQuery FieldKind = iota + 1
	// FieldTypename is __typename, or Hasura's no_queries_available
	// placeholder: the constant Text.
	FieldTypename
	// FieldCustom is a field of the user's custom schema (gqlgen).
	FieldCustom
	// FieldMutation runs Mutations, each returning (ok, root).
	FieldMutation
	// FieldLive polls Statement over a batch of cohorts: $1 ids, $2 each
	// cohort's bound parameters as a JSON array.
	FieldLive
	// FieldStream polls Statement over a batch of stream subscribers
	// (stream.go has its parameters).
	FieldStream
	// FieldAction is an action's field: the engine calls its handler
	// (runtime/engine/action.go marks them).
	FieldAction
	// FieldRemote is a root field of a remote schema: the engine marks
	// the custom fields a remote answers so (engine/remote.go).
	FieldRemote
)

// Statement is one SQL statement and where its parameters come from.
type Statement struct {
	SQL    string
	Params []catalog.Param
}

// Field is a compiled root field.
type Field struct {
	// Key is the response key; AST the field (for a custom field, a copy
	// carrying the selections merged under Key).
	Key  string
	Kind FieldKind
	AST  *ast.Field
	Statement
	// Text is the value of a FieldTypename.
	Text string
	// Nullable fields (by_pk) are null when their statement returns no
	// row.
	Nullable bool
	// Tables are the tables the statement reads (quoted names): a live
	// query over it can change only when one of them does. A stream's is
	// its own table.
	Tables []string
	// Mutations are a FieldMutation's statements (update_<t>_many: one
	// per update, its results an array: Many); BackendOnly says its
	// permission needs the admin secret and
	// x-hasura-use-backend-only-permissions.
	Mutations   []Statement
	Many        bool
	BackendOnly bool
	// Parts, when set, make a mutation field's value an object: the
	// fields of a root field namespace (namespace.go).
	Parts []Part
	// ErrorPath is where Hasura reports a database error of the
	// mutation's statements (a failed check, a constraint violation):
	// an insert's objects (object) argument; empty for "$".
	ErrorPath string
	// Stream is set for a FieldStream.
	Stream *Stream
}

// msgOneRootField is Hasura's error for a subscription with several root
// fields.
const msgOneRootField = "subscriptions must select one top level field"

// Operation compiles op, an operation of the validated document doc, for
// role and the request's variables (as wire.ParseVariables decodes them).
// Statements depend on the variables' shape only (presence, nullness,
// object keys, enum values), never on scalar values: those are
// parameters. A subscription compiles to its poll statement. Errors are
// *wire.Error values.
func (c *Compiler) Operation(role string, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (*Plan, error) {
	cc := &compiler{s: c.schema, names: c.schema.Names, role: role, doc: doc, vars: vars, stringify: c.opts.StringifyNumeric, relay: c.opts.Relay,
		remoteRel: c.opts.RemoteRelationships, marker: c.opts.RemoteMarker, subscribing: op.Operation == ast.Subscription}
	p := &Plan{}
	rootType := "query_root"
	switch op.Operation {
	case ast.Mutation:
		rootType = "mutation_root"
	case ast.Subscription:
		rootType = "subscription_root"
	}
	fields := cc.collect(op.SelectionSet, rootType)
	if op.Operation == ast.Subscription && len(fields) != 1 {
		return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: msgOneRootField}
	}
	for _, f := range fields {
		pf := Field{Key: f.alias, AST: f.field}
		ref, query := c.roots[f.field.Name]
		mref, mut := c.mutations[f.field.Name]
		switch {
		case f.field.Name == "__typename":
			pf.Kind, pf.Text = FieldTypename, rootType
		case c.schema.Namespace != "" && f.field.Name == c.schema.Namespace:
			c.namespace(cc, op.Operation, f, &pf)
		case f.field.Name == NoQueriesField && op.Operation == ast.Query && !query:
			pf.Kind, pf.Text = FieldTypename, NoQueriesText
		case op.Operation == ast.Subscription && !query && c.opts.CustomSubscription != nil && c.opts.CustomSubscription(f.field.Name):
			pf.Kind = FieldCustom
			cf := *f.field
			cf.SelectionSet = f.sels
			pf.AST = &cf
		case op.Operation == ast.Subscription:
			if !query {
				return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet." + f.alias,
					Message: "subscriptions are supported on the tables' fields only, not on custom fields"}
			}
			cc.subscription(ref, f, &pf)
		case mut && op.Operation == ast.Mutation:
			pf.Kind = FieldMutation
			pf.Mutations = cc.compileMutation(mref, f)
			pf.Many = mref.kind == mutUpdateMany
			pf.Nullable = mref.kind != mutInsert && mref.kind != mutUpdate && mref.kind != mutDelete && !pf.Many
			pf.BackendOnly = backendOnly(mref.table, role, mref.kind)
			switch mref.kind {
			case mutInsert:
				pf.ErrorPath = "$.selectionSet." + f.field.Name + ".args.objects"
			case mutInsertOne:
				pf.ErrorPath = "$.selectionSet." + f.field.Name + ".args.object"
			}
		case query && op.Operation != ast.Mutation:
			cc.w = catalog.NewWriter(false)
			cc.compileRoot(ref, f)
			pf.Kind, pf.Statement = FieldQuery, Statement{cc.w.String(), cc.w.Params()}
			pf.Tables = cc.w.Tables()
			pf.Nullable = ref.kind == rootByPk || ref.kind == rootNode || (ref.kind == rootFunction && ref.fn.Single)
		default:
			pf.Kind = FieldCustom
			// A copy carrying the merged selections of every field under
			// this response key.
			cf := *f.field
			cf.SelectionSet = f.sels
			pf.AST = &cf
			p.Custom = true
		}
		if cc.err != nil {
			return nil, cc.err
		}
		p.Fields = append(p.Fields, pf)
	}
	p.Checks = cc.checks
	p.RemoteRels = cc.remoteRels
	return p, nil
}

// NoQueriesField is the field Hasura puts in a query_root that would
// have none (no tracked table, or a role without permissions), and
// NoQueriesText its description and value.
const (
	NoQueriesField = "no_queries_available"
	NoQueriesText  = "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."
)

type compiler struct {
	s *catalog.Schema
	// names maps the fixed names the compiler is written with
	// (hasura-default's) to the schema's and back (catalog.Names).
	names     catalog.Names
	role      string
	doc       *ast.QueryDocument
	vars      map[string]any
	w         *catalog.Writer
	stringify bool
	err       *wire.Error
	// root prefixes the error paths of root fields inside a namespace
	// (rootPath); empty outside.
	root string
	// orderRoot is the table whose plain columns an order_by key may name
	// for distinct_on matching.
	orderRoot *catalog.Table
	// relay compiles the Relay schema's fields (relay.go); nodeType is
	// the table type of the node(id:) field being compiled.
	relay    bool
	nodeType string
	checks   []func(vars map[string]any) error
	// redacted maps the aliases of rows read through an inherited role's
	// redacting source to its permission (inherited.go).
	redacted map[string]*catalog.SelectPermission
	// from, when set, writes the row source of the next select instead of
	// its table: a function call (function.go).
	from func()
	// once is set while a root field is compiled until its rows take it
	// (takeOnce): those rows are read once per statement, not once per
	// parent row, and may join whole tables (objectJoin).
	once bool
	// remoteRel tells remote relationship fields, marker their markers'
	// key; remoteRels are those the operation selects (remoterel.go).
	// subscribing is set for a subscription, which has none.
	remoteRel   RemoteRelColumns
	marker      string
	remoteRels  []RemoteRel
	subscribing bool
}

func (c *compiler) fail(path, code, format string, args ...any) {
	if c.err == nil {
		c.err = &wire.Error{Path: path, Code: code, Message: fmt.Sprintf(format, args...)}
	}
}

// rootKind is what a database-backed query root field does.
type rootKind uint8

const (
	rootSelect rootKind = iota + 1
	rootByPk
	rootAggregate
	rootStream
	rootFunction
	rootFunctionAggregate
	rootConnection // <t>_connection (relay.go)
	rootNode       // node(id:) (relay.go)
)

type rootRef struct {
	table *catalog.Table
	kind  rootKind
	fn    *catalog.Function // rootFunction*
}

// Subscriptions compile to poll statements that serve many subscribers at
// once: the root field's SQL is written with the multiplexed Writer, which
// reads each parameter from the subscriber's row ("_subs"."vars"->>n), and
// wrapped in a join over the batch:
//
//	SELECT "_subs"."id", "_res"."root"
//	FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars")
//	LEFT JOIN LATERAL (<the field's SQL, parameters read from "_subs"."vars">) AS "_res" ON true
//
// Streams wrap it in their own statement (stream.go).

// PollMarker starts every poll statement, so that the streams' horizon
// can tell the server's own read-only polls in pg_stat_activity.
const PollMarker = "/* hasgen poll */ "

// subscription compiles a subscription's root field into its poll
// statement.
func (c *compiler) subscription(ref rootRef, f *collected, pf *Field) {
	c.w = catalog.NewWriter(true)
	if ref.kind == rootStream {
		st := c.compileStream(ref, f)
		if c.err != nil {
			return
		}
		pf.Kind, pf.Stream = FieldStream, st
		pf.SQL = st.statement(c.w.String())
		// A stream delivers new rows of its own table; changes to the
		// tables of its relationships send nothing.
		pf.Tables = []string{ref.table.SQL()}
	} else {
		c.compileRoot(ref, f)
		pf.Kind = FieldLive
		pf.SQL = PollMarker + `SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (` +
			c.w.String() + `) AS "_res" ON true`
		pf.Tables = c.w.Tables()
	}
	pf.Params = c.w.Params()
}

// val is a GraphQL input value while compiling: a literal of the query
// text, or (part of) a variable's value. Values from variables become
// parameters that say where to find them, so that a compiled statement
// serves every request with the same variable shape.
type val struct {
	lit *ast.Value // a literal (never a variable reference)
	// For a value from a variable:
	fromVar bool
	json    any // ordered JSON: nil, bool, json.Number, string, []any, *wire.Object
	name    string
	path    []any
	absent  bool // a variable with no value and no default
}

// arg returns the value of the fixed argument that hasura-default names
// name (where, order_by...), or an absent val.
func (c *compiler) arg(f *ast.Field, name string) val { return c.argNamed(f, c.names.Name(name)) }

// argNamed returns the value of the argument named name in the schema (a
// column's, for _by_pk), or an absent val.
func (c *compiler) argNamed(f *ast.Field, name string) val {
	a := f.Arguments.ForName(name)
	if a == nil {
		return val{absent: true}
	}
	return c.value(a.Value)
}

func (c *compiler) value(v *ast.Value) val {
	if v == nil {
		return val{absent: true}
	}
	if v.Kind != ast.Variable {
		return val{lit: v}
	}
	j, ok := c.vars[v.Raw]
	if !ok {
		if v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			return c.value(v.VariableDefinition.DefaultValue)
		}
		return val{absent: true}
	}
	return val{fromVar: true, json: j, name: v.Raw}
}

// isNull reports an explicit null or an absent value: Hasura treats null
// arguments as absent.
func (v val) isNull() bool {
	if v.absent {
		return true
	}
	if v.fromVar {
		return v.json == nil
	}
	return v.lit == nil || v.lit.Kind == ast.NullValue
}

// fields returns an object value's fields in order.
func (c *compiler) fields(v val) []field {
	if v.isNull() {
		return nil
	}
	if v.fromVar {
		o, ok := v.json.(*wire.Object)
		if !ok {
			return nil
		}
		out := make([]field, len(o.Keys))
		for i, k := range o.Keys {
			out[i] = field{k, val{fromVar: true, json: o.Vals[i], name: v.name, path: appendPath(v.path, k)}}
		}
		return out
	}
	if v.lit.Kind != ast.ObjectValue {
		return nil
	}
	out := make([]field, 0, len(v.lit.Children))
	for _, ch := range v.lit.Children {
		out = append(out, field{ch.Name, c.value(ch.Value)})
	}
	return out
}

type field struct {
	name string
	v    val
}

// items returns a list value's items; a single non-list value is a list of
// one (GraphQL input coercion).
func (c *compiler) items(v val) []val {
	if v.isNull() {
		return nil
	}
	if v.fromVar {
		l, ok := v.json.([]any)
		if !ok {
			return []val{v}
		}
		out := make([]val, len(l))
		for i, x := range l {
			out[i] = val{fromVar: true, json: x, name: v.name, path: appendPath(v.path, i)}
		}
		return out
	}
	if v.lit.Kind != ast.ListValue {
		return []val{v}
	}
	out := make([]val, 0, len(v.lit.Children))
	for _, ch := range v.lit.Children {
		out = append(out, c.value(ch.Value))
	}
	return out
}

// isList reports whether a value is a list (not a single value that
// input coercion makes a list of one).
func (v val) isList() bool {
	if v.fromVar {
		_, ok := v.json.([]any)
		return ok
	}
	return v.lit != nil && v.lit.Kind == ast.ListValue
}

// enum returns the name of an enum value (also used for Boolean
// literals' text).
func (v val) enum() string {
	if v.fromVar {
		switch j := v.json.(type) {
		case string:
			return j
		case bool:
			return strconv.FormatBool(j)
		}
		return ""
	}
	if v.lit == nil {
		return ""
	}
	return v.lit.Raw
}

// boolean returns a Boolean value.
func (v val) boolean() bool {
	if v.fromVar {
		b, _ := v.json.(bool)
		return b
	}
	return v.lit != nil && v.lit.Kind == ast.BooleanValue && v.lit.Raw == "true"
}

// int returns an Int value known when compiling (literals; variables are
// parameters instead).
func (v val) int() (int64, bool) {
	if v.fromVar {
		switch j := v.json.(type) {
		case json.Number:
			n, err := j.Int64()
			return n, err == nil
		case string:
			n, err := strconv.ParseInt(j, 10, 64)
			return n, err == nil
		}
		return 0, false
	}
	n, err := strconv.ParseInt(v.lit.Raw, 10, 64)
	return n, err == nil
}

// param returns the parameter that carries a scalar (or, with
// catalog.EncodeTextList/catalog.EncodeJSON, a list or JSON) value.
func (c *compiler) param(v val, enc catalog.Encoding) catalog.Param {
	if v.fromVar {
		return catalog.Param{Var: v.name, Path: v.path, Encoding: enc}
	}
	if hasVariable(v.lit) {
		// A list or object literal with variables inside ([$v, 3]): its
		// value is known when the statement runs.
		return catalog.Param{Literal: v.lit, Encoding: enc}
	}
	return catalog.Param{Const: literalConst(v.lit, enc), Encoding: enc}
}

// hasVariable reports whether a literal holds a variable at any depth.
func hasVariable(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, ch := range v.Children {
		if hasVariable(ch.Value) {
			return true
		}
	}
	return false
}

// literalConst turns a literal into the constant a Param binds.
func literalConst(v *ast.Value, enc catalog.Encoding) any {
	a, _ := catalog.Encode(literalJSON(v), enc) // literals were validated
	return a
}

func scalarText(v *ast.Value) string {
	switch v.Kind {
	case ast.ListValue, ast.ObjectValue:
		b, _ := json.Marshal(literalJSON(v))
		return string(b)
	}
	return v.Raw
}

// literalJSON converts a literal to a Go JSON value (for jsonb operands
// written inline in the query).
func literalJSON(v *ast.Value) any {
	switch v.Kind {
	case ast.NullValue:
		return nil
	case ast.IntValue, ast.FloatValue:
		return json.Number(v.Raw)
	case ast.BooleanValue:
		return v.Raw == "true"
	case ast.ListValue:
		out := make([]any, len(v.Children))
		for i, ch := range v.Children {
			out[i] = literalJSON(ch.Value)
		}
		return out
	case ast.ObjectValue:
		m := make(map[string]any, len(v.Children))
		for _, ch := range v.Children {
			m[ch.Name] = literalJSON(ch.Value)
		}
		return m
	}
	return v.Raw
}

func appendPath(p []any, k any) []any {
	out := make([]any, len(p), len(p)+1)
	copy(out, p)
	return append(out, k)
}

// LiteralValue is an input literal as a JSON value, with the variables
// in it replaced by their values (absent ones dropped from objects): the
// value of a Param whose Literal is set, when its statement runs.
func LiteralValue(v *ast.Value, vars map[string]any) any {
	switch v.Kind {
	case ast.Variable:
		x, ok := vars[v.Raw]
		if !ok && v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			return LiteralValue(v.VariableDefinition.DefaultValue, vars)
		}
		return x
	case ast.ObjectValue:
		o := &wire.Object{}
		for _, ch := range v.Children {
			if ch.Value.Kind == ast.Variable {
				if _, ok := vars[ch.Value.Raw]; !ok && (ch.Value.VariableDefinition == nil || ch.Value.VariableDefinition.DefaultValue == nil) {
					continue
				}
			}
			o.Keys = append(o.Keys, ch.Name)
			o.Vals = append(o.Vals, LiteralValue(ch.Value, vars))
		}
		return o
	case ast.ListValue:
		out := make([]any, len(v.Children))
		for i, ch := range v.Children {
			out[i] = LiteralValue(ch.Value, vars)
		}
		return out
	}
	return literalJSON(v)
}
