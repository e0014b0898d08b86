package metadata

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/introspect"
)

// BoolExp is a permission's boolean expression (a filter or a check),
// resolved against the database. It is one of:
//
//	*And            all of Exprs; an empty And is TRUE ({} in the file)
//	*Or             any of Exprs; an empty Or is FALSE (_or: [])
//	*Not            the negation of Expr
//	*Compare        a column (optionally cast) compared with a value
//	*CompareColumns a column compared with another column (_ceq, _cgt...)
//	*Related        Where holds for a row reached through a relationship
//	*Exists         Where holds for a row of an unrelated table (_exists)
//
// The set is closed: a compiler switches on the concrete type and may
// treat any other type as a bug. Every column named in a node exists and
// every operator applies to its column's type. Columns are named relative
// to the table the node is evaluated on: the permission's table at the top,
// the remote table inside a *Related or an *Exists.
type BoolExp interface {
	// Position is where the expression was written.
	Position() Pos
	// String prints the expression compactly, for tests and messages:
	//	(and (_eq author_id x-hasura-user-id) (rel channel (_eq public true)))
	String() string
	boolExp()
}

// And is true when every Exprs is; with no Exprs it is true. A mapping
// with several keys is an And of one expression per key; a mapping with a
// single key is that key's expression; {} is an empty And.
type And struct {
	// Pos is where the mapping or the _and key is written.
	Pos Pos
	// Exprs are the operands, in file order.
	Exprs []BoolExp
}

// Or is true when any of Exprs is; with no Exprs it is false.
type Or struct {
	// Pos is where the _or key is written.
	Pos Pos
	// Exprs are the operands, in file order.
	Exprs []BoolExp
}

// Not is true when Expr is false.
type Not struct {
	// Pos is where the _not key is written.
	Pos Pos
	// Expr is the negated expression.
	Expr BoolExp
}

// Compare compares a column with a value: Column Op Value.
//
// Value is a *Literal or a *SessionVar. The operators take:
//
//	_eq _neq _gt _lt _gte _lte, the string operators   one value of Type
//	_in _nin                                           a list literal of values of Type, or a session variable holding a Postgres array literal
//	_is_null                                           a bool literal (true: IS NULL, false: IS NOT NULL)
//	_contains _contained_in                            jsonb: any JSON value; array: a list (or a session variable)
//	_has_key                                           a string (or a session variable)
//	_has_keys_any _has_keys_all                        a list of strings, or a session variable
//	_ancestor _descendant _matches _matches_fulltext   ltree: a path, lquery or ltxtquery as a string
//	_ancestor_any _descendant_any _matches_any         ltree: a list of them, or a session variable
//
// When Cast is not "", the column is cast first ("text", from jsonb's
// _cast: {String: ...}) and Value has the cast's type.
type Compare struct {
	// Pos is where the operator (or the column, for a bare value) is
	// written.
	Pos Pos
	// Column is the column compared.
	Column string
	// Type is the column's type as introspected (a domain is kept; use
	// Type.Scalar() for its behaviour). A session variable is cast to it.
	Type introspect.Type
	// Cast is the type the column is cast to before comparing, or "".
	Cast string
	// Op is the operator, canonically spelt.
	Op Op
	// Value is the right-hand side.
	Value Value
	// Computed, when not nil, is the scalar computed field named Column:
	// its function's result on the row is compared (Type is its type).
	Computed *ComputedField
}

// CompareColumns compares two columns of the same type: Column Op Other.
// Other is a column of the table the node is evaluated on, or, when Root
// is true (["$", col] in the file), of the permission's own table.
type CompareColumns struct {
	// Pos is where the operator is written.
	Pos Pos
	// Column is the left-hand column, of the current table.
	Column string
	// Op is one of the _c* operators.
	Op Op
	// Other is the right-hand column.
	Other string
	// Root says that Other belongs to the permission's table.
	Root bool
}

// Related holds when Where holds for a row of the relationship's remote
// table joined on its column pairs: EXISTS for both object and array
// relationships. An empty Where ({}) asks only that such a row exists.
type Related struct {
	// Pos is where the relationship name is written.
	Pos Pos
	// Relationship is the relationship followed, from the current table.
	Relationship *Relationship
	// Where is evaluated on the remote table.
	Where BoolExp
}

// Exists holds when some row of Schema.Table satisfies Where (_exists).
// The table is tracked and unrelated to the current one; Where may compare
// with the permission's table through CompareColumns.Root.
type Exists struct {
	// Pos is where the _exists key is written.
	Pos Pos
	// Schema and Table name the table searched.
	Schema string
	Table  string
	// Where is evaluated on that table.
	Where BoolExp
}

