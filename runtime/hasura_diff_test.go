package runtime_test

// Where hasgen behaved differently from Hasura v2 at run time (issue 11),
// each case as Hasura answers it: unused variables, offset as a string,
// list input coercion, after_parent object relationships, empty updates,
// insert error paths, the select limit and aggregates, arrays and presets
// in mutations, hasura.user, @cached and the order of enum values in
// introspection.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"
)

const (
	hdiffSQL    = "testdata/fixtures/hdiff/schema.sql"
	hdiffConfig = "testdata/fixtures/hdiff/hasgen.yaml"
)

var (
	hdiffAdmin = &session.Session{Role: session.AdminRole, Vars: map[string]string{"x-hasura-role": "admin"}}
	hdiffUser  = &session.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}}
)

// hdiffEngine is the fixture's engine and pool, and do runs a request.
func hdiffEngine(t *testing.T) (*engine.Engine, *pgxpool.Pool, func(s *session.Session, query, variables string) string) {
	t.Helper()
	e, pool := inProcessEngine(t, []string{hdiffSQL}, hdiffConfig, nil, nil)
	do := func(s *session.Session, query, variables string) string {
		req := &wire.Request{Query: query}
		if variables != "" {
			req.Variables = json.RawMessage(variables)
		}
		return string(e.Do(context.Background(), s, req))
	}
	return e, pool, do
}

type hdiffCase struct {
	name      string
	s         *session.Session
	query     string
	variables string
	want      string // the whole response, or with wantPart a part of it
	wantPart  bool
}

