package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

const (
	fnSQL    = "testdata/fixtures/functions/schema.sql"
	fnConfig = "testdata/fixtures/functions/metadata/databases/databases.yaml"
)

// The functions fixture's data: authors 1 Ada Lovelace (owner 1) and 2
// Alan Turing (owner 2); articles 1 "Graph theory" (Ada, published, 5),
// 2 "Graph drafts" (Ada, NOT published, 4), 3 "Turing machines" (Alan,
// published, 2), 4 "Graph grammar" (Alan, published, 3). Roles user and
// anonymous see published articles only; only user may call
// publish_article, select the scalar computed fields and aggregate;
// owner sees the authors whose owner_id is its x-hasura-user-id (a computed
// field with a session argument, in the filter) and their articles.

// TestFunctions runs tracked functions and computed fields in process and
// over HTTP on the generated server, per role; every expected answer is
// derived by hand from the data above.
func TestFunctions(t *testing.T) {
	e := newFixtureEngine(t, fnSQL, fnConfig, false)
	user1 := map[string]string{"x-hasura-user-id": "1"}
	user2 := map[string]string{"x-hasura-user-id": "2"}
	runCases(t, e, []queryCase{
		// The return table's filter applies to the function's rows:
		// "Graph drafts" (unpublished) matches the search but is hidden.
		{name: "query function, rows filtered", role: "user", session: user1,
			query: `{ search_articles(args: {search: "graph"}, order_by: {id: asc}) { id title } }`,
			want:  `{"search_articles": [{"id": 1, "title": "Graph theory"}, {"id": 4, "title": "Graph grammar"}]}`},
		{name: "admin sees every row", query: `{ search_articles(args: {search: "graph"}, order_by: {id: asc}) { id } }`,
			want: `{"search_articles": [{"id": 1}, {"id": 2}, {"id": 4}]}`},
		{name: "where, limit and offset over the function", role: "anonymous",
			query: `{ search_articles(args: {search: "g"}, where: {id: {_gt: 1}}, order_by: {id: desc}, limit: 1, offset: 1) { id } }`,
			want:  `{"search_articles": [{"id": 3}]}`},
		{name: "argument from a variable", role: "anonymous",
			query:     `query($s: String) { search_articles(args: {search: $s}, order_by: {id: asc}) { id author { first_name } } }`,
			variables: map[string]any{"s": "turing"},
			want:      `{"search_articles": [{"id": 3, "author": {"first_name": "Alan"}}]}`},
		// Defaults: no args at all, then only the second argument (passed
		// by name after the omitted first).
		{name: "defaults", role: "user", session: user1, query: `{ top_articles { id } }`,
			want: `{"top_articles": [{"id": 1}, {"id": 4}]}`},
		{name: "named argument after an omitted one", role: "user", session: user1, query: `{ top_articles(args: {lim: 1}) { id } }`,
			want: `{"top_articles": [{"id": 1}]}`},
		// min_rating 4 takes articles 1 and 2; 2 is hidden.
		{name: "positional arguments", role: "user", session: user1, query: `{ top_articles(args: {min_rating: 4, lim: 5}) { id rating } }`,
			want: `{"top_articles": [{"id": 1, "rating": 5}]}`},
		{name: "unnamed arguments", role: "anonymous", query: `{ articles_between(args: {arg_1: 2, arg_2: 3}) { id } }`,
			want: `{"articles_between": [{"id": 3}]}`},
		{name: "unnamed arguments, the last omitted", role: "anonymous", query: `{ articles_between(args: {arg_1: 3}, order_by: {id: asc}) { id } }`,
			want: `{"articles_between": [{"id": 3}, {"id": 4}]}`},
		{name: "session argument", role: "user", session: user2, query: `{ my_articles(order_by: {id: asc}) { id } }`,
			want: `{"my_articles": [{"id": 3}, {"id": 4}]}`},
		{name: "session argument, other session", role: "user", session: user1, query: `{ my_articles { id } }`,
			want: `{"my_articles": [{"id": 1}]}`},
		{name: "function returning one row", role: "anonymous", query: `{ first_article { id title } }`,
			want: `{"first_article": {"id": 1, "title": "Graph theory"}}`},
		{name: "aggregate", role: "user", session: user1,
			query: `{ search_articles_aggregate(args: {search: "graph"}) { aggregate { count max { rating } } nodes { id } } }`,
			want:  `{"search_articles_aggregate": {"aggregate": {"count": 2, "max": {"rating": 5}}, "nodes": [{"id": 1}, {"id": 4}]}}`},
		// Ratings of 1 and 4 doubled: 10 and 6.
		{name: "aggregate of a computed field", role: "user", session: user1,
			query: `{ search_articles_aggregate(args: {search: "graph"}) { aggregate { sum { double_rating } max { double_rating } avg { rating } } } }`,
			want:  `{"search_articles_aggregate": {"aggregate": {"sum": {"double_rating": 16}, "max": {"double_rating": 10}, "avg": {"rating": 4}}}}`},
		// Computed fields.
		{name: "scalar computed fields", role: "user", session: user1,
			query: `{ author(order_by: {id: asc}) { id full_name is_mine } }`,
			want:  `{"author": [{"id": 1, "full_name": "Ada Lovelace", "is_mine": true}, {"id": 2, "full_name": "Alan Turing", "is_mine": false}]}`},
		{name: "computed field in where and order_by", role: "user", session: user2,
			query: `{ author(where: {full_name: {_like: "A%"}, is_mine: {_eq: true}}, order_by: {full_name: desc}) { id } }`,
			want:  `{"author": [{"id": 2}]}`},
		{name: "order by a computed field", query: `{ author(order_by: {full_name: desc}) { id } }`,
			want: `{"author": [{"id": 2}, {"id": 1}]}`},
		// articles_rated(min_rating 4) of Ada: 1 and 2, 2 hidden for user.
		{name: "table computed field", role: "user", session: user1,
			query: `{ author(order_by: {id: asc}) { id articles_rated(args: {min_rating: 3}, order_by: {id: asc}) { id } } }`,
			want:  `{"author": [{"id": 1, "articles_rated": [{"id": 1}]}, {"id": 2, "articles_rated": [{"id": 4}]}]}`},
		{name: "table computed field, admin", query: `{ author_by_pk(id: 1) { articles_rated(args: {min_rating: 4}, where: {id: {_gt: 0}}, order_by: {id: asc}) { id } } }`,
			want: `{"author_by_pk": {"articles_rated": [{"id": 1}, {"id": 2}]}}`},
		// A computed field with a session argument in a permission
		// filter, directly and through a relationship: owner 2 sees Alan
		// and his articles only.
		// A table computed field in where: its rows under the role's
		// filter on article. Ada's published article 1 is rated 5; for
		// anonymous, Alan's 3 and 4 are rated at most 3.
		{name: "table computed field in where", role: "anonymous",
			query: `{ author(where: {published_articles: {title: {_ilike: "graph%"}}}, order_by: {id: asc}) { id } }`,
			want:  `{"author": [{"id": 1}, {"id": 2}]}`},
		{name: "table computed field in where, nested filter", role: "user", session: user1,
			query: `{ author(where: {published_articles: {rating: {_gt: 4}}}) { id published_articles { id } } }`,
			want:  `{"author": [{"id": 1, "published_articles": [{"id": 1}]}]}`},
		{name: "computed field in a permission filter", role: "owner", session: user2,
			query: `{ author { id full_name } article(order_by: {id: asc}) { id } }`,
			want:  `{"author": [{"id": 2, "full_name": "Alan Turing"}], "article": [{"id": 3}, {"id": 4}]}`},
		{name: "computed field in a permission filter, other session", role: "owner", session: user1,
			query: `{ author { id } search_articles(args: {search: "graph"}, order_by: {id: asc}) { id } }`,
			want:  `{"author": [{"id": 1}], "search_articles": [{"id": 1}, {"id": 2}]}`},
		{name: "computed field in a function's rows", role: "user", session: user1,
			query: `{ first_article { author { full_name } } }`,
			want:  `{"first_article": {"author": {"full_name": "Ada Lovelace"}}}`},
	})

	t.Run("hidden from roles", func(t *testing.T) {
		for _, c := range []struct{ role, query, want string }{
			// anonymous may not aggregate article, so no _aggregate.
			{"anonymous", `{ search_articles_aggregate(args: {search: "g"}) { aggregate { count } } }`, "field 'search_articles_aggregate' not found in type: 'query_root'"},
			// anonymous's select permission lists no computed field.
			{"anonymous", `{ author { full_name } }`, "field 'full_name' not found in type: 'author'"},
			{"anonymous", `{ author(where: {full_name: {_eq: "x"}}) { id } }`, "field 'full_name' not found in type: 'author_bool_exp'"},
			// No function permission: no mutation.
			{"anonymous", `mutation { publish_article(args: {article_id: 2}) { id } }`, "no mutations exist"},
			{"nobody", `{ search_articles(args: {search: "g"}) { id } }`, "field 'search_articles' not found in type: 'query_root'"},
		} {
			got := e.fail(t, c.role, nil, c.query, nil)
			if got.Extensions.Code != "validation-failed" || !strings.Contains(got.Message, c.want) {
				t.Errorf("%s: %s: got %+v, want validation-failed %q", c.role, c.query, got, c.want)
			}
		}
		// Nothing was published by the refused mutation.
		if n := countRows(t, e.pool, `SELECT count(*) FROM article WHERE published`); n != 3 {
			t.Errorf("published articles: %d, want 3", n)
		}
	})

	t.Run("arguments that cannot be passed", func(t *testing.T) {
		for _, c := range []struct{ query, want string }{
			{`{ search_articles(args: {}) { id } }`, "Non default arguments cannot be omitted"},
			{`query($s: String) { search_articles(args: {search: $s}) { id } }`, "Non default arguments cannot be omitted"},
			{`{ articles_between(args: {arg_2: 3}) { id } }`, "Only last set of positional arguments can be omitted"},
		} {
			got := e.fail(t, "anonymous", nil, c.query, nil)
			if got.Extensions.Code != "not-supported" || got.Message != c.want {
				t.Errorf("%s: got %+v, want not-supported %q", c.query, got, c.want)
			}
		}
	})

	// A VOLATILE function returning one row, exposed as a mutation (no
	// exposed_as), reads hasura.user: the engine sets it for the function
	// mutation's transaction as for any mutation.
	t.Run("function mutation sees hasura.user", func(t *testing.T) {
		got := e.data(t, "user", map[string]string{"x-hasura-user-id": "7"}, `mutation { sign_article(args: {article_id: 3}) { id title } }`, nil)
		if title := fmt.Sprint(got["sign_article"].(map[string]any)["title"]); title != "Turing machines (signed by 7)" {
			t.Errorf("title %q", title)
		}
	})

	// Last: it writes. The mutation runs the VOLATILE function once and
	// returns its rows under user's select permission.
	t.Run("function as mutation", func(t *testing.T) {
		got := e.data(t, "user", user1, `mutation { publish_article(args: {article_id: 2}) { id title published } }`, nil)
		want := asJSON(t, `{"publish_article": [{"id": 2, "title": "Graph drafts", "published": true}]}`)
		if d := cmp.Diff(want, any(got)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		// Both the engine and the generated server ran it: the second
		// time the row was already published, and stays so.
		if n := countRows(t, e.pool, `SELECT count(*) FROM article WHERE published`); n != 4 {
			t.Errorf("published articles: %d, want 4", n)
		}
	})
}

// TestFunctionLiveQuery subscribes to a function with a session argument:
// each subscriber's rows are computed with its own session, multiplexed,
// and a new row reaches only the subscriber whose function returns it.
func TestFunctionLiveQuery(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), fnSQL))
	r := newRTOn(t, url, rtOptions{config: fnConfig})
	ids := func(data map[string]any) string {
		var out []string
		for _, row := range data["my_articles"].([]any) {
			out = append(out, fmt.Sprint(row.(map[string]any)["id"]))
		}
		return strings.Join(out, ",")
	}
	const q = `subscription { my_articles(order_by: {id: asc}) { id } }`
	c1 := dial(t, r.url, protoNew, nil)
	c1.init(userInit(1))
	c1.subscribe("1", q, nil)
	c2 := dial(t, r.url, protoNew, nil)
	c2.init(userInit(2))
	c2.subscribe("2", q, nil)
	if got := ids(c1.data("1")); got != "1" {
		t.Fatalf("user 1 first result: %s, want 1 (article 2 is not published)", got)
	}
	if got := ids(c2.data("2")); got != "3,4" {
		t.Fatalf("user 2 first result: %s, want 3,4", got)
	}
	r.exec(t, `INSERT INTO article (id, title, author_id, published, rating) VALUES (5, 'New', 2, true, 1)`)
	if got := ids(c2.data("2")); got != "3,4,5" {
		t.Fatalf("user 2 after insert: %s, want 3,4,5", got)
	}
	r.exec(t, `UPDATE article SET published = true WHERE id = 2`)
	if got := ids(c1.data("1")); got != "1,2" {
		t.Fatalf("user 1 after publishing 2: %s, want 1,2 (and nothing of user 2's insert)", got)
	}
}

