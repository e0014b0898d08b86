package runtime_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/templates"
)

const (
	actionsSQL    = "testdata/fixtures/actions/schema.sql"
	actionsConfig = "testdata/fixtures/actions/metadata"
)

// handlerCall is one request an action handler received.
type handlerCall struct {
	Path    string
	Query   string
	Headers http.Header
	Body    map[string]any
}

// actionHandlers is the test's action handler server: each path answers
// as the fixture's actions need, and every request is recorded.
type actionHandlers struct {
	*httptest.Server
	mu    sync.Mutex
	calls []handlerCall
	// raw is what /raw answers: status and body.
	rawStatus int
	rawBody   string
}

func newActionHandlers(t testing.TB) *actionHandlers {
	h := &actionHandlers{rawStatus: 200, rawBody: `{"accessToken": "r"}`}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		c := h.record(r)
		input, _ := c.Body["input"].(map[string]any)
		creds, _ := input["creds"].(map[string]any)
		b, _ := json.Marshal(map[string]any{
			"accessToken": "token-" + creds["username"].(string),
			"level":       input["level"],
			"extra":       "not selected",
			"profile": map[string]any{"id": 7, "name": "Ann <admin>", "tags": []string{"a", "b"},
				"friends": []any{map[string]any{"id": 8, "name": "Bob"}, nil}},
		})
		reply(w, 200, string(b))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		c := h.record(r)
		input, _ := c.Body["input"].(map[string]any)
		switch input["status"] {
		case 400.0:
			reply(w, 400, `{"message": "invalid credentials", "extensions": {"code": "invalid-creds", "attempts": 3}}`)
		case 401.0:
			reply(w, 401, `{"message": "who are you", "code": "auth-failed"}`)
		case 402.0:
			reply(w, 402, `{"message": "pay first"}`)
		default:
			reply(w, 500, `{"message": "boom"}`)
		}
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		reply(w, 200, `[{"id": 1, "name": "a"}, {"id": 2}]`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		reply(w, 200, `1`)
	})
	mux.HandleFunc("/mynotes", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		reply(w, 200, `[{"note_id": 1, "author": 7}, {"note_id": 2, "author": 8}, {"note_id": 99, "author": null}]`)
	})
	mux.HandleFunc("/raw", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		h.mu.Lock()
		status, body := h.rawStatus, h.rawBody
		h.mu.Unlock()
		reply(w, status, body)
	})
	mux.HandleFunc("/envelope", func(w http.ResponseWriter, r *http.Request) {
		// Answers in its own envelope, as a service not written for
		// Hasura does; the actions' response_transform unwraps it.
		c := h.record(r)
		if input, _ := c.Body["input"].(map[string]any); input["ok"] == true {
			reply(w, 200, `{"data": {"text": "inner"}}`)
			return
		}
		reply(w, 422, `{"error": "bad envelope"}`)
	})
	mux.HandleFunc("/shout/transformed", func(w http.ResponseWriter, r *http.Request) {
		c := h.record(r)
		said, _ := c.Body["said"].(string)
		b, _ := json.Marshal(map[string]any{"text": strings.ToUpper(said), "via": r.URL.Query().Get("via") + " as " + c.Body["role"].(string)})
		reply(w, 200, string(b))
	})
	h.Server = httptest.NewServer(mux)
	t.Cleanup(h.Close)
	return h
}

func (h *actionHandlers) record(r *http.Request) handlerCall {
	b, _ := io.ReadAll(r.Body)
	c := handlerCall{Path: r.URL.Path, Query: r.URL.RawQuery, Headers: r.Header.Clone()}
	json.Unmarshal(b, &c.Body)
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
	return c
}

// take returns the calls received since the last take.
func (h *actionHandlers) take() []handlerCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.calls
	h.calls = nil
	return out
}

func (h *actionHandlers) setRaw(status int, body string) {
	h.mu.Lock()
	h.rawStatus, h.rawBody = status, body
	h.mu.Unlock()
}

// closedURL is the URL of a port nothing listens on.
func closedURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/down"
}

// newActionsEngine builds the actions fixture's engine in process and
// the same project generated, built and started, both calling h.
func newActionsEngine(t testing.TB, h *actionHandlers) *testEngine {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{"ACTIONS_BASE": h.URL, "ACTIONS_DOWN": closedURL(t), "ACTIONS_SECRET": "env-secret"}
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), actionsSQL))
	config := filepath.Join(repoRoot(t), actionsConfig)
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	tr := &sqlTracer{}
	pool := newPool(t, url, tr)
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	acfg := actions.Config{Relationships: templates.ActionRelationships(p)}
	for _, a := range p.Metadata.Actions {
		acfg.Actions = append(acfg.Actions, a.Action)
	}
	if cfg.Actions, err = actions.New(&acfg, actions.Options{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	senv := map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret}
	for k, v := range env {
		senv[k] = v
	}
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: config}, senv)
	return &testEngine{Engine: e, pool: pool, url: url, tracer: tr, server: srv}
}

