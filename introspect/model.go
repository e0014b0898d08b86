package introspect

import "sort"

// SnapshotVersion is the format version written into every snapshot. It
// changes only when a snapshot written by an older hasgen can no longer be
// read as is.
const SnapshotVersion = 1

// Schema is what hasgen knows about a database: the relations, types and
// functions of the chosen Postgres schemas. It is plain data: the JSON
// snapshot is this struct, and everything after introspection reads it
// without a database.
//
// Every slice is sorted (see Sort) so that the same database gives the same
// bytes.
type Schema struct {
	// Version is SnapshotVersion at the time of writing.
	Version int `json:"version"`
	// Schemas are the Postgres schemas that were introspected, sorted.
	Schemas []string `json:"schemas"`
	// Tables holds tables, views, materialized views and partitioned
	// tables, sorted by schema then name. Partitions are not listed: they
	// are reached through their parent.
	Tables []Table `json:"tables"`
	// Enums are the enum types used by the tables' columns or defined in
	// the chosen schemas, sorted by schema then name.
	Enums []Enum `json:"enums,omitempty"`
	// Domains are the domain types used by the tables' columns or defined
	// in the chosen schemas, sorted by schema then name.
	Domains []Domain `json:"domains,omitempty"`
	// Functions are the functions of the chosen schemas that can be
	// tracked or serve as computed fields: those that return (SETOF) a row
	// of a table listed in Tables, and those that return a scalar and take
	// a row of such a table as an argument. Sorted by schema, name, then
	// argument types.
	Functions []Function `json:"functions,omitempty"`
	// EnumTables are the rows of the metadata's enum tables (is_enum),
	// sorted by schema then name; empty unless LoadEnumTables read them.
	EnumTables []EnumTable `json:"enum_tables,omitempty"`
}

// Relation kinds, as in Table.Kind.
const (
	KindTable            = "table"
	KindPartitionedTable = "partitioned_table"
	KindView             = "view"
	KindMaterializedView = "materialized_view"
	KindForeignTable     = "foreign_table"
)

