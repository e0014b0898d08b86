package compile

// The Relay API (/v1beta1/relay), as Hasura v2 serves it: per table with a
// primary key, <t>_connection(first, last, before, after, where,
// order_by, distinct_on) and <rel>_connection on array relationships,
// node(id:), and the global id of every row.
//
// Global id: base64 of the JSON text of [1, schema, table, pk...] as
// Postgres's json_build_array writes it (Hasura's V1 node id, the one
// Hasura v2 emits). Cursor: base64 of json_build_object of the order_by
// values, keyed by column names (by relationship name, then column, for
// an order through an object relationship), the primary key appended to
// the order as Hasura appends it; without order_by the rows are in
// primary key order (Hasura leaves the order unspecified) and the cursor
// holds the primary key.
//
// A connection is one subquery (a statement for a root field). Hasura
// numbers every row of the table (row_number over the filtered, ordered
// rows), keeps those after (before) the cursor by its keyset condition
//
//	(o0 > v0) OR (o0 = v0 AND ((o1 > v1) OR (o1 = v1 AND ... false)))
//
// then the first (last) n, and sets hasPreviousPage (hasNextPage) when a
// numbered row comes before the page's first (after its last). Here,
// when the rows are the filtered rows (no distinct_on, no role limit),
// the same pages come from a keyset scan, read through an index on the
// order:
//
//	WITH "_c" AS (SELECT convert_from(decode($1, 'base64'), 'UTF8')::json AS "c"),   -- after/before
//	  "_p" AS (SELECT "_x".*, <order values> AS "__o0", ... FROM <table> AS "_x"
//	           WHERE <role filter> AND <where> AND <the keyset condition, values from "_c">
//	           ORDER BY <order> LIMIT <first>)                             -- last: the order reversed
//	SELECT json of {edges: the rows of "_p" in order,
//	  pageInfo: {hasNextPage: a row of the table (role filter, where) after the
//	             page's last row, its values scalar subqueries of "_p"; ...}} AS "root"
//
// and with distinct_on or a role limit, which apply to the rows before
// the cursor does, by Hasura's numbering (numberedPage). Only the page's
// rows are turned into JSON (Hasura builds every row's).

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// NodeIDVersion is the version of the global ids Hasura v2 emits.
const NodeIDVersion = 1

// relayRoots adds the Relay root fields of t: <t>_connection when t has a
// primary key, and node.
func relayRoots(roots map[string]rootRef, t *catalog.Table) {
	if len(t.PrimaryKey) == 0 {
		return
	}
	roots[t.Type+"_connection"] = rootRef{table: t, kind: rootConnection}
	roots["node"] = rootRef{kind: rootNode}
}

// typeMatches reports whether a fragment's type condition applies to an
// object of type typeName: the same type, or Node for a table (the
// schema's validation allows Node fragments only where they can apply).
func (c *compiler) typeMatches(cond, typeName string) bool {
	return cond == typeName || c.relay && cond == "Node"
}

// typename is the value of __typename for a field: its object type, or
// for a field selected on the Node interface the node's table type.
func (c *compiler) typename(f *ast.Field) string {
	if d := f.ObjectDefinition; d != nil && d.Kind == ast.Interface && c.nodeType != "" {
		return c.nodeType
	}
	return f.ObjectDefinition.Name
}

// isRel reports whether the field name of t is a relationship's, in the
// Relay schema <rel>_connection included.
func (c *compiler) isRel(t *catalog.Table, name string) bool {
	return isRel(t, name) || c.connectionRel(t, name) != nil
}

// connectionRel returns the array relationship behind <rel>_connection.
func (c *compiler) connectionRel(t *catalog.Table, name string) *catalog.Relationship {
	if !c.relay {
		return nil
	}
	base, ok := strings.CutSuffix(name, "_connection")
	if !ok {
		return nil
	}
	r := t.Relationship(base)
	if r == nil || !r.Array || len(r.RemoteTable().PrimaryKey) == 0 {
		return nil
	}
	return r
}

