package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/hasgen/hasgen/internal/golden" // defines -update
)

const (
	chinookSnapshot = "../../testdata/golden/introspect/chinook_graphql_bench.json"
	chinookConfig   = "../../generate/testdata/chinook.yaml"
)

// run runs hasgen with args and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestGenerateAndCheckCommands(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "hasgen.yaml")
	b, err := os.ReadFile(chinookConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "server")
	root, _ := filepath.Abs("../..")
	flags := []string{"--snapshot", chinookSnapshot, "--config", config, "--out", out, "--runtime-replace", root}

	code, stdout, stderr := run(t, append([]string{"generate"}, flags...)...)
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, out+": ") || !strings.Contains(stderr, "6 created; gqlgen ran; no queries for sqlc") {
		t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, append([]string{"generate"}, flags...)...)
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "no generated file changed; gqlgen up to date") {
		t.Fatalf("second generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, stderr = run(t, append([]string{"check"}, flags...)...); code != ExitOK || stdout != "" || stderr != "" {
		t.Fatalf("check after generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	if err := os.WriteFile(config, bytes.Replace(b, []byte("limit: 10"), []byte("limit: 5"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run(t, append([]string{"check"}, flags...)...)
	if code != ExitProblems || !strings.Contains(stdout, "+++ "+out+"/db/public_artists.go (generated)") ||
		!strings.Contains(stderr, "1 file(s) differ") {
		t.Fatalf("check after a config change: exit %d, stdout:\n%s\nstderr %q", code, stdout, stderr)
	}

	// A problem in the permissions file: file:line:col, exit 1.
	if err := os.WriteFile(config, []byte("- table: {schema: public, name: albums}\n  select_permissions:\n    - role: user\n      permission:\n        columns: [titel]\n        filter: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"generate", "check"} {
		code, _, stderr = run(t, append([]string{cmd}, flags...)...)
		if code != ExitProblems || !strings.Contains(stderr, config+":5:") {
			t.Errorf("%s with a bad config: exit %d, stderr %q", cmd, code, stderr)
		}
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--snapshot", chinookSnapshot, "--config", chinookConfig}, "--out is required"},
		{[]string{"check", "--snapshot", chinookSnapshot, "--out", "x"}, "--config is required"},
		{[]string{"generate", "--config", chinookConfig, "--out", "x"}, "--database-url or --snapshot is required"},
		{[]string{"generate", "--snapshot", "nope.json", "--config", chinookConfig, "--out", "x"}, "nope.json"},
		{[]string{"generate", "--snapshot", chinookSnapshot, "--config", chinookConfig, "--out", "x", "--runtime-replace", "/nonexistent"}, "no go.mod there"},
	} {
		code, _, stderr := run(t, tt.args...)
		if code != ExitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("hasgen %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
}

func TestGenerateHelp(t *testing.T) {
	for _, cmd := range []string{"generate", "check"} {
		code, stdout, _ := run(t, cmd, "--help")
		if code != ExitOK || !strings.Contains(stdout, "Examples:\n  hasgen "+cmd+" ") || !strings.Contains(stdout, "--runtime-replace") {
			t.Errorf("%s --help: exit %d:\n%s", cmd, code, stdout)
		}
	}
}
