package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/runtime/session"
)

// Table describes a tracked Postgres table for the query compiler: its
// columns and relationships under their GraphQL names, and each role's
// permissions with their filters written as Go. Generated code declares one
// Table per tracked table (db/<table>.go); NewSchema links copies of them
// and never modifies the declarations.
type Table struct {
	// Schema and Name are the Postgres schema and relation name.
	Schema string
	Name   string
	// Type is the GraphQL object type name ("albums", "billing_invoices").
	Type string
	// Columns in table order.
	Columns []Column
	// PrimaryKey lists the primary-key columns (Postgres names) in order.
	PrimaryKey []string
	// Constraints maps the names of the PK and unique constraints to their
	// columns (Postgres names): the targets of on_conflict.
	Constraints map[string][]string
	// Relationships are the object and array relationships.
	Relationships []Relationship
	// Roots names the table's root fields.
	Roots RootFields
	// Naming is the schema's naming convention (GraphQLDefault, or empty
	// for hasura-default) and Namespace its root field namespace (empty
	// for none): every table of a schema carries the same (names.go).
	Naming    string
	Namespace string
	// Functions are the tracked SQL functions that return rows of this
	// table; ComputedFields its computed fields (function.go).
	Functions      []Function
	ComputedFields []ComputedField

	// Permissions hold each role's permissions, role by role. A role that
	// is absent has none; admin is never listed and may do anything. A
	// slice, not a map: generated code declares it as static data, where
	// map literals compile to an init function that takes the Go compiler
	// minutes and gigabytes for hundreds of tables and roles. NewSchema's
	// copies index it by role.
	Permissions []RolePermissions

	// sel, ins, upd and del index Permissions by role.
	sel map[string]*SelectPermission
	ins map[string]*InsertPermission
	upd map[string]*UpdatePermission
	del map[string]*DeletePermission

	sql     string // "schema"."name"
	columns map[string]*Column
	byName  map[string]*Column
	rels    map[string]*Relationship
	// relFields maps the GraphQL fields of relationships, <rel> and
	// <rel>_aggregate, to their relationship.
	relFields map[string]RelField
	admin     *SelectPermission
	// adminInsert and adminUpdate allow admin every writable column.
	adminInsert *InsertPermission
	adminUpdate *UpdatePermission
	adminDelete *DeletePermission
}

// RolePermissions are one role's permissions on a table; nil for a kind
// the role may not do.
type RolePermissions struct {
	Role   string
	Select *SelectPermission
	Insert *InsertPermission
	Update *UpdatePermission
	Delete *DeletePermission
}

// RelField is the relationship behind a GraphQL field of a table: <rel>,
// or <rel>_aggregate (Aggregate set) for an array relationship.
type RelField struct {
	Rel       *Relationship
	Aggregate bool
}

// RootFields are the names of a table's root fields; empty means the field
// does not exist (for any role).
type RootFields struct {
	Select          string
	SelectByPk      string
	SelectAggregate string
	SelectStream    string
	Insert          string
	InsertOne       string
	Update          string
	UpdateByPk      string
	UpdateMany      string
	Delete          string
	DeleteByPk      string
}

// Column is a column of a Table.
type Column struct {
	// Name is the Postgres column name; Field its GraphQL field name.
	Name  string
	Field string
	// Type is the SQL type that request values are cast to, ready to paste
	// into SQL: int4, text, timestamptz, "public"."mpaa_rating", text[].
	Type string
	// BigNumber is true for the types HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES
	// turns into JSON strings: int8, numeric, float8, money.
	BigNumber bool
	// JSON is "json" or "jsonb" for JSON columns, else empty.
	JSON string
	// Array is true for array columns.
	Array bool
	// Default is the column's default expression, as Postgres prints it
	// ("nextval('public.albums_id_seq'::regclass)", "now()"): an insert
	// row that does not give the column gets it. Empty means NULL.
	Default string
	// NoInsert and NoUpdate mark columns Postgres does not let be written:
	// generated columns, identity ALWAYS columns, some view columns.
	NoInsert bool
	NoUpdate bool
	// EnumValues, under graphql-default, are the values of the enum table
	// the column references (is_enum): the schema names them upper-cased,
	// the database holds them as they are (compile/enumcase.go).
	EnumValues []string

	sql string // quoted name
}