// connectionLateral writes the LEFT JOIN LATERAL of a <rel>_connection
// field of the row b, when f is one.
func (c *compiler) connectionLateral(t *catalog.Table, b string, f *collected, alias, path string) bool {
	rel := c.connectionRel(t, f.field.Name)
	if rel == nil {
		return false
	}
	remote := rel.RemoteTable()
	fpath := path + ".selectionSet." + f.alias
	rperm := remote.SelectFor(c.role)
	if rperm == nil {
		c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
		return true
	}
	c.w.WriteString(" LEFT JOIN LATERAL (")
	c.connection(remote, rperm, f, &join{parent: b, rel: rel}, fpath)
	c.w.Write(") AS ", alias, " ON true")
	return true
}

// isNodeID reports whether the field name of t is its global id.
func (c *compiler) isNodeID(t *catalog.Table, name string) bool {
	return c.relay && name == "id" && len(t.PrimaryKey) > 0
}

// nodeID writes the global id of the row x of t.
func (c *compiler) nodeID(t *catalog.Table, x string) {
	w := c.w
	w.Write("regexp_replace(encode(convert_to(json_build_array(", strconv.Itoa(NodeIDVersion), ", ",
		catalog.QuoteLiteral(t.Schema), "::text, ", catalog.QuoteLiteral(t.Name), "::text")
	for _, pk := range t.PrimaryKey {
		// The key's own value, even where an inherited role's cell
		// filter hides the column: the id names the row.
		w.Write(", ", x, ".", c.joinColumn(x, pk))
	}
	w.WriteString(")::text, 'UTF8'), 'base64'), '\\n', '', 'g')")
}

// decodedJSON writes the JSON value of a base64 text parameter.
func (c *compiler) decodedJSON(p catalog.Param) {
	c.w.WriteString("convert_from(decode(")
	c.w.Param(p, "text")
	c.w.WriteString(", 'base64'), 'UTF8')::json")
}

// connection writes a subquery (or statement) whose one row and column
// "root" is a <t>Connection object.
func (c *compiler) connection(t *catalog.Table, perm *catalog.SelectPermission, f *collected, j *join, path string) {
	w := c.w
	args := c.selectArgs(t, perm, f.field, path)
	args.order = c.relayOrder(t, args.order)
	first, last := c.arg(f.field, "first"), c.arg(f.field, "last")
	after, before := c.arg(f.field, "after"), c.arg(f.field, "before")
	if !first.isNull() && !last.isNull() {
		c.fail(path+".args", wire.CodeValidationFailed, `"first" and "last" are not allowed at once`)
	}
	if !after.isNull() && !before.isNull() {
		c.fail(path+".args", wire.CodeValidationFailed, `"after" and "before" are not allowed at once`)
	}
	for _, a := range []struct {
		name string
		v    val
	}{{"first", first}, {"last", last}} {
		if n, ok := a.v.literalInt(); ok && n < 0 {
			c.fail(path+".args."+a.name, wire.CodeValidationFailed, "unexpected negative value")
		}
	}
	cursor, split := after, ">"
	if !before.isNull() {
		cursor, split = before, "<"
	}
	if !cursor.isNull() {
		c.checkCursor(cursor, args.order, path+".args")
		order := args.order
		c.checkLater(cursor, func(cc *compiler, v val) { cc.checkCursor(v, order, path+".args") })
	}
	for _, a := range []struct {
		name string
		v    val
	}{{"first", first}, {"last", last}} {
		c.checkLater(a.v, func(cc *compiler, v val) {
			if n, ok := v.int(); ok && n < 0 {
				cc.fail(path+".args."+a.name, wire.CodeValidationFailed, "unexpected negative value")
			}
		})
	}
	if c.err != nil {
		return
	}
	cur := w.Alias()
	w.WriteString("WITH ")
	if !cursor.isNull() {
		w.Write(cur, ` AS (SELECT `)
		c.decodedJSON(c.param(cursor, catalog.EncodeText))
		w.WriteString(` AS "c"), `)
	}
	slice := first
	if !last.isNull() {
		slice = last
	}
	var cp *connPage
	if len(args.distinct) == 0 && perm.Limit == 0 {
		cp = c.keysetPage(t, perm, args, j, path, cur, cursor, split, slice, !last.isNull())
	} else {
		cp = c.numberedPage(t, perm, args, j, path, cur, cursor, split, slice, !last.isNull())
	}
	w.WriteString(" SELECT ")
	typeName := f.field.Definition.Type.Name()
	c.object(c.collect(f.sels, typeName), func(_ int, cf *collected) func() {
		fpath := path + ".selectionSet." + cf.alias
		switch cf.field.Name {
		case "edges":
			return func() { c.edges(t, perm, cf, cp, args.order, fpath) }
		case "pageInfo":
			return func() { c.pageInfo(cf, cp, args.order) }
		}
		c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", cf.field.Name, typeName)
		return nil
	})
	w.WriteString(` AS "root"`)
}

