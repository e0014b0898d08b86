package metadata

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/hasgen/hasgen/introspect"
)

// maxDepth bounds the nesting of a boolean expression.
const maxDepth = 64

// scope is what every node of one permission's expression shares.
type scope struct {
	ctx  string
	root *Table // the permission's table, for ["$", col]
}

// filter reads a permission's filter or check on table t.
func (v *validator) filter(t *Table, x ynode, ctx, what string) BoolExp {
	return v.boolExp(x, t, &scope{ctx: ctx, root: t}, 0, what)
}

// boolExp reads a boolean expression evaluated on table cur. It returns
// nil when anything inside was wrong (and reported).
func (v *validator) boolExp(x ynode, cur *Table, sc *scope, depth int, what string) BoolExp {
	d := v.deref(x)
	if d.bad {
		return nil
	}
	if depth > maxDepth {
		v.errorf(d.pos(), sc.ctx, "%s is nested more than %d levels deep", what, maxDepth)
		return nil
	}
	fields, ok := v.mapping(d, sc.ctx, what)
	if !ok {
		return nil
	}
	var exprs []BoolExp
	for _, f := range fields {
		e := v.term(f, cur, sc, depth)
		if e == nil {
			ok = false
			continue
		}
		exprs = append(exprs, e)
	}
	if !ok {
		return nil
	}
	if len(exprs) == 1 {
		return exprs[0]
	}
	return &And{Pos: d.pos(), Exprs: exprs}
}

// term reads one key of a boolean expression.
func (v *validator) term(f field, cur *Table, sc *scope, depth int) BoolExp {
	switch f.key {
	case "_and", "$and", "_or", "$or":
		items, ok := v.seq(f.val, sc.ctx, f.key)
		if !ok {
			return nil
		}
		exprs := []BoolExp{}
		for _, it := range items {
			e := v.boolExp(it, cur, sc, depth+1, "an item of "+f.key)
			if e == nil {
				ok = false
				continue
			}
			exprs = append(exprs, e)
		}
		if !ok {
			return nil
		}
		if f.key[1:] == "and" {
			return &And{Pos: f.keyPos, Exprs: exprs}
		}
		return &Or{Pos: f.keyPos, Exprs: exprs}
	case "_not", "$not":
		e := v.boolExp(f.val, cur, sc, depth+1, f.key)
		if e == nil {
			return nil
		}
		return &Not{Pos: f.keyPos, Expr: e}
	case "_exists", "$exists":
		return v.exists(f, sc, depth)
	}
	if col := cur.def.Column(f.key); col != nil {
		return v.columnExp(f, cur, col, sc)
	}
	if r := cur.Relationship(f.key); r != nil {
		if r.bad {
			return nil
		}
		remote := v.tables[key(r.RemoteSchema, r.RemoteTable)]
		where := v.boolExp(f.val, remote, sc, depth+1, "the filter of relationship "+r.Name)
		if where == nil {
			return nil
		}
		return &Related{Pos: f.keyPos, Relationship: r, Where: where}
	}
	if cf := computedField(cur, f.key); cf != nil {
		return v.computedExp(f, cur, cf, sc)
	}
	if _, _, isOp := lookupOp(f.key); isOp {
		v.errorf(f.keyPos, sc.ctx, "operator %q must be inside a column: {column: {%s: value}}", f.key, f.key)
		return nil
	}
	qn := cur.QualifiedName()
	switch v.looksLike(f.val) {
	case "relationship":
		v.errorf(f.keyPos, sc.ctx, "relationship %q is not defined on %s", f.key, qn)
	case "column":
		v.errorf(f.keyPos, sc.ctx, "column %q is not in %s", f.key, qn)
	default:
		v.errorf(f.keyPos, sc.ctx, "%q is neither a column nor a relationship of %s", f.key, qn)
	}
	return nil
}

// looksLike guesses what an unknown key of a filter was meant to be from
// its value: a mapping of operators is a column's, any other non-empty
// mapping a relationship's.
func (v *validator) looksLike(x ynode) string {
	d := v.deref(x)
	if d.bad {
		return ""
	}
	if !isMapping(d) {
		return "column"
	}
	fields, _ := v.mapping(d, "", "")
	if len(fields) == 0 {
		return ""
	}
	for _, f := range fields {
		if _, _, ok := lookupOp(f.key); !ok {
			return "relationship"
		}
	}
	return "column"
}

