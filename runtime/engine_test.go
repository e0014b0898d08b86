package runtime_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// repoRoot is the module root, from this package's directory.
func repoRoot(t testing.TB) string {
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func datasetFiles(t testing.TB, name string) []string {
	base := filepath.Join(repoRoot(t), "..", "shared", "datasets")
	switch name {
	case "chinook-bench":
		return []string{filepath.Join(base, "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")}
	case "pagila":
		return []string{filepath.Join(base, "pagila", "pagila-schema.sql"), filepath.Join(base, "pagila", "pagila-data.sql")}
	}
	t.Fatalf("unknown dataset %s", name)
	return nil
}

// testEngine builds, in process, the engine a generated server would run:
// the database introspected, the permissions file loaded, descriptors and
// schemas built from the model.
type testEngine struct {
	*engine.Engine
	pool   *pgxpool.Pool
	url    string
	tracer *sqlTracer
	server *e2e.Server
}

func newTestEngine(t testing.TB, dataset, config string, stringify bool) *testEngine {
	t.Helper()
	return newEngineFromFiles(t, datasetFiles(t, dataset), config, stringify)
}

// newFixtureEngine is newTestEngine over a SQL fixture file (a path from
// the module root) instead of a shared dataset.
func newFixtureEngine(t testing.TB, sqlFile, config string, stringify bool) *testEngine {
	t.Helper()
	return newEngineFromFiles(t, []string{filepath.Join(repoRoot(t), sqlFile)}, config, stringify)
}

func newEngineFromFiles(t testing.TB, sqlFiles []string, config string, stringify bool) *testEngine {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, sqlFiles...)
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), config)})
	if err != nil {
		t.Fatal(err)
	}
	// The server's pool, with a tracer that records every statement sent.
	tr := &sqlTracer{}
	pool := newPool(t, url, tr)
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg.StringifyNumeric = stringify
	e, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	te := &testEngine{Engine: e, pool: pool, url: url, tracer: tr}
	// The same project generated, built and started as a server: every
	// query a test runs in process also goes over HTTP, and the two
	// responses must be byte-identical.
	env := map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret}
	if stringify {
		env["HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES"] = "true"
	}
	te.server = e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), config)}, env)
	return te
}

const e2eSecret = "e2e-secret"

func headerSafe(vars map[string]string) bool {
	for _, v := range vars {
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// overHTTP posts a request to the generated server as the role, with the
// admin secret and, for other roles, X-Hasura-Role and the session
// variables as headers (Hasura's impersonation).
func (e *testEngine) overHTTP(t testing.TB, role string, vars map[string]string, body []byte) string {
	t.Helper()
	headers := map[string]string{"X-Hasura-Admin-Secret": e2eSecret}
	if role != session.AdminRole {
		headers["X-Hasura-Role"] = role
		for k, v := range vars {
			headers[k] = v
		}
	}
	status, resp := post(t, e.server.URL+"/v1/graphql", string(body), headers)
	if status != http.StatusOK {
		t.Errorf("HTTP status %d", status)
	}
	return resp
}

// sqlTracer records the SQL of every statement run on a pool, batched ones
// included.
type sqlTracer struct {
	mu   sync.Mutex
	sqls []string
}

func (tr *sqlTracer) record(sql string) {
	tr.mu.Lock()
	tr.sqls = append(tr.sqls, sql)
	tr.mu.Unlock()
}

func (tr *sqlTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.record(d.SQL)
	return ctx
}

func (tr *sqlTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *sqlTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (tr *sqlTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	tr.record(d.SQL)
}

func (tr *sqlTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// take returns the statements recorded since the last take and forgets
// them.
func (tr *sqlTracer) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := tr.sqls
	tr.sqls = nil
	return out
}

// request is a GraphQL request with variables (nil for none).
func request(query string, variables any) *wire.Request {
	req := &wire.Request{Query: query}
	if variables != nil {
		req.Variables, _ = json.Marshal(variables)
	}
	return req
}

func (e *testEngine) raw(t testing.TB, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	req := request(query, variables)
	in := string(e.Do(context.Background(), &session.Session{Role: role, Vars: vars}, req))
	if !headerSafe(vars) {
		// Values with control characters cannot travel as HTTP headers
		// (a JWT carries them in its claims); the engine alone is tested.
		return in
	}
	body, _ := json.Marshal(req)
	if out := e.overHTTP(t, role, vars, body); out != in {
		t.Errorf("the generated server answers differently from the engine in process\nquery: %s\n  in process: %s\n   over HTTP: %s", query, in, out)
	}
	return in
}

// gqlError is one error of a response.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Path string `json:"path"`
		Code string `json:"code"`
	} `json:"extensions"`
}

// response is a decoded response: data, or errors.
type response struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
	raw    string
}

