package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
)

// TestEnumTablesOffline: generate reads the enum tables' rows from the
// database; from a snapshot, they are there when introspect was given the
// permissions file, and without it generate says what to do.
func TestEnumTablesOffline(t *testing.T) {
	root := repo(t)
	url := pgtest.NewDatabase(t, filepath.Join(root, "testdata/fixtures/enums/schema.sql"))
	config := filepath.Join(root, "testdata/fixtures/enums/hasgen.yaml")
	dir := t.TempDir()
	schemas := []string{"--schema", "public", "--schema", "support"}

	live := filepath.Join(dir, "live")
	if code, _, stderr := run(t, append([]string{"generate", "--database-url", url, "--config", config, "--out", live, "--runtime-replace", root}, schemas...)...); code != 0 {
		t.Fatalf("generate from the database: exit %d: %s", code, stderr)
	}
	sdl, err := os.ReadFile(filepath.Join(live, "schema", "full.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sdl), "enum user_role_enum {\n  \"\"\"Can do anything\"\"\"\n  admin\n") {
		t.Errorf("full.graphqls has no user_role_enum:\n%s", sdl)
	}

	snap := filepath.Join(dir, "schema.json")
	if code, _, stderr := run(t, append([]string{"introspect", "--database-url", url, "--config", config, "-o", snap}, schemas...)...); code != 0 {
		t.Fatalf("introspect --config: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "check", "--snapshot", snap, "--config", config, "--out", live, "--runtime-replace", root); code != 0 {
		t.Errorf("check from the snapshot: exit %d:\n%s%s", code, stdout, stderr)
	}

	bare := filepath.Join(dir, "bare.json")
	if code, _, stderr := run(t, append([]string{"introspect", "--database-url", url, "-o", bare}, schemas...)...); code != 0 {
		t.Fatalf("introspect: exit %d: %s", code, stderr)
	}
	code, _, stderr := run(t, "generate", "--snapshot", bare, "--config", config, "--out", filepath.Join(dir, "offline"), "--runtime-replace", root)
	if code == 0 || !strings.Contains(stderr, "enum table public.user_role: its values were not read: generate from the database (--database-url), or write the snapshot with hasgen introspect --config") {
		t.Errorf("generate from a snapshot without the rows: exit %d: %s", code, stderr)
	}
}

// TestValidateEnumTables: validate reads the enum tables' rows as generate
// does, and reports a table that cannot be an enum.
func TestValidateEnumTables(t *testing.T) {
	root := repo(t)
	config := filepath.Join(root, "testdata/fixtures/enums/hasgen.yaml")
	url := pgtest.NewDatabase(t, filepath.Join(root, "testdata/fixtures/enums/schema.sql"))
	if code, stdout, stderr := run(t, "validate", "--database-url", url, "--config", config); code != 0 || !strings.Contains(stdout, "valid (") {
		t.Errorf("validate: exit %d: %s%s", code, stdout, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.sql")
	if err := os.WriteFile(bad, []byte("INSERT INTO support.ticket_state VALUES ('on hold');\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	url = pgtest.NewDatabase(t, filepath.Join(root, "testdata/fixtures/enums/schema.sql"), bad)
	code, _, stderr := run(t, "validate", "--database-url", url, "--config", config)
	if want := config + `: the table "ticket_state" cannot be used as an enum because the value "on hold" is not a valid GraphQL enum value name`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("validate with a bad enum value: exit %d: %s\nwant %s", code, stderr, want)
	}
}
