package runtime

// The websocket and subscription part of the server's configuration and
// lifecycle: Hasura's environment variables for them, and the order of a
// graceful shutdown (server.go calls these).

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// RealtimeConfig is the websocket and subscription part of Config.
type RealtimeConfig struct {
	// Websocket: HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE (seconds, default 5)
	// and HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT (seconds,
	// default 3).
	Websocket WebsocketConfig
	// HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL and
	// HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL
	// (milliseconds, default 1000); the _BATCH_SIZE variables (default
	// 100).
	LiveInterval    time.Duration
	LiveBatchSize   int
	StreamInterval  time.Duration
	StreamBatchSize int
	// Workers is HASGEN_SUBSCRIPTION_WORKERS: how many poll statements
	// may run at once (default 4).
	Workers int
	// Hints is HASGEN_CHANGE_HINTS: true, false, or unset to use change
	// hints when the trigger function is installed.
	Hints HintsMode
}

// readEnv reads the settings from the environment and returns the
// problems found.
func (rc *RealtimeConfig) readEnv(getenv func(string) string) []string {
	var errs []string
	num := func(name string, set func(int)) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a positive integer", name, v))
			return
		}
		set(n)
	}
	dur := func(d *time.Duration, unit time.Duration) func(int) {
		return func(n int) { *d = time.Duration(n) * unit }
	}
	integer := func(p *int) func(int) { return func(n int) { *p = n } }
	num("HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE", dur(&rc.Websocket.KeepAlive, time.Second))
	num("HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", dur(&rc.Websocket.InitTimeout, time.Second))
	num("HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", dur(&rc.LiveInterval, time.Millisecond))
	num("HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", integer(&rc.LiveBatchSize))
	num("HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", dur(&rc.StreamInterval, time.Millisecond))
	num("HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE", integer(&rc.StreamBatchSize))
	num("HASGEN_SUBSCRIPTION_WORKERS", integer(&rc.Workers))
	switch v := strings.ToLower(getenv("HASGEN_CHANGE_HINTS")); v {
	case "":
		rc.Hints = HintsAuto
	case "true", "1", "on":
		rc.Hints = HintsOn
	case "false", "0", "off":
		rc.Hints = HintsOff
	default:
		errs = append(errs, fmt.Sprintf("HASGEN_CHANGE_HINTS=%q: want true or false (unset: use them when installed)", v))
	}
	return errs
}

// subscriptionConfig is the poller's configuration.
func (rc RealtimeConfig) subscriptionConfig(databaseURL string, m *Metrics, log *slog.Logger) SubscriptionConfig {
	return SubscriptionConfig{
		LiveInterval: rc.LiveInterval, LiveBatchSize: rc.LiveBatchSize,
		StreamInterval: rc.StreamInterval, StreamBatchSize: rc.StreamBatchSize,
		Workers: rc.Workers, Hints: rc.Hints, DatabaseURL: databaseURL,
		Metrics: m, Log: log,
	}
}

// shutdownRealtime is the websocket part of a graceful shutdown: every
// subscription is completed and the poller stopped, then the websocket
// connections are closed (1001) once their queries are done and their
// messages written.
func (s *Server) shutdownRealtime(ctx context.Context) error {
	s.subs.Close()
	return s.ws.Shutdown(ctx)
}
