package runtime_test

// Mutations against the generated server over HTTP (each runs once: the
// in-process engine is used only where statements are counted), checked
// against the database with plain SQL.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

const (
	mutSQL    = "testdata/fixtures/mutations/schema.sql"
	mutConfig = "testdata/fixtures/mutations/hasgen.yaml"
)

var (
	user1 = map[string]string{"x-hasura-user-id": "1"}
	user2 = map[string]string{"x-hasura-user-id": "2"}
)

func newMutationEngine(t *testing.T) *testEngine {
	t.Helper()
	return newFixtureEngine(t, mutSQL, mutConfig, false)
}

// mutation runs a mutation and decodes the response.
func (e *testEngine) mutation(t *testing.T, role string, vars map[string]string, query string, variables any) response {
	t.Helper()
	raw := e.mutateHTTP(t, role, vars, query, variables)
	var r response
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	r.raw = raw
	return r
}

// ok runs a mutation that must succeed and returns its raw response.
func (e *testEngine) ok(t *testing.T, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	r := e.mutation(t, role, vars, query, variables)
	if len(r.Errors) > 0 {
		t.Fatalf("mutation failed: %s\n%s", r.raw, query)
	}
	return r.raw
}

// mustFail runs a mutation that must fail with code, and returns the error.
func (e *testEngine) mustFail(t *testing.T, role string, vars map[string]string, code, query string, variables any) gqlError {
	t.Helper()
	r := e.mutation(t, role, vars, query, variables)
	if len(r.Errors) != 1 || r.Data != nil {
		t.Fatalf("want one error, got %s\n%s", r.raw, query)
	}
	if r.Errors[0].Extensions.Code != code {
		t.Fatalf("code %q, want %q: %s", r.Errors[0].Extensions.Code, code, r.raw)
	}
	return r.Errors[0]
}

