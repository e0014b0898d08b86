package model

import "github.com/hasgen/hasgen/introspect"

// The ltree extension's label paths: Hasura gives an ltree column the
// operators of ltree_comparison_exp beside the generic ones, with the
// scalars lquery and ltxtquery for their patterns.

// ltreeTypes are the extension's types Hasura names as they are.
var ltreeTypes = map[string]bool{"ltree": true, "lquery": true, "ltxtquery": true}

func isLTreeType(t introspect.Type) bool {
	return t.Kind == introspect.TypeBase && ltreeTypes[t.Name]
}

// IsLTree reports an ltree column (not an array of them): the ltree
// operators apply.
func (c *Column) IsLTree() bool {
	return c.Dims == 0 && c.Base.Kind == introspect.TypeBase && c.Base.Name == "ltree"
}

// ltreeOperators are the operators Hasura adds for ltree columns, with
// their operand types: _ancestor, _descendant and their _any lists take
// label paths, _matches an lquery, _matches_any a list of lquery texts
// (typed [String!], as in Hasura), _matches_fulltext an ltxtquery.
func ltreeOperators(scalar string) []Operator {
	list := "[" + scalar + "!]"
	return []Operator{
		{"_ancestor", scalar}, {"_ancestor_any", list},
		{"_descendant", scalar}, {"_descendant_any", list},
		{"_matches", "lquery"}, {"_matches_any", "[String!]"}, {"_matches_fulltext", "ltxtquery"},
	}
}
