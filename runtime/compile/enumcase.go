package compile

// Under graphql-default, Hasura names the values of an enum table
// upper-cased (Sunday → SUNDAY) while the database holds them as they are.
// A column that references an enum table carries its values
// (catalog.Column.EnumValues): requests' values are mapped back to the
// database's, and responses' upper-cased. Comparisons compare upper(col),
// which is the same (the column holds enum values only, and two values
// equal when upper-cased would make one GraphQL value, which the schema
// refuses).

import (
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
)

// enumValue writes the database value of an enum column whose GraphQL
// value (upper-cased) in is written by in: the enum value it is the
// upper-case of, or NULL.
func (c *compiler) enumValue(col *catalog.Column, in func()) {
	w := c.w
	w.Write(`(SELECT "_e" FROM unnest(`, enumArray(col.EnumValues), `) AS "_e" WHERE upper("_e") = (`)
	in()
	w.Write(`)::text)::`, col.Type)
}

// enumArray is the SQL array of an enum table's values, from the generated
// descriptor (not from a request).
func enumArray(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = catalog.QuoteLiteral(v)
	}
	return "ARRAY[" + strings.Join(q, ", ") + "]::text[]"
}

// UpperEnum returns the database value of enum column col's GraphQL value
// v: v itself outside graphql-default.
func UpperEnum(col *catalog.Column, v string) string {
	for _, e := range col.EnumValues {
		if strings.ToUpper(e) == v {
			return e
		}
	}
	return v
}

// keyParam writes the parameter of a primary-key column's value (_by_pk),
// mapped for an enum table's column.
func (c *compiler) keyParam(col *catalog.Column, v val) {
	if col.EnumValues != nil {
		c.enumValue(col, func() { c.w.Param(c.param(v, catalog.EncodeText), "text") })
		return
	}
	c.w.Param(c.param(v, catalog.EncodeText), col.Type)
}