// TestActions: synchronous actions from the metadata, in process and over
// HTTP from the generated server: the payload Hasura sends, the answer
// projected through the selection set, Hasura's errors, per-role
// visibility, a request transform.
func TestActions(t *testing.T) {
	h := newActionHandlers(t)
	e := newActionsEngine(t, h)
	user := map[string]string{"x-hasura-user-id": "7"}

	t.Run("success", func(t *testing.T) {
		q := `mutation Login($u: String!) {
  login(creds: {username: $u, password: "pw"}) {
    __typename
    token: accessToken
    level
    profile { id name tags friends { name __typename } ...More }
  }
}
fragment More on Profile { id }`
		got := e.raw(t, "user", user, q, map[string]any{"u": "ann"})
		want := `{"data":{"login":{"__typename":"Token","token":"token-ann","level":"LOW","profile":{"id":7,"name":"Ann <admin>","tags":["a","b"],"friends":[{"name":"Bob","__typename":"Profile"},null]}}}}`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		calls := h.take()
		if len(calls) != 2 { // in process, then over HTTP
			t.Fatalf("%d handler calls, want 2", len(calls))
		}
		for _, c := range calls {
			wantBody := map[string]any{
				"action":            map[string]any{"name": "login"},
				"input":             map[string]any{"creds": map[string]any{"username": "ann", "password": "pw"}, "level": "LOW"},
				"session_variables": map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "7"},
				"request_query":     q,
			}
			if diff := cmp.Diff(wantBody, c.Body); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
			for k, v := range map[string]string{"X-Static": "static-value", "X-Secret": "env-secret", "Content-Type": "application/json"} {
				if got := c.Headers.Get(k); got != v {
					t.Errorf("header %s: %q, want %q", k, got, v)
				}
			}
		}
	})

	t.Run("forward_client_headers", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"query": `mutation { login(creds: {username: "x", password: "y"}) { accessToken } }`})
		status, resp := post(t, e.server.URL+"/v1/graphql", string(body), map[string]string{
			"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "7",
			"X-Client-Trace": "trace-1", "X-Static": "from-client", "Origin": "http://app.example",
		})
		if status != 200 || resp != `{"data":{"login":{"accessToken":"token-x"}}}` {
			t.Fatalf("%d %s", status, resp)
		}
		calls := h.take()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		hd := calls[0].Headers
		checks := map[string]string{
			"X-Client-Trace":     "trace-1",
			"X-Static":           "static-value", // the configured header wins
			"X-Forwarded-Origin": "http://app.example",
			"Origin":             "",
			"X-Hasura-Role":      "", // session variables are not headers
			"X-Hasura-User-Id":   "",
		}
		for k, v := range checks {
			if got := hd.Get(k); got != v {
				t.Errorf("header %s: %q, want %q", k, got, v)
			}
		}
		if hd.Get("X-Forwarded-Host") == "" {
			t.Error("no X-Forwarded-Host")
		}
	})

	t.Run("websocket", func(t *testing.T) {
		// Over a websocket, the headers forwarded are the upgrade's merged
		// with connection_init's.
		c := dial(t, e.server.URL, protoNew, http.Header{"X-From-Upgrade": {"up"}})
		c.init(map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "7", "X-Client-Trace": "ws-trace"}})
		c.subscribe("1", `mutation { login(creds: {username: "w", password: "s"}) { accessToken } }`, nil)
		m := c.expect("next", "1")
		if string(m.Payload) != `{"data":{"login":{"accessToken":"token-w"}}}` {
			t.Errorf("payload %s", m.Payload)
		}
		calls := h.take()
		if len(calls) != 1 {
			t.Fatalf("%d calls", len(calls))
		}
		for k, v := range map[string]string{"X-Client-Trace": "ws-trace", "X-From-Upgrade": "up", "X-Static": "static-value", "X-Hasura-Role": ""} {
			if got := calls[0].Headers.Get(k); got != v {
				t.Errorf("header %s: %q, want %q", k, got, v)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			name, role, query string
			raw               [2]any // /raw's answer, when set
			want              string
		}{
			{name: "4xx with extensions", role: "user", query: `mutation { fail(status: 400) { accessToken } }`,
				want: `{"errors":[{"message":"invalid credentials","extensions":{"code":"invalid-creds","attempts":3}}]}`},
			{name: "4xx with a code", role: "user", query: `mutation { fail(status: 401) { accessToken } }`,
				want: `{"errors":[{"message":"who are you","extensions":{"path":"$","code":"auth-failed"}}]}`},
			{name: "4xx, no code", role: "user", query: `mutation { fail(status: 402) { accessToken } }`,
				want: `{"errors":[{"message":"pay first","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "5xx", role: "user", query: `mutation { fail(status: 500) { accessToken } }`,
				want: `{"errors":[{"message":"internal error","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "down", role: "admin", query: `{ down { accessToken } }`,
				want: `{"errors":[{"message":"http exception when calling webhook","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "timeout", role: "admin", query: `{ slow }`,
				want: `{"errors":[{"message":"http exception when calling webhook","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "not json", role: "admin", query: `{ raw { accessToken } }`, raw: [2]any{200, `<html>`},
				want: `{"errors":[{"message":"not a valid json response from webhook","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "missing non-null field", role: "admin", query: `{ raw { level } }`, raw: [2]any{200, `{"level": "HIGH"}`},
				want: `{"errors":[{"message":"field \"accessToken\" expected in webhook response, but not found","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "null field", role: "admin", query: `{ raw { level } }`, raw: [2]any{200, `{"accessToken": null}`},
				want: `{"errors":[{"message":"expecting not null value for field \"accessToken\"","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "null for non-null output", role: "admin", query: `{ raw { level } }`, raw: [2]any{200, `null`},
				want: `{"errors":[{"message":"got null for the action webhook response","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "array for an object", role: "admin", query: `{ raw { level } }`, raw: [2]any{200, `[]`},
				want: `{"errors":[{"message":"got array for the action webhook response, expecting Token","extensions":{"path":"$","code":"unexpected"}}]}`},
			{name: "4xx without message", role: "admin", query: `{ raw { level } }`, raw: [2]any{400, `{"error": "x"}`},
				want: `{"errors":[{"message":"the key 'message' was not present","extensions":{"path":"$","code":"parse-failed"}}]}`},
			{name: "hidden from a role", role: "user", query: `{ slow }`,
				want: `{"errors":[{"message":"field 'slow' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.slow","code":"validation-failed"}}]}`},
			{name: "hidden mutation", role: "guest", query: `mutation { login(creds: {username: "a", password: "b"}) { accessToken } }`,
				want: `{"errors":[{"message":"no mutations exist","extensions":{"path":"$","code":"validation-failed"}}]}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.raw[0] != nil {
					h.setRaw(c.raw[0].(int), c.raw[1].(string))
				}
				if got := e.raw(t, c.role, user, c.query, nil); got != c.want {
					t.Errorf("got  %s\nwant %s", got, c.want)
				}
				h.take()
			})
		}
	})

	t.Run("roles", func(t *testing.T) {
		// guest has no table, only whoami.
		got := e.raw(t, "guest", nil, `{ whoami { id name } }`, nil)
		if want := `{"data":{"whoami":[{"id":1,"name":"a"},{"id":2}]}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		// Introspection is gqlgen's, in the generated server (whose
		// starter custom schema adds hello).
		introspect := func(role, q string) string {
			body, _ := json.Marshal(map[string]string{"query": q})
			_, resp := post(t, e.server.URL+"/v1/graphql", string(body), map[string]string{
				"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": role, "X-Hasura-User-Id": "7"})
			return resp
		}
		got = introspect("guest", `{ __schema { queryType { fields { name } } mutationType { name } } }`)
		if want := `{"data":{"__schema":{"queryType":{"fields":[{"name":"whoami"},{"name":"hello"}]},"mutationType":null}}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		got = introspect("user", `{ __type(name: "mutation_root") { fields { name description } } }`)
		for _, want := range []string{`{"name":"login","description":"Logs a user in"}`, `{"name":"fail","description":null}`} {
			if !strings.Contains(got, want) {
				t.Errorf("%s lacks %s", got, want)
			}
		}
		h.take()
	})

	t.Run("transform", func(t *testing.T) {
		got := e.raw(t, "admin", nil, `{ shout(text: "hi") { text via } }`, nil)
		if want := `{"data":{"shout":{"text":"HI","via":"kriti as admin"}}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		for _, c := range h.take() {
			if c.Path != "/shout/transformed" || c.Query != "via=kriti" {
				t.Errorf("sent to %s?%s", c.Path, c.Query)
			}
		}
	})

	t.Run("response transform", func(t *testing.T) {
		cases := []struct{ name, query, want string }{
			{"2xx unwrapped", `{ unwrap(ok: true) { text via } }`, `{"data":{"unwrap":{"text":"inner","via":"admin"}}}`},
			// The template turns the handler's 422 into Hasura's
			// {message, extensions}, which becomes the GraphQL error.
			{"4xx mapped", `{ unwrap(ok: false) { text } }`, `{"errors":[{"message":"bad envelope","extensions":{"code":"envelope","status":422}}]}`},
			// $request is the request before its request_transform.
			{"$request", `{ unwrapreq(text: "asked") { text via } }`, `{"data":{"unwrapreq":{"text":"asked","via":"inner"}}}`},
			{"template fails", `{ badresponse }`, `{"errors":[{"message":"Response Transformation Failed","extensions":{"path":"$","code":"unexpected"}}]}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := e.raw(t, "admin", nil, c.query, nil); got != c.want {
					t.Errorf("got  %s\nwant %s", got, c.want)
				}
			})
		}
		calls := h.take()
		// Each query ran in process and over HTTP.
		if len(calls) != 8 {
			t.Fatalf("%d handler calls, want 8", len(calls))
		}
		for _, c := range calls {
			if c.Path != "/envelope" {
				t.Errorf("sent to %s", c.Path)
			}
		}
		// unwrapreq's request_transform replaced the body the handler got.
		if got, _ := json.Marshal(calls[4].Body); string(got) != `{"input":{"ok":true}}` {
			t.Errorf("unwrapreq sent %s", got)
		}
	})

	t.Run("relationships", func(t *testing.T) {
		// One statement per relationship for all the handler's rows, under
		// the caller's select permission: user 7 sees note 1 and notes
		// by author 7, not note 2 (author 8).
		e.tracer.take()
		got := e.raw(t, "user", user, `{ mynotes { note_id note { id body } mine: by_author { id } } }`, nil)
		sameJSON(t, "user", got, `{"data":{"mynotes":[`+
			`{"note_id":1,"note":{"id":1,"body":"first"},"mine":[{"id":1},{"id":3}]},`+
			`{"note_id":2,"note":null,"mine":[]},`+
			`{"note_id":99,"note":null,"mine":[]}]}}`)
		if n := len(e.tracer.take()); n != 2 {
			t.Errorf("%d statements in process, want 2 (one per relationship)", n)
		}
		// The client's fragments and variables reach the relationship's
		// query.
		got = e.raw(t, "user", user, `query Q($yes: Boolean!) { mynotes { note { ...N } } } fragment N on notes { id body @include(if: $yes) }`, map[string]any{"yes": false})
		sameJSON(t, "fragment", got, `{"data":{"mynotes":[{"note":{"id":1}},{"note":null},{"note":null}]}}`)
		got = e.raw(t, "admin", nil, `{ mynotes { note { body } by_author { body } } }`, nil)
		sameJSON(t, "admin", got, `{"data":{"mynotes":[`+
			`{"note":{"body":"first"},"by_author":[{"body":"first"},{"body":"third"}]},`+
			`{"note":{"body":"other"},"by_author":[{"body":"other"}]},`+
			`{"note":null,"by_author":[]}]}}`)
		h.take()
	})

	t.Run("mixed query", func(t *testing.T) {
		// An action beside a table's field and __typename, in response order.
		got := e.raw(t, "user", user, `{ first: notes_by_pk(id: 1) { body } who: whoami { id } __typename }`, nil)
		sameJSON(t, "mixed", got, `{"data":{"first":{"body":"first"},"who":[{"id":1},{"id":2}],"__typename":"query_root"}}`)
		if !strings.HasPrefix(got, `{"data":{"first":`) {
			t.Errorf("response order: %s", got)
		}
		h.take()
	})

	t.Run("mixed mutation", func(t *testing.T) {
		// A table's mutation and an action in one request: both run, in
		// order; the row is there whatever the action did after it.
		q := `mutation { insert_notes_one(object: {body: "new"}) { body } login(creds: {username: "m", password: "p"}) { accessToken } }`
		got := e.raw(t, "user", user, q, nil)
		if want := `{"data":{"insert_notes_one":{"body":"new"},"login":{"accessToken":"token-m"}}}`; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		q = `mutation { insert_notes_one(object: {body: "kept"}) { body } fail(status: 400) { accessToken } }`
		got = e.raw(t, "user", user, q, nil)
		if !strings.Contains(got, `"invalid credentials"`) {
			t.Errorf("got %s", got)
		}
		got = e.raw(t, "user", user, `{ notes(where: {body: {_in: ["new", "kept"]}}, order_by: {id: asc}) { body } }`, nil)
		// Each of the two requests ran twice: in process and over HTTP.
		sameJSON(t, "notes", got, `{"data":{"notes":[{"body":"new"},{"body":"new"},{"body":"kept"},{"body":"kept"}]}}`)
		h.take()
	})
}
