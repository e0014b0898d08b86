package generate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
)

// TestPermTestsRunOnFixtures generates the projects of fixtures whose
// shapes the example lacks and runs their generated permission tests
// (go test ./permtest in the project), which must pass: on the
// inherited-roles fixture a parent table's limit, on the enums fixture
// columns typed by an enum table and an identity column once made them
// fail.
func TestPermTestsRunOnFixtures(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ fixture, config string }{
		{"enums", "hasgen.yaml"},
		{"inherited", "metadata"},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", "fixtures", c.fixture)
			url := pgtest.NewDatabase(t, filepath.Join(dir, "schema.sql"))
			out := t.TempDir()
			if _, err := generate.Generate(context.Background(), generate.Options{
				DatabaseURL: url, Config: filepath.Join(dir, c.config), Out: out, Module: "server", RuntimeReplace: root,
			}); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(out, "permtest", "*_test.go"))
			if len(files) < 2 {
				t.Fatalf("no permission tests generated: %v", files)
			}
			cmd := exec.Command("go", "test", "-count=1", "-v", "./permtest/")
			cmd.Dir = out
			cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.Shared(t).URL)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the generated permission tests fail: %v\n%s", err, b)
			}
			if n := strings.Count(string(b), "--- PASS"); n < len(files)-1 {
				t.Errorf("%d tests passed for %d files:\n%s", n, len(files)-1, b)
			}
		})
	}
}

// TestPermTestsNamespaceWarned: a source whose root fields are under a
// namespace gets no permission tests, and generate says so.
func TestPermTestsNamespaceWarned(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, filepath.Join("..", "testdata", "fixtures", "mutations", "schema.sql"))
	out := t.TempDir()
	res, err := generate.Generate(context.Background(), generate.Options{
		DatabaseURL: url, Config: filepath.Join("..", "testdata", "fixtures", "naming", "namespace"), Out: out, Module: "server", RuntimeReplace: root,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `permission tests are not generated for a source whose root fields are under a namespace ("blog"): permtest/ is left out`
	if !slices.Contains(res.Warnings, want) {
		t.Errorf("warnings lack %q: %q", want, res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(out, "permtest")); err == nil {
		t.Error("permtest/ was written for a namespaced source")
	}
}