// connPage is how a connection's statement reaches its page: the CTE
// holding the page's rows (the table's columns and the order values
// "__o0", "__o1", ...), what orders them (forward, or reversed), and
// what computes hasNextPage and hasPreviousPage.
type connPage struct {
	page             string
	order            func(p string, reversed bool)
	hasNext, hasPrev func()
}

// keysetPage writes the page CTE of a connection by keyset: the rows
// after (before) the cursor in the table's own scan, in order, the first
// (last) n of them; a row before the page's first (after its last) is
// looked for with the same filters. It is exactly Hasura's numbering
// when the rows are the filtered rows (no distinct_on, no role limit,
// which numberedPage serves), and it reads an index on the order.
func (c *compiler) keysetPage(t *catalog.Table, perm *catalog.SelectPermission, args selectArgs, j *join, path, cur string, cursor val, split string, slice val, last bool) *connPage {
	w := c.w
	page := w.Alias()
	pargs := args
	pargs.limit = slice
	if last {
		pargs.order = reversedOrder(args.order)
	}
	if !cursor.isNull() {
		pargs.cond = func(x string) {
			c.keyset(args.order, func(i int) { args.order[i].expr(x) }, `(SELECT "c" FROM `+cur+`)`, split, 0)
		}
	}
	w.Write(page, " AS (")
	c.base(t, perm, pargs, j, path)
	w.WriteString(")")
	order := func(p string, reversed bool) {
		o := args.order
		if reversed {
			o = reversedOrder(o)
		}
		for i, item := range o {
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(p, `."__o`, strconv.Itoa(i), `" `, item.dir)
		}
	}
	// exists writes whether a row of the table (the role's filter, the
	// relationship's join, where) comes after (before) the page's last
	// (first) row, whose order values are scalar subqueries: computed
	// once, and an index on the order serves the comparison.
	exists := func(after bool) {
		y := w.Alias()
		bound := func(i int) {
			l := w.Alias()
			w.Write(`(SELECT `, l, `."__o`, strconv.Itoa(i), `" FROM `, page, " AS ", l, " ORDER BY ")
			order(l, after) // the last row for after, the first for before
			w.WriteString(" LIMIT 1)")
		}
		w.Write("(EXISTS (SELECT 1 FROM ", page, ") AND coalesce((SELECT true FROM ")
		c.source(t, perm, w.Table(t.SQL()), y)
		w.WriteString(" WHERE ")
		c.rowFilter(perm, y)
		if j != nil {
			w.WriteString(" AND ")
			c.writeJoin(j, y)
		}
		if !args.where.isNull() {
			w.WriteString(" AND ")
			c.boolExp(t, y, args.where, path+".args.where")
		}
		w.WriteString(" AND ")
		c.follows(t, args.order, y, bound, after, 0)
		// In order from the page on, so that the scan starts there
		// (an index on the order), not at the table's start: a scalar
		// subquery, as Postgres drops ORDER BY and LIMIT from EXISTS.
		o := args.order
		if !after {
			o = reversedOrder(o)
		}
		for i, item := range o {
			if i == 0 {
				w.WriteString(" ORDER BY ")
			} else {
				w.WriteString(", ")
			}
			item.expr(y)
			w.Write(" ", item.dir)
		}
		w.WriteString(" LIMIT 1), false))")
	}
	return &connPage{page: page, order: order,
		hasNext: func() { exists(true) },
		hasPrev: func() { exists(false) }}
}