func (v *validator) exists(f field, sc *scope, depth int) BoolExp {
	fields, ok := v.mapping(f.val, sc.ctx, f.key)
	if !ok {
		return nil
	}
	var tbl, where *field
	for i, e := range fields {
		switch e.key {
		case "_table":
			tbl = &fields[i]
		case "_where":
			where = &fields[i]
		default:
			v.errorf(e.keyPos, sc.ctx, "unknown key %q in %s (want _table and _where)", e.key, f.key)
			ok = false
		}
	}
	if tbl == nil || where == nil {
		v.errorf(f.keyPos, sc.ctx, "%s needs _table and _where", f.key)
		return nil
	}
	schema, name, p, good := v.qualified(tbl.val, sc.ctx, "_table")
	if !good {
		return nil
	}
	remote := v.tracked(schema, name, p, sc.ctx)
	if remote == nil || !ok {
		return nil
	}
	w := v.boolExp(where.val, remote, sc, depth+1, "_where")
	if w == nil {
		return nil
	}
	return &Exists{Pos: f.keyPos, Schema: schema, Table: name, Where: w}
}

// columnExp reads `column: {op: value, ...}` or `column: value` (_eq).
func (v *validator) columnExp(f field, cur *Table, col *introspect.Column, sc *scope) BoolExp {
	if isJSON(col.Type.Scalar()) {
		v.errorf(f.keyPos, sc.ctx, "column %q is of type json, which filters cannot use (jsonb can)", col.Name)
		return nil
	}
	d := v.resolve(f.val, false)
	if d.bad {
		return nil
	}
	c := &colRef{table: cur, col: col, typ: col.Type}
	if !isMapping(d) {
		return v.compare(c, OpEq, opGeneric, "_eq", d, f.keyPos, sc)
	}
	return v.operators(c, d, f.keyPos, sc)
}

// colRef is the left side of a comparison: a column, maybe cast.
type colRef struct {
	table *Table
	col   *introspect.Column
	typ   introspect.Type // the column's type, or the cast's
	cast  string
	// computed, when set, is the scalar computed field col stands for.
	computed *ComputedField
}

func (c *colRef) describe() string {
	if c.cast != "" {
		return fmt.Sprintf("column %q cast to %s", c.col.Name, c.cast)
	}
	return fmt.Sprintf("column %q (%s)", c.col.Name, typeName(c.typ))
}

// operators reads the mapping of operators of one column.
func (v *validator) operators(c *colRef, x ynode, p Pos, sc *scope) BoolExp {
	fields, ok := v.mapping(x, sc.ctx, "the comparison of column "+c.col.Name)
	if !ok {
		return nil
	}
	var exprs []BoolExp
	for _, f := range fields {
		op, kind, known := lookupOp(f.key)
		if !known {
			v.errorf(f.keyPos, sc.ctx, "unknown operator %q for %s", f.key, c.describe())
			ok = false
			continue
		}
		if !v.applies(c, kind, f, sc) {
			ok = false
			continue
		}
		var e BoolExp
		switch kind {
		case opColumn:
			e = v.compareColumns(c, op, f, sc)
		case opCast:
			e = v.cast(c, f, sc)
		default:
			e = v.compare(c, op, kind, f.key, v.resolve(f.val, false), f.keyPos, sc)
		}
		if e == nil {
			ok = false
			continue
		}
		exprs = append(exprs, e)
	}
	if !ok {
		return nil
	}
	if len(exprs) == 1 {
		return exprs[0]
	}
	return &And{Pos: p, Exprs: exprs}
}

