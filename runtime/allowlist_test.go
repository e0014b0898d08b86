package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/allowlist"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5"
)

const (
	allowSQL    = "testdata/fixtures/allowlist/schema.sql"
	allowConfig = "testdata/fixtures/allowlist/metadata"
	// notAllowed is Hasura's answer to an operation outside the allow list.
	notAllowed = `{"errors":[{"message":"query is not allowed","extensions":{"path":"$","code":"validation-failed"}}]}`
)

// allowPost sends body to the server as role (admin's secret, the role
// impersonated; "" for admin itself) and returns status and body.
func allowPost(t *testing.T, base, role, body string) string {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/v1/graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
	if role != "" {
		req.Header.Set("X-Hasura-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// Compacted: Postgres writes ", " between array elements.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return resp.Status + " " + out.String()
}

func gqlBody(query string, variables map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	return string(b)
}

// TestAllowListServer generates the fixture's server (its
// query_collections.yaml and allow_list.yaml become
// schema/allow_list.jsonc), starts it with HASURA_GRAPHQL_ENABLE_ALLOWLIST
// and talks to it as a client: over HTTP and both websocket protocols an
// operation of the allow list answers, whatever its spacing and
// __typename fields, and any other gets Hasura's error, introspection
// included; the role-scoped collection answers its role only; admin runs
// anything. Without the variable the allow list is off.
func TestAllowListServer(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), allowSQL))
	project := e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), allowConfig)}
	s := e2e.StartT(t, project, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret, "HASURA_GRAPHQL_ENABLE_ALLOWLIST": "true"})

	titles := `{"data":{"notes":[{"id":1,"title":"first"},{"id":2,"title":"second"}]}}`
	owners := `{"data":{"notes":[{"id":1,"owner":"ann"},{"id":2,"owner":"bob"}]}}`
	ok := "200 OK "
	tests := []struct {
		name, role, query string
		want              string
	}{
		{"listed, as written", "user", "query Titles {\n  notes(order_by: {id: asc}) {\n    id\n    title\n  }\n}\n", ok + titles},
		{"listed, respaced", "user", "query Titles { notes(order_by: {id: asc}) { id, title } }", ok + titles},
		{"listed, with __typename", "user", "query Titles { __typename notes(order_by: {id: asc}) { __typename id title } }",
			ok + `{"data":{"__typename":"query_root","notes":[{"__typename":"notes","id":1,"title":"first"},{"__typename":"notes","id":2,"title":"second"}]}}`},
		{"fields in another order", "user", "query Titles { notes(order_by: {id: asc}) { title id } }", ok + notAllowed},
		{"another operation name", "user", "query T { notes(order_by: {id: asc}) { id title } }", ok + notAllowed},
		{"unlisted", "user", "{ notes { id } }", ok + notAllowed},
		{"in a collection outside the allow list", "user", "query ByPK { notes_by_pk(id: 1) { title } }", ok + notAllowed},
		{"introspection", "user", "{ __schema { queryType { name } } }", ok + notAllowed},
		{"unlisted and invalid: refused before validation", "user", "{ nope }", ok + notAllowed},
		{"does not parse", "user", "{ notes {", ok + `{"errors":[{"message":"1:10: Expected Name, found \u003cEOF\u003e","extensions":{"path":"$.query","code":"validation-failed"}}]}`},
		{"role-scoped, its role", "manager", "query Owners { notes(order_by: {id: asc}) { id owner } }", ok + owners},
		{"role-scoped, another role", "user", "query Owners { notes(order_by: {id: asc}) { id owner } }", ok + notAllowed},
		{"global, the scoped role", "manager", "query Titles { notes(order_by: {id: asc}) { id title } }", ok + titles},
		{"admin, unlisted", "", "{ notes(order_by: {id: asc}) { id owner } }", ok + owners},
		{"admin, introspection", "", `{ __type(name: "notes") { name } }`, ok + `{"data":{"__type":{"name":"notes"}}}`},
	}
	for _, tt := range tests {
		t.Run("http "+tt.name, func(t *testing.T) {
			if got := allowPost(t, s.URL, tt.role, gqlBody(tt.query, nil)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	t.Run("http batch", func(t *testing.T) {
		body := "[" + gqlBody("query Titles { notes(order_by: {id: asc}) { id title } }", nil) + "," + gqlBody("{ notes { owner } }", nil) + "]"
		want := ok + "[" + titles + "," + notAllowed + "]"
		if got := allowPost(t, s.URL, "user", body); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	// A mutation outside the list writes nothing; the listed one writes.
	t.Run("http mutation", func(t *testing.T) {
		unlisted := gqlBody(`mutation { insert_notes_one(object: {id: 3, title: "x", owner: "eve"}) { id } }`, nil)
		if got := allowPost(t, s.URL, "user", unlisted); got != ok+notAllowed {
			t.Errorf("unlisted mutation: %s", got)
		}
		if n := countNotes(t, url, 3); n != 0 {
			t.Errorf("the refused mutation inserted %d row(s)", n)
		}
		listed := gqlBody("mutation AddNote($id: Int!, $title: String!) {\n  insert_notes_one(object: {id: $id, title: $title, owner: \"ann\"}) {\n    id\n  }\n}", map[string]any{"id": 4, "title": "fourth"})
		if got, want := allowPost(t, s.URL, "user", listed), ok+`{"data":{"insert_notes_one":{"id":4}}}`; got != want {
			t.Errorf("listed mutation: got %s, want %s", got, want)
		}
		if n := countNotes(t, url, 4); n != 1 {
			t.Errorf("the listed mutation inserted %d row(s), want 1", n)
		}
	})

	for _, proto := range []string{protoNew, protoOld} {
		t.Run("websocket "+proto, func(t *testing.T) {
			c := dial(t, s.URL, proto, nil)
			c.init(adminInit("X-Hasura-Role", "user"))
			// Unlisted: a subscription, then a query, each refused with
			// Hasura's error; the connection stays open.
			c.subscribe("1", "subscription { notes { owner } }", nil)
			wsRefused(t, c, "1")
			c.subscribe("2", "query Owners { notes(order_by: {id: asc}) { id owner } }", nil)
			wsRefused(t, c, "2")
			// Listed: the subscription's first result, and a query.
			c.subscribe("3", "subscription WatchTitles { notes(order_by: {id: asc}) { id title } }", nil)
			got := jsonOf(c.data("3"))
			if !strings.HasPrefix(got, `{"notes":[{"id":1,"title":"first"},{"id":2,"title":"second"}`) {
				t.Errorf("listed subscription: %s", got)
			}
			c.stop("3")
			c.subscribe("4", "query Titles { notes(order_by: {id: asc}) { id title } }", nil)
			if got := jsonOf(c.data("4")); !strings.HasPrefix(got, `{"notes":[{"id":1,"title":"first"},{"id":2,"title":"second"}`) {
				t.Errorf("listed query: %s", got)
			}

			// Admin subscribes to anything.
			a := dial(t, s.URL, proto, nil)
			a.init(adminInit())
			a.subscribe("1", "subscription { notes(order_by: {id: asc}, limit: 1) { owner } }", nil)
			if got := jsonOf(a.data("1")); got != `{"notes":[{"owner":"ann"}]}` {
				t.Errorf("admin subscription: %s", got)
			}
		})
	}

	// Off by default: the same server without the variable runs any
	// operation the role's permissions allow.
	t.Run("off", func(t *testing.T) {
		off := e2e.StartT(t, project, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret})
		if got, want := allowPost(t, off.URL, "user", gqlBody("{ notes(order_by: {id: asc}, limit: 1) { title } }", nil)), ok+`{"data":{"notes":[{"title":"first"}]}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// wsRefused reads operation id's error and checks it is Hasura's
// "query is not allowed".
func wsRefused(t *testing.T, c *wsClient, id string) {
	t.Helper()
	m := c.expect("error", id)
	var errs []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code, Path string
		} `json:"extensions"`
	}
	if c.proto == protoOld {
		// graphql-ws (Apollo's): {"errors": [...]}, then complete.
		var p struct {
			Errors json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatalf("error payload %s: %v", m.Payload, err)
		}
		m.Payload = p.Errors
		defer c.expect("complete", id)
	}
	if err := json.Unmarshal(m.Payload, &errs); err != nil {
		t.Fatalf("error payload %s: %v", m.Payload, err)
	}
	if len(errs) != 1 || errs[0].Message != "query is not allowed" || errs[0].Extensions.Code != "validation-failed" || errs[0].Extensions.Path != "$" {
		t.Errorf("operation %s: error %s, want Hasura's query is not allowed", id, m.Payload)
	}
}

// countNotes counts the rows of notes with the id, on the database itself.
func countNotes(t *testing.T, url string, id int) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM notes WHERE id = $1", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAllowListServerQueries: with the allow list on, the queries the
// server runs itself, here a Go action handler's GraphQL request, are not
// checked: the listed action answers, though its handler's query is not
// listed; the same query sent by the client is refused.
func TestAllowListServerQueries(t *testing.T) {
	whoami := `{ whoami { id name } }`
	l, err := allowlist.New(allowlist.Config{
		QueryCollections: []allowlist.Collection{{Name: "app", Definition: allowlist.Definition{Queries: []allowlist.Query{{Name: "whoami", Query: whoami}}}}},
		AllowList:        []allowlist.Entry{{Collection: "app"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newActionHandlers(t)
	_, e, _ := goActionsEngines(t, h, map[string]actions.Handler{
		"whoami": func(ctx context.Context, req *actions.Request, _ json.RawMessage) (json.RawMessage, error) {
			var data struct {
				Notes []struct {
					ID   int    `json:"id"`
					Body string `json:"body"`
				} `json:"notes"`
			}
			if err := req.GraphQL(ctx, `{ notes(order_by: {id: asc}) { id body } }`, nil, &data); err != nil {
				return nil, err
			}
			out := []map[string]any{}
			for _, n := range data.Notes {
				out = append(out, map[string]any{"id": n.ID, "name": n.Body})
			}
			return json.Marshal(out)
		},
	}, func(c *engine.Config) { c.AllowList = l })
	ctx := context.Background()
	user := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}
	if got, want := string(e.Do(ctx, user, &wire.Request{Query: whoami})), `{"data":{"whoami":[{"id":1,"name":"first"},{"id":3,"name":"third"}]}}`; got != want {
		t.Errorf("listed action: got %s, want %s", got, want)
	}
	if got := string(e.Do(ctx, user, &wire.Request{Query: `{ notes(order_by: {id: asc}) { id body } }`})); got != notAllowed {
		t.Errorf("the handler's query sent by the client: got %s, want %s", got, notAllowed)
	}
}
