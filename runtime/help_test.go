package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
)

// TestServerHelpAndExitCodes runs the committed example server's binary:
// --help and -h print each flag once, on stdout, and exit 0; a bad flag
// exits 2 (a configuration error) with the message on stderr.
func TestServerHelpAndExitCodes(t *testing.T) {
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := e2e.BuildDir(context.Background(), filepath.Join(root, "example", "server"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args       []string
		code       int
		stdout     string // each flag once
		stderrWant string
	}{
		{[]string{"--help"}, 0, "-database-url", ""},
		{[]string{"-h"}, 0, "-server-port", ""},
		{[]string{"--nope"}, 2, "", "flag provided but not defined: -nope"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			cmd := exec.Command(b.Binary, c.args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout.String(), stderr.String())
			}
			if c.stdout != "" {
				if n := strings.Count(stdout.String(), c.stdout+" "); n != 1 {
					t.Errorf("stdout has %q %d times, want once:\n%s", c.stdout, n, stdout.String())
				}
				if stderr.Len() != 0 {
					t.Errorf("stderr: %s", stderr.String())
				}
			}
			if !strings.Contains(stderr.String(), c.stderrWant) {
				t.Errorf("stderr lacks %q: %s", c.stderrWant, stderr.String())
			}
		})
	}
}
