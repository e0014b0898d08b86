package templates_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// clientSchema has what the typed client maps: nullable and non-null
// scalars, lists of both, nested objects, raw JSON, an enum, an input
// object that refers to itself.
const clientSchema = `
schema { query: query_root mutation: mutation_root }
scalar jsonb
scalar numeric
scalar bigint
scalar mood
enum order_by { asc desc asc_nulls_first }
input users_bool_exp { _and: [users_bool_exp!] _not: users_bool_exp name: String_comparison_exp }
input String_comparison_exp { _eq: String _in: [String!] }
input users_order_by { name: order_by }
type users { id: Int! name: String tags: [String!] scores: [Int]! meta: jsonb balance: numeric visits: bigint mood: mood friends(limit: Int): [users!]! best_friend: users }
type query_root { users(where: users_bool_exp, order_by: [users_order_by!], limit: Int): [users!]! users_by_pk(id: Int!): users }
type mutation_root { delete_users_by_pk(id: Int!): users }
`

// clientOps exercise aliases, __typename, fragments (merged with fields of
// the same key), @include, variables of every kind, an operation without
// variables and a mutation.
var clientOps = map[string]string{
	"operations/users.graphql": `query Users($where: users_bool_exp, $order: [users_order_by!], $withFriends: Boolean!, $limit: Int = 10) {
  users(where: $where, order_by: $order, limit: $limit) {
    __typename
    id
    displayName: name
    ...Scores
    friends(limit: 2) @include(if: $withFriends) { id }
    best_friend { ...Scores best_friend { id } }
  }
}
fragment Scores on users { scores tags meta balance visits mood }
query One { first: users_by_pk(id: 1) { id } second: users_by_pk(id: 2) { name } }
`,
	"operations/admin.graphql": `mutation Forget($id: Int!) { delete_users_by_pk(id: $id) { id } }
`,
}

func TestClient(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphqls", Input: clientSchema})
	var ops []templates.ClientOperation
	for file, text := range clientOps {
		doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
		if errs != nil {
			t.Fatalf("%s: %v", file, errs)
		}
		for _, op := range doc.Operations {
			ops = append(ops, templates.ClientOperation{
				Name: op.Name, Kind: op.Operation, File: file, Pos: file + ":1:1",
				Def: op, Fragments: doc.Fragments, Document: op.Name + " document\n", Roles: []string{"admin"},
			})
		}
	}
	// Sorted by name, as generate hands them.
	for i := range ops {
		for j := i + 1; j < len(ops); j++ {
			if ops[j].Name < ops[i].Name {
				ops[i], ops[j] = ops[j], ops[i]
			}
		}
	}
	files, err := templates.Client(&model.Project{}, schema, ops, "hasgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range files {
		golden.Compare(t, filepath.Join(golden.Dir(t), "client", strings.TrimPrefix(path, "client/")+".txt"), b)
	}
	if len(files) != 3 {
		t.Errorf("%d files, want client.go, users.go and admin.go", len(files))
	}
}

// TestClientFragmentOnAnotherType: hasgen's schemas have no interfaces or
// unions where operations select, so a fragment on another type than its
// parent's cannot be typed: an error at its place.
func TestClientFragmentOnAnotherType(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphqls", Input: clientSchema + "\ninterface named { name: String }\n"})
	doc, err := gqlparser.LoadQueryWithRules(schema, "query Q {\n  users { ... on users { id } ...F }\n}\nfragment F on users { name }\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The validator accepts fragments on the parent's type only here, so
	// the spread is rewritten to another type's after validation.
	doc.Fragments[0].TypeCondition = "named"
	op := doc.Operations[0]
	_, cerr := templates.Client(&model.Project{}, schema, []templates.ClientOperation{{Name: "Q", Kind: op.Operation, File: "operations/q.graphql", Pos: "operations/q.graphql:1:1", Def: op, Fragments: doc.Fragments, Roles: []string{"admin"}}}, "hasgen.yaml")
	want := "operations/q.graphql:1:1: operation Q: :2:34: fragment F on named inside users: the typed client only types fragments on their parent's type"
	if cerr == nil || cerr.Error() != want {
		t.Fatalf("got %v\nwant %s", cerr, want)
	}
}
