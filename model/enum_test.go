package model

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
)

// enumTestSchema is the enums fixture's snapshot (with its enum tables'
// rows), edited by edit.
func enumTestSchema(t *testing.T, edit func(s *introspect.Schema)) *introspect.Schema {
	t.Helper()
	s, err := introspect.LoadSnapshotFile("../testdata/golden/sdl/enums/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(s)
	}
	return s
}

func enumTestBuild(t *testing.T, s *introspect.Schema, yaml string) (*Project, error) {
	t.Helper()
	md, err := metadata.LoadFS(fstest.MapFS{"tables.yaml": {Data: []byte(yaml)}}, "tables.yaml", s)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return Build(s, md)
}

const enumTestYAML = `
- table: {schema: public, name: user_role}
  is_enum: true
- table: {schema: public, name: users}
- table: {schema: support, name: ticket_state}
  is_enum: true
  configuration: {custom_name: state}
- table: {schema: support, name: tickets}
`

// TestEnumColumns: a column that references an enum table's primary key
// by a single-column foreign key is typed by <t>_enum (the custom name
// as <t>), compares with equality only, and is neither a string nor
// comparable for min and max; the enum's values are sorted, with their
// comments.
func TestEnumColumns(t *testing.T) {
	p, err := enumTestBuild(t, enumTestSchema(t, nil), enumTestYAML)
	if err != nil {
		t.Fatal(err)
	}
	users, tickets := p.Table("public", "users"), p.Table("support", "tickets")
	for _, c := range []struct {
		col                    *Column
		scalar, typ, input, ce string
	}{
		{users.Column("role"), "user_role_enum", "user_role_enum!", "user_role_enum", "user_role_enum_comparison_exp"},
		{users.Column("previous_role"), "user_role_enum", "user_role_enum", "user_role_enum", "user_role_enum_comparison_exp"},
		{tickets.Column("state"), "state_enum", "state_enum!", "state_enum", "state_enum_comparison_exp"},
		{users.Column("name"), "String", "String!", "String", "String_comparison_exp"},
	} {
		if c.col.Scalar != c.scalar || c.col.GraphQLType() != c.typ || c.col.InputType() != c.input || c.col.ComparisonType() != c.ce {
			t.Errorf("%s: %s %s %s %s, want %s %s %s %s", c.col.Name, c.col.Scalar, c.col.GraphQLType(), c.col.InputType(), c.col.ComparisonType(),
				c.scalar, c.typ, c.input, c.ce)
		}
	}
	role := users.Column("role")
	if role.IsComparable() || role.IsString() || role.SQLType != "text" {
		t.Errorf("role: comparable %v, string %v, SQL type %s", role.IsComparable(), role.IsString(), role.SQLType)
	}
	var ops []string
	for _, o := range role.Operators() {
		ops = append(ops, o.Name+":"+o.Type)
	}
	if got, want := strings.Join(ops, " "), "_eq:user_role_enum _in:[user_role_enum!] _is_null:Boolean _neq:user_role_enum _nin:[user_role_enum!]"; got != want {
		t.Errorf("operators %s, want %s", got, want)
	}
	var values []string
	for _, v := range p.Table("public", "user_role").EnumValues {
		values = append(values, v.Name+"="+v.Description)
	}
	if got, want := strings.Join(values, " "), "admin=Can do anything editor=Edits articles viewer="; got != want {
		t.Errorf("values %s, want %s", got, want)
	}
	// The enum table's own columns are plain.
	if c := p.Table("public", "user_role").Column("value"); c.Enum != nil || c.Scalar != "String" {
		t.Errorf("user_role.value is %s", c.Scalar)
	}
}

// TestEnumProblems: what makes a table unusable as an enum, in Hasura's
// words, and values that were never read.
func TestEnumProblems(t *testing.T) {
	rows := func(name string, values ...string) func(s *introspect.Schema) {
		return func(s *introspect.Schema) {
			et := s.EnumTable("public", name)
			et.Values = nil
			for _, v := range values {
				et.Values = append(et.Values, introspect.EnumTableValue{Value: v})
			}
		}
	}
	for _, c := range []struct {
		name string
		edit func(s *introspect.Schema)
		want string
	}{
		{"no row", rows("user_role"), `the table "user_role" cannot be used as an enum because the table must have at least one row`},
		{"a bad value", rows("user_role", "ok", "not ok"), `the table "user_role" cannot be used as an enum because the value "not ok" is not a valid GraphQL enum value name`},
		{"two bad values", rows("user_role", "true", "1st"), `the table "user_role" cannot be used as an enum because the values "1st" and "true" are not valid GraphQL enum value names`},
		{"three bad values", rows("user_role", "null", "a-b", "false", "fine"), `the table "user_role" cannot be used as an enum because the values "a-b", "false", and "null" are not valid GraphQL enum value names`},
		{"not read", func(s *introspect.Schema) { s.EnumTables = s.EnumTables[1:] },
			`enum table public.user_role: its values were not read: generate from the database (--database-url), or write the snapshot with hasgen introspect --config`},
		{"two enums", func(s *introspect.Schema) {
			u := s.Table("public", "users")
			u.ForeignKeys = append(u.ForeignKeys, introspect.ForeignKey{Name: "users_role_state_fkey", Columns: []string{"role"},
				RefSchema: "support", RefTable: "ticket_state", RefColumns: []string{"value"}})
		}, `column "role" in table public.users references multiple enum tables ("public.user_role", "support.ticket_state")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := enumTestBuild(t, enumTestSchema(t, c.edit), enumTestYAML)
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
	// Without is_enum, the same tables are plain: nothing is read.
	p, err := enumTestBuild(t, enumTestSchema(t, func(s *introspect.Schema) { s.EnumTables = nil }), strings.ReplaceAll(enumTestYAML, "is_enum: true", "is_enum: false"))
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Table("public", "users").Column("role"); c.Enum != nil || c.Scalar != "String" {
		t.Errorf("role without is_enum: %s", c.Scalar)
	}
}
