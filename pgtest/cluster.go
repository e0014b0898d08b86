// Package pgtest gives tests, benchmarks and the demo a real PostgreSQL
// server: the one $DATABASE_URL points at, or a throwaway cluster started
// from the local initdb and pg_ctl.
//
// A throwaway cluster lives in a private temporary directory (data and
// socket), listens on 127.0.0.1 on a free port, trusts local connections,
// and is stopped and removed when the process that started it exits, however
// it exits: a small watcher process holds a pipe to the starter and cleans up
// when the pipe closes, so a panic or a kill leaves nothing behind.
//
// Tests use the package through Main and NewDatabase:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		url := pgtest.NewDatabase(t, "testdata/schema.sql") // fresh, dropped afterwards
//		...
//	}
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server on which databases can be created.
type Server struct {
	// URL connects to the server's maintenance database ("postgres") as a
	// superuser or a role allowed to create databases.
	URL string
	// BinDir holds the server's client programs (psql) when known.
	BinDir string

	dir     string // throwaway cluster: its private directory
	cred    *syscall.Credential
	watcher *os.File  // write end of the watcher's pipe
	cmd     *exec.Cmd // the watcher
}

// Throwaway reports whether s is a cluster this process started.
func (s *Server) Throwaway() bool { return s.dir != "" }

// ErrNoPostgres is returned when there is neither $DATABASE_URL nor a local
// PostgreSQL installation to start a cluster from.
var ErrNoPostgres = errors.New("no PostgreSQL server: set DATABASE_URL to a server where databases may be created, " +
	"or install the PostgreSQL server binaries (initdb, pg_ctl; Debian/Ubuntu: apt install postgresql) " +
	"or put their directory on PATH")

// FindBinDir returns the directory holding initdb and pg_ctl: the one on
// PATH, else the newest of the directories where distributions install
// them.
func FindBinDir() (string, error) {
	return findBinDir(binDirPatterns)
}

// binDirPatterns are where distributions install the server binaries.
var binDirPatterns = []string{
	"/usr/lib/postgresql/*/bin",         // Debian, Ubuntu
	"/usr/pgsql-*/bin",                  // RHEL, Fedora (PGDG)
	"/usr/local/opt/postgresql*/bin",    // Homebrew (Intel)
	"/opt/homebrew/opt/postgresql*/bin", // Homebrew (Apple silicon)
	"/usr/local/pgsql/bin",              // source install
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

func findBinDir(patterns []string) (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(resolve(p)), nil
		}
	}
	var candidates []string
	for _, pattern := range patterns {
		m, _ := filepath.Glob(pattern)
		candidates = append(candidates, m...)
	}
	best, bestVer := "", -1
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err != nil {
			continue
		}
		v := versionOf(dir)
		if v > bestVer {
			best, bestVer = dir, v
		}
	}
	if best == "" {
		return "", ErrNoPostgres
	}
	return best, nil
}

// resolve follows symlinks so that wrappers on PATH lead to the real
// directory; it returns p when it cannot.
func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// versionOf reads the major version from a path such as
// /usr/lib/postgresql/15/bin; unknown is 0.
func versionOf(dir string) int {
	for _, part := range strings.Split(dir, string(filepath.Separator)) {
		part = strings.TrimPrefix(strings.TrimPrefix(part, "pgsql-"), "postgresql@")
		if n, err := strconv.Atoi(part); err == nil {
			return n
		}
	}
	return 0
}

// Options tune a throwaway cluster.
type Options struct {
	// BinDir holds initdb and pg_ctl; empty means FindBinDir.
	BinDir string
	// Port to listen on; 0 picks a free one.
	Port int
	// MaxConnections is the server's max_connections; 0 means 300.
	MaxConnections int
	// Durable keeps fsync and synchronous commit on. Tests and the demo
	// leave it off: the data is thrown away.
	Durable bool
	// Settings are extra postgresql.conf lines ("name = value").
	Settings []string
}