// Relationship is an object or array relationship from a Table to Remote.
type Relationship struct {
	// Name is the GraphQL field name.
	Name string
	// Array is true for an array relationship, false for an object one.
	Array bool
	// Remote is the remote table as "schema.name".
	Remote string
	// Mapping pairs local columns with remote columns (Postgres names).
	Mapping []ColumnPair
	// ParentFirst is true for an object relationship whose remote row must
	// be inserted before this one in a nested insert (the foreign key is on
	// this table).
	ParentFirst bool

	remote *Table
}

// ColumnPair maps a local column to a remote column.
type ColumnPair struct {
	Local, Remote string
}

// Filter writes a permission's boolean expression as SQL over the row
// alias t (a quoted alias such as "_3"). Generated code implements one per
// (table, role, permission) as straight-line writes; session variables go
// through w.Session so that they become bind parameters.
type Filter func(w *Writer, t string)

// SelectPermission is a role's select permission on a Table.
type SelectPermission struct {
	// Columns are the columns the role may select (Postgres names).
	Columns []string
	// Filter restricts the rows; nil means every row.
	Filter Filter
	// Limit caps the rows of any select on the table; 0 means no cap.
	Limit int
	// Aggregations allows <t>_aggregate, aggregate order_by and
	// aggregate predicates.
	Aggregations bool
	// Cells are an inherited role's column conditions (Hasura's cell
	// semantics): a listed column's value is shown only in the rows its
	// Filter holds for, and is NULL in the other rows the role sees.
	// Columns not listed are shown in every row.
	Cells []CellFilter
	// ComputedFields are the scalar computed fields the role may select.
	ComputedFields []string

	columns map[string]bool
	cells   map[string]Filter
	all     bool // admin's: every computed field
}

// CellFilter is the condition under which an inherited role sees a
// column's value: the filters, OR-ed, of the parent roles that grant the
// column.
type CellFilter struct {
	// Column is the column (Postgres name).
	Column string
	// Filter holds for the rows whose value the role may see.
	Filter Filter
}

// Preset is a column value an insert or update permission sets: a literal
// (as text, cast to the column type) or a session variable.
type Preset struct {
	Column  string
	Literal string
	// Session, when not empty, names the session variable to use instead
	// of Literal.
	Session string
	// Null sets the column to NULL.
	Null bool
}

// InsertPermission is a role's insert permission on a Table.
type InsertPermission struct {
	Columns     []string
	Check       Filter
	Set         []Preset
	BackendOnly bool
}

// UpdatePermission is a role's update permission on a Table.
type UpdatePermission struct {
	Columns     []string
	Filter      Filter
	Check       Filter
	Set         []Preset
	BackendOnly bool
}

// DeletePermission is a role's delete permission on a Table.
type DeletePermission struct {
	Filter      Filter
	BackendOnly bool
}

// Schema is the linked set of tracked tables.
type Schema struct {
	Tables []*Table
	// Roles are every role named in a permission, sorted.
	Roles []string
	// Names is the naming table of the tables' naming convention, and
	// Namespace the field their root fields are under ("" for none).
	Names     Names
	Namespace string

	byName map[string]*Table
}

