package example_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
)

// goTestPermissions runs the permission tests of the server in dir
// (its permtest package, a module of its own that go test ./... here does
// not reach) on this process's Postgres server, and returns the names of
// the tests that failed and go test's output.
func goTestPermissions(t *testing.T, dir string) (failed []string, out string, err error) {
	t.Helper()
	cmd := exec.Command("go", "test", "-count=1", "./permtest/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.Shared(t).URL)
	b, err := cmd.CombinedOutput()
	for _, m := range regexp.MustCompile(`(?m)^--- FAIL: (\S+)`).FindAllStringSubmatch(string(b), -1) {
		failed = append(failed, m[1])
	}
	return failed, string(b), err
}

// TestGeneratedPermissionTests runs the permission tests hasgen generated
// into example/server: the committed permissions pass them.
func TestGeneratedPermissionTests(t *testing.T) {
	failed, out, err := goTestPermissions(t, "server")
	if err != nil || len(failed) > 0 {
		t.Fatalf("example/server's permission tests fail (%v): %v\n%s", err, failed, out)
	}
	// Every table with a permission has its tests.
	for _, table := range []string{"channel_members", "channels", "invoices", "messages", "orders", "users"} {
		if _, err := os.Stat(filepath.Join("server", "permtest", "public_"+table+"_test.go")); err != nil {
			t.Errorf("no permission tests for %s: %v", table, err)
		}
	}
}

// TestGeneratedPermissionTestsCatchALoosenedFilter loosens one filter of
// the example's permissions in a copy, regenerates the server from it but
// keeps the permission tests generated from the real permissions: those of
// the loosened (table, role) fail, naming the row that now leaks, and the
// others pass.
func TestGeneratedPermissionTestsCatchALoosenedFilter(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile("hasgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to string
		// failing are the tests that must fail, want what their output
		// must say.
		failing []string
		want    string
	}{
		// Analysts see paid invoices; now issued ones too.
		{"select filter widened", "filter: {status: {_eq: paid}}", "filter: {status: {_in: [paid, issued]}}",
			[]string{"TestPublicInvoicesAnalyst"}, "forbidden row"},
		// Users delete their own messages; now anyone's.
		{"delete filter dropped", "  delete_permissions:\n    - role: user\n      permission:\n        filter: {author_id: {_eq: X-Hasura-User-Id}}",
			"  delete_permissions:\n    - role: user\n      permission:\n        filter: {}",
			[]string{"TestPublicMessagesUser"}, "which it must not"},
	}
	url := pgtest.NewDatabase(t, "schema.sql")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Count(string(orig), c.from) != 1 {
				t.Fatalf("hasgen.yaml does not hold %q once", c.from)
			}
			dir := t.TempDir()
			if err := os.CopyFS(filepath.Join(dir, "server"), os.DirFS("server")); err != nil {
				t.Fatal(err)
			}
			loose := strings.Replace(string(orig), c.from, c.to, 1)
			if err := os.WriteFile(filepath.Join(dir, "hasgen.yaml"), []byte(loose), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := generate.Generate(context.Background(), generate.Options{
				DatabaseURL: url, Config: filepath.Join(dir, "hasgen.yaml"), Out: filepath.Join(dir, "server"),
				Module: module, RuntimeReplace: root,
			}); err != nil {
				t.Fatal(err)
			}
			// The server follows the new permissions; the tests stay
			// those of the committed ones.
			keepTests(t, "server/permtest", filepath.Join(dir, "server", "permtest"))
			failed, out, err := goTestPermissions(t, filepath.Join(dir, "server"))
			if err == nil || !slices.Equal(failed, c.failing) || !strings.Contains(out, c.want) {
				t.Fatalf("with %q the permission tests failed %v (%v), want %v failing with %q:\n%s", c.to, failed, err, c.failing, c.want, out)
			}
		})
	}
}

// keepTests replaces the permission tests in dst with those in src.
func keepTests(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}