// scalar runs SQL returning one value as JSON text.
func (e *testEngine) scalar(t *testing.T, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := e.pool.QueryRow(context.Background(), "SELECT coalesce(("+sql+")::text, 'NULL')", args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestInsert(t *testing.T) {
	e := newMutationEngine(t)
	got := e.ok(t, "user", user1, `mutation { insert_authors(objects: [{name: "Cy", rating: 3, tags: ["a", "b"]}, {name: "Dee"}]) {
		affected_rows returning { name owner_id rating tags bio } } }`, nil)
	want := `{"data":{"insert_authors":{"affected_rows":2,"returning":[{"name":"Cy","owner_id":1,"rating":3,"tags":["a","b"],"bio":{}}, {"name":"Dee","owner_id":1,"rating":null,"tags":[],"bio":{}}]}}}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// Defaults of columns a row leaves out, from the catalog: serial ids,
	// now(), '{}'.
	if n := e.scalar(t, "SELECT count(*) FROM authors WHERE name IN ('Cy','Dee') AND id > 2 AND created_at > now() - interval '1 minute'"); n != "2" {
		t.Errorf("defaults not applied: %s rows", n)
	}

	t.Run("insert_one with variables", func(t *testing.T) {
		got := e.ok(t, "user", user1, `mutation($o: authors_insert_input!) { insert_authors_one(object: $o) { name rating } }`,
			map[string]any{"o": map[string]any{"name": "Eve", "rating": 10}})
		if got != `{"data":{"insert_authors_one":{"name":"Eve","rating":10}}}` {
			t.Errorf("got %s", got)
		}
	})
	t.Run("a literal with variables inside", func(t *testing.T) {
		got := e.ok(t, "user", user1, `mutation($n: String!, $r: Int) { insert_authors(objects: [{name: $n, rating: $r}, {name: "Fay"}]) { returning { name rating } } }`,
			map[string]any{"n": "Gus", "r": 4})
		if got != `{"data":{"insert_authors":{"returning":[{"name":"Gus","rating":4}, {"name":"Fay","rating":null}]}}}` {
			t.Errorf("got %s", got)
		}
	})
}

// One row failing the check in a bulk insert leaves the table unchanged.
func TestInsertCheckRollsBackEveryRow(t *testing.T) {
	e := newMutationEngine(t)
	before := e.scalar(t, "SELECT count(*) FROM authors")
	err := e.mustFail(t, "user", user1, "permission-error",
		`mutation { insert_authors(objects: [{name: "Ok1", rating: 5}, {name: "Bad", rating: 50}, {name: "Ok2"}]) { affected_rows } }`, nil)
	if err.Message != "check constraint of an insert/update permission has failed" {
		t.Errorf("message %q", err.Message)
	}
	if after := e.scalar(t, "SELECT count(*) FROM authors"); after != before {
		t.Fatalf("authors went from %s to %s rows", before, after)
	}
	// A nested row failing its check (an article under someone else's
	// author) rolls back the author inserted before it too.
	e.mustFail(t, "user", user1, "permission-error",
		`mutation { insert_comments(objects: [{body: "x", article: {data: {title: "T", author_id: 2}}}]) { affected_rows } }`, nil)
	if n := e.scalar(t, "SELECT count(*) FROM articles WHERE title = 'T'"); n != "0" {
		t.Fatalf("the nested article stayed: %s", n)
	}
}

// Presets come from the permission: the client cannot give them at all.
func TestInsertPresets(t *testing.T) {
	e := newMutationEngine(t)
	err := e.mustFail(t, "user", user1, "validation-failed",
		`mutation { insert_authors(objects: [{name: "Mal", owner_id: 2}]) { affected_rows } }`, nil)
	if err.Message != "field 'owner_id' not found in type: 'authors_insert_input'" {
		t.Errorf("message %q", err.Message)
	}
	// From a variable too.
	e.mustFail(t, "user", user1, "validation-failed",
		`mutation($o: [authors_insert_input!]!) { insert_authors(objects: $o) { affected_rows } }`,
		map[string]any{"o": []any{map[string]any{"name": "Mal", "owner_id": 2}}})
	e.ok(t, "user", user2, `mutation { insert_authors(objects: [{name: "Own"}]) { affected_rows } }`, nil)
	if o := e.scalar(t, "SELECT owner_id FROM authors WHERE name = 'Own'"); o != "2" {
		t.Fatalf("owner_id %s, want the session's 2", o)
	}
}

// A role cannot write a column outside its permission's columns.
func TestColumnsOutsidePermission(t *testing.T) {
	e := newMutationEngine(t)
	for _, c := range []struct{ query, message string }{
		{`mutation { insert_articles(objects: [{author_id: 1, title: "x", views: 9}]) { affected_rows } }`, "field 'views' not found in type: 'articles_insert_input'"},
		{`mutation { update_authors(where: {}, _set: {owner_id: 2}) { affected_rows } }`, "field 'owner_id' not found in type: 'authors_set_input'"},
		{`mutation { update_counters(where: {}, _set: {doubled: 2}) { affected_rows } }`, "field 'doubled' not found in type: 'counters_set_input'"},
		{`mutation { insert_counters(objects: [{name: "g", doubled: 2}]) { affected_rows } }`, "field 'doubled' not found in type: 'counters_insert_input'"},
	} {
		err := e.mustFail(t, "user", user1, "validation-failed", c.query, nil)
		if err.Message != c.message {
			t.Errorf("%s: message %q, want %q", c.query, err.Message, c.message)
		}
	}
	if v := e.scalar(t, "SELECT views FROM articles WHERE id = 1"); v != "0" {
		t.Fatal("views changed")
	}
}

// An upsert cannot update rows outside the role's update filter, and the
// update permission's check applies to what it updates.
func TestUpsert(t *testing.T) {
	e := newMutationEngine(t)
	// Brian (owner 2) exists: user 1's upsert conflicts and must not
	// update it.
	got := e.ok(t, "user", user1, `mutation { insert_authors(objects: [{name: "Brian", bio: {stolen: true}}],
		on_conflict: {constraint: authors_name_key, update_columns: [bio]}) { affected_rows returning { name } } }`, nil)
	if got != `{"data":{"insert_authors":{"affected_rows":0,"returning":[]}}}` {
		t.Errorf("got %s", got)
	}
	if bio := e.scalar(t, "SELECT bio FROM authors WHERE name = 'Brian'"); bio != "{}" {
		t.Fatalf("Brian's bio became %s", bio)
	}
	// Ada is user 1's: updated, only the listed column.
	got = e.ok(t, "user", user1, `mutation { insert_authors(objects: [{name: "Ada", bio: {new: 1}, rating: 1}],
		on_conflict: {constraint: authors_name_key, update_columns: [bio]}) { affected_rows returning { name bio rating } } }`, nil)
	if got != `{"data":{"insert_authors":{"affected_rows":1,"returning":[{"name":"Ada","bio":{"new": 1},"rating":9}]}}}` {
		t.Errorf("got %s", got)
	}
	// on_conflict's own where.
	got = e.ok(t, "user", user1, `mutation { insert_authors(objects: [{name: "Ada", rating: 2}],
		on_conflict: {constraint: authors_name_key, update_columns: [rating], where: {rating: {_gt: 100}}}) { affected_rows } }`, nil)
	if got != `{"data":{"insert_authors":{"affected_rows":0}}}` {
		t.Errorf("got %s", got)
	}
	// DO NOTHING.
	got = e.ok(t, "user", user1, `mutation { insert_authors(objects: [{name: "Ada"}, {name: "Zed"}],
		on_conflict: {constraint: authors_name_key, update_columns: []}) { affected_rows returning { name } } }`, nil)
	if got != `{"data":{"insert_authors":{"affected_rows":1,"returning":[{"name":"Zed"}]}}}` {
		t.Errorf("got %s", got)
	}
}

func TestNestedInsert(t *testing.T) {
	e := newMutationEngine(t)
	// An object relationship (the author, inserted first) and an array
	// relationship (the comments, after), two rows deep.
	got := e.ok(t, "user", user1, `mutation { insert_articles(objects: [
		{title: "A1", author: {data: {name: "New1"}}, comments: {data: [{body: "c1"}, {body: "c2"}]}},
		{title: "A2", author_id: 1},
		{title: "A3", author: {data: {name: "New2"}}, comments: {data: [{body: "c3"}]}}
	]) { affected_rows returning { title author { name owner_id } comments(order_by: {id: asc}) { body } } } }`, nil)
	want := `{"data":{"insert_articles":{"affected_rows":8,"returning":[` +
		`{"title":"A1","author":{"name":"New1","owner_id":1},"comments":[{"body":"c1"}, {"body":"c2"}]}, ` +
		`{"title":"A2","author":{"name":"Ada","owner_id":1},"comments":[]}, ` +
		`{"title":"A3","author":{"name":"New2","owner_id":1},"comments":[{"body":"c3"}]}]}}}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// The foreign keys in the database.
	if fk := e.scalar(t, "SELECT string_agg(a.title || '→' || au.name, ',' ORDER BY a.title) FROM articles a JOIN authors au ON au.id = a.author_id WHERE a.title LIKE 'A_'"); fk != "A1→New1,A2→Ada,A3→New2" {
		t.Errorf("article → author: %s", fk)
	}
	if fk := e.scalar(t, "SELECT string_agg(c.body || '→' || a.title, ',' ORDER BY c.body) FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.body LIKE 'c_'"); fk != "c1→A1,c2→A1,c3→A3" {
		t.Errorf("comment → article: %s", fk)
	}
	// Giving the foreign key too is an error.
	err := e.mustFail(t, "user", user1, "validation-failed",
		`mutation { insert_articles(objects: [{title: "X", author_id: 1, author: {data: {name: "Dup"}}}]) { affected_rows } }`, nil)
	if !strings.Contains(err.Message, `"author_id" column values are already determined`) {
		t.Errorf("message %q", err.Message)
	}
	err = e.mustFail(t, "user", user1, "validation-failed",
		`mutation { insert_articles(objects: [{title: "X", author_id: 1, comments: {data: [{body: "b", article_id: 3}]}}]) { affected_rows } }`, nil)
	if !strings.Contains(err.Message, `"article_id" column values are already determined`) {
		t.Errorf("message %q", err.Message)
	}
}

func TestUpdate(t *testing.T) {
	e := newMutationEngine(t)
	got := e.ok(t, "user", user1, `mutation { update_articles(where: {author: {name: {_eq: "Ada"}}}, _inc: {views: 5}, _set: {body: "b"}) {
		affected_rows returning { title views body } } }`, nil)
	if got != `{"data":{"update_articles":{"affected_rows":2,"returning":[{"title":"Notes","views":5,"body":"b"}, {"title":"Drafts","views":5,"body":"b"}]}}}` {
		t.Errorf("got %s", got)
	}
	// Another user's rows are outside the update filter.
	got = e.ok(t, "user", user2, `mutation { update_articles(where: {title: {_eq: "Notes"}}, _set: {body: "hijack"}) { affected_rows } }`, nil)
	if got != `{"data":{"update_articles":{"affected_rows":0}}}` || e.scalar(t, "SELECT body FROM articles WHERE title = 'Notes'") != "b" {
		t.Errorf("user 2 updated user 1's article: %s", got)
	}
	// _by_pk: the row, or null when it is not the role's.
	got = e.ok(t, "user", user1, `mutation { a: update_articles_by_pk(pk_columns: {id: 1}, _set: {title: "N"}) { id title } b: update_articles_by_pk(pk_columns: {id: 3}, _set: {title: "N"}) { id } }`, nil)
	if got != `{"data":{"a":{"id":1,"title":"N"},"b":null}}` {
		t.Errorf("got %s", got)
	}
	// The check after the update.
	e.mustFail(t, "user", user1, "permission-error", `mutation { update_authors(where: {}, _set: {rating: 11}) { affected_rows } }`, nil)
	if r := e.scalar(t, "SELECT rating FROM authors WHERE name = 'Ada'"); r != "9" {
		t.Fatalf("a failed check kept the update: rating %s", r)
	}
	// No operator at all.
	err := e.mustFail(t, "user", user1, "validation-failed", `mutation { update_articles(where: {}) { affected_rows } }`, nil)
	if !strings.HasPrefix(err.Message, "at least any one of _set, _inc") {
		t.Errorf("message %q", err.Message)
	}
	// update_many: in order, each seeing the one before.
	got = e.ok(t, "user", user1, `mutation { update_articles_many(updates: [
		{where: {id: {_eq: 1}}, _inc: {views: 1}},
		{where: {views: {_gt: 5}}, _set: {body: "many"}},
		{where: {id: {_eq: 3}}, _set: {body: "not mine"}}
	]) { affected_rows returning { id views body } } }`, nil)
	if got != `{"data":{"update_articles_many":[{"affected_rows":1,"returning":[{"id":1,"views":6,"body":"b"}]},{"affected_rows":1,"returning":[{"id":1,"views":6,"body":"many"}]},{"affected_rows":0,"returning":[]}]}}` {
		t.Errorf("got %s", got)
	}
}

// Every jsonb update operator.
func TestJSONBOperators(t *testing.T) {
	e := newMutationEngine(t)
	cases := []struct{ args, want string }{
		{`_append: {bio: {age: 36}}`, `{"age": 36, "langs": ["en", "fr"], "links": {"home": "ada.example"}}`},
		{`_prepend: {bio: {first: true}}`, `{"age": 36, "first": true, "langs": ["en", "fr"], "links": {"home": "ada.example"}}`},
		{`_delete_key: {bio: "first"}`, `{"age": 36, "langs": ["en", "fr"], "links": {"home": "ada.example"}}`},
		{`_delete_at_path: {bio: ["links", "home"]}`, `{"age": 36, "langs": ["en", "fr"], "links": {}}`},
		{`_delete_at_path: {bio: ["langs", "0"]}`, `{"age": 36, "langs": ["fr"], "links": {}}`},
	}
	for _, c := range cases {
		e.ok(t, "user", user1, `mutation { update_authors(where: {name: {_eq: "Ada"}}, `+c.args+`) { affected_rows } }`, nil)
		if got := e.scalar(t, "SELECT bio FROM authors WHERE name = 'Ada'"); got != c.want {
			t.Errorf("%s: bio %s, want %s", c.args, got, c.want)
		}
	}
	// _delete_elem on an array, from a variable; _append of an array.
	e.ok(t, "user", user1, `mutation { update_articles(where: {id: {_eq: 1}}, _append: {data: {more: [4]}}) { affected_rows } }`, nil)
	e.ok(t, "user", user1, `mutation { update_articles(where: {id: {_eq: 1}}, _delete_key: {data: "more"}) { affected_rows }
		x: update_authors(where: {id: {_eq: 1}}, _set: {bio: [1, 2, 3]}) { affected_rows } }`, nil)
	e.ok(t, "user", user1, `mutation($i: Int) { update_authors(where: {id: {_eq: 1}}, _delete_elem: {bio: $i}) { affected_rows } }`, map[string]any{"i": 1})
	if got := e.scalar(t, "SELECT bio FROM authors WHERE name = 'Ada'"); got != "[1, 3]" {
		t.Errorf("_delete_elem: %s", got)
	}
	if got := e.scalar(t, "SELECT data FROM articles WHERE id = 1"); got != `{"a": 1, "list": [1, 2, 3]}` {
		t.Errorf("_append then _delete_key: %s", got)
	}
}

func TestDelete(t *testing.T) {
	e := newMutationEngine(t)
	// Published articles are outside user 1's delete filter.
	got := e.ok(t, "user", user1, `mutation { delete_articles(where: {}) { affected_rows returning { title author { name } } } }`, nil)
	if got != `{"data":{"delete_articles":{"affected_rows":1,"returning":[{"title":"Drafts","author":{"name":"Ada"}}]}}}` {
		t.Errorf("got %s", got)
	}
	got = e.ok(t, "user", user1, `mutation { a: delete_articles_by_pk(id: 1) { id } b: delete_authors_by_pk(id: 2) { id } }`, nil)
	if got != `{"data":{"a":null,"b":null}}` {
		t.Errorf("got %s", got)
	}
	if n := e.scalar(t, "SELECT count(*) FROM articles"); n != "2" {
		t.Fatalf("%s articles left, want 2", n)
	}
}

// All mutation fields of a request run in one transaction: a failing
// second field rolls back the first.
func TestMutationFieldsShareATransaction(t *testing.T) {
	e := newMutationEngine(t)
	r := e.mutation(t, "user", user1, `mutation {
		a: insert_authors(objects: [{name: "First"}]) { affected_rows }
		b: insert_authors(objects: [{name: "Ada"}]) { affected_rows }
	}`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "constraint-violation" || !strings.HasPrefix(r.Errors[0].Message, "Uniqueness violation. ") {
		t.Fatalf("got %s", r.raw)
	}
	if n := e.scalar(t, "SELECT count(*) FROM authors WHERE name = 'First'"); n != "0" {
		t.Fatal("the first field's insert was kept")
	}
	// In an HTTP batch each operation is its own transaction.
	body := `[{"query":"mutation { insert_authors(objects: [{name: \"Batch1\"}]) { affected_rows } }"},` +
		`{"query":"mutation { insert_authors(objects: [{name: \"Ada\"}]) { affected_rows } }"}]`
	out := e.overHTTP(t, "user", user1, []byte(body))
	if !strings.HasPrefix(out, `[{"data":{"insert_authors":{"affected_rows":1}}},{"errors":`) {
		t.Fatalf("batch: %s", out)
	}
	if n := e.scalar(t, "SELECT count(*) FROM authors WHERE name = 'Batch1'"); n != "1" {
		t.Fatal("the batch's first operation was rolled back with the second")
	}
}

func TestMutationErrors(t *testing.T) {
	e := newMutationEngine(t)
	cases := []struct {
		name, code, query, prefix string
		role                      string
	}{
		{"integer overflow", "parse-failed", `mutation { insert_authors(objects: [{name: "x", rating: 2147483648}]) { affected_rows } }`,
			"The value 2147483648 lies outside the bounds", "user"},
		{"foreign key", "constraint-violation", `mutation { insert_articles(objects: [{title: "x", author_id: 999, owner_id: 1}]) { affected_rows } }`,
			"Foreign key violation. ", "admin"},
		{"not null", "constraint-violation", `mutation { insert_comments(objects: [{article_id: 1}]) { affected_rows } }`,
			"Not-NULL violation. ", "admin"},
		{"check constraint", "constraint-violation", `mutation { insert_comments(objects: [{article_id: 1, body: "", owner_id: 1}]) { affected_rows } }`,
			"Check constraint violation. ", "admin"},
		{"unique", "constraint-violation", `mutation { update_authors(where: {name: {_eq: "Brian"}}, _set: {name: "Ada"}) { affected_rows } }`,
			"Uniqueness violation. ", "admin"},
		{"bad value", "data-exception", `mutation { insert_articles(objects: [{title: "x", author_id: 1, owner_id: 1, views: "lots"}]) { affected_rows } }`,
			"invalid input syntax for type bigint", "admin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := user1
			err := e.mustFail(t, c.role, vars, c.code, c.query, nil)
			if !strings.HasPrefix(err.Message, c.prefix) {
				t.Errorf("message %q, want prefix %q", err.Message, c.prefix)
			}
			for _, leak := range []string{"SELECT", "INSERT INTO", "WITH "} {
				if strings.Contains(err.Message, leak) {
					t.Errorf("the message leaks SQL: %q", err.Message)
				}
			}
		})
	}
	t.Run("overflow path", func(t *testing.T) {
		err := e.mustFail(t, "user", user1, "parse-failed", `mutation { insert_authors(objects: [{name: "x", rating: 2147483648}]) { affected_rows } }`, nil)
		if err.Extensions.Path != "$.selectionSet.insert_authors.args.objects[0].rating" {
			t.Errorf("path %q", err.Extensions.Path)
		}
		err = e.mustFail(t, "user", user1, "parse-failed", `mutation($o: [authors_insert_input!]!) { insert_authors(objects: $o) { affected_rows } }`,
			map[string]any{"o": []any{map[string]any{"name": "x"}, map[string]any{"name": "y", "rating": 1e10}}})
		if err.Extensions.Path != "$.variableValues.o[1].rating" {
			t.Errorf("path %q", err.Extensions.Path)
		}
	})
}

// Backend-only permissions need the admin secret and
// x-hasura-use-backend-only-permissions: true.
func TestBackendOnly(t *testing.T) {
	e := newMutationEngine(t)
	q := `mutation { insert_authors(objects: [{name: "Svc", owner_id: 7}]) { affected_rows } }`
	err := e.mustFail(t, "service", nil, "validation-failed", q, nil)
	if err.Message != "field 'insert_authors' not found in type: 'mutation_root'" {
		t.Errorf("message %q", err.Message)
	}
	got := e.ok(t, "service", map[string]string{"x-hasura-use-backend-only-permissions": "true"}, q, nil)
	if got != `{"data":{"insert_authors":{"affected_rows":1}}}` {
		t.Errorf("got %s", got)
	}
}

// Beyond Hasura: update_<t>_by_pk updates the row an object relationship
// leads to in the same statement, under both tables' permissions.
func TestNestedUpdate(t *testing.T) {
	e := newMutationEngine(t)
	got := e.ok(t, "user", user1, `mutation { update_articles_by_pk(pk_columns: {id: 1}, _inc: {views: 1}, author: {_set: {rating: 8}, _append: {bio: {n: 1}}}) {
		views author { rating bio } } }`, nil)
	if got != `{"data":{"update_articles_by_pk":{"views":1,"author":{"rating":8,"bio":{"n": 1, "langs": ["en", "fr"], "links": {"home": "ada.example"}}}}}}` {
		t.Errorf("got %s", got)
	}
	// The author's update check holds for the author: a rating over 10
	// rolls back both.
	e.mustFail(t, "user", user1, "permission-error", `mutation { update_articles_by_pk(pk_columns: {id: 1}, _set: {title: "Z"}, author: {_set: {rating: 99}}) { id } }`, nil)
	if e.scalar(t, "SELECT title FROM articles WHERE id = 1") != "Notes" || e.scalar(t, "SELECT rating FROM authors WHERE id = 1") != "8" {
		t.Fatal("a failed nested check kept an update")
	}
	// Admin makes user 1's article point at user 2's author; then user
	// 1's nested update reaches a row outside its author update filter:
	// an error, nothing changed.
	e.ok(t, "admin", nil, `mutation { update_articles_by_pk(pk_columns: {id: 2}, _set: {body: "admin"}) { id } }`, nil)
	e.exec(t, "UPDATE articles SET author_id = 2 WHERE id = 2")
	e.mustFail(t, "user", user1, "permission-error", `mutation { update_articles_by_pk(pk_columns: {id: 2}, _set: {body: "me"}, author: {_set: {rating: 1}}) { id } }`, nil)
	if e.scalar(t, "SELECT rating FROM authors WHERE id = 2") != "7" || e.scalar(t, "SELECT body FROM articles WHERE id = 2") != "admin" {
		t.Fatal("a nested update outside the filter changed rows")
	}
}

// Each mutation field is one statement, however many rows and tables it
// writes: no per-row loops.
func TestOneStatementPerMutationField(t *testing.T) {
	e := newMutationEngine(t)
	rows := make([]any, 100)
	for i := range rows {
		rows[i] = map[string]any{"title": "bulk" + string(rune('a'+i%26)) + string(rune('a'+i/26)), "author_id": 1, "owner_id": 1,
			"comments": map[string]any{"data": []any{map[string]any{"body": "x", "owner_id": 1}, map[string]any{"body": "y", "owner_id": 1}}}}
	}
	cases := []struct {
		name  string
		query string
		vars  any
		want  int
	}{
		{"bulk nested insert", `mutation($o: [articles_insert_input!]!) { insert_articles(objects: $o) { affected_rows returning { comments { body } } } }`, map[string]any{"o": rows}, 1},
		{"three fields", `mutation { a: insert_authors_one(object: {name: "S1", owner_id: 1}) { id } b: update_authors(where: {}, _inc: {rating: 0}) { affected_rows } c: delete_comments(where: {}) { affected_rows } }`, nil, 3},
		{"update_many", `mutation { update_authors_many(updates: [{where: {}, _set: {rating: 1}}, {where: {}, _set: {rating: 2}}]) { affected_rows } }`, nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.tracer.take()
			s := &session.Session{Role: "admin"}
			req := &wire.Request{Query: c.query}
			if c.vars != nil {
				req.Variables, _ = json.Marshal(c.vars)
			}
			out := string(e.Do(context.Background(), s, req))
			if strings.Contains(out, `"errors"`) {
				t.Fatalf("failed: %s", out)
			}
			// hasura.user is set before the statements, in the same
			// round trip and implicit transaction: once per request.
			var n, settings int
			for _, sql := range e.tracer.take() {
				switch {
				case sql == engine.SetHasuraUserSQL:
					settings++
				case sql != "begin" && sql != "commit":
					n++
				}
			}
			if n != c.want || settings != 1 {
				t.Fatalf("%d statements and %d hasura.user settings, want %d and 1", n, settings, c.want)
			}
		})
	}
}
