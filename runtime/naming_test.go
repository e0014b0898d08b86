package runtime_test

import (
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/session"
)

// Naming conventions and source customization end to end: the mutations
// fixture's tables under graphql-default (testdata/fixtures/naming/
// graphql_default) and under a root field namespace with prefixes and
// suffixes (naming/namespace), each answered in process and by the
// generated server over HTTP (byte-identical), the response keys asserted
// exactly.

const (
	namingGraphQLDefault = "testdata/fixtures/naming/graphql_default"
	namingNamespace      = "testdata/fixtures/naming/namespace"
)

// namingCase is a request and its exact response.
type namingCase struct {
	name, query, want string
}

func runNamingCases(t *testing.T, e *testEngine, role string, vars map[string]string, cases []namingCase) {
	t.Helper()
	for _, c := range cases {
		var got string
		if strings.HasPrefix(c.query, "mutation") {
			got = e.mutateHTTP(t, role, vars, c.query, nil) // once: it writes
		} else {
			got = e.raw(t, role, vars, c.query, nil)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestNamingGraphQLDefault: camelCase fields and arguments, PascalCase
// types, upper-case order_by values, in queries, aggregates and mutations.
func TestNamingGraphQLDefault(t *testing.T) {
	e := newFixtureEngine(t, mutSQL, namingGraphQLDefault, false)
	admin := session.AdminRole
	runNamingCases(t, e, admin, nil, []namingCase{
		{"select", `{ articles(where: {isPublished: {_eq: true}}, orderBy: {id: ASC}) { id authorId isPublished author { name } __typename } }`,
			`{"data":{"articles":[{"id":1,"authorId":1,"isPublished":true,"author":{"name":"Ada"},"__typename":"Articles"}, {"id":3,"authorId":2,"isPublished":true,"author":{"name":"Brian"},"__typename":"Articles"}]}}`},
		{"distinctOn", `{ articles(distinctOn: [authorId], orderBy: [{authorId: ASC}, {id: DESC_NULLS_LAST}]) { id } }`,
			`{"data":{"articles":[{"id":2}, {"id":3}]}}`},
		{"_isNull", `{ articles(where: {body: {_isNull: true}}) { id } }`, `{"data":{"articles":[{"id":2}]}}`},
		{"byPk", `{ articlesByPk(id: 3) { title } }`, `{"data":{"articlesByPk":{"title":"Unix"}}}`},
		{"relationship aggregate", `{ authors(orderBy: {articlesAggregate: {count: DESC}}) { name articlesAggregate { aggregate { count max { id } } } } }`,
			`{"data":{"authors":[{"name":"Ada","articlesAggregate":{"aggregate":{"count":2,"max":{"id":2}}}}, {"name":"Brian","articlesAggregate":{"aggregate":{"count":1,"max":{"id":3}}}}]}}`},
		{"aggregate", `{ articlesAggregate(where: {authorId: {_eq: 1}}) { aggregate { count varPop { views } } nodes { id } __typename } }`,
			`{"data":{"articlesAggregate":{"aggregate":{"count":2,"varPop":{"views":0}},"nodes":[{"id":1}, {"id":2}],"__typename":"ArticlesAggregate"}}}`},
		{"aggregate predicate", `{ authors(where: {articlesAggregate: {count: {predicate: {_gt: 1}}}}) { name } }`,
			`{"data":{"authors":[{"name":"Ada"}]}}`},
		{"jsonb operator", `{ authors(where: {bio: {_hasKey: "langs"}}) { name } }`, `{"data":{"authors":[{"name":"Ada"}]}}`},
		{"insert", `mutation { insertArticles(objects: [{authorId: 2, title: "New", ownerId: 2}], onConflict: {constraint: articles_author_title_key, updateColumns: [body]}) { affectedRows returning { title isPublished } } }`,
			`{"data":{"insertArticles":{"affectedRows":1,"returning":[{"title":"New","isPublished":false}]}}}`},
		{"upsert", `mutation { insertArticlesOne(object: {authorId: 2, title: "New", body: "again", ownerId: 2}, onConflict: {constraint: articles_author_title_key, updateColumns: [body]}) { title body } }`,
			`{"data":{"insertArticlesOne":{"title":"New","body":"again"}}}`},
		{"updateByPk", `mutation { updateArticlesByPk(pkColumns: {id: 1}, _set: {body: "b"}, _inc: {views: 2}) { views body } }`,
			`{"data":{"updateArticlesByPk":{"views":2,"body":"b"}}}`},
		{"update jsonb", `mutation { updateArticles(where: {id: {_eq: 1}}, _deleteKey: {data: "a"}) { affectedRows returning { data } } }`,
			`{"data":{"updateArticles":{"affectedRows":1,"returning":[{"data":{"list": [1, 2, 3]}}]}}}`},
		{"updateMany", `mutation { updateArticlesMany(updates: [{where: {id: {_eq: 2}}, _set: {title: "D2"}}, {where: {id: {_eq: 99}}, _set: {title: "none"}}]) { affectedRows } }`,
			`{"data":{"updateArticlesMany":[{"affectedRows":1},{"affectedRows":0}]}}`},
		{"deleteByPk", `mutation { deleteArticlesByPk(id: 2) { id title } }`, `{"data":{"deleteArticlesByPk":{"id":2,"title":"D2"}}}`},
	})
	// hasura-default's names are not in this schema.
	for _, q := range []string{`{ articles(order_by: {id: asc}) { id } }`, `{ articles { author_id } }`, `{ articles_by_pk(id: 1) { id } }`} {
		if f := e.fail(t, admin, nil, q, nil); f.Extensions.Code != "validation-failed" {
			t.Errorf("%s: code %q, want validation-failed", q, f.Extensions.Code)
		}
	}
	// A role's filters apply under the new names.
	runNamingCases(t, e, "user", map[string]string{"x-hasura-user-id": "2"}, []namingCase{
		{"role", `{ articles(orderBy: {id: ASC}) { id ownerId } }`, `{"data":{"articles":[{"id":3,"ownerId":2}, {"id":4,"ownerId":2}]}}`},
	})
}

// TestNamingNamespace: the root fields under root_fields.namespace, with
// the root field and type name prefixes and suffixes, in the request and
// the response; a namespace's mutations run in one transaction.
func TestNamingNamespace(t *testing.T) {
	e := newFixtureEngine(t, mutSQL, namingNamespace, false)
	admin := session.AdminRole
	// A role's schema has the namespace too, with only what the role sees.
	runNamingCases(t, e, "user", map[string]string{"x-hasura-user-id": "1"}, []namingCase{
		{"role", `{ blog { my_articles_v1(order_by: {id: asc}) { id } __typename } }`, `{"data":{"blog":{"my_articles_v1":[{"id":1}, {"id":2}],"__typename":"B_blog_query_t"}}}`},
	})
	if f := e.fail(t, "user", map[string]string{"x-hasura-user-id": "1"}, `{ blog { my_counters_aggregate_v1 { aggregate { count } } } }`, nil); f.Extensions.Code != "validation-failed" {
		t.Errorf("aggregate without allow_aggregations: code %q", f.Extensions.Code)
	}
	runNamingCases(t, e, admin, nil, []namingCase{
		{"query", `{ blog { my_articles_v1(where: {id: {_eq: 1}}) { id title __typename } one: my_articles_by_pk_v1(id: 3) { title } none: my_articles_by_pk_v1(id: 99) { title } __typename } }`,
			`{"data":{"blog":{"my_articles_v1":[{"id":1,"title":"Notes","__typename":"B_articles_t"}],"one":{"title":"Unix"},"none":null,"__typename":"B_blog_query_t"}}}`},
		{"aggregate", `query { top: __typename blog { my_articles_aggregate_v1(where: {author_id: {_eq: 1}}) { aggregate { count } } } }`,
			`{"data":{"top":"query_root","blog":{"my_articles_aggregate_v1":{"aggregate":{"count":2}}}}}`},
		{"two namespaces", `{ a: blog { my_counters_v1(order_by: {name: asc}) { name } } b: blog { my_counters_by_pk_v1(name: "users") { value } } }`,
			`{"data":{"a":{"my_counters_v1":[{"name":"admin"}, {"name":"users"}]},"b":{"my_counters_by_pk_v1":{"value":1}}}}`},
		{"mutation", `mutation { blog { my_insert_articles_one_v1(object: {author_id: 1, title: "X", owner_id: 1}) { title } my_update_articles_v1(where: {title: {_eq: "X"}}, _set: {body: "y"}) { affected_rows returning { body } } __typename many: my_update_articles_many_v1(updates: [{where: {title: {_eq: "X"}}, _inc: {views: 1}}]) { affected_rows } } }`,
			`{"data":{"blog":{"my_insert_articles_one_v1":{"title":"X"},"my_update_articles_v1":{"affected_rows":1,"returning":[{"body":"y"}]},"__typename":"B_blog_mutation_frontend_t","many":[{"affected_rows":1}]}}}`},
	})
	// Errors inside the namespace say where.
	if f := e.fail(t, admin, nil, `{ blog { x: my_articles_v1(distinct_on: [title], order_by: {id: asc}) { id } } }`, nil); !strings.HasPrefix(f.Extensions.Path, "$.selectionSet.blog.selectionSet.x.") {
		t.Errorf("error path %q (%s)", f.Extensions.Path, f.Message)
	}
	// The unprefixed names are not in the schema.
	if f := e.fail(t, admin, nil, `{ articles { id } }`, nil); f.Extensions.Code != "validation-failed" {
		t.Errorf("articles at the root: code %q", f.Extensions.Code)
	}
	// A failing field rolls back the namespace's earlier ones.
	f := e.fail(t, admin, nil, `mutation { blog { a: my_insert_articles_one_v1(object: {author_id: 1, title: "Y", owner_id: 1}) { id } b: my_insert_comments_one_v1(object: {article_id: 1, body: "", owner_id: 1}) { id } } }`, nil)
	if f.Extensions.Code != "constraint-violation" {
		t.Errorf("check violation: code %q (%s)", f.Extensions.Code, f.Message)
	}
	if n := countRows(t, e.pool, `SELECT count(*) FROM articles WHERE title = 'Y'`); n != 0 {
		t.Errorf("the namespace's first insert was committed: %d rows", n)
	}
}

// TestNamingSubscriptions: a live query under graphql-default and one under
// a namespace send their results with the schema's keys.
func TestNamingSubscriptions(t *testing.T) {
	for _, c := range []struct {
		name, config, query, first, after string
	}{
		{"graphql-default", "testdata/fixtures/naming/subs_graphql_default",
			`subscription { items(orderBy: {id: ASC}) { ownerId label } }`,
			`{"data":{"items":[]}}`, `{"data":{"items":[{"ownerId":1,"label":"a"}]}}`},
		{"namespace", "testdata/fixtures/naming/subs_namespace",
			`subscription { live { itemsAggregate { aggregate { count } } mine: items { label } } }`,
			`{"data":{"live":{"itemsAggregate":{"aggregate":{"count":0}},"mine":[]}}}`,
			`{"data":{"live":{"itemsAggregate":{"aggregate":{"count":1}},"mine":[{"label":"a"}]}}}`},
		{"graphql-default stream", "testdata/fixtures/naming/subs_graphql_default",
			`subscription { eventsStream(batchSize: 5, cursor: {initialValue: {id: 0}, ordering: ASC}, where: {ownerId: {_eq: 1}}) { ownerId note } }`,
			"", `{"data":{"eventsStream":[{"ownerId":1,"note":"a"}]}}`},
		{"namespace stream", "testdata/fixtures/naming/subs_namespace",
			`subscription { live { s: eventsStream(batchSize: 5, cursor: {initialValue: {id: 0}}) { note } } }`,
			"", `{"data":{"live":{"s":[{"note":"a"}]}}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t, rtOptions{config: c.config})
			ws := dial(t, r.url, protoNew, nil)
			ws.init(userInit(1))
			ws.subscribe("1", c.query, nil)
			if c.first != "" { // a stream sends nothing before there are rows
				if got := string(ws.expect("next", "1").Payload); got != c.first {
					t.Fatalf("first result: %s, want %s", got, c.first)
				}
			}
			// Another user's row changes nothing this subscriber sees; its
			// own does.
			r.exec(t, `INSERT INTO items (owner_id, label) VALUES (2, 'b'), (1, 'a')`)
			r.exec(t, `INSERT INTO events (owner_id, note) VALUES (2, 'b'), (1, 'a')`)
			got := ws.expect("next", "1").Payload
			if string(got) != c.after {
				t.Fatalf("after insert: %s, want %s", got, c.after)
			}
		})
	}
}

// TestNamingEnumValues: under graphql-default an enum table's values are
// upper-cased in requests and responses, as Hasura names them, and stored
// as they are.
func TestNamingEnumValues(t *testing.T) {
	e := newFixtureEngine(t, "testdata/fixtures/enums/schema.sql", "testdata/fixtures/naming/enums_graphql_default", false)
	admin := session.AdminRole
	runNamingCases(t, e, admin, nil, []namingCase{
		{"select", `{ users(orderBy: {id: ASC}) { name role previousRole } }`,
			`{"data":{"users":[{"name":"Ann","role":"ADMIN","previousRole":null}, {"name":"Bob","role":"EDITOR","previousRole":"VIEWER"}, {"name":"Cid","role":"VIEWER","previousRole":null}]}}`},
		{"_eq", `{ users(where: {role: {_eq: EDITOR}}) { name } }`, `{"data":{"users":[{"name":"Bob"}]}}`},
		{"_in", `{ users(where: {role: {_in: [ADMIN, VIEWER]}}, orderBy: {id: ASC}) { name } }`, `{"data":{"users":[{"name":"Ann"}, {"name":"Cid"}]}}`},
		{"underscore value", `{ supportTickets(where: {state: {_eq: ON_HOLD}}) { title state } }`, `{"data":{"supportTickets":[{"title":"Coffee","state":"ON_HOLD"}]}}`},
		{"byPk", `{ roleLimitsByPk(role: VIEWER) { role maxTickets } }`, `{"data":{"roleLimitsByPk":{"role":"VIEWER","maxTickets":1}}}`},
		{"insert", `mutation { insertUsersOne(object: {name: "Dan", role: EDITOR}) { name role } }`, `{"data":{"insertUsersOne":{"name":"Dan","role":"EDITOR"}}}`},
		{"update", `mutation { updateUsers(where: {name: {_eq: "Dan"}}, _set: {previousRole: ADMIN}) { affectedRows returning { previousRole } } }`,
			`{"data":{"updateUsers":{"affectedRows":1,"returning":[{"previousRole":"ADMIN"}]}}}`},
		{"aggregate", `{ usersAggregate(where: {role: {_neq: ADMIN}}) { aggregate { count } nodes { role } } }`,
			`{"data":{"usersAggregate":{"aggregate":{"count":3},"nodes":[{"role":"EDITOR"}, {"role":"VIEWER"}, {"role":"EDITOR"}]}}}`},
	})
	// A variable's values are mapped too.
	got := e.raw(t, admin, nil, `query ($r: [UserRoleEnum!]) { users(where: {role: {_in: $r}}, orderBy: {id: ASC}) { name } }`, map[string]any{"r": []string{"ADMIN", "VIEWER"}})
	if want := `{"data":{"users":[{"name":"Ann"}, {"name":"Cid"}]}}`; got != want {
		t.Errorf("_in variable:\n got %s\nwant %s", got, want)
	}
	// The database holds the values as they are.
	if n := countRows(t, e.pool, `SELECT count(*) FROM users WHERE name = 'Dan' AND role = 'editor' AND previous_role = 'admin'`); n != 1 {
		t.Errorf("Dan's row as stored: %d rows match", n)
	}
	// A permission filter on an enum column (written with the database's
	// value) holds: Ann, an admin, is not updated.
	runNamingCases(t, e, "user", nil, []namingCase{
		{"role update", `mutation { updateUsers(where: {}, _set: {previousRole: EDITOR}) { affectedRows } }`, `{"data":{"updateUsers":{"affectedRows":3}}}`},
	})
	if n := countRows(t, e.pool, `SELECT count(*) FROM users WHERE name = 'Ann' AND previous_role IS NULL`); n != 1 {
		t.Error("the admin row outside the update filter was updated")
	}
	// The values as the database holds them are not in the schema.
	if f := e.fail(t, admin, nil, `{ users(where: {role: {_eq: editor}}) { name } }`, nil); f.Extensions.Code != "validation-failed" {
		t.Errorf("lower-case enum value: code %q", f.Extensions.Code)
	}
}
