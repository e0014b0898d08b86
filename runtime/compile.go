package runtime

// The query compiler: one root field of a validated operation becomes one
// SQL statement that returns the field's whole JSON value. The statement's
// shape:
//
//	SELECT coalesce(json_agg("_1"."root" ORDER BY "_1"."__o0" ASC NULLS LAST), '[]')
//	FROM (SELECT json_build_object('id', "_0"."id", 'artist', "_2"."root") AS "root", "_0"."__o0"
//	      FROM (SELECT "_3".*, "_3"."title" AS "__o0" FROM "public"."albums" AS "_3"
//	            WHERE (<role filter>) AND (<where>) ORDER BY "__o0" ASC NULLS LAST LIMIT $1::int8) AS "_0"
//	      LEFT JOIN LATERAL (<the artist row, its role filter applied>) AS "_2" ON true) AS "_1"
//
// The role's filter is in the WHERE of every table the statement reads:
// relationships, aggregates, relationship filters and order_by subqueries.
// Values from the request are parameters (Writer.Param); identifiers are
// quoted; nothing from a request is spliced into the text.

import (
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

type compiler struct {
	s         *Schema
	role      string
	doc       *ast.QueryDocument
	vars      map[string]any
	w         *Writer
	stringify bool
	err       *Error
	// orderRoot is the table whose plain columns an order_by key may name
	// for distinct_on matching.
	orderRoot *Table
}

func (c *compiler) fail(path, code, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Path: path, Code: code, Message: fmt.Sprintf(format, args...)}
	}
}

// collected is a response key with the fields merged under it.
type collected struct {
	alias string
	field *ast.Field
	sels  ast.SelectionSet
}

// collect returns the fields of a selection set in response order,
// following fragments and @skip/@include, merging same-key fields.
func (c *compiler) collect(set ast.SelectionSet, typeName string) []*collected {
	var out []*collected
	seen := map[string]*collected{}
	visited := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !c.include(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if got := seen[key]; got != nil {
					got.sels = append(got.sels, s.SelectionSet...)
					continue
				}
				col := &collected{alias: key, field: s, sels: append(ast.SelectionSet(nil), s.SelectionSet...)}
				seen[key] = col
				out = append(out, col)
			case *ast.InlineFragment:
				if !c.include(s.Directives) || (s.TypeCondition != "" && s.TypeCondition != typeName) {
					continue
				}
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if visited[s.Name] || !c.include(s.Directives) {
					continue
				}
				visited[s.Name] = true
				frag := c.doc.Fragments.ForName(s.Name)
				if frag == nil || (frag.TypeCondition != "" && frag.TypeCondition != typeName) {
					continue
				}
				walk(frag.SelectionSet)
			}
		}
	}
	walk(set)
	return out
}

// include evaluates @skip and @include.
func (c *compiler) include(ds ast.DirectiveList) bool {
	for _, d := range ds {
		switch d.Name {
		case "skip":
			if c.value(d.Arguments.ForName("if").Value).boolean() {
				return false
			}
		case "include":
			if !c.value(d.Arguments.ForName("if").Value).boolean() {
				return false
			}
		}
	}
	return true
}

// rootKind is what a database-backed root field does.
type rootKind uint8

const (
	rootSelect rootKind = iota + 1
	rootByPk
	rootAggregate
	rootStream
)

type rootRef struct {
	table *Table
	kind  rootKind
}

// compileRoot writes the statement of a query or subscription root field.
func (c *compiler) compileRoot(ref rootRef, f *collected) {
	t := ref.table
	perm := t.SelectFor(c.role)
	path := "$.selectionSet." + f.alias
	if perm == nil {
		c.fail(path, CodeValidationFailed, "field '%s' not found in type: 'query_root'", f.field.Name)
		return
	}
	switch ref.kind {
	case rootSelect:
		c.list(t, perm, f, nil, path)
	case rootByPk:
		args := selectArgs{}
		for _, pk := range t.PrimaryKey {
			col := t.byName[pk]
			v := c.arg(f.field, col.Field)
			args.pk = append(args.pk, pkValue{col, v})
		}
		c.w.WriteString(`SELECT "_r"."root" FROM (`)
		c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
		c.w.WriteString(`) AS "_r"`)
	case rootAggregate:
		c.aggregate(t, perm, f, nil, path)
	}
}

// join is the condition that ties a relationship's rows to the parent row.
type join struct {
	parent string // alias of the parent row
	rel    *Relationship
}

