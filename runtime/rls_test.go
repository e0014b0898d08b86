package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// rlsPolicies is the fixture's customer rule written as row-level
// security for the database role rls_reader: a customer row is visible
// when its id is the session's user id. Admin requests bypass hasgen's
// filters, so what admin sees under RLS is what the policy lets through.
const rlsPolicies = `
DO $$ BEGIN CREATE ROLE rls_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO rls_reader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rls_reader;
GRANT rls_reader TO CURRENT_USER;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON customers FOR SELECT TO rls_reader
  USING (id = (current_setting('hasura.user')::json->>'x-hasura-user-id')::int);
ALTER TABLE genres ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_genres ON genres FOR SELECT TO rls_reader USING (true);
CREATE POLICY add_genres ON genres FOR INSERT TO rls_reader
  WITH CHECK (name = current_setting('hasura.user')::json->>'x-hasura-genre');
`

// TestRLSDefenceInDepth: with engine.RLS, every statement runs as the
// configured database role with the session in hasura.user, so the
// database's policies apply on top of hasgen's (queries, batches and
// mutations); without it, they do not.
func TestRLSDefenceInDepth(t *testing.T) {
	ctx := context.Background()
	var base engine.Config
	e, pool := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, func(cfg *engine.Config) {
		base = *cfg
		cfg.RLS = &engine.RLS{Role: "rls_reader"}
	})
	if _, err := pool.Exec(ctx, strings.ReplaceAll(rlsPolicies, "CURRENT_USER", `"`+pool.Config().ConnConfig.User+`"`)); err != nil {
		t.Fatal(err)
	}
	admin := &session.Session{Role: session.AdminRole, Vars: map[string]string{"x-hasura-user-id": "3", "x-hasura-genre": "Polka"}}
	do := func(q string) string { return string(e.Do(ctx, admin, &wire.Request{Query: q})) }

	if got, want := do(`{ customers { id } }`), `{"data":{"customers":[{"id":3}]}}`; got != want {
		t.Errorf("one field: got %s, want %s", got, want)
	}
	if got, want := do(`{ a: customers { id } b: customers_aggregate { aggregate { count } } }`), `{"data":{"a":[{"id":3}],"b":{"aggregate":{"count":1}}}}`; got != want {
		t.Errorf("two fields (a batch): got %s, want %s", got, want)
	}
	if got := do(`mutation { insert_genres_one(object: {name: "Polka"}) { name } }`); got != `{"data":{"insert_genres_one":{"name":"Polka"}}}` {
		t.Errorf("insert the policy allows: %s", got)
	}
	got := do(`mutation { insert_genres_one(object: {name: "Jazz fusion"}) { name } }`)
	if !strings.Contains(got, `row-level security`) || !strings.Contains(got, `"permission-error"`) {
		t.Errorf("insert the policy refuses: %s", got)
	}
	// The same database without RLS in the engine: admin sees every row.
	plain, err := engine.New(base, pool)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(plain.Do(ctx, admin, &wire.Request{Query: `{ customers_aggregate { aggregate { count } } }`})); got != `{"data":{"customers_aggregate":{"aggregate":{"count":59}}}}` {
		t.Errorf("without RLS: %s", got)
	}
}