// numberedPage writes the CTEs of a connection as Hasura does: every row
// numbered in order, then the rows after (before) the cursor, the first
// (last) n of them. distinct_on and a role's limit apply to all the rows
// before the cursor does, so keysetPage cannot serve them.
func (c *compiler) numberedPage(t *catalog.Table, perm *catalog.SelectPermission, args selectArgs, j *join, path, cur string, cursor val, split string, slice val, last bool) *connPage {
	w := c.w
	base, page, x := w.Alias(), w.Alias(), w.Alias()
	w.Write(base, " AS (SELECT ", x, `.*, row_number() OVER (`)
	for i, o := range args.order {
		if i == 0 {
			w.WriteString("ORDER BY ")
		} else {
			w.WriteString(", ")
		}
		w.Write(x, `."__o`, strconv.Itoa(i), `" `, o.dir)
	}
	w.WriteString(`) AS "__rn" FROM (`)
	c.base(t, perm, args, j, path)
	w.Write(") AS ", x, "), ")
	b := w.Alias()
	w.Write(page, " AS (")
	if last {
		w.WriteString("SELECT * FROM (")
	}
	w.Write("SELECT ", b, ".* FROM ", base, " AS ", b)
	if !cursor.isNull() {
		w.Write(", ", cur, " WHERE ")
		c.keyset(args.order, func(i int) { w.Write(b, `."__o`, strconv.Itoa(i), `"`) }, cur+`."c"`, split, 0)
	}
	if !slice.isNull() {
		w.Write(" ORDER BY ", b, `."__rn"`)
		if last {
			w.WriteString(" DESC")
		}
		w.WriteString(" LIMIT ")
		w.Param(c.param(slice, catalog.EncodeText), "int8")
	}
	if last {
		w.Write(") AS ", w.Alias())
	}
	w.WriteString(")")
	exists := func(op, agg string) {
		w.Write(`EXISTS (SELECT 1 FROM `, base, ` WHERE "__rn" `, op, ` (SELECT `, agg, `("__rn") FROM `, page, "))")
	}
	return &connPage{page: page,
		order: func(p string, reversed bool) {
			w.Write(p, `."__rn"`)
			if reversed {
				w.WriteString(" DESC")
			}
		},
		hasNext: func() { exists(">", "max") },
		hasPrev: func() { exists("<", "min") }}
}

// reversedOrder is order with every direction reversed, nulls included.
func reversedOrder(order []orderItem) []orderItem {
	rev := map[string]string{
		"ASC NULLS LAST": "DESC NULLS FIRST", "ASC NULLS FIRST": "DESC NULLS LAST",
		"DESC NULLS FIRST": "ASC NULLS LAST", "DESC NULLS LAST": "ASC NULLS FIRST",
	}
	out := make([]orderItem, len(order))
	for i, o := range order {
		o.dir = rev[o.dir]
		out[i] = o
	}
	return out
}

// follows writes whether the row y comes strictly after (or, after
// false, before) the page row whose order values bound(i) writes, from
// item i on, nulls placed as the order places them:
//
//	(y_i beyond l_i) OR ((y_i IS NOT DISTINCT FROM l_i) AND <the same from i+1>), false past the last
//
// A primary key column is never null: its comparison is plain, so that
// an index on it serves.
func (c *compiler) follows(t *catalog.Table, order []orderItem, y string, bound func(i int), after bool, i int) {
	w := c.w
	if i == len(order) {
		w.WriteString("false")
		return
	}
	o := order[i]
	yv := func() { o.expr(y) }
	lv := func() { bound(i) }
	// a beyond b: a after b when after, else a before b (b after a).
	first, second := yv, lv
	if !after {
		first, second = lv, yv
	}
	desc := strings.HasPrefix(o.dir, "DESC")
	nullsLast := strings.HasSuffix(o.dir, "NULLS LAST")
	cmp := ">"
	if desc {
		cmp = "<"
	}
	w.WriteString("((")
	switch {
	case o.col != "" && isPrimaryKey(t, o.col):
		first()
		w.Write(" ", cmp, " ")
		second()
	case nullsLast:
		// first after second: second is not null, and first is null
		// or beyond it.
		second()
		w.WriteString(" IS NOT NULL AND (")
		first()
		w.WriteString(" IS NULL OR ")
		first()
		w.Write(" ", cmp, " ")
		second()
		w.WriteString(")")
	default:
		first()
		w.WriteString(" IS NOT NULL AND (")
		second()
		w.WriteString(" IS NULL OR ")
		first()
		w.Write(" ", cmp, " ")
		second()
		w.WriteString(")")
	}
	w.WriteString(") OR ((")
	yv()
	w.WriteString(" IS NOT DISTINCT FROM ")
	lv()
	w.WriteString(") AND ")
	c.follows(t, order, y, bound, after, i+1)
	w.WriteString("))")
}