func (c *compiler) writeJoin(j *join, x string) {
	for i, p := range j.rel.Mapping {
		if i > 0 {
			c.w.WriteString(" AND ")
		}
		c.w.Write("(", x, ".", QuoteIdent(p.Remote), " = ", j.parent, ".", QuoteIdent(p.Local), ")")
	}
}

type pkValue struct {
	col *Column
	v   val
}

// selectArgs are the arguments of a select: where, order_by, distinct_on,
// limit, offset, and for _by_pk the key.
type selectArgs struct {
	where      val
	order      []orderItem
	distinct   []*Column
	limit      val
	offset     val
	pk         []pkValue
	forceLimit int // object relationships: 1
	// Streams (stream.go): cond adds a condition on the base row x to
	// the WHERE, and ties limits with FETCH FIRST ... WITH TIES.
	cond func(x string)
	ties bool
	// source, when set, is read instead of the table: a mutation's rows.
	source string
}

func (c *compiler) selectArgs(t *Table, perm *SelectPermission, f *ast.Field, path string) selectArgs {
	a := selectArgs{
		where:  c.arg(f, "where"),
		limit:  c.arg(f, "limit"),
		offset: c.arg(f, "offset"),
	}
	c.orderRoot = t
	a.order = c.orderBy(t, perm, c.arg(f, "order_by"), path+".args.order_by")
	for _, d := range c.items(c.arg(f, "distinct_on")) {
		col := t.Column(d.enum())
		if col == nil {
			c.fail(path+".args.distinct_on", CodeValidationFailed, "unexpected value %q for enum: '%s_select_column'", d.enum(), t.Type)
			continue
		}
		a.distinct = append(a.distinct, col)
	}
	if len(a.distinct) > 0 && len(a.order) > 0 {
		ok := len(a.order) >= len(a.distinct)
		if ok {
			want := map[string]bool{}
			for _, d := range a.distinct {
				want[d.Name] = true
			}
			for _, o := range a.order[:len(a.distinct)] {
				if o.col == "" || !want[o.col] {
					ok = false
				}
				delete(want, o.col)
			}
		}
		if !ok {
			c.fail(path+".args", CodeValidationFailed, `"distinct_on" columns must match initial "order_by" columns`)
		}
	}
	if n, ok := a.limit.literalInt(); ok && n < 0 {
		c.fail(path+".args.limit", CodeValidationFailed, "unexpected negative value")
	}
	return a
}

func (v val) literalInt() (int64, bool) {
	if v.absent || v.fromVar || v.lit == nil || v.lit.Kind != ast.IntValue {
		return 0, false
	}
	return v.int()
}

// list writes a statement (or subquery) whose one row and column "root" is
// the JSON array of the selected rows.
func (c *compiler) list(t *Table, perm *SelectPermission, f *collected, j *join, path string) {
	args := c.selectArgs(t, perm, f.field, path)
	w := c.w
	a := w.Alias()
	w.Write(`SELECT coalesce(json_agg(`, a, `."root"`)
	c.writeAggOrder(a, args.order)
	w.WriteString(`), '[]') AS "root" FROM (`)
	c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, j, path)
	w.Write(`) AS `, a)
}

func (c *compiler) writeAggOrder(a string, order []orderItem) {
	for i, o := range order {
		if i == 0 {
			c.w.WriteString(" ORDER BY ")
		} else {
			c.w.WriteString(", ")
		}
		c.w.Write(a, `."__o`, strconv.Itoa(i), `" `, o.dir)
	}
}

// rows writes a subquery with one row per selected row of t: its JSON as
// "root", then its order keys "__o0", "__o1", ...
func (c *compiler) rows(t *Table, perm *SelectPermission, sels ast.SelectionSet, typeName string, args selectArgs, j *join, path string) {
	w := c.w
	b := w.Alias()
	fields := c.collect(sels, typeName)
	laterals := make([]string, len(fields))
	for i, f := range fields {
		if t.relFields[f.field.Name].rel != nil {
			laterals[i] = w.Alias()
		}
	}
	w.WriteString("SELECT ")
	c.rowJSON(t, perm, b, fields, laterals, path)
	w.WriteString(` AS "root"`)
	for i := range args.order {
		w.Write(", ", b, `."__o`, strconv.Itoa(i), `"`)
	}
	w.WriteString(" FROM (")
	c.base(t, perm, args, j, path)
	w.Write(") AS ", b)
	c.laterals(t, b, fields, laterals, path)
}