// Start initialises and starts a throwaway cluster. The cluster is removed
// by Close, or when this process exits if Close is never called. As root, the
// cluster runs as the "postgres" user if there is one, else "nobody": the
// server refuses to run as root.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hasgen-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{BinDir: bin, dir: dir, cred: cred}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	data := filepath.Join(dir, "data")
	// The watcher starts before the cluster so that even a crash during
	// initdb leaves no directory behind.
	if err := s.startWatcher(); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	maxConn := opts.MaxConnections
	if maxConn == 0 {
		maxConn = 300
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", port),
		fmt.Sprintf("unix_socket_directories = '%s'", dir),
		fmt.Sprintf("max_connections = %d", maxConn),
		"shared_buffers = 128MB",
		"log_min_messages = warning",
		"max_prepared_transactions = 10",
		// PostgreSQL's defaults, stated: StartReplica streams from here.
		"wal_level = replica",
		"max_wal_senders = 10",
	}
	if !opts.Durable {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	conf = append(conf, opts.Settings...)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString("\n# hasgen pgtest\n" + strings.Join(conf, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if out, err := s.run(ctx, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"),
		"-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	ok = true
	return s, nil
}

// Connect returns the server that url points at. Nothing is started and
// Close leaves the server running.
func Connect(ctx context.Context, rawURL string) (*Server, error) {
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("pgtest: connect to DATABASE_URL: %w", err)
	}
	conn.Close(ctx)
	bin, _ := FindBinDir()
	return &Server{URL: rawURL, BinDir: bin}, nil
}

// FromEnv returns the server $DATABASE_URL points at, or a new throwaway
// cluster when it is not set.
func FromEnv(ctx context.Context) (*Server, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return Connect(ctx, u)
	}
	return Start(ctx, Options{})
}

// Close stops and removes a throwaway cluster; for a server from Connect it
// does nothing. It is safe to call more than once.
func (s *Server) Close() error {
	if s.cmd == nil {
		return nil
	}
	// Closing the pipe tells the watcher to stop the cluster and remove its
	// directory; waiting for it makes Close synchronous.
	s.watcher.Close()
	err := s.cmd.Wait()
	s.cmd = nil
	if _, statErr := os.Stat(s.dir); statErr == nil {
		os.RemoveAll(s.dir)
	}
	if err != nil {
		return fmt.Errorf("pgtest: stop cluster: %w", err)
	}
	return nil
}

// startWatcher starts a shell that waits for its stdin to close (this
// process exited or called Close) and then stops the cluster and deletes its
// directory.
func (s *Server) startWatcher() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	data := filepath.Join(s.dir, "data")
	script := `while read -r _; do :; done
if [ -f "$1/postmaster.pid" ]; then "$2/pg_ctl" -D "$1" -m immediate -w -t 30 stop >/dev/null 2>&1; fi
rm -rf "$3"`
	cmd := exec.Command("/bin/sh", "-c", script, "pgtest-watcher", data, s.BinDir, s.dir)
	cmd.Stdin = r
	// Not the test's stdout: go test waits for every writer of its pipes.
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("pgtest: start watcher: %w", err)
	}
	r.Close()
	s.watcher, s.cmd = w, cmd
	return nil
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl start leaves the postmaster holding its stdout; a file, not a
	// pipe, keeps Wait from blocking on it.
	if strings.HasSuffix(name, "pg_ctl") {
		f, err := os.CreateTemp(s.dir, "pg_ctl-*.out")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if s.cred != nil {
			f.Chown(int(s.cred.Uid), int(s.cred.Gid))
		}
		cmd.Stdout, cmd.Stderr = f, f
		err = cmd.Run()
		b, _ := os.ReadFile(f.Name())
		return b, err
	}
	err := cmd.Run()
	return out.Bytes(), err
}

// unprivileged returns the credential to run the server as: nil unless this
// process is root.
func unprivileged() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("pgtest: running as root and there is no \"postgres\" or \"nobody\" user to run the server as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DatabaseURL returns s.URL with the database name replaced by name.
func (s *Server) DatabaseURL(name string) string {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// A keyword/value connection string.
		return s.URL + " dbname=" + quoteKV(name)
	}
	u.Path = "/" + name
	return u.String()
}

func quoteKV(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// CreateDatabase creates the database name, as a copy of template when it is
// not empty, and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name, template string) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	// Two creations from one template at the same moment can see each
	// other as "other users" of the template; that passes.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, sql)
		if err == nil || attempt == 50 || !strings.Contains(err.Error(), "55006") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.DatabaseURL(name), nil
}

// DropDatabase drops the database name, disconnecting its sessions.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", name, err)
	}
	return nil
}
