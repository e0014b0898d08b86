package model

import (
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/introspect"
)

// ScalarName is Hasura's GraphQL scalar for a Postgres type (of an element,
// for arrays; domains resolved first): int4 → Int, text and varchar →
// String, bool → Boolean, float4 → Float; every other type keeps its name
// (int8 → bigint, int2 → smallint, numeric, timestamptz, uuid, jsonb, enum
// types by name); composite types become <type>_scalar, as Hasura names
// them. The schema is not part of the name.
func ScalarName(t introspect.Type) string {
	t = t.Scalar()
	if t.Schema == "pg_catalog" {
		switch t.Name {
		case "int4":
			return "Int"
		case "text", "varchar":
			return "String"
		case "bool":
			return "Boolean"
		case "float4":
			return "Float"
		case "int2":
			return "smallint"
		case "int8":
			return "bigint"
		}
		return t.Name
	}
	// Hasura names a type by its name alone, whatever its schema (its
	// catalog query reads pg_type.typname): two types of one name in two
	// schemas share a scalar, which is harmless, since values are cast to
	// each column's own type.
	if isLTreeType(t) {
		// Hasura knows the ltree extension's types by name, wherever
		// the extension is installed.
		return t.Name
	}
	name := t.Name
	if t.Kind == introspect.TypeComposite {
		name += "_scalar"
	}
	return sanitizeName(name)
}

// sanitizeName replaces characters a GraphQL name cannot hold.
func sanitizeName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (i > 0 && r >= '0' && r <= '9')
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// SQLType is the SQL type a request value for a column of type t is cast
// to: the type's name (quoted and schema-qualified outside pg_catalog),
// with [] per array dimension. Type modifiers are dropped: a value is cast
// to varchar, not varchar(160).
func SQLType(t introspect.Type) string {
	name := t.Name
	if t.Schema != "pg_catalog" {
		name = QuoteIdent(t.Schema) + "." + QuoteIdent(t.Name)
	}
	return name + strings.Repeat("[]", t.Dims)
}

func isCatalog(c *Column, names ...string) bool {
	if c.Base.Schema != "pg_catalog" {
		return false
	}
	for _, n := range names {
		if c.Base.Name == n {
			return true
		}
	}
	return false
}

// IsNumeric reports a numeric column: sum, avg, stddev and variance apply.
func (c *Column) IsNumeric() bool {
	return c.Dims == 0 && isCatalog(c, "int2", "int4", "int8", "float4", "float8", "numeric", "money")
}

// IsComparable reports a column that min and max apply to: Postgres has
// those aggregates for its type.
func (c *Column) IsComparable() bool {
	if c.Dims > 0 || c.Enum != nil {
		return false
	}
	if c.Base.Kind == introspect.TypeEnum {
		return true
	}
	return isCatalog(c, "int2", "int4", "int8", "float4", "float8", "numeric", "money",
		"text", "varchar", "bpchar", "name", "citext", "date", "time", "timetz", "timestamp", "timestamptz",
		"interval", "inet", "oid")
}

// IsString reports a string column: the LIKE, SIMILAR and regex operators
// apply.
func (c *Column) IsString() bool {
	if c.Dims > 0 || c.Enum != nil {
		return false
	}
	return isCatalog(c, "text", "varchar", "bpchar", "name") || (c.Base.Name == "citext" && c.Base.Kind == introspect.TypeBase)
}

// JSON returns "json" or "jsonb" for JSON columns, else "".
func (c *Column) JSON() string {
	if c.Dims == 0 && isCatalog(c, "json", "jsonb") {
		return c.Base.Name
	}
	return ""
}

// IsBoolean reports a bool column (bool_and / bool_or predicates).
func (c *Column) IsBoolean() bool { return c.Dims == 0 && isCatalog(c, "bool") }

// BigNumber reports the types HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES sends
// as strings.
func (c *Column) BigNumber() bool {
	return c.Dims == 0 && isCatalog(c, "int8", "numeric", "float8", "money")
}

// GraphQLType is the column's output type: the scalar in one list per array
// dimension, non-null when the column is NOT NULL.
func (c *Column) GraphQLType() string {
	s := c.Scalar
	for i := 0; i < c.Dims; i++ {
		s = "[" + s + "!]"
	}
	if c.NotNull {
		s += "!"
	}
	return s
}

