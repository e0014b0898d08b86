package engine

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestCustomRoots(t *testing.T) {
	role := "schema {\n  query: query_root\n}\ntype query_root {\n  no_queries_available: String!\n}\n"
	custom := "schema { query: query_root mutation: mutation_root }\ntype query_root { hello: String! }\ntype mutation_root { doit(x: Int!): Boolean! }\n"
	ext, roots := customAsExtension(custom)
	stub := missingRoots(role, roots)
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "r", Input: role}, &ast.Source{Name: "s", Input: stub}, &ast.Source{Name: "c", Input: ext})
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stub, ext)
	}
	if s.Mutation == nil || s.Mutation.Fields.ForName("doit") == nil || s.Query.Fields.ForName("hello") == nil {
		t.Fatalf("roots not merged: %+v", s.Mutation)
	}
}
