package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestHints(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repo(t), "testdata", "fixtures", "subscriptions", "schema.sql"))
	config := filepath.Join(repo(t), "testdata", "fixtures", "subscriptions", "hasgen.yaml")

	code, sql, stderr := run(t, "hints", "sql", "--config", config, "--database-url", url)
	if code != 0 {
		t.Fatalf("hints sql: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"CREATE OR REPLACE FUNCTION hasgen.notify_change()", `'"public"."events"'::regclass`, `'"public"."items"'::regclass`, `'"public"."owners"'::regclass`, "FOR EACH STATEMENT"} {
		if !strings.Contains(sql, want) {
			t.Errorf("hints sql lacks %q", want)
		}
	}

	code, stdout, stderr := run(t, "hints", "install", "--config", config, "--database-url", url)
	if code != 0 || !strings.Contains(stdout, "installed on 3 tables") {
		t.Fatalf("hints install: exit %d: %s%s", code, stdout, stderr)
	}
	// Idempotent.
	if code, _, stderr := run(t, "hints", "install", "--config", config, "--database-url", url); code != 0 {
		t.Fatalf("second hints install: exit %d: %s", code, stderr)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname = 'hasgen_changes'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d triggers (%v), want 3", n, err)
	}
	// One notification per statement, naming the table.
	if _, err := conn.Exec(ctx, "LISTEN hasgen_changes"); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, `INSERT INTO items (owner_id, label) SELECT 1, 'x' || i FROM generate_series(1, 5) AS i`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	note, err := conn.WaitForNotification(wctx)
	if err != nil || note.Payload != "public.items" {
		t.Fatalf("notification %+v, %v", note, err)
	}

	if code, _, stderr := run(t, "hints", "uninstall", "--database-url", url); code != 0 {
		t.Fatalf("hints uninstall: exit %d: %s", code, stderr)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname = 'hasgen_changes'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d triggers left (%v)", n, err)
	}
	if code, _, stderr := run(t, "hints", "install", "--database-url", url); code != 2 || !strings.Contains(stderr, "--config is required") {
		t.Fatalf("install without --config: exit %d: %s", code, stderr)
	}
}
