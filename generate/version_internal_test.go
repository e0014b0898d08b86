package generate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen"
)

// TestThisBuildIsTheCheckout: the test binary is a development build of
// this checkout, which it finds from its compiled-in source paths.
func TestThisBuildIsTheCheckout(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	b := ThisBuild()
	if b.Release || b.Checkout != root {
		t.Errorf("ThisBuild() = %+v, want a development build from %s", b, root)
	}
	if v, ok := hasgenVersion(); ok || v != "v0.0.0" {
		t.Errorf("hasgenVersion() = %s, %v; want v0.0.0, false", v, ok)
	}
}

// TestGoModHashMatchesGo: goModHash gives the hash Go wrote into go.sum
// for a dependency's go.mod, read from the module cache.
func TestGoModHashMatchesGo(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "cache", "download", "github.com", "jackc", "pgx", "v5", "@v", requiredVersion("github.com/jackc/pgx/v5")+".mod"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := goModHash(mod)
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/jackc/pgx/v5 " + requiredVersion("github.com/jackc/pgx/v5") + "/go.mod " + got + "\n"
	if !strings.Contains(string(hasgen.GoSum()), want) {
		t.Errorf("hasgen's go.sum lacks %q", want)
	}
}

// TestGoSumOfARelease: a release build's go.sum holds hasgen's two lines,
// in go.sum's order; a development build's is hasgen's own.
func TestGoSumOfARelease(t *testing.T) {
	own := hasgen.GoSum()
	dev, err := goSum(Build{Version: "(devel)"}, own, hasgen.GoMod())
	if err != nil || string(dev) != string(own) {
		t.Errorf("development build: go.sum changed (%v)", err)
	}
	rel, err := goSum(Build{Version: "v1.2.3", Release: true, Sum: "h1:zipzipzip="}, own, hasgen.GoMod())
	if err != nil {
		t.Fatal(err)
	}
	modHash, _ := goModHash(hasgen.GoMod())
	lines := strings.Split(strings.TrimSuffix(string(rel), "\n"), "\n")
	if len(lines) != strings.Count(string(own), "\n")+2 {
		t.Fatalf("%d lines, want hasgen's own and 2", len(lines))
	}
	var paths []string
	found := 0
	for _, l := range lines {
		path, _, _ := strings.Cut(l, " ")
		paths = append(paths, path)
		if l == "github.com/hasgen/hasgen v1.2.3 h1:zipzipzip=" || l == "github.com/hasgen/hasgen v1.2.3/go.mod "+modHash {
			found++
		}
	}
	if found != 2 {
		t.Errorf("go.sum lacks hasgen's lines:\n%s", rel)
	}
	for i := 1; i < len(paths); i++ {
		if paths[i] < paths[i-1] {
			t.Errorf("line %d (%s) sorts before line %d (%s)", i+1, paths[i], i, paths[i-1])
		}
	}
}
