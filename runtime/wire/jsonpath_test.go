package wire_test

import (
	"reflect"
	"testing"

	"github.com/hasgen/hasgen/runtime/wire"
)

// TestParsePath: Hasura's JSON path grammar (Data.Parser.JSONPath), as
// JWT claims paths and the path argument of json columns use it: a
// bracketed key or index may follow a dot.
func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		want wire.Path // nil: refused
	}{
		{`$`, wire.Path{}},
		{`objs[0].["你好"]`, wire.Path{"objs", 0, "你好"}},
		{`$.objs[0].["你好"]`, wire.Path{"objs", 0, "你好"}},
		{`$.objs[0].['a.b']`, wire.Path{"objs", 0, "a.b"}},
		{`a.[0].b`, wire.Path{"a", 0, "b"}},
		{`$.hasura.claims`, wire.Path{"hasura", "claims"}},
		{`$["https://hasura.io/jwt/claims"]`, wire.Path{"https://hasura.io/jwt/claims"}},
		{`你好.x-y_z9`, wire.Path{"你好", "x-y_z9"}},
		{`a[0][12]`, wire.Path{"a", 0, 12}},
		{`["a\"b"]`, wire.Path{`a"b`}},
		{`a..b`, nil},
		{`a.`, nil},
		{`9a`, nil},
		{`-a`, nil},
		{`a[x]`, nil},
		{`a["b"`, nil},
		{`a b`, nil},
		{``, nil},
	}
	for _, c := range cases {
		got, err := wire.ParsePath(c.in)
		switch {
		case c.want == nil && err == nil:
			t.Errorf("%q: accepted as %#v, want an error", c.in, got)
		case c.want != nil && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.want != nil && !reflect.DeepEqual(got, c.want):
			t.Errorf("%q: %#v, want %#v", c.in, got, c.want)
		}
	}
}
