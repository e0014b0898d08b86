package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// The database after a migration the generated server does not know: a
// column dropped, another's type changed, a function dropped.
const driftSQL = `ALTER TABLE notes DROP COLUMN body;
ALTER TABLE notes ALTER COLUMN title TYPE int USING 0;
DROP FUNCTION search_notes(text);`

var driftDiffs = []string{
	"function public.search_notes: expected a function, found missing",
	"table public.notes, column body: expected text, found missing",
	"table public.notes, column title: expected text, found integer",
}

// TestSchemaCheckAtStart: a generated server started on a database that
// no longer matches its catalog exits non-zero listing the differences;
// with HASGEN_SCHEMA_CHECK=warn it serves, /healthz says OK and
// /healthz?strict answers 503 with the differences. On the database it
// was generated from, /healthz?strict is OK.
func TestSchemaCheckAtStart(t *testing.T) {
	ctx := context.Background()
	root := repoRoot(t)
	url := pgtest.NewDatabase(t, filepath.Join(root, deploySQL))
	b, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: filepath.Join(root, deployConfig)})
	if err != nil {
		t.Fatal(err)
	}

	// The database it was generated from: ready.
	s, err := b.Start(ctx, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, s.URL+"/healthz?strict"); status != http.StatusOK || body != "OK" {
		t.Errorf("/healthz?strict on a matching database: %d %q", status, body)
	}
	s.Stop()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, driftSQL); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// Default: fail fast.
	cmd := exec.Command(b.Binary)
	cmd.Env = append(os.Environ(), "HASURA_GRAPHQL_DATABASE_URL="+url, "HASURA_GRAPHQL_SERVER_HOST=127.0.0.1", "HASURA_GRAPHQL_SERVER_PORT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the server did not exit on a mismatched database:\n%s", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("exit: %v, want a non-zero status", err)
	}
	for _, d := range append([]string{"the database does not match the generated catalog", "HASGEN_SCHEMA_CHECK=warn"}, driftDiffs...) {
		if !strings.Contains(out.String(), "\n  "+d) && !strings.Contains(out.String(), d) {
			t.Errorf("the output does not say %q:\n%s", d, out.String())
		}
	}

	// warn: serves, live but not ready.
	s, err = b.Start(ctx, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url, "HASGEN_SCHEMA_CHECK": "warn"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if status, body := get(t, s.URL+"/healthz"); status != http.StatusOK || body != "OK" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	status, body := get(t, s.URL+"/healthz?strict")
	if status != http.StatusServiceUnavailable {
		t.Errorf("/healthz?strict: status %d, want 503", status)
	}
	want := "ERROR: the database does not match the generated catalog\n" + strings.Join(driftDiffs, "\n") + "\n"
	if body != want {
		t.Errorf("/healthz?strict body:\n%s\nwant:\n%s", body, want)
	}
	if logs := s.Logs(); !strings.Contains(logs, driftDiffs[1]) {
		t.Errorf("warn mode did not log the differences:\n%s", logs)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
