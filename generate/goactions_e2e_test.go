package generate_test

// End-to-end test of Go-handled actions and per-role custom fields: the
// project of testdata/goactions is generated, its actions/handlers.go and
// graph/ written by the test as a user would, generated again (the
// user's files kept), built, started, and asked over HTTP.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

const (
	goActionsSchema   = "testdata/goactions/schema.sql"
	goActionsMetadata = "testdata/goactions/metadata"
)

// goActionHandlers is the user's actions/handlers.go: place_order inserts
// through the generated insert_orders_one as the caller, inside the
// request's transaction, and fails (after its insert) for a quantity over
// 100; the queries return the keys they are given; echo answers from the
// request handle.
const goActionHandlers = `package actions

import (
	"context"

	runtimeactions "github.com/hasgen/hasgen/runtime/actions"
)

func Setup() Handlers {
	return Handlers{
		PlaceOrder: func(ctx context.Context, req *runtimeactions.Request, in PlaceOrderArgs) (*OrdersKey, error) {
			var data struct {
				Insert *struct {
					ID int32 ` + "`json:\"id\"`" + `
				} ` + "`json:\"insert_orders_one\"`" + `
			}
			err := req.GraphQL(ctx, "mutation ($item: String!, $qty: Int!) { insert_orders_one(object: {item: $item, qty: $qty}) { id } }",
				map[string]any{"item": in.Item, "qty": in.Qty}, &data)
			if err != nil {
				return nil, err
			}
			if in.Qty > 100 {
				return nil, &runtimeactions.Error{Message: "too many", Extensions: map[string]any{"code": "too-many", "max": 100}}
			}
			return &OrdersKey{ID: data.Insert.ID}, nil
		},
		OrderByID: func(ctx context.Context, req *runtimeactions.Request, in OrderByIDArgs) (*OrdersKey, error) {
			if in.ID == -2 {
				// A query action may not write.
				return nil, req.GraphQL(ctx, "mutation { insert_orders_one(object: {item: \"x\", qty: 1}) { id } }", nil, nil)
			}
			if in.ID < 0 {
				return nil, nil
			}
			return &OrdersKey{ID: int32(in.ID)}, nil
		},
		OrdersByIds: func(ctx context.Context, req *runtimeactions.Request, in OrdersByIdsArgs) ([]OrdersKey, error) {
			out := []OrdersKey{}
			for _, id := range in.Ids {
				out = append(out, OrdersKey{ID: int32(id)})
			}
			return out, nil
		},
		Echo: func(ctx context.Context, req *runtimeactions.Request, in EchoArgs) (*EchoOut, error) {
			if in.Text == "panic" {
				panic("a bug in the handler")
			}
			h := req.Headers.Get("X-Echo")
			return &EchoOut{Text: in.Text + " from " + req.Session["x-hasura-user-id"], Role: req.Role, Header: &h, Mood: in.Mood}, nil
		},
	}
}
`

// goActionsCustomSDL is the user's graph/custom.graphqls: hello for every
// role, clerk_hello for clerk only.
const goActionsCustomSDL = `schema {
  query: query_root
}

type query_root {
  hello: String!
  clerk_hello: String! @roles(names: ["clerk", "clark"])
}
`

const goActionsResolvers = `package graph

import "context"

func (r *query_rootResolver) Hello(ctx context.Context) (string, error) { return "hello", nil }

func (r *query_rootResolver) ClerkHello(ctx context.Context) (string, error) { return "hello clerk", nil }

func (r *Resolver) Query_root() Query_rootResolver { return &query_rootResolver{r} }

type query_rootResolver struct{ *Resolver }
`

