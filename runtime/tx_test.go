package runtime_test

// Run on a caller's transaction (engine.DBTX), and custom mutation fields
// inside the request's transaction.

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"
)

// inProcessEngine is an engine over a fresh database of sqlFiles (paths
// from the module root or absolute) and the permissions file config, in
// process only; configure changes its configuration first. pool is its
// pool; tr, when not nil, sees every statement.
func inProcessEngine(t testing.TB, sqlFiles []string, config string, tr pgx.QueryTracer, configure func(*engine.Config)) (*engine.Engine, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	for i, f := range sqlFiles {
		if !filepath.IsAbs(f) {
			sqlFiles[i] = filepath.Join(repoRoot(t), f)
		}
	}
	url := pgtest.NewDatabase(t, sqlFiles...)
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), config)})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(&cfg)
	}
	pool := newPool(t, url, tr)
	e, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	return e, pool
}

// newMutationEngineInProcess is the mutations fixture's engine, in process
// only, with an optional custom schema.
func newMutationEngineInProcess(t *testing.T, customSDL string, custom engine.CustomSchema) (*engine.Engine, *pgxpool.Pool) {
	t.Helper()
	return inProcessEngine(t, []string{mutSQL}, mutConfig, nil, func(cfg *engine.Config) {
		cfg.CustomSDL, cfg.Custom = customSDL, custom
	})
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRunInCallersTransaction runs a generated insert and the caller's own
// SQL in one transaction through engine.DBTX: rolled back, neither is
// there; committed, both are.
func TestRunInCallersTransaction(t *testing.T) {
	e, pool := newMutationEngineInProcess(t, "", nil)
	ctx := context.Background()
	admin := &session.Session{Role: session.AdminRole}
	insert := func(name string) *engine.Prepared {
		p, err := e.Prepare(ctx, admin, &wire.Request{Query: `mutation($n: String!) { insert_counters_one(object: {name: $n, value: 3}) { name doubled } }`,
			Variables: json.RawMessage(`{"n": "` + name + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, commit := range []bool{false, true} {
		name := "rolled-back"
		if commit {
			name = "committed"
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Run(ctx, tx, insert(name), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"data":{"insert_counters_one":{"name":"` + name + `","doubled":6}}}`; string(out) != want {
			t.Fatalf("got %s, want %s", out, want)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO authors (name, owner_id) VALUES ($1, 9)`, name); err != nil {
			t.Fatal(err)
		}
		// Inside the transaction the row is visible to the caller's SQL.
		var v int
		if err := tx.QueryRow(ctx, `SELECT value FROM counters WHERE name = $1`, name).Scan(&v); err != nil || v != 3 {
			t.Fatalf("inside the transaction: value %d, %v", v, err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if commit {
			want = 1
		}
		if n := countRows(t, pool, `SELECT count(*) FROM counters WHERE name = '`+name+`'`); n != want {
			t.Errorf("%s: %d counters rows, want %d", name, n, want)
		}
		if n := countRows(t, pool, `SELECT count(*) FROM authors WHERE name = '`+name+`'`); n != want {
			t.Errorf("%s: %d authors rows, want %d", name, n, want)
		}
	}
}

// noteSchema is a custom schema with one mutation field, note(text), whose
// resolver inserts a counters row on the request's transaction
// (engine.TxFrom) and answers true; with text "fail" it inserts, then
// fails. It stands for the gqlgen code generated from custom.graphqls.
const noteSDL = "schema { query: query_root mutation: mutation_root }\ntype query_root { hello: String! }\ntype mutation_root { note(text: String!): Boolean! }\n"

type noteSchema struct{ s *ast.Schema }

func (n noteSchema) Schema() *ast.Schema { return n.s }

func (noteSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}

func (noteSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		oc := graphql.GetOperationContext(ctx)
		data := map[string]any{}
		for _, sel := range oc.Operation.SelectionSet {
			f := sel.(*ast.Field)
			text := f.ArgumentMap(oc.Variables)["text"].(string)
			tx := engine.TxFrom(ctx)
			if tx == nil {
				return graphql.ErrorResponse(ctx, "no transaction in the resolver's context")
			}
			rows, err := tx.Query(ctx, `INSERT INTO counters (name, value) VALUES ($1, 1)`, "note:"+text)
			if err == nil {
				rows.Close()
				err = rows.Err()
			}
			if err == nil && text == "fail" {
				err = errors.New("the note resolver failed")
			}
			if err != nil {
				return graphql.ErrorResponse(ctx, "%s", err.Error())
			}
			data[f.Alias] = true
		}
		b, _ := json.Marshal(data)
		return &graphql.Response{Data: b}
	}
}

// TestCustomMutationInRequestTransaction: a custom mutation field writes
// on the request's transaction, so it commits with the generated fields
// and is rolled back when one of them fails, or when it fails itself.
func TestCustomMutationInRequestTransaction(t *testing.T) {
	e, pool := newMutationEngineInProcess(t, noteSDL, func(s *ast.Schema, _ *pgxpool.Pool) graphql.ExecutableSchema { return noteSchema{s} })
	ctx := context.Background()
	admin := &session.Session{Role: session.AdminRole}
	cases := []struct {
		name, query string
		ok          bool
		rows        string // the counters rows that must exist afterwards, or must not
	}{
		{"both commit", `mutation { note(text: "a") insert_counters_one(object: {name: "gen-a", value: 1}) { name } }`, true, "'note:a', 'gen-a'"},
		{"generated field fails: the note is rolled back", `mutation { note(text: "b") insert_counters_one(object: {name: "users", value: 1}) { name } }`, false, "'note:b'"},
		{"note fails: the generated row is rolled back", `mutation { insert_counters_one(object: {name: "gen-c", value: 1}) { name } note(text: "fail") }`, false, "'note:fail', 'gen-c'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := string(e.Do(ctx, admin, &wire.Request{Query: c.query}))
			failed := strings.HasPrefix(out, `{"errors":`)
			if failed == c.ok {
				t.Fatalf("ok = %v, want %v: %s", !failed, c.ok, out)
			}
			want := 0
			if c.ok {
				want = strings.Count(c.rows, ",") + 1
			}
			if n := countRows(t, pool, `SELECT count(*) FROM counters WHERE name IN (`+c.rows+`)`); n != want {
				t.Errorf("%d of the rows %s exist, want %d (response %s)", n, c.rows, want, out)
			}
		})
	}
}
