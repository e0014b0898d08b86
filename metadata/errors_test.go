package metadata

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// articles is the start of a file whose permissions are on public.articles
// (lines 1-11); cases append their permission from line 12.
const articles = `- table: {schema: public, name: authors}
- table: {schema: public, name: comments}
- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: author_id}
  array_relationships:
    - name: comments
      using:
        foreign_key_constraint_on: {table: comments, column: article_id}
  select_permissions:
`

// authors is the same for public.authors (lines 1-3; permissions from 4).
const authors = `- table: {schema: public, name: orgs}
- table: {schema: public, name: authors}
  select_permissions:
`

// selectFilter is a select permission for role user whose filter, on line
// 15, starts at column 17.
func selectFilter(filter string) string {
	return articles + `    - role: user
      permission:
        columns: [id]
        filter: ` + filter + "\n"
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []string // name, content, ...; the first is loaded
		want  []string
	}{
		// unknown table
		{"unknown table", []string{"t.yaml", "- table: {schema: public, name: nope}\n"},
			[]string{`t.yaml:1:10: table public.nope does not exist in the database`}},
		{"unknown table by bare name", []string{"t.yaml", "- table: nope\n"},
			[]string{`t.yaml:1:10: table public.nope does not exist in the database`}},
		{"untracked remote table", []string{"t.yaml", `- table: {schema: public, name: articles}
  object_relationships:
    - name: thing
      using:
        manual_configuration:
          remote_table: untracked
          column_mapping: {id: id}
`}, []string{`t.yaml:6:25: object relationship "thing": table public.untracked is not tracked: add a table entry for it`}},
		{"_exists on an unknown table", []string{"t.yaml", selectFilter(`{_exists: {_table: {schema: public, name: nope}, _where: {}}}`)},
			[]string{`t.yaml:15:36: select permission for role "user": table public.nope does not exist in the database`}},
		{"_exists on an untracked table", []string{"t.yaml", selectFilter(`{_exists: {_table: untracked, _where: {id: {_eq: 1}}}}`)},
			[]string{`t.yaml:15:36: select permission for role "user": table public.untracked is not tracked: add a table entry for it`}},

		// unknown column
		{"unknown column in columns", []string{"t.yaml", articles + `    - role: user
      permission:
        columns: [id, bdy]
        filter: {}
`}, []string{`t.yaml:14:23: select permission for role "user": column "bdy" is not in public.articles`}},
		{"unknown column in a filter", []string{"t.yaml", selectFilter(`{titl: {_eq: x}}`)},
			[]string{`t.yaml:15:18: select permission for role "user": column "titl" is not in public.articles`}},
		{"unknown column with a bare value", []string{"t.yaml", selectFilter(`{titl: x}`)},
			[]string{`t.yaml:15:18: select permission for role "user": column "titl" is not in public.articles`}},
		{"unknown column behind a relationship", []string{"t.yaml", selectFilter(`{author: {nme: {_eq: x}}}`)},
			[]string{`t.yaml:15:27: select permission for role "user": column "nme" is not in public.authors`}},
		{"unknown column in set", []string{"t.yaml", `- table: {schema: public, name: articles}
  insert_permissions:
    - role: user
      permission:
        check: {}
        set: {author_id: X-Hasura-User-Id, autor_id: 1}
`}, []string{`t.yaml:6:44: insert permission for role "user": column "autor_id" in set is not in public.articles`}},
		{"unknown columns in column_mapping", []string{"t.yaml", `- table: {schema: public, name: authors}
- table: {schema: public, name: articles}
  object_relationships:
    - name: owner
      using:
        manual_configuration:
          remote_table: {schema: public, name: authors}
          column_mapping: {ownr_id: id, owner_id: idd}
`}, []string{
			`t.yaml:8:28: object relationship "owner": column "ownr_id" is not in public.articles`,
			`t.yaml:8:51: object relationship "owner": column "idd" is not in public.authors`,
		}},
		{"unknown column in column_config", []string{"t.yaml", `- table: {schema: public, name: articles}
  configuration:
    column_config:
      titel: {custom_name: Title}
`}, []string{`t.yaml:4:7: table public.articles configuration: column "titel" is not in public.articles`}},
		{"unknown column in foreign_key_constraint_on", []string{"t.yaml", `- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: autor_id}
`}, []string{`t.yaml:4:42: object relationship "author": column "autor_id" is not in public.articles`}},

		// unknown relationship
		{"unknown relationship in a filter", []string{"t.yaml", selectFilter(`{auther: {name: {_eq: x}}}`)},
			[]string{`t.yaml:15:18: select permission for role "user": relationship "auther" is not defined on public.articles`}},
		{"unknown field", []string{"t.yaml", selectFilter(`{nothing: {}}`)},
			[]string{`t.yaml:15:18: select permission for role "user": "nothing" is neither a column nor a relationship of public.articles`}},

		// unknown operator
		{"unknown operator", []string{"t.yaml", selectFilter(`{id: {_eqq: 1}}`)},
			[]string{`t.yaml:15:23: select permission for role "user": unknown operator "_eqq" for column "id" (integer)`}},
		{"jsonb operator on an integer", []string{"t.yaml", selectFilter(`{id: {_has_key: a}}`)},
			[]string{`t.yaml:15:23: select permission for role "user": operator "_has_key" does not apply to column "id" (integer): it needs jsonb`}},
		{"string operator on an integer", []string{"t.yaml", selectFilter(`{id: {$like: "1%"}}`)},
			[]string{`t.yaml:15:23: select permission for role "user": operator "$like" does not apply to column "id" (integer): it needs a string type (text, varchar, char, citext)`}},
		{"_contains on text", []string{"t.yaml", selectFilter(`{title: {_contains: a}}`)},
			[]string{`t.yaml:15:26: select permission for role "user": operator "_contains" does not apply to column "title" (text): it needs jsonb or an array`}},
		{"ltree operator on text", []string{"t.yaml", selectFilter(`{title: {_ancestor: a.b}}`)},
			[]string{`t.yaml:15:26: select permission for role "user": operator "_ancestor" does not apply to column "title" (text): it needs ltree`}},
		{"operator without a column", []string{"t.yaml", selectFilter(`{_eq: 1}`)},
			[]string{`t.yaml:15:18: select permission for role "user": operator "_eq" must be inside a column: {column: {_eq: value}}`}},
		{"json column", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {data: {_is_null: false}}}
`}, []string{`t.yaml:5:44: select permission for role "user": column "data" is of type json, which filters cannot use (jsonb can)`}},
		{"cast to something else", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {profile: {_cast: {Int: {_eq: 1}}}}}
`}, []string{`t.yaml:5:62: select permission for role "user": _cast: column "profile" of type jsonb can only be cast to String, not "Int"`}},

		// wrong value type
		{"string for an integer", []string{"t.yaml", selectFilter(`{id: {_eq: abc}}`)},
			[]string{`t.yaml:15:28: select permission for role "user": _eq on column "id" (integer) must be a 32-bit integer, not the string "abc"`}},
		{"bare string for an integer", []string{"t.yaml", selectFilter(`{id: "abc"}`)},
			[]string{`t.yaml:15:22: select permission for role "user": _eq on column "id" (integer) must be a 32-bit integer, not the string "abc"`}},
		{"integer out of range", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {rating: {_gt: 40000}}}
