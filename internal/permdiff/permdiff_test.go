package permdiff_test

import (
	"context"
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

// env is a Chinook database with the reference policies, and the server
// generated from the Chinook fixture serving it.
type env struct {
	db, server string
}

func setup(t *testing.T, extraSQL ...string) env {
	t.Helper()
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")
	db := pgtest.NewDatabase(t, dataset)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := permdiff.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	for _, sql := range extraSQL {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: db, Config: filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")},
		map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret})
	return env{db: db, server: srv.URL}
}

func TestSeeded(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: e.db, ServerURL: e.server, AdminSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	start := time.Now()
	rep, err := h.Run(ctx, permdiff.RunOptions{Seed: 1, Cases: 300, Workers: 2, MaxShrink: 10})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Write(&b)
	t.Logf("%s", b.String())
	t.Logf("run: %s", time.Since(start))
	if rep.Failed() {
		t.Fail()
	}
}
