package runtime_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
)

// BenchmarkGoAction compares an action answered by a Go handler in
// process with the same action answered by its webhook over HTTP, on
// two engines over the actions fixture: the handlers return the same
// JSON, so the difference of ns/op is the webhook's round trip (payload,
// HTTP, decoding) that a Go handler saves.
func BenchmarkGoAction(b *testing.B) {
	h := newActionHandlers(b)
	ctx := context.Background()
	url := pgtest.NewDatabase(b, filepath.Join(repoRoot(b), actionsSQL))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(b), actionsConfig)})
	if err != nil {
		b.Fatal(err)
	}
	pool := newPool(b, url, nil)
	env := map[string]string{"ACTIONS_BASE": h.URL, "ACTIONS_DOWN": closedURL(b), "ACTIONS_SECRET": "env-secret"}
	reply := func(body string) actions.Handler {
		return func(context.Context, *actions.Request, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(body), nil
		}
	}
	newEngine := func(handlers map[string]actions.Handler) *engine.Engine {
		cfg, err := templates.EngineConfig(p)
		if err != nil {
			b.Fatal(err)
		}
		acfg := actions.Config{Relationships: templates.ActionRelationships(p)}
		for _, a := range p.Metadata.Actions {
			acfg.Actions = append(acfg.Actions, a.Action)
		}
		if cfg.Actions, err = actions.New(&acfg, actions.Options{Getenv: func(k string) string { return env[k] }, Handlers: handlers}); err != nil {
			b.Fatal(err)
		}
		e, err := engine.New(cfg, pool)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	webhook := newEngine(nil)
	inGo := newEngine(map[string]actions.Handler{
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
