package runtime

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Healthcheck is the server's --healthcheck: it asks the server this
// configuration would run (HASURA_GRAPHQL_SERVER_HOST and _PORT, or their
// flags) for /healthz and returns the exit status, 0 when it answers 200
// and 1 otherwise, saying why on out. A container image without curl
// (distroless, scratch) runs it as its HEALTHCHECK.
func Healthcheck(ctx context.Context, cfg Config, out io.Writer) int {
	host := cfg.Host
	switch host {
	case "", "0.0.0.0", "::", "*":
		host = "127.0.0.1" // listening everywhere: ask on loopback
	}
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(out, "healthcheck: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(out, "healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(out, "healthcheck: %s: %d %s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintf(out, "healthcheck: %s: %s\n", url, strings.TrimSpace(string(body)))
	return 0
}