// Table is a relation that can be tracked: a table, a view, a materialized
// view, a partitioned table or a foreign table.
type Table struct {
	Schema  string `json:"schema"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Comment string `json:"comment,omitempty"`
	// Columns in their table order (ordinal position).
	Columns []Column `json:"columns"`
	// PrimaryKey is nil when the table has none (views never have one).
	PrimaryKey *Constraint `json:"primary_key,omitempty"`
	// UniqueConstraints are the UNIQUE constraints, sorted by name. Unique
	// indexes that are not constraints are not listed: ON CONFLICT cannot
	// name them.
	UniqueConstraints []Constraint `json:"unique_constraints,omitempty"`
	// ForeignKeys are the foreign keys of this table, sorted by name.
	ForeignKeys []ForeignKey `json:"foreign_keys,omitempty"`
	// Checks are the CHECK constraints, sorted by name.
	Checks []Check `json:"checks,omitempty"`
	// Insertable, Updatable and Deletable say whether rows can be written.
	// They are true for tables, and for views that Postgres can write
	// through (automatically updatable, or with INSTEAD OF triggers).
	Insertable bool `json:"insertable"`
	Updatable  bool `json:"updatable"`
	Deletable  bool `json:"deletable"`
}

// Column is one column of a Table.
type Column struct {
	Name string `json:"name"`
	// Position is the column's 1-based position among the table's visible
	// columns (dropped columns are not counted).
	Position int    `json:"position"`
	Type     Type   `json:"type"`
	NotNull  bool   `json:"not_null"`
	Default  string `json:"default,omitempty"`
	// Identity is "always" or "by_default" for identity columns.
	Identity string `json:"identity,omitempty"`
	// Generated is "stored" for generated columns ("virtual" on servers
	// that have virtual generated columns).
	Generated string `json:"generated,omitempty"`
	// GenerationExpression is a generated column's expression as Postgres
	// prints it; Default is empty for such a column.
	GenerationExpression string `json:"generation_expression,omitempty"`
	Comment              string `json:"comment,omitempty"`
	// Insertable and Updatable say whether a value for the column may be
	// given in an INSERT or UPDATE. Both are false for generated columns
	// and identity ALWAYS columns (Postgres rejects explicit values for
	// them without OVERRIDING SYSTEM VALUE, and in UPDATE always), and for
	// every column of a table that is not insertable or updatable. A view
	// column is writable when the view is and either an INSTEAD OF trigger
	// or DO INSTEAD rule handles the event, or the column maps directly to
	// a base-table column (pg_column_is_updatable).
	Insertable bool `json:"insertable"`
	Updatable  bool `json:"updatable"`
}

// Type kinds, as in Type.Kind.
const (
	TypeBase       = "base"
	TypeEnum       = "enum"
	TypeDomain     = "domain"
	TypeComposite  = "composite"
	TypeRange      = "range"
	TypeMultirange = "multirange"
	TypePseudo     = "pseudo"
)

// Type is a Postgres type as a column uses it. For an array column, Schema
// and Name are the element type's and Dims counts the dimensions.
type Type struct {
	// Schema and Name identify the (element) type: "pg_catalog", "int4";
	// "public", "mpaa_rating".
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Kind is one of the Type* constants.
	Kind string `json:"kind"`
	// Dims is the number of array dimensions; 0 for a scalar.
	Dims int `json:"dims,omitempty"`
	// SQL is the type as Postgres writes it, typmod included:
	// "character varying(160)", "text[]", "public.mpaa_rating".
	SQL string `json:"sql"`
	// Base is, for a domain, the type the domain is defined over, with
	// domains over domains resolved to the first non-domain type.
	Base *Type `json:"base,omitempty"`
}

// Scalar returns the type that values of t behave as: the base type of a
// domain, or t itself. Array dimensions are kept: a domain over int4 used as
// an array column gives an int4 array ("integer[]").
func (t Type) Scalar() Type {
	if t.Kind != TypeDomain || t.Base == nil {
		return t
	}
	b := *t.Base
	if t.Dims > 0 && b.Dims == 0 {
		b.SQL += "[]"
	}
	b.Dims += t.Dims
	return b
}

// Constraint is a primary key or unique constraint.
type Constraint struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

// ForeignKey is a FOREIGN KEY constraint from this table's Columns to
// RefColumns of the referenced table, pairwise in order.
type ForeignKey struct {
	Name       string   `json:"name"`
	Columns    []string `json:"columns"`
	RefSchema  string   `json:"ref_schema"`
	RefTable   string   `json:"ref_table"`
	RefColumns []string `json:"ref_columns"`
	OnUpdate   string   `json:"on_update,omitempty"`
	OnDelete   string   `json:"on_delete,omitempty"`
}

// Check is a CHECK constraint and its definition as Postgres prints it.
type Check struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// Enum is a Postgres enum type and its labels in sort order.
type Enum struct {
	Schema  string   `json:"schema"`
	Name    string   `json:"name"`
	Labels  []string `json:"labels"`
	Comment string   `json:"comment,omitempty"`
}

// Domain is a Postgres domain type.
type Domain struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Base is the type the domain is declared over, which may itself be a
	// domain (then Base.Base holds the first non-domain type, and
	// Base.Scalar() the type values behave as).
	Base Type `json:"base"`
	// NotNull, Default and Checks are the domain's own; those of a domain
	// it is defined over are in that domain's entry.
	NotNull bool   `json:"not_null,omitempty"`
	Default string `json:"default,omitempty"`
	// Checks are the domain's CHECK constraints, sorted by name.
	Checks  []Check `json:"checks,omitempty"`
	Comment string  `json:"comment,omitempty"`
}

// Function is a function that returns rows of a table listed in
// Schema.Tables, or a scalar computed from such a row.
type Function struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Args are the input arguments in order.
	Args []Arg `json:"args,omitempty"`
	// ReturnSchema and ReturnTable name the table whose rows it returns;
	// both are empty when it returns a scalar (ReturnType).
	ReturnSchema string `json:"return_schema"`
	ReturnTable  string `json:"return_table"`
	// Single is true for a function that returns one row of the table
	// (RETURNS t), false for SETOF t.
	Single bool `json:"single,omitempty"`
	// ReturnType is the type of a function that returns a scalar: a base,
	// enum or domain type, or an array of one.
	ReturnType *Type `json:"return_type,omitempty"`
	// Variadic marks a function whose last argument is VARIADIC.
	Variadic bool `json:"variadic,omitempty"`
	// Volatility is "immutable", "stable" or "volatile".
	Volatility string `json:"volatility"`
	Comment    string `json:"comment,omitempty"`
}

// Arg is an input argument of a Function.
type Arg struct {
	Name       string `json:"name,omitempty"`
	Type       Type   `json:"type"`
	HasDefault bool   `json:"has_default,omitempty"`
}

// Table returns the table schema.name, or nil.
func (s *Schema) Table(schema, name string) *Table {
	i := sort.Search(len(s.Tables), func(i int) bool {
		t := &s.Tables[i]
		return t.Schema > schema || (t.Schema == schema && t.Name >= name)
	})
	if i < len(s.Tables) && s.Tables[i].Schema == schema && s.Tables[i].Name == name {
		return &s.Tables[i]
	}
	return nil
}

// Enum returns the enum type schema.name, or nil.
func (s *Schema) Enum(schema, name string) *Enum {
	for i := range s.Enums {
		if s.Enums[i].Schema == schema && s.Enums[i].Name == name {
			return &s.Enums[i]
		}
	}
	return nil
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// ForeignKey returns the foreign key constraint named name, or nil.
func (t *Table) ForeignKey(name string) *ForeignKey {
	for i := range t.ForeignKeys {
		if t.ForeignKeys[i].Name == name {
			return &t.ForeignKeys[i]
		}
	}
	return nil
}

// Sort puts every slice of s in the order a snapshot is written in. Columns
// keep their table order and enum labels their sort order.
func (s *Schema) Sort() {
	sort.Strings(s.Schemas)
	sort.Slice(s.Tables, func(i, j int) bool {
		a, b := s.Tables[i], s.Tables[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		return a.Name < b.Name
	})
	for i := range s.Tables {
		t := &s.Tables[i]
		sort.SliceStable(t.Columns, func(i, j int) bool { return t.Columns[i].Position < t.Columns[j].Position })
		sort.Slice(t.UniqueConstraints, func(i, j int) bool { return t.UniqueConstraints[i].Name < t.UniqueConstraints[j].Name })
		sort.Slice(t.ForeignKeys, func(i, j int) bool { return t.ForeignKeys[i].Name < t.ForeignKeys[j].Name })
		sort.Slice(t.Checks, func(i, j int) bool { return t.Checks[i].Name < t.Checks[j].Name })
	}
	sort.Slice(s.Enums, func(i, j int) bool {
		if s.Enums[i].Schema != s.Enums[j].Schema {
			return s.Enums[i].Schema < s.Enums[j].Schema
		}
		return s.Enums[i].Name < s.Enums[j].Name
	})
	sort.Slice(s.Domains, func(i, j int) bool {
		if s.Domains[i].Schema != s.Domains[j].Schema {
			return s.Domains[i].Schema < s.Domains[j].Schema
		}
		return s.Domains[i].Name < s.Domains[j].Name
	})
	for i := range s.Domains {
		d := &s.Domains[i]
		sort.Slice(d.Checks, func(i, j int) bool { return d.Checks[i].Name < d.Checks[j].Name })
	}
	sortEnumTables(s.EnumTables)
	sort.SliceStable(s.Functions, func(i, j int) bool {
		a, b := s.Functions[i], s.Functions[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return argKey(a.Args) < argKey(b.Args)
	})
}

func argKey(args []Arg) string {
	k := ""
	for _, a := range args {
		k += a.Type.SQL + ","
	}
	return k
}
