package permdiff

// The abstract query: what both sides answer. The generator builds it, the
// GraphQL renderer (graphql.go) and the reference translator
// (reference.go) each turn it into their language, and the shrinker
// rewrites it. Presentation choices (aliases, variables, fragments) are
// part of it so that a case renders the same way every time.

// FieldKind says what a field selects.
type FieldKind int

// Field kinds. Root fields are List, Aggregate or ByPk; fields of a row are
// Column, Object, List (an array relationship) or Aggregate (<rel>_aggregate).
const (
	KindColumn FieldKind = iota
	KindObject
	KindList
	KindAggregate
	KindByPk
)

// Query is one GraphQL query operation.
type Query struct {
	Fields []*Field
}

// Field is a field of a selection set: a root field, a column or a
// relationship.
type Field struct {
	Kind FieldKind
	// Alias is the response key when not empty.
	Alias string
	// Column is the column of a KindColumn field.
	Column string
	// Table is the table whose rows the field returns (the remote table of
	// a relationship, the root table of a root field).
	Table *Table
	// Rel is the relationship of a field of a row; nil for root fields.
	Rel *Relationship
	// Args are the select arguments of List and Aggregate fields.
	Args Args
	// Sel is the row selection of List, Object and ByPk fields.
	Sel *Selection
	// Agg is the selection of an Aggregate field.
	Agg *AggSel
	// PK holds the key values of a ByPk field, in Table.PK order.
	PK []*Value
}

// Key returns the field's response key.
func (f *Field) Key() string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name()
}

// Name returns the field's name in the GraphQL schema.
func (f *Field) Name() string {
	switch f.Kind {
	case KindColumn:
		return f.Column
	case KindByPk:
		return f.Table.Name + "_by_pk"
	case KindAggregate:
		if f.Rel != nil {
			return f.Rel.Name + "_aggregate"
		}
		return f.Table.Name + "_aggregate"
	default:
		if f.Rel != nil {
			return f.Rel.Name
		}
		return f.Table.Name
	}
}

// Ordered reports whether the rows of a List field, or the nodes of an
// Aggregate field, come in an order both sides must agree on.
func (f *Field) Ordered() bool { return len(f.Args.OrderBy) > 0 }

// FragMode is how a selection set is written.
type FragMode int

// Ways to write a selection set: fields in place, the fields after the
// first in a named fragment spread, or in an inline fragment.
const (
	FragNone FragMode = iota
	FragNamed
	FragInline
)

// Selection is the selection set of a row.
type Selection struct {
	Fields []*Field
	Frag   FragMode
}

// AggSel is the selection of a <t>_aggregate field.
type AggSel struct {
	// Count is nil when count is not selected.
	Count *CountSel
	// Ops are sum, avg, max and min over columns.
	Ops []*AggOp
	// Nodes is nil when nodes is not selected.
	Nodes *Selection
}

// HasAggregate reports whether the aggregate object is selected.
func (a *AggSel) HasAggregate() bool { return a.Count != nil || len(a.Ops) > 0 }

// CountSel is count, count(columns: [c]) or count(columns: [c], distinct: true).
type CountSel struct {
	Column   string
	Distinct bool
}

// AggOp is an aggregate function over columns, e.g. sum { total }.
type AggOp struct {
	Fn      string // sum, avg, max, min
	Columns []string
}

// Args are the arguments of a select: where, order_by, limit, offset,
// distinct_on.
type Args struct {
	Where *BoolExp
	// WhereVar passes the whole where as a variable of type <t>_bool_exp.
	WhereVar   bool
	OrderBy    []*OrderItem
	Limit      *IntArg
	Offset     *IntArg
	DistinctOn []string
}

// IntArg is a limit or offset.
type IntArg struct {
	N   int
	Var bool // passed as a variable
}

// OrderItem is one key of an order_by: a column, a column of an object
// relationship's row, or an aggregate of an array relationship's rows.
type OrderItem struct {
	// Rel is nil for a column of the table itself.
	Rel *Relationship
	// Column is the column ordered by, of the table or of Rel's table;
	// empty with Fn "count".
	Column string
	// Fn is the aggregate function of an array relationship: count, max,
	// min, sum, avg.
	Fn string
	// Dir is a Hasura order_by enum value: asc, desc, asc_nulls_first...
	Dir string
}

