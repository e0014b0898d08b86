package compile

// The mutation compiler: each mutation root field becomes ONE statement
// (update_<t>_many: one per update), however many tables and rows it
// writes. Writes are data-modifying CTEs; the final SELECT returns the
// permission checks' verdict and the field's JSON:
//
//	WITH "_1" AS (SELECT "_j", "_n" FROM json_array_elements($1::json) WITH ORDINALITY ...)   -- the rows, one JSON parameter
//	   , "_2" AS (INSERT INTO "public"."artists" ... RETURNING *)                             -- object relationships first
//	   , "_4" AS (INSERT INTO "public"."albums" AS "_t" (...) SELECT ... ORDER BY "_n" RETURNING "_t".*)
//	   , "_6" AS (INSERT INTO "public"."tracks" ... SELECT ... JOIN <albums rows numbered> ...)   -- array relationships after
//	SELECT (<every insert check over the inserted rows>) AS "ok", <affected_rows, returning> AS "root"
//
// Rows of a nested insert are matched with their parent by position: an
// INSERT ... SELECT ... ORDER BY returns its rows in that order. Within the
// statement the tables written are read through catalog.Writer.Table as "the table
// as it was, plus the rows written", so checks and returning see them.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// mutKind is what a mutation root field does.
type mutKind uint8

const (
	mutInsert mutKind = iota + 1
	mutInsertOne
	mutUpdate
	mutUpdateByPk
	mutUpdateMany
	mutDelete
	mutDeleteByPk
	mutFunction
)

type mutRef struct {
	table *catalog.Table
	kind  mutKind
	fn    *catalog.Function // mutFunction
}

// checkVerdict ends a statement's checks: when they do not hold, the
// statement fails (and its transaction with it), so that a mutation needs
// no transaction of its own around it. The error's text carries
// CheckFailedMarker; it is built at run time (statement_timestamp) so that
// Postgres cannot fold it into an error when it plans the statement.
const checkVerdict = ` THEN true ELSE ('` + CheckFailedMarker + ` ' || statement_timestamp())::boolean END AS "ok", `

// CheckFailedMarker marks the error of a failed permission check.
const CheckFailedMarker = "hasgen: permission check failed"

// CheckFailed is Hasura's error when an insert or update check fails.
func CheckFailed() *wire.Error {
	return &wire.Error{Code: wire.CodePermissionError, Path: "$", Message: "check constraint of an insert/update permission has failed"}
}

// compileMutation compiles a mutation root field into its statements.
// Whether a backend-only permission may be used is decided per request,
// when the plan runs (catalog.Table.backendOnly).
func (c *compiler) compileMutation(ref mutRef, f *collected) []Statement {
	t := ref.table
	path := "$.selectionSet." + f.alias
	notFound := func() []Statement {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'mutation_root'", f.field.Name)
		return nil
	}
	var out []Statement
	one := func(write func()) {
		c.w = catalog.NewWriter(false)
		write()
		out = append(out, Statement{c.w.String(), c.w.Params()})
	}
	switch ref.kind {
	case mutInsert, mutInsertOne:
		perm := t.InsertFor(c.role)
		if perm == nil {
			return notFound()
		}
		one(func() { c.insert(t, perm, f, ref.kind == mutInsertOne, path) })
	case mutUpdate, mutUpdateByPk:
		perm := t.UpdateFor(c.role)
		if perm == nil {
			return notFound()
		}
		one(func() { c.update(t, perm, f.field, f, ref.kind == mutUpdateByPk, path) })
	case mutUpdateMany:
		perm := t.UpdateFor(c.role)
		if perm == nil {
			return notFound()
		}
		for i, u := range c.items(c.arg(f.field, "updates")) {
			upath := fmt.Sprintf("%s.args.updates[%d]", path, i)
			one(func() { c.updateWith(t, perm, u, nil, f, false, upath) })
		}
	case mutDelete, mutDeleteByPk:
		perm := t.DeleteFor(c.role)
		if perm == nil {
			return notFound()
		}
		one(func() { c.delete(t, perm, f, ref.kind == mutDeleteByPk, path) })
	case mutFunction:
		one(func() { c.functionMutation(ref, f, path) })
	}
	return out
}

// insertNode is one table of a (nested) insert: its rows come from a
// JSON data CTE, its parent rows from the node above.
type insertNode struct {
	table  *catalog.Table
	perm   *catalog.InsertPermission
	rel    *catalog.Relationship // how the node hangs from its parent; nil at the root
	parent *insertNode
	// columns are the columns the request gives values for (the union of
	// the keys of all rows), in table order; always those every row gives.
	columns    []*catalog.Column
	always     map[string]bool
	before     []*insertNode // object relationships whose row comes first
	after      []*insertNode // array ones, and object ones after_parent
	onConflict val
	data       string // CTE of the rows' JSON: "_j", "_n" (and "_p": parent row)
	ins        string // the INSERT CTE
	numbered   string // the INSERT's rows numbered in order, for children
	path       string
}

