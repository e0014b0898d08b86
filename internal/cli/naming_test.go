package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
)

const namingEnv = "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION"

// TestDefaultNamingConventionEnv: HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION
// is read when names are compiled: with graphql-default, explain compiles
// a query written in camelCase and refuses the snake_case one; a value
// Hasura does not know is a problem (exit 1).
func TestDefaultNamingConventionEnv(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repo(t), "example", "schema.sql"))
	dir := t.TempDir()
	snap := filepath.Join(dir, "schema.json")
	if code, _, stderr := run(t, "introspect", "--database-url", url, "-o", snap); code != 0 {
		t.Fatalf("introspect exited %d: %s", code, stderr)
	}
	cfg := filepath.Join(repo(t), "example", "hasgen.yaml")
	camel := filepath.Join(dir, "camel.graphql")
	snake := filepath.Join(dir, "snake.graphql")
	os.WriteFile(camel, []byte(`{ messages(orderBy: {createdAt: DESC}, limit: 1) { id createdAt } }`), 0o644)
	os.WriteFile(snake, []byte(`{ messages(order_by: {created_at: desc}, limit: 1) { id created_at } }`), 0o644)
	explain := func(query string) (int, string) {
		code, stdout, stderr := run(t, "explain", "--snapshot", snap, "--config", cfg, "--role", "admin", "--query", query)
		return code, stdout + stderr
	}

	t.Setenv(namingEnv, "graphql-default")
	if code, out := explain(camel); code != 0 || !strings.Contains(out, `"created_at"`) {
		t.Errorf("graphql-default, camelCase query: exit %d\n%s", code, out)
	}
	if code, out := explain(snake); code == 0 {
		t.Errorf("graphql-default, snake_case query compiled:\n%s", out)
	}

	t.Setenv(namingEnv, "")
	if code, out := explain(snake); code != 0 {
		t.Errorf("hasura-default, snake_case query: exit %d\n%s", code, out)
	}
	if code, out := explain(camel); code == 0 {
		t.Errorf("hasura-default, camelCase query compiled:\n%s", out)
	}

	t.Setenv(namingEnv, "camelCase")
	code, _, stderr := run(t, "validate", "--config", cfg, "--snapshot", snap)
	if code != 1 || !strings.Contains(stderr, namingEnv) {
		t.Errorf("bad value: exit %d, want 1\n%s", code, stderr)
	}
}
