package runtime_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// BenchmarkActionRoundTrip measures what an action adds to its handler's
// own time: the handler called directly with Hasura's payload, then the
// same action through the engine in process and through the generated
// server over HTTP. The difference of ns/op is the added latency
// (parsing, validation, payload, projection, and for the server its own
// HTTP hop).
func BenchmarkActionRoundTrip(b *testing.B) {
	h := newActionHandlers(b)
	e := newActionsEngine(b, h)
	const q = `{ whoami { id name } }`
	payload, _ := json.Marshal(map[string]any{"action": map[string]string{"name": "whoami"}, "input": map[string]any{},
		"session_variables": map[string]string{"x-hasura-role": "admin"}, "request_query": q})
	post := func(b *testing.B, url, body string, headers map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	b.Run("handler directly", func(b *testing.B) {
		for b.Loop() {
			post(b, h.URL+"/whoami", string(payload), nil)
		}
		h.take()
	})
	b.Run("engine in process", func(b *testing.B) {
		s := &session.Session{Role: "admin"}
		req := &wire.Request{Query: q}
		for b.Loop() {
			if out := e.Do(context.Background(), s, req); !strings.HasPrefix(string(out), `{"data"`) {
				b.Fatal(string(out))
			}
		}
		h.take()
	})
	b.Run("engine in process, with an object and an array relationship", func(b *testing.B) {
		s := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}
		req := &wire.Request{Query: `{ mynotes { note_id note { id body } by_author { id } } }`}
		for b.Loop() {
			if out := e.Do(context.Background(), s, req); !strings.HasPrefix(string(out), `{"data"`) {
				b.Fatal(string(out))
			}
		}
		h.take()
	})
	b.Run("server over HTTP, a table query (baseline)", func(b *testing.B) {
		body, _ := json.Marshal(map[string]string{"query": `{ notes_by_pk(id: 1) { id body } }`})
		for b.Loop() {
			post(b, e.server.URL+"/v1/graphql", string(body), map[string]string{"X-Hasura-Admin-Secret": e2eSecret})
		}
	})
	b.Run("server over HTTP", func(b *testing.B) {
		body, _ := json.Marshal(map[string]string{"query": q})
		for b.Loop() {
			post(b, e.server.URL+"/v1/graphql", string(body), map[string]string{"X-Hasura-Admin-Secret": e2eSecret})
		}
		h.take()
	})
}
