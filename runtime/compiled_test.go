package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
)

// compiledOps are operations of the example app compiled the way hasgen
// generate compiles operations/*.graphql.
var compiledOps = []struct{ name, doc string }{
	{"ChannelMessages", `query ChannelMessages($channel: Int!, $limit: Int) {
  messages(where: {channel_id: {_eq: $channel}}, order_by: {id: asc}, limit: $limit) {
    ...MessageFields
  }
}
fragment MessageFields on messages {
  id
  body
  author {
    name
  }
}
`},
	{"InvoiceReport", `query InvoiceReport($min: numeric!) {
  invoices(where: {amount: {_gte: $min}}, order_by: {id: asc}) { id amount status }
  invoices_aggregate(where: {amount: {_gte: $min}}) { aggregate { count sum { amount } } }
}
`},
	{"SendMessage", `mutation SendMessage($channel: Int!, $body: String!) {
  insert_messages_one(object: {channel_id: $channel, body: $body}) { id body author { name } }
}
`},
	// An anonymous operation, as a query collection may hold: sent
	// without an operation name.
	{"", `{ channels(order_by: {id: asc}) { name } }`},
}

// exampleEngines returns, over one database of the example app, an engine
// without compiled operations and one with compiledOps compiled for every
// role (by the first, as generate does).
func exampleEngines(t *testing.T, config string) (plain, compiled *engine.Engine, ops []engine.CompiledOperation) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), "example", "schema.sql"))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	pool := newPool(t, url, &sqlTracer{})
	if plain, err = engine.New(cfg, pool); err != nil {
		t.Fatal(err)
	}
	for _, op := range compiledOps {
		co, err := plain.CompileOperation(op.name, "operations/test.graphql:1:1", op.doc)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, co)
	}
	cfg.Operations = ops
	if compiled, err = engine.New(cfg, pool); err != nil {
		t.Fatal(err)
	}
	return plain, compiled, ops
}

// TestCompiledOperationsAnswerAsUncompiled runs the same requests through an
// engine with compiled operations and one without: the responses must be
// the same bytes, the compiled path must be the one taken, and rows the
// role may not see must not come back either way.
func TestCompiledOperationsAnswerAsUncompiled(t *testing.T) {
	plain, compiled, _ := exampleEngines(t, filepath.Join(repoRoot(t), "example", "hasgen.yaml"))
	if stale := compiled.StaleOperations(); len(stale) != 0 {
		t.Fatalf("stale operations: %q", stale)
	}
	brian := map[string]string{"x-hasura-user-id": "2"}
	tests := []struct {
		name, role string
		vars       map[string]string
		op         int
		variables  string
		// isCompiled: the request takes a compiled operation.
		isCompiled bool
		// want are texts the response must hold; notWant ones it must not.
		want, notWant []string
	}{
		{name: "user reads a channel they belong to", role: "user", vars: brian, op: 0, variables: `{"channel": 1, "limit": 10}`, isCompiled: true,
			want: []string{`"body":"Hi all"`}},
		{name: "user reads a private channel they are not in", role: "user", vars: brian, op: 0, variables: `{"channel": 2, "limit": 10}`, isCompiled: true,
			want: []string{`{"data":{"messages":[]}}`}, notWant: []string{"Deploy at 5pm", "Ack"}},
		{name: "the limit variable left out: another shape, compiled on first use", role: "user", vars: brian, op: 0, variables: `{"channel": 1}`, isCompiled: true,
			want: []string{"Welcome to general!"}},
		{name: "admin reads the private channel", role: "admin", op: 0, variables: `{"channel": 2, "limit": 10}`, isCompiled: true,
			want: []string{"Deploy at 5pm"}},
		{name: "analyst sees paid invoices only", role: "analyst", op: 1, variables: `{"min": "1"}`, isCompiled: true,
			want: []string{`"status":"paid"`, `"count":2`}, notWant: []string{`"issued"`, `"draft"`}},
		{name: "user may not run the report: the same error", role: "user", vars: brian, op: 1, variables: `{"min": "1"}`,
			want: []string{"field 'invoices_aggregate' not found in type: 'query_root'"}},
		{name: "a missing variable: the same error", role: "user", vars: brian, op: 0, variables: `{}`, isCompiled: true,
			want: []string{`expecting a value for non-nullable variable: \"channel\"`}},
		{name: "an anonymous operation: private channels hidden", role: "user", vars: brian, op: 3, variables: `{}`, isCompiled: true,
			want: []string{`{"data":{"channels":[{"name":"general"}, {"name":"random"}]}}`}, notWant: []string{"engineering"}},
		{name: "a variable of the wrong type: the same error", role: "analyst", op: 1, variables: `{"min": {"a": 1}}`, isCompiled: true,
			want: []string{"errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &session.Session{Role: tt.role, Vars: tt.vars}
			req := request(compiledOps[tt.op].doc, nil)
			req.Variables = []byte(tt.variables)
			if got := compiled.IsCompiled(s, req); got != tt.isCompiled {
				t.Errorf("IsCompiled = %v, want %v", got, tt.isCompiled)
			}
			if plain.IsCompiled(s, req) {
				t.Error("the engine without operations says compiled")
			}
			want := string(plain.Do(context.Background(), s, req))
			got := string(compiled.Do(context.Background(), s, req))
			if got != want {
				t.Fatalf("compiled and uncompiled responses differ\ncompiled:   %s\nuncompiled: %s", got, want)
			}
			// Postgres writes "k" : v or "k":v depending on the JSON
			// function: compare without the spaces.
			flat := strings.ReplaceAll(got, `" : `, `":`)
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("response lacks %q: %s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("response holds %q, which role %s may not see: %s", w, tt.role, got)
				}
			}
		})
	}
	// A mutation, compiled, runs once and answers as uncompiled would
	// (the ids differ by one: both inserts run).
	s := &session.Session{Role: "user", Vars: brian}
	req := request(compiledOps[2].doc, map[string]any{"channel": 1, "body": "compiled"})
	if !compiled.IsCompiled(s, req) {
		t.Fatal("SendMessage is not compiled for user")
	}
	a := string(plain.Do(context.Background(), s, req))
	b := string(compiled.Do(context.Background(), s, req))
	id := regexp.MustCompile(`"id"\s*:\s*[0-9]+`)
	if !strings.Contains(a, "Brian") || id.ReplaceAllString(a, "") != id.ReplaceAllString(b, "") {
		t.Errorf("mutation responses differ beyond the id\nuncompiled: %s\ncompiled:   %s", a, b)
	}
}