`}, []string{`t.yaml:5:58: select permission for role "user": _gt on column "rating" (smallint) must be an integer from -32768 to 32767, not the number 40000`}},
		{"number for a string", []string{"t.yaml", selectFilter(`{title: {_like: 5}}`)},
			[]string{`t.yaml:15:33: select permission for role "user": _like on column "title" (text) must be a string, not the number 5`}},
		{"non-bool for _is_null", []string{"t.yaml", selectFilter(`{title: {_is_null: "yes"}}`)},
			[]string{`t.yaml:15:36: select permission for role "user": _is_null must be true or false, not the string "yes"`}},
		{"non-list for _in", []string{"t.yaml", selectFilter(`{id: {_in: 5}}`)},
			[]string{`t.yaml:15:28: select permission for role "user": _in on column "id" (integer) must be a list or a session variable, not the number 5`}},
		{"bad item of _nin", []string{"t.yaml", selectFilter(`{id: {_nin: [1, x]}}`)},
			[]string{`t.yaml:15:33: select permission for role "user": an item of _nin on column "id" (integer) must be a 32-bit integer, not the string "x"`}},
		{"not an enum label", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {mood: {_eq: angry}}}
`}, []string{`t.yaml:5:56: select permission for role "user": _eq on column "mood" (public.mood) must be one of the labels of enum public.mood ("happy", "sad"), not the string "angry"`}},
		{"null value", []string{"t.yaml", selectFilter(`{title: {_eq: null}}`)},
			[]string{`t.yaml:15:31: select permission for role "user": _eq on column "title" (text) cannot be null; use _is_null`}},
		{"bad uuid and bool", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {uid: {_eq: 12}, active: {_eq: "t"}}}
