package compile

import (
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
)

// boolExp writes a <t>_bool_exp value as a SQL condition over the row
// alias x. Relationship filters become EXISTS subqueries with the
// remote table's filter for the role applied, as in Hasura.
func (c *compiler) boolExp(t *catalog.Table, x string, v val, path string) {
	c.and(c.fields(v), func(f field) { c.boolField(t, x, f, path+"."+f.name) })
}

// and writes the conjunction of fields, each written by write; of none,
// true.
func (c *compiler) and(fields []field, write func(f field)) {
	w := c.w
	if len(fields) == 0 {
		w.WriteString("true")
		return
	}
	w.WriteString("(")
	for i, f := range fields {
		if i > 0 {
			w.WriteString(" AND ")
		}
		write(f)
	}
	w.WriteString(")")
}

func (c *compiler) boolField(t *catalog.Table, x string, f field, path string) {
	w := c.w
	switch f.name {
	case "_and", "_or":
		items := c.items(f.v)
		if len(items) == 0 {
			if f.name == "_and" {
				w.WriteString("true")
			} else {
				w.WriteString("false")
			}
			return
		}
		op := " AND "
		if f.name == "_or" {
			op = " OR "
		}
		w.WriteString("(")
		for i, item := range items {
			if i > 0 {
				w.WriteString(op)
			}
			c.boolExp(t, x, item, path)
		}
		w.WriteString(")")
		return
	case "_not":
		w.WriteString("NOT ")
		c.boolExp(t, x, f.v, path)
		return
	}
	if col := t.Column(f.name); col != nil {
		c.comparisons(func() { w.Write(x, ".", col.SQL()) }, col.Type, col, f.v, path)
		return
	}
	if cf := t.ComputedField(f.name); cf != nil {
		c.computedFilter(t, x, cf, f, path)
		return
	}
	rf, ok := t.RelField(f.name)
	if !ok {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s_bool_exp'", f.name, t.Type)
		return
	}
	remote := rf.Rel.RemoteTable()
	rperm := remote.SelectFor(c.role)
	if rperm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: '%s_bool_exp'", f.name, t.Type)
		return
	}
	if rf.Aggregate {
		c.aggregatePredicates(t, x, rf.Rel, rperm, f.v, path)
		return
	}
	y := w.Alias()
	w.WriteString("EXISTS (SELECT 1 FROM ")
	c.source(remote, rperm, w.Table(remote.SQL()), y)
	w.WriteString(" WHERE ")
	c.writeJoin(&join{parent: x, rel: rf.Rel}, y)
	w.WriteString(" AND ")
	c.rowFilter(rperm, y)
	w.WriteString(" AND ")
	c.boolExp(remote, y, f.v, path)
	w.WriteString(")")
}

// comparisonOps maps the simple binary operators to SQL.
var comparisonOps = map[string]string{
	"_eq": " = ", "_neq": " <> ", "_gt": " > ", "_lt": " < ", "_gte": " >= ", "_lte": " <= ",
	"_like": " LIKE ", "_nlike": " NOT LIKE ", "_ilike": " ILIKE ", "_nilike": " NOT ILIKE ",
	"_similar": " SIMILAR TO ", "_nsimilar": " NOT SIMILAR TO ",
	"_regex": " ~ ", "_nregex": " !~ ", "_iregex": " ~* ", "_niregex": " !~* ",
}

// jsonOps maps the operators of jsonb and array columns to SQL.
var jsonOps = map[string]string{
	"_contains": " @> ", "_contained_in": " <@ ", "_has_key": " ? ", "_has_keys_any": " ?| ", "_has_keys_all": " ?& ",
}

// binary writes (expr op p), p cast to typ.
func (c *compiler) binary(expr func(), op string, p catalog.Param, typ string) {
	c.w.WriteString("(")
	expr()
	c.w.WriteString(op)
	c.w.Param(p, typ)
	c.w.WriteString(")")
}