// analyseInsert builds the insert tree from the rows' values: which
// columns and relationships they give, over all rows.
func (c *compiler) analyseInsert(t *catalog.Table, perm *catalog.InsertPermission, rows []val, path string) *insertNode {
	n := &insertNode{table: t, perm: perm, path: path, always: map[string]bool{}}
	given := map[string]bool{}
	counts := map[string]int{}
	rels := map[string][]val{}
	var relOrder []string
	allowed := map[string]bool{}
	for _, col := range perm.Columns {
		allowed[col] = true
	}
	for _, p := range perm.Set {
		delete(allowed, p.Column) // presets are not the request's to give
	}
	for i, row := range rows {
		rpath := fmt.Sprintf("%s[%d]", path, i)
		for _, fl := range c.fields(row) {
			if col := t.Column(fl.name); col != nil {
				if !allowed[col.Name] {
					c.fail(rpath+"."+fl.name, wire.CodeValidationFailed, "field '%s' not found in type: '%s_insert_input'", fl.name, t.Type)
					return n
				}
				given[col.Name] = true
				counts[col.Name]++
				continue
			}
			if r := t.Relationship(fl.name); r != nil {
				if _, ok := rels[r.Name]; !ok {
					relOrder = append(relOrder, r.Name)
				}
				rels[r.Name] = append(rels[r.Name], fl.v)
				continue
			}
			c.fail(rpath+"."+fl.name, wire.CodeValidationFailed, "field '%s' not found in type: '%s_insert_input'", fl.name, t.Type)
			return n
		}
	}
	for i := range t.Columns {
		if col := &t.Columns[i]; given[col.Name] {
			n.columns = append(n.columns, col)
			n.always[col.Name] = counts[col.Name] == len(rows)
		}
	}
	for _, name := range relOrder {
		r := t.Relationship(name)
		rperm := r.RemoteTable().InsertFor(c.role)
		if rperm == nil {
			c.fail(path+"."+name, wire.CodeValidationFailed, "field '%s' not found in type: '%s_insert_input'", name, t.Type)
			return n
		}
		var data []val
		var oc val
		for _, rv := range rels[name] {
			if rv.isNull() {
				continue
			}
			for _, fl := range c.fields(rv) {
				switch fl.name {
				case "data":
					if r.Array {
						data = append(data, c.items(fl.v)...)
					} else {
						data = append(data, fl.v)
					}
				case "on_conflict":
					if oc.isNull() {
						oc = fl.v // the first one given applies to the level
					}
				}
			}
		}
		// The join columns come from the other side: a row that gives them
		// too is an error, as in Hasura.
		kind := "object"
		if r.Array {
			kind = "array"
		}
		after := afterParent(r)
		for i, row := range rows {
			var check []val
			if after {
				for _, rv := range c.fields(row) {
					if rv.name == name {
						for _, fl := range c.fields(rv.v) {
							if fl.name == "data" {
								check = append(check, c.items(fl.v)...)
							}
						}
					}
				}
			} else {
				has := false
				for _, fl := range c.fields(row) {
					has = has || fl.name == name
				}
				if has {
					check = []val{row}
				}
			}
			for _, cv := range check {
				for _, fl := range c.fields(cv) {
					for _, m := range r.Mapping {
						col, table := m.Local, t
						if after {
							col, table = m.Remote, r.RemoteTable()
						}
						if cc := table.Column(fl.name); cc != nil && cc.Name == col {
							c.fail(fmt.Sprintf("%s[%d]", path, i), wire.CodeValidationFailed, "cannot insert %s relationship %q as %q column values are already determined", kind, r.Name, col)
							return n
						}
					}
				}
			}
		}
		child := c.analyseInsert(r.RemoteTable(), rperm, data, path+"."+name+".data")
		child.rel, child.parent, child.onConflict = r, n, oc
		if after {
			n.after = append(n.after, child)
		} else {
			n.before = append(n.before, child)
		}
	}
	return n
}

// afterParent reports whether a nested insert through r inserts the
// remote rows after the parent's, from whose columns they take the
// mapped ones: an array relationship, or an object relationship whose
// foreign key is on the remote table (insertion_order: after_parent).
func afterParent(r *catalog.Relationship) bool {
	return r.Array || !r.ParentFirst
}