func isPrimaryKey(t *catalog.Table, col string) bool {
	for _, pk := range t.PrimaryKey {
		if pk == col {
			return true
		}
	}
	return false
}

// relayOrder is a connection's order: order_by with the primary key
// columns it lacks appended (Hasura's appendPrimaryKeyOrderBy), or the
// primary key.
func (c *compiler) relayOrder(t *catalog.Table, order []orderItem) []orderItem {
	named := map[string]bool{}
	for _, o := range order {
		if o.col != "" {
			named[o.col] = true
		}
	}
	for _, pk := range t.PrimaryKey {
		if named[pk] {
			continue
		}
		col := t.ColumnByName(pk)
		w := c.w
		order = append(order, orderItem{dir: orderDirections["asc"], col: pk, key: []string{pk}, typ: col.Type,
			expr: func(x string) { w.Write(x, ".", col.SQL()) }})
	}
	return order
}

// keyset writes Hasura's split condition from item i on: the row whose
// order values ord(i) writes comes after (op ">") or before ("<") the
// cursor's values in the order.
//
//	(o_i OP v_i) OR ((o_i = v_i) AND <the same from i+1>), false past the last
func (c *compiler) keyset(order []orderItem, ord func(i int), cursor, op string, i int) {
	w := c.w
	if i == len(order) {
		w.WriteString("false")
		return
	}
	o := order[i]
	cmp := op
	if strings.HasPrefix(o.dir, "DESC") {
		cmp = map[string]string{">": "<", "<": ">"}[op]
	}
	value := func() {
		w.Write("(", cursor, " #>> ARRAY[")
		for k, key := range o.key {
			if k > 0 {
				w.WriteString(", ")
			}
			w.WriteString(catalog.QuoteLiteral(key))
		}
		w.Write("]::text[])::", o.typ)
	}
	w.WriteString("((")
	ord(i)
	w.Write(" ", cmp, " ")
	value()
	w.WriteString(") OR ((")
	ord(i)
	w.WriteString(" = ")
	value()
	w.WriteString(") AND ")
	c.keyset(order, ord, cursor, op, i+1)
	w.WriteString("))")
}

// cursorExpr writes the cursor of the page row p: base64 of the JSON
// object of its order values.
func (c *compiler) cursorExpr(order []orderItem, p string) {
	w := c.w
	w.WriteString("regexp_replace(encode(convert_to(")
	c.cursorObject(order, p, nil)
	w.WriteString("::text, 'UTF8'), 'base64'), '\\n', '', 'g')")
}

// cursorObject writes json_build_object of the order items whose key
// starts with prefix, nested by key.
func (c *compiler) cursorObject(order []orderItem, p string, prefix []string) {
	w := c.w
	w.WriteString("json_build_object(")
	done := map[string]bool{}
	n := 0
	for i, o := range order {
		if !hasPrefix(o.key, prefix) || len(o.key) <= len(prefix) {
			continue
		}
		k := o.key[len(prefix)]
		if done[k] {
			continue
		}
		done[k] = true
		if n > 0 {
			w.WriteString(", ")
		}
		n++
		w.Write(catalog.QuoteLiteral(k), "::text, ")
		if len(o.key) == len(prefix)+1 {
			w.Write(p, `."__o`, strconv.Itoa(i), `"`)
		} else {
			c.cursorObject(order, p, append(append([]string(nil), prefix...), k))
		}
	}
	w.WriteString(")")
}

func hasPrefix(key, prefix []string) bool {
	if len(key) < len(prefix) {
		return false
	}
	for i := range prefix {
		if key[i] != prefix[i] {
			return false
		}
	}
	return true
}