// TestGoActionsServe: actions answered by the Go handlers of the emitted
// project's actions/handlers.go, and a custom field per role.
func TestGoActionsServe(t *testing.T) {
	ctx := context.Background()
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, goActionsSchema)
	out := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		p := filepath.Join(out, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("graph/custom.graphqls", goActionsCustomSDL)
	write("graph/custom.resolvers.go", goActionsResolvers)
	gen := func() *generate.Result {
		t.Helper()
		res, err := generate.Generate(ctx, generate.Options{DatabaseURL: url, Config: goActionsMetadata, Out: out, RuntimeReplace: root, Module: "server"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := gen()
	// Generate warns of a role an action's permissions list but that does
	// not get its field, and of a role @roles names that does not exist.
	warnings := strings.Join(res.Warnings, "\n")
	for _, want := range []string{
		`testdata/goactions/metadata/actions.graphql:7:3: action "order_by_id": role guest may not select orders's primary key (or has no orders root field), so its schema has no field order_by_id`,
		`graph/custom.graphqls:7:48: field query_root.clerk_hello: @roles names role "clark", which no permission of the metadata has`,
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack\n%s\ngot\n%s", want, warnings)
		}
	}
	scaffold, err := os.ReadFile(filepath.Join(out, "actions", "handlers.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(scaffold, []byte("// PlaceOrder: func(ctx context.Context, req *runtimeactions.Request, in PlaceOrderArgs) (*OrdersKey, error) {")) {
		t.Errorf("the scaffolded actions/handlers.go does not show PlaceOrder's handler:\n%s", scaffold)
	}
	write("actions/handlers.go", goActionHandlers)
	gen()
	if kept, _ := os.ReadFile(filepath.Join(out, "actions", "handlers.go")); string(kept) != goActionHandlers {
		t.Fatalf("generate rewrote the user's actions/handlers.go:\n%s", kept)
	}
	gen2, _ := os.ReadFile(filepath.Join(out, "actions", "actions.go"))
	for _, want := range []string{"type OrdersKey struct", "type EchoOut struct", "MoodLoud Mood = \"LOUD\"",
		"PlaceOrder func(ctx context.Context, req *runtimeactions.Request, in PlaceOrderArgs) (*OrdersKey, error)",
		"OrdersByIds func(ctx context.Context, req *runtimeactions.Request, in OrdersByIdsArgs) ([]OrdersKey, error)"} {
		if !bytes.Contains(gen2, []byte(want)) {
			t.Errorf("actions/actions.go lacks %q", want)
		}
	}
	b, err := e2e.BuildDir(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	// ECHO_WEBHOOK is not set: echo's Go handler replaces its webhook.
	srv, err := b.Start(ctx, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_ADMIN_SECRET": adminSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", srv.Logs())
		}
	})
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	count := func() int {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	as := func(role, user string) map[string]string {
		h := map[string]string{"x-hasura-admin-secret": adminSecret, "x-hasura-role": role, "X-Echo": "echoed"}
		if user != "" {
			h["x-hasura-user-id"] = user
		}
		return h
	}
	ann, bob, clerk, guest := as("user", "1"), as("user", "2"), as("clerk", ""), as("guest", "")

	tests := []struct {
		name    string
		headers map[string]string
		query   string
		want    string
		// rows is the number of orders after the request.
		rows int
	}{
		{
			name:    "a mutation action inserts as the caller and returns the row, its relationship selected",
			headers: ann,
			query:   `mutation { place_order(item: "pen", qty: 2) { item qty customer { name } by_typename: __typename } }`,
			want:    `{"data":{"place_order":{"item":"pen","qty":2,"customer":{"name":"ann"},"by_typename":"orders"}}}`,
			rows:    3,
		},
		{
			name:    "a handler error is the field's error, and its insert is rolled back",
			headers: ann,
			query:   `mutation { place_order(item: "crate", qty: 500) { id } }`,
			want:    `{"errors":[{"message":"too many","extensions":{"code":"too-many","max":100}}]}`,
			rows:    3,
		},
		{
			name:    "a failing handler rolls back the request's other root fields too",
			headers: ann,
			query:   `mutation { insert_orders_one(object: {item: "first", qty: 1}) { id } place_order(item: "crate", qty: 500) { id } }`,
			want:    `{"errors":[{"message":"too many","extensions":{"code":"too-many","max":100}}]}`,
			rows:    3,
		},
		{
			name:    "the insert's own permission check fails inside the handler: nothing written",
			headers: ann,
			query:   `mutation { place_order(item: "none", qty: 0) { id } }`,
			want:    `{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"path":"$.selectionSet.insert_orders_one.args.object","code":"permission-error"}}]}`,
			rows:    3,
		},
		{
			name:    "a role without the action's permission does not see it",
			headers: clerk,
			query:   `mutation { place_order(item: "pen", qty: 2) { id } }`,
			want:    `{"errors":[{"message":"field 'place_order' not found in type: 'mutation_root'","extensions":{"path":"$.selectionSet.place_order","code":"validation-failed"}}]}`,
			rows:    3,
		},
		{
			name:    "a row the role may select",
			headers: bob,
			query:   `{ order_by_id(id: 2) { id item customer { name } } }`,
			want:    `{"data":{"order_by_id":{"id":2,"item":"bob-lamp","customer":{"name":"bob"}}}}`,
			rows:    3,
		},
		{
			name:    "another user's row is null: bob-lamp does not come back",
			headers: ann,
			query:   `{ order_by_id(id: 2) { id item } }`,
			want:    `{"data":{"order_by_id":null}}`,
			rows:    3,
		},
		{
			name:    "a list drops the rows the role may not see",
			headers: ann,
			query:   `{ orders_by_ids(ids: [2, 1, 99]) { id item } }`,
			want:    `{"data":{"orders_by_ids":[{"id":1,"item":"ann-book"}]}}`,
			rows:    3,
		},
		{
			name:    "the clerk's filter hides a large order",
			headers: clerk,
			query:   `{ small: order_by_id(id: 1) { item } large: order_by_id(id: 2) { item } }`,
			want:    `{"data":{"small":{"item":"ann-book"},"large":null}}`,
			rows:    3,
		},
		{
			name:    "a column the clerk may not select is a validation error",
			headers: clerk,
			query:   `{ order_by_id(id: 1) { item qty } }`,
			want:    `{"errors":[{"message":"field 'qty' not found in type: 'orders'","extensions":{"path":"$.selectionSet.order_by_id.selectionSet.qty","code":"validation-failed"}}]}`,
			rows:    3,
		},
		{
			name:    "a role that may not select the key has no such field",
			headers: guest,
			query:   `{ order_by_id(id: 1) { item } }`,
			want:    `{"errors":[{"message":"field 'order_by_id' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.order_by_id","code":"validation-failed"}}]}`,
			rows:    3,
		},
		{
			name:    "a webhook action answered in Go: session, client headers, enum default",
			headers: ann,
			query:   `{ echo(text: "hi") { text role header mood } }`,
			want:    `{"data":{"echo":{"text":"hi from 1","role":"user","header":"echoed","mood":"CALM"}}}`,
			rows:    3,
		},
		{
			name:    "a query action's handler may not run mutations",
			headers: ann,
			query:   `{ order_by_id(id: -2) { id } }`,
			want:    `{"errors":[{"message":"a query action's handler may not run mutations","extensions":{"path":"$","code":"validation-failed"}}]}`,
			rows:    3,
		},
		{
			name:    "a null key is a null row",
			headers: ann,
			query:   `{ order_by_id(id: -1) { id } }`,
			want:    `{"data":{"order_by_id":null}}`,
			rows:    3,
		},
		{
			name:    "a handler that panics fails its field, not the server",
			headers: ann,
			query:   `{ echo(text: "panic") { text } }`,
			want:    `{"errors":[{"message":"internal error","extensions":{"path":"$","code":"unexpected"}}]}`,
			rows:    3,
		},
		{
			name:    "a custom field for every role",
			headers: ann,
			query:   `{ hello }`,
			want:    `{"data":{"hello":"hello"}}`,
			rows:    3,
		},
		{
			name:    "a custom field with @roles, for its role",
			headers: clerk,
			query:   `{ clerk_hello }`,
			want:    `{"data":{"clerk_hello":"hello clerk"}}`,
			rows:    3,
		},
		{
			name:    "a custom field with @roles does not exist for another role",
			headers: ann,
			query:   `{ clerk_hello }`,
			want:    `{"errors":[{"message":"field 'clerk_hello' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.clerk_hello","code":"validation-failed"}}]}`,
			rows:    3,
		},
		{
			name:    "nor in its introspection",
			headers: ann,
			query:   `{ __type(name: "query_root") { fields { name } } }`,
			rows:    3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := postGraphQL(t, srv.URL, tt.headers, tt.query)
			if tt.want == "" {
				// Introspection: what must not be there, and what must.
				if strings.Contains(got, `"clerk_hello"`) || strings.Contains(got, `"place_order"`) || !strings.Contains(got, `"hello"`) || !strings.Contains(got, `"order_by_id"`) {
					t.Errorf("user's query_root fields: %s", got)
				}
			} else if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if n := count(); n != tt.rows {
				t.Errorf("%d orders, want %d", n, tt.rows)
			}
		})
	}
	// The clerk's introspection shows clerk_hello.
	if got := postGraphQL(t, srv.URL, clerk, `{ __type(name: "query_root") { fields { name } } }`); !strings.Contains(got, `"clerk_hello"`) {
		t.Errorf("clerk's query_root lacks clerk_hello: %s", got)
	}
}
