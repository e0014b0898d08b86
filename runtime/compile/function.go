package compile

// Tracked SQL functions and computed fields. A function's root field is a
// select whose rows come from the function call instead of the table,
// under the role's select permission on the table:
//
//	SELECT coalesce(json_agg(...), '[]') FROM (SELECT ... FROM (
//	    SELECT "_2".* FROM "public"."search_articles"($1::text) AS "_2"
//	    WHERE (<role filter>) AND (<where>) LIMIT ...) AS "_1") AS "_0"
//
// A function exposed as a mutation runs once, in a CTE, and its rows are
// then selected the same way:
//
//	WITH "_0" AS (SELECT * FROM "public"."reset_widget"($1::int4))
//	SELECT true AS "ok", (<the rows of "_0">) AS "root"
//
// A computed field calls its function with the row, rebuilt as a value of
// the table's row type (ROW("_1"."id", ...)::"public"."author"), so that
// it works over any alias of the row: the base table, or a subquery that
// adds order keys. Arguments are bind parameters, positional while every
// earlier argument is given, by name after the first omitted one (as
// Hasura passes them); the session argument is the session variables as
// JSON.

import (
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
)

// codeNotSupported is Hasura's code for function arguments it cannot pass.
const codeNotSupported = "not-supported"

// addFunctions registers the root fields of the functions returning t's
// rows.
func (c *Compiler) addFunctions(t *catalog.Table) {
	for i := range t.Functions {
		fn := &t.Functions[i]
		if fn.Mutation {
			c.mutations[fn.Field] = mutRef{table: t, kind: mutFunction, fn: fn}
			continue
		}
		c.roots[fn.Field] = rootRef{table: t, kind: rootFunction, fn: fn}
		if fn.Aggregate != "" {
			c.roots[fn.Aggregate] = rootRef{table: t, kind: rootFunctionAggregate, fn: fn}
		}
	}
}

// functionRoot writes a query function's root field (or its aggregate).
func (c *compiler) functionRoot(ref rootRef, perm *catalog.SelectPermission, f *collected, path string) {
	t, fn := ref.table, ref.fn
	if !fn.Allows(c.role) {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'query_root'", f.field.Name)
		return
	}
	call := func() {
		c.w.Table(fn.SQL() + "()") // unknown to change hints: a live query polls
		c.callFunction(fn.SQL(), fn.Args, c.arg(f.field, "args"), nil, path+".args.args")
	}
	switch {
	case ref.kind == rootFunctionAggregate:
		c.from = call
		c.aggregate(t, perm, f, nil, path)
	case fn.Single:
		c.singleFunctionRow(t, perm, f, call, path)
	default:
		c.from = call
		c.list(t, perm, f, nil, path)
	}
}

// singleFunctionRow writes the row of a function that returns one row, or
// no row (null) when the role's filter hides it.
func (c *compiler) singleFunctionRow(t *catalog.Table, perm *catalog.SelectPermission, f *collected, from func(), path string) {
	c.from = from
	args := c.selectArgs(t, perm, f.field, path)
	a := c.w.Alias()
	c.w.Write(`SELECT `, a, `."root" FROM (`)
	c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
	c.w.Write(`) AS `, a)
}

// functionMutation writes a function exposed as a mutation: the call in a
// CTE (a VOLATILE function runs once), then its rows as a query of the
// table would select them.
func (c *compiler) functionMutation(ref mutRef, f *collected, path string) {
	t, fn := ref.table, ref.fn
	perm := t.SelectFor(c.role)
	if perm == nil || !fn.Allows(c.role) {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'mutation_root'", f.field.Name)
		return
	}
	w := c.w
	cte := w.Alias()
	w.Write("WITH ", cte, " AS (SELECT * FROM ")
	c.callFunction(fn.SQL(), fn.Args, c.arg(f.field, "args"), nil, path+".args.args")
	w.WriteString(`) SELECT true AS "ok", (`)
	if fn.Single {
		c.from = func() { w.WriteString(cte) }
		args := c.selectArgs(t, perm, f.field, path)
		a := w.Alias()
		w.Write(`SELECT `, a, `."root" FROM (`)
		c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
		w.Write(`) AS `, a)
	} else {
		c.from = func() { w.WriteString(cte) }
		c.list(t, perm, f, nil, path)
	}
	w.WriteString(`) AS "root"`)
}

// callFunction writes a call of the function sql with its arguments: the
// row (written by row), the session, and those the request gives in
// given (the args object).
func (c *compiler) callFunction(sql string, args []catalog.FunctionArg, given val, row func(), path string) {
	w := c.w
	present := map[string]val{}
	for _, f := range c.fields(given) {
		if !f.v.absent {
			present[f.name] = f.v
		}
	}
	w.Write(sql, "(")
	n, named := 0, false
	for _, a := range args {
		var write func()
		switch {
		case a.Row:
			write = row
		case a.Session:
			write = func() { w.Param(catalog.Param{SessionJSON: true}, a.Type) }
		default:
			v, ok := present[a.Field]
			if !ok {
				if !a.Default {
					c.fail(path, codeNotSupported, "Non default arguments cannot be omitted")
					return
				}
				// Later arguments go by name: Postgres fills the
				// omitted ones with their defaults.
				named = true
				continue
			}
			write = func() { w.Param(c.param(v, argEncoding(a.Type)), a.Type) }
		}
		if n > 0 {
			w.WriteString(", ")
		}
		n++
		if named {
			if a.Name == "" {
				c.fail(path, codeNotSupported, "Only last set of positional arguments can be omitted")
				return
			}
			w.Write(catalog.QuoteIdent(a.Name), " => ")
		}
		write()
	}
	w.WriteString(")")
}

