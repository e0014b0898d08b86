package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// TestReleaseBuild installs hasgen as a user of a published version would
// (`go install github.com/hasgen/hasgen/cmd/hasgen@<version>`), from a
// module proxy that holds this checkout as version v0.0.1-test, and checks
// that it knows its version and that the server it generates requires that
// version, with the go.sum lines that let `go build` verify it, and builds
// with no replace. Everything else comes from the module cache that built
// this checkout (offline), into a module cache of the test's own.
func TestReleaseBuild(t *testing.T) {
	const version = "v0.0.1-test"
	dir := t.TempDir()
	proxy := filepath.Join(dir, "proxy", "github.com", "hasgen", "hasgen", "@v")
	if err := os.MkdirAll(proxy, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(proxy, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zf, module.Version{Path: "github.com/hasgen/hasgen", Version: version}, repo(t)); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repo(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		version + ".mod":  string(goMod),
		version + ".info": `{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`,
		"list":            version + "\n",
	} {
		if err := os.WriteFile(filepath.Join(proxy, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	downloads := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	env := append(os.Environ(),
		"GOMODCACHE="+filepath.Join(dir, "modcache"),
		"GOPROXY=file://"+filepath.Join(dir, "proxy")+",file://"+downloads,
		"GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local",
		// -trimpath: the build cache serves the dependencies across module
		// caches; -modcacherw: t.TempDir can remove the module cache.
		"GOFLAGS=-modcacherw -trimpath",
		"GOBIN="+filepath.Join(dir, "bin"),
		"DATABASE_URL="+pgtest.NewDatabase(t, filepath.Join(repo(t), "example", "schema.sql")))
	app := filepath.Join(dir, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := func(what, wd, script string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = wd, env
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, b)
		}
		t.Logf("%-14s %v", what, time.Since(start).Round(time.Millisecond))
		return string(b)
	}
	sh("go install", app, "go install github.com/hasgen/hasgen/cmd/hasgen@"+version)
	hasgen := filepath.Join(dir, "bin", "hasgen")
	if got := sh("version", app, hasgen+" --version"); got != "hasgen "+version+"\n" {
		t.Errorf("--version: %q, want hasgen %s", got, version)
	}
	sh("init", app, hasgen+` init --database-url "$DATABASE_URL" -o hasgen.yaml`)
	if got := sh("generate", app, hasgen+` generate --database-url "$DATABASE_URL" --config hasgen.yaml --out server`); strings.Contains(got, "warning") {
		t.Errorf("a release build warns:\n%s", got)
	}
	mod, err := os.ReadFile(filepath.Join(app, "server", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "\tgithub.com/hasgen/hasgen "+version+"\n") || strings.Contains(string(mod), "replace") {
		t.Errorf("go.mod does not require hasgen %s without a replace:\n%s", version, mod)
	}
	sh("go build", filepath.Join(app, "server"), "go build -mod=readonly -o server.bin .")
}
