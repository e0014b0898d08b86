package remoteschema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/remote"
)

const relSDL = `type Query {
  user(id: Int!): User
  users(filter: Filter!, limit: Int, order: Order = ASC): [User!]!
  account(id: ID!): Account
}
type User { id: Int! name: String posts: [Post!]! }
type Post { title: String }
type Account { owner: User owners: [User] }
input Filter { id: Int tags: [String!] kind: Kind! }
enum Kind { A B }
enum Order { ASC DESC }
`

// at is a position in the test's metadata file.
func at(line, col int) metadata.Pos { return metadata.Pos{File: "t.yaml", Line: line, Col: col} }

func col(name string, line int) *metadata.RemoteValue {
	return &metadata.RemoteValue{Pos: at(line, 9), Column: name}
}

func lit(v any, line int) *metadata.RemoteValue {
	return &metadata.RemoteValue{Pos: at(line, 9), Scalar: v}
}

func obj(line int, fields ...*metadata.RemoteArgument) *metadata.RemoteValue {
	return &metadata.RemoteValue{Pos: at(line, 9), IsObject: true, Object: fields}
}

func arg(name string, line int, v *metadata.RemoteValue) *metadata.RemoteArgument {
	return &metadata.RemoteArgument{Name: name, Pos: at(line, 5), Value: v}
}

func step(name string, line int, args ...*metadata.RemoteArgument) *metadata.RemoteFieldStep {
	return &metadata.RemoteFieldStep{Name: name, Pos: at(line, 3), Arguments: args}
}

// columnScalars are the GraphQL scalars of the test table's columns.
func columnScalars(c string) string {
	return map[string]string{"id": "Int", "name": "String", "uid": "uuid", "price": "Float"}[c]
}