// applies reports an operator used on a type it does not apply to.
func (v *validator) applies(c *colRef, kind opKind, f field, sc *scope) bool {
	st := c.typ.Scalar()
	var ok bool
	var needs string
	switch kind {
	case opString:
		ok, needs = isText(st), "a string type (text, varchar, char, citext)"
	case opContain:
		ok, needs = isJSONB(st) || st.Dims > 0, "jsonb or an array"
	case opHasKey, opHasKeys:
		ok, needs = isJSONB(st), "jsonb"
	case opCast:
		ok, needs = isJSONB(st) && c.cast == "", "jsonb"
	case opLTree, opLTrees:
		ok, needs = isLTree(st) && c.cast == "", "ltree"
	case opColumn:
		if c.computed != nil {
			v.errorf(f.keyPos, sc.ctx, "operator %q cannot compare computed field %q with a column", f.key, c.computed.Name)
			return false
		}
		if c.cast != "" {
			v.errorf(f.keyPos, sc.ctx, "operator %q cannot be used inside _cast", f.key)
			return false
		}
		return true
	default:
		return true
	}
	if !ok {
		v.errorf(f.keyPos, sc.ctx, "operator %q does not apply to %s: it needs %s", f.key, c.describe(), needs)
	}
	return ok
}

// compare reads the value of one operator.
func (v *validator) compare(c *colRef, op Op, kind opKind, spelt string, d ynode, p Pos, sc *scope) BoolExp {
	if d.bad {
		return nil
	}
	var val Value
	elem := c.typ
	what := fmt.Sprintf("%s on %s", spelt, c.describe())
	switch kind {
	case opIsNull:
		b, ok := d.n.(*ast.BoolNode)
		if !ok {
			v.typeError(d, sc.ctx, spelt, "true or false")
			return nil
		}
		val = &Literal{Pos: d.pos(), Value: b.Value}
	case opList:
		val = v.listValue(d, elem, sc.ctx, what)
	case opHasKey:
		val = v.value(d, textType, sc.ctx, what, false)
	case opHasKeys:
		val = v.listValue(d, textType, sc.ctx, what)
	case opContain:
		val = v.value(d, c.typ, sc.ctx, what, false)
	case opLTree:
		val = v.value(d, ltreeOperand(op, c.typ), sc.ctx, what, false)
	case opLTrees:
		val = v.listValue(d, ltreeOperand(op, c.typ), sc.ctx, what)
	default:
		val = v.value(d, c.typ, sc.ctx, what, false)
	}
	if val == nil {
		return nil
	}
	return &Compare{Pos: p, Column: c.col.Name, Type: c.col.Type, Cast: c.cast, Op: op, Value: val, Computed: c.computed}
}

// textType is the type a jsonb column is cast to, and of _has_key's keys.
var textType = introspect.Type{Schema: "pg_catalog", Name: "text", Kind: introspect.TypeBase, SQL: "text"}

// cast reads _cast: {String: {op: value}}, jsonb cast to text.
func (v *validator) cast(c *colRef, f field, sc *scope) BoolExp {
	fields, ok := v.mapping(f.val, sc.ctx, f.key)
	if !ok {
		return nil
	}
	var exprs []BoolExp
	for _, tf := range fields {
		if tf.key != "String" && tf.key != "text" {
			v.errorf(tf.keyPos, sc.ctx, "%s: column %q of type %s can only be cast to String, not %q", f.key, c.col.Name, typeName(c.typ), tf.key)
			ok = false
			continue
		}
		cc := &colRef{table: c.table, col: c.col, typ: textType, cast: "text", computed: c.computed}
		d := v.resolve(tf.val, false)
		if d.bad {
			ok = false
			continue
		}
		var e BoolExp
		if isMapping(d) {
			e = v.operators(cc, d, tf.keyPos, sc)
		} else {
			e = v.compare(cc, OpEq, opGeneric, "_eq", d, tf.keyPos, sc)
		}
		if e == nil {
			ok = false
			continue
		}
		exprs = append(exprs, e)
	}
	if !ok {
		return nil
	}
	if len(exprs) == 1 {
		return exprs[0]
	}
	return &And{Pos: f.keyPos, Exprs: exprs}
}

