package compile

// Inherited roles: a select permission with cell filters (Hasura's cell
// semantics) is read through a subquery that nulls each restricted
// column in the rows its condition does not hold for:
//
//	FROM (SELECT "_9"."id", CASE WHEN (<parents' filters granting phone>) THEN "_9"."phone" END AS "phone", ...
//	      FROM "public"."employees" AS "_9" WHERE (<the role's filter>)) AS "_3"
//
// Everything the request reads of the row (selected fields, where,
// order_by, distinct_on, aggregates, relationship joins, stream cursors)
// reads the subquery, so a hidden cell cannot be selected, filtered on,
// ordered by or aggregated. The role's filter and the cell conditions
// read the row itself. Postgres inlines the subquery.

import "github.com/hasgen/hasgen/runtime/catalog"

// source writes the row source of table t (read from from, its quoted
// name or a mutation's row source) as alias x: `from AS x` for a plain
// permission; for one with cell filters, the redacting subquery, which
// applies the role's filter itself. rowFilter writes the filter that
// remains to apply over x.
func (c *compiler) source(t *catalog.Table, perm *catalog.SelectPermission, from, x string) {
	w := c.w
	if !perm.HasCells() {
		w.Write(from, " AS ", x)
		return
	}
	z := w.Alias()
	w.WriteString("(SELECT ")
	for i := range t.Columns {
		col := &t.Columns[i]
		if i > 0 {
			w.WriteString(", ")
		}
		switch cell := perm.Cell(col.Name); {
		case !perm.Allows(col.Name):
			// Never selected: the role's schema has no field for it.
			w.Write("NULL::", col.Type)
		case cell != nil:
			w.WriteString("CASE WHEN (")
			cell(w, z)
			w.Write(") THEN ", z, ".", col.SQL(), " END")
		default:
			w.Write(z, ".", col.SQL())
		}
		w.Write(" AS ", col.SQL())
	}
	w.Write(" FROM ", from, " AS ", z, " WHERE ")
	c.permFilter(perm, z)
	w.Write(") AS ", x)
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