// run runs a query and decodes the response, numbers as float64.
func (e *testEngine) run(t testing.TB, role string, vars map[string]string, query string, variables any) response {
	t.Helper()
	raw := e.raw(t, role, vars, query, variables)
	var r response
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, raw)
	}
	r.raw = raw
	return r
}

// data runs a query that must succeed and returns its data.
func (e *testEngine) data(t testing.TB, role string, vars map[string]string, query string, variables any) map[string]any {
	t.Helper()
	r := e.run(t, role, vars, query, variables)
	if len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("query failed: %s\nquery: %s", r.raw, query)
	}
	return r.Data
}

// fail runs a query that must fail and returns its one error.
func (e *testEngine) fail(t testing.TB, role string, vars map[string]string, query string, variables any) gqlError {
	t.Helper()
	r := e.run(t, role, vars, query, variables)
	if len(r.Errors) != 1 || r.Data != nil {
		t.Fatalf("want one error and no data, got %s\nquery: %s", r.raw, query)
	}
	return r.Errors[0]
}

// sqlJSON runs SQL that returns one JSON value (one row, one column)
// directly through pgx, the independent side of a comparison, and decodes
// it as the engine's responses are decoded. No row or NULL is nil.
func (e *testEngine) sqlJSON(t testing.TB, sql string, args ...any) any {
	t.Helper()
	var b []byte
	err := e.pool.QueryRow(context.Background(), "SELECT ("+sql+")::text", args...).Scan(&b)
	if err != nil {
		t.Fatalf("%v\nSQL: %s", err, sql)
	}
	if b == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("SQL result is not JSON: %v\n%s", err, b)
	}
	return v
}

// exec runs a statement directly.
func (e *testEngine) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%v\nSQL: %s", err, sql)
	}
}

// asJSON decodes a JSON literal as responses are decoded.
func asJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON literal %s: %v", s, err)
	}
	return v
}

func TestSmoke(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", "testdata/fixtures/chinook/hasgen.yaml", false)
	for _, q := range []string{
		`{ albums_by_pk(id: 1) { id title artist { name id } } }`,
		`{ albums(where: {title: {_like: "%Rock%"}}, order_by: {id: desc}, limit: 3) { id title artist { name } tracks(limit: 2, order_by: {name: asc}) { name } } }`,
		`{ albums_aggregate(where: {artist_id: {_eq: 1}}) { aggregate { count max { title } sum { id } avg { id } } nodes { id } } }`,
		`{ artists(limit: 2, order_by: {albums_aggregate: {count: desc}}) { name albums_aggregate { aggregate { count } } } }`,
		`{ tracks(limit: 2, order_by: {album: {title: asc}}, distinct_on: []) { name album { title } } }`,
		`{ __typename a: albums(limit: 1) { __typename id } }`,
	} {
		t.Logf("%s\n  → %s", q, e.raw(t, "admin", nil, q, nil))
	}
	t.Logf("customer: %s", e.raw(t, "customer", map[string]string{"x-hasura-user-id": "2"}, `{ customers { id first_name invoices(limit: 2) { id total invoice_lines_aggregate { aggregate { count } } } } }`, nil))
	t.Logf("customer no var: %s", e.raw(t, "customer", nil, `{ customers { id } }`, nil))
	t.Logf("customer hidden: %s", e.raw(t, "customer", map[string]string{"x-hasura-user-id": "2"}, `{ customers { id phone } }`, nil))
}

// newPool is the pool runtime.NewPool gives the server, with a tracer.
func newPool(t testing.TB, url string, tr pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	pool, err := runtime.NewPool(context.Background(), runtime.Config{DatabaseURL: url, MaxConns: 8, Tracer: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