// NewSchema links copies of tables: relationships to their remote tables,
// column and relationship lookups, permissions' column sets. The tables
// given are not modified, so that any number of schemas may be built from
// a generated package's tables. It returns an error when a relationship
// names a table that is not in tables or a column that does not exist:
// generated code never does.
func NewSchema(tables ...*Table) (*Schema, error) {
	s := &Schema{byName: map[string]*Table{}}
	roles := map[string]bool{}
	for i, orig := range tables {
		if i == 0 {
			s.Names, s.Namespace = NewNames(orig.Naming), orig.Namespace
		} else if orig.Naming != tables[0].Naming || orig.Namespace != tables[0].Namespace {
			return nil, fmt.Errorf("table %s.%s: its naming (%q, namespace %q) differs from table %s.%s's", orig.Schema, orig.Name,
				orig.Naming, orig.Namespace, tables[0].Schema, tables[0].Name)
		}
		t := linkedCopy(orig)
		s.Tables = append(s.Tables, t)
		s.byName[t.Schema+"."+t.Name] = t
		for _, p := range t.Permissions {
			roles[p.Role] = true
		}
	}
	for _, t := range s.Tables {
		t.rels = map[string]*Relationship{}
		t.relFields = map[string]RelField{}
		for i := range t.Relationships {
			r := &t.Relationships[i]
			r.remote = s.byName[r.Remote]
			if r.remote == nil {
				return nil, fmt.Errorf("table %s.%s: relationship %s: remote table %s is not tracked", t.Schema, t.Name, r.Name, r.Remote)
			}
			for _, p := range r.Mapping {
				if t.byName[p.Local] == nil || r.remote.byName[p.Remote] == nil {
					return nil, fmt.Errorf("table %s.%s: relationship %s: unknown column in mapping %s → %s", t.Schema, t.Name, r.Name, p.Local, p.Remote)
				}
			}
			t.rels[r.Name] = r
			t.relFields[r.Name] = RelField{Rel: r}
			if r.Array {
				// Selections, bool_exps and order_bys name it alike but
				// under graphql-default (names.go); the schema says which
				// one a request may use where.
				for _, name := range []string{s.Names.AggregateField(r.Name), s.Names.BoolExpAggregateField(r.Name), s.Names.OrderByAggregateField(r.Name)} {
					t.relFields[name] = RelField{Rel: r, Aggregate: true}
				}
			}
		}
		if err := s.linkFunctions(t); err != nil {
			return nil, err
		}
		perms := append([]*SelectPermission{t.admin}, mapValues(t.sel)...)
		for _, p := range perms {
			p.columns = map[string]bool{}
			for _, c := range p.Columns {
				if t.byName[c] == nil {
					return nil, fmt.Errorf("table %s.%s: select permission names unknown column %s", t.Schema, t.Name, c)
				}
				p.columns[c] = true
			}
			if len(p.Cells) > 0 {
				p.cells = map[string]Filter{}
				for _, cf := range p.Cells {
					if t.byName[cf.Column] == nil || cf.Filter == nil {
						return nil, fmt.Errorf("table %s.%s: select permission has a bad cell filter on column %s", t.Schema, t.Name, cf.Column)
					}
					p.cells[cf.Column] = cf.Filter
				}
			}
		}
	}
	delete(roles, session.AdminRole)
	for r := range roles {
		s.Roles = append(s.Roles, r)
	}
	sort.Strings(s.Roles)
	return s, nil
}

// linkedCopy copies a table with its columns, relationships and select
// permissions (the parts that get private lookups) and fills in what does
// not depend on other tables.
func linkedCopy(orig *Table) *Table {
	t := *orig
	t.Columns = append([]Column(nil), orig.Columns...)
	t.Relationships = append([]Relationship(nil), orig.Relationships...)
	t.sel, t.ins = map[string]*SelectPermission{}, map[string]*InsertPermission{}
	t.upd, t.del = map[string]*UpdatePermission{}, map[string]*DeletePermission{}
	for _, p := range orig.Permissions {
		if p.Select != nil {
			cp := *p.Select // it gets private lookups
			t.sel[p.Role] = &cp
		}
		if p.Insert != nil {
			t.ins[p.Role] = p.Insert
		}
		if p.Update != nil {
			t.upd[p.Role] = p.Update
		}
		if p.Delete != nil {
			t.del[p.Role] = p.Delete
		}
	}
	t.sql = QuoteIdent(t.Schema) + "." + QuoteIdent(t.Name)
	t.columns = map[string]*Column{}
	t.byName = map[string]*Column{}
	all := make([]string, 0, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		c.sql = QuoteIdent(c.Name)
		t.columns[c.Field] = c
		t.byName[c.Name] = c
		all = append(all, c.Name)
	}
	t.admin = &SelectPermission{Columns: all, Aggregations: true}
	t.adminInsert, t.adminUpdate, t.adminDelete = &InsertPermission{}, &UpdatePermission{}, &DeletePermission{}
	for _, c := range t.Columns {
		if !c.NoInsert {
			t.adminInsert.Columns = append(t.adminInsert.Columns, c.Name)
		}
		if !c.NoUpdate {
			t.adminUpdate.Columns = append(t.adminUpdate.Columns, c.Name)
		}
	}
	return &t
}

func mapValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Table returns the table schema.name, or nil.
func (s *Schema) Table(schema, name string) *Table { return s.byName[schema+"."+name] }

// SQL returns the quoted, schema-qualified table name.
func (t *Table) SQL() string { return t.sql }

// Column returns the column whose GraphQL field is field, or nil.
func (t *Table) Column(field string) *Column { return t.columns[field] }

// Relationship returns the relationship whose GraphQL field is name, or nil.
func (t *Table) Relationship(name string) *Relationship { return t.rels[name] }

// SelectFor returns role's select permission, the unrestricted one for
// admin, or nil.
func (t *Table) SelectFor(role string) *SelectPermission { return permFor(t.sel, t.admin, role) }

// InsertFor returns role's insert permission, every insertable column for
// admin, or nil.
func (t *Table) InsertFor(role string) *InsertPermission {
	return permFor(t.ins, t.adminInsert, role)
}

// UpdateFor returns role's update permission, every updatable column for
// admin, or nil.
func (t *Table) UpdateFor(role string) *UpdatePermission {
	return permFor(t.upd, t.adminUpdate, role)
}

// DeleteFor returns role's delete permission, an unrestricted one for
// admin, or nil.
func (t *Table) DeleteFor(role string) *DeletePermission {
	return permFor(t.del, t.adminDelete, role)
}

// permFor is role's permission among perms, admin's for admin.
func permFor[P any](perms map[string]*P, admin *P, role string) *P {
	if role == session.AdminRole {
		return admin
	}
	return perms[role]
}

// ColumnByName returns the column whose Postgres name is name, or nil.
func (t *Table) ColumnByName(name string) *Column { return t.byName[name] }

// RelField returns the relationship behind the GraphQL field name
// (<rel> or <rel>_aggregate).
func (t *Table) RelField(name string) (RelField, bool) {
	rf, ok := t.relFields[name]
	return rf, ok
}

// SQL returns the quoted column name.
func (c *Column) SQL() string { return c.sql }

// RemoteTable returns the linked remote table.
func (r *Relationship) RemoteTable() *Table { return r.remote }

// Unique reports whether at most one remote row matches a row of the
// table: the mapping's remote columns include every column of the remote
// table's primary key or of one of its unique constraints (a foreign key
// to a key, or a manual mapping onto one). A NULL local value matches no
// row, so nullable unique columns do not matter.
func (r *Relationship) Unique() bool {
	if r.remote == nil {
		return false
	}
	mapped := map[string]bool{}
	for _, p := range r.Mapping {
		mapped[p.Remote] = true
	}
	covers := func(cols []string) bool {
		for _, c := range cols {
			if !mapped[c] {
				return false
			}
		}
		return len(cols) > 0
	}
	if covers(r.remote.PrimaryKey) {
		return true
	}
	for _, cols := range r.remote.Constraints {
		if covers(cols) {
			return true
		}
	}
	return false
}

// Allows reports whether the permission lets the role select the column
// (Postgres name).
func (p *SelectPermission) Allows(column string) bool { return p.columns[column] }

// Cell returns the condition under which the role sees the column's value
// (Postgres name), or nil when it sees it in every row it sees.
func (p *SelectPermission) Cell(column string) Filter { return p.cells[column] }

// HasCells reports whether some column is shown only in some rows: an
// inherited role whose parents grant different columns.
func (p *SelectPermission) HasCells() bool { return len(p.cells) > 0 }

// QuoteIdent quotes a Postgres identifier.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes a Postgres string literal (standard_conforming_strings
// on, the default since 9.1).
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