// argEncoding is how a value of the SQL type typ is bound.
func argEncoding(typ string) catalog.Encoding {
	switch {
	case strings.HasSuffix(typ, "[]"):
		return catalog.EncodeArray
	case typ == "json" || typ == "jsonb":
		return catalog.EncodeJSON
	}
	return catalog.EncodeText
}

// rowValue writes the row of t at alias x as a value of t's row type.
func (c *compiler) rowValue(t *catalog.Table, x string) {
	w := c.w
	w.WriteString("ROW(")
	for i := range t.Columns {
		if i > 0 {
			w.WriteString(", ")
		}
		w.Write(x, ".", t.Columns[i].SQL())
	}
	w.Write(")::", t.SQL())
}

// computedCall writes a call of a computed field's function on the row of
// t at alias x.
func (c *compiler) computedCall(t *catalog.Table, cf *catalog.ComputedField, x string, given val, path string) {
	// The function may read any table: a live query over it always polls.
	c.w.Table(cf.SQL() + "()")
	c.callFunction(cf.SQL(), cf.Args, given, func() { c.rowValue(t, x) }, path)
}

// computedValue returns what writes a computed field of the row at alias
// b in a row's JSON: a scalar, or the array of a table computed field's
// rows under the role's select permission on that table.
func (c *compiler) computedValue(t *catalog.Table, perm *catalog.SelectPermission, cf *catalog.ComputedField, b string, f *collected, path string) func() {
	notFound := func() func() {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
		return nil
	}
	if cf.Returns == "" {
		if !perm.AllowsComputed(cf.Field) {
			return notFound()
		}
		return func() {
			c.computedCall(t, cf, b, c.arg(f.field, "args"), path+".args.args")
			if c.stringify && cf.BigNumber {
				c.w.WriteString("::text")
			}
		}
	}
	remote := cf.RemoteTable()
	rperm := remote.SelectFor(c.role)
	if rperm == nil {
		return notFound()
	}
	return func() {
		c.w.WriteString("(")
		c.from = func() {
			c.computedCall(t, cf, b, c.arg(f.field, "args"), path+".args.args")
		}
		c.list(remote, rperm, f, nil, path)
		c.w.WriteString(")")
	}
}

// computedFilter writes a computed field's condition in a bool_exp over the
// row alias x: a comparison of a scalar one, EXISTS over a table one's rows
// under the role's select permission.
func (c *compiler) computedFilter(t *catalog.Table, x string, cf *catalog.ComputedField, f field, path string) {
	w := c.w
	call := func() { c.computedCall(t, cf, x, val{absent: true}, path) }
	if cf.Returns == "" {
		col := &catalog.Column{Type: cf.Type, Array: strings.HasSuffix(cf.Type, "[]")}
		if cf.Type == "json" || cf.Type == "jsonb" {
			col.JSON = cf.Type
		}
		c.comparisons(call, cf.Type, col, f.v, path)
		return
	}
	remote := cf.RemoteTable()
	rperm := remote.SelectFor(c.role)
	if rperm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s_bool_exp'", f.name, t.Type)
		return
	}
	y := w.Alias()
	w.WriteString("EXISTS (SELECT 1 FROM ")
	call()
	w.Write(" AS ", y, " WHERE ")
	c.permFilter(rperm, y)
	w.WriteString(" AND ")
	c.boolExp(remote, y, f.v, path)
	w.WriteString(")")
}

// computedOrder returns the order key of a scalar computed field.
func (c *compiler) computedOrder(t *catalog.Table, cf *catalog.ComputedField, v val, path string, wrap func(func(string)) func(string)) (orderItem, bool) {
	dir, ok := orderDirections[v.enum()]
	if !ok || cf.Returns != "" {
		c.fail(path, wire.CodeValidationFailed, "unexpected value %q for enum: 'order_by'", v.enum())
		return orderItem{}, false
	}
	return orderItem{dir: dir, expr: wrap(func(y string) { c.computedCall(t, cf, y, val{absent: true}, path) })}, true
}

// aggregateComputed returns what writes an aggregate function fn over a
// scalar computed field of the rows at alias b, registered with ref.
func (c *compiler) aggregateComputed(t *catalog.Table, perm *catalog.SelectPermission, b, fn string, cf *catalog.ComputedField, f *collected, ref func(func()) func(), path string) func() {
	if cf.Returns != "" || !perm.AllowsComputed(cf.Field) || !aggregateFuncs[fn] {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, f.field.ObjectDefinition.Name)
		return nil
	}
	return ref(func() {
		c.w.Write(fn, "(")
		c.computedCall(t, cf, b, c.arg(f.field, "args"), path+".args.args")
		c.w.WriteString(")")
		if c.stringify && cf.BigNumber {
			c.w.WriteString("::text")
		}
	})
}
