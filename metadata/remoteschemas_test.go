package metadata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/remote"
)

const remoteDatabases = "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"

// TestRemoteSchemas reads remote_schemas.yaml: definition, customization
// and permissions, sorted by name and role.
func TestRemoteSchemas(t *testing.T) {
	m, err := loadString(t,
		"metadata/databases/databases.yaml", remoteDatabases,
		"metadata/remote_schemas.yaml", `- name: users
  definition:
    url_from_env: USERS_URL
    timeout_seconds: 5
    forward_client_headers: true
    headers:
      - {name: X-Key, value_from_env: USERS_KEY}
      - {name: X-From, value: hasgen}
    customization:
      root_fields_namespace: people
      type_names: {prefix: U_, suffix: _t, mapping: {User: Person}}
      field_names:
        - parent_type: User
          prefix: f_
          mapping: {name: full_name}
  comment: the users service
  permissions:
    - role: viewer
      definition:
        schema: |
          schema { query: Query }
          type Query { user(id: ID! @preset(value: "x-hasura-user-id")): User }
          type User { id: ID! }
    - role: admin2
      definition:
        schema: "type Query { users: [User] } type User { id: ID! }"
- name: countries
  definition: {url: "http://countries/graphql"}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []*RemoteSchema{
		{Name: "countries", Pos: Pos{File: "metadata/remote_schemas.yaml", Line: 27, Col: 9},
			Definition: remote.Definition{URL: "http://countries/graphql"}},
		{Name: "users", Pos: Pos{File: "metadata/remote_schemas.yaml", Line: 1, Col: 9},
			Definition: remote.Definition{
				URLFromEnv: "USERS_URL", TimeoutSeconds: 5, ForwardClientHeaders: true,
				Headers: []events.Header{{Name: "X-Key", ValueFromEnv: "USERS_KEY"}, {Name: "X-From", Value: "hasgen"}},
				Customization: &remote.Customization{
					RootFieldsNamespace: "people",
					TypeNames:           &remote.TypeNames{Prefix: "U_", Suffix: "_t", Mapping: map[string]string{"User": "Person"}},
					FieldNames:          []*remote.FieldNames{{ParentType: "User", Prefix: "f_", Mapping: map[string]string{"name": "full_name"}}},
				}},
			Comment: "the users service",
			Permissions: []*RemoteSchemaPermission{
				{Role: "admin2", Schema: "type Query { users: [User] } type User { id: ID! }", Pos: Pos{File: "metadata/remote_schemas.yaml", Line: 26, Col: 17}},
				{Role: "viewer", Schema: "schema { query: Query }\ntype Query { user(id: ID! @preset(value: \"x-hasura-user-id\")): User }\ntype User { id: ID! }\n",
					Pos: Pos{File: "metadata/remote_schemas.yaml", Line: 20, Col: 17}, block: true},
			}},
	}
	if diff := cmp.Diff(want, m.RemoteSchemas, cmp.AllowUnexported(RemoteSchemaPermission{}), cmpopts.IgnoreFields(RemoteSchemaPermission{}, "Doc")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, r := range m.RemoteSchemas {
		for _, p := range r.Permissions {
			if p.Doc == nil || len(p.Doc.Definitions) == 0 {
				t.Errorf("%s %s: schema not parsed", r.Name, p.Role)
			}
		}
	}
	c := want[1].Definition.Customization
	for _, tc := range [][3]string{{"User", "", "Person"}, {"Post", "", "U_Post_t"}, {"String", "", "String"}, {"__Type", "", "__Type"},
		{"User", "name", "full_name"}, {"User", "id", "f_id"}, {"Post", "id", "id"}, {"User", "__typename", "__typename"}} {
		got := c.TypeName(tc[0])
		if tc[1] != "" {
			got = c.FieldName(tc[0], tc[1])
		}
		if got != tc[2] {
			t.Errorf("%s.%s: %s, want %s", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestRemoteSchemaErrors: each mistake is reported where it is written,
// naming the remote schema.
func TestRemoteSchemaErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no url", "- name: a\n  definition: {timeout_seconds: 3}\n",
			[]string{`r.yaml:2:15: remote schema "a": definition must have one of url and url_from_env`}},
		{"both urls", "- name: a\n  definition: {url: http://a, url_from_env: A}\n",
			[]string{`r.yaml:2:15: remote schema "a": definition must have one of url and url_from_env`}},
		{"no definition", "- name: a\n",
			[]string{`r.yaml:1:3: remote schema "a": definition is missing`}},
		{"unknown key", "- name: a\n  definition: {url: http://a, urls: x}\n",
			[]string{`r.yaml:2:31: remote schema "a": unknown key "urls" in definition`}},
		{"bad namespace", "- name: a\n  definition:\n    url: http://a\n    customization: {root_fields_namespace: 'a-b'}\n",
			[]string{`r.yaml:4:44: remote schema "a" customization: root_fields_namespace "a-b" is not a GraphQL name`}},
		{"field names without parent", "- name: a\n  definition:\n    url: http://a\n    customization: {field_names: [{prefix: p_}]}\n",
			[]string{`r.yaml:4:35: remote schema "a" customization: field_names: parent_type is missing`}},
		{"bad sdl", "- name: a\n  definition: {url: http://a}\n  permissions:\n    - role: r\n      definition:\n        schema: |\n          type Query {\n            x: Int\n          type\n",
			[]string{`r.yaml:10:1: remote schema "a": permission for role "r": schema: Expected :, found <EOF>`}},
		{"duplicate role", "- name: a\n  definition: {url: http://a}\n  permissions:\n    - {role: r, definition: {schema: 'type Query {x: Int}'}}\n    - {role: r, definition: {schema: 'type Query {x: Int}'}}\n",
			[]string{`r.yaml:5:7: remote schema "a": role "r" has two permissions`}},
		{"duplicate name", "- name: a\n  definition: {url: http://a}\n- name: a\n  definition: {url: http://b}\n",
			[]string{`r.yaml:3:9: remote schema "a": a remote schema of this name is already defined at metadata/remote_schemas.yaml:1:9`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t, "metadata/databases/databases.yaml", remoteDatabases, "metadata/remote_schemas.yaml", c.yaml)
			var got []string
			if el, ok := err.(ErrorList); ok {
				for _, e := range el {
					got = append(got, e.Error())
				}
			} else if err != nil {
				got = []string{err.Error()}
			}
			for i := range c.want {
				c.want[i] = "metadata/remote_schemas.yaml" + c.want[i][len("r.yaml"):]
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// remoteRelTables is a databases.yaml whose orgs table has the remote
// relationships rels (YAML lines indented for the table's keys).
func remoteRelTables(rels string) string {
	return "- name: default\n  kind: postgres\n  tables:\n    - table: orgs\n      remote_relationships:\n" + rels
}

// TestRemoteRelationships reads a table's remote relationships in both
// of Hasura's formats: a path of fields, arguments with columns,
// literals, lists and input objects.
func TestRemoteRelationships(t *testing.T) {
	m, err := loadString(t,
		"metadata/databases/databases.yaml", remoteRelTables(`        - name: owner
          definition:
            to_remote_schema:
              remote_schema: people
              lhs_fields: [id, name]
              remote_field:
                account:
                  arguments: {id: $id, where: {name: {_eq: $name}, tags: [a, 1, true, null]}}
                  field:
                    owner: {}
        - name: old
          definition:
            remote_schema: people
            hasura_fields: [id]
            remote_field: {user: {arguments: {id: $id}}}
`),
		"metadata/remote_schemas.yaml", "- name: people\n  definition: {url: http://p}\n")
	if err != nil {
		t.Fatal(err)
	}
	var orgs *Table
	for _, tb := range m.Tables {
		if tb.Name == "orgs" {
			orgs = tb
		}
	}
	if orgs == nil || len(orgs.RemoteRelationships) != 2 {
		t.Fatalf("orgs: %+v", orgs)
	}
	f := "metadata/databases/databases.yaml"
	want := []*RemoteRelationship{
		{Name: "owner", Pos: Pos{f, 6, 17}, RemoteSchema: "people", SchemaPos: Pos{f, 9, 30}, LHSFields: []string{"id", "name"},
			RemoteField: []*RemoteFieldStep{
				{Name: "account", Pos: Pos{f, 12, 17}, Arguments: []*RemoteArgument{
					{Name: "id", Pos: Pos{f, 13, 31}, Value: &RemoteValue{Pos: Pos{f, 13, 35}, Column: "id"}},
					{Name: "where", Pos: Pos{f, 13, 40}, Value: &RemoteValue{Pos: Pos{f, 13, 47}, IsObject: true, Object: []*RemoteArgument{
						{Name: "name", Pos: Pos{f, 13, 48}, Value: &RemoteValue{Pos: Pos{f, 13, 54}, IsObject: true, Object: []*RemoteArgument{
							{Name: "_eq", Pos: Pos{f, 13, 55}, Value: &RemoteValue{Pos: Pos{f, 13, 60}, Column: "name"}}}}},
						{Name: "tags", Pos: Pos{f, 13, 68}, Value: &RemoteValue{Pos: Pos{f, 13, 74}, IsList: true, List: []*RemoteValue{
							{Pos: Pos{f, 13, 75}, Scalar: "a"}, {Pos: Pos{f, 13, 78}, Scalar: json.Number("1")},
							{Pos: Pos{f, 13, 81}, Scalar: true}, {Pos: Pos{f, 13, 87}}}}},
					}}},
				}},
				{Name: "owner", Pos: Pos{f, 15, 21}},
			}},
		{Name: "old", Pos: Pos{f, 16, 17}, RemoteSchema: "people", SchemaPos: Pos{f, 18, 28}, LHSFields: []string{"id"},
			RemoteField: []*RemoteFieldStep{{Name: "user", Pos: Pos{f, 20, 28}, Arguments: []*RemoteArgument{
				{Name: "id", Pos: Pos{f, 20, 47}, Value: &RemoteValue{Pos: Pos{f, 20, 51}, Column: "id"}}}}}},
	}
	if diff := cmp.Diff(want, orgs.RemoteRelationships); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Marshal writes them in the new format; they read back the same.
	out, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := `  remote_relationships:
    - name: owner
      definition:
        to_remote_schema:
          remote_schema: people
          lhs_fields: [id, name]
          remote_field: {account: {arguments: {id: "$id", where: {name: {_eq: "$name"}, tags: [a, 1, true, null]}}, field: {owner: {}}}}
    - name: old
      definition:
        to_remote_schema:
          remote_schema: people
          lhs_fields: [id]
          remote_field: {user: {arguments: {id: "$id"}}}
`
	if !strings.Contains(string(out), wantOut) {
		t.Errorf("Marshal:\n%s", out)
	}
	m2, err := loadString(t, "metadata/databases/databases.yaml", "- name: default\n  kind: postgres\n  tables: \"!include default/tables/tables.yaml\"\n",
		"metadata/databases/default/tables/tables.yaml", string(out),
		"metadata/remote_schemas.yaml", "- name: people\n  definition: {url: http://p}\n")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tb := range m2.Tables {
		if tb.Name == "orgs" {
			found = true
			if diff := cmp.Diff(want, tb.RemoteRelationships, cmpopts.IgnoreTypes(Pos{})); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		}
	}
	if !found {
		t.Errorf("read back: no orgs")
	}
}

// TestRemoteRelationshipErrors: each mistake in a remote relationship is
// an error where it is written.
func TestRemoteRelationshipErrors(t *testing.T) {
	head := "        - name: r\n          definition:\n"
	cases := []struct {
		name, def, want string
	}{
		{"unknown remote schema", "            to_remote_schema: {remote_schema: nope, lhs_fields: [id], remote_field: {user: {arguments: {id: $id}}}}\n",
			`metadata/databases/databases.yaml:8:47: table public.orgs remote relationship "r": remote schema "nope" is not defined (remote_schemas.yaml)`},
		{"unknown column", "            to_remote_schema: {remote_schema: people, lhs_fields: [idd], remote_field: {user: {}}}\n",
			`metadata/databases/databases.yaml:8:68: table public.orgs remote relationship "r": column "idd" is not in public.orgs`},
		{"a column not in lhs_fields", "            remote_schema: people\n            hasura_fields: [id]\n            remote_field: {user: {arguments: {id: $name}}}\n",
			`metadata/databases/databases.yaml:10:51: table public.orgs remote relationship "r": $name is not one of lhs_fields`},
		{"two fields at one level", "            remote_schema: people\n            hasura_fields: [id]\n            remote_field: {user: {}, other: {}}\n",
			`metadata/databases/databases.yaml:10:27: table public.orgs remote relationship "r": remote_field must name one field`},
		{"unknown key in a remote field", "            remote_schema: people\n            hasura_fields: [id]\n            remote_field: {user: {args: {}}}\n",
			`metadata/databases/databases.yaml:10:35: table public.orgs remote relationship "r": unknown key "args" in remote field user`},
		{"missing remote_field", "            to_remote_schema: {remote_schema: people, lhs_fields: [id]}\n",
			`metadata/databases/databases.yaml:8:13: table public.orgs remote relationship "r": a remote relationship to a remote schema needs remote_schema, lhs_fields and remote_field`},
		{"name taken by a column", "NAME name\n          definition: {remote_schema: people, hasura_fields: [id], remote_field: {user: {}}}\n",
			`metadata/databases/databases.yaml:6:17: remote relationship "name": the name is already used by column "name" of public.orgs`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A definition starting with NAME names the relationship.
			rels := head + c.def
			if name, rest, ok := strings.Cut(c.def, "NAME "); ok && name == "" {
				rels = "        - name: " + rest
			}
			_, err := loadString(t, "metadata/databases/databases.yaml", remoteRelTables(rels),
				"metadata/remote_schemas.yaml", "- name: people\n  definition: {url: http://p}\n")
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestRemoteTypeRelationships reads a remote schema's relationships to
// tables, and reports their mistakes where they are written.
func TestRemoteTypeRelationships(t *testing.T) {
	remoteFile := func(rels string) string {
		return "- name: people\n  definition: {url: http://p}\n  remote_relationships:\n    - type_name: User\n      relationships:\n" + rels
	}
	m, err := loadString(t, "metadata/databases/databases.yaml", remoteDatabases, "metadata/remote_schemas.yaml", remoteFile(
		"        - name: orgs\n          definition: {to_source: {source: default, table: {schema: public, name: orgs}, relationship_type: array, field_mapping: {id: id}}}\n"+
			"        - name: org\n          definition: {to_source: {source: default, table: orgs, relationship_type: object, field_mapping: {org_id: id, name: name}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := "metadata/remote_schemas.yaml"
	want := []*RemoteTypeRelationship{
		{TypeName: "User", TypePos: Pos{f, 4, 18}, Name: "orgs", Pos: Pos{f, 6, 17}, Source: "default", Schema: "public", Table: "orgs", TablePos: Pos{f, 7, 60},
			Array: true, Mapping: []FieldColumn{{"id", "id"}}, MappingPos: Pos{f, 7, 131}},
		{TypeName: "User", TypePos: Pos{f, 4, 18}, Name: "org", Pos: Pos{f, 8, 17}, Source: "default", Schema: "public", Table: "orgs", TablePos: Pos{f, 9, 60},
			Mapping: []FieldColumn{{"org_id", "id"}, {"name", "name"}}, MappingPos: Pos{f, 9, 108}},
	}
	if diff := cmp.Diff(want, m.RemoteSchemas[0].Relationships); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	cases := []struct{ name, rel, want string }{
		{"untracked table", "        - name: r\n          definition: {to_source: {source: default, table: untracked, relationship_type: array, field_mapping: {id: id}}}\n",
			`metadata/remote_schemas.yaml:7:60: remote schema "people": type User relationship "r": table public.untracked is not tracked`},
		{"unknown column", "        - name: r\n          definition: {to_source: {source: default, table: orgs, relationship_type: array, field_mapping: {id: idd}}}\n",
			`metadata/remote_schemas.yaml:7:107: remote schema "people": type User relationship "r": column "idd" is not in public.orgs`},
		{"bad relationship_type", "        - name: r\n          definition: {to_source: {source: default, table: orgs, relationship_type: many, field_mapping: {id: id}}}\n",
			`metadata/remote_schemas.yaml:7:85: remote schema "people": type User relationship "r": relationship_type must be object or array, not "many"`},
		{"missing field_mapping", "        - name: r\n          definition: {to_source: {source: default, table: orgs, relationship_type: array}}\n",
			`metadata/remote_schemas.yaml:7:23: remote schema "people": type User relationship "r": to_source needs table, relationship_type and field_mapping`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t, "metadata/databases/databases.yaml", remoteDatabases, "metadata/remote_schemas.yaml", remoteFile(c.rel))
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}
