package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// shared is the server of this test process: started (or connected to) by
// the first test that needs it, closed by Main.
var shared struct {
	once      sync.Once
	srv       *Server
	err       error
	startTime time.Duration

	mu        sync.Mutex
	templates map[string]string // file-set key → template database
}

// Main runs the tests of a package and then stops the throwaway cluster if a
// test started one. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without it the cluster is still removed when the test binary exits.
func Main(m *testing.M) int {
	code := m.Run()
	Cleanup()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// atExit holds what Main runs once the tests are done.
var atExit struct {
	mu sync.Mutex
	fs []func()
}

// AtExit registers f to run when the test binary's tests are done (Main)
// or a command calls Cleanup, last registered first: the removal of what
// is shared across the process, such as built servers.
func AtExit(f func()) {
	atExit.mu.Lock()
	atExit.fs = append(atExit.fs, f)
	atExit.mu.Unlock()
}

// Cleanup runs what AtExit registered, last first, once: Main calls it; a
// command that builds servers (a benchmark, hasgen dev) defers it.
func Cleanup() {
	atExit.mu.Lock()
	fs := atExit.fs
	atExit.fs = nil
	atExit.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// Shared returns this process's server: $DATABASE_URL's, or a throwaway
// cluster started on first use. It fails the test, saying what to install or
// set, when neither is possible.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.srv, shared.err = FromEnv(ctx)
		shared.startTime = time.Since(start)
	})
	if shared.err != nil {
		t.Fatalf("%v", shared.err)
	}
	return shared.srv
}

// StartupTime is how long Shared took to get its server ready: initdb and
// start for a throwaway cluster, one connection for $DATABASE_URL.
func StartupTime() time.Duration { return shared.startTime }

// NewDatabase creates a fresh database holding the SQL scripts in files and
// returns its URL; it is dropped when the test ends. The scripts are loaded
// once per server into a template database named after their content, which
// each call copies, so a dataset costs one load however many tests use it.
func NewDatabase(t testing.TB, files ...string) string {
	t.Helper()
	srv := Shared(t)
	ctx := context.Background()
	tmpl := ""
	if len(files) > 0 {
		var err error
		if tmpl, err = srv.template(ctx, files); err != nil {
			t.Fatalf("%v", err)
		}
	}
	name := "hasgen_test_" + randomHex(6)
	u, err := srv.CreateDatabase(ctx, name, tmpl)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := srv.DropDatabase(context.Background(), name); err != nil {
			t.Errorf("%v", err)
		}
	})
	return u
}

// template returns the template database holding files, creating it when
// needed. A lock on the server makes concurrent test processes wait for the
// one that loads it; a template appears under its final name only once it is
// complete.
func (s *Server) template(ctx context.Context, files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
		fmt.Fprintf(h, "%d\n", len(b))
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	name := "hasgen_tpl_" + key

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.templates == nil {
		shared.templates = map[string]string{}
	}
	if t, ok := shared.templates[key]; ok {
		return t, nil
	}

	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	// Session-level advisory lock: released when conn closes.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		return "", fmt.Errorf("pgtest: lock template: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if !exists {
		building := name + "_building"
		if err := s.DropDatabase(ctx, building); err != nil {
			return "", err
		}
		u, err := s.CreateDatabase(ctx, building, "")
		if err != nil {
			return "", err
		}
		if err := s.LoadFiles(ctx, u, files...); err != nil {
			s.DropDatabase(ctx, building)
			return "", err
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	shared.templates[key] = name
	return name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
