package runtime_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5/pgxpool"
)

// goActionsEngines builds two engines over one database of the actions
// fixture: one calling the webhooks of h, one answering the actions of
// handlers in Go (and the others at h). configure, when given, adjusts
// both engines' configuration.
func goActionsEngines(t testing.TB, h *actionHandlers, handlers map[string]actions.Handler, configure ...func(*engine.Config)) (webhook, inGo *engine.Engine, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), actionsSQL))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), actionsConfig)})
	if err != nil {
		t.Fatal(err)
	}
	pool = newPool(t, url, nil)
	env := map[string]string{"ACTIONS_BASE": h.URL, "ACTIONS_DOWN": closedURL(t), "ACTIONS_SECRET": "env-secret"}
	newEngine := func(handlers map[string]actions.Handler) *engine.Engine {
		cfg, err := templates.EngineConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		acfg := actions.Config{Relationships: templates.ActionRelationships(p)}
		for _, a := range p.Metadata.Actions {
			acfg.Actions = append(acfg.Actions, a.Action)
		}
		if cfg.Actions, err = actions.New(&acfg, actions.Options{Getenv: func(k string) string { return env[k] }, Handlers: handlers}); err != nil {
			t.Fatal(err)
		}
		for _, c := range configure {
			c(&cfg)
		}
		e, err := engine.New(cfg, pool)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	return newEngine(nil), newEngine(handlers), pool
}

// reply is a Go handler that answers body.
func reply(body string) actions.Handler {
	return func(context.Context, *actions.Request, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(body), nil
	}
}

// BenchmarkGoAction compares an action answered by a Go handler in
// process with the same action answered by its webhook over HTTP, on
// two engines over the actions fixture: the handlers return the same
// JSON, so the difference of ns/op is the webhook's round trip (payload,
// HTTP, decoding) that a Go handler saves.
func BenchmarkGoAction(b *testing.B) {
	h := newActionHandlers(b)
	ctx := context.Background()
	webhook, inGo, _ := goActionsEngines(b, h, map[string]actions.Handler{
		// What the fixture's webhooks answer.
		"whoami":  reply(`[{"id": 1, "name": "a"}, {"id": 2}]`),
		"mynotes": reply(`[{"note_id": 1, "author": 7}, {"note_id": 2, "author": 8}, {"note_id": 99, "author": null}]`),
	})
	cases := []struct {
		name  string
		s     *session.Session
		query string
	}{
		{"whoami", &session.Session{Role: "admin"}, `{ whoami { id name } }`},
		{"with relationships", &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}, `{ mynotes { note_id note { id body } by_author { id } } }`},
	}
	for _, c := range cases {
		req := &wire.Request{Query: c.query}
		want := string(webhook.Do(ctx, c.s, req))
		if got := string(inGo.Do(ctx, c.s, req)); got != want || !strings.HasPrefix(got, `{"data"`) {
			b.Fatalf("%s: the Go handler's answer %s differs from the webhook's %s", c.name, got, want)
		}
		h.take()
		for _, e := range []struct {
			name string
			e    *engine.Engine
		}{{"webhook over HTTP", webhook}, {"Go handler", inGo}} {
			b.Run(c.name+"/"+e.name, func(b *testing.B) {
				for b.Loop() {
					if out := e.e.Do(ctx, c.s, req); !strings.HasPrefix(string(out), `{"data"`) {
						b.Fatal(string(out))
					}
				}
				h.take()
			})
		}
	}
}

// TestGoActionsInEngine: the engine's paths for Go handlers, in process.
// A Go mutation action writes through req.GraphQL as the caller inside
// the request's transaction (a handler error rolls it back); beside a
// webhook action the mutation's fields run one by one, the Go action in a
// transaction of its own; a query action reads as the caller, under its
// permissions.
func TestGoActionsInEngine(t *testing.T) {
	h := newActionHandlers(t)
	ctx := context.Background()
	_, e, pool := goActionsEngines(t, h, map[string]actions.Handler{
		// fail(status) inserts a note, then fails for status 1.
		"fail": actions.Typed(func(ctx context.Context, req *actions.Request, in struct {
			Status int `json:"status"`
		}) (map[string]any, error) {
			var data struct {
				Note struct {
					ID int `json:"id"`
				} `json:"insert_notes_one"`
			}
			if err := req.GraphQL(ctx, `mutation ($b: String!) { insert_notes_one(object: {body: $b}) { id } }`, map[string]any{"b": "from go"}, &data); err != nil {
				return nil, err
			}
			if in.Status == 1 {
				return nil, &actions.Error{Message: "failed after writing", Code: "go-failed"}
			}
			return map[string]any{"accessToken": "note " + strconv.Itoa(data.Note.ID) + " by " + req.Session["x-hasura-user-id"]}, nil
		}),
		// whoami lists the caller's notes, as the caller sees them.
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
	})
	notes := func() int {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM notes WHERE body = 'from go'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	user := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}
	tests := []struct {
		name, query, want string
		// written is the count of the handler's notes after the request.
		written int
		// calls are the webhook calls the request made.
		calls int
	}{
		{"a handler error rolls its insert back", `mutation { fail(status: 1) { accessToken } }`,
			`{"errors":[{"message":"failed after writing","extensions":{"path":"$","code":"go-failed"}}]}`, 0, 0},
		{"its insert commits", `mutation { fail(status: 2) { accessToken } }`,
			`{"data":{"fail":{"accessToken":"note 5 by 7"}}}`, 1, 0}, // 4 went with the rollback
		{"beside a webhook action, the webhook's call stays done", `mutation { login(creds: {username: "a", password: "b"}) { accessToken } fail(status: 1) { accessToken } }`,
			`{"errors":[{"message":"failed after writing","extensions":{"path":"$","code":"go-failed"}}]}`, 1, 1},
		{"a query action reads as the caller: note 2 (author 8) does not come back", `{ whoami { id name } }`,
			`{"data":{"whoami":[{"id":1,"name":"first"},{"id":3,"name":"third"},{"id":5,"name":"from go"}]}}`, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(e.Do(ctx, user, &wire.Request{Query: tt.query}))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if n := notes(); n != tt.written {
				t.Errorf("%d notes written by the handler, want %d", n, tt.written)
			}
			if n := len(h.take()); n != tt.calls {
				t.Errorf("%d webhook calls, want %d", n, tt.calls)
			}
		})
	}
}
