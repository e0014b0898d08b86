package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
		{"config missing", []string{"validate", "--config", "/nonexistent/hasgen.yaml", "--database-url", url}, "--config: stat /nonexistent/hasgen.yaml: no such file"},
		{"config missing, generate", []string{"generate", "--config", "/nonexistent/hasgen.yaml", "--database-url", url, "--out", "/nonexistent/out"}, "no such file"},
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

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDevServesTheExample(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, []string{"dev", "--port", strconv.Itoa(port), "--example", filepath.Join(repo(t), "example")}, &out, &errb)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "Ctrl-C stops") {
		select {
		case code := <-done:
			t.Fatalf("dev exited %d early:\n%s", code, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("dev did not come up:\n%s", errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var token string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "user Ada") {
			token = line[strings.LastIndex(line, " ")+1:]
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(port)+"/v1/graphql",
		strings.NewReader(`{"query":"{ orders(order_by: {total: asc}) { total } }"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"data":{"orders":[{"total":8.00}, {"total":12.50}]}}`; string(body) != want {
		t.Errorf("as Ada: %s, want %s", body, want)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("dev exited %d after Ctrl-C:\n%s", code, errb.String())
	}
	if _, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"); err == nil {
		t.Fatal("the server still answers after dev stopped")
	}
}

// TestUnsupportedKeysExit1UnlessIgnored: validate, generate and check all
// list every metadata key hasgen does not serve and exit 1; with
// --ignore-unsupported they go on, printing each as a warning. The
// project's tables are in schema "public" only through the metadata: no
// --schema is given.
func TestUnsupportedKeysExit1UnlessIgnored(t *testing.T) {
	project := filepath.Join(repo(t), "..", "shared", "hasura-projects", "observability-chinook")
	ups, _ := filepath.Glob(filepath.Join(project, "migrations", "default", "*", "up.sql"))
	if len(ups) != 1 {
		t.Fatalf("migration: %v", ups)
	}
	url := pgtest.NewDatabase(t, ups[0])
	meta := filepath.Join(project, "metadata")
	out := t.TempDir()
	lines := []string{
		`databases.yaml:18:3: database source "default": health_check is not supported by hasgen`,
		`databases.yaml:26:3: database source "failed" is not supported by hasgen: it serves one source, "default"`,
		`opentelemetry.yaml:1:1: opentelemetry.status is not supported by hasgen`,
	}
	for _, cmd := range [][]string{
		{"validate", "--config", meta, "--database-url", url},
		{"generate", "--config", meta, "--database-url", url, "--out", out, "--runtime-replace", repo(t)},
		{"check", "--config", meta, "--database-url", url, "--out", out, "--runtime-replace", repo(t)},
	} {
		code, _, stderr := run(t, cmd...)
		if code != 1 {
			t.Errorf("%s exited %d, want 1: %s", cmd[0], code, stderr)
		}
		for _, l := range lines {
			if !strings.Contains(stderr, l+"\n") || strings.Contains(stderr, "warning: "+meta) {
				t.Errorf("%s: stderr lacks %q as an error:\n%s", cmd[0], l, stderr)
			}
		}
		if !strings.Contains(stderr, "7 metadata key(s) in "+meta+" that hasgen does not serve; pass --ignore-unsupported to leave them out") {
			t.Errorf("%s: no summary:\n%s", cmd[0], stderr)
		}
		if cmd[0] == "generate" {
			if _, err := os.Stat(filepath.Join(out, "go.mod")); err == nil {
				t.Errorf("generate wrote a project although keys are unsupported")
			}
		}
	}
	code, stdout, stderr := run(t, "validate", "--config", meta, "--database-url", url, "--ignore-unsupported")
	if code != 0 || stdout != meta+": valid (11 tables, 1 roles)\n" {
		t.Fatalf("validate --ignore-unsupported exited %d: %s%s", code, stdout, stderr)
	}
	for _, l := range lines {
		if !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, l) {
			t.Errorf("validate --ignore-unsupported: no warning %q:\n%s", l, stderr)
		}
	}
}