// compareColumns reads _ceq and friends: a column name of the current
// table, [name], or ["$", name] for the permission's table.
func (v *validator) compareColumns(c *colRef, op Op, f field, sc *scope) BoolExp {
	d := v.deref(f.val)
	if d.bad {
		return nil
	}
	target, root := c.table, false
	var name string
	var np Pos
	const want = `a column name or ["$", column]`
	switch {
	case isString(d):
		name, _ = v.str(d, sc.ctx, f.key)
		np = d.pos()
	case isList(d):
		items, _ := v.seq(d, sc.ctx, f.key)
		var parts []string
		for _, it := range items {
			s, ok := v.str(it, sc.ctx, "an item of "+f.key)
			if !ok {
				return nil
			}
			parts = append(parts, s)
			np = v.deref(it).pos()
		}
		switch {
		case len(parts) == 1:
			name = parts[0]
		case len(parts) == 2 && parts[0] == "$":
			name, target, root = parts[1], sc.root, true
		default:
			v.typeError(d, sc.ctx, f.key, want)
			return nil
		}
	default:
		v.typeError(d, sc.ctx, f.key, want)
		return nil
	}
	other := target.def.Column(name)
	if other == nil {
		v.errorf(np, sc.ctx, "column %q compared by %s is not in %s", name, f.key, target.QualifiedName())
		return nil
	}
	a, b := c.typ.Scalar(), other.Type.Scalar()
	if a.Schema != b.Schema || a.Name != b.Name || a.Dims != b.Dims {
		v.errorf(np, sc.ctx, "%s compares %s with column %q (%s): the types differ", f.key, c.describe(), name, typeName(other.Type))
		return nil
	}
	return &CompareColumns{Pos: f.keyPos, Column: c.col.Name, Op: op, Other: name, Root: root}
}

// sessionVar returns the lower-case name of the session variable s, or
// reports it malformed.
func (v *validator) sessionVar(s string, p Pos, ctx string) (string, bool) {
	name := strings.ToLower(s)
	rest := name[len("x-hasura-"):]
	ok := rest != ""
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		v.errorf(p, ctx, "session variable %s is malformed: \"x-hasura-\" must be followed by letters, digits, \"-\" or \"_\"", quoteShort(s))
		return "", false
	}
	return name, true
}

func isSessionVar(s string) bool {
	return len(s) >= len("x-hasura-") && strings.EqualFold(s[:len("x-hasura-")], "x-hasura-")
}

// value reads one value for type t: a session variable, or a literal that
// must suit t. what names it in messages.
func (v *validator) value(x ynode, t introspect.Type, ctx, what string, nullOK bool) Value {
	d := v.resolve(x, false)
	if d.bad {
		return nil
	}
	if s, ok := rawString(d); ok {
		if isSessionVar(s) {
			name, ok := v.sessionVar(s, d.pos(), ctx)
			if !ok {
				return nil
			}
			return &SessionVar{Pos: d.pos(), Name: name}
		}
	}
	lit, ok := v.literal(d, ctx, 0)
	if !ok {
		return nil
	}
	if lit == nil {
		if nullOK {
			return &Literal{Pos: d.pos()}
		}
		v.errorf(d.pos(), ctx, "%s cannot be null; use _is_null", what)
		return nil
	}
	if want := v.check(lit, t); want != "" {
		v.errorf(d.pos(), ctx, "%s must be %s, not %s", what, want, describeValue(lit))
		return nil
	}
	return &Literal{Pos: d.pos(), Value: lit}
}

// listValue reads the value of _in, _nin or _has_keys_*: a list of values
// of type elem, or a session variable holding a Postgres array literal.
func (v *validator) listValue(x ynode, elem introspect.Type, ctx, what string) Value {
	d := v.resolve(x, false)
	if d.bad {
		return nil
	}
	if s, ok := rawString(d); ok {
		if isSessionVar(s) {
			name, ok := v.sessionVar(s, d.pos(), ctx)
			if !ok {
				return nil
			}
			return &SessionVar{Pos: d.pos(), Name: name}
		}
	}
	if !isList(d) {
		v.typeError(d, ctx, what, "a list or a session variable")
		return nil
	}
	items, _ := v.seq(d, ctx, what)
	list := make([]any, 0, len(items))
	ok := true
	for _, it := range items {
		di := v.resolve(it, false)
		if s, ok := rawString(di); ok {
			if isSessionVar(s) {
				v.errorf(di.pos(), ctx, "%s: a session variable cannot be an item of a list; use one session variable for the whole list (a Postgres array literal such as \"{1,2}\")", what)
				ok = false
				continue
			}
		}
		val := v.value(di, elem, ctx, "an item of "+what, false)
		if val == nil {
			ok = false
			continue
		}
		list = append(list, val.(*Literal).Value)
	}
	if !ok {
		return nil
	}
	return &Literal{Pos: d.pos(), Value: list}
}