func (*And) boolExp()            {}
func (*Or) boolExp()             {}
func (*Not) boolExp()            {}
func (*Compare) boolExp()        {}
func (*CompareColumns) boolExp() {}
func (*Related) boolExp()        {}
func (*Exists) boolExp()         {}

// Position returns where the expression was written.
func (e *And) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *Or) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *Not) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *Compare) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *CompareColumns) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *Related) Position() Pos { return e.Pos }

// Position returns where the expression was written.
func (e *Exists) Position() Pos { return e.Pos }

// String returns "true" for an empty And, else "(and X Y ...)".
func (e *And) String() string {
	if len(e.Exprs) == 0 {
		return "true"
	}
	return list("and", e.Exprs)
}

// String returns "false" for an empty Or, else "(or X Y ...)".
func (e *Or) String() string {
	if len(e.Exprs) == 0 {
		return "false"
	}
	return list("or", e.Exprs)
}

// String returns "(not X)".
func (e *Not) String() string { return "(not " + e.Expr.String() + ")" }

// String returns "(op column value)", the column written "column::cast"
// when cast.
func (e *Compare) String() string {
	col := e.Column
	if e.Cast != "" {
		col += "::" + e.Cast
	}
	return "(" + string(e.Op) + " " + col + " " + e.Value.String() + ")"
}

// String returns "(op column other)", other written "$.other" for a
// column of the permission's table.
func (e *CompareColumns) String() string {
	other := e.Other
	if e.Root {
		other = "$." + other
	}
	return "(" + string(e.Op) + " " + e.Column + " " + other + ")"
}

// String returns "(rel name where)".
func (e *Related) String() string {
	return "(rel " + e.Relationship.Name + " " + e.Where.String() + ")"
}

// String returns "(exists schema.table where)".
func (e *Exists) String() string {
	return "(exists " + e.Schema + "." + e.Table + " " + e.Where.String() + ")"
}

func list(name string, exprs []BoolExp) string {
	var b strings.Builder
	b.WriteString("(" + name)
	for _, x := range exprs {
		b.WriteByte(' ')
		b.WriteString(x.String())
	}
	b.WriteByte(')')
	return b.String()
}

// Op is a comparison operator, in its canonical spelling: "$eq" is read as
// "_eq", "_ne" as "_neq", "_cneq" as "_cne".
type Op string

// The operators of Compare.
const (
	OpEq          Op = "_eq"
	OpNeq         Op = "_neq"
	OpGt          Op = "_gt"
	OpLt          Op = "_lt"
	OpGte         Op = "_gte"
	OpLte         Op = "_lte"
	OpIn          Op = "_in"
	OpNin         Op = "_nin"
	OpIsNull      Op = "_is_null"
	OpLike        Op = "_like"
	OpNlike       Op = "_nlike"
	OpIlike       Op = "_ilike"
	OpNilike      Op = "_nilike"
	OpSimilar     Op = "_similar"
	OpNsimilar    Op = "_nsimilar"
	OpRegex       Op = "_regex"
	OpNregex      Op = "_nregex"
	OpIregex      Op = "_iregex"
	OpNiregex     Op = "_niregex"
	OpContains    Op = "_contains"
	OpContainedIn Op = "_contained_in"
	OpHasKey      Op = "_has_key"
	OpHasKeysAny  Op = "_has_keys_any"
	OpHasKeysAll  Op = "_has_keys_all"
	// The ltree operators (ltree.go).
	OpAncestor        Op = "_ancestor"
	OpAncestorAny     Op = "_ancestor_any"
	OpDescendant      Op = "_descendant"
	OpDescendantAny   Op = "_descendant_any"
	OpMatches         Op = "_matches"
	OpMatchesAny      Op = "_matches_any"
	OpMatchesFulltext Op = "_matches_fulltext"
)

// The operators of CompareColumns.
const (
	OpCeq  Op = "_ceq"
	OpCne  Op = "_cne"
	OpCgt  Op = "_cgt"
	OpClt  Op = "_clt"
	OpCgte Op = "_cgte"
	OpClte Op = "_clte"
)

// opKind groups operators by what they apply to and what they take.
type opKind int