// BoolOp is the kind of a BoolExp node.
type BoolOp int

// Boolean expression nodes.
const (
	BoolTrue     BoolOp = iota // {}
	BoolAnd                    // {_and: [...]}
	BoolOr                     // {_or: [...]}
	BoolNot                    // {_not: ...}
	BoolObj                    // {k1: ..., k2: ...}: the children's keys in one object, AND
	BoolCol                    // {col: {_op: v, ...}}
	BoolRel                    // {rel: {...}}
	BoolAggCount               // {rel_aggregate: {count: {predicate: {...}, filter: ...}}}
)

// BoolExp is a where argument (a <t>_bool_exp value).
type BoolExp struct {
	Op       BoolOp
	Children []*BoolExp // And, Or, Obj; Not has one
	// Column and Cmps of a BoolCol node.
	Column string
	Cmps   []*Cmp
	// Rel and Sub of a BoolRel node; Rel and Sub (the filter, may be nil)
	// of a BoolAggCount node.
	Rel *Relationship
	Sub *BoolExp
	// Pred is the count predicate of a BoolAggCount node.
	Pred *Cmp
}

// Cmp is a comparison: _eq, _neq, _gt, _lt, _gte, _lte, _in, _nin,
// _is_null, _like, _nlike, _ilike, _nilike.
type Cmp struct {
	Op     string
	Value  *Value   // all but _in, _nin and _is_null
	Values []*Value // _in, _nin
	IsNull bool     // _is_null
	// ListVar passes the list of _in/_nin as one variable.
	ListVar bool
}

// Value is a scalar value of a column type.
type Value struct {
	Type ColType
	// Text is the value as Postgres writes it (to_json(v)#>>'{}').
	Text string
	// Var passes the value as a variable.
	Var bool
	// AsString writes a numeric value as a GraphQL string.
	AsString bool
}

// Clone returns a deep copy of q that shares only the schema.
func (q *Query) Clone() *Query {
	out := &Query{}
	for _, f := range q.Fields {
		out.Fields = append(out.Fields, f.clone())
	}
	return out
}

func (f *Field) clone() *Field {
	if f == nil {
		return nil
	}
	c := *f
	c.Args = f.Args.clone()
	c.Sel = f.Sel.clone()
	if f.Agg != nil {
		a := *f.Agg
		if f.Agg.Count != nil {
			cs := *f.Agg.Count
			a.Count = &cs
		}
		a.Ops = nil
		for _, op := range f.Agg.Ops {
			o := *op
			o.Columns = append([]string(nil), op.Columns...)
			a.Ops = append(a.Ops, &o)
		}
		a.Nodes = f.Agg.Nodes.clone()
		c.Agg = &a
	}
	c.PK = nil
	for _, v := range f.PK {
		vv := *v
		c.PK = append(c.PK, &vv)
	}
	return &c
}

func (s *Selection) clone() *Selection {
	if s == nil {
		return nil
	}
	c := &Selection{Frag: s.Frag}
	for _, f := range s.Fields {
		c.Fields = append(c.Fields, f.clone())
	}
	return c
}

func (a Args) clone() Args {
	c := a
	c.Where = a.Where.clone()
	c.OrderBy = nil
	for _, o := range a.OrderBy {
		oo := *o
		c.OrderBy = append(c.OrderBy, &oo)
	}
	if a.Limit != nil {
		l := *a.Limit
		c.Limit = &l
	}
	if a.Offset != nil {
		o := *a.Offset
		c.Offset = &o
	}
	c.DistinctOn = append([]string(nil), a.DistinctOn...)
	return c
}

func (b *BoolExp) clone() *BoolExp {
	if b == nil {
		return nil
	}
	c := *b
	c.Children = nil
	for _, ch := range b.Children {
		c.Children = append(c.Children, ch.clone())
	}
	c.Cmps = nil
	for _, cmp := range b.Cmps {
		c.Cmps = append(c.Cmps, cmp.clone())
	}
	c.Sub = b.Sub.clone()
	c.Pred = b.Pred.clone()
	return &c
}

func (c *Cmp) clone() *Cmp {
	if c == nil {
		return nil
	}
	out := *c
	if c.Value != nil {
		v := *c.Value
		out.Value = &v
	}
	out.Values = nil
	for _, v := range c.Values {
		vv := *v
		out.Values = append(out.Values, &vv)
	}
	return &out
}