// TestCompiledOperationsStale compiles the operations under one permissions
// file and serves them under another (the user's select filter on messages
// loosened): the SQL differs, so the engine names the operation and role
// as stale, does not take the compiled path for them, and answers with the
// permissions it runs.
func TestCompiledOperationsStale(t *testing.T) {
	orig := filepath.Join(repoRoot(t), "example", "hasgen.yaml")
	_, _, ops := exampleEngines(t, orig)
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	loose := strings.Replace(string(b), "        filter: {channel: {members: {user_id: {_eq: X-Hasura-User-Id}}}}\n        limit: 100", "        filter: {}\n        limit: 100", 1)
	if loose == string(b) {
		t.Fatal("the example's messages filter is not where the test expects it")
	}
	changed := filepath.Join(t.TempDir(), "hasgen.yaml")
	if err := os.WriteFile(changed, []byte(loose), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), "example", "schema.sql"))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: changed})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Operations = ops
	e, err := engine.New(cfg, newPool(t, url, &sqlTracer{}))
	if err != nil {
		t.Fatal(err)
	}
	stale := e.StaleOperations()
	want := []string{"compiled operation ChannelMessages (operations/test.graphql:1:1), role user: its SQL differs from the generated SQL: run hasgen generate",
		"compiled operation SendMessage (operations/test.graphql:1:1), role user: its SQL differs from the generated SQL: run hasgen generate"}
	if strings.Join(stale, "\n") != strings.Join(want, "\n") {
		t.Errorf("stale operations:\n%s\nwant:\n%s", strings.Join(stale, "\n"), strings.Join(want, "\n"))
	}
	s := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "2"}}
	req := request(compiledOps[0].doc, map[string]any{"channel": 2, "limit": 10})
	if e.IsCompiled(s, req) {
		t.Error("a stale operation takes the compiled path")
	}
	// The loosened filter is what runs: the private channel's messages
	// come back (the generated SQL would have filtered them).
	if got := string(e.Do(ctx, s, req)); !strings.Contains(got, "Deploy at 5pm") {
		t.Errorf("the server does not run its own permissions: %s", got)
	}
	admin := &session.Session{Role: "admin"}
	if !e.IsCompiled(admin, req) {
		t.Error("admin's SQL has not changed, yet its operation is not compiled")
	}
}

