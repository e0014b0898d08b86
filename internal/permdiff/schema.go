package permdiff

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// ColType is the kind of a column, as far as the generator and the
// comparison care: which operators apply and how a value is written.
type ColType int

// The column types of Chinook.
const (
	Int ColType = iota
	Numeric
	Text
	Timestamp
)

// GraphQL returns the GraphQL scalar Hasura gives columns of the type.
func (t ColType) GraphQL() string {
	switch t {
	case Int:
		return "Int"
	case Numeric:
		return "numeric"
	case Text:
		return "String"
	default:
		return "timestamp"
	}
}

// SQL returns the type values of the column are cast to in reference SQL.
func (t ColType) SQL() string {
	switch t {
	case Int:
		return "int4"
	case Numeric:
		return "numeric"
	case Text:
		return "text"
	default:
		return "timestamp"
	}
}

// Summable reports whether sum and avg apply to the type.
func (t ColType) Summable() bool { return t == Int || t == Numeric }

// Column is a column of a table.
type Column struct {
	Name     string
	Type     ColType
	Nullable bool
}

// Table is a tracked table with its relationships.
type Table struct {
	Name    string
	Columns []*Column
	PK      []string
	Rels    []*Relationship
}

// Column returns the column name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Rel returns the relationship name, or nil.
func (t *Table) Rel(name string) *Relationship {
	for _, r := range t.Rels {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Relationship is an object or array relationship of the metadata, joined
// on one column pair (every Chinook relationship is).
type Relationship struct {
	Name   string
	Array  bool
	From   *Table
	To     *Table
	Local  string // column of From
	Remote string // column of To
}

// Permission is a role's select permission on a table, without its
// filter: the filter lives in the RLS policies, which is the point.
type Permission struct {
	// Columns the role may select; nil means every column.
	Columns []string
	// Limit caps the rows of a select; 0 is none.
	Limit int
	// Aggregations allows <t>_aggregate fields.
	Aggregations bool
	// Session is true when the filter reads the role's session variable:
	// a query reading the table without it must fail.
	Session bool
}

// Role is a Hasura role and what it may select.
type Role struct {
	Name string
	// Perms holds the role's select permission by table name; admin has
	// every table with no restriction.
	Perms map[string]*Permission
	// Session names the session variable the role's filters read, ""
	// when none.
	Session string
}

// Admin reports whether r is the admin role.
func (r *Role) Admin() bool { return r.Name == "admin" }

// Perm returns the role's permission on t, or nil when it has none.
func (r *Role) Perm(t *Table) *Permission {
	if r.Admin() {
		return &Permission{Aggregations: true}
	}
	return r.Perms[t.Name]
}

// CanSelect reports whether the role may select t.
func (r *Role) CanSelect(t *Table) bool { return r.Perm(t) != nil }

// CanAggregate reports whether the role may select t's aggregate fields.
func (r *Role) CanAggregate(t *Table) bool {
	p := r.Perm(t)
	return p != nil && p.Aggregations
}

// Visible reports whether the role may select column c of t.
func (r *Role) Visible(t *Table, c string) bool {
	p := r.Perm(t)
	if p == nil {
		return false
	}
	return p.Columns == nil || slices.Contains(p.Columns, c)
}

// VisibleColumns returns the columns of t the role may select, in table
// order.
func (r *Role) VisibleColumns(t *Table) []*Column {
	var out []*Column
	for _, c := range t.Columns {
		if r.Visible(t, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// HiddenColumns returns the columns of a table the role may select that
// it may not see: the forbidden cases use them.
func (r *Role) HiddenColumns(t *Table) []*Column {
	if !r.CanSelect(t) {
		return nil
	}
	var out []*Column
	for _, c := range t.Columns {
		if !r.Visible(t, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// Limit returns the role's row limit on t, 0 for none.
func (r *Role) Limit(t *Table) int {
	if p := r.Perm(t); p != nil {
		return p.Limit
	}
	return 0
}

// Schema is the tables and roles the harness knows.
type Schema struct {
	Tables []*Table
	Roles  []*Role
}

// Table returns the table name, or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Role returns the role name, or nil.
func (s *Schema) Role(name string) *Role {
	for _, r := range s.Roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// chinookTables are the tables of the Chinook fixture with their primary
// keys.
var chinookTables = []struct {
	name string
	pk   []string
}{
	{"albums", []string{"id"}},
	{"artists", []string{"id"}},
	{"customers", []string{"id"}},
	{"employees", []string{"id"}},
	{"genres", []string{"id"}},
	{"invoice_lines", []string{"id"}},
	{"invoices", []string{"id"}},
	{"media_types", []string{"id"}},
	{"playlist_track", []string{"playlist_id", "track_id"}},
	{"playlists", []string{"id"}},
	{"tracks", []string{"id"}},
}

// chinookRels are the relationships of testdata/fixtures/chinook/hasgen.yaml:
// table, name, array, local column, remote table, remote column.
var chinookRels = []struct {
	table, name   string
	array         bool
	local, remote string
	to            string
}{
	{"albums", "artist", false, "artist_id", "id", "artists"},
	{"albums", "tracks", true, "id", "album_id", "tracks"},
	{"artists", "albums", true, "id", "artist_id", "albums"},
	{"customers", "employee", false, "support_rep_id", "id", "employees"},
	{"customers", "invoices", true, "id", "customer_id", "invoices"},
	{"employees", "employee", false, "reports_to", "id", "employees"},
	{"employees", "customers", true, "id", "support_rep_id", "customers"},
	{"employees", "employees", true, "id", "reports_to", "employees"},
	{"genres", "tracks", true, "id", "genre_id", "tracks"},
	{"invoice_lines", "invoice", false, "invoice_id", "id", "invoices"},
	{"invoice_lines", "track", false, "track_id", "id", "tracks"},
	{"invoices", "customer", false, "customer_id", "id", "customers"},
	{"invoices", "invoice_lines", true, "id", "invoice_id", "invoice_lines"},
	{"media_types", "tracks", true, "id", "media_type_id", "tracks"},
	{"playlist_track", "playlist", false, "playlist_id", "id", "playlists"},
	{"playlist_track", "track", false, "track_id", "id", "tracks"},
	{"playlists", "playlist_tracks", true, "id", "playlist_id", "playlist_track"},
	{"tracks", "album", false, "album_id", "id", "albums"},
	{"tracks", "genre", false, "genre_id", "id", "genres"},
	{"tracks", "media_type", false, "media_type_id", "id", "media_types"},
	{"tracks", "invoice_lines", true, "id", "track_id", "invoice_lines"},
	{"tracks", "playlist_tracks", true, "id", "track_id", "playlist_track"},
}

// chinookRoles are the select permissions of the fixture, copied by hand
// (TestPermissionsMatchFixture compares them with the YAML): columns,
// limit and allow_aggregations. The filters are in policies.sql.
func chinookRoles() []*Role {
	all := []string(nil)
	return []*Role{
		{Name: "admin"},
		{Name: "customer", Session: "x-hasura-user-id", Perms: map[string]*Permission{
			"albums":        {Columns: []string{"id", "title", "artist_id"}, Aggregations: true},
			"artists":       {Columns: []string{"id", "name"}, Aggregations: true},
			"customers":     {Columns: []string{"id", "first_name", "last_name", "email", "country", "support_rep_id"}, Session: true},
			"genres":        {Columns: []string{"id", "name"}},
			"invoice_lines": {Columns: []string{"id", "invoice_id", "track_id", "unit_price", "quantity"}, Aggregations: true, Session: true},
			"invoices":      {Columns: []string{"id", "customer_id", "invoice_date", "billing_country", "total"}, Aggregations: true, Session: true},
			"tracks":        {Columns: []string{"id", "name", "album_id", "genre_id", "milliseconds", "unit_price"}, Limit: 50, Aggregations: true},
		}},
		{Name: "employee", Session: "x-hasura-user-id", Perms: map[string]*Permission{
			"albums":    {Columns: all, Aggregations: true},
			"artists":   {Columns: all},
			"customers": {Columns: all, Aggregations: true, Session: true},
			"employees": {Columns: []string{"id", "first_name", "last_name", "title", "reports_to", "email"}},
			"invoices":  {Columns: all, Aggregations: true, Session: true},
			"tracks":    {Columns: all, Aggregations: true},
		}},
	}
}

// LoadSchema reads the Chinook tables' columns from the database and
// returns them with the fixture's relationships and roles.
func LoadSchema(ctx context.Context, conn *pgx.Conn) (*Schema, error) {
	s := &Schema{Roles: chinookRoles()}
	for _, ct := range chinookTables {
		t := &Table{Name: ct.name, PK: ct.pk}
		rows, err := conn.Query(ctx, `SELECT column_name, data_type, is_nullable = 'YES'
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, ct.name)
		if err != nil {
			return nil, fmt.Errorf("permdiff: columns of %s: %w", ct.name, err)
		}
		for rows.Next() {
			var name, typ string
			var nullable bool
			if err := rows.Scan(&name, &typ, &nullable); err != nil {
				rows.Close()
				return nil, fmt.Errorf("permdiff: columns of %s: %w", ct.name, err)
			}
			c := &Column{Name: name, Nullable: nullable}
			switch typ {
			case "integer", "smallint", "bigint":
				c.Type = Int
			case "numeric":
				c.Type = Numeric
			case "character varying", "text":
				c.Type = Text
			case "timestamp without time zone":
				c.Type = Timestamp
			default:
				rows.Close()
				return nil, fmt.Errorf("permdiff: %s.%s: unexpected type %s", ct.name, name, typ)
			}
			t.Columns = append(t.Columns, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("permdiff: columns of %s: %w", ct.name, err)
		}
		if len(t.Columns) == 0 {
			return nil, fmt.Errorf("permdiff: table %s not found: is Chinook loaded?", ct.name)
		}
		s.Tables = append(s.Tables, t)
	}
	for _, cr := range chinookRels {
		from, to := s.Table(cr.table), s.Table(cr.to)
		from.Rels = append(from.Rels, &Relationship{Name: cr.name, Array: cr.array, From: from, To: to, Local: cr.local, Remote: cr.remote})
	}
	return s, nil
}
