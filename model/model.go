// Package model is the view of a project that the emitter renders: every
// tracked table with its GraphQL names (Hasura's naming, custom names
// applied), its columns' GraphQL scalars and capabilities, its
// relationships, and each role's permissions with what they expose. Every
// decision about names, types and gating is made here, in plain methods
// that tests can call; the templates only walk the model.
//
// It reads an introspected database (package introspect) and a validated
// permissions file (package metadata) and knows nothing of files.
package model

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/catalog"
)

// Project is a whole generated server's input, ready to render.
type Project struct {
	// Tables are the tracked tables, sorted by schema then name.
	Tables []*Table
	// Functions are the tracked SQL functions, sorted by root field name.
	Functions []*Function
	// Roles are the roles with at least one permission, sorted; admin is
	// implicit and never listed.
	Roles []string
	// DB and Metadata are the inputs, for emitters that need more.
	DB       *introspect.Schema
	Metadata *metadata.Metadata
	// Naming is the source's naming convention and customization
	// (naming.go): every generated name goes through it.
	Naming Naming

	byName map[string]*Table
}

// Table is a tracked table.
type Table struct {
	Schema, Name string
	// Type is <t>, the table identifier, as hasura-default writes it: the
	// base of Go and file names. TypeName gives the GraphQL type names.
	Type string
	// Ident is <t> in parts, for the naming convention.
	Ident Ident
	// GoName is the exported Go identifier of the table's descriptor.
	GoName string
	// File is the base name of the table's generated Go file, without
	// extension: "public_albums".
	File        string
	Description string
	Kind        string // introspect.Kind*
	Columns     []*Column
	// PrimaryKey lists the primary-key columns; empty when there is none.
	PrimaryKey []*Column
	// Constraints are the PK and unique constraints, sorted by name.
	Constraints   []Constraint
	Relationships []*Relationship
	Roots         RootFields
	Insertable    bool
	Updatable     bool
	Deletable     bool

	// Select, Insert, Update and Delete are the permissions by role.
	Select map[string]*SelectPermission
	Insert map[string]*metadata.InsertPermission
	Update map[string]*metadata.UpdatePermission
	Delete map[string]*metadata.DeletePermission

	DB   *introspect.Table
	Meta *metadata.Table

	naming Naming
	// EnumValues are the values of an enum table (is_enum), sorted by
	// name; nil for other tables. See enum.go.
	EnumValues []EnumValue

	// ComputedFields are the computed fields, in metadata order;
	// Functions the tracked functions that return this table's rows.
	ComputedFields []*ComputedField
	Functions      []*Function
}

// Constraint is a PK or unique constraint: an on_conflict target.
type Constraint struct {
	Name    string
	Columns []*Column
}

// RootFields holds a table's root field names (custom names applied).
type RootFields struct {
	Select, SelectByPk, SelectAggregate, SelectStream string
	Insert, InsertOne, Update, UpdateByPk, UpdateMany string
	Delete, DeleteByPk                                string
}

// Column is a column of a tracked table.
type Column struct {
	Name string
	// Field is the GraphQL field name (column_config custom name or Name).
	Field       string
	Description string
	// Scalar is the GraphQL scalar of a value (of an element, for arrays).
	Scalar string
	// Dims is the number of array dimensions (each a GraphQL list).
	Dims    int
	NotNull bool
	// SQLType is the type request values are cast to.
	SQLType string
	// Base is the introspected type with domains resolved.
	Base introspect.Type
	DB   *introspect.Column
	// Enum is the enum table the column references by a foreign key (see
	// enum.go), whose GraphQL enum types it; nil for other columns.
	Enum *Table
}

// Relationship is an object or array relationship.
type Relationship struct {
	Name   string
	Array  bool
	Remote *Table
	// Mapping pairs local with remote columns.
	Mapping []metadata.ColumnPair
	// NonNull is true for an object relationship over this table's foreign
	// key whose columns are all NOT NULL: the row always exists.
	NonNull     bool
	ParentFirst bool
	Description string
	// AggregateField, BoolExpAggregateField and OrderByAggregateField are
	// the fields of an array relationship's aggregate, <rel>_aggregate, in
	// a selection, a bool_exp and an order_by: Hasura names them three
	// ways under graphql-default (catalog.Names).
	AggregateField, BoolExpAggregateField, OrderByAggregateField string
}