// insert writes insert_<t> / insert_<t>_one.
func (c *compiler) insert(t *catalog.Table, perm *catalog.InsertPermission, f *collected, one bool, path string) {
	w := c.w
	argName := "objects"
	if one {
		argName = "object"
	}
	input := c.arg(f.field, argName)
	rows := c.items(input)
	// objects: {...} is a list of one (GraphQL input coercion): its rows
	// are read as insert_<t>_one's.
	single := one || !input.isNull() && !input.isList()
	if one {
		rows = []val{input}
	}
	root := c.analyseInsert(t, perm, rows, path+".args."+argName)
	root.onConflict = c.arg(f.field, "on_conflict")
	if c.err != nil {
		return
	}
	// Name every CTE first: the sources of the tables written must be
	// known before any filter is written.
	var nodes []*insertNode
	var order func(n *insertNode)
	order = func(n *insertNode) {
		for _, b := range n.before {
			order(b)
		}
		nodes = append(nodes, n)
		for _, a := range n.after {
			order(a)
		}
	}
	order(root)
	for _, n := range nodes {
		n.data, n.ins, n.numbered = w.Alias(), w.Alias(), w.Alias()
	}
	c.writeSources(nodes)

	w.WriteString("WITH ")
	// The rows of every node, as JSON, from one parameter.
	var dataCTEs func(n *insertNode)
	first := true
	sep := func() {
		if !first {
			w.WriteString(", ")
		}
		first = false
	}
	dataCTEs = func(n *insertNode) {
		sep()
		w.Write(n.data, " AS (")
		switch {
		case n.parent == nil && single:
			w.WriteString(`SELECT "_x"."_j", 1::bigint AS "_n" FROM (SELECT `)
			w.Param(c.jsonParam(input), "jsonb")
			w.WriteString(` AS "_j") AS "_x"`)
		case n.parent == nil:
			w.WriteString(`SELECT "_x"."_j", "_x"."_n" FROM jsonb_array_elements(`)
			w.Param(c.jsonParam(input), "jsonb")
			w.WriteString(`) WITH ORDINALITY AS "_x"("_j", "_n")`)
		case n.rel.Array:
			w.Write(`SELECT "_p"."_n" AS "_p", "_e"."_j", row_number() OVER (ORDER BY "_p"."_n", "_e"."_k") AS "_n" FROM `, n.parent.data,
				` AS "_p" CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof("_p"."_j"->`, catalog.QuoteLiteral(n.rel.Name), `->'data') WHEN 'array' THEN "_p"."_j"->`,
				catalog.QuoteLiteral(n.rel.Name), `->'data' WHEN 'object' THEN jsonb_build_array("_p"."_j"->`, catalog.QuoteLiteral(n.rel.Name), `->'data') ELSE '[]' END) WITH ORDINALITY AS "_e"("_j", "_k")`)
		default:
			w.Write(`SELECT "_p"."_n" AS "_p", "_p"."_j"->`, catalog.QuoteLiteral(n.rel.Name), `->'data' AS "_j", row_number() OVER (ORDER BY "_p"."_n") AS "_n" FROM `, n.parent.data,
				` AS "_p" WHERE jsonb_typeof("_p"."_j"->`, catalog.QuoteLiteral(n.rel.Name), `) = 'object'`)
		}
		w.WriteString(")")
		for _, b := range n.before {
			dataCTEs(b)
		}
		for _, a := range n.after {
			dataCTEs(a)
		}
	}
	dataCTEs(root)
	for _, n := range nodes {
		sep()
		c.insertCTE(n)
	}

	// The verdict of the checks, then the field's JSON.
	w.WriteString(" SELECT CASE WHEN ")
	checks := 0
	for _, n := range nodes {
		if n.perm.Check == nil {
			continue
		}
		if checks > 0 {
			w.WriteString(" AND ")
		}
		checks++
		x := w.Alias()
		w.WriteString("(SELECT coalesce(bool_and(")
		n.perm.Check(w, x)
		w.Write("), true) FROM ", n.ins, " AS ", x, ")")
	}
	if checks == 0 {
		w.WriteString("true")
	}
	w.WriteString(checkVerdict)
	affected := func() {
		w.WriteString("(")
		for i, n := range nodes {
			if i > 0 {
				w.WriteString(" + ")
			}
			w.Write("(SELECT count(*) FROM ", n.ins, ")")
		}
		w.WriteString(")")
	}
	if one {
		c.returningOne(t, f, root.ins, path)
	} else {
		c.mutationResponse(t, f, root.ins, affected, path)
	}
	w.WriteString(` AS "root"`)
}

// writeSources makes every table the statement writes read, within it, as
// the table plus the rows the statement writes: the checks, filters and
// returning see them. A row the statement changes (an upsert's update)
// is taken from the statement, not from the table.
func (c *compiler) writeSources(nodes []*insertNode) {
	byTable := map[*catalog.Table][]string{}
	var tables []*catalog.Table
	for _, n := range nodes {
		if _, ok := byTable[n.table]; !ok {
			tables = append(tables, n.table)
		}
		byTable[n.table] = append(byTable[n.table], n.ins)
	}
	for _, t := range tables {
		c.setSource(t, byTable[t], nil)
	}
}