// TestFunctionTablesRead checks that a live query reading a function (a
// tracked one, or a computed field's, in the selection or in the role's
// filter) lists it among the tables it reads: a function may read any
// table, so change hints never skip its polls.
func TestFunctionTablesRead(t *testing.T) {
	e, _ := inProcessEngine(t, []string{fnSQL}, fnConfig, nil, nil)
	for _, c := range []struct{ role, query, want string }{
		{"user", `subscription { search_articles(args: {search: "a"}) { id } }`, `"public"."search_articles"()`},
		{"user", `subscription { author { full_name } }`, `"public"."author_full_name"()`},
		{"owner", `subscription { author { id } }`, `"public"."author_is_mine"()`},
		{"user", `subscription { author { articles_rated(args: {min_rating: 1}) { id } } }`, `"public"."author_articles_rated"()`},
	} {
		p, err := e.Prepare(context.Background(), &session.Session{Role: c.role, Vars: map[string]string{"x-hasura-user-id": "1"}}, &wire.Request{Query: c.query})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if tables := p.Plan.Fields[0].Tables; !slices.Contains(tables, c.want) {
			t.Errorf("%s: tables read %v, want %s among them", c.query, tables, c.want)
		}
	}
}

// TestFunctionPermissionsNotInferred runs the fixture with
// HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false, in process and on the
// generated server: search_articles (function permission for user only)
// exists for user alone, top_articles (no function permission) for admin
// alone, in validation and in introspection.
func TestFunctionPermissionsNotInferred(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), fnSQL))
	e, _ := inProcessEngine(t, []string{fnSQL}, fnConfig, nil, func(cfg *engine.Config) { cfg.ExplicitFunctionPermissions = true })
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), fnConfig)},
		map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret, "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS": "false"})
	run := func(role, query string) []string {
		s := &session.Session{Role: role, Vars: map[string]string{"x-hasura-user-id": "1"}}
		out := []string{string(e.Do(context.Background(), s, &wire.Request{Query: query}))}
		headers := map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": role, "X-Hasura-User-Id": "1"}
		body, _ := json.Marshal(map[string]string{"query": query})
		_, resp := post(t, srv.URL+"/v1/graphql", string(body), headers)
		return append(out, resp)
	}
	for _, c := range []struct{ role, query, want string }{
		{"user", `{ search_articles(args: {search: "graph"}, order_by: {id: asc}) { id } }`, `{"data":{"search_articles":[{"id":1}, {"id":4}]}}`},
		{"anonymous", `{ search_articles(args: {search: "graph"}) { id } }`, `"message":"field 'search_articles' not found in type: 'query_root'"`},
		{"user", `{ top_articles { id } }`, `"message":"field 'top_articles' not found in type: 'query_root'"`},
		{"admin", `{ top_articles(args: {lim: 1}) { id } }`, `{"data":{"top_articles":[{"id":1}]}}`},
	} {
		for i, got := range run(c.role, c.query) {
			if !strings.Contains(got, c.want) {
				t.Errorf("%s %s (%s): got %s, want %s", c.role, c.query, []string{"in process", "over HTTP"}[i], got, c.want)
			}
		}
	}
	// Subscriptions too.
	_, err := e.Prepare(context.Background(), &session.Session{Role: "user"},
		&wire.Request{Query: `subscription { top_articles_aggregate { aggregate { count } } }`})
	if err == nil || !strings.Contains(err.Error(), "field 'top_articles_aggregate' not found in type: 'subscription_root'") {
		t.Errorf("subscription: %v", err)
	}
	// Introspection (answered by the generated server's gqlgen executor).
	got := run("anonymous", `{ __type(name: "query_root") { fields { name } } }`)[1]
	if strings.Contains(got, "search_articles") || strings.Contains(got, "top_articles") || !strings.Contains(got, `"article"`) {
		t.Errorf("introspection: %s", got)
	}
	// Nor their args types; user keeps search_articles_args.
	for role, want := range map[string]string{"anonymous": `"__type":null`, "user": `"name":"search_articles_args"`} {
		if got := run(role, `{ __type(name: "search_articles_args") { name } }`)[1]; !strings.Contains(got, want) {
			t.Errorf("%s: search_articles_args: %s", role, got)
		}
	}
	if got := run("user", `{ __type(name: "top_articles_args") { name } }`)[1]; !strings.Contains(got, `"__type":null`) {
		t.Errorf("user: top_articles_args: %s", got)
	}
}

// BenchmarkFunctionQuery compares a tracked function's root field with the
// same rows selected from the table, role user (filter on article,
// computed field in the selection), through Engine.Do.
func BenchmarkFunctionQuery(b *testing.B) {
	e, _ := inProcessEngine(b, []string{fnSQL}, fnConfig, nil, nil)
	s := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1"}}
	for _, c := range []struct{ name, query string }{
		{"table", `{ article(where: {title: {_ilike: "%graph%"}}) { id title author { full_name } } }`},
		{"function", `{ search_articles(args: {search: "graph"}) { id title author { full_name } } }`},
		{"function_mutation", `mutation { publish_article(args: {article_id: 1}) { id title author { full_name } } }`},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := &wire.Request{Query: c.query}
			for b.Loop() {
				if out := e.Do(context.Background(), s, req); strings.Contains(string(out), `"errors"`) {
					b.Fatal(string(out))
				}
			}
		})
	}
}