// laterals writes the LEFT JOIN LATERAL subqueries of the relationship
// fields of a row.
func (c *compiler) laterals(t *Table, b string, fields []*collected, laterals []string, path string) {
	w := c.w
	for i, f := range fields {
		if laterals[i] == "" {
			continue
		}
		rf := t.relFields[f.field.Name]
		rel := rf.rel
		remote := rel.remote
		rperm := remote.SelectFor(c.role)
		fpath := path + ".selectionSet." + f.alias
		if rperm == nil {
			c.fail(fpath, CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
			return
		}
		j := &join{parent: b, rel: rel}
		w.WriteString(" LEFT JOIN LATERAL (")
		switch {
		case !rel.Array:
			a := w.Alias()
			w.Write(`SELECT `, a, `."root" FROM (`)
			c.rows(remote, rperm, f.sels, f.field.Definition.Type.Name(), selectArgs{forceLimit: 1}, j, fpath)
			w.Write(`) AS `, a)
		case rf.aggregate:
			c.aggregate(remote, rperm, f, j, fpath)
		default:
			c.list(remote, rperm, f, j, fpath)
		}
		w.Write(") AS ", laterals[i], " ON true")
	}
}

// rowJSON writes the JSON object of one row over alias b.
func (c *compiler) rowJSON(t *Table, perm *SelectPermission, b string, fields []*collected, laterals []string, path string) {
	keys := make([]string, len(fields))
	vals := make([]func(), len(fields))
	for i, f := range fields {
		keys[i] = f.alias
		f := f
		i := i
		switch {
		case f.field.Name == "__typename":
			vals[i] = func() { c.w.WriteString(QuoteLiteral(f.field.ObjectDefinition.Name)) }
		case laterals[i] != "":
			vals[i] = func() { c.w.Write(laterals[i], `."root"`) }
		default:
			col := t.Column(f.field.Name)
			if col == nil || !perm.Allows(col.Name) {
				c.fail(path+".selectionSet."+f.alias, CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
				vals[i] = func() { c.w.WriteString("NULL") }
				continue
			}
			fpath := path + ".selectionSet." + f.alias
			vals[i] = func() { c.columnValue(col, b, f.field, fpath) }
		}
	}
	c.jsonObject(keys, vals)
}

// columnValue writes a column as it appears in the response: stringified
// when the server stringifies big numbers, a JSON path applied for json
// columns.
func (c *compiler) columnValue(col *Column, b string, f *ast.Field, path string) {
	w := c.w
	if col.JSON != "" {
		if p := c.arg(f, "path"); !p.isNull() {
			if !p.fromVar {
				if _, err := jsonPathKeys(scalarText(p.lit)); err != nil {
					c.fail(path+".args.path", CodeValidationFailed, "%s", err.Error())
				}
			}
			w.Write("(", b, ".", col.sql, " #> ")
			w.Param(c.param(p, EncodeJSONPath), "text[]")
			w.WriteString(")")
			return
		}
	}
	w.Write(b, ".", col.sql)
	if c.stringify && col.BigNumber {
		w.WriteString("::text")
	}
}

// jsonObject writes a JSON object with keys in order, as row_to_json over
// a sub-select: it keeps the order, has no argument limit (unlike
// json_build_object's 100) and writes compact JSON.
func (c *compiler) jsonObject(keys []string, vals []func()) {
	w := c.w
	if len(keys) == 0 {
		w.WriteString("'{}'::json")
		return
	}
	e := w.Alias()
	w.Write("(SELECT row_to_json(", e, ") FROM (SELECT ")
	for i, k := range keys {
		if i > 0 {
			w.WriteString(", ")
		}
		vals[i]()
		w.Write(" AS ", QuoteIdent(k))
	}
	w.Write(") AS ", e, ")")
}

// base writes the innermost select of a table: the role's filter, where,
// order, distinct, limit and offset, and the order keys as "__o<n>".
func (c *compiler) base(t *Table, perm *SelectPermission, args selectArgs, j *join, path string) {
	w := c.w
	x := w.Alias()
	w.WriteString("SELECT ")
	if len(args.distinct) > 0 {
		w.WriteString("DISTINCT ON (")
		for i, d := range args.distinct {
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(x, ".", d.sql)
		}
		w.WriteString(") ")
	}
	w.Write(x, ".*")
	for i, o := range args.order {
		w.WriteString(", ")
		o.expr(x)
		w.Write(` AS "__o`, strconv.Itoa(i), `"`)
	}
	from := args.source
	if from == "" {
		from = w.Table(t.sql)
	}
	w.Write(" FROM ", from, " AS ", x, " WHERE ")
	c.permFilter(perm, x)
	if j != nil {
		w.WriteString(" AND ")
		c.writeJoin(j, x)
	}
	for _, pk := range args.pk {
		w.Write(" AND (", x, ".", pk.col.sql, " = ")
		w.Param(c.param(pk.v, EncodeText), pk.col.Type)
		w.WriteString(")")
	}
	if !args.where.isNull() {
		w.WriteString(" AND ")
		c.boolExp(t, x, args.where, path+".args.where")
	}
	if args.cond != nil {
		w.WriteString(" AND ")
		args.cond(x)
	}
	for i, o := range args.order {
		if i == 0 {
			w.WriteString(" ORDER BY ")
		} else {
			w.WriteString(", ")
		}
		if i < len(args.distinct) {
			o.expr(x) // DISTINCT ON needs the same expressions first
		} else {
			w.Write(`"__o`, strconv.Itoa(i), `"`)
		}
		w.Write(" ", o.dir)
	}
	c.limit(perm, args)
	if !args.offset.isNull() {
		w.WriteString(" OFFSET ")
		w.Param(c.param(args.offset, EncodeText), "int8")
	}
}

func (c *compiler) limit(perm *SelectPermission, args selectArgs) {
	w := c.w
	switch {
	case args.ties:
		c.fetchWithTies(perm, args)
	case args.forceLimit > 0:
		w.Write(" LIMIT ", strconv.Itoa(args.forceLimit))
	case args.limit.isNull() && perm.Limit > 0:
		w.Write(" LIMIT ", strconv.Itoa(perm.Limit))
	case args.limit.isNull():
	case perm.Limit > 0:
		w.WriteString(" LIMIT least(")
		w.Param(c.param(args.limit, EncodeText), "int8")
		w.Write(", ", strconv.Itoa(perm.Limit), ")")
	default:
		w.WriteString(" LIMIT ")
		w.Param(c.param(args.limit, EncodeText), "int8")
	}
}

func (c *compiler) permFilter(perm *SelectPermission, x string) {
	if perm.Filter == nil {
		c.w.WriteString("true")
		return
	}
	c.w.WriteString("(")
	perm.Filter(c.w, x)
	c.w.WriteString(")")
}

// aggregate writes a subquery (or statement) whose one row and column
// "root" is a <t>_aggregate object: aggregate functions and nodes computed
// in one pass over the rows.
func (c *compiler) aggregate(t *Table, perm *SelectPermission, f *collected, j *join, path string) {
	w := c.w
	if !perm.Aggregations {
		c.fail(path, CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
		return
	}
	args := c.selectArgs(t, perm, f.field, path)
	g := w.Alias()
	b := w.Alias()
	typeName := f.field.Definition.Type.Name()

	// The aggregate values become columns "a0", "a1", ... of g; the JSON
	// object is built over them.
	var cols []func()
	col := func(write func()) string {
		name := `"a` + strconv.Itoa(len(cols)) + `"`
		cols = append(cols, write)
		return g + "." + name
	}
	var nodeFields [][]*collected
	var nodeLaterals [][]string

	var topKeys []string
	var topVals []func()
	for _, tf := range c.collect(f.sels, typeName) {
		tf := tf
		topKeys = append(topKeys, tf.alias)
		switch tf.field.Name {
		case "__typename":
			topVals = append(topVals, func() { w.WriteString(QuoteLiteral(typeName)) })
		case "nodes":
			fields := c.collect(tf.sels, t.Type)
			lats := make([]string, len(fields))
			for i, nf := range fields {
				if t.relFields[nf.field.Name].rel != nil {
					lats[i] = w.Alias()
				}
			}
			nodeFields = append(nodeFields, fields)
			nodeLaterals = append(nodeLaterals, lats)
			ref := col(func() {
				w.WriteString("coalesce(json_agg(")
				c.rowJSON(t, perm, b, fields, lats, path+".selectionSet."+tf.alias)
				c.writeAggOrder(b, args.order)
				w.WriteString("), '[]')")
			})
			topVals = append(topVals, func() { w.WriteString(ref) })
		case "aggregate":
			aggType := tf.field.Definition.Type.Name()
			var keys []string
			var vals []func()
			for _, af := range c.collect(tf.sels, aggType) {
				af := af
				keys = append(keys, af.alias)
				switch af.field.Name {
				case "__typename":
					vals = append(vals, func() { w.WriteString(QuoteLiteral(aggType)) })
				case "count":
					ref := col(func() { c.count(t, b, af.field, path) })
					vals = append(vals, func() { w.WriteString(ref) })
				default:
					fn := af.field.Name
					opType := af.field.Definition.Type.Name()
					var ckeys []string
					var cvals []func()
					for _, cf := range c.collect(af.sels, opType) {
						cf := cf
						ckeys = append(ckeys, cf.alias)
						if cf.field.Name == "__typename" {
							cvals = append(cvals, func() { w.WriteString(QuoteLiteral(opType)) })
							continue
						}
						column := t.Column(cf.field.Name)
						if column == nil || !perm.Allows(column.Name) || !aggregateFuncs[fn] {
							c.fail(path, CodeValidationFailed, "field '%s' not found in type: '%s'", cf.field.Name, opType)
							cvals = append(cvals, func() { w.WriteString("NULL") })
							continue
						}
						ref := col(func() {
							w.Write(fn, "(", aggregateArg(fn, column, b), ")")
							if c.stringify && column.BigNumber {
								w.WriteString("::text")
							}
						})
						cvals = append(cvals, func() { w.WriteString(ref) })
					}
					vals = append(vals, func() { c.jsonObject(ckeys, cvals) })
				}
			}
			topVals = append(topVals, func() { c.jsonObject(keys, vals) })
		default:
			c.fail(path+".selectionSet."+tf.alias, CodeValidationFailed, "field '%s' not found in type: '%s'", tf.field.Name, typeName)
			return
		}
	}

	w.WriteString("SELECT ")
	c.jsonObject(topKeys, topVals)
	w.WriteString(` AS "root" FROM (SELECT `)
	if len(cols) == 0 {
		w.WriteString("1")
	}
	for i, write := range cols {
		if i > 0 {
			w.WriteString(", ")
		}
		write()
		w.Write(` AS "a`, strconv.Itoa(i), `"`)
	}
	w.WriteString(" FROM (")
	c.base(t, perm, args, j, path)
	w.Write(") AS ", b)
	for i := range nodeFields {
		c.laterals(t, b, nodeFields[i], nodeLaterals[i], path+".selectionSet.nodes")
	}
	w.Write(") AS ", g)
}

// aggregateFuncs are the aggregate fields other than count, named as the
// Postgres functions they call.
var aggregateFuncs = map[string]bool{
	"sum": true, "avg": true, "max": true, "min": true,
	"stddev": true, "stddev_pop": true, "stddev_samp": true,
	"var_pop": true, "var_samp": true, "variance": true,
}

// aggregateArg is the argument of the aggregate fn over column col of
// row alias b. Postgres has sum, min and max for money but none of the
// statistics, which the schema offers (money is numeric, as in Hasura):
// those read the value as numeric.
func aggregateArg(fn string, col *Column, b string) string {
	switch fn {
	case "sum", "max", "min":
	default:
		if col.Type == "money" {
			return b + "." + col.sql + "::numeric"
		}
	}
	return b + "." + col.sql
}

func (c *compiler) count(t *Table, b string, f *ast.Field, path string) {
	w := c.w
	var cols []*Column
	for _, v := range c.items(c.arg(f, "columns")) {
		col := t.Column(v.enum())
		if col == nil {
			c.fail(path, CodeValidationFailed, "unexpected value %q for enum: '%s_select_column'", v.enum(), t.Type)
			return
		}
		cols = append(cols, col)
	}
	distinct := c.arg(f, "distinct").boolean()
	if len(cols) == 0 {
		// Hasura counts rows when no columns are given, distinct or not
		// (CountStar); count(DISTINCT row) would also differ on tables
		// with equal rows.
		w.WriteString("count(*)")
		return
	}
	w.WriteString("count(")
	if distinct {
		w.WriteString("DISTINCT ")
	}
	if len(cols) > 1 {
		w.WriteString("(")
	}
	for i, col := range cols {
		if i > 0 {
			w.WriteString(", ")
		}
		w.Write(b, ".", col.sql)
	}
	if len(cols) > 1 {
		w.WriteString(")")
	}
	w.WriteString(")")
}
