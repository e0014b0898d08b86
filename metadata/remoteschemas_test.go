package metadata

import (
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