// setSource sets the source of t to the table without the rows in minus,
// plus the rows of the CTEs in plus.
func (c *compiler) setSource(t *catalog.Table, plus, minus []string) {
	w := c.w
	cols := make([]string, len(t.Columns))
	for i := range t.Columns {
		cols[i] = t.Columns[i].SQL()
	}
	list := strings.Join(cols, ", ")
	var b strings.Builder
	b.WriteString("(SELECT " + list + " FROM " + t.SQL() + ` AS "_o"`)
	exclude := append(append([]string(nil), plus...), minus...)
	if len(t.PrimaryKey) > 0 && len(exclude) > 0 {
		b.WriteString(" WHERE ")
		for i, cte := range exclude {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString("NOT EXISTS (SELECT 1 FROM " + cte + ` AS "_c" WHERE `)
			for k, pk := range t.PrimaryKey {
				if k > 0 {
					b.WriteString(" AND ")
				}
				q := catalog.QuoteIdent(pk)
				b.WriteString(`"_c".` + q + ` = "_o".` + q)
			}
			b.WriteString(")")
		}
	}
	for _, cte := range plus {
		b.WriteString(" UNION ALL SELECT " + list + " FROM " + cte)
	}
	b.WriteString(")")
	w.SetSource(t.SQL(), b.String())
}

// insertCTE writes one node's INSERT: its columns from the JSON rows, its
// foreign keys from the parent rows inserted before it or after which it
// comes, its presets, and its ON CONFLICT.
func (c *compiler) insertCTE(n *insertNode) {
	w := c.w
	t := n.table
	d := `"_d"`
	type value struct {
		col   *catalog.Column
		write func()
	}
	var values []value
	set := map[string]bool{}
	add := func(col *catalog.Column, write func()) {
		if set[col.Name] {
			return
		}
		set[col.Name] = true
		values = append(values, value{col, write})
	}
	// Presets win over everything.
	for _, p := range n.perm.Set {
		p := p
		col := t.ColumnByName(p.Column)
		add(col, func() { c.presetValue(col, p) })
	}
	// Foreign keys from object relationships inserted first: the parent
	// row's value when the row has one.
	for i, b := range n.before {
		i := i
		for _, m := range b.rel.Mapping {
			col := t.ColumnByName(m.Local)
			remote := catalog.QuoteIdent(m.Remote)
			own := c.columnFromJSON(t, col, d, n)
			add(col, func() {
				w.Write(`CASE WHEN "_b`, strconv.Itoa(i), `"."_n" IS NOT NULL THEN "_r`, strconv.Itoa(i), `".`, remote, ` ELSE `)
				own()
				w.WriteString(" END")
			})
		}
	}
	// Foreign keys of the rows of an array relationship, or of an object
	// one inserted after its parent: the parent's values.
	if n.rel != nil && afterParent(n.rel) {
		for _, m := range n.rel.Mapping {
			col := t.ColumnByName(m.Remote)
			local := catalog.QuoteIdent(m.Local)
			add(col, func() { w.Write(`"_pr".`, local) })
		}
	}
	for _, col := range n.columns {
		add(col, c.columnFromJSON(t, col, d, n))
	}
	if len(values) == 0 {
		// No column at all ({} rows): the first column with its default.
		col := &t.Columns[0]
		add(col, func() { w.WriteString(defaultSQL(col)) })
	}

	w.Write(n.ins, " AS (INSERT INTO ", t.SQL(), ` AS "_t" (`)
	for i, v := range values {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(v.col.SQL())
	}
	w.WriteString(") SELECT ")
	for i, v := range values {
		if i > 0 {
			w.WriteString(", ")
		}
		v.write()
	}
	w.Write(" FROM ", n.data, " AS ", d)
	if len(n.columns) > 0 {
		// Each row's values typed in one pass over its JSON.
		w.Write(` CROSS JOIN LATERAL jsonb_to_record(`, d, `."_j") AS "_v"(`)
		for i, col := range n.columns {
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(catalog.QuoteIdent(col.Field), " ", col.Type)
		}
		w.WriteString(")")
	}
	for i, b := range n.before {
		bi := strconv.Itoa(i)
		w.Write(` LEFT JOIN `, b.data, ` AS "_b`, bi, `" ON "_b`, bi, `"."_p" = `, d, `."_n" LEFT JOIN `, b.numbered, ` AS "_r`, bi, `" ON "_r`, bi, `"."_n" = "_b`, bi, `"."_n"`)
	}
	if n.rel != nil && afterParent(n.rel) {
		w.Write(` JOIN `, n.parent.numbered, ` AS "_pr" ON "_pr"."_n" = `, d, `."_p"`)
	}
	w.Write(" ORDER BY ", d, `."_n"`)
	c.onConflict(n)
	w.WriteString(` RETURNING "_t".*)`)
	// Numbered in insertion order, for the rows that hang from these.
	w.Write(", ", n.numbered, ` AS (SELECT row_number() OVER () AS "_n", * FROM `, n.ins, ")")
}

