package allowlist

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func parse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("%q does not parse: %v", q, err)
	}
	return doc
}

// TestMatching: a request matches a listed document when Hasura's
// comparison takes them for the same, and only then.
func TestMatching(t *testing.T) {
	tests := []struct {
		name, listed, request string
		want                  bool
	}{
		{"same text", `query Q { users { id name } }`, `query Q { users { id name } }`, true},
		{"whitespace, commas and comments", `query Q { users { id name } }`, "query Q {\n  # the users\n  users {\n    id,\n    name\n  }\n}\n", true},
		{"field order", `query Q { users { id name } }`, `query Q { users { name id } }`, false},
		{"another field", `query Q { users { id } }`, `query Q { users { id name } }`, false},
		{"operation name", `query Q { users { id } }`, `query R { users { id } }`, false},
		{"anonymous and named", `query { users { id } }`, `query Q { users { id } }`, false},
		{"shorthand and query", `{ users { id } }`, `query { users { id } }`, false},
		{"shorthand and shorthand", `{ users { id } }`, ` { users{id} }`, true},
		{"__typename ignored", `query Q { users { id } }`, `query Q { __typename users { __typename id } }`, true},
		{"__typename in the listed one", `query Q { users { __typename id } }`, `query Q { users { id } }`, true},
		{"__typename in a fragment definition", `query Q { users { ...F } } fragment F on users { id }`, `query Q { users { ...F } } fragment F on users { __typename id }`, true},
		{"__typename under an inline fragment counts", `query Q { users { ... on users { id } } }`, `query Q { users { ... on users { __typename id } } }`, false},
		{"argument order", `query Q { users(limit: 1, offset: 2) { id } }`, `query Q { users(offset: 2, limit: 1) { id } }`, true},
		{"input object field order", `query Q { users(where: {id: {_eq: 1}, name: {_eq: "a"}}) { id } }`, `query Q { users(where: {name: {_eq: "a"}, id: {_eq: 1}}) { id } }`, true},
		{"argument value", `query Q { users(limit: 1) { id } }`, `query Q { users(limit: 2) { id } }`, false},
		{"variables", `query Q($n: Int!) { users(limit: $n) { id } }`, `query Q($n: Int) { users(limit: $n) { id } }`, false},
		{"variable default", `query Q($n: Int = 1) { users(limit: $n) { id } }`, `query Q($n: Int = 1) { users(limit: $n) { id } }`, true},
		{"block string", `query Q { users(where: {name: {_eq: "a"}}) { id } }`, `query Q { users(where: {name: {_eq: """a"""}}) { id } }`, true},
		{"string escapes", `query Q { users(where: {name: {_eq: "é"}}) { id } }`, `query Q { users(where: {name: {_eq: "\u00e9"}}) { id } }`, true},
		{"float spelling", `query Q { f(x: 1.0) }`, `query Q { f(x: 1.00) }`, true},
		{"int and float", `query Q { f(x: 1) }`, `query Q { f(x: 1.0) }`, false},
		{"alias", `query Q { users { a: id } }`, `query Q { users { b: id } }`, false},
		{"alias and none", `query Q { users { a: id } }`, `query Q { users { id } }`, false},
		{"directives", `query Q { users @cached { id } }`, `query Q { users { id } }`, false},
		{"mutation and query", `mutation M { f }`, `query M { f }`, false},
		{"subscription", `subscription S { users { id } }`, `subscription S { users { id } }`, true},
		{"definitions in order", `query Q { users { ...F } } fragment F on users { id }`, `fragment F on users { id } query Q { users { ...F } }`, false},
		{"two operations", `query A { a } query B { b }`, `query A { a } query B { b }`, true},
		{"one of two operations", `query A { a } query B { b }`, `query A { a }`, false},
		{"a shorthand after a multibyte comment", "# héhé\n{ a }", "{ a }", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(Config{
				QueryCollections: []Collection{{Name: "c", Definition: Definition{Queries: []Query{{Name: "q", Query: tt.listed}}}}},
				AllowList:        []Entry{{Collection: "c"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Allows("user", parse(t, tt.request), tt.request); got != tt.want {
				t.Errorf("Allows = %v, want %v\nlisted:  %s\nrequest: %s", got, tt.want,
					Normalize(parse(t, tt.listed), tt.listed), Normalize(parse(t, tt.request), tt.request))
			}
		})
	}
}

// TestScopes: a global entry allows every role, a scoped one only its
// roles; a collection not in the allow list allows nobody.
func TestScopes(t *testing.T) {
	l, err := New(Config{
		QueryCollections: []Collection{
			{Name: "public", Definition: Definition{Queries: []Query{{Name: "a", Query: "query A { a }"}}}},
			{Name: "managers", Definition: Definition{Queries: []Query{{Name: "b", Query: "query B { b }"}}}},
			{Name: "unlisted", Definition: Definition{Queries: []Query{{Name: "c", Query: "query C { c }"}}}},
		},
		AllowList: []Entry{
			{Collection: "public", Scope: &Scope{Global: true}},
			{Collection: "managers", Scope: &Scope{Roles: []string{"manager", "boss"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		role, query string
		want        bool
	}{
		{"user", "query A { a }", true},
		{"manager", "query A { a }", true},
		{"user", "query B { b }", false},
		{"manager", "query B { b }", true},
		{"boss", "query B { b }", true},
		{"manager", "query C { c }", false},
		{"anonymous", "query C { c }", false},
	}
	for _, tt := range tests {
		if got := l.Allows(tt.role, parse(t, tt.query), tt.query); got != tt.want {
			t.Errorf("role %s, %s: Allows = %v, want %v", tt.role, tt.query, got, tt.want)
		}
	}
	if l.Len() != 2 {
		t.Errorf("Len = %d, want 2", l.Len())
	}
	var empty *List
	if empty.Allows("user", parse(t, "query A { a }"), "query A { a }") {
		t.Error("a nil list allows a query")
	}
}

// TestNewErrors: a hand-edited file with an unknown collection or a query
// that does not parse does not load.
func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown collection", Config{AllowList: []Entry{{Collection: "x"}}}, `there is no query collection "x"`},
		{"bad query", Config{
			QueryCollections: []Collection{{Name: "c", Definition: Definition{Queries: []Query{{Name: "q", Query: "query {"}}}}},
			AllowList:        []Entry{{Collection: "c"}},
		}, `query collection "c", query "q"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// BenchmarkAllows measures the check of a request against a list of 200
// documents (the engine does it once per document and role, then caches
// the answer with the document).
func BenchmarkAllows(b *testing.B) {
	var qs []Query
	for i := range 200 {
		qs = append(qs, Query{Name: "q" + strings.Repeat("x", i%7), Query: "query Q" + strings.Repeat("a", i) + `($id: Int!) { users(where: {id: {_eq: $id}}, limit: 10) { id name posts(order_by: {id: desc}) { id title } } }`})
	}
	l, err := New(Config{QueryCollections: []Collection{{Name: "c", Definition: Definition{Queries: qs}}}, AllowList: []Entry{{Collection: "c"}}})
	if err != nil {
		b.Fatal(err)
	}
	q := qs[100].Query
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allows("user", doc, q) {
			b.Fatal("not allowed")
		}
	}
}