`}, []string{
			`t.yaml:5:55: select permission for role "user": _eq on column "uid" (uuid) must be a UUID string, not the number 12`,
			`t.yaml:5:74: select permission for role "user": _eq on column "active" (boolean) must be true or false, not the string "t"`,
		}},
		{"bad preset value", []string{"t.yaml", `- table: {schema: public, name: articles}
  update_permissions:
    - role: user
      permission:
        columns: [title]
        filter: {}
        set: {is_published: "no"}
`}, []string{`t.yaml:7:29: update permission for role "user": set value for column "is_published" (boolean) must be true or false, not the string "no"`}},
		{"bad array item", []string{"t.yaml", authors + `    - role: user
      permission: {columns: [id], filter: {tags: {_contains: [a, 1]}}}
`}, []string{`t.yaml:5:62: select permission for role "user": _contains on column "tags" (text[]) must be a list whose items are each a string, not a list`}},

		// malformed session variable
		{"session variable without a name", []string{"t.yaml", selectFilter(`{author_id: {_eq: x-hasura-}}`)},
			[]string{`t.yaml:15:35: select permission for role "user": session variable "x-hasura-" is malformed: "x-hasura-" must be followed by letters, digits, "-" or "_"`}},
		{"session variable with a space", []string{"t.yaml", selectFilter(`{author_id: "X-Hasura-User Id"}`)},
			[]string{`t.yaml:15:29: select permission for role "user": session variable "X-Hasura-User Id" is malformed: "x-hasura-" must be followed by letters, digits, "-" or "_"`}},
		{"session variable with bad characters", []string{"t.yaml", `- table: {schema: public, name: articles}
  insert_permissions:
    - role: user
      permission: {check: {}, set: {author_id: "x-hasura-user.id!"}}
`}, []string{`t.yaml:4:48: insert permission for role "user": session variable "x-hasura-user.id!" is malformed: "x-hasura-" must be followed by letters, digits, "-" or "_"`}},
		{"session variable inside a list", []string{"t.yaml", selectFilter(`{id: {_in: [1, X-Hasura-User-Id]}}`)},
			[]string{`t.yaml:15:32: select permission for role "user": _in on column "id" (integer): a session variable cannot be an item of a list; use one session variable for the whole list (a Postgres array literal such as "{1,2}")`}},

		// duplicates
		{"duplicate role", []string{"t.yaml", articles + `    - role: user
      permission: {columns: [id], filter: {}}
    - role: user
      permission: {columns: [title], filter: {}}
`}, []string{`t.yaml:14:13: select permission for role "user": role "user" already has a select permission on public.articles (at t.yaml:12:13)`}},
		{"duplicate table", []string{"t.yaml", "- table: {schema: public, name: orgs}\n- table: orgs\n"},
			[]string{`t.yaml:2:10: table public.orgs is listed twice (first at t.yaml:1:10)`}},
		{"duplicate table across files", []string{"t.yaml", "- table: orgs\n- \"!include more.yaml\"\n", "more.yaml", "table: {name: orgs}\n"},
			[]string{`more.yaml:1:8: table public.orgs is listed twice (first at t.yaml:1:10)`}},

		// relationships and foreign keys
		{"no foreign key on the columns (unknown constraint)", []string{"t.yaml", `- table: {schema: public, name: articles}
  object_relationships:
    - name: titled
      using: {foreign_key_constraint_on: title}
`}, []string{`t.yaml:4:42: object relationship "titled": public.articles has no foreign key constraint on (title)`}},
		{"no foreign key on a column list", []string{"t.yaml", `- table: {schema: public, name: authors}
- table: {schema: public, name: articles}
  object_relationships:
    - name: both
      using: {foreign_key_constraint_on: [author_id, editor_id]}
`}, []string{`t.yaml:5:42: object relationship "both": public.articles has no foreign key constraint on (author_id, editor_id)`}},
		{"no reverse foreign key", []string{"t.yaml", `- table: {schema: public, name: comments}
