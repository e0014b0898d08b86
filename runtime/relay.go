package runtime

// The Relay API on /v1beta1/relay: the Relay schemas the generator writes
// in schema/relay/ (full.graphqls, roles/<role>.graphqls), served by an
// engine of their own over the same tables, pool and authentication,
// with HTTP POST and websockets (subscriptions on connections and node)
// as on /v1/graphql. The custom fields (graph/custom.graphqls) are added
// to it as to /v1/graphql's schema (Hasura's Relay schema has the
// actions' mutations); their executor also answers introspection.

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RelayPath is where the Relay API is served.
const RelayPath = "/v1beta1/relay"

// relayServer is the Relay API's engine and its subscriptions.
type relayServer struct {
	engine  *engine.Engine
	handler http.Handler
	poller  *live.Poller
	ws      *transport.WebsocketHandler
}

// newRelay builds the Relay API from the project's schema/relay/ files;
// nil when the project has none (a server generated before hasgen
// served it).
func newRelay(ctx context.Context, cfg Config, p Project, base engine.Config, pool *pgxpool.Pool, authn *auth.Authenticator, m *metrics.Metrics, log *slog.Logger) (*relayServer, error) {
	if p.Schemas == nil {
		return nil, nil
	}
	if _, err := fs.Stat(p.Schemas, "relay/full.graphqls"); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	sub, err := fs.Sub(p.Schemas, "relay")
	if err != nil {
		return nil, err
	}
	rc := base
	rc.Schemas, rc.SDL, rc.Relay = sub, nil, true
	e, err := engine.New(rc, pool)
	if err != nil {
		return nil, err
	}
	poller := live.New(e, pool, cfg.Live, m, log)
	ws := transport.NewWebsocketHandler(e, pool, authn, poller, cfg.Websocket, m, log)
	ws.Logs, ws.Reads = cfg.hlogs, cfg.Live.Reads
	gql := &transport.Handler{Engine: e, Auth: authn, DB: pool, Reads: cfg.Live.Reads, Log: log, BodyTimeout: cfg.BodyTimeout, Logs: cfg.hlogs, RateLimit: cfg.rateLimiter}
	return &relayServer{engine: e, handler: transport.Endpoint(m.InstrumentHTTP(gql), ws), poller: poller, ws: ws}, nil
}

// shutdown ends the Relay subscriptions gracefully.
func (r *relayServer) shutdown(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.poller.Close()
	return r.ws.Shutdown(ctx)
}

// close stops the Relay subscriptions.
func (r *relayServer) close() {
	if r != nil {
		r.poller.Close()
	}
}
