package remoteschema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

const mergeSDL = `schema { query: Query mutation: Mutation }
type Query { user(id: ID!): User users(limit: Int): [User!]! }
type Mutation { rename(id: ID!, name: String!): User }
type User { id: ID! name: String email: String }
input Filter { name: String }
`

func perm(t *testing.T, role, sdl string) *metadata.RemoteSchemaPermission {
	t.Helper()
	doc, err := parser.ParseSchema(&ast.Source{Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	return &metadata.RemoteSchemaPermission{Role: role, Schema: sdl, Doc: doc, Pos: metadata.Pos{File: "r.yaml", Line: 10, Col: 17}}
}

// TestMerge: the admin's part has every type and root field, customized;
// a role's what its permission lists, presets removed and recorded; the
// name maps lead back to the remote's names.
func TestMerge(t *testing.T) {
	r := &metadata.RemoteSchema{Name: "people", Definition: remote.Definition{URL: "http://p", Customization: &remote.Customization{
		TypeNames:  &remote.TypeNames{Prefix: "P_"},
		FieldNames: []*remote.FieldNames{{ParentType: "Query", Mapping: map[string]string{"users": "people"}}, {ParentType: "User", Prefix: "u_"}},
	}}, Permissions: []*metadata.RemoteSchemaPermission{
		perm(t, "user", `type Query { user(id: ID! @preset(value: "X-Hasura-User-Id")): User users(limit: Int @preset(value: 5)): [User!]! } type User { id: ID! }`),
	}}
	m, err := Merge(r, mergeSDL)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings: %q", m.Warnings)
	}
	bare, err := Merge(&metadata.RemoteSchema{Name: "bare", Definition: remote.Definition{URL: "http://b"}}, mergeSDL)
	if err != nil || len(bare.Warnings) != 1 || !strings.Contains(bare.Warnings[0], `remote schema "bare": no permissions: only admin sees it`) {
		t.Errorf("no permissions: %v %q", err, bare.Warnings)
	}
	admin := m.Parts["admin"]
	if admin.Query != "  user(id: ID!): P_User\n  people(limit: Int): [P_User!]!\n" || admin.Mutation != "  rename(id: ID!, name: String!): P_User\n" {
		t.Errorf("admin roots:\n%s%s", admin.Query, admin.Mutation)
	}
	if !strings.Contains(admin.Types, "type P_User {\n  u_id: ID!\n  u_name: String\n  u_email: String\n}") || !strings.Contains(admin.Types, "input P_Filter {") {
		t.Errorf("admin types:\n%s", admin.Types)
	}
	user := m.Parts["user"]
	if user.Query != "  user: P_User\n  people: [P_User!]!\n" || user.Mutation != "" || !strings.Contains(user.Types, "type P_User {\n  u_id: ID!\n}") {
		t.Errorf("user part: %+v", user)
	}
	want := &remote.Schema{Name: "people", Definition: remote.Definition{URL: "http://p"},
		Query:    map[string]string{"user": "user", "people": "users"},
		Mutation: map[string]string{"rename": "rename"},
		Types:    map[string]string{"P_User": "User", "P_Query": "Query", "P_Mutation": "Mutation", "P_Filter": "Filter"},
		Fields:   map[string]map[string]string{"P_User": {"u_id": "id", "u_name": "name", "u_email": "email"}, "P_Query": {"people": "users"}},
		Presets: map[string][]remote.Preset{"user": {
			{Type: "query_root", Field: "user", Arg: "id", ArgType: "ID!", Session: "x-hasura-user-id"},
			{Type: "query_root", Field: "people", Arg: "limit", ArgType: "Int", Value: "5"},
		}},
	}
	if diff := cmp.Diff(want, m.Schema); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMergeErrors: a permission that is not a subset of the remote is an
// error at its place in the metadata.
func TestMergeErrors(t *testing.T) {
	cases := []struct{ name, sdl, want string }{
		{"unknown type", "type Query { user(id: ID!): User }\ntype User { id: ID! }\ntype Person { id: ID! }", `r.yaml:12:6: remote schema "people": permission for role "r": type Person is not in the remote schema`},
		{"unknown field", "type Query { user(id: ID!): User }\ntype User { phone: String }", `r.yaml:11:13: remote schema "people": permission for role "r": field User.phone is not in the remote schema`},
		{"other type", "type Query { users(limit: String): [User!]! }\ntype User { id: ID! }", `r.yaml:10:36: remote schema "people": permission for role "r": argument limit of Query.users is Int in the remote schema, not String`},
		{"undefined", "type Query { user(id: ID!): User }", `r.yaml:10:30: remote schema "people": permission for role "r": type User is used but not defined`},
		{"input preset", "type Query { users: [User!]! }\ntype User { id: ID! }\ninput Filter { name: String @preset(value: \"x\") }", `r.yaml:12:30: remote schema "people": permission for role "r": @preset on input field Filter.name is not supported by hasgen (only on arguments)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &metadata.RemoteSchema{Name: "people", Permissions: []*metadata.RemoteSchemaPermission{perm(t, "r", c.sdl)}}
			_, err := Merge(r, mergeSDL)
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}
