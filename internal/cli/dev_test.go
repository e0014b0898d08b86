package cli_test

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/cli"
)

// TestDevRefusesATakenPort: with its port taken, dev says so and exits 2
// before starting anything, and prints no banner (the other process would
// answer for it).
func TestDevRefusesATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	start := time.Now()
	code, stdout, stderr := run(t, "dev", "--port", port, "--example", filepath.Join(repo(t), "example"))
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if want := "port " + port + " is taken"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "--port") {
		t.Errorf("stderr lacks %q and --port: %s", want, stderr)
	}
	if stdout != "" || strings.Contains(stderr, "•") {
		t.Errorf("dev went on with its port taken:\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

// TestDevStopsWhenItsServerDies: dev watches its server; killed, the
// server takes dev down with an error (exit 2) instead of leaving a
// banner for a dead URL.
func TestDevStopsWhenItsServerDies(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"dev", "--port", strconv.Itoa(port), "--example", filepath.Join(repo(t), "example")}, &out, &errb)
	}()
	pidRE := regexp.MustCompile(`serving \(server pid (\d+)\)`)
	deadline := time.Now().Add(3 * time.Minute)
	var pid int
	for pid == 0 || !strings.Contains(out.String(), "Ctrl-C stops") {
		select {
		case code := <-done:
			t.Fatalf("dev exited %d early:\n%s", code, errb.String())
		case <-time.After(100 * time.Millisecond):
		}
		if m := pidRE.FindStringSubmatch(errb.String()); m != nil {
			pid, _ = strconv.Atoi(m[1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev did not come up:\n%s", errb.String())
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 2 {
			t.Errorf("dev exited %d after its server died, want 2:\n%s", code, errb.String())
		}
		if want := "exited unexpectedly"; !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dev still runs 30s after its server died:\n%s", errb.String())
	}
}
