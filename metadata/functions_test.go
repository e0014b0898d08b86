package metadata

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// fnSource is a databases.yaml whose source tracks articles, authors and
// orgs; functions follow from line 9.
const fnSource = `- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: articles}
    - table: {schema: public, name: authors}
      select_permissions: []
    - table: {schema: public, name: orgs}
  functions:
`

func TestFunctions(t *testing.T) {
	fsys := fstest.MapFS{
		"databases.yaml": {Data: []byte(fnSource + `    - function: {schema: public, name: search_articles}
      comment: Find articles
    - function: publish
      configuration:
        session_argument: s
        custom_name: publishArticle
        custom_root_fields: {function: {name: pub, comment: Publishes}}
      permissions:
        - role: editor
    - "!include more.yaml"
`)},
		"more.yaml": {Data: []byte(`- function: {schema: public, name: one_org}
  configuration: {exposed_as: query}
`)},
	}
	m, err := LoadFS(fsys, "databases.yaml", blog())
	if err != nil {
		t.Fatal(err)
	}
	type fn struct {
		Name, CustomName, Session, Comment string
		Mutation                           bool
		Roles                              []string
		Root                               RootFieldName
	}
	var got []fn
	for _, f := range m.Functions {
		if f.Def == nil || f.Def.Name != f.Name {
			t.Errorf("%s: Def = %+v", f.Name, f.Def)
		}
		got = append(got, fn{f.Name, f.CustomName, f.SessionArgument, f.Comment, f.Mutation, f.Permissions, f.CustomRootFields.Function})
	}
	want := []fn{
		{Name: "one_org"},
		// VOLATILE without exposed_as: a mutation.
		{Name: "publish", CustomName: "publishArticle", Session: "s", Mutation: true, Roles: []string{"editor"}, Root: RootFieldName{Name: "pub", Comment: "Publishes"}},
		{Name: "search_articles", Comment: "Find articles"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("functions (-want +got):\n%s", d)
	}
}

func TestFunctionErrors(t *testing.T) {
	tests := []struct {
		name, functions string
		want            []string
	}{
		{"missing", "    - function: nope\n", []string{`databases.yaml:9:17: function public.nope does not exist in the database, or neither returns a table's rows nor takes a tracked table's row`}},
		{"overloaded", "    - function: twice\n", []string{`databases.yaml:9:17: function public.twice is overloaded: Hasura and hasgen track only functions with one definition`}},
		{"scalar", "    - function: author_flag\n", []string{`databases.yaml:9:17: function public.author_flag: the function returns boolean; a tracked function must return a table's rows (SETOF <table> or <table>)`}},
		{"untracked table", "    - function: untracked_rows\n", []string{`databases.yaml:9:17: function public.untracked_rows: table public.untracked is not tracked: add a table entry for it`}},
		{"stable as mutation", "    - function: search_articles\n      configuration: {exposed_as: mutation}\n",
			[]string{`databases.yaml:10:35: function public.search_articles: the function is stable: only a VOLATILE function can be exposed as a mutation`}},
		{"bad exposed_as", "    - function: search_articles\n      configuration: {exposed_as: both}\n",
			[]string{`databases.yaml:10:35: function public.search_articles: exposed_as must be query or mutation, not "both"`}},
		{"session argument not json", "    - function: search_articles\n      configuration: {session_argument: search}\n",
			[]string{`databases.yaml:9:17: function public.search_articles: session_argument "search" is of type text: it must be json`}},
		{"session argument missing", "    - function: search_articles\n      configuration: {session_argument: hasura_session}\n",
			[]string{`databases.yaml:9:17: function public.search_articles: session_argument "hasura_session" is not an argument of public.search_articles`}},
		{"variadic", "    - function: many_orgs\n", []string{`databases.yaml:9:17: function public.many_orgs: functions with VARIADIC arguments are not supported (nor by Hasura)`}},
		{"session argument json", "    - function: publish\n      configuration: {session_argument: s}\n    - function: one_org\n", nil},
		{"session argument jsonb", "    - function: jsonb_session\n      configuration: {session_argument: s}\n",
			[]string{`databases.yaml:9:17: function public.jsonb_session: session_argument "s" is of type jsonb: it must be json`}},
		{"listed twice", "    - function: search_articles\n    - function: {schema: public, name: search_articles}\n",
			[]string{`databases.yaml:10:17: function public.search_articles is listed twice (first at databases.yaml:9:17)`}},
		{"unknown keys", "    - function: search_articles\n      configuration: {cache: true}\n      permissions: [{role: admin}, {role: u, x: 1}]\n",
			[]string{
				`databases.yaml:10:23: function public.search_articles: unknown key "cache" in a function configuration`,
				`databases.yaml:11:21: function public.search_articles: admin may run every function: it takes no permission`,
				`databases.yaml:11:46: function public.search_articles: unknown key "x" in a function permission`,
			}},
		{"no function key", "    - configuration: {}\n", []string{`databases.yaml:9:7: the function entry has no function key`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFS(fstest.MapFS{"databases.yaml": {Data: []byte(fnSource + tc.functions)}}, "databases.yaml", blog())
			var got []string
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					got = append(got, e.Error())
				}
			} else if err != nil {
				got = []string{err.Error()}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestComputedFieldErrors(t *testing.T) {
	tests := []struct {
		name, definition string
		want             []string
	}{
		{"ok, table argument named", "{function: author_full_name, table_argument: author_row, session_argument: hasura_session}", nil},
		{"ok, table computed field", "{function: author_articles}", nil},
		{"missing function", "{function: nope}", []string{`t.yaml:4:7: table public.authors: computed field "cf": function public.nope does not exist in the database, or neither returns a table's rows nor takes a tracked table's row`}},
		{"row is not the first argument", "{function: author_flag}", []string{`t.yaml:4:7: table public.authors: computed field "cf": the table argument of public.author_flag is of type integer, not public.authors`}},
		{"unknown table argument", "{function: author_flag, table_argument: b}", []string{`t.yaml:4:7: table public.authors: computed field "cf": function public.author_flag has no table argument "b"`}},
		{"session argument not json", "{function: author_flag, table_argument: a, session_argument: x}", []string{`t.yaml:4:7: table public.authors: computed field "cf": session_argument "x" is of type integer: it must be json or jsonb`}},
		{"volatile", "{function: author_volatile}", []string{`t.yaml:4:7: table public.authors: computed field "cf": function public.author_volatile is VOLATILE: a computed field's function must be STABLE or IMMUTABLE`}},
		{"enum result", "{function: author_mood}", []string{`t.yaml:4:7: table public.authors: computed field "cf": function public.author_mood returns public.mood, not a base type: a computed field returns a base type (as Hasura) or SETOF a table`}},
		{"function of another table", "{function: search_articles}", []string{`t.yaml:4:7: table public.authors: computed field "cf": the table argument of public.search_articles is of type text, not public.authors`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "- table: {schema: public, name: articles}\n- table: {schema: public, name: authors}\n  computed_fields:\n    - name: cf\n      definition: " + tc.definition + "\n"
			_, err := loadString(t, "t.yaml", src)
			var got []string
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					got = append(got, e.Error())
				}
			} else if err != nil {
				got = []string{err.Error()}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

// TestFunctionSchemas: the schemas of tracked functions and of computed
// fields' functions are introspected too.
func TestFunctionSchemas(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"databases/databases.yaml": `- name: default
  tables:
    - table: {schema: shop, name: orders}
      computed_fields:
        - {name: total, definition: {function: {schema: calc, name: order_total}}}
    - table: orgs
  functions: "!include default/functions.yaml"
`,
		"databases/default/functions.yaml": "- function: {schema: fns, name: search}\n- {schema: old, name: v1_style}\n",
	})
	if got, want := Schemas(dir), []string{"calc", "fns", "old", "public", "shop"}; !cmp.Equal(got, want) {
		t.Errorf("Schemas = %q, want %q", got, want)
	}
}

// TestFunctionPermissionsInherited: an inherited role may call the
// functions one of its parents may, through inherited parents too.
func TestFunctionPermissionsInherited(t *testing.T) {
	fsys := fstest.MapFS{
		"metadata/databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: orgs
      select_permissions:
        - {role: a, permission: {columns: [id], filter: {}}}
        - {role: b, permission: {columns: [id], filter: {}}}
  functions:
    - function: one_org
      permissions: [{role: a}]
`)},
		"metadata/inherited_roles.yaml": {Data: []byte(`- {role_name: ab, role_set: [a, b]}
- {role_name: b2, role_set: [b]}
- {role_name: top, role_set: [b2, ab]}
`)},
	}
	m, err := LoadFS(fsys, "metadata", blog())
	if err != nil {
		t.Fatal(err)
	}
	f := m.Functions[0]
	for role, want := range map[string]bool{"a": true, "b": false, "ab": true, "b2": false, "top": true} {
		if got := f.Permitted(role); got != want {
			t.Errorf("Permitted(%q) = %v, want %v", role, got, want)
		}
	}
}
