package engine

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestRenderTags writes Hasura's two formats: the standard one in
// Hasura's order, unquoted; sqlcommenter's sorted, URL-encoded and
// quoted; a value that could end the comment is encoded in both.
func TestRenderTags(t *testing.T) {
	attrs := []attr{{"request_id", "487c2ed5-08a4-429a-b0e0-4666a82e3cc6"}, {"field_name", "child"},
		{"parameterized_query_hash", "b2a71ce23928ca7f0021f9060e5d590e9f9bb00f"}, {"operation_name", "GetChild"}}
	cases := []struct {
		name  string
		f     TagFormat
		attrs []attr
		want  string
	}{
		{"standard", TagsStandard, attrs,
			" /* request_id=487c2ed5-08a4-429a-b0e0-4666a82e3cc6, field_name=child, parameterized_query_hash=b2a71ce23928ca7f0021f9060e5d590e9f9bb00f, operation_name=GetChild */"},
		{"sqlcommenter", TagsSQLCommenter, attrs,
			" /* field_name='child',operation_name='GetChild',parameterized_query_hash='b2a71ce23928ca7f0021f9060e5d590e9f9bb00f',request_id='487c2ed5-08a4-429a-b0e0-4666a82e3cc6' */"},
		{"standard, hostile request id", TagsStandard, []attr{{"request_id", "x */ UNION SELECT 1 /*"}},
			" /* request_id=x%20%2A%2F%20UNION%20SELECT%201%20%2F%2A */"},
		{"sqlcommenter, hostile request id", TagsSQLCommenter, []attr{{"request_id", "a'*/--"}},
			" /* request_id='a%27%2A%2F--' */"},
	}
	for _, c := range cases {
		got := renderTags(c.f, c.attrs)
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		if strings.Count(got, "*/") != 1 || strings.Count(got, "/*") != 1 {
			t.Errorf("%s: the comment is not closed once: %s", c.name, got)
		}
	}
}

// TestFieldAttrs: queries and mutations name their operation; a
// subscription's statements serve many requests and carry field_name and
// parameterized_query_hash only, as Hasura's live queries do.
func TestFieldAttrs(t *testing.T) {
	for _, c := range []struct {
		op   ast.Operation
		name string
		want string
	}{
		{ast.Query, "Items", "field_name=item parameterized_query_hash=h operation_name=Items"},
		{ast.Query, "", "field_name=item parameterized_query_hash=h"},
		{ast.Mutation, "Add", "field_name=item parameterized_query_hash=h operation_name=Add"},
		{ast.Subscription, "Watch", "field_name=item parameterized_query_hash=h"},
	} {
		var parts []string
		for _, a := range fieldAttrs(&ast.OperationDefinition{Operation: c.op, Name: c.name}, "item", "h") {
			parts = append(parts, a.k+"="+a.v)
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("%s %q: got %s, want %s", c.op, c.name, got, c.want)
		}
	}
}

// TestQueryHash: the hash ignores spacing and comments, and tells
// operations apart.
func TestQueryHash(t *testing.T) {
	hash := func(q string) string {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		return queryHash(doc)
	}
	a := hash("query Items { item { id } }")
	if b := hash("# list\nquery   Items {\n  item {\n    id\n  }\n}\n"); a != b {
		t.Errorf("spacing changes the hash: %s, %s", a, b)
	}
	if c := hash("query Items { item { id owner } }"); a == c {
		t.Error("another selection has the same hash")
	}
	if len(a) != 40 {
		t.Errorf("hash %q", a)
	}
}

// TestParseTagFormat reads Hasura's formats in any case.
func TestParseTagFormat(t *testing.T) {
	for in, want := range map[string]TagFormat{"": TagsStandard, "Standard": TagsStandard, "SQLCOMMENTER": TagsSQLCommenter} {
		if got, err := ParseTagFormat(in); err != nil || got != want {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	if _, err := ParseTagFormat("standard_prepended"); err == nil {
		t.Error("standard_prepended accepted")
	}
}
