//go:build !linux

package runtime

import (
	"errors"
	"syscall"
)

// reusePort refuses: SO_REUSEPORT spreads connections among processes on
// Linux only (elsewhere it lets the last process bound take them all, or
// does not exist), so HASGEN_SERVER_REUSEPORT is for Linux.
func reusePort(network, address string, c syscall.RawConn) error {
	return errors.New("SO_REUSEPORT load balancing needs Linux")
}
