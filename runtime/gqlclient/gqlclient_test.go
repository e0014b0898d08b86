package gqlclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/gqlclient"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const secret = "client-secret"

// setup builds the example app's engine on a fresh database and serves it
// over HTTP with the server's own handler.
func setup(t testing.TB) (e *engine.Engine, pool *pgxpool.Pool, url string) {
	t.Helper()
	ctx := context.Background()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.NewDatabase(t, filepath.Join(root, "example", "schema.sql"))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: dbURL, Config: filepath.Join(root, "example", "hasgen.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	pool, err = pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if e, err = engine.New(cfg, pool); err != nil {
		t.Fatal(err)
	}
	authn, err := auth.New(ctx, auth.Config{AdminSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/graphql", &transport.Handler{Engine: e, Auth: authn, DB: pool})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return e, pool, srv.URL
}

// channels is the result of channelsQuery.
type channels struct {
	Channels []struct {
		Name     string `json:"name"`
		Messages []struct {
			Body string `json:"body"`
		} `json:"messages"`
	} `json:"channels"`
}

const channelsQuery = `query Channels($where: channels_bool_exp) {
  channels(where: $where, order_by: {id: asc}) { name messages(order_by: {id: asc}) { body } }
}`

// TestClients runs the same requests over HTTP and in process, as the same
// sessions: the answers and the errors must be the same, and a row the
// role may not see must come back through neither.
func TestClients(t *testing.T) {
	e, _, url := setup(t)
	ctx := context.Background()
	base := gqlclient.NewHTTP(url + "/v1/graphql").WithAdminSecret(secret)
	type session struct {
		role string
		vars map[string]string
	}
	clients := func(s session) map[string]gqlclient.Client {
		h := base
		if s.role != "admin" {
			h = h.WithRole(s.role)
			for k, v := range s.vars {
				h = h.WithHeader(k, v)
			}
		}
		return map[string]gqlclient.Client{"http": h, "local": gqlclient.NewLocal(e).As(s.role, s.vars)}
	}
	brian := session{"user", map[string]string{"X-Hasura-User-Id": "2"}}
	ada := session{"user", map[string]string{"x-hasura-user-id": "1"}}

	t.Run("rows", func(t *testing.T) {
		tests := []struct {
			name    string
			session session
			private *bool
			want    []string
		}{
			// Brian is not in engineering: its messages must not come
			// back, even when he asks for private channels.
			{"member of public channels", brian, nil, []string{"general: 3", "random: 2"}},
			{"private channels of a non-member", brian, ptr(true), nil},
			{"private channel of a member", ada, ptr(true), []string{"engineering: 2"}},
			{"admin sees all", session{role: "admin"}, nil, []string{"general: 3", "engineering: 2", "random: 2"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for way, c := range clients(tt.session) {
					var res channels
					vars := map[string]any{}
					if tt.private != nil {
						vars["where"] = map[string]any{"is_private": map[string]any{"_eq": *tt.private}}
					}
					if err := c.Do(ctx, &gqlclient.Request{Query: channelsQuery, OperationName: "Channels", Variables: vars}, &res); err != nil {
						t.Fatalf("%s: %v", way, err)
					}
					var got []string
					for _, ch := range res.Channels {
						got = append(got, ch.Name+": "+strconv.Itoa(len(ch.Messages)))
					}
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("%s (-want +got):\n%s", way, diff)
					}
				}
			})
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name    string
			session session
			query   string
			vars    map[string]any
			want    gqlclient.Errors
		}{
			{"field the role does not see", session{"agent", map[string]string{"x-hasura-user-id": "3"}}, `query { invoices { id } }`, nil,
				gqlclient.Errors{{Message: "field 'invoices' not found in type: 'query_root'", Code: "validation-failed", Path: "$.selectionSet.invoices"}}},
			{"check of an insert", brian, `mutation Post($c: Int!) { insert_messages_one(object: {channel_id: $c, body: "intruder"}) { id } }`, map[string]any{"c": 2},
				gqlclient.Errors{{Message: "check constraint of an insert/update permission has failed", Code: "permission-error", Path: "$.selectionSet.insert_messages_one.args.object"}}},
			{"variable of the wrong type", brian, `query Q($id: Int!) { channels_by_pk(id: $id) { name } }`, map[string]any{"id": "two"},
				gqlclient.Errors{{Message: `expected a 32-bit integer for type "Int", but found a string`, Code: "parse-failed", Path: "$.variableValues.id"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				answers := map[string]gqlclient.Errors{}
				for way, c := range clients(tt.session) {
					var res map[string]any
					err := c.Do(ctx, &gqlclient.Request{Query: tt.query, Variables: tt.vars}, &res)
					var errs gqlclient.Errors
					if !errors.As(err, &errs) {
						t.Fatalf("%s: want gqlclient.Errors, got %v", way, err)
					}
					var first *gqlclient.Error
					if !errors.As(err, &first) || first != errs[0] {
						t.Errorf("%s: errors.As finds %v, not the first error", way, first)
					}
					if res != nil {
						t.Errorf("%s: data set on an error: %v", way, res)
					}
					answers[way] = errs
				}
				if diff := cmp.Diff(answers["http"], answers["local"]); diff != "" {
					t.Errorf("HTTP and in process differ (-http +local):\n%s", diff)
				}
				if diff := cmp.Diff(tt.want, answers["http"]); diff != "" {
					t.Logf("(the server's message for this case, to fix the test's if it changed)")
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("not a GraphQL endpoint", func(t *testing.T) {
		var res map[string]any
		err := gqlclient.NewHTTP(url+"/v1/nothing").Do(ctx, &gqlclient.Request{Query: `{ users { id } }`}, &res)
		var se *gqlclient.StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 {
			t.Fatalf("want a 404 StatusError, got %v", err)
		}
	})
}

// TestLocalInTransaction runs a mutation in process inside the caller's
// transaction: rolled back, its row is gone; a failed check inside it
// leaves the transaction to the caller.
func TestLocalInTransaction(t *testing.T) {
	e, pool, _ := setup(t)
	ctx := context.Background()
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE body = 'in a transaction'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	c := gqlclient.NewLocal(e).As("user", map[string]string{"x-hasura-user-id": "2"}).On(tx)
	var res struct {
		Insert struct {
			Author struct {
				Name string `json:"name"`
			} `json:"author"`
		} `json:"insert_messages_one"`
	}
	err = c.Do(ctx, &gqlclient.Request{Query: `mutation { insert_messages_one(object: {channel_id: 3, body: "in a transaction"}) { author { name } } }`}, &res)
	if err != nil {
		t.Fatal(err)
	}
	if res.Insert.Author.Name != "Brian" {
		t.Errorf("author %q, want Brian (the session's preset)", res.Insert.Author.Name)
	}
	var inTx int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM messages WHERE body = 'in a transaction'`).Scan(&inTx); err != nil {
		t.Fatal(err)
	}
	if inTx != 1 || count() != 0 {
		t.Fatalf("inside the transaction %d rows, outside %d: want 1 and 0", inTx, count())
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows after the rollback", n)
	}
}

func ptr[T any](v T) *T { return &v }
