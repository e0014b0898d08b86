package runtime_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The ltree operators of ltree_comparison_exp, on a real ltree column:
// each where is checked against the ids derived by hand from the
// extension's documented semantics, and against Postgres running the same
// operator directly. Values travel as variables (bind parameters) and as
// literals.
func TestLTreeOperators(t *testing.T) {
	e := newFixtureEngine(t, "testdata/fixtures/ltree/schema.sql", "testdata/fixtures/ltree/hasgen.yaml", false)
	cases := []struct {
		name  string
		where string // the categories_bool_exp
		vars  map[string]any
		sql   string // the same condition in SQL, over path
		want  []float64
	}{
		{"ancestor", `{path: {_ancestor: "Top.Science.Astronomy"}}`, nil,
			`path @> 'Top.Science.Astronomy'`, []float64{1, 2, 3}},
		{"ancestor_any", `{path: {_ancestor_any: ["Top.Hobbies", "Other.Science"]}}`, nil,
			`path @> '{Top.Hobbies,Other.Science}'::ltree[]`, []float64{1, 4, 7}},
		{"descendant", `{path: {_descendant: "Top.Science"}}`, nil,
			`path <@ 'Top.Science'`, []float64{2, 3}},
		{"descendant_any", `{path: {_descendant_any: ["Top.Hobbies", "Other"]}}`, nil,
			`path <@ '{Top.Hobbies,Other}'::ltree[]`, []float64{4, 5, 7}},
		{"matches", `{path: {_matches: "*.Astronomy.*"}}`, nil,
			`path ~ '*.Astronomy.*'`, []float64{3, 6}},
		{"matches_any", `{path: {_matches_any: ["Top.Science", "*.Stars"]}}`, nil,
			`path ? '{Top.Science,*.Stars}'::lquery[]`, []float64{2, 6}},
		{"matches_fulltext", `{path: {_matches_fulltext: "(Astronomy* | Amateurs*) & !Pictures"}}`, nil,
			`path @ '(Astronomy* | Amateurs*) & !Pictures'`, []float64{3, 5}},
		{"variables", `$w`, map[string]any{"w": map[string]any{"path": map[string]any{"_descendant": "Top", "_matches": "*.Science|Hobbies"}}},
			`path <@ 'Top' AND path ~ '*.Science|Hobbies'`, []float64{2, 4}},
		{"generic operators stay", `{path: {_gt: "Top.Hobbies", _lt: "Top.Science"}}`, nil,
			`path > 'Top.Hobbies' AND path < 'Top.Science'`, []float64{5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := `query($w: categories_bool_exp) { categories(where: ` + c.where + `, order_by: {id: asc}) { id } }`
			if c.vars == nil {
				q = `{ categories(where: ` + c.where + `, order_by: {id: asc}) { id } }`
			}
			var vars any
			if c.vars != nil {
				vars = c.vars
			}
			got := ids(e.data(t, "admin", nil, q, vars)["categories"])
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			ref := e.sqlJSON(t, `SELECT coalesce(json_agg(id ORDER BY id), '[]') FROM categories WHERE `+c.sql)
			if d := cmp.Diff(ref, any(toAny(got))); d != "" {
				t.Errorf("Postgres disagrees (-sql +got):\n%s", d)
			}
		})
	}
	// The role's filter still applies: id 7 (Other.Science) is not the
	// reader's, whatever the operator matches.
	got := ids(e.data(t, "reader", nil, `{ categories(where: {path: {_matches: "*.Science"}}, order_by: {id: asc}) { id } }`, nil)["categories"])
	if d := cmp.Diff([]float64{2}, got); d != "" {
		t.Errorf("reader (-want +got):\n%s", d)
	}
	// A malformed lquery is a Postgres data error, answered Hasura's way,
	// not a crash.
	r := e.run(t, "admin", nil, `{ categories(where: {path: {_matches: "Top.{"}}) { id } }`, nil)
	if len(r.Errors) != 1 || r.Data != nil {
		t.Errorf("malformed lquery: %s", r.raw)
	}
	// _ancestor and the others exist on ltree columns only.
	if err := e.fail(t, "admin", nil, `{ categories(where: {name: {_ancestor: "Top"}}) { id } }`, nil); err.Extensions.Code != "validation-failed" {
		t.Errorf("_ancestor on text: %+v", err)
	}
}

// ltree operators in a permission filter, with a session variable: the
// science role sees the subtree at its root and the stars, and nothing
// else.
func TestLTreePermission(t *testing.T) {
	e := newFixtureEngine(t, "testdata/fixtures/ltree/schema.sql", "testdata/fixtures/ltree/hasgen.yaml", false)
	for _, c := range []struct {
		root string
		want []float64
	}{
		{"Top.Science", []float64{2, 3, 6}},
		{"Top", []float64{1, 2, 3, 6}}, // 4 and 5 are Hobbies
		{"Other", []float64{6, 7}},
	} {
		got := ids(e.data(t, "science", map[string]string{"x-hasura-root": c.root}, `{ categories(order_by: {id: asc}) { id } }`, nil)["categories"])
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("root %s (-want +got):\n%s", c.root, d)
		}
	}
}

// The reader's schema types the operators as Hasura does.
func TestLTreeSchema(t *testing.T) {
	e := newFixtureEngine(t, "testdata/fixtures/ltree/schema.sql", "testdata/fixtures/ltree/hasgen.yaml", false)
	// Over HTTP: introspection is the generated server's.
	body := e.overHTTP(t, "reader", nil, []byte(`{"query":"{ __type(name: \"ltree_comparison_exp\") { inputFields { name type { name ofType { name ofType { name } } } } } }"}`))
	var resp response
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Data == nil {
		t.Fatalf("introspection: %v %s", err, body)
	}
	got := resp.Data
	types := map[string]string{}
	for _, f := range got["__type"].(map[string]any)["inputFields"].([]any) {
		f := f.(map[string]any)
		typ := f["type"].(map[string]any)
		name, _ := typ["name"].(string)
		if name == "" { // [X!]
			name = "[" + typ["ofType"].(map[string]any)["ofType"].(map[string]any)["name"].(string) + "!]"
		}
		types[f["name"].(string)] = name
	}
	want := map[string]string{
		"_ancestor": "ltree", "_ancestor_any": "[ltree!]", "_descendant": "ltree", "_descendant_any": "[ltree!]",
		"_matches": "lquery", "_matches_any": "[String!]", "_matches_fulltext": "ltxtquery",
		"_eq": "ltree", "_gt": "ltree", "_gte": "ltree", "_in": "[ltree!]", "_is_null": "Boolean",
		"_lt": "ltree", "_lte": "ltree", "_neq": "ltree", "_nin": "[ltree!]",
	}
	if d := cmp.Diff(want, types); d != "" {
		t.Errorf("ltree_comparison_exp (-want +got):\n%s", d)
	}
}

// ids are the "id" fields of a list of rows.
func ids(rows any) []float64 {
	var out []float64
	for _, r := range rows.([]any) {
		out = append(out, r.(map[string]any)["id"].(float64))
	}
	return out
}

func toAny(fs []float64) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	if len(out) == 0 {
		return []any{}
	}
	return out
}
