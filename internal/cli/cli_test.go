package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	neturl "net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/cli"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func repo(t testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func datasets(t testing.TB) string { return filepath.Join(repo(t), "..", "shared", "datasets") }

// run runs hasgen with args and returns its exit code, stdout and stderr.
func run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitInfersGraphQLBenchRelationships(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(datasets(t), "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql"))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hasgen.yaml")
	code, _, stderr := run(t, "init", "--database-url", url, "-o", cfg)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}

	// What graphql-bench declares to Hasura.
	raw, err := os.ReadFile(filepath.Join(datasets(t), "chinook-graphql-bench", "psql_track_chinook_relationships.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bulk struct {
		Args []struct {
			Type string `json:"type"`
			Args struct {
				Name  string `json:"name"`
				Table struct {
					Name string `json:"name"`
				} `json:"table"`
			} `json:"args"`
		} `json:"args"`
	}
	if err := json.Unmarshal(raw, &bulk); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range bulk.Args {
		kind := "object"
		if strings.Contains(a.Type, "array") {
			kind = "array"
		}
		want = append(want, a.Args.Table.Name+"."+a.Args.Name+" "+kind)
	}
	sort.Strings(want)

	// What init wrote, read back through the metadata package.
	s := introspectURL(t, url)
	md, err := metadata.Load(cfg, s)
	if err != nil {
		t.Fatalf("the file init wrote does not load: %v", err)
	}
	got := map[string]bool{}
	for _, tbl := range md.Tables {
		for _, r := range tbl.Relationships {
			got[tbl.Name+"."+r.Name+" "+r.Kind.String()] = true
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("init did not infer %s", w)
		}
	}
	for _, tbl := range md.Tables {
		if len(tbl.SelectPermissions)+len(tbl.InsertPermissions)+len(tbl.UpdatePermissions)+len(tbl.DeletePermissions) > 0 {
			t.Errorf("init granted permissions on %s; it must grant none", tbl.Name)
		}
	}

	code, stdout, stderr := run(t, "validate", "--config", cfg, "--database-url", url)
	if code != 0 {
		t.Fatalf("validate of init's file exited %d:\n%s%s", code, stdout, stderr)
	}
}

func introspectURL(t testing.TB, url string) *introspect.Schema {
	t.Helper()
	dir := t.TempDir()
	snap := filepath.Join(dir, "schema.json")
	if code, _, stderr := run(t, "introspect", "--database-url", url, "-o", snap); code != 0 {
		t.Fatalf("introspect exited %d: %s", code, stderr)
	}
	s, err := introspect.LoadSnapshotFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIntrospectStdoutMatchesFile(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repo(t), "example", "schema.sql"))
	code, stdout, stderr := run(t, "introspect", "--database-url", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	file := filepath.Join(t.TempDir(), "s.json")
	if code, _, stderr := run(t, "introspect", "--database-url", url, "--schema", "public", "-o", file); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(file)
	if string(b) != stdout {
		t.Fatal("introspect to a file and to stdout differ")
	}
	if !strings.Contains(stdout, `"name": "order_status"`) {
		t.Fatal("snapshot lacks the order_status enum")
	}
}

func TestValidateReportsEveryProblemWithExit1(t *testing.T) {
	url := pgtest.NewDatabase(t, filepath.Join(repo(t), "example", "schema.sql"))
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte(`- table: {schema: public, name: messages}
  select_permissions:
    - role: user
      permission:
        columns: [id, bdy]
        filter: {author_id: {_eqq: X-Hasura-User-Id}}
- table: {schema: public, name: nope}
`), 0o644)
	code, stdout, stderr := run(t, "validate", "--config", cfg, "--database-url", url)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"bad.yaml:5:23:", `"bdy"`, "bad.yaml:6:30:", "_eqq", "bad.yaml:7:10:", "nope", "3 problem(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestCommandErrorsExit2WithOneLine(t *testing.T) {
	url := pgtest.NewDatabase(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad url", []string{"introspect", "--database-url", "postgres://%zz"}, "invalid database URL"},
		{"down", []string{"introspect", "--database-url", "postgres://postgres@127.0.0.1:1/x?connect_timeout=5"}, "connection refused"},
		{"missing schema", []string{"introspect", "--database-url", url, "--schema", "nope"}, `schema "nope" does not exist`},
		{"missing database", []string{"init", "--database-url", strings.Replace(url, "hasgen_test_", "hasgen_missing_", 1)}, "does not exist"},
		{"no source", []string{"validate", "--config", "x.yaml"}, "--database-url or --snapshot is required"},
		{"snapshot missing", []string{"validate", "--config", "x.yaml", "--snapshot", "/nonexistent.json"}, "no such file"},
		{"unknown flag", []string{"introspect", "--nope"}, "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q lacks %q", stderr, c.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Fatalf("error is %d lines, want one:\n%s", n+1, stderr)
			}
		})
	}
}

func TestAuthenticationFailure(t *testing.T) {
	url := pgtest.NewDatabase(t)
	// A role that does not exist fails authentication on any server.
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User("hasgen_no_such_role")
	code, _, stderr := run(t, "introspect", "--database-url", u.String())
	if code != 2 || !strings.Contains(stderr, "authentication failed") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, c := range []string{"introspect", "init", "validate", "explain"} {
		code, stdout, _ := run(t, c, "--help")
		if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "hasgen "+c) {
			t.Errorf("%s --help: exit %d\n%s", c, code, stdout)
		}
	}
}
