package pgtest_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func datasets() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "shared", "datasets")
}

func TestNewDatabaseIsFreshAndLoaded(t *testing.T) {
	schema := filepath.Join(datasets(), "pagila", "pagila-schema.sql")
	data := filepath.Join(datasets(), "pagila", "pagila-data.sql")
	a := pgtest.NewDatabase(t, schema, data)
	b := pgtest.NewDatabase(t, schema, data)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM rental").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 16044 {
		t.Fatalf("rental has %d rows, want 16044", n)
	}
	// A write in one database is not seen in the other.
	if _, err := conn.Exec(ctx, "DELETE FROM payment"); err != nil {
		t.Fatal(err)
	}
	conn2, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(ctx)
	if err := conn2.QueryRow(ctx, "SELECT count(*) FROM payment").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 16049 {
		t.Fatalf("payment in the second database has %d rows, want 16049", n)
	}
	t.Logf("server ready in %v", pgtest.StartupTime())
}

func TestChinookScriptWithCreateDatabaseLoads(t *testing.T) {
	u := pgtest.NewDatabase(t, filepath.Join(datasets(), "chinook", "Chinook_PostgreSql.sql"))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM track").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3503 {
		t.Fatalf("track has %d rows, want 3503", n)
	}
}

func TestEmptyDatabase(t *testing.T) {
	u := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d relations in public", n)
	}
}