// edges writes the JSON array of a connection's edges: its page's rows in
// order.
func (c *compiler) edges(t *catalog.Table, perm *catalog.SelectPermission, f *collected, cp *connPage, order []orderItem, path string) {
	w := c.w
	p := w.Alias()
	typeName := f.field.Definition.Type.Name()
	fields := c.collect(f.sels, typeName)
	// A node is a row level over p (its joins and laterals written
	// after p), its JSON a lateral row Postgres inlines, as in rows.
	type nodeSel struct {
		r rowLevel
		e string
	}
	c.markRedacted(perm, p)
	once := c.takeOnce()
	nodes := make([]*nodeSel, len(fields))
	for i, ef := range fields {
		if ef.field.Name != "node" {
			continue
		}
		ns := &nodeSel{r: c.rowLevel(t, perm, p, c.collect(ef.sels, t.Type), once, path+".selectionSet."+ef.alias)}
		if lateralObject(ns.r.keys) {
			ns.e = w.Alias()
		}
		nodes[i] = ns
	}
	w.WriteString("(SELECT coalesce(json_agg(")
	c.object(fields, func(i int, ef *collected) func() {
		switch ef.field.Name {
		case "cursor":
			return func() { c.cursorExpr(order, p) }
		case "node":
			return func() {
				if ns := nodes[i]; ns.e != "" {
					w.Write("row_to_json(", ns.e, ")")
				} else {
					c.jsonObject(ns.r.keys, ns.r.vals)
				}
			}
		}
		c.fail(path+".selectionSet."+ef.alias, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", ef.field.Name, typeName)
		return nil
	})
	w.WriteString(" ORDER BY ")
	cp.order(p, false)
	w.Write("), '[]') FROM ", cp.page, " AS ", p)
	for _, ns := range nodes {
		if ns == nil {
			continue
		}
		ns.r.from()
		if ns.e != "" {
			w.WriteString(" CROSS JOIN LATERAL (SELECT ")
			c.columnsAs(ns.r.keys, ns.r.vals)
			w.Write(") AS ", ns.e)
		}
	}
	w.WriteString(")")
}

// pageInfo writes a connection's PageInfo object.
func (c *compiler) pageInfo(f *collected, cp *connPage, order []orderItem) {
	w := c.w
	c.object(c.collect(f.sels, "PageInfo"), func(_ int, pf *collected) func() {
		switch pf.field.Name {
		case "hasNextPage":
			return cp.hasNext
		case "hasPreviousPage":
			return cp.hasPrev
		case "startCursor", "endCursor":
			return func() {
				p := w.Alias()
				w.WriteString("(SELECT ")
				c.cursorExpr(order, p)
				w.Write(" FROM ", cp.page, " AS ", p, " ORDER BY ")
				cp.order(p, pf.field.Name == "endCursor")
				w.WriteString(" LIMIT 1)")
			}
		}
		return nil
	})
}

// checkLater adds to the plan a check of a value from a variable, run on
// every request the plan serves: check reports with cc.fail on a
// compiler of its own (requests run concurrently). Values written in the
// query are checked when compiling only.
func (c *compiler) checkLater(v val, check func(cc *compiler, v val)) {
	if !v.fromVar || len(v.path) > 0 {
		return
	}
	name := v.name
	c.checks = append(c.checks, func(vars map[string]any) error {
		x, ok := vars[name]
		if !ok || x == nil {
			return nil
		}
		cc := &compiler{}
		check(cc, val{fromVar: true, json: x, name: name})
		if cc.err != nil {
			return cc.err
		}
		return nil
	})
}

// checkCursor checks an after or before cursor known when compiling (a
// literal, or this request's variable): base64 of a JSON object holding
// a value for every order item. Hasura refuses others with this error.
func (c *compiler) checkCursor(v val, order []orderItem, path string) {
	var s string
	switch {
	case v.fromVar:
		s, _ = v.json.(string)
	case v.lit != nil:
		s = v.lit.Raw
	}
	obj, err := decodeBase64JSON(s)
	m, ok := obj.(map[string]any)
	if err != nil || !ok {
		c.fail(path, wire.CodeValidationFailed, `the "after" or "before" cursor is invalid`)
		return
	}
	for _, o := range order {
		var at any = m
		for _, k := range o.key {
			mm, ok := at.(map[string]any)
			if !ok {
				at = nil
				break
			}
			if at, ok = mm[k]; !ok {
				c.fail(path, wire.CodeValidationFailed, `the "after" or "before" cursor is invalid`)
				return
			}
		}
	}
}

// decodeBase64JSON decodes base64 (padded or not, newlines ignored) JSON.
func decodeBase64JSON(s string) (any, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, err
		}
	}
	var out any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// NodeTable returns the schema and table a global id names, and how many
