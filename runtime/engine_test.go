package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
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
	*runtime.Engine
	pool *pgxpool.Pool
	url  string
}

func newTestEngine(t testing.TB, dataset, config string, stringify bool) *testEngine {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, datasetFiles(t, dataset)...)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := introspect.Load(ctx, conn, nil)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(filepath.Join(repoRoot(t), config), db)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(db, md)
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{}
	for _, role := range append([]string{model.AdminRole}, p.Roles...) {
		sdl, err := templates.SDL(p, role)
		if err != nil {
			t.Fatal(err)
		}
		name := "roles/" + role + ".graphqls"
		if role == model.AdminRole {
			name = "full.graphqls"
		}
		files[name] = &fstest.MapFile{Data: sdl}
	}
	pool, err := runtime.NewPool(ctx, runtime.Config{DatabaseURL: url, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e, err := runtime.NewEngine(runtime.EngineConfig{Tables: templates.Descriptors(p), Schemas: files, StringifyNumeric: stringify}, pool)
	if err != nil {
		t.Fatal(err)
	}
	return &testEngine{Engine: e, pool: pool, url: url}
}

// do runs a query as a role with session variables and returns the
// response decoded.
func (e *testEngine) do(t testing.TB, role string, vars map[string]string, query string, variables any) map[string]any {
	t.Helper()
	s := &runtime.Session{Role: role, Vars: vars}
	req := &runtime.Request{Query: query}
	if variables != nil {
		b, _ := json.Marshal(variables)
		req.Variables = b
	}
	out := e.Do(context.Background(), s, req)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, out)
	}
	return m
}

func (e *testEngine) raw(t testing.TB, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	s := &runtime.Session{Role: role, Vars: vars}
	req := &runtime.Request{Query: query}
	if variables != nil {
		b, _ := json.Marshal(variables)
		req.Variables = b
	}
	return string(e.Do(context.Background(), s, req))
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
