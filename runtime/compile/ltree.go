package compile

import (
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
)

// The operators of ltree_comparison_exp (the ltree extension's label
// paths), written as Hasura writes them: the operand is a parameter cast
// to ltree, lquery or ltxtquery (or an array of them), in the schema of
// the column's ltree type.
//
//	_ancestor         col @> $1::ltree      col is an ancestor of the path (or equal)
//	_ancestor_any     col @> $1::ltree[]    ... of one of the paths
//	_descendant       col <@ $1::ltree      col is a descendant of the path (or equal)
//	_descendant_any   col <@ $1::ltree[]    ... of one of the paths
//	_matches          col ~ $1::lquery
//	_matches_any      col ? $1::lquery[]
//	_matches_fulltext col @ $1::ltxtquery

// ltreeOps maps each operator to its SQL operator, its operand's type
// (ltree for the column's own type) and whether the operand is a list.
var ltreeOps = map[string]struct {
	op, typ string
	list    bool
}{
	"_ancestor":         {" @> ", "ltree", false},
	"_ancestor_any":     {" @> ", "ltree", true},
	"_descendant":       {" <@ ", "ltree", false},
	"_descendant_any":   {" <@ ", "ltree", true},
	"_matches":          {" ~ ", "lquery", false},
	"_matches_any":      {" ? ", "lquery", true},
	"_matches_fulltext": {" @ ", "ltxtquery", false},
}

// ltree writes one ltree operator f over expr, a column of SQL type typ.
func (c *compiler) ltree(expr func(), typ string, f field) {
	o := ltreeOps[f.name]
	t := typ
	if o.typ != "ltree" {
		t = ltreeSibling(typ, o.typ)
	}
	enc := catalog.EncodeText
	if o.list {
		enc, t = catalog.EncodeTextList, t+"[]"
	}
	c.binary(expr, o.op, c.param(f.v, enc), t)
}

// ltreeSibling is the type name of the ltree extension's type name in the
// schema of typ, the column's type ("public"."ltree" → "public"."lquery");
// unqualified when typ is not written that way (a domain over ltree), for
// the search path to find.
func ltreeSibling(typ, name string) string {
	const suffix = `."ltree"`
	if strings.HasSuffix(typ, suffix) {
		return strings.TrimSuffix(typ, `"ltree"`) + catalog.QuoteIdent(name)
	}
	return name
}
