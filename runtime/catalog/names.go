package catalog

import "strings"

// Naming conventions of a schema's GraphQL names (Hasura's
// naming_convention).
const (
	HasuraDefault  = "hasura-default"
	GraphQLDefault = "graphql-default"
)

// Names is the naming table the compiler reads fixed GraphQL names by:
// arguments (where, order_by...), fields (affected_rows, aggregate...),
// update and comparison operators, aggregate functions and order_by's enum
// values. The compiler is written with Hasura's default (snake_case)
// names; Names maps them to the schema's and back. The zero value is
// hasura-default, where every name is itself.
type Names struct {
	graphQL bool
	out     map[string]string // default name → schema name
	in      map[string]string // schema name → default name
}

// renamedFields are the fixed names Hasura camelCases under
// graphql-default; the others (where, limit, _set, returning, nodes, _eq,
// count...) keep their name.
var renamedFields = []string{
	"distinct_on", "order_by", "on_conflict", "pk_columns", "affected_rows", "update_columns",
	"batch_size", "initial_value",
	"_delete_key", "_delete_elem", "_delete_at_path",
	"_is_null", "_contained_in", "_has_key", "_has_keys_any", "_has_keys_all",
	"_ancestor_any", "_descendant_any", "_matches_any", "_matches_fulltext",
	"stddev_pop", "stddev_samp", "var_pop", "var_samp",
}

// orderValues are order_by's enum values, upper-cased under
// graphql-default.
var orderValues = []string{"asc", "asc_nulls_first", "asc_nulls_last", "desc", "desc_nulls_first", "desc_nulls_last"}

// NewNames returns the naming table of a convention: GraphQLDefault, or
// anything else for hasura-default.
func NewNames(convention string) Names {
	if convention != GraphQLDefault {
		return Names{}
	}
	n := Names{graphQL: true, out: map[string]string{}, in: map[string]string{}}
	add := func(def, name string) {
		n.out[def] = name
		n.in[name] = def
	}
	for _, f := range renamedFields {
		add(f, CamelCase(f))
	}
	for _, v := range orderValues {
		add(v, strings.ToUpper(v))
	}
	return n
}

// GraphQLCase reports graphql-default.
func (n Names) GraphQLCase() bool { return n.graphQL }

// Name returns the schema's name for a fixed name written in Hasura's
// default convention.
func (n Names) Name(def string) string {
	if s, ok := n.out[def]; ok {
		return s
	}
	return def
}

// Default returns the default-convention name of a fixed name of the
// schema (the name itself when it is not one that is renamed).
func (n Names) Default(name string) string {
	if s, ok := n.in[name]; ok {
		return s
	}
	return name
}

// AggregateField returns the field of an array relationship's aggregate
// in a selection: <rel>_aggregate, or camelCased whole under
// graphql-default (author_articles → authorArticlesAggregate).
func (n Names) AggregateField(rel string) string {
	if n.graphQL {
		return CamelCase(rel + "_aggregate")
	}
	return rel + "_aggregate"
}

// BoolExpAggregateField returns the field of an array relationship's
// aggregate predicates in a bool_exp: <rel>_aggregate, or under
// graphql-default the relationship's name as it is with Aggregate
// (author_articlesAggregate), as Hasura names it.
func (n Names) BoolExpAggregateField(rel string) string {
	if n.graphQL {
		return rel + "Aggregate"
	}
	return rel + "_aggregate"
}

// OrderByAggregateField returns the field of an array relationship's
// aggregate in an order_by: <rel>_aggregate, or under graphql-default the
// relationship's name with its first letter lowered, and Aggregate.
func (n Names) OrderByAggregateField(rel string) string {
	if n.graphQL {
		return LowerFirst(rel) + "Aggregate"
	}
	return rel + "_aggregate"
}

// SplitSnake splits a snake_case name into its parts, a leading "_"
// staying with the first one: Hasura's fromSnake ("_a_b" → "_a", "b").
func SplitSnake(s string) []string {
	parts := strings.Split(s, "_")
	if len(parts) > 1 && parts[0] == "" {
		parts = append([]string{"_" + parts[1]}, parts[2:]...)
	}
	return parts
}

// CamelCase is Hasura's snakeToCamel: the parts of a snake_case name
// joined, the first one's first letter lowered and the others' raised
// ("order_by" → "orderBy", "_is_null" → "_isNull").
func CamelCase(s string) string {
	parts := SplitSnake(s)
	var b strings.Builder
	for i, p := range parts {
		if i == 0 {
			b.WriteString(LowerFirst(p))
		} else {
			b.WriteString(UpperFirst(p))
		}
	}
	return b.String()
}

// UpperFirst raises the first letter of s.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// LowerFirst lowers the first letter of s.
func LowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