- table: {schema: public, name: authors}
  array_relationships:
    - name: comments
      using:
        foreign_key_constraint_on: {table: comments, column: article_id}
`}, []string{`t.yaml:6:36: array relationship "comments": public.comments has no foreign key constraint on (article_id) that references public.authors`}},
		{"array relationship on this table's key", []string{"t.yaml", `- table: {schema: public, name: authors}
- table: {schema: public, name: articles}
  array_relationships:
    - name: authors
      using: {foreign_key_constraint_on: author_id}
`}, []string{`t.yaml:5:42: array relationship "authors": an array relationship's foreign_key_constraint_on names the remote table: {table: ..., column: ...}`}},
		{"relationship named like a column", []string{"t.yaml", `- table: {schema: public, name: authors}
- table: {schema: public, name: articles}
  object_relationships:
    - name: title
      using: {foreign_key_constraint_on: author_id}
`}, []string{`t.yaml:4:13: object relationship "title": the name is already used by column "title" of public.articles`}},
		{"relationship named twice", []string{"t.yaml", `- table: {schema: public, name: authors}
- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: author_id}
  array_relationships:
    - name: author
      using:
        manual_configuration: {remote_table: authors, column_mapping: {author_id: id}}
`}, []string{`t.yaml:7:13: array relationship "author": the name is already used by the object relationship at t.yaml:4:13`}},

		// column comparisons
		{"_ceq on an unknown column", []string{"t.yaml", selectFilter(`{author_id: {_ceq: editr_id}}`)},
			[]string{`t.yaml:15:36: select permission for role "user": column "editr_id" compared by _ceq is not in public.articles`}},
		{"_cgt on an unknown root column", []string{"t.yaml", selectFilter(`{author: {id: {_cgt: ["$", nope]}}}`)},
			[]string{`t.yaml:15:44: select permission for role "user": column "nope" compared by _cgt is not in public.articles`}},
		{"_ceq across types", []string{"t.yaml", selectFilter(`{title: {_ceq: id}}`)},
			[]string{`t.yaml:15:32: select permission for role "user": _ceq compares column "title" (text) with column "id" (integer): the types differ`}},

		// YAML and types
		{"YAML syntax", []string{"t.yaml", "- table: {schema: public, name: orgs\n"},
			[]string{`t.yaml:1:10: YAML: could not find flow mapping end token '}'`}},
		{"YAML duplicate key", []string{"t.yaml", "- table: orgs\n  table: authors\n"},
			[]string{`t.yaml:2:3: YAML: mapping key "table" already defined at [1:3]`}},
		{"limit is not a number", []string{"t.yaml", articles + `    - role: user
      permission: {columns: [id], filter: {}, limit: "ten"}
`}, []string{`t.yaml:13:54: select permission for role "user": limit must be a non-negative 32-bit integer, not the string "ten"`}},
		{"columns is a number", []string{"t.yaml", articles + `    - role: user
      permission: {columns: 5, filter: {}}
`}, []string{`t.yaml:13:29: select permission for role "user": columns must be "*" or a list of column names, not the number 5`}},
		{"allow_aggregations is a string", []string{"t.yaml", articles + `    - role: user
      permission: {columns: [id], filter: {}, allow_aggregations: "yes"}
`}, []string{`t.yaml:13:67: select permission for role "user": allow_aggregations must be true or false, not the string "yes"`}},
		{"filter is a list", []string{"t.yaml", selectFilter(`[]`)},
			[]string{`t.yaml:15:17: select permission for role "user": filter must be a mapping, not a list`}},
		{"the file is a mapping", []string{"t.yaml", "objects: []\n"},
			[]string{`t.yaml:1:1: the permissions file must be a list, not a mapping`}},
		{"missing keys", []string{"t.yaml", articles + `    - role: user
      permission: {limit: 1}
`}, []string{
			`t.yaml:13:19: select permission for role "user": columns is required`,
			`t.yaml:13:19: select permission for role "user": filter is required`,
		}},
		{"unknown keys", []string{"t.yaml", `- table: {schema: public, name: articles}
  selct_permissions: []
  select_permissions:
    - role: user
      permission: {columns: [id], filter: {}, limt: 10}
`}, []string{
			`t.yaml:2:3: table public.articles: unknown key "selct_permissions"`,
			`t.yaml:5:47: select permission for role "user": unknown key "limt" in a select permission`,
		}},
		{"admin role", []string{"t.yaml", articles + `    - role: admin
      permission: {columns: [id], filter: {}}
`}, []string{`t.yaml:12:13: select permission for role "admin": the admin role always has every permission; it cannot be given one`}},
		{"bad GraphQL names", []string{"t.yaml", `- table: {schema: public, name: articles}
  configuration:
    custom_name: my-articles
    custom_root_fields: {select: "all articles"}
`}, []string{
			`t.yaml:3:18: table public.articles configuration: custom_name "my-articles" is not a valid GraphQL name`,
			`t.yaml:4:34: table public.articles configuration: custom_root_fields.select "all articles" is not a valid GraphQL name`,
		}},
		{"not an enum table", []string{"t.yaml", "- table: orgs\n  is_enum: true\n"},
			[]string{`t.yaml:1:10: table public.orgs cannot be an enum table (is_enum): it needs a single-column text primary key and at most one other column, of type text`}},

		// includes
		{"missing include", []string{"t.yaml", "- !include nope.yaml\n"},
			[]string{`t.yaml:1:3: cannot read nope.yaml: file not found`}},
		{"include cycle", []string{"t.yaml", "- \"!include a.yaml\"\n", "a.yaml", "- \"!include t.yaml\"\n"},
			[]string{`a.yaml:1:3: !include t.yaml: the file includes itself`}},
		{"syntax error in an included file", []string{"t.yaml", "- \"!include a.yaml\"\n- table: orgs\n", "a.yaml", "table: [\n"},
			[]string{`a.yaml:1:8: YAML: sequence end token ']' not found`}},
		{"unknown alias", []string{"t.yaml", "- table: *nope\n"},
			[]string{`t.yaml:1:10: alias *nope refers to no anchor`}},
		{"entry without table", []string{"t.yaml", "- name: orgs\n"},
			[]string{`t.yaml:1:3: the table entry has no table key`}},
		{"unknown tag", []string{"t.yaml", "- table: !secret orgs\n"},
			[]string{`t.yaml:1:10: unsupported YAML tag !secret`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := loadString(t, tt.files...)
			if err == nil {
				t.Fatalf("no error; want\n%s", strings.Join(tt.want, "\n"))
			}
			if m != nil {
				t.Errorf("Load returned metadata with its error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsOnePass checks that problems of every kind, in several
// tables and files, are all reported at once, sorted by position.
func TestErrorsOnePass(t *testing.T) {
	_, err := loadString(t, "t.yaml", `- table: {schema: public, name: nope}
- table: {schema: public, name: articles}
  object_relationships:
    - name: author
      using: {foreign_key_constraint_on: title}
  select_permissions:
    - role: user
      permission:
        columns: [id, bdy]
        filter: {id: {_eqq: 1}, author: {name: {_eq: x}}, title: {_like: 5}}
        limit: ten
  delete_permissions:
    - role: user
      permission: {filter: {author_id: {_eq: x-hasura-}}}
    - role: user
      permission: {filter: {}}
- "!include more.yaml"
`, "more.yaml", `table: authors
select_permissions:
  - role: editor
    permission: {columns: '*', filter: {org: {name: {_eq: x}}}}
`)
	want := `more.yaml:4:41: select permission for role "editor": relationship "org" is not defined on public.authors
t.yaml:1:10: table public.nope does not exist in the database
t.yaml:5:42: object relationship "author": public.articles has no foreign key constraint on (title)
t.yaml:9:23: select permission for role "user": column "bdy" is not in public.articles
t.yaml:10:23: select permission for role "user": unknown operator "_eqq" for column "id" (integer)
t.yaml:10:74: select permission for role "user": _like on column "title" (text) must be a string, not the number 5
t.yaml:11:16: select permission for role "user": limit must be a non-negative 32-bit integer, not the string "ten"
t.yaml:14:46: delete permission for role "user": session variable "x-hasura-" is malformed: "x-hasura-" must be followed by letters, digits, "-" or "_"
t.yaml:15:13: delete permission for role "user": role "user" already has a delete permission on public.articles (at t.yaml:13:13)`
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos != (Pos{File: "more.yaml", Line: 4, Col: 41}) {
		t.Errorf("errors.As(*Error) = %v, want the first error", e)
	}
}