// SelectPermission is a role's select permission with what it exposes.
type SelectPermission struct {
	Role string
	// Columns are the selectable columns, in table order.
	Columns []*Column
	Filter  metadata.BoolExp
	// Limit is 0 for none.
	Limit        int
	Aggregations bool
	Query        metadata.RootFieldSet
	Subscription metadata.RootFieldSet
	Meta         *metadata.SelectPermission
}

// Build makes the model of a project. It fails, listing every problem,
// when a name cannot be a GraphQL name (set a custom_name for it).
func Build(db *introspect.Schema, md *metadata.Metadata) (*Project, error) {
	p := &Project{DB: db, Metadata: md, Roles: md.Roles(), byName: map[string]*Table{},
		Naming: NewNaming(md.Customization, md.DefaultNamingConvention)}
	var problems []string
	for _, mt := range md.Tables {
		it := db.Table(mt.Schema, mt.Name)
		if it == nil {
			problems = append(problems, fmt.Sprintf("table %s.%s is not in the database", mt.Schema, mt.Name))
			continue
		}
		t := &Table{
			Schema: mt.Schema, Name: mt.Name, Kind: it.Kind, DB: it, Meta: mt,
			Description: it.Comment,
			Insertable:  it.Insertable, Updatable: it.Updatable, Deletable: it.Deletable,
			Select: map[string]*SelectPermission{},
			Insert: map[string]*metadata.InsertPermission{},
			Update: map[string]*metadata.UpdatePermission{},
			Delete: map[string]*metadata.DeletePermission{},
			naming: p.Naming,
		}
		if mt.Configuration.Comment != "" {
			t.Description = mt.Configuration.Comment
		}
		t.Type = mt.Configuration.CustomName
		t.Ident = Custom(t.Type)
		if t.Type == "" {
			t.Type = TableIdentifier(mt.Schema, mt.Name)
			t.Ident = tableIdent(mt.Schema, mt.Name)
		}
		if !validName(t.Type) {
			problems = append(problems, fmt.Sprintf("table %s.%s: %q is not a valid GraphQL name; set configuration.custom_name", t.Schema, t.Name, t.Type))
		}
		t.GoName = GoName(t.Type)
		t.File = fileName(mt.Schema, mt.Name)
		custom := map[string]*metadata.ColumnConfig{}
		for _, cc := range mt.Configuration.ColumnConfig {
			custom[cc.Column] = cc
		}
		for i := range it.Columns {
			ic := &it.Columns[i]
			c := &Column{Name: ic.Name, Field: p.Naming.FieldOf(Auto(ic.Name)), Description: ic.Comment, NotNull: ic.NotNull, DB: ic}
			if cc := custom[ic.Name]; cc != nil {
				if cc.CustomName != "" {
					c.Field = cc.CustomName
				}
				if cc.Comment != "" {
					c.Description = cc.Comment
				}
			}
			if !validName(c.Field) {
				problems = append(problems, fmt.Sprintf("table %s.%s: column %q is not a valid GraphQL name; set configuration.column_config.%s.custom_name", t.Schema, t.Name, c.Field, ic.Name))
			}
			c.Base = ic.Type.Scalar()
			c.Dims = c.Base.Dims
			c.Scalar = ScalarName(c.Base)
			c.SQLType = SQLType(ic.Type)
			t.Columns = append(t.Columns, c)
		}
		if pk := it.PrimaryKey; pk != nil {
			for _, n := range pk.Columns {
				t.PrimaryKey = append(t.PrimaryKey, t.Column(n))
			}
			t.Constraints = append(t.Constraints, Constraint{Name: pk.Name, Columns: t.columns(pk.Columns)})
		}
		for _, u := range it.UniqueConstraints {
			t.Constraints = append(t.Constraints, Constraint{Name: u.Name, Columns: t.columns(u.Columns)})
		}
		sort.Slice(t.Constraints, func(i, j int) bool { return t.Constraints[i].Name < t.Constraints[j].Name })
		t.Roots = rootFields(p.Naming, t.Ident, mt.Configuration.CustomRootFields)
		for _, sp := range mt.SelectPermissions {
			perm := &SelectPermission{Role: sp.Role, Filter: sp.Filter, Aggregations: sp.AllowAggregations,
				Query: sp.QueryRootFields, Subscription: sp.SubscriptionRootFields, Meta: sp}
			if sp.Limit > 0 {
				perm.Limit = sp.Limit
			}
			perm.Columns = t.columns(sp.Columns)
			t.Select[sp.Role] = perm
		}
		for _, ip := range mt.InsertPermissions {
			t.Insert[ip.Role] = ip
		}
		for _, up := range mt.UpdatePermissions {
			t.Update[up.Role] = up
		}
		for _, dp := range mt.DeletePermissions {
			t.Delete[dp.Role] = dp
		}
		p.Tables = append(p.Tables, t)
		p.byName[t.Schema+"."+t.Name] = t
	}
	sort.Slice(p.Tables, func(i, j int) bool {
		a, b := p.Tables[i], p.Tables[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		return a.Name < b.Name
	})
	uniqueFiles(p.Tables)
	problems = append(problems, p.enums()...)
	types := map[string]string{}
	gonames := map[string]string{}
	for _, t := range p.Tables {
		q := t.Schema + "." + t.Name
		if other, ok := types[t.Type]; ok {
			problems = append(problems, fmt.Sprintf("tables %s and %s both have the GraphQL name %q; set configuration.custom_name on one", other, q, t.Type))
		}
		types[t.Type] = q
		if other, ok := gonames[t.GoName]; ok {
			t.GoName += "_" + GoName(t.Schema)
			if _, ok := gonames[t.GoName]; ok {
				problems = append(problems, fmt.Sprintf("tables %s and %s have the same Go name %s", other, q, t.GoName))
			}
		}
		gonames[t.GoName] = q
		for _, mr := range t.Meta.Relationships {
			remote := p.byName[mr.RemoteSchema+"."+mr.RemoteTable]
			if remote == nil {
				problems = append(problems, fmt.Sprintf("table %s: relationship %s leads to %s.%s, which is not tracked", q, mr.Name, mr.RemoteSchema, mr.RemoteTable))
				continue
			}
			r := &Relationship{Name: mr.Name, Array: mr.Kind == metadata.ArrayRelationship, Remote: remote,
				Mapping: mr.Columns, Description: mr.Comment, ParentFirst: mr.InsertionOrder == metadata.BeforeParent,
				AggregateField:        p.Naming.Names().AggregateField(mr.Name),
				BoolExpAggregateField: p.Naming.Names().BoolExpAggregateField(mr.Name),
				OrderByAggregateField: p.Naming.Names().OrderByAggregateField(mr.Name)}
			if !r.Array && !mr.Manual && !mr.Reverse {
				r.NonNull = true
				for _, pair := range mr.Columns {
					if c := t.Column(pair.Local); c == nil || !c.NotNull {
						r.NonNull = false
					}
				}
			}
			t.Relationships = append(t.Relationships, r)
		}
	}
	p.buildFunctions(&problems)
	problems = append(problems, p.actionTables()...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return p, nil
}

// ActionTable returns the table whose type action a returns the rows of
// (a Go-only action's OutputTable), or nil.
func (p *Project) ActionTable(a *metadata.Action) *Table {
	if a.OutputTable == "" {
		return nil
	}
	for _, t := range p.Tables {
		if t.TypeName("") == a.OutputTable {
			return t
		}
	}
	return nil
}

// actionTables checks the tables the actions return: tracked, with a
// primary key (the Go handler returns it).
func (p *Project) actionTables() []string {
	var problems []string
	for _, a := range p.Metadata.Actions {
		if a.OutputTable == "" {
			continue
		}
		t := p.ActionTable(a)
		switch {
		case t == nil:
			problems = append(problems, fmt.Sprintf("%s: action %q: output: type %q is neither a custom type nor a tracked table's type", a.OutputPos, a.Name, a.OutputTable))
		case len(t.PrimaryKey) == 0:
			problems = append(problems, fmt.Sprintf("%s: action %q: output: table %s has no primary key, by which the Go handler returns rows", a.OutputPos, a.Name, t.Qualified()))
		case t.Roots.Select == "":
			problems = append(problems, fmt.Sprintf("%s: action %q: output: table %s has no select root field to read its rows with", a.OutputPos, a.Name, t.Qualified()))
		}
	}
	return problems
}

// Table returns the tracked table schema.name, or nil.
func (p *Project) Table(schema, name string) *Table { return p.byName[schema+"."+name] }

// Column returns the column named name (Postgres name), or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (t *Table) columns(names []string) []*Column {
	out := make([]*Column, 0, len(names))
	for _, n := range names {
		if c := t.Column(n); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Qualified returns "schema.name".
func (t *Table) Qualified() string { return t.Schema + "." + t.Name }

// SQL returns the quoted, qualified name.
func (t *Table) SQL() string { return QuoteIdent(t.Schema) + "." + QuoteIdent(t.Name) }

// TableIdentifier is Hasura's <t> for a table: its name in public, else
// <schema>_<name>.
func TableIdentifier(schema, name string) string {
	if schema == "public" {
		return name
	}
	return schema + "_" + name
}

// rootFields names a table's root fields: the custom root field names as
// they are, the others made of the table identifier in the naming
// convention; then the source's root field prefix and suffix.
func rootFields(n Naming, t Ident, c metadata.CustomRootFields) RootFields {
	pick := func(custom metadata.RootFieldName, before, after string) string {
		name := custom.Name
		if name == "" {
			id := t
			if before != "" {
				id = Auto(before).Plus(id)
			}
			if after != "" {
				id = id.Plus(Auto(after))
			}
			name = n.FieldOf(id)
		}
		return n.Root(name)
	}
	return RootFields{
		Select:          pick(c.Select, "", ""),
		SelectByPk:      pick(c.SelectByPk, "", "by_pk"),
		SelectAggregate: pick(c.SelectAggregate, "", "aggregate"),
		SelectStream:    pick(c.SelectStream, "", "stream"),
		Insert:          pick(c.Insert, "insert", ""),
		InsertOne:       pick(c.InsertOne, "insert", "one"),
		Update:          pick(c.Update, "update", ""),
		UpdateByPk:      pick(c.UpdateByPk, "update", "by_pk"),
		UpdateMany:      pick(c.UpdateMany, "update", "many"),
		Delete:          pick(c.Delete, "delete", ""),
		DeleteByPk:      pick(c.DeleteByPk, "delete", "by_pk"),
	}
}

// tableIdent is a table's identifier in parts: its name's, after its
// schema's outside public (Hasura's getIdentifierQualifiedObject).
func tableIdent(schema, name string) Ident {
	if schema == "public" {
		return Auto(name)
	}
	return Auto(schema).Plus(Auto(name))
}

// Namespace is the source's root field namespace ("" for none).
func (t *Table) Namespace() string { return t.naming.Namespace }

// GraphQLCase reports the graphql-default naming convention.
func (t *Table) GraphQLCase() bool { return t.naming.GraphQLCase }

// AggregateBoolExpType is the type of the table's aggregate predicates,
// <t>_aggregate_bool_exp (fn ""), or of one of them,
// <t>_aggregate_bool_exp_<fn>. Hasura names the first as a type without
// the type name customization and the others as fields (camelCase,
// the function name kept).
func (t *Table) AggregateBoolExpType(fn string) string {
	id := t.Ident.Plus(Auto("aggregate_bool_exp"))
	if fn == "" {
		return t.naming.render(id, catalog.UpperFirst)
	}
	return t.naming.FieldOf(id.Plus(Custom(fn)))
}

// TypeName is a GraphQL type name of the table: <t> for suffix "", else
// <t><suffix> for a suffix as hasura-default writes it ("_bool_exp"), in
// the naming convention and with the source's type name customization.
func (t *Table) TypeName(suffix string) string {
	id := t.Ident
	if suffix != "" {
		id = id.Plus(Auto(strings.TrimPrefix(suffix, "_")))
	}
	return t.naming.TypeOf(id)
}

var nameRE = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

func validName(s string) bool { return nameRE.MatchString(s) && !strings.HasPrefix(s, "__") }

// GoName turns a GraphQL name into an exported Go identifier:
// "invoice_lines" → "InvoiceLines", "Album" → "Album".
func GoName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r == '_' || r == '-' || r == ' ':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || !(out[0] >= 'A' && out[0] <= 'Z') {
		out = "T" + out
	}
	return out
}

// QuoteIdent quotes a Postgres identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
