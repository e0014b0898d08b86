// Package golden compares test output with files under testdata/golden and
// rewrites them when tests run with -update:
//
//	go test ./... -update
//
// Every test package that compares golden files imports this package, so the
// flag is defined in each test binary that go test hands it to.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update is set by the -update flag: golden files are written, not compared.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// Compare checks got against the golden file at path, or writes it under
// -update. A mismatch fails the test with a -want +got diff.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./... -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test ./... -update rewrites it):\n%s", path, diff)
	}
}

// Dir returns the repository's testdata/golden directory, from the calling
// test's package directory.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "golden")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("golden: no go.mod above the test's directory")
		}
		dir = parent
	}
}