// columnFromJSON returns the writer of a column's value from a row: its
// typed value from jsonb_to_record ("_v"), or the column's default when the
// row does not give the key.
func (c *compiler) columnFromJSON(t *catalog.Table, col *catalog.Column, d string, n *insertNode) func() {
	w := c.w
	given := false
	for _, g := range n.columns {
		given = given || g == col
	}
	return func() {
		v := `"_v".` + catalog.QuoteIdent(col.Field)
		switch {
		case !given:
			w.WriteString(defaultSQL(col))
		case n.always[col.Name] || col.Default == "":
			w.WriteString(v) // a missing key and the default are both NULL
		default:
			w.Write("CASE WHEN ", d, `."_j" ? `, catalog.QuoteLiteral(col.Field), " THEN ", v, " ELSE ", defaultSQL(col), " END")
		}
	}
}

// defaultSQL is the column's default expression, NULL when it has none.
func defaultSQL(col *catalog.Column) string {
	if col.Default == "" {
		return "NULL"
	}
	return col.Default
}

// presetValue writes a permission's preset for a column.
func (c *compiler) presetValue(col *catalog.Column, p catalog.Preset) {
	w := c.w
	switch {
	case p.Session != "":
		w.Session(p.Session, col.Type)
	case p.Null:
		w.WriteString("NULL::" + col.Type)
	default:
		w.Write(catalog.QuoteLiteral(p.Literal), "::", col.Type)
	}
}

// onConflict writes a node's ON CONFLICT: DO NOTHING without
// update_columns; DO UPDATE of those columns (with the update
// permission's presets) where the update permission's filter and the
// on_conflict's where hold.
func (c *compiler) onConflict(n *insertNode) {
	w := c.w
	t := n.table
	if n.onConflict.isNull() {
		return
	}
	var constraint string
	var updates []*catalog.Column
	var where val
	for _, fl := range c.fields(n.onConflict) {
		switch fl.name {
		case "constraint":
			constraint = fl.v.enum()
		case "update_columns":
			for _, u := range c.items(fl.v) {
				col := t.Column(u.enum())
				if col == nil {
					c.fail(n.path, wire.CodeValidationFailed, "unexpected value %q for enum: '%s_update_column'", u.enum(), t.Type)
					return
				}
				updates = append(updates, col)
			}
		case "where":
			where = fl.v
		}
	}
	if _, ok := t.Constraints[constraint]; !ok {
		c.fail(n.path, wire.CodeValidationFailed, "unexpected value %q for enum: '%s_constraint'", constraint, t.Type)
		return
	}
	w.Write(" ON CONFLICT ON CONSTRAINT ", catalog.QuoteIdent(constraint))
	if len(updates) == 0 {
		w.WriteString(" DO NOTHING")
		if len(n.after) > 0 {
			c.fail(n.path, wire.CodeValidationFailed, "on_conflict without update_columns cannot be used with nested array relationship inserts: a row not inserted has no key for them")
		}
		return
	}
	up := t.UpdateFor(c.role)
	if up == nil {
		c.fail(n.path, wire.CodeValidationFailed, "the role has no update permission on %s.%s: on_conflict can only do nothing", t.Schema, t.Name)
		return
	}
	allowed := map[string]bool{}
	for _, col := range up.Columns {
		allowed[col] = true
	}
	w.WriteString(" DO UPDATE SET ")
	done := map[string]bool{}
	i := 0
	for _, p := range up.Set {
		col := t.ColumnByName(p.Column)
		if i > 0 {
			w.WriteString(", ")
		}
		i++
		done[col.Name] = true
		w.Write(col.SQL(), " = ")
		c.presetValue(col, p)
	}
	for _, col := range updates {
		if !allowed[col.Name] {
			c.fail(n.path, wire.CodeValidationFailed, "unexpected value %q for enum: '%s_update_column'", col.Field, t.Type)
			return
		}
		if done[col.Name] {
			continue
		}
		if i > 0 {
			w.WriteString(", ")
		}
		i++
		done[col.Name] = true
		w.Write(col.SQL(), ` = EXCLUDED.`, col.SQL())
	}
	w.WriteString(` WHERE `)
	c.permFilterOf(up.Filter, `"_t"`)
	if !where.isNull() {
		w.WriteString(" AND ")
		c.boolExp(t, `"_t"`, where, n.path+".on_conflict.where")
	}
}

func (c *compiler) permFilterOf(f catalog.Filter, x string) {
	if f == nil {
		c.w.WriteString("true")
		return
	}
	c.w.WriteString("(")
	f(c.w, x)
	c.w.WriteString(")")
}