func runHdiffCases(t *testing.T, do func(*session.Session, string, string) string, cases []hdiffCase) {
	t.Helper()
	for _, c := range cases {
		got := do(c.s, c.query, c.variables)
		if c.wantPart && !strings.Contains(got, c.want) || !c.wantPart && got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestHasuraQueryInputs: unused variables are accepted; offset (and only
// offset) may be a string of digits; a single value where a list is
// expected is a list of one.
func TestHasuraQueryInputs(t *testing.T) {
	_, _, do := hdiffEngine(t)
	runHdiffCases(t, do, []hdiffCase{
		{name: "unused variable", s: hdiffAdmin, query: `query($x: Int, $y: String!) { notes_by_pk(id: 1) { id } }`, variables: `{"x": 1, "y": "z"}`,
			want: `{"data":{"notes_by_pk":{"id":1}}}`},
		{name: "unused variable, none given", s: hdiffAdmin, query: `query($x: Int) { notes_by_pk(id: 2) { id } }`,
			want: `{"data":{"notes_by_pk":{"id":2}}}`},
		{name: "offset as a string literal", s: hdiffAdmin, query: `{ notes(order_by: {id: asc}, offset: "3") { id } }`,
			want: `{"data":{"notes":[{"id":4}, {"id":5}]}}`},
		{name: "offset as a string variable", s: hdiffAdmin, query: `query($o: Int) { notes(order_by: {id: asc}, offset: $o, limit: 1) { id } }`, variables: `{"o": "1"}`,
			want: `{"data":{"notes":[{"id":2}]}}`},
		{name: "offset as a number variable", s: hdiffAdmin, query: `query($o: Int) { notes(order_by: {id: asc}, offset: $o, limit: 1) { id } }`, variables: `{"o": 2}`,
			want: `{"data":{"notes":[{"id":3}]}}`},
		{name: "offset not digits", s: hdiffAdmin, query: `{ notes(offset: "1x") { id } }`,
			want: `"code":"validation-failed"`, wantPart: true},
		{name: "offset variable not digits", s: hdiffAdmin, query: `query($o: Int) { notes(offset: $o) { id } }`, variables: `{"o": "-1"}`,
			want: `"code":"parse-failed"`, wantPart: true},
		// Hasura's limit is a non-negative Int: no string.
		{name: "limit as a string", s: hdiffAdmin, query: `{ notes(limit: "2") { id } }`,
			want: `"code":"validation-failed"`, wantPart: true},
		{name: "limit as a string variable", s: hdiffAdmin, query: `query($l: Int) { notes(limit: $l) { id } }`, variables: `{"l": "2"}`,
			want: `"code":"parse-failed"`, wantPart: true},
		{name: "Boolean as a string", s: hdiffAdmin, query: `{ notes(where: {done: {_eq: "false"}}) { id } }`,
			want: `"code":"validation-failed"`, wantPart: true},
		{name: "_in: a single value", s: hdiffAdmin, query: `{ notes(where: {id: {_in: 2}}) { id } }`,
			want: `{"data":{"notes":[{"id":2}]}}`},
		{name: "_in: a single value in a variable", s: hdiffAdmin, query: `query($v: [Int!]) { notes(where: {id: {_in: $v}}) { id } }`, variables: `{"v": 3}`,
			want: `{"data":{"notes":[{"id":3}]}}`},
		{name: "order_by: a single object", s: hdiffAdmin, query: `{ notes(order_by: {id: desc}, limit: 1) { id } }`,
			want: `{"data":{"notes":[{"id":5}]}}`},
		{name: "_nin: a single value", s: hdiffAdmin, query: `{ notes_aggregate(where: {id: {_nin: 2}}) { aggregate { count } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":4}}}}`},
		{name: "distinct_on: a single column", s: hdiffAdmin, query: `{ notes(distinct_on: owner_id, order_by: {owner_id: asc}) { owner_id } }`,
			want: `{"data":{"notes":[{"owner_id":1}, {"owner_id":2}]}}`},
		{name: "count(columns: a single column)", s: hdiffAdmin, query: `{ notes_aggregate { aggregate { count(columns: owner_id, distinct: true) } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":2}}}}`},
	})
}

// TestHasuraInsertInputs: objects: {...} inserts one row; an object
// relationship with insertion_order: after_parent is inserted after its
// parent, from whose columns it takes the mapped ones.
func TestHasuraInsertInputs(t *testing.T) {
	_, pool, do := hdiffEngine(t)
	runHdiffCases(t, do, []hdiffCase{
		{name: "objects: one object literal", s: hdiffUser, query: `mutation { insert_notes(objects: {title: "f", score: 6}) { affected_rows returning { title owner_id score } } }`,
			want: `{"data":{"insert_notes":{"affected_rows":1,"returning":[{"title":"f","owner_id":1,"score":6}]}}}`},
		{name: "objects: one object variable", s: hdiffUser, query: `mutation($o: [notes_insert_input!]!) { insert_notes(objects: $o) { affected_rows returning { title } } }`,
			variables: `{"o": {"title": "g"}}`,
			want:      `{"data":{"insert_notes":{"affected_rows":1,"returning":[{"title":"g"}]}}}`},
		{name: "after_parent, one", s: hdiffAdmin, query: `mutation { insert_orders_one(object: {label: "o1", detail: {data: {note: "n1"}}}) { id label detail { order_id note } } }`,
			want: `{"data":{"insert_orders_one":{"id":1,"label":"o1","detail":{"order_id":1,"note":"n1"}}}}`},
		{name: "after_parent, several, one without", s: hdiffAdmin,
			query: `mutation { insert_orders(objects: [{label: "o2", detail: {data: {note: "n2"}}}, {label: "o3"}, {label: "o4", detail: {data: {note: "n4"}}}]) { affected_rows returning { id label detail { order_id note } } } }`,
			want:  `{"data":{"insert_orders":{"affected_rows":5,"returning":[{"id":2,"label":"o2","detail":{"order_id":2,"note":"n2"}}, {"id":3,"label":"o3","detail":null}, {"id":4,"label":"o4","detail":{"order_id":4,"note":"n4"}}]}}}`},
		{name: "after_parent: the mapped column comes from the parent", s: hdiffAdmin,
			query: `mutation { insert_orders_one(object: {label: "o5", detail: {data: {note: "n5", order_id: 1}}}) { id } }`,
			want:  `cannot insert object relationship \"detail\" as \"order_id\" column values are already determined`, wantPart: true},
		{name: "before the parent still: the referenced row first", s: hdiffAdmin,
			query: `mutation { insert_order_details_one(object: {note: "n6", order: {data: {label: "o6"}}}) { note order { id label } } }`,
			want:  `{"data":{"insert_order_details_one":{"note":"n6","order":{"id":5,"label":"o6"}}}}`},
	})
	if n := countRows(t, pool, `SELECT count(*) FROM order_details d JOIN orders o ON o.id = d.order_id WHERE d.note = 'n' || substr(o.label, 2)`); n != 4 {
		t.Errorf("%d details match their order, want 4", n)
	}
}

// TestHasuraArrayRelationshipSingleObject: an array relationship's data
// given as one object is a list of one, not dropped.
func TestHasuraArrayRelationshipSingleObject(t *testing.T) {
	e, pool := newMutationEngineInProcess(t, "", nil)
	got := string(e.Do(context.Background(), &session.Session{Role: session.AdminRole},
		&wire.Request{Query: `mutation { insert_articles_one(object: {author_id: 1, title: "Single", owner_id: 1, comments: {data: {body: "one", owner_id: 1}}}) { title comments { body } } }`}))
	if want := `{"data":{"insert_articles_one":{"title":"Single","comments":[{"body":"one"}]}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if n := countRows(t, pool, `SELECT count(*) FROM comments WHERE body = 'one'`); n != 1 {
		t.Errorf("%d comments inserted, want 1", n)
	}
}

// TestHasuraMutationAnswers: an update that sets nothing, the path of an
// insert's errors, arrays in returning, upserts under a preset.
func TestHasuraMutationAnswers(t *testing.T) {
	_, pool, do := hdiffEngine(t)
	runHdiffCases(t, do, []hdiffCase{
		{name: "_set: {}", s: hdiffUser, query: `mutation { update_notes(where: {}, _set: {}) { affected_rows returning { id } __typename } }`,
			want: `{"data":{"update_notes":{"affected_rows":0,"returning":[],"__typename":"notes_mutation_response"}}}`},
		{name: "_set: {} in a variable", s: hdiffUser, query: `mutation($s: notes_set_input) { update_notes(where: {}, _set: $s) { affected_rows } }`, variables: `{"s": {}}`,
			want: `{"data":{"update_notes":{"affected_rows":0}}}`},
		{name: "_set: {} by pk", s: hdiffUser, query: `mutation { update_notes_by_pk(pk_columns: {id: 1}, _set: {}) { id score } }`,
			want: `{"data":{"update_notes_by_pk":{}}}`},
		{name: "_set: {}, _inc: {}", s: hdiffUser, query: `mutation { update_notes_many(updates: [{where: {}, _set: {}, _inc: {}}]) { affected_rows } }`,
			want: `{"data":{"update_notes_many":[{"affected_rows":0}]}}`},
		{name: "no operator at all", s: hdiffUser, query: `mutation { update_notes(where: {}) { affected_rows } }`,
			want: `at least any one of _set`, wantPart: true},
		{name: "uniqueness violation", s: hdiffAdmin, query: `mutation { insert_notes(objects: [{title: "a", owner_id: 1}]) { affected_rows } }`,
			want: `{"errors":[{"message":"Uniqueness violation. duplicate key value violates unique constraint \"notes_title_key\"","extensions":{"path":"$.selectionSet.insert_notes.args.objects","code":"constraint-violation"}}]}`},
		{name: "uniqueness violation, insert one, aliased", s: hdiffAdmin, query: `mutation { x: insert_notes_one(object: {title: "a", owner_id: 1}) { id } }`,
			want: `{"errors":[{"message":"Uniqueness violation. duplicate key value violates unique constraint \"notes_title_key\"","extensions":{"path":"$.selectionSet.insert_notes_one.args.object","code":"constraint-violation"}}]}`},
		{name: "not-null violation in a nested insert", s: hdiffAdmin, query: `mutation { insert_orders(objects: {label: "x", detail: {data: {}}}) { affected_rows } }`,
			want: `"path":"$.selectionSet.insert_orders.args.objects","code":"constraint-violation"`, wantPart: true},
		{name: "update's violation stays at $", s: hdiffAdmin, query: `mutation { update_notes(where: {title: {_eq: "b"}}, _set: {title: "a"}) { affected_rows } }`,
			want: `"path":"$","code":"constraint-violation"`, wantPart: true},
		{name: "arrays in an insert's returning", s: hdiffUser, query: `mutation { insert_notes(objects: [{title: "t1", tags: ["p", "q"]}]) { returning { tags } } }`,
			want: `{"data":{"insert_notes":{"returning":[{"tags":["p","q"]}]}}}`},
		{name: "arrays in an upsert's returning", s: hdiffUser, query: `mutation { insert_notes(objects: [{title: "t1", tags: ["r"]}], on_conflict: {constraint: notes_title_key, update_columns: [tags]}) { returning { tags } } }`,
			want: `{"data":{"insert_notes":{"returning":[{"tags":["r"]}]}}}`},
		{name: "arrays in an update's returning", s: hdiffUser, query: `mutation { update_notes(where: {title: {_eq: "t1"}}, _set: {tags: ["s", "t"]}) { returning { tags } } }`,
			want: `{"data":{"update_notes":{"returning":[{"tags":["s","t"]}]}}}`},
		{name: "update_columns: a single column", s: hdiffUser, query: `mutation { insert_notes_one(object: {title: "b", score: 20}, on_conflict: {constraint: notes_title_key, update_columns: score}) { id score } }`,
			want: `{"data":{"insert_notes_one":{"id":2,"score":20}}}`},
		{name: "updates: a single object", s: hdiffUser, query: `mutation { update_notes_many(updates: {where: {id: {_eq: 3}}, _set: {score: 30}}) { affected_rows returning { score } } }`,
			want: `{"data":{"update_notes_many":[{"affected_rows":1,"returning":[{"score":30}]}]}}`},
		{name: "upsert under a preset: a new row", s: hdiffUser, query: `mutation { insert_notes(objects: [{title: "u1", score: 7}], on_conflict: {constraint: notes_title_key, update_columns: [score]}) { affected_rows returning { title owner_id score } } }`,
			want: `{"data":{"insert_notes":{"affected_rows":1,"returning":[{"title":"u1","owner_id":1,"score":7}]}}}`},
		{name: "upsert under a preset: the row updated", s: hdiffUser, query: `mutation { insert_notes_one(object: {title: "a", score: 8}, on_conflict: {constraint: notes_title_key, update_columns: [score]}) { id owner_id score } }`,
			want: `{"data":{"insert_notes_one":{"id":1,"owner_id":1,"score":8}}}`},
		// Another user's row is not the role's to update: no row.
		{name: "upsert under a preset: another's row", s: hdiffUser, query: `mutation { insert_notes(objects: [{title: "e", score: 9}], on_conflict: {constraint: notes_title_key, update_columns: [score]}) { affected_rows returning { id } } }`,
			want: `{"data":{"insert_notes":{"affected_rows":0,"returning":[]}}}`},
	})
	if n := countRows(t, pool, `SELECT count(*) FROM notes WHERE title = 'e' AND score = 5`); n != 1 {
		t.Error("another user's note was updated")
	}
	if n := countRows(t, pool, `SELECT count(*) FROM audit WHERE op = 'UPDATE' AND hasura_user->>'x-hasura-role' = 'user' AND tbl = 'notes'`); n != 5 {
		t.Errorf("%d updates audited, want 5 (the empty updates run nothing)", n)
	}
}

// TestHasuraAggregateLimit: the select permission's limit caps an
// aggregate's nodes, never its aggregates; the request's own limit caps
// both.
func TestHasuraAggregateLimit(t *testing.T) {
	_, _, do := hdiffEngine(t)
	runHdiffCases(t, do, []hdiffCase{
		{name: "count and nodes", s: hdiffUser, query: `{ notes_aggregate(order_by: {id: desc}) { aggregate { count sum { score } } nodes { id } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":4,"sum":{"score":10}},"nodes":[{"id":4}, {"id":3}]}}}`},
		{name: "nodes before the aggregate", s: hdiffUser, query: `{ notes_aggregate { n: nodes { id } aggregate { max { score } } } }`,
			want: `{"data":{"notes_aggregate":{"n":[{"id":1}, {"id":2}]`, wantPart: true},
		{name: "the request's limit", s: hdiffUser, query: `{ notes_aggregate(order_by: {id: asc}, limit: 3) { aggregate { count } nodes { id } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":3},"nodes":[{"id":1}, {"id":2}]}}}`},
		{name: "no rows", s: hdiffUser, query: `{ notes_aggregate(where: {id: {_eq: 5}}) { aggregate { count } nodes { id } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":0},"nodes":[]}}}`},
		{name: "nodes only", s: hdiffUser, query: `{ notes_aggregate { nodes { id } } }`,
			want: `{"data":{"notes_aggregate":{"nodes":[{"id":1}, {"id":2}]}}}`},
		{name: "the list itself", s: hdiffUser, query: `{ notes(order_by: {id: asc}) { id } }`,
			want: `{"data":{"notes":[{"id":1}, {"id":2}]}}`},
		{name: "admin: no limit", s: hdiffAdmin, query: `{ notes_aggregate { aggregate { count } } }`,
			want: `{"data":{"notes_aggregate":{"aggregate":{"count":5}}}}`},
	})
}

// TestHasuraUserSetting: every mutation's transaction has the session in
// hasura.user, as Hasura sets it, where a trigger reads it; queries leave
// it alone; SetHasuraUser sets it on a caller's transaction.
func TestHasuraUserSetting(t *testing.T) {
	_, pool, do := hdiffEngine(t)
	ctx := context.Background()
	odd := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1", "x-hasura-org": `a"b\c'd`}}
	for _, q := range []struct {
		s     *session.Session
		query string
	}{
		{hdiffUser, `mutation { insert_notes_one(object: {title: "h1"}) { id } }`},
		{hdiffAdmin, `mutation { update_notes(where: {title: {_eq: "h1"}}, _set: {score: 1}) { affected_rows } }`},
		{odd, `mutation { a: update_notes_by_pk(pk_columns: {id: 1}, _set: {score: 2}) { id } b: update_notes_by_pk(pk_columns: {id: 2}, _set: {score: 3}) { id } }`},
	} {
		if got := do(q.s, q.query, ""); !strings.HasPrefix(got, `{"data"`) {
			t.Fatalf("%s: %s", q.query, got)
		}
	}
	rows, err := pool.Query(ctx, `SELECT op, hasura_user::text FROM audit WHERE hasura_user IS NOT NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var op, u string
		if err := rows.Scan(&op, &u); err != nil {
			t.Fatal(err)
		}
		got = append(got, op+" "+u)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`INSERT {"x-hasura-role": "user", "x-hasura-user-id": "1"}`,
		`UPDATE {"x-hasura-role": "admin"}`,
		`UPDATE {"x-hasura-org": "a\"b\\c'd", "x-hasura-role": "user", "x-hasura-user-id": "1"}`,
		`UPDATE {"x-hasura-org": "a\"b\\c'd", "x-hasura-role": "user", "x-hasura-user-id": "1"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := engine.SetHasuraUser(ctx, tx, hdiffUser); err != nil {
		t.Fatal(err)
	}
	var u string
	if err := tx.QueryRow(ctx, `SELECT current_setting('hasura.user')`).Scan(&u); err != nil || u != `{"x-hasura-role":"user","x-hasura-user-id":"1"}` {
		t.Errorf("SetHasuraUser: %q, %v", u, err)
	}
}

// TestHasuraUnusedVariableCustomField: a custom field's operation may
// declare a variable it does not use too (gqlgen validates it again).
func TestHasuraUnusedVariableCustomField(t *testing.T) {
	e, _ := newMutationEngineInProcess(t, noteSDL, func(s *ast.Schema, _ *pgxpool.Pool) graphql.ExecutableSchema { return noteSchema{s} })
	got := string(e.Do(context.Background(), &session.Session{Role: session.AdminRole},
		&wire.Request{Query: `mutation($unused: Int) { note(text: "u") }`}))
	if want := `{"data":{"note":true}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestHasuraCachedAndIntrospection: @cached is accepted on queries (with
// or without arguments; not on mutations) and declared as Hasura
// declares it; enum values are listed by name, as Hasura lists them.
func TestHasuraCachedAndIntrospection(t *testing.T) {
	e, _, do := hdiffEngine(t)
	runHdiffCases(t, do, []hdiffCase{
		{name: "@cached", s: hdiffUser, query: `query @cached { notes_by_pk(id: 1) { id } }`,
			want: `{"data":{"notes_by_pk":{"id":1}}}`},
		{name: "@cached(ttl, refresh)", s: hdiffUser, query: `query q @cached(ttl: 120, refresh: true) { notes_by_pk(id: 1) { id } }`,
			want: `{"data":{"notes_by_pk":{"id":1}}}`},
		{name: "@cached on a mutation", s: hdiffUser, query: `mutation @cached { update_notes(where: {}, _set: {}) { affected_rows } }`,
			want: `"code":"validation-failed"`, wantPart: true},
		{name: "@cached with an unknown argument", s: hdiffUser, query: `query @cached(x: 1) { notes_by_pk(id: 1) { id } }`,
			want: `"code":"validation-failed"`, wantPart: true},
	})
	for _, role := range []string{session.AdminRole, "user"} {
		rs, err := e.Schema(role)
		if err != nil {
			t.Fatal(err)
		}
		s := introspection.WrapSchema(rs)
		var cached *introspection.Directive
		for i, d := range s.Directives() {
			if d.Name == "cached" {
				cached = &s.Directives()[i]
			}
		}
		if cached == nil {
			t.Fatalf("%s: no @cached in the directives", role)
		}
		var args []string
		for _, a := range cached.Args {
			args = append(args, a.Name+": "+*a.Type.OfType().Name()+"! = "+*a.DefaultValue)
		}
		if got, want := strings.Join(args, ", ")+" on "+strings.Join(cached.Locations, ","), "ttl: Int! = 60, refresh: Boolean! = false on QUERY"; got != want {
			t.Errorf("%s: @cached(%s), want (%s)", role, got, want)
		}
		if d := cached.Description(); d == nil || *d != "whether this query should be cached (Hasura Cloud only)" {
			t.Errorf("%s: @cached's description %v", role, d)
		}
		for typ, want := range map[string]string{
			"__TypeKind":          "ENUM INPUT_OBJECT INTERFACE LIST NON_NULL OBJECT SCALAR UNION",
			"__DirectiveLocation": "ARGUMENT_DEFINITION DIRECTIVE_DEFINITION ENUM ENUM_VALUE FIELD FIELD_DEFINITION FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT INPUT_FIELD_DEFINITION INPUT_OBJECT INTERFACE MUTATION OBJECT QUERY SCALAR SCHEMA SUBSCRIPTION UNION VARIABLE_DEFINITION",
			"order_by":            "asc asc_nulls_first asc_nulls_last desc desc_nulls_first desc_nulls_last",
		} {
			def := rs.Types[typ]
			if def == nil {
				t.Fatalf("%s: no type %s", role, typ)
			}
			var names []string
			for _, v := range introspection.WrapTypeFromDef(rs, def).EnumValues(true) {
				names = append(names, v.Name)
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("%s: %s values %s, want %s", role, typ, got, want)
			}
		}
	}
}