// primary key values it holds; ok is false when it is no global id.
// The engine puts them in a request's variable shape: the statement of
// node(id: $id) depends on the table.
func NodeTable(id string) (schema, table string, values int, ok bool) {
	v, err := decodeBase64JSON(id)
	if err != nil {
		return "", "", 0, false
	}
	a, isArray := v.([]any)
	if !isArray || len(a) < 4 || a[0] != json.Number(strconv.Itoa(NodeIDVersion)) {
		return "", "", 0, false
	}
	schema, ok1 := a[1].(string)
	table, ok2 := a[2].(string)
	if !ok1 || !ok2 {
		return "", "", 0, false
	}
	return schema, table, len(a) - 3, true
}

// node writes the statement of node(id:): the row of the table the id
// names, under the role's select permission, or no row.
func (c *compiler) node(f *collected, path string) {
	idPath := path + ".args.id"
	v := c.arg(f.field, "id")
	var id string
	switch {
	case v.fromVar:
		id, _ = v.json.(string)
	case v.lit != nil:
		id = v.lit.Raw
	}
	t, err := c.nodeTable(id)
	if err != "" {
		c.fail(idPath, wire.CodeValidationFailed, "invalid node id: %s", err)
		return
	}
	perm := t.SelectFor(c.role)
	p := c.param(v, catalog.EncodeText)
	args := selectArgs{cond: func(x string) {
		for i, pk := range t.PrimaryKey {
			col := t.ColumnByName(pk)
			if i > 0 {
				c.w.WriteString(" AND ")
			}
			c.w.Write("(", x, ".", col.SQL(), " = (")
			c.decodedJSON(p)
			c.w.Write(" ->> ", strconv.Itoa(i+3), ")::", col.Type, ")")
		}
	}}
	saved := c.nodeType
	c.nodeType = t.Type
	defer func() { c.nodeType = saved }()
	c.w.WriteString(`SELECT "_r"."root" FROM (`)
	c.rows(t, perm, f.sels, t.Type, args, nil, path)
	c.w.WriteString(`) AS "_r"`)
}

// nodeTable returns the table a global id names, if the role may select
// from it, or Hasura's reason why not.
func (c *compiler) nodeTable(id string) (*catalog.Table, string) {
	v, err := decodeBase64JSON(id)
	if err != nil {
		return nil, "the id is not base64-encoded JSON"
	}
	a, ok := v.([]any)
	if !ok {
		return nil, "unexpected GUID format, expecting a list"
	}
	if len(a) == 0 {
		return nil, "unexpected GUID format, found empty list"
	}
	if n, ok := a[0].(json.Number); !ok {
		return nil, "unexpected GUID format, needs to start with a version number"
	} else if n != json.Number(strconv.Itoa(NodeIDVersion)) {
		return nil, "unsupported GUID version: " + string(n)
	}
	if len(a) < 4 {
		return nil, "GUID version 1: expecting schema name, table name and at least one column value"
	}
	schema, ok1 := a[1].(string)
	name, ok2 := a[2].(string)
	if !ok1 || !ok2 {
		return nil, "GUID version 1: expecting schema name, table name and at least one column value"
	}
	t := c.s.Table(schema, name)
	if t == nil || len(t.PrimaryKey) == 0 || t.SelectFor(c.role) == nil {
		return nil, fmt.Sprintf("no such table found: %q", schema+"."+name)
	}
	if got := len(a) - 3; got < len(t.PrimaryKey) {
		return nil, fmt.Sprintf("primary key columns %q are missing", t.PrimaryKey[got:])
	} else if got > len(t.PrimaryKey) {
		extra, _ := json.Marshal(a[3+len(t.PrimaryKey):])
		return nil, "unexpected column values " + string(extra)
	}
	return t, ""
}

// appendKeyPath returns key with more appended, key unchanged.
func appendKeyPath(key []string, more ...string) []string {
	return append(append(make([]string, 0, len(key)+len(more)), key...), more...)
}

// aggregateType is the SQL type of an aggregate order value: the column's
// for sum, max and min, numeric for the statistics.
func aggregateType(fn string, col *catalog.Column) string {
	switch fn {
	case "sum", "max", "min":
		return col.Type
	}
	return "numeric"
}
