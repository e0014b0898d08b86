package compile

// Inherited roles: a select permission with cell filters (Hasura's cell
// semantics) is read through a subquery that nulls each restricted
// column in the rows its condition does not hold for:
//
//	FROM (SELECT "_9"."id", CASE WHEN (<parents' filters granting phone>) THEN "_9"."phone" END AS "phone", ...
//	      FROM "public"."employees" AS "_9" WHERE (<the role's filter>)) AS "_3"
//
// Everything the request reads of the row (selected fields, where,
// order_by, distinct_on, aggregates, stream cursors) reads the subquery,
// so a hidden cell cannot be selected, filtered on, ordered by or
// aggregated. The role's filter and the cell conditions read the row
// itself, and so do relationship joins, as in Hasura (a restricted
// column's raw value travels as "__raw_<column>" for them alone).
// Postgres inlines the subquery.

import "github.com/hasgen/hasgen/runtime/catalog"

// source writes the row source of table t (read from from, its quoted
// name or a mutation's row source) as alias x: `from AS x` for a plain
// permission; for one with cell filters, the redacting subquery, which
// applies the role's filter itself. rowFilter writes the filter that
// remains to apply over x.
func (c *compiler) source(t *catalog.Table, perm *catalog.SelectPermission, from, x string) {
	c.sourceWith(t, perm, func() { c.w.WriteString(from) }, x)
}

// sourceWith is source with the row source written by from: a function
// call (function.go).
func (c *compiler) sourceWith(t *catalog.Table, perm *catalog.SelectPermission, from func(), x string) {
	w := c.w
	if !perm.HasCells() {
		from()
		w.Write(" AS ", x)
		return
	}
	z := w.Alias()
	w.WriteString("(SELECT ")
	for i := range t.Columns {
		col := &t.Columns[i]
		if i > 0 {
			w.WriteString(", ")
		}
		// A column the role may not select stays as it is, as for any
		// role: the schema has no field for it, joins may read it.
		cell := perm.Cell(col.Name)
		if cell == nil {
			w.Write(z, ".", col.SQL(), " AS ", col.SQL())
			continue
		}
		w.WriteString("CASE WHEN (")
		cell(w, z)
		w.Write(") THEN ", z, ".", col.SQL(), " END AS ", col.SQL(), ", ", z, ".", col.SQL(), " AS ", rawColumn(col.Name))
	}
	w.WriteString(" FROM ")
	from()
	w.Write(" AS ", z, " WHERE ")
	c.permFilter(perm, z)
	w.Write(") AS ", x)
	c.markRedacted(perm, x)
}

// rawColumn is the name under which a redacting source passes a
// restricted column's value to relationship joins.
func rawColumn(name string) string { return catalog.QuoteIdent("__raw_" + name) }

// markRedacted records that the rows of alias a come from a redacting
// source of perm (directly, or as "x".* of one).
func (c *compiler) markRedacted(perm *catalog.SelectPermission, a string) {
	if !perm.HasCells() {
		return
	}
	if c.redacted == nil {
		c.redacted = map[string]*catalog.SelectPermission{}
	}
	c.redacted[a] = perm
}

// joinColumn is how a relationship join reads column name (Postgres) of
// the rows of alias a: the raw value where a redacting source restricts
// it.
func (c *compiler) joinColumn(a, name string) string {
	if perm := c.redacted[a]; perm != nil && perm.Cell(name) != nil {
		return rawColumn(name)
	}
	return catalog.QuoteIdent(name)
}

// rowFilter writes the role's filter over x, a source written by source:
// true when the source applied it.
func (c *compiler) rowFilter(perm *catalog.SelectPermission, x string) {
	if perm.HasCells() {
		c.w.WriteString("true")
		return
	}
	c.permFilter(perm, x)
}
