package metadata

import "github.com/hasgen/hasgen/introspect"

// The ltree extension's operators in permission filters, as Hasura reads
// them: _ancestor, _descendant and their _any lists take label paths;
// _matches and _matches_any lquery patterns, _matches_fulltext an
// ltxtquery, all written as strings.

// isLTree reports the ltree extension's label path type.
func isLTree(t introspect.Type) bool {
	return t.Dims == 0 && t.Kind == introspect.TypeBase && t.Name == "ltree"
}

// ltreeOperand is the type of an ltree operator's operand (of its items,
// for the _any lists): the column's type for paths, text for patterns
// (Postgres checks them when it casts them).
func ltreeOperand(op Op, col introspect.Type) introspect.Type {
	switch op {
	case OpAncestor, OpAncestorAny, OpDescendant, OpDescendantAny:
		return col
	}
	return textType
}
