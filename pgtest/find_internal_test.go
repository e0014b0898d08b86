package pgtest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// With neither server binaries nor DATABASE_URL, the harness fails saying
// what to install or set; it never skips.
func TestNoPostgresIsAClearError(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no pg_ctl, no initdb
	_, err := findBinDir([]string{filepath.Join(t.TempDir(), "*", "bin")})
	if !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("err = %v, want ErrNoPostgres", err)
	}
	for _, want := range []string{"DATABASE_URL", "initdb", "apt install postgresql"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message does not say %q: %s", want, err)
		}
	}
	// FromEnv with DATABASE_URL set uses it, and says so when it cannot
	// connect.
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/x?connect_timeout=3")
	if _, err := FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("FromEnv with an unreachable DATABASE_URL: %v", err)
	}
}
