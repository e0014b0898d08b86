package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TCP socket states in /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpEstablished = "01"
	tcpListen      = "0A"
)

// Listening reports whether process pid holds a TCP socket listening on
// port (Linux: its /proc/<pid>/fd and /proc/net/tcp{,6}). Processes that
// share a port through SO_REUSEPORT each hold one.
func Listening(pid int, port string) bool {
	n, err := sockets(pid, port, tcpListen)
	return err == nil && n > 0
}

// Established counts the connections process pid has accepted on its
// local port (established TCP sockets it holds whose local port is port):
// how the kernel spread clients among processes sharing the port.
func Established(pid int, port string) (int, error) {
	return sockets(pid, port, tcpEstablished)
}

// sockets counts the TCP sockets of process pid in state whose local port
// is port.
func sockets(pid int, port, state string) (int, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", port, err)
	}
	want := fmt.Sprintf(":%04X", p)
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) > 9 && strings.HasSuffix(f[1], want) && f[3] == state {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && inodes[link] {
			n++
		}
	}
	return n, nil
}
