package runtime

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// listen opens the server's listening socket on HASURA_GRAPHQL_SERVER_HOST
// and _PORT. With cfg.ReusePort (HASGEN_SERVER_REUSEPORT) the socket has
// SO_REUSEPORT, so several server processes on one host can listen on the
// same port and the kernel spreads new connections among them: one
// process can hold only as many websockets as it may open files
// (RLIMIT_NOFILE), and a host with more subscribers than that runs
// several processes behind one address.
func listen(ctx context.Context, cfg Config) (net.Listener, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		if cfg.ReusePort {
			return nil, fmt.Errorf("listen on %s with SO_REUSEPORT (HASGEN_SERVER_REUSEPORT): %w", addr, err)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}