const (
	opGeneric opKind = iota + 1 // every type but json; one value
	opList                      // _in, _nin: a list of values
	opIsNull                    // a bool
	opString                    // string types; one string
	opContain                   // jsonb or array
	opHasKey                    // jsonb; a string
	opHasKeys                   // jsonb; a list of strings
	opColumn                    // _c*: a column name
	opCast                      // _cast: {type: comparison}
	opLTree                     // ltree; one path or pattern
	opLTrees                    // ltree; a list of paths or patterns
)

// ops maps every accepted spelling (without its "_" or "$" prefix) to its
// canonical operator and kind.
var ops = map[string]struct {
	op   Op
	kind opKind
}{
	"eq": {OpEq, opGeneric}, "ne": {OpNeq, opGeneric}, "neq": {OpNeq, opGeneric},
	"gt": {OpGt, opGeneric}, "lt": {OpLt, opGeneric}, "gte": {OpGte, opGeneric}, "lte": {OpLte, opGeneric},
	"in": {OpIn, opList}, "nin": {OpNin, opList},
	"is_null": {OpIsNull, opIsNull},
	"like":    {OpLike, opString}, "nlike": {OpNlike, opString},
	"ilike": {OpIlike, opString}, "nilike": {OpNilike, opString},
	"similar": {OpSimilar, opString}, "nsimilar": {OpNsimilar, opString},
	"regex": {OpRegex, opString}, "nregex": {OpNregex, opString},
	"iregex": {OpIregex, opString}, "niregex": {OpNiregex, opString},
	"contains": {OpContains, opContain}, "contained_in": {OpContainedIn, opContain},
	"has_key":      {OpHasKey, opHasKey},
	"has_keys_any": {OpHasKeysAny, opHasKeys}, "has_keys_all": {OpHasKeysAll, opHasKeys},
	"ceq": {OpCeq, opColumn}, "cne": {OpCne, opColumn}, "cneq": {OpCne, opColumn},
	"cgt": {OpCgt, opColumn}, "clt": {OpClt, opColumn}, "cgte": {OpCgte, opColumn}, "clte": {OpClte, opColumn},
	"cast": {"", opCast},

	// ltree (ltree.go)
	"ancestor": {OpAncestor, opLTree}, "ancestor_any": {OpAncestorAny, opLTrees},
	"descendant": {OpDescendant, opLTree}, "descendant_any": {OpDescendantAny, opLTrees},
	"matches": {OpMatches, opLTree}, "matches_any": {OpMatchesAny, opLTrees},
	"matches_fulltext": {OpMatchesFulltext, opLTree},
}

// lookupOp returns the operator spelt key ("_eq", "$eq"...).
func lookupOp(key string) (Op, opKind, bool) {
	if len(key) < 2 || (key[0] != '_' && key[0] != '$') {
		return "", 0, false
	}
	o, ok := ops[key[1:]]
	return o.op, o.kind, ok
}

// Value is the right-hand side of a Compare or a Preset: a *Literal or a
// *SessionVar.
type Value interface {
	// Position is where the value was written.
	Position() Pos
	// String prints a literal as JSON (strings quoted) and a session
	// variable as its bare lower-case name.
	String() string
	value()
}

// Literal is a value written in the file. Value holds what encoding/json
// would decode with UseNumber: nil, bool, string, json.Number, []any or
// map[string]any. A json.Number keeps the digits as written (1.50 stays
// "1.50"), so numeric columns lose no precision.
type Literal struct {
	// Pos is where the value is written.
	Pos Pos
	// Value is the decoded value.
	Value any
}

// SessionVar is a session variable: a string starting with "x-hasura-"
// in any case. Name is lower case, as the session's keys are. At run time
// its text is cast to the column's type (to an array of it for _in, _nin
// and _has_keys_*, where it must hold a Postgres array literal like
// "{1,2}").
type SessionVar struct {
	// Pos is where the variable is written.
	Pos Pos
	// Name is the variable's name in lower case: "x-hasura-user-id".
	Name string
}

func (*Literal) value()    {}
func (*SessionVar) value() {}

// Position returns where the value was written.
func (v *Literal) Position() Pos { return v.Pos }

// Position returns where the value was written.
func (v *SessionVar) Position() Pos { return v.Pos }

// String returns the value as compact JSON with sorted object keys.
func (v *Literal) String() string { return literalString(v.Value) }

// String returns the session variable's name.
func (v *SessionVar) String() string { return v.Name }

func literalString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return strconv.Quote(v)
	case json.Number:
		return v.String()
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(literalString(x))
		}
		b.WriteByte(']')
		return b.String()
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Quote(k) + ":" + literalString(v[k]))
		}
		b.WriteByte('}')
		return b.String()
	}
	return "?"
}