// InputType is the type of a value for the column in an input (nullable).
func (c *Column) InputType() string {
	s := c.Scalar
	for i := 0; i < c.Dims; i++ {
		s = "[" + s + "!]"
	}
	return s
}

// ComparisonType is the name of the column's comparison input type:
// <Scalar>_comparison_exp, or <Scalar>_array_comparison_exp for arrays.
func (c *Column) ComparisonType() string {
	if c.Dims > 1 {
		// A multi-dimensional array compares with values of its own
		// depth (Operators): a type of its own, so that an int[] and an
		// int[][] column of one schema do not define
		// Int_array_comparison_exp twice.
		return c.Scalar + "_array_" + strconv.Itoa(c.Dims) + "d_comparison_exp"
	}
	if c.Dims > 0 {
		return c.Scalar + "_array_comparison_exp"
	}
	return c.Scalar + "_comparison_exp"
}

// Operators lists the comparison operators of the column's comparison
// type, in the order they are printed, with their argument types.
func (c *Column) Operators() []Operator {
	if c.Enum != nil {
		// Hasura compares enum values for equality only.
		l := "[" + c.Scalar + "!]"
		return []Operator{{"_eq", c.Scalar}, {"_in", l}, {"_is_null", "Boolean"}, {"_neq", c.Scalar}, {"_nin", l}}
	}
	ops := ComparisonOperators(c.Scalar, c.Dims > 0, c.JSON(), c.IsString())
	if c.IsLTree() {
		ops = append(ops, ltreeOperators(c.Scalar)...)
		sortOperators(ops)
	}
	if c.Dims > 1 {
		// Postgres does not type an array's depth, but = and < compare
		// it: an int[][] value equals [[1,2],[3,4]], never a flat list.
		// _contains and _contained_in look at elements only and keep the
		// flat list.
		for i := range ops {
			switch ops[i].Name {
			case "_eq", "_neq", "_gt", "_gte", "_lt", "_lte":
				ops[i].Type = c.InputType()
			}
		}
	}
	return ops
}

// Operator is a comparison operator and the type of its operand.
type Operator struct {
	Name string
	Type string
}

// ComparisonOperators lists the operators of a comparison type: for a
// scalar, _eq, _gt, _gte, _in, _is_null, _lt, _lte, _neq, _nin, plus the
// string operators for strings and the jsonb operators for jsonb (json has
// only _is_null: Postgres cannot compare json values); for an array,
// _contained_in, _contains, _eq, _gt, _gte, _is_null, _lt, _lte, _neq.
// They are sorted by name, as Hasura prints them.
func ComparisonOperators(scalar string, array bool, json string, str bool) []Operator {
	var ops []Operator
	if array {
		l := "[" + scalar + "!]"
		ops = []Operator{
			{"_contained_in", l}, {"_contains", l}, {"_eq", l}, {"_gt", l}, {"_gte", l},
			{"_is_null", "Boolean"}, {"_lt", l}, {"_lte", l}, {"_neq", l},
		}
		return ops
	}
	if json == "json" {
		return []Operator{{"_is_null", "Boolean"}}
	}
	list := "[" + scalar + "!]"
	ops = []Operator{
		{"_eq", scalar}, {"_gt", scalar}, {"_gte", scalar}, {"_in", list}, {"_is_null", "Boolean"},
		{"_lt", scalar}, {"_lte", scalar}, {"_neq", scalar}, {"_nin", list},
	}
	if str {
		ops = append(ops,
			Operator{"_ilike", scalar}, Operator{"_iregex", scalar}, Operator{"_like", scalar},
			Operator{"_nilike", scalar}, Operator{"_niregex", scalar}, Operator{"_nlike", scalar},
			Operator{"_nregex", scalar}, Operator{"_nsimilar", scalar}, Operator{"_regex", scalar},
			Operator{"_similar", scalar})
	}
	if json == "jsonb" {
		ops = append(ops,
			Operator{"_cast", "jsonb_cast_exp"}, Operator{"_contained_in", "jsonb"}, Operator{"_contains", "jsonb"},
			Operator{"_has_key", "String"}, Operator{"_has_keys_all", "[String!]"}, Operator{"_has_keys_any", "[String!]"})
	}
	sortOperators(ops)
	return ops
}

func sortOperators(ops []Operator) {
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && ops[j].Name < ops[j-1].Name; j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
}
