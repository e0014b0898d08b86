package compile

import (
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
)

// orderItem is one key of an ORDER BY: an expression over the base row
// alias and a direction.
type orderItem struct {
	expr func(x string)
	dir  string
	col  string // the column (Postgres name) when expr is a plain column
	// key is where a Relay cursor holds the item's value ("title";
	// "artist", "name"; "tracks_aggregate", "max", "ms") and typ the SQL
	// type the value is cast to (relay.go).
	key []string
	typ string
}

var orderDirections = map[string]string{
	"asc":              "ASC NULLS LAST",
	"asc_nulls_last":   "ASC NULLS LAST",
	"asc_nulls_first":  "ASC NULLS FIRST",
	"desc":             "DESC NULLS FIRST",
	"desc_nulls_first": "DESC NULLS FIRST",
	"desc_nulls_last":  "DESC NULLS LAST",
}

// orderBy turns an order_by argument (a list of <t>_order_by objects, each
// expanded in key order) into ORDER BY keys. Nothing is written yet: the
// keys are written where the base select lists them.
func (c *compiler) orderBy(t *catalog.Table, perm *catalog.SelectPermission, v val, path string) []orderItem {
	var out []orderItem
	for _, item := range c.items(v) {
		out = c.orderObject(t, perm, item, path, nil, func(inner func(y string)) func(x string) { return inner }, out)
	}
	return out
}

// orderObject appends the keys of one <t>_order_by object. wrap turns an
// expression over t's row into one over the outermost row (through object
// relationship subqueries).
func (c *compiler) orderObject(t *catalog.Table, perm *catalog.SelectPermission, v val, path string, key []string, wrap func(func(string)) func(string), out []orderItem) []orderItem {
	w := c.w
	for _, f := range c.fields(v) {
		if f.v.isNull() {
			continue
		}
		fpath := path + "." + f.name
		if col := t.Column(f.name); col != nil {
			dir, ok := orderDirections[c.names.Default(f.v.enum())]
			if !ok {
				c.fail(fpath, wire.CodeValidationFailed, "unexpected value %q for enum: 'order_by'", f.v.enum())
				return out
			}
			item := orderItem{dir: dir, expr: wrap(func(y string) { w.Write(y, ".", col.SQL()) }), key: appendKeyPath(key, col.Name), typ: col.Type}
			if t == c.orderRoot {
				item.col = col.Name
			}
			out = append(out, item)
			continue
		}
		if cf := t.ComputedField(f.name); cf != nil {
			item, ok := c.computedOrder(t, cf, f.v, fpath, wrap)
			if !ok {
				return out
			}
			out = append(out, item)
			continue
		}
		rf, ok := t.RelField(f.name)
		if !ok {
			c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s_order_by'", f.name, t.Type)
			return out
		}
		rel := rf.Rel
		remote := rel.RemoteTable()
		rperm := remote.SelectFor(c.role)
		if rperm == nil {
			c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s_order_by'", f.name, t.Type)
			return out
		}
		// sub wraps an expression over the remote row in a correlated
		// subquery that applies the join and the remote role filter.
		sub := func(agg bool, inner func(z string)) func(string) {
			return wrap(func(y string) {
				z := w.Alias()
				w.WriteString("(SELECT ")
				inner(z)
				w.WriteString(" FROM ")
				c.source(remote, rperm, w.Table(remote.SQL()), z)
				w.WriteString(" WHERE ")
				c.writeJoin(&join{parent: y, rel: rel}, z)
				w.WriteString(" AND ")
				c.rowFilter(rperm, z)
				if !agg && !rel.Unique() { // over a key, one row at most
					w.WriteString(" LIMIT 1")
				}
				w.WriteString(")")
			})
		}
		if !rf.Aggregate {
			saved := c.orderRoot
			c.orderRoot = nil
			out = c.orderObject(remote, rperm, f.v, fpath, appendKeyPath(key, rel.Name), func(inner func(string)) func(string) { return sub(false, inner) }, out)
			c.orderRoot = saved
			continue
		}
		if !rperm.Aggregations {
			c.fail(fpath, wire.CodeValidationFailed, "field '%s' not found in type: '%s_order_by'", f.name, t.Type)
			return out
		}
		for _, af := range c.fields(f.v) {
			if af.v.isNull() {
				continue
			}
			an := c.names.Default(af.name)
			if an == "count" {
				dir, ok := orderDirections[c.names.Default(af.v.enum())]
				if !ok {
					c.fail(fpath+".count", wire.CodeValidationFailed, "unexpected value %q for enum: 'order_by'", af.v.enum())
					return out
				}
				out = append(out, orderItem{dir: dir, expr: sub(true, func(z string) { w.WriteString("count(*)") }),
					key: appendKeyPath(key, f.name, "count"), typ: "int8"})
				continue
			}
			if !aggregateFuncs[an] {
				c.fail(fpath+"."+af.name, wire.CodeValidationFailed, "field '%s' not found in type: '%s_aggregate_order_by'", af.name, remote.Type)
				return out
			}
			fn := an
			for _, cf := range c.fields(af.v) {
				if cf.v.isNull() {
					continue
				}
				col := remote.Column(cf.name)
				dir, ok := orderDirections[c.names.Default(cf.v.enum())]
				if col == nil || !ok {
					c.fail(fpath+"."+af.name+"."+cf.name, wire.CodeValidationFailed, "field '%s' not found in type: '%s_%s_order_by'", cf.name, remote.Type, fn)
					return out
				}
				out = append(out, orderItem{dir: dir, expr: sub(true, func(z string) { w.Write(fn, "(", aggregateArg(fn, col, z), ")") }),
					key: appendKeyPath(key, f.name, fn, col.Name), typ: aggregateType(fn, col)})
			}
		}
	}
	return out
}