// mutationResponse writes a <t>_mutation_response object: affected_rows,
// and returning (the rows of cte under the role's select permission).
func (c *compiler) mutationResponse(t *catalog.Table, f *collected, cte string, affected func(), path string) {
	w := c.w
	typeName := f.field.Definition.Type.Name()
	c.object(c.collect(f.sels, typeName), func(_ int, rf *collected) func() {
		switch rf.field.Name {
		case "affected_rows":
			return affected
		case "returning":
			perm := t.SelectFor(c.role)
			if perm == nil {
				c.fail(path+".selectionSet.returning", wire.CodeValidationFailed, "field 'returning' not found in type: '%s'", typeName)
				return nil
			}
			return func() {
				a := w.Alias()
				w.Write(`(SELECT coalesce(json_agg(`, a, `."root"), '[]') FROM (`)
				c.rows(t, perm, rf.sels, t.Type, selectArgs{source: cte}, nil, path+".selectionSet.returning")
				w.Write(") AS ", a, ")")
			}
		}
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", rf.field.Name, typeName)
		return nil
	})
}

// returningOne writes the one row of a _one or _by_pk mutation under the
// role's select permission, or NULL.
func (c *compiler) returningOne(t *catalog.Table, f *collected, cte string, path string) {
	w := c.w
	perm := t.SelectFor(c.role)
	if perm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'mutation_root'", f.field.Name)
		return
	}
	a := w.Alias()
	w.Write(`(SELECT `, a, `."root" FROM (`)
	c.rows(t, perm, f.sels, t.Type, selectArgs{source: cte, forceLimit: 1}, nil, path)
	w.Write(") AS ", a, ")")
}

// update writes update_<t> / update_<t>_by_pk.
func (c *compiler) update(t *catalog.Table, perm *catalog.UpdatePermission, field *ast.Field, f *collected, byPk bool, path string) {
	args := map[string]val{}
	for _, a := range field.Arguments {
		args[a.Name] = c.value(a.Value)
	}
	c.updateWithArgs(t, perm, args, field, f, byPk, path)
}

// updateWith writes one update of update_<t>_many: its operators and
// where come from one element of updates.
func (c *compiler) updateWith(t *catalog.Table, perm *catalog.UpdatePermission, u val, field *ast.Field, f *collected, byPk bool, path string) {
	args := map[string]val{}
	for _, fl := range c.fields(u) {
		args[fl.name] = fl.v
	}
	c.updateWithArgs(t, perm, args, field, f, byPk, path)
}

// updateOps are the update operators in the order their assignments are
// written.
var updateOps = []string{"_set", "_inc", "_append", "_prepend", "_delete_key", "_delete_elem", "_delete_at_path"}

func (c *compiler) updateWithArgs(t *catalog.Table, perm *catalog.UpdatePermission, args map[string]val, field *ast.Field, f *collected, byPk bool, path string) {
	w := c.w
	u, x := w.Alias(), `"_t"`
	// Nested updates of object relationships (beyond Hasura).
	type nested struct {
		rel  *catalog.Relationship
		perm *catalog.UpdatePermission
		args map[string]val
		cte  string
	}
	var nests []nested
	if byPk {
		for name, v := range args {
			r := t.Relationship(name)
			if r == nil || v.isNull() {
				continue
			}
			rp := r.RemoteTable().UpdateFor(c.role)
			if r.Array || rp == nil {
				c.fail(path+".args."+name, wire.CodeValidationFailed, "'%s' has no argument named '%s'", field.Name, name)
				return
			}
			na := map[string]val{}
			for _, fl := range c.fields(v) {
				na[fl.name] = fl.v
			}
			nests = append(nests, nested{rel: r, perm: rp, args: na, cte: w.Alias()})
		}
		// Deterministic order: by relationship name.
		for i := 1; i < len(nests); i++ {
			for j := i; j > 0 && nests[j].rel.Name < nests[j-1].rel.Name; j-- {
				nests[j], nests[j-1] = nests[j-1], nests[j]
			}
		}
	}
	if len(nests) == 0 && emptyUpdate(perm, args) {
		c.emptyUpdate(f, byPk, path)
		return
	}
	written := []string{u}
	c.setSource(t, written, nil)
	for _, n := range nests {
		c.setSource(n.rel.RemoteTable(), []string{n.cte}, nil)
	}

	w.Write("WITH ", u, " AS (UPDATE ", t.SQL(), " AS ", x, " SET ")
	if !c.assignments(t, perm, args, x, path) {
		return
	}
	w.WriteString(" WHERE ")
	c.permFilterOf(perm.Filter, x)
	if byPk {
		pk := args["pk_columns"]
		for _, name := range t.PrimaryKey {
			col := t.ColumnByName(name)
			var v val
			for _, fl := range c.fields(pk) {
				if fl.name == col.Field {
					v = fl.v
				}
			}
			w.Write(" AND (", x, ".", col.SQL(), " = ")
			w.Param(c.param(v, catalog.EncodeText), col.Type)
			w.WriteString(")")
		}
	} else if where := args["where"]; !where.isNull() {
		w.WriteString(" AND ")
		c.boolExp(t, x, where, path+".args.where")
	}
	w.Write(" RETURNING ", x, ".*)")
	for _, n := range nests {
		rx := `"_n"`
		w.Write(", ", n.cte, " AS (UPDATE ", n.rel.RemoteTable().SQL(), " AS ", rx, " SET ")
		if !c.assignments(n.rel.RemoteTable(), n.perm, n.args, rx, path+".args."+n.rel.Name) {
			return
		}
		w.Write(" FROM ", u, ` AS "_p" WHERE `)
		for i, m := range n.rel.Mapping {
			if i > 0 {
				w.WriteString(" AND ")
			}
			w.Write(rx, ".", catalog.QuoteIdent(m.Remote), ` = "_p".`, catalog.QuoteIdent(m.Local))
		}
		w.WriteString(" AND ")
		c.permFilterOf(n.perm.Filter, rx)
		w.Write(" RETURNING ", rx, ".*)")
	}

	// ok: the update checks hold for the new rows, and every nested
	// update reached its row (a row the role may not update is an error,
	// not a silent skip).
	w.WriteString(" SELECT CASE WHEN ")
	c.checkOver(perm.Check, u)
	for _, n := range nests {
		w.WriteString(" AND ")
		c.checkOver(n.perm.Check, n.cte)
		w.Write(` AND NOT EXISTS (SELECT 1 FROM `, u, ` AS "_p" WHERE `)
		for i, m := range n.rel.Mapping {
			if i > 0 {
				w.WriteString(" AND ")
			}
			w.Write(`"_p".`, catalog.QuoteIdent(m.Local), " IS NOT NULL")
		}
		w.Write(` AND NOT EXISTS (SELECT 1 FROM `, n.cte, ` AS "_c" WHERE `)
		for i, m := range n.rel.Mapping {
			if i > 0 {
				w.WriteString(" AND ")
			}
			w.Write(`"_c".`, catalog.QuoteIdent(m.Remote), ` = "_p".`, catalog.QuoteIdent(m.Local))
		}
		w.WriteString("))")
	}
	w.WriteString(checkVerdict)
	if byPk {
		c.returningOne(t, f, u, path)
	} else {
		c.mutationResponse(t, f, u, func() { w.Write("(SELECT count(*) FROM ", u, ")") }, path)
	}
	w.WriteString(` AS "root"`)
}

