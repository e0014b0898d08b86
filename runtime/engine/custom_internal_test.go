package engine

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestCustomRoots(t *testing.T) {
	role := "schema {\n  query: query_root\n}\ntype query_root {\n  no_queries_available: String!\n}\n"
	custom := "schema { query: query_root mutation: mutation_root }\ntype query_root { hello: String! }\ntype mutation_root { doit(x: Int!): Boolean! }\n"
	ext, roots := customAsExtension(custom, "user")
	stub := missingRoots(role, roots)
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "r", Input: role}, &ast.Source{Name: "s", Input: stub}, &ast.Source{Name: "c", Input: ext})
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stub, ext)
	}
	if s.Mutation == nil || s.Mutation.Fields.ForName("doit") == nil || s.Query.Fields.ForName("hello") == nil {
		t.Fatalf("roots not merged: %+v", s.Mutation)
	}
}

// TestCustomRolesDirective: a custom field marked @roles is in the schema
// of the roles it names and admin's only; the others' have no such field
// (and no mutation_root when all its fields are hidden).
func TestCustomRolesDirective(t *testing.T) {
	role := "schema {\n  query: query_root\n}\ntype query_root {\n  no_queries_available: String!\n}\n"
	custom := `directive @roles(names: [String!]!) on FIELD_DEFINITION
schema { query: query_root mutation: mutation_root }
type query_root {
  hello: String!
  secret: String! @roles(names: ["manager", "auditor"]) @deprecated(reason: "old")
  mine: String @roles(names: "user")
}
type mutation_root { reset: Boolean! @roles(names: ["manager"]) }
`
	tests := []struct {
		role           string
		query, hidden  []string
		mutation       bool
		deprecatedKept bool
	}{
		{role: "admin", query: []string{"hello", "secret", "mine"}, mutation: true, deprecatedKept: true},
		{role: "manager", query: []string{"hello", "secret"}, hidden: []string{"mine"}, mutation: true, deprecatedKept: true},
		{role: "user", query: []string{"hello", "mine"}, hidden: []string{"secret"}},
		{role: "", query: []string{"hello"}, hidden: []string{"secret", "mine"}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			ext, roots := customAsExtension(custom, tt.role)
			stub := missingRoots(role, roots)
			s, err := gqlparser.LoadSchema(&ast.Source{Name: "r", Input: role}, &ast.Source{Name: "s", Input: stub}, &ast.Source{Name: "c", Input: ext})
			if err != nil {
				t.Fatalf("%v\n%s\n%s", err, stub, ext)
			}
			for _, f := range tt.query {
				if s.Query.Fields.ForName(f) == nil {
					t.Errorf("query_root lacks %s", f)
				}
			}
			for _, f := range tt.hidden {
				if s.Query.Fields.ForName(f) != nil {
					t.Errorf("query_root has %s, which role %q may not see", f, tt.role)
				}
			}
			if got := s.Mutation != nil && s.Mutation.Fields.ForName("reset") != nil; got != tt.mutation {
				t.Errorf("mutation reset present = %v, want %v", got, tt.mutation)
			}
			if f := s.Query.Fields.ForName("secret"); f != nil {
				if f.Directives.ForName("roles") != nil {
					t.Errorf("@roles left on secret")
				}
				if (f.Directives.ForName("deprecated") != nil) != tt.deprecatedKept {
					t.Errorf("@deprecated not kept on secret")
				}
			}
		})
	}
}
