package permdiff_test

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/internal/permdiff"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const secret = "permdiff-secret"

// The short run: 500 seeded cases in about 30 s on two cores, building
// the server included. cmd/permdiff runs the long one.
const (
	shortSeed  = 1
	shortCases = 500
)

// uid is how the policies read the session's user id.
const uid = `(current_setting('hasura.user')::json->>'x-hasura-user-id')::int`

// brokenPolicies returns policies.sql for the database roles
// pdx_customer and pdx_employee with two deliberate mistakes: the
// customer's customers policy also lets the next customer's row through
// (a leak), and the employee's customers policy hides the supported
// customers in the USA (rows wrongly hidden).
func brokenPolicies(t *testing.T) string {
	t.Helper()
	sql := permdiff.PoliciesSQL()
	sql = strings.ReplaceAll(sql, "pd_customer", "pdx_customer")
	sql = strings.ReplaceAll(sql, "pd_employee", "pdx_employee")
	for _, r := range []struct{ old, new string }{
		{"USING (id = " + uid + ");", "USING (id = " + uid + " OR id = " + uid + " + 1);"},
		{"USING (support_rep_id = " + uid + ");", "USING (support_rep_id = " + uid + " AND country <> 'USA');"},
	} {
		if strings.Count(sql, r.old) != 1 {
			t.Fatalf("policies.sql changed: %q is not there once", r.old)
		}
		sql = strings.Replace(sql, r.old, r.new, 1)
	}
	return sql
}

// setup loads Chinook into a fresh database, installs the reference
// policies (and the broken ones), and starts the server generated from
// the Chinook fixture.
func setup(t *testing.T) (db, server string) {
	t.Helper()
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")
	db = pgtest.NewDatabase(t, dataset)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := permdiff.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, brokenPolicies(t)); err != nil {
		t.Fatalf("broken policies: %v", err)
	}
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: db, Config: filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")},
		map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret})
	return db, srv.URL
}

// TestPermdiff runs the seeded cases, then proves on broken policies that
// the harness sees leaks and wrongly hidden rows.
func TestPermdiff(t *testing.T) {
	db, server := setup(t)
	ctx := context.Background()

	t.Run("generator", func(t *testing.T) {
		// A case is a function of its seed and index, and only the
		// forbidden ones use what the role may not.
		h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: server, AdminSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		for i := range 300 {
			a, b := h.Gen.Case(shortSeed, i), h.Gen.Case(shortSeed, i)
			ra, rb := permdiff.Render(a.Query), permdiff.Render(b.Query)
			if ra.Query != rb.Query || string(ra.Variables) != string(rb.Variables) || a.Role != b.Role {
				t.Fatalf("case %d generated twice differs:\n%s\n%s", i, ra.Query, rb.Query)
			}
			if v := permdiff.Violations(a.Query, a.Role); (len(v) > 0) != (a.Forbidden != "") {
				t.Errorf("case %d: forbidden %q, violations %q", i, a.Forbidden, v)
			}
		}
	})

	t.Run("seeded", func(t *testing.T) {
		// The two differences this test found (RESULTS.md) are gone:
		// variables inside list literals are bound right since the
		// hardening (issue 10), and a role's row limit caps an aggregate's
		// nodes only, as in Hasura, since issue 11.
		h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: server, AdminSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		start := time.Now()
		rep, err := h.Run(ctx, permdiff.RunOptions{Seed: shortSeed, Cases: shortCases, Workers: 2, MaxShrink: 20})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		rep.Write(&b)
		t.Logf("%s(run: %s)", b.String(), time.Since(start).Round(time.Millisecond))
		if rep.Failed() {
			t.Errorf("%d differing cases, %d errors", rep.Found, len(rep.Errors))
		}
		if rep.Cases != shortCases {
			t.Errorf("%d cases run, want %d", rep.Cases, shortCases)
		}
	})

	t.Run("detects_broken_policies", func(t *testing.T) {
		for _, role := range []string{"customer", "employee"} {
			t.Run(role, func(t *testing.T) {
				h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: server, AdminSecret: secret,
					DBRoles: map[string]string{"admin": "pd_admin", "customer": "pdx_customer", "employee": "pdx_employee"}})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				h.Gen.Roles = []string{role}
				h.Gen.ForbiddenRate = -1
				rep, err := h.Run(ctx, permdiff.RunOptions{Seed: shortSeed, Cases: 100, Workers: 2, MaxShrink: 1})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Errors) > 0 {
					t.Fatalf("errors: %v", rep.Errors)
				}
				var shrunk *permdiff.Difference
				for _, d := range rep.Differences() {
					if d.Kind != permdiff.KindRows {
						t.Errorf("unexpected difference:\n%s", d)
					}
					if d.Original != nil {
						shrunk = d
					}
				}
				// The broken policy shows in a good share of cases, and
				// shrinks to a query of a few lines.
				if rep.Found < 3 || shrunk == nil {
					t.Fatalf("broken %s policy: %d differing cases in %d, none shrunk: the harness misses a broken policy", role, rep.Found, rep.Cases)
				}
				if n := strings.Count(shrunk.Request.Query, "\n"); n > 8 {
					t.Errorf("shrunk reproduction has %d lines:\n%s", n, shrunk)
				}
				t.Logf("%d of %d cases differ; shrunk:\n%s", rep.Found, rep.Cases, shrunk)
			})
		}
	})

	t.Run("detects_unrefused_forbidden_queries", func(t *testing.T) {
		// A proxy that asks as employee what the harness asks as customer:
		// the employee may select columns, tables and aggregates the
		// customer may not, so forbidden customer queries get answered, as
		// they would by a server that forgot a permission.
		target, err := url.Parse(server)
		if err != nil {
			t.Fatal(err)
		}
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			if r.In.Header.Get("X-Hasura-Role") == "customer" {
				r.Out.Header.Set("X-Hasura-Role", "employee")
			}
		}}
		ps := httptest.NewServer(proxy)
		defer ps.Close()
		h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: ps.URL, AdminSecret: secret, CapAggregates: true})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		h.Gen.Roles = []string{"customer"}
		h.Gen.ForbiddenRate = 1
		rep, err := h.Run(ctx, permdiff.RunOptions{Seed: shortSeed, Cases: 40, Workers: 2, MaxShrink: 1})
		if err != nil {
			t.Fatal(err)
		}
		notRefused := 0
		var first *permdiff.Difference
		for _, g := range rep.Groups {
			if g.Examples[0].Kind == permdiff.KindNotRefused {
				notRefused += g.Count
				if first == nil {
					first = g.Examples[0]
				}
			}
		}
		if rep.Forbidden != rep.Cases || notRefused < 3 {
			t.Fatalf("%d forbidden cases of %d, %d answered by the wrong role: the harness misses unrefused queries", rep.Forbidden, rep.Cases, notRefused)
		}
		t.Logf("%d of %d forbidden cases answered; first:\n%s", notRefused, rep.Cases, first)
	})
}
