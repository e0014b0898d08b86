package compile

// Queries: one root field of a validated operation becomes one SQL
// statement that returns the field's whole JSON value. The statement's
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
// Values from the request are parameters (catalog.Writer.Param);
// identifiers are quoted; nothing from a request is spliced into the text.

import (
	"encoding/json"
	"strconv"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

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
				if !c.include(s.Directives) || (s.TypeCondition != "" && !c.typeMatches(s.TypeCondition, typeName)) {
					continue
				}
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if visited[s.Name] || !c.include(s.Directives) {
					continue
				}
				visited[s.Name] = true
				frag := c.doc.Fragments.ForName(s.Name)
				if frag == nil || (frag.TypeCondition != "" && !c.typeMatches(frag.TypeCondition, typeName)) {
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

// compileRoot writes the statement of a query or subscription root field.
func (c *compiler) compileRoot(ref rootRef, f *collected) {
	t := ref.table
	path := c.rootPath(f.alias)
	if ref.kind == rootNode {
		c.node(f, path)
		return
	}
	perm := t.SelectFor(c.role)
	if perm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'query_root'", f.field.Name)
		return
	}
	// A live query's root rows are read once per subscriber of the batch.
	c.once = !c.w.Multiplexed()
	defer func() { c.once = false }()
	switch ref.kind {
	case rootConnection:
		c.connection(t, perm, f, nil, path)
	case rootSelect:
		c.list(t, perm, f, nil, path)
	case rootByPk:
		args := selectArgs{}
		for _, pk := range t.PrimaryKey {
			col := t.ColumnByName(pk)
			v := c.argNamed(f.field, col.Field)
			args.pk = append(args.pk, pkValue{col, v})
		}
		c.w.WriteString(`SELECT "_r"."root" FROM (`)
		c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
		c.w.WriteString(`) AS "_r"`)
	case rootAggregate:
		c.aggregate(t, perm, f, nil, path)
	case rootFunction, rootFunctionAggregate:
		c.functionRoot(ref, perm, f, path)
	}
}

// join is the condition that ties a relationship's rows to the parent row.
type join struct {
	parent string // alias of the parent row
	rel    *catalog.Relationship
}

func (c *compiler) writeJoin(j *join, x string) {
	for i, p := range j.rel.Mapping {
		if i > 0 {
			c.w.WriteString(" AND ")
		}
		c.w.Write("(", x, ".", c.joinColumn(x, p.Remote), " = ", j.parent, ".", c.joinColumn(j.parent, p.Local), ")")
	}
}

type pkValue struct {
	col *catalog.Column
	v   val
}

// selectArgs are the arguments of a select: where, order_by, distinct_on,
// limit, offset, and for _by_pk the key.
type selectArgs struct {
	where      val
	order      []orderItem
	distinct   []*catalog.Column
	limit      val
	offset     val
	pk         []pkValue
	forceLimit int // object relationships: 1
	// noPermLimit leaves the permission's limit out: an aggregate's
	// counts are over every row the role may see.
	noPermLimit bool
	// Streams (stream.go): cond adds a condition on the base row x to
	// the WHERE, and ties limits with FETCH FIRST ... WITH TIES.
	cond func(x string)
	ties bool
	// source, when set, is read instead of the table: a mutation's rows;
	// from, when set, writes what is read (a function call).
	source string
	from   func()
}

func (c *compiler) selectArgs(t *catalog.Table, perm *catalog.SelectPermission, f *ast.Field, path string) selectArgs {
	a := selectArgs{
		where:  c.arg(f, "where"),
		limit:  c.arg(f, "limit"),
		offset: c.arg(f, "offset"),
		from:   c.from,
	}
	c.from = nil
	c.orderRoot = t
	a.order = c.orderBy(t, perm, c.arg(f, "order_by"), path+".args."+c.names.Name("order_by"))
	for _, d := range c.items(c.arg(f, "distinct_on")) {
		col := t.Column(d.enum())
		if col == nil {
			c.fail(path+".args.distinct_on", wire.CodeValidationFailed, "unexpected value %q for enum: '%s_select_column'", d.enum(), t.Type)
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
			c.fail(path+".args", wire.CodeValidationFailed, `"distinct_on" columns must match initial "order_by" columns`)
		}
	}
	if n, ok := a.limit.literalInt(); ok && n < 0 {
		c.fail(path+".args.limit", wire.CodeValidationFailed, "unexpected negative value")
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
func (c *compiler) list(t *catalog.Table, perm *catalog.SelectPermission, f *collected, j *join, path string) {
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
// "root", then its order keys "__o0", "__o1", ...:
//
//	SELECT row_to_json("_e") AS "root", "_b"."__o0" FROM (<base>) AS "_b"
//	LEFT JOIN (SELECT "_x".* FROM "public"."artists" AS "_x" WHERE <filter>) AS "_o" ON ("_o"."id" = "_b"."artist_id")
//	CROSS JOIN LATERAL (SELECT "_o"."name" AS "name") AS "_oe"
//	LEFT JOIN LATERAL (<array relationship>) AS "_l" ON true
//	CROSS JOIN LATERAL (SELECT "_b"."id" AS "id", CASE WHEN "_o"."id" IS NOT NULL THEN row_to_json("_oe") END AS "artist", "_l"."root" AS "tracks") AS "_e"
//
// Postgres pulls the lateral rows up into the row, which becomes
// row_to_json(ROW(...)) with the keys as the row's field names: compact
// JSON with the keys in order, no sub-select run per row (as a
// (SELECT row_to_json(...) FROM (SELECT ...)) in the select list is), and
// no argument limit (json_build_object's 100). An object relationship over
// a key of its table is a LEFT JOIN (objectJoin), others a scalar subquery
// (objectRel).
func (c *compiler) rows(t *catalog.Table, perm *catalog.SelectPermission, sels ast.SelectionSet, typeName string, args selectArgs, j *join, path string) {
	w := c.w
	b := w.Alias()
	// Before any value is written: object relationships join on b's
	// columns, raw where b redacts them (inherited.go).
	c.markRedacted(perm, b)
	r := c.rowLevel(t, perm, b, c.collect(sels, typeName), c.takeOnce(), path)
	w.WriteString("SELECT ")
	e := ""
	if lateralObject(r.keys) {
		e = w.Alias()
		w.Write("row_to_json(", e, ")")
	} else {
		c.jsonObject(r.keys, r.vals)
	}
	w.WriteString(` AS "root"`)
	for i := range args.order {
		w.Write(", ", b, `."__o`, strconv.Itoa(i), `"`)
	}
	w.WriteString(" FROM (")
	c.base(t, perm, args, j, path)
	w.Write(") AS ", b)
	r.from()
	if e != "" {
		w.WriteString(" CROSS JOIN LATERAL (SELECT ")
		c.columnsAs(r.keys, r.vals)
		w.Write(") AS ", e)
	}
}

// rowLevel is a row of the response being built over the alias of a table's
// row: its keys, what writes each value, and from, which writes what the
// values read beside the row (joins and laterals, after the row's alias).
type rowLevel struct {
	keys []string
	vals []func()
	from func()
}

// takeOnce reports whether the rows being compiled are a root field's own,
// read once per statement, and clears it for the rows below them.
func (c *compiler) takeOnce() bool {
	once := c.once
	c.once = false
	return once
}

// rowLevel prepares the fields of a row of t over alias b: the object
// relationships over a key become joins (objectJoin; once: b's rows are
// read once per statement), array relationships laterals, everything else
// a value of the row.
func (c *compiler) rowLevel(t *catalog.Table, perm *catalog.SelectPermission, b string, fields []*collected, once bool, path string) rowLevel {
	laterals := c.lateralAliases(t, fields)
	joins := make([]func(), len(fields))
	field := c.rowField(t, perm, b, laterals, path)
	keys, vals := c.objectParts(fields, func(i int, f *collected) func() {
		if c.isObjectRel(t, f.field.Name) {
			if value, from := c.objectJoin(t, b, f, once, path+".selectionSet."+f.alias); from != nil {
				joins[i] = from
				return value
			}
		}
		return field(i, f)
	})
	return rowLevel{keys: keys, vals: vals, from: func() {
		for _, from := range joins {
			if from != nil {
				from()
			}
		}
		c.laterals(t, b, fields, laterals, path)
	}}
}

// objectJoin returns, for an object relationship of the row b of t over a
// key of the remote table, what writes its value and what writes its join.
// In rows read once per statement (once), a join of the remote rows the
// role may see:
//
//	LEFT JOIN (SELECT "_x".* FROM <remote> AS "_x" WHERE <role filter>) AS "_o" ON <mapping>
//
// which Postgres may hash once; below a relationship, where the rows are
// read once per parent, a lateral lookup:
//
//	LEFT JOIN LATERAL (SELECT "_x".* FROM <remote> AS "_x" WHERE <role filter> AND <mapping> LIMIT 1) AS "_o" ON true
//
// (the LIMIT keeps it a parameterized lookup, which Postgres memoizes per
// key, where a join there may be planned to scan the whole remote table
// per parent on a table without statistics: 147 ms against 5 ms for
// CustomerInvoicesRole's track). Then, in both,
//
//	CROSS JOIN LATERAL (SELECT <the object's fields over "_o">) AS "_oe"
//
// with the value CASE WHEN "_o".<key> IS NOT NULL THEN row_to_json("_oe")
// END: NULL when no row matches or the role's filter hides it, the parent
// row staying. Either beats a scalar subquery per parent row, which
// Postgres runs as a sequential scan of a small analyzed table (three times
// the statement's cost on graphql-bench's albums → artist, tracks →
// genre). A join may return the rows of a query without order_by in
// another order, which neither Hasura nor Postgres promises. It returns
// nil for other relationships, and for a table the statement's mutation
// writes (objectRel writes them).
func (c *compiler) objectJoin(t *catalog.Table, b string, f *collected, once bool, path string) (value, from func()) {
	rf, _ := t.RelField(f.field.Name)
	rel := rf.Rel
	remote := rel.RemoteTable()
	rperm := remote.SelectFor(c.role)
	w := c.w
	// A table a mutation writes is read as the table plus the rows
	// written (a union): looked up by key per row, not joined whole.
	if rperm == nil || !rel.Unique() || len(rel.Mapping) == 0 || w.HasSource(remote.SQL()) {
		return nil, nil
	}
	o := w.Alias()
	c.markRedacted(rperm, o)
	r := c.rowLevel(remote, rperm, o, c.collect(f.sels, f.field.Definition.Type.Name()), once, path)
	e := ""
	if lateralObject(r.keys) {
		e = w.Alias()
	}
	// The remote side of the mapping equals a non-null parent value
	// wherever a row matched.
	matched := o + "." + c.joinColumn(o, rel.Mapping[0].Remote)
	from = func() {
		j := &join{parent: b, rel: rel}
		if once {
			w.WriteString(" LEFT JOIN (")
			c.base(remote, rperm, selectArgs{noPermLimit: true}, nil, path)
			w.Write(") AS ", o, " ON ")
			c.writeJoin(j, o)
		} else {
			w.WriteString(" LEFT JOIN LATERAL (")
			c.base(remote, rperm, selectArgs{noPermLimit: true, forceLimit: 1}, j, path)
			w.Write(") AS ", o, " ON true")
		}
		r.from()
		if e != "" {
			w.WriteString(" CROSS JOIN LATERAL (SELECT ")
			c.columnsAs(r.keys, r.vals)
			w.Write(") AS ", e)
		}
	}
	value = func() {
		w.Write("CASE WHEN ", matched, " IS NOT NULL THEN ")
		if e != "" {
			w.Write("row_to_json(", e, ")")
		} else {
			c.jsonObject(r.keys, r.vals)
		}
		w.WriteString(" END")
	}
	return value, from
}

// lateralAliases returns, per field of a row of t, the alias of the LEFT
// JOIN LATERAL that computes it (array relationships, their aggregates and
// connections), or "" for a field computed in the row itself.
func (c *compiler) lateralAliases(t *catalog.Table, fields []*collected) []string {
	laterals := make([]string, len(fields))
	for i, f := range fields {
		if c.isRel(t, f.field.Name) && !c.isObjectRel(t, f.field.Name) {
			laterals[i] = c.w.Alias()
		}
	}
	return laterals
}

// isObjectRel reports whether the field name of t is an object
// relationship's.
func (c *compiler) isObjectRel(t *catalog.Table, name string) bool {
	rf, ok := t.RelField(name)
	return ok && !rf.Rel.Array
}

// laterals writes the LEFT JOIN LATERAL subqueries of the array
// relationship fields of a row.
func (c *compiler) laterals(t *catalog.Table, b string, fields []*collected, laterals []string, path string) {
	w := c.w
	for i, f := range fields {
		if laterals[i] == "" {
			continue
		}
		if c.connectionLateral(t, b, f, laterals[i], path) {
			continue
		}
		rf, _ := t.RelField(f.field.Name)
		rel := rf.Rel
		remote := rel.RemoteTable()
		rperm := remote.SelectFor(c.role)
		fpath := path + ".selectionSet." + f.alias
		if rperm == nil {
			c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
			return
		}
		j := &join{parent: b, rel: rel}
		w.WriteString(" LEFT JOIN LATERAL (")
		if rf.Aggregate {
			c.aggregate(remote, rperm, f, j, fpath)
		} else {
			c.list(remote, rperm, f, j, fpath)
		}
		w.Write(") AS ", laterals[i], " ON true")
	}
}

// objectRel returns what writes an object relationship of the row b of t
// that objectJoin does not join (one not over a key of the remote table,
// or one in a row that is not read through rows): a scalar subquery giving
// the remote row's JSON, or NULL when no row matches or the remote role
// filter hides it (the parent row stays). Over a key of the remote table
// at most one row matches, so the remote rows need no LIMIT, and Postgres
// pulls them into the subquery; over other columns the first row is taken
// (LIMIT 1), as Hasura does.
func (c *compiler) objectRel(t *catalog.Table, b string, f *collected, path string) func() {
	rf, _ := t.RelField(f.field.Name)
	rel := rf.Rel
	remote := rel.RemoteTable()
	rperm := remote.SelectFor(c.role)
	if rperm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
		return nil
	}
	// One row at most: the role's limit cannot cut it.
	args := selectArgs{noPermLimit: true}
	if !rel.Unique() {
		args.forceLimit = 1
	}
	return func() {
		c.w.WriteString("(")
		c.rows(remote, rperm, f.sels, f.field.Definition.Type.Name(), args, &join{parent: b, rel: rel}, path)
		c.w.WriteString(")")
	}
}

// rowField returns, for object, what writes each field of a row over alias
// b: a column, a computed field, an object relationship, or the "root" of
// the field's lateral.
func (c *compiler) rowField(t *catalog.Table, perm *catalog.SelectPermission, b string, laterals []string, path string) func(i int, f *collected) func() {
	return func(i int, f *collected) func() {
		if laterals[i] != "" {
			return func() { c.w.Write(laterals[i], `."root"`) }
		}
		fpath := path + ".selectionSet." + f.alias
		if c.isObjectRel(t, f.field.Name) {
			return c.objectRel(t, b, f, fpath)
		}
		if c.isNodeID(t, f.field.Name) {
			return func() { c.nodeID(t, b) }
		}
		col := t.Column(f.field.Name)
		if c.remoteRel != nil && col == nil && f.field.ObjectDefinition != nil {
			if cols, ok := c.remoteRel(f.field.ObjectDefinition.Name, f.field.Name); ok {
				return c.remoteRelValue(t, perm, b, f, cols, fpath)
			}
		}
		if cf := t.ComputedField(f.field.Name); col == nil && cf != nil {
			return c.computedValue(t, perm, cf, b, f, fpath)
		}
		if col == nil || !perm.Allows(col.Name) {
			c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
			return nil
		}
		return func() { c.columnValue(col, b, f.field, fpath) }
	}
}

// object writes a JSON object of fields, keys in order: __typename is the
// name of the field's object type; value(i, f) gives what writes any other
// field, or nil when the field failed (c.fail), which writes NULL.
func (c *compiler) object(fields []*collected, value func(i int, f *collected) func()) {
	c.jsonObject(c.objectParts(fields, value))
}

// objectParts returns the keys of object and what writes each value.
func (c *compiler) objectParts(fields []*collected, value func(i int, f *collected) func()) ([]string, []func()) {
	keys := make([]string, len(fields))
	vals := make([]func(), len(fields))
	for i, f := range fields {
		keys[i] = f.alias
		if f.field.Name == "__typename" {
			name := c.typename(f.field)
			vals[i] = func() { c.w.Write(catalog.QuoteLiteral(name), "::text") }
		} else if vals[i] = value(i, f); vals[i] == nil {
			vals[i] = func() { c.w.WriteString("NULL") }
		}
	}
	return keys, vals
}

// columnValue writes a column as it appears in the response: stringified
// when the server stringifies big numbers, a JSON path applied for json
// columns.
func (c *compiler) columnValue(col *catalog.Column, b string, f *ast.Field, path string) {
	w := c.w
	if col.JSON != "" {
		if p := c.arg(f, "path"); !p.isNull() {
			if !p.fromVar {
				if _, err := wire.ParsePath(scalarText(p.lit)); err != nil {
					c.fail(path+".args.path", wire.CodeValidationFailed, "%s", err.Error())
				}
			}
			w.Write("(", b, ".", col.SQL(), " #> ")
			w.Param(c.param(p, catalog.EncodeJSONPath), "text[]")
			w.WriteString(")")
			return
		}
	}
	if col.EnumValues != nil {
		w.Write("upper(", b, ".", col.SQL(), ")") // enumcase.go
		return
	}
	w.Write(b, ".", col.SQL())
	if c.stringify && col.BigNumber {
		w.WriteString("::text")
	}
}

// jsonObject writes a JSON object with keys in order, as row_to_json over
// a sub-select: it keeps the order, has no argument limit (unlike
// json_build_object's 100) and writes compact JSON, as Hasura's answers
// are (json_build_object writes '{"a" : 1, "b" : 2}'). Postgres cuts
// column names at 63 bytes, so an object with a longer key is
// concatenated as text instead, each key written as a literal. rows
// writes a row's object as a lateral subquery instead (lateralObject).
func (c *compiler) jsonObject(keys []string, vals []func()) {
	w := c.w
	if len(keys) == 0 {
		w.WriteString("'{}'::json")
		return
	}
	if !lateralObject(keys) {
		c.jsonText(keys, vals)
		return
	}
	e := w.Alias()
	w.WriteString("(SELECT row_to_json(" + e + ") FROM (SELECT ")
	c.columnsAs(keys, vals)
	w.Write(") AS ", e, ")")
}

// lateralObject reports whether an object of keys can be row_to_json of a
// subquery's row: it has a key, and every key fits in a column name.
func lateralObject(keys []string) bool {
	for _, k := range keys {
		if len(k) > maxIdentifierLen {
			return false
		}
	}
	return len(keys) > 0
}

// columnsAs writes the select list of an object's row: each value under
// its key.
func (c *compiler) columnsAs(keys []string, vals []func()) {
	for i, k := range keys {
		if i > 0 {
			c.w.WriteString(", ")
		}
		vals[i]()
		c.w.Write(" AS ", catalog.QuoteIdent(k))
	}
}

// maxIdentifierLen is Postgres's NAMEDATALEN - 1.
const maxIdentifierLen = 63

// jsonText writes a JSON object as the concatenation of its keys and its
// values' JSON texts: '{"key":' || coalesce(to_json(v)::text, 'null') ...
func (c *compiler) jsonText(keys []string, vals []func()) {
	w := c.w
	w.WriteString("('{' || ")
	for i, k := range keys {
		if i > 0 {
			w.WriteString(" || ',' || ")
		}
		key, _ := json.Marshal(k)
		w.Write(catalog.QuoteLiteral(string(key)+":"), " || coalesce(to_json(")
		vals[i]()
		w.WriteString(")::text, 'null')")
	}
	w.WriteString(" || '}')::json")
}

// base writes the innermost select of a table: the role's filter, where,
// order, distinct, limit and offset, and the order keys as "__o<n>".
func (c *compiler) base(t *catalog.Table, perm *catalog.SelectPermission, args selectArgs, j *join, path string) {
	w := c.w
	x := w.Alias()
	w.WriteString("SELECT ")
	if len(args.distinct) > 0 {
		w.WriteString("DISTINCT ON (")
		for i, d := range args.distinct {
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(x, ".", d.SQL())
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
	if from == "" && args.from == nil {
		from = w.Table(t.SQL())
	}
	w.WriteString(" FROM ")
	if args.from != nil {
		c.sourceWith(t, perm, args.from, x)
	} else {
		c.source(t, perm, from, x)
	}
	w.WriteString(" WHERE ")
	c.rowFilter(perm, x)
	if j != nil {
		w.WriteString(" AND ")
		c.writeJoin(j, x)
	}
	for _, pk := range args.pk {
		w.Write(" AND (", x, ".", pk.col.SQL(), " = ")
		c.keyParam(pk.col, pk.v)
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
	// The order matters here only to what limits the rows: their readers
	// order them again (json_agg(... ORDER BY ...)), and a subquery
	// without ORDER BY is one Postgres can pull up into the statement.
	ordered := len(args.distinct) > 0 || !args.offset.isNull() || c.limited(perm, args)
	for i, o := range args.order {
		if !ordered {
			break
		}
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
		w.Param(c.param(args.offset, catalog.EncodeText), "int8")
	}
}

// limited reports whether limit writes a limit.
func (c *compiler) limited(perm *catalog.SelectPermission, args selectArgs) bool {
	return args.ties || args.forceLimit > 0 || !args.limit.isNull() || (perm.Limit > 0 && !args.noPermLimit)
}

func (c *compiler) limit(perm *catalog.SelectPermission, args selectArgs) {
	w := c.w
	if args.noPermLimit && perm.Limit > 0 {
		p := *perm
		p.Limit = 0
		perm = &p
	}
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
		w.Param(c.param(args.limit, catalog.EncodeText), "int8")
		w.Write(", ", strconv.Itoa(perm.Limit), ")")
	default:
		w.WriteString(" LIMIT ")
		w.Param(c.param(args.limit, catalog.EncodeText), "int8")
	}
}

func (c *compiler) permFilter(perm *catalog.SelectPermission, x string) {
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
func (c *compiler) aggregate(t *catalog.Table, perm *catalog.SelectPermission, f *collected, j *join, path string) {
	w := c.w
	if !perm.Aggregations {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", f.field.Name, t.Type)
		return
	}
	args := c.selectArgs(t, perm, f.field, path)
	once := c.takeOnce()
	g := w.Alias()
	b := w.Alias()
	c.markRedacted(perm, b) // before the nodes' object relationships join on b
	typeName := f.field.Definition.Type.Name()
	// The permission's limit caps the nodes only, never the aggregates
	// (Hasura's): with aggregates, the rows are all the role may see and
	// the nodes the first perm.Limit of them, in order.
	nodeLimit := 0
	if perm.Limit > 0 {
		for _, tf := range c.collect(f.sels, typeName) {
			if tf.field.Name == "aggregate" {
				args.noPermLimit, nodeLimit = true, perm.Limit
			}
		}
	}

	// The aggregate values become columns "a0", "a1", ... of g; the JSON
	// object is built over them. ref registers one and returns what writes
	// a reference to it.
	var cols []func()
	ref := func(write func()) func() {
		name := g + `."a` + strconv.Itoa(len(cols)) + `"`
		cols = append(cols, write)
		return func() { w.WriteString(name) }
	}
	// Each nodes field is a row level over b (its joins and laterals
	// written after b), its JSON a lateral row Postgres inlines, as in
	// rows.
	type nodeLevel struct {
		r rowLevel
		e string
	}
	var nodes []nodeLevel
	w.WriteString("SELECT ")
	c.object(c.collect(f.sels, typeName), func(_ int, tf *collected) func() {
		switch c.names.Default(tf.field.Name) {
		case "nodes":
			n := nodeLevel{r: c.rowLevel(t, perm, b, c.collect(tf.sels, t.Type), once, path+".selectionSet."+tf.alias)}
			if lateralObject(n.r.keys) {
				n.e = w.Alias()
			}
			nodes = append(nodes, n)
			node := func() {
				if n.e != "" {
					w.Write("row_to_json(", n.e, ")")
				} else {
					c.jsonObject(n.r.keys, n.r.vals)
				}
			}
			if nodeLimit > 0 {
				return ref(func() {
					u := w.Alias()
					w.Write(`(SELECT coalesce(json_agg(`, u, `."x" ORDER BY `, u, `."k"), '[]') FROM unnest((array_agg(`)
					node()
					c.writeAggOrder(b, args.order)
					w.Write("))[1:", strconv.Itoa(nodeLimit), "]) WITH ORDINALITY AS ", u, `("x", "k"))`)
				})
			}
			return ref(func() {
				w.WriteString("coalesce(json_agg(")
				node()
				c.writeAggOrder(b, args.order)
				w.WriteString("), '[]')")
			})
		case "aggregate":
			return c.eagerObject(c.collect(tf.sels, tf.field.Definition.Type.Name()), func(af *collected) func() {
				return c.aggregateField(t, perm, b, af, ref, path)
			})
		}
		c.fail(path+".selectionSet."+tf.alias, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", tf.field.Name, typeName)
		return nil
	})
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
	for _, n := range nodes {
		n.r.from()
		if n.e != "" {
			w.WriteString(" CROSS JOIN LATERAL (SELECT ")
			c.columnsAs(n.r.keys, n.r.vals)
			w.Write(") AS ", n.e)
		}
	}
	w.Write(") AS ", g)
}

// aggregateField returns what writes a field of <t>_aggregate_fields:
// count, or an aggregate function's object of columns, each a column of
// the aggregate's row registered with ref.
func (c *compiler) aggregateField(t *catalog.Table, perm *catalog.SelectPermission, b string, af *collected, ref func(func()) func(), path string) func() {
	if af.field.Name == "count" {
		return ref(func() { c.count(t, b, af.field, path) })
	}
	fn := c.names.Default(af.field.Name) // the Postgres function
	opType := af.field.Definition.Type.Name()
	return c.eagerObject(c.collect(af.sels, opType), func(cf *collected) func() {
		column := t.Column(cf.field.Name)
		if computed := t.ComputedField(cf.field.Name); column == nil && computed != nil {
			return c.aggregateComputed(t, perm, b, fn, computed, cf, ref, path)
		}
		if column == nil || !perm.Allows(column.Name) || !aggregateFuncs[fn] {
			c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", cf.field.Name, opType)
			return nil
		}
		return ref(func() {
			w := c.w
			if column.EnumValues != nil {
				w.Write("upper(", fn, "(", aggregateArg(fn, column, b), "))") // enumcase.go
			} else {
				w.Write(fn, "(", aggregateArg(fn, column, b), ")")
			}
			if c.stringify && column.BigNumber {
				w.WriteString("::text")
			}
		})
	})
}

// eagerObject is object with the fields' values computed now, in order
// (an aggregate's columns are numbered as they are registered), and the
// object written later.
func (c *compiler) eagerObject(fields []*collected, value func(f *collected) func()) func() {
	vals := make([]func(), len(fields))
	for i, f := range fields {
		if f.field.Name != "__typename" {
			vals[i] = value(f)
		}
	}
	return func() { c.object(fields, func(i int, _ *collected) func() { return vals[i] }) }
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
func aggregateArg(fn string, col *catalog.Column, b string) string {
	switch fn {
	case "sum", "max", "min":
	default:
		if col.Type == "money" {
			return b + "." + col.SQL() + "::numeric"
		}
	}
	return b + "." + col.SQL()
}

func (c *compiler) count(t *catalog.Table, b string, f *ast.Field, path string) {
	w := c.w
	var cols []*catalog.Column
	for _, v := range c.items(c.arg(f, "columns")) {
		col := t.Column(v.enum())
		if col == nil {
			c.fail(path, wire.CodeValidationFailed, "unexpected value %q for enum: '%s_select_column'", v.enum(), t.Type)
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
		w.Write(b, ".", col.SQL())
	}
	if len(cols) > 1 {
		w.WriteString(")")
	}
	w.WriteString(")")
}

// isRel reports whether the field name of t is a relationship's.
func isRel(t *catalog.Table, name string) bool {
	_, ok := t.RelField(name)
	return ok
}