// comparisons writes a <Scalar>_comparison_exp over the expression expr of
// SQL type typ. col, when not nil, is the column expr reads (for JSON and
// array operators).
func (c *compiler) comparisons(expr func(), typ string, col *catalog.Column, v val, path string) {
	w := c.w
	fields := c.fields(v)
	if len(fields) == 0 {
		w.WriteString("true")
		return
	}
	isArray := col != nil && col.Array
	// jsonb operands are JSON values: "abc" is the JSON string "abc",
	// not the text of a document.
	isJSON := col != nil && !isArray && col.JSON != ""
	w.WriteString("(")
	for i, f := range fields {
		if i > 0 {
			w.WriteString(" AND ")
		}
		opPath := path + "." + f.name
		if f.name == "_is_null" {
			if f.v.isNull() {
				c.fail(opPath, wire.CodeValidationFailed, "unexpected null value for type %q", "Boolean")
				return
			}
			w.WriteString("(")
			expr()
			if f.v.boolean() {
				w.WriteString(" IS NULL)")
			} else {
				w.WriteString(" IS NOT NULL)")
			}
			continue
		}
		if f.v.isNull() {
			c.fail(opPath, wire.CodeValidationFailed, "unexpected null value for type %q", strings.TrimSuffix(typ, "[]"))
			return
		}
		if op, ok := comparisonOps[f.name]; ok {
			enc := catalog.EncodeText
			switch {
			case isArray:
				// As an array literal: a text[] parameter cannot carry
				// the rows of a multi-dimensional array.
				enc = catalog.EncodeArray
			case isJSON:
				enc = catalog.EncodeJSON
			}
			c.binary(expr, op, c.param(f.v, enc), typ)
			continue
		}
		switch f.name {
		case "_in", "_nin":
			if f.name == "_nin" {
				w.WriteString("NOT ")
			}
			w.WriteString("(")
			expr()
			w.WriteString(" = ANY(")
			if isJSON {
				w.Param(c.param(f.v, catalog.EncodeJSONList), typ+"[]")
			} else {
				w.Param(c.param(f.v, catalog.EncodeTextList), typ+"[]")
			}
			w.WriteString("))")
			continue
		case "_contains", "_contained_in":
			op := jsonOps[f.name]
			if isArray {
				c.binary(expr, op, c.param(f.v, catalog.EncodeArray), typ)
			} else {
				c.binary(expr, op, c.param(f.v, catalog.EncodeJSON), "jsonb")
			}
			continue
		case "_has_key":
			c.binary(expr, jsonOps[f.name], c.param(f.v, catalog.EncodeText), "text")
			continue
		case "_has_keys_any", "_has_keys_all":
			c.binary(expr, jsonOps[f.name], c.param(f.v, catalog.EncodeTextList), "text[]")
			continue
		case "_ancestor", "_ancestor_any", "_descendant", "_descendant_any", "_matches", "_matches_any", "_matches_fulltext":
			c.ltree(expr, typ, f)
			continue
		case "_cast":
			c.and(c.fields(f.v), func(cf field) {
				if cf.name != "String" {
					c.fail(opPath+"."+cf.name, wire.CodeValidationFailed, "field '%s' not found in type: 'jsonb_cast_exp'", cf.name)
					return
				}
				c.comparisons(func() { w.WriteString("("); expr(); w.WriteString(")::text") }, "text", nil, cf.v, opPath+"."+cf.name)
			})
			continue
		}
		c.fail(opPath, wire.CodeValidationFailed, "field '%s' not found in type: '%s_comparison_exp'", f.name, typ)
		return
	}
	w.WriteString(")")
}

// aggregatePredicates writes <arr>_aggregate: {count: {arguments, distinct,
// filter, predicate}, bool_and: {...}, bool_or: {...}} over the related
// rows visible to the role.
func (c *compiler) aggregatePredicates(t *catalog.Table, x string, rel *catalog.Relationship, rperm *catalog.SelectPermission, v val, path string) {
	if !rperm.Aggregations {
		c.fail(path, wire.CodeValidationFailed, "field '%s_aggregate' not found in type: '%s_bool_exp'", rel.Name, t.Type)
		return
	}
	c.and(c.fields(v), func(f field) { c.aggregatePredicate(x, rel, rperm, f, path+"."+f.name) })
}

// aggregatePredicate writes one of count, bool_and and bool_or of an
// aggregate predicate.
func (c *compiler) aggregatePredicate(x string, rel *catalog.Relationship, rperm *catalog.SelectPermission, f field, fpath string) {
	w := c.w
	remote := rel.RemoteTable()
	args := c.fields(f.v)
	var arguments, filter, predicate val
	distinct := false
	for _, a := range args {
		switch a.name {
		case "arguments":
			arguments = a.v
		case "distinct":
			distinct = a.v.boolean()
		case "filter":
			filter = a.v
		case "predicate":
			predicate = a.v
		}
	}
	var cols []*catalog.Column
	for _, a := range c.items(arguments) {
		col := remote.Column(a.enum())
		if col == nil {
			c.fail(fpath+".arguments", wire.CodeValidationFailed, "unexpected value %q for enum: '%s_select_column'", a.enum(), remote.Type)
			return
		}
		cols = append(cols, col)
	}
	y := w.Alias()
	typ := "int8"
	writeAgg := func() {
		w.WriteString("(SELECT ")
		switch f.name {
		case "count":
			w.WriteString("count(")
			if distinct && len(cols) > 0 {
				w.WriteString("DISTINCT ")
			}
			switch len(cols) {
			case 0:
				// Without arguments Hasura counts rows, distinct or
				// not (CountStar).
				w.WriteString("*")
			case 1:
				w.Write(y, ".", cols[0].SQL())
			default:
				w.WriteString("(")
				for k, col := range cols {
					if k > 0 {
						w.WriteString(", ")
					}
					w.Write(y, ".", col.SQL())
				}
				w.WriteString(")")
			}
			w.WriteString(")")
		default:
			w.Write(f.name, "(")
			if distinct {
				w.WriteString("DISTINCT ")
			}
			if len(cols) == 1 {
				w.Write(y, ".", cols[0].SQL())
			}
			w.WriteString(")")
		}
		w.WriteString(" FROM ")
		c.source(remote, rperm, w.Table(remote.SQL()), y)
		w.WriteString(" WHERE ")
		c.writeJoin(&join{parent: x, rel: rel}, y)
		w.WriteString(" AND ")
		c.rowFilter(rperm, y)
		if !filter.isNull() {
			w.WriteString(" AND ")
			c.boolExp(remote, y, filter, fpath+".filter")
		}
		w.WriteString(")")
	}
	switch f.name {
	case "count":
	case "bool_and", "bool_or":
		typ = "boolean"
		if len(cols) != 1 {
			c.fail(fpath+".arguments", wire.CodeValidationFailed, "expected one column for %s", f.name)
			return
		}
	default:
		c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s_aggregate_bool_exp'", f.name, remote.Type)
		return
	}
	c.comparisons(writeAgg, typ, nil, predicate, fpath+".predicate")
}
