package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// StartReplica makes a streaming read replica of the throwaway cluster s
// and starts it: a base backup taken by pg_basebackup -R (which writes
// standby.signal and primary_conninfo) into a private directory of its
// own, served on a free port of 127.0.0.1 as a hot standby. Like a
// cluster from Start, it is removed by Close, or when this process exits.
//
// s needs what PostgreSQL 10 and later have by default, and Start keeps:
// wal_level = replica, max_wal_senders above zero, and the replication
// line of initdb's pg_hba.conf for 127.0.0.1 (trust). settings are extra
// postgresql.conf lines of the replica ("recovery_min_apply_delay =
// '1s'" makes it lag).
func (s *Server) StartReplica(ctx context.Context, settings ...string) (*Server, error) {
	if !s.Throwaway() {
		return nil, errors.New("pgtest: StartReplica needs a throwaway cluster (pgtest.Start), not a server it did not start")
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	dir, err := os.MkdirTemp("", "hasgen-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	r := &Server{BinDir: s.BinDir, dir: dir, cred: s.cred}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	if r.cred != nil {
		if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := r.startWatcher(); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	conninfo := fmt.Sprintf("host=%s port=%s user=postgres", u.Hostname(), u.Port())
	if out, err := r.run(ctx, filepath.Join(r.BinDir, "pg_basebackup"), "-D", data, "-d", conninfo,
		"-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		return nil, fmt.Errorf("pgtest: pg_basebackup: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// The primary's postgresql.conf came with the backup; the last setting
	// of a name wins, so the replica's own port and socket go after it.
	conf := []string{
		fmt.Sprintf("port = %d", port),
		fmt.Sprintf("unix_socket_directories = '%s'", dir),
		"hot_standby = on",
	}
	conf = append(conf, settings...)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString("\n# hasgen pgtest replica\n" + strings.Join(conf, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := r.Restart(ctx); err != nil {
		return nil, err
	}
	r.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	ok = true
	return r, nil
}

// Stop stops a throwaway cluster's server (pg_ctl stop, fast mode: open
// sessions are ended) and keeps its data; Restart starts it again.
func (s *Server) Stop(ctx context.Context) error {
	if !s.Throwaway() {
		return errors.New("pgtest: Stop needs a throwaway cluster")
	}
	if out, err := s.run(ctx, filepath.Join(s.BinDir, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "fast",
		"-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Restart starts a throwaway cluster's server again after Stop (or
// restarts it when it runs) and waits until it accepts connections.
func (s *Server) Restart(ctx context.Context) error {
	if !s.Throwaway() {
		return errors.New("pgtest: Restart needs a throwaway cluster")
	}
	data := filepath.Join(s.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if err := s.Stop(ctx); err != nil {
			return err
		}
	}
	if out, err := s.run(ctx, filepath.Join(s.BinDir, "pg_ctl"), "-D", data,
		"-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}