// emptyUpdate reports whether an update sets nothing: operators are given
// but name no column ("_set: {}"), and the permission presets none. Hasura
// then runs nothing and answers as if no row matched.
func emptyUpdate(perm *catalog.UpdatePermission, args map[string]val) bool {
	given := false
	for _, op := range updateOps {
		v, ok := args[op]
		if !ok || v.isNull() {
			continue
		}
		given = true
		if v.fromVar {
			if o, ok := v.json.(*wire.Object); !ok || len(o.Keys) > 0 {
				return false
			}
		} else if v.lit.Kind != ast.ObjectValue || len(v.lit.Children) > 0 {
			return false
		}
	}
	return given && len(perm.Set) == 0
}

// emptyUpdate writes the statement of an update that sets nothing, with
// Hasura's answer: affected_rows 0 and returning [] (__typename as
// asked), and for update_<t>_by_pk an empty object, whatever its
// selection.
func (c *compiler) emptyUpdate(f *collected, byPk bool, path string) {
	w := c.w
	w.WriteString(`SELECT true AS "ok", `)
	if byPk {
		w.WriteString(`'{}'::json`)
	} else {
		typeName := f.field.Definition.Type.Name()
		c.object(c.collect(f.sels, typeName), func(_ int, rf *collected) func() {
			switch rf.field.Name {
			case "affected_rows":
				return func() { w.WriteString("0") }
			case "returning":
				return func() { w.WriteString(`'[]'::json`) }
			}
			c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", rf.field.Name, typeName)
			return nil
		})
	}
	w.WriteString(` AS "root"`)
}

// checkOver writes whether a check holds for every row of a CTE.
func (c *compiler) checkOver(check catalog.Filter, cte string) {
	w := c.w
	if check == nil {
		w.WriteString("true")
		return
	}
	y := w.Alias()
	w.WriteString("(SELECT coalesce(bool_and(")
	check(w, y)
	w.Write("), true) FROM ", cte, " AS ", y, ")")
}

