package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hasgen/hasgen/pgtest"
)

// triggersFixture makes a database with two tables and writes the
// permissions file config; it returns the database URL and the file.
func triggersFixture(t *testing.T, config string) (url, path string) {
	t.Helper()
	dir := t.TempDir()
	schema := filepath.Join(dir, "schema.sql")
	if err := os.WriteFile(schema, []byte(`CREATE TABLE items (id serial PRIMARY KEY, name text, note text);
CREATE TABLE owners (id serial PRIMARY KEY, name text);
`), 0o644); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "hasgen.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return pgtest.NewDatabase(t, schema), path
}

const triggersConfig = `- table: items
  event_triggers:
    - name: item_changed
      definition: {insert: {columns: '*'}, update: {columns: [name]}}
      webhook: http://hooks.local/item
- table: owners
  event_triggers:
    - name: owner_gone
      definition: {delete: {columns: '*'}}
      webhook_from_env: OWNER_HOOK
`

// TestTriggers: sql prints the migration, install runs it (twice),
// check passes, then names the drift and exits 1, uninstall removes the
// triggers.
func TestTriggers(t *testing.T) {
	ctx := context.Background()
	url, config := triggersFixture(t, triggersConfig)

	code, sql, stderr := run(t, "triggers", "sql", "--config", config, "--database-url", url)
	if code != 0 {
		t.Fatalf("triggers sql: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"BEGIN;", "CREATE TABLE IF NOT EXISTS hdb_catalog.event_log",
		`CREATE TRIGGER "notify_hasura_item_changed_INSERT" AFTER INSERT ON "public"."items" FOR EACH ROW`,
		`CREATE TRIGGER "notify_hasura_item_changed_UPDATE" AFTER UPDATE ON "public"."items" FOR EACH ROW`,
		`CREATE TRIGGER "notify_hasura_owner_gone_DELETE" AFTER DELETE ON "public"."owners" FOR EACH ROW`, "COMMIT;"} {
		if !strings.Contains(sql, want) {
			t.Errorf("triggers sql lacks %q", want)
		}
	}

	if code, _, stderr := run(t, "triggers", "check", "--config", config, "--database-url", url); code != 1 ||
		!strings.Contains(stderr, "missing: the event catalog") || !strings.Contains(stderr, "missing: notify_hasura_owner_gone_DELETE on public.owners") {
		t.Errorf("check before install: exit %d: %s", code, stderr)
	}
	for i := 0; i < 2; i++ {
		code, stdout, stderr := run(t, "triggers", "install", "--config", config, "--database-url", url)
		if code != 0 || stdout != "2 event trigger(s) installed\n" {
			t.Fatalf("triggers install: exit %d: %s%s", code, stdout, stderr)
		}
	}
	if code, stdout, stderr := run(t, "triggers", "check", "--config", config, "--database-url", url); code != 0 ||
		stdout != "2 event trigger(s) installed as the metadata declares\n" {
		t.Errorf("check after install: exit %d: %s%s", code, stdout, stderr)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO items (name) VALUES ('a'); UPDATE items SET note = 'n'; DELETE FROM owners`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'item_changed'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d events captured (%v), want 1", n, err)
	}

	// The metadata changes: the update watches another column, the
	// delete trigger is gone.
	changed := strings.Replace(triggersConfig, "columns: [name]", "columns: [note]", 1)
	changed = changed[:strings.Index(changed, "- table: owners")]
	if err := os.WriteFile(config, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "triggers", "check", "--config", config, "--database-url", url)
	if code != 1 {
		t.Errorf("check of a drift: exit %d", code)
	}
	for _, want := range []string{
		"stale: notify_hasura_item_changed_UPDATE on public.items (its function is not the one the metadata declares)",
		"extra: notify_hasura_owner_gone_DELETE on public.owners",
		"hasgen triggers install",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("check's output lacks %q:\n%s", want, stderr)
		}
	}
	if code, _, stderr := run(t, "triggers", "install", "--config", config, "--database-url", url); code != 0 {
		t.Fatalf("install of the change: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "triggers", "check", "--config", config, "--database-url", url); code != 0 {
		t.Errorf("check after the change is installed: exit %d: %s", code, stderr)
	}

	code, uninstall, stderr := run(t, "triggers", "sql", "--uninstall")
	if code != 0 || !strings.Contains(uninstall, "DROP TRIGGER") {
		t.Errorf("triggers sql --uninstall: exit %d: %s%s", code, uninstall, stderr)
	}
	if code, _, stderr := run(t, "triggers", "uninstall", "--database-url", url); code != 0 {
		t.Fatalf("triggers uninstall: exit %d: %s", code, stderr)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'notify\_hasura\_%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d triggers left (%v)", n, err)
	}
	if code, _, stderr := run(t, "triggers", "check", "--config", config, "--database-url", url); code != 1 || !strings.Contains(stderr, "missing: notify_hasura_item_changed_INSERT on public.items") {
		t.Errorf("check after uninstall: exit %d: %s", code, stderr)
	}
}

// TestTriggersBadInput: a metadata problem is exit 1 with its place; a
// missing flag is exit 2.
func TestTriggersBadInput(t *testing.T) {
	url, config := triggersFixture(t, strings.Replace(triggersConfig, "columns: [name]", "columns: [nme]", 1))
	code, _, stderr := run(t, "triggers", "sql", "--config", config, "--database-url", url)
	if code != 1 || !strings.Contains(stderr, `hasgen.yaml:4:63: table public.items: event trigger "item_changed" update columns: column "nme" is not in public.items`) {
		t.Errorf("bad metadata: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "triggers", "install", "--config", config); code != 2 || !strings.Contains(stderr, "--database-url is required") {
		t.Errorf("install without --database-url: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "triggers", "check", "--database-url", url); code != 2 || !strings.Contains(stderr, "--config is required") {
		t.Errorf("check without --config: exit %d: %s", code, stderr)
	}
}