func relMerged(t *testing.T) *Merged {
	t.Helper()
	r := &metadata.RemoteSchema{Name: "people", Definition: remote.Definition{URL: "http://p", Customization: &remote.Customization{
		TypeNames: &remote.TypeNames{Prefix: "P_"},
	}}, Permissions: []*metadata.RemoteSchemaPermission{
		perm(t, "user", `type Query { users(filter: Filter!, limit: Int @preset(value: 5)): [User!]! account(id: ID!): Account }
type User { id: Int! } input Filter { id: Int kind: Kind! } enum Kind { A B } type Account { owner: User }`),
		perm(t, "nouser", `type Query { account(id: ID!): Account } type Account { owners: [User] } type User { id: Int! }`),
		// The join argument: preset (the relationship gives it), or
		// left out (no relationship).
		perm(t, "preset", `type Query { users(filter: Filter! @preset(value: {kind: A}), limit: Int): [User!]! } type User { id: Int! } input Filter { kind: Kind! } enum Kind { A B }`),
		perm(t, "noarg", `type Query { users(limit: Int): [User!]! } type User { id: Int! }`),
	}}
	m, err := Merge(r, relSDL)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAddRelationship: a relationship becomes the server's description
// (a path, its arguments as text with the columns as variables of their
// argument's type) and a field for admin and each role whose permission
// has its remote field.
func TestAddRelationship(t *testing.T) {
	m := relMerged(t)
	search := &metadata.RemoteRelationship{Name: "search", Pos: at(1, 9), LHSFields: []string{"id", "name"}, RemoteField: []*metadata.RemoteFieldStep{
		step("users", 3, arg("filter", 4, obj(4, arg("id", 4, col("id", 4)), arg("tags", 5, &metadata.RemoteValue{IsList: true, List: []*metadata.RemoteValue{col("name", 5), lit("x", 5)}}), arg("kind", 6, lit("B", 6))))),
	}}
	if err := m.AddRelationship("public.orgs", "orgs", search, columnScalars); err != nil {
		t.Fatal(err)
	}
	owner := &metadata.RemoteRelationship{Name: "owner", Pos: at(10, 9), LHSFields: []string{"id"}, RemoteField: []*metadata.RemoteFieldStep{
		step("account", 11, arg("id", 12, col("id", 12))), step("owner", 13),
	}}
	if err := m.AddRelationship("public.orgs", "orgs", owner, columnScalars); err != nil {
		t.Fatal(err)
	}
	want := []*remote.Relationship{
		{Table: "orgs", Name: "search", Columns: []string{"id", "name"},
			Path: []remote.RelationshipStep{{Field: "users", Served: "users", Parent: "query_root", Args: `filter: {id: $hasgen_0, tags: [$hasgen_1, "x"], kind: B}`}},
			Vars: []remote.RelationshipVar{{Column: 0, Type: "Int"}, {Column: 1, Type: "String!"}}, LeafType: "P_User"},
		{Table: "orgs", Name: "owner", Columns: []string{"id"},
			Path: []remote.RelationshipStep{{Field: "account", Served: "account", Parent: "query_root", Args: "id: $hasgen_0"}, {Field: "owner", Served: "owner", Parent: "P_Account"}},
			Vars: []remote.RelationshipVar{{Column: 0, Type: "ID!"}}, LeafType: "P_User"},
	}
	if diff := cmp.Diff(want, m.Schema.Relationships); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
	sdl := []map[string]string{
		// user's limit is preset: not an argument; nouser lacks users.
		{"admin": "  search(limit: Int, order: P_Order = ASC): [P_User!]\n", "user": "  search: [P_User!]\n", "preset": "  search(limit: Int): [P_User!]\n"},
		// nouser's Account has no owner.
		{"admin": "  owner: P_User\n", "user": "  owner: P_User\n"},
	}
	for i, f := range m.Fields {
		if diff := cmp.Diff(sdl[i], f.SDL); diff != "" {
			t.Errorf("%s: SDL by role (-want +got):\n%s", f.Rel.Name, diff)
		}
	}
}

// TestAddRelationshipErrors: what does not fit the remote is an error
// at its position in the metadata.
func TestAddRelationshipErrors(t *testing.T) {
	cases := []struct {
		name string
		path []*metadata.RemoteFieldStep
		want string
	}{
		{"no such field", []*metadata.RemoteFieldStep{step("person", 3)},
			`t.yaml:3:3: table public.orgs remote relationship "r": field Query.person is not in remote schema "people"`},
		{"no such nested field", []*metadata.RemoteFieldStep{step("account", 3, arg("id", 4, col("id", 4))), step("boss", 5)},
			`t.yaml:5:3: table public.orgs remote relationship "r": field Account.boss is not in remote schema "people"`},
		{"no such argument", []*metadata.RemoteFieldStep{step("user", 3, arg("uid", 4, col("id", 4)))},
			`t.yaml:4:5: table public.orgs remote relationship "r": argument uid is not an argument of Query.user`},
		{"a column of another type", []*metadata.RemoteFieldStep{step("user", 3, arg("id", 4, col("uid", 4)))},
			`t.yaml:4:9: table public.orgs remote relationship "r": $uid: the column is uuid, the argument Int!`},
		{"a literal of another type", []*metadata.RemoteFieldStep{step("user", 3, arg("id", 4, lit("one", 4)))},
			`t.yaml:4:9: table public.orgs remote relationship "r": one is not a value of Int!`},
		{"a float for an Int", []*metadata.RemoteFieldStep{step("user", 3, arg("id", 4, lit(json.Number("1.5"), 4)))},
			`t.yaml:4:9: table public.orgs remote relationship "r": 1.5 is not a value of Int!`},
		{"null for a non-null argument", []*metadata.RemoteFieldStep{step("user", 3, arg("id", 4, lit(nil, 4)))},
			`t.yaml:4:9: table public.orgs remote relationship "r": null is not a value of Int!`},
		{"not an enum value", []*metadata.RemoteFieldStep{step("users", 3, arg("filter", 4, obj(4, arg("kind", 5, lit("C", 5)))))},
			`t.yaml:5:9: table public.orgs remote relationship "r": C is not a value of enum Kind`},
		{"no such input field", []*metadata.RemoteFieldStep{step("users", 3, arg("filter", 4, obj(4, arg("kind", 5, lit("A", 5)), arg("nick", 6, lit("x", 6)))))},
			`t.yaml:6:5: table public.orgs remote relationship "r": field nick is not in input type Filter`},
		{"a required input field missing", []*metadata.RemoteFieldStep{step("users", 3, arg("filter", 4, obj(4, arg("id", 5, col("id", 5)))))},
			`t.yaml:4:9: table public.orgs remote relationship "r": field kind of input type Filter is required`},
		{"an object for a scalar", []*metadata.RemoteFieldStep{step("user", 3, arg("id", 4, obj(4)))},
			`t.yaml:4:9: table public.orgs remote relationship "r": an object is not a value of Int!`},
		{"through a list", []*metadata.RemoteFieldStep{step("account", 3, arg("id", 4, col("id", 4))), step("owners", 5), step("name", 6)},
			`t.yaml:5:3: table public.orgs remote relationship "r": field Account.owners is of type [User]: hasgen follows remote_field through object fields (not lists or scalars)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := relMerged(t)
			rel := &metadata.RemoteRelationship{Name: "r", Pos: at(1, 9), LHSFields: []string{"id", "uid"}, RemoteField: c.path}
			err := m.AddRelationship("public.orgs", "orgs", rel, columnScalars)
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}
