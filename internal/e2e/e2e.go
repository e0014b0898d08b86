// Package e2e generates a server, builds it and starts it, for tests and
// benchmarks that talk to a generated server like a client: over HTTP and
// websockets. A build is made once per test process for each project and
// reused by every server started from it.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// Project says what to generate.
type Project struct {
	// DatabaseURL is the database to introspect (and, by default, serve).
	DatabaseURL string
	// Config is the permissions file.
	Config string
	// Out, when set, is an existing project directory to generate into
	// (its user files kept); otherwise a fresh temporary one.
	Out string
	// IgnoreUnsupported accepts metadata keys hasgen does not serve.
	IgnoreUnsupported bool
}

// Build is a generated and compiled server.
type Build struct {
	Dir    string // the generated project
	Binary string
}

var builds struct {
	mu   sync.Mutex
	byID map[string]*Build
	dir  string
}

// RepoRoot returns the hasgen checkout that tests run in.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/hasgen/hasgen\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("e2e: no hasgen go.mod above %s", dir)
		}
		dir = parent
	}
}

// BuildServer generates the project for p and compiles it, once per
// process for the same database schema and config.
func BuildServer(ctx context.Context, p Project) (*Build, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	out := p.Out
	if out == "" {
		builds.mu.Lock()
		if builds.dir == "" {
			builds.dir, err = tempDir("hasgen-e2e-")
		}
		builds.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	// The generated code depends on the database's schema and the config:
	// a snapshot of the first and the bytes of the second identify it.
	conn, err := pgx.Connect(ctx, p.DatabaseURL)
	if err != nil {
		return nil, err
	}
	// The schemas the metadata's tables are in, as hasgen generate reads.
	db, err := introspect.Load(ctx, conn, metadata.Schemas(p.Config))
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	var snap bytes.Buffer
	if err := introspect.WriteSnapshot(&snap, db); err != nil {
		return nil, err
	}
	cfg, err := configBytes(p.Config)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(append(snap.Bytes(), 0), cfg...))
	id := hex.EncodeToString(sum[:])
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.byID == nil {
		builds.byID = map[string]*Build{}
	}
	if b := builds.byID[id+p.Out]; b != nil {
		return b, nil
	}
	if out == "" {
		out = filepath.Join(builds.dir, id[:12])
	}
	if _, err := generate.Generate(ctx, generate.Options{DB: db, DatabaseURL: p.DatabaseURL, Config: p.Config, Out: out, RuntimeReplace: root, Module: "server", IgnoreUnsupported: p.IgnoreUnsupported}); err != nil {
		return nil, err
	}
	bin := filepath.Join(out, "server.bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = out
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("e2e: go build in %s: %w\n%s", out, err, stderr.String())
	}
	b := &Build{Dir: out, Binary: bin}
	builds.byID[id+p.Out] = b
	return b, nil
}

// configBytes is the content of the permissions file, or of every file of
// a metadata directory (names and contents, in walk order).
func configBytes(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return os.ReadFile(path)
	}
	var all []byte
	err = filepath.WalkDir(path, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		all = append(append(append(all, name...), 0), b...)
		return nil
	})
	return all, err
}

// tempDir makes a temporary directory that is removed when the test
// binary's tests are done (pgtest.Main).
func tempDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err == nil {
		pgtest.AtExit(func() { os.RemoveAll(dir) })
	}
	return dir, err
}

// BuildDir compiles an existing project directory (a committed generated
// server) into a temporary binary, leaving the directory as it was.
func BuildDir(ctx context.Context, dir string) (*Build, error) {
	tmp, err := tempDir("hasgen-bin-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("e2e: go build in %s: %w\n%s", dir, err, stderr.String())
	}
	return &Build{Dir: dir, Binary: bin}, nil
}

// Server is a running generated server.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:43121.
	URL  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	mu   sync.Mutex
	// exited is closed when the process has exited; waitErr is then its
	// exit status.
	exited  chan struct{}
	waitErr error
}

// Start starts the built server with env (HASURA_GRAPHQL_* variables) on a
// free port and waits until /healthz answers. The port and database come
// from env when set there; on a port of its own choosing, the server must
// also hold a listening socket itself (servers sharing a port with
// HASGEN_SERVER_REUSEPORT: /healthz may be answered by another).
func (b *Build) Start(ctx context.Context, env map[string]string) (*Server, error) {
	port := env["HASURA_GRAPHQL_SERVER_PORT"]
	shared := port != ""
	if port == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	cmd := exec.Command(b.Binary)
	cmd.Env = append(os.Environ(), "HASURA_GRAPHQL_SERVER_PORT="+port, "HASURA_GRAPHQL_SERVER_HOST=127.0.0.1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &Server{URL: "http://127.0.0.1:" + port, cmd: cmd, logs: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout = &lockedWriter{s: s}
	cmd.Stderr = &lockedWriter{s: s}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// A server that exited (a taken port, a bad configuration) is
		// not the one answering: check before asking /healthz.
		select {
		case <-s.exited:
			return nil, fmt.Errorf("e2e: server exited (%v): %s", s.waitErr, s.Logs())
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && (!shared || Listening(s.PID(), port)) {
				select {
				case <-s.exited:
					return nil, fmt.Errorf("e2e: server exited (%v): %s", s.waitErr, s.Logs())
				default:
					return s, nil
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("e2e: server did not become healthy: %v\n%s", err, s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Exited is closed when the server process has exited, for whatever
// reason; ExitErr then says how.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// ExitErr is the server's exit status once Exited is closed (nil for a
// zero exit), else nil.
func (s *Server) ExitErr() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
		return nil
	}
}

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.logs.Write(p)
}

// PID returns the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Logs returns what the server wrote so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop stops the server with SIGTERM (a graceful shutdown) and waits.
func (s *Server) Stop() error {
	if s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	return s.waitErr
}

// StartT builds and starts a server for a test, stopping it at cleanup.
func StartT(t testing.TB, p Project, env map[string]string) *Server {
	t.Helper()
	ctx := context.Background()
	b, err := BuildServer(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = map[string]string{}
	}
	if env["HASURA_GRAPHQL_DATABASE_URL"] == "" {
		env["HASURA_GRAPHQL_DATABASE_URL"] = p.DatabaseURL
	}
	s, err := b.Start(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", strings.TrimSpace(s.Logs()))
		}
	})
	return s
}