// assignments writes an UPDATE's SET list from the operators and the
// permission's presets; false (with an error) when there is nothing to set
// or a column is set twice.
func (c *compiler) assignments(t *catalog.Table, perm *catalog.UpdatePermission, args map[string]val, x, path string) bool {
	w := c.w
	allowed := map[string]bool{}
	for _, col := range perm.Columns {
		allowed[col] = true
	}
	done := map[string]bool{}
	n := 0
	assign := func(col *catalog.Column, write func()) bool {
		if done[col.Name] {
			c.fail(path, wire.CodeValidationFailed, "column %q can be updated only once", col.Field)
			return false
		}
		done[col.Name] = true
		if n > 0 {
			w.WriteString(", ")
		}
		n++
		w.Write(col.SQL(), " = ")
		write()
		return true
	}
	for _, p := range perm.Set {
		p := p
		col := t.ColumnByName(p.Column)
		if !assign(col, func() { c.presetValue(col, p) }) {
			return false
		}
	}
	for _, op := range updateOps {
		v, ok := args[op]
		if !ok || v.isNull() {
			continue
		}
		for _, fl := range c.fields(v) {
			fl := fl
			col := t.Column(fl.name)
			if col == nil || !allowed[col.Name] {
				c.fail(path+".args."+op+"."+fl.name, wire.CodeValidationFailed, "field '%s' not found in type: '%s%s_input'", fl.name, t.Type, op)
				return false
			}
			ref := x + "." + col.SQL()
			ok := assign(col, func() {
				switch op {
				case "_set":
					c.valueParam(col, fl.v)
				case "_inc":
					w.Write(ref, " + ")
					w.Param(c.param(fl.v, catalog.EncodeText), col.Type)
				case "_append":
					w.Write(ref, " || ")
					w.Param(c.param(fl.v, catalog.EncodeJSON), "jsonb")
				case "_prepend":
					w.Param(c.param(fl.v, catalog.EncodeJSON), "jsonb")
					w.Write(" || ", ref)
				case "_delete_key":
					w.Write(ref, " - ")
					w.Param(c.param(fl.v, catalog.EncodeText), "text")
				case "_delete_elem":
					w.Write(ref, " - ")
					w.Param(c.param(fl.v, catalog.EncodeText), "int4")
				case "_delete_at_path":
					w.Write(ref, " #- ")
					w.Param(c.param(fl.v, catalog.EncodeTextList), "text[]")
				}
			})
			if !ok {
				return false
			}
		}
	}
	if n == 0 {
		c.fail(path, wire.CodeValidationFailed, "at least any one of _set, _inc, _append, _prepend, _delete_key, _delete_elem, _delete_at_path is expected")
		return false
	}
	return true
}

// valueParam writes a value for a column as a parameter: JSON for json
// columns, an array literal for arrays, text otherwise.
func (c *compiler) valueParam(col *catalog.Column, v val) {
	switch {
	case col.JSON != "":
		c.w.Param(c.param(v, catalog.EncodeJSON), col.Type)
	case col.Array:
		c.w.Param(c.param(v, catalog.EncodeArray), col.Type)
	default:
		c.w.Param(c.param(v, catalog.EncodeText), col.Type)
	}
}

// delete writes delete_<t> / delete_<t>_by_pk.
func (c *compiler) delete(t *catalog.Table, perm *catalog.DeletePermission, f *collected, byPk bool, path string) {
	w := c.w
	d, x := w.Alias(), `"_t"`
	// Within the statement the table no longer holds the deleted rows.
	c.setSource(t, nil, []string{d})
	w.Write("WITH ", d, " AS (DELETE FROM ", t.SQL(), " AS ", x, " WHERE ")
	c.permFilterOf(perm.Filter, x)
	if byPk {
		for _, name := range t.PrimaryKey {
			col := t.ColumnByName(name)
			w.Write(" AND (", x, ".", col.SQL(), " = ")
			w.Param(c.param(c.arg(f.field, col.Field), catalog.EncodeText), col.Type)
			w.WriteString(")")
		}
	} else if where := c.arg(f.field, "where"); !where.isNull() {
		w.WriteString(" AND ")
		c.boolExp(t, x, where, path+".args.where")
	}
	w.Write(" RETURNING ", x, `.*) SELECT true AS "ok", `)
	if byPk {
		c.returningOne(t, f, d, path)
	} else {
		c.mutationResponse(t, f, d, func() { w.Write("(SELECT count(*) FROM ", d, ")") }, path)
	}
	w.WriteString(` AS "root"`)
}

// jsonParam is a parameter carrying an input value as JSON text: a
// variable's value, or a literal with the variables inside it filled in
// when the statement runs.
func (c *compiler) jsonParam(v val) catalog.Param {
	if v.fromVar {
		return catalog.Param{Var: v.name, Path: v.path, Encoding: catalog.EncodeJSON}
	}
	return catalog.Param{Literal: v.lit, Encoding: catalog.EncodeJSON}
}

// backendOnly reports whether the role's permission behind a mutation is
// backend-only: usable only with the admin secret and
// x-hasura-use-backend-only-permissions: true.
func backendOnly(t *catalog.Table, role string, kind mutKind) bool {
	switch kind {
	case mutInsert, mutInsertOne:
		p := t.InsertFor(role)
		return p != nil && p.BackendOnly
	case mutUpdate, mutUpdateByPk, mutUpdateMany:
		p := t.UpdateFor(role)
		return p != nil && p.BackendOnly
	case mutFunction:
		return false
	default:
		p := t.DeleteFor(role)
		return p != nil && p.BackendOnly
	}
}
