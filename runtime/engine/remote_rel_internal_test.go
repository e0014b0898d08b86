package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestPathAt: the response path of a value found at an offset of a
// response, through objects and arrays, strings holding delimiters
// included.
func TestPathAt(t *testing.T) {
	body := `{"data":{"a":[{"x":"}{][","m":{"k":1}},{"x":2,"m":{"k":2}}],"b":{"c":[[{"k":3}]]}}}`
	cases := []struct {
		at   string // the text the value starts with (its first occurrence)
		want string
	}{
		{`{"k":1}`, `[a 0 m]`},
		{`{"k":2}`, `[a 1 m]`},
		{`{"k":3}`, `[b c 0 0]`},
		{`{"c"`, `[b]`},
		{`"}{][`, `[]`}, // not an object: not found
	}
	for _, c := range cases {
		off := strings.Index(body, c.at)
		if got := fmt.Sprint(pathAt([]byte(body), off)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.at, got, c.want)
		}
	}
}

// TestRelErrors: Hasura's error; admin also gets the remote's errors,
// their paths moved under the rows and past the relationship's path.
func TestRelErrors(t *testing.T) {
	raw := []json.RawMessage{
		json.RawMessage(`{"message":"a","path":["r1","owner","x"],"extensions":{"code":"E"}}`),
		json.RawMessage(`{"message":"b"}`),
	}
	first := func(k int) []any { return []any{"orgs", k, "boss"} }
	cases := []struct {
		admin bool
		want  string
	}{
		{false, `{"message":"Errors from remote server","extensions":{"path":"$","code":"unexpected"}}`},
		{true, `{"message":"Errors from remote server","extensions":{"path":"$","code":"unexpected","internal":{"errors":[` +
			`{"extensions":{"code":"E"},"message":"a","path":["orgs",1,"boss","x"]},{"message":"b"}]}}}`},
	}
	for _, c := range cases {
		err := relErrors(raw, first, 2, c.admin)
		got := string(wire.AppendErrors(nil, err))
		if want := `{"errors":[` + c.want + `]}`; got != want {
			t.Errorf("admin %v:\ngot  %s\nwant %s", c.admin, got, want)
		}
	}
}

// TestPrintValue: arguments print as GraphQL, variables renamed.
func TestPrintValue(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `{f(a: {b: [$hasgen_0, "x\"y", 1.5, ENUM, null], c: $hasgen_1})}`})
	if err != nil {
		t.Fatal(err)
	}
	v := doc.Operations[0].SelectionSet[0].(*ast.Field).Arguments[0].Value
	got := printValue(v, func(s string) string { return strings.Replace(s, "hasgen_", "hasgen_7_", 1) })
	if want := `{b: [$hasgen_7_0, "x\"y", 1.5, ENUM, null], c: $hasgen_7_1}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