// TestPersistedQueries sends Apollo's persisted queries, bodies decoded as
// the transports decode them, to engines in each HASGEN_PERSISTED_QUERIES
// mode.
func TestPersistedQueries(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), "example", "schema.sql"))
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), "example", "hasgen.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	pool := newPool(t, url, &sqlTracer{})
	plain, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	doc := compiledOps[0].doc
	co, err := plain.CompileOperation(compiledOps[0].name, "operations/test.graphql:1:1", doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Operations = []engine.CompiledOperation{co}
	engines := map[engine.PersistedMode]*engine.Engine{engine.PersistedOff: nil, engine.PersistedOn: nil, engine.PersistedOnly: nil}
	for mode := range engines {
		c := cfg
		c.PersistedQueries = mode
		if engines[mode], err = engine.New(c, pool); err != nil {
			t.Fatal(err)
		}
	}
	quoted, _ := json.Marshal(doc)
	hash := engine.HashQuery(doc)
	ext := func(h string) string {
		return `"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + h + `"}}`
	}
	vars := `"variables": {"channel": 2, "limit": 5}`
	brian := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "2"}}
	ada := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1"}}
	admin := &session.Session{Role: "admin"}
	answer := string(plain.Do(ctx, ada, &wire.Request{Query: doc, Variables: []byte(`{"channel": 2, "limit": 5}`)}))
	if !strings.Contains(answer, "Deploy at 5pm") {
		t.Fatalf("Ada, a member of engineering, does not read it: %s", answer)
	}
	const noQuery = `{"errors":[{"message":"key \"query\" not found","extensions":{"path":"$","code":"parse-failed"}}]}`
	const notFound = `{"errors":[{"message":"PersistedQueryNotFound","extensions":{"path":"$","code":"PERSISTED_QUERY_NOT_FOUND"}}]}`
	tests := []struct {
		name string
		mode engine.PersistedMode
		s    *session.Session
		body string
		want string
	}{
		{"off: a bare hash has no query, as in Hasura", engine.PersistedOff, ada, `{` + ext(hash) + `, ` + vars + `}`, noQuery},
		{"off: the extension beside the query is ignored", engine.PersistedOff, ada, `{"query": ` + string(quoted) + `, ` + ext("00") + `, ` + vars + `}`, answer},
		{"on: a bare hash of a compiled operation", engine.PersistedOn, ada, `{` + ext(hash) + `, ` + vars + `}`, answer},
		{"on: permissions hold: Brian is not in engineering", engine.PersistedOn, brian, `{` + ext(hash) + `, ` + vars + `}`, `{"data":{"messages":[]}}`},
		{"on: an unknown hash", engine.PersistedOn, ada, `{` + ext(strings.Repeat("ab", 32)) + `, ` + vars + `}`, notFound},
		{"on: the hash and the query", engine.PersistedOn, ada, `{"query": ` + string(quoted) + `, ` + ext(hash) + `, ` + vars + `}`, answer},
		{"on: a hash that is not the query's", engine.PersistedOn, ada, `{"query": "{ users { id } }", ` + ext(hash) + `}`,
			`{"errors":[{"message":"provided sha does not match query","extensions":{"path":"$.extensions.persistedQuery","code":"bad-request"}}]}`},
		{"on: a document without the extension runs", engine.PersistedOn, ada, `{"query": ` + string(quoted) + `, ` + vars + `}`, answer},
		{"only: a bare hash", engine.PersistedOnly, ada, `{` + ext(hash) + `, ` + vars + `}`, answer},
		{"only: a document without the extension is refused", engine.PersistedOnly, ada, `{"query": ` + string(quoted) + `, ` + vars + `}`,
			`{"errors":[{"message":"only persisted queries are accepted: send extensions.persistedQuery with the sha256Hash of a compiled operation","extensions":{"path":"$","code":"PERSISTED_QUERY_ONLY"}}]}`},
		{"only: another document with its own hash is refused", engine.PersistedOnly, ada, `{"query": "{ users { id } }", ` + ext(engine.HashQuery("{ users { id } }")) + `}`, notFound},
		{"only: admin may send any document", engine.PersistedOnly, admin, `{"query": "{ channels_aggregate { aggregate { count } } }"}`,
			`{"data":{"channels_aggregate":{"aggregate":{"count":3}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := wire.DecodeRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := string(engines[tt.mode].Do(ctx, tt.s, &req)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
