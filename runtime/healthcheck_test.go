package runtime_test

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

// TestStaticBinaryHealthcheck builds a generated server as its Dockerfile
// does (CGO_ENABLED=0): the binary is static (no ELF interpreter, no
// shared libraries), it serves, and its --healthcheck exits 0 against the
// running server and 1 once it is gone, with no database URL given.
func TestStaticBinaryHealthcheck(t *testing.T) {
	ctx := context.Background()
	root := repoRoot(t)
	url := pgtest.NewDatabase(t, filepath.Join(root, deploySQL))
	b, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: filepath.Join(root, deployConfig)})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir = b.Dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	f.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	static := &e2e.Build{Dir: b.Dir, Binary: bin}
	s, err := static.Start(ctx, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_SERVER_PORT": port})
	if err != nil {
		t.Fatal(err)
	}
	check := func() (int, string) {
		cmd := exec.Command(bin, "--healthcheck")
		// The container's environment: the port, no database URL needed.
		cmd.Env = []string{"HASURA_GRAPHQL_SERVER_PORT=" + port}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	if code, out := check(); code != 0 || !strings.Contains(out, "/healthz: OK") {
		t.Errorf("--healthcheck against a running server: exit %d, %q", code, out)
	}
	s.Stop()
	if code, out := check(); code != 1 || !strings.Contains(out, "healthcheck: ") {
		t.Errorf("--healthcheck with no server: exit %d, %q", code, out)
	}
}
