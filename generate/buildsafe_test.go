package generate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/pgtest"
)

// TestFileNamesBuild generates a server for tables named like Go test
// files (uuid_test) and build-constrained files (orders_linux,
// logs_windows_amd64), and two tables that lower-case alike: every table
// gets a file go build compiles on any platform, and the server builds.
func TestFileNamesBuild(t *testing.T) {
	url := pgtest.NewDatabase(t, "testdata/buildsafe/schema.sql")
	out := filepath.Join(t.TempDir(), "server")
	if _, err := Generate(context.Background(), Options{DatabaseURL: url, Config: "testdata/buildsafe/hasgen.yaml",
		Out: out, RuntimeReplace: repoRoot(t)}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(out, "db"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	sort.Strings(files)
	want := []string{"db.go", "public_logs_windows_amd64_table.go", "public_orders.go", "public_orders_2.go",
		"public_orders_linux_table.go", "public_uuid_test_table.go"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("db/ files (-want +got):\n%s", diff)
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	// The GOOS-named file is compiled for another platform too.
	cmd = exec.Command("go", "vet", "./db")
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH=arm64")
	if b, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(b), "no Go files") {
		t.Fatalf("go vet ./db for darwin/arm64: %v\n%s", err, b)
	}
}
