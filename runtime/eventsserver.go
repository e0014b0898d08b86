package runtime

// The delivery of event triggers in a server: NewServer starts it, Close
// and Shutdown stop it. The work is in runtime/events (worker.go).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/transform"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// EventsConfig configures the delivery of event triggers.
type EventsConfig struct {
	// PoolSize bounds the deliveries in flight
	// (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE, default 100).
	PoolSize int
	// FetchInterval is the wait between fetches of new events when the
	// last found fewer than a batch (HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL,
	// milliseconds, default 1000).
	FetchInterval time.Duration
	// FetchBatchSize bounds the events one fetch claims
	// (HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE, default 100).
	FetchBatchSize int
	// LookupEnv resolves the metadata's webhook_from_env and
	// value_from_env; nil is os.LookupEnv. Not read from the environment.
	LookupEnv func(string) (string, bool)
	// LeaseMargin is events.Options.LeaseMargin (tests shorten it); zero
	// is its default. Not read from the environment.
	LeaseMargin time.Duration
	// metrics gets the delivery's metrics: the server's registry.
	metrics prometheus.Registerer
}

// eventsPoolConns is the size of the delivery's own pool: a claim per
// fetch and a short statement per try, never held during a webhook call.
const eventsPoolConns = 10

// readEventsEnv reads EventsConfig's variables, Hasura's names and
// defaults.
func readEventsEnv(env *envReader, c *EventsConfig) {
	c.PoolSize, c.FetchInterval, c.FetchBatchSize = events.DefaultPoolSize, events.DefaultFetchInterval, events.DefaultFetchBatchSize
	env.num(&c.PoolSize, "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", 1)
	env.duration(&c.FetchInterval, "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", time.Millisecond, 1)
	env.num(&c.FetchBatchSize, "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", 1)
}

// eventsServer is a server's delivery of event triggers: its pool and
// its Service; nil when the project has no event triggers.
type eventsServer struct {
	pool *pgxpool.Pool
	svc  *events.Service
}

// startEvents starts delivering the project's event triggers
// (schema/events.jsonc) on a pool of its own. A project without triggers
// delivers nothing. A configuration that cannot be delivered (a variable
// not set, a missing catalog) is logged as an error and nothing is
// delivered, the rest of the server serving; an unreadable events.jsonc
// is an error.
func startEvents(ctx context.Context, cfg Config, p Project, log *slog.Logger) (*eventsServer, error) {
	ecfg, err := events.Load(p.Schemas)
	if err != nil {
		return nil, err
	}
	if len(ecfg.Triggers) == 0 {
		if len(p.EventHandlers) > 0 {
			log.Error("event handlers given but the project has no event triggers: they are not called")
		}
		return nil, nil
	}
	pcfg := cfg
	pcfg.MaxConns, pcfg.MinConns, pcfg.Tracer = eventsPoolConns, 0, nil
	// Claiming relies on read committed (events.New).
	pcfg.IsolationLevel = "read-committed"
	pool, err := NewPool(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("event triggers: %w", err)
	}
	lookup := cfg.Events.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	svc, err := events.New(pool, ecfg, events.Options{
		PoolSize: cfg.Events.PoolSize, FetchInterval: cfg.Events.FetchInterval, FetchBatchSize: cfg.Events.FetchBatchSize,
		LeaseMargin: cfg.Events.LeaseMargin, Handlers: p.EventHandlers, LookupEnv: lookup, Logger: log,
		UserAgent: "hasgen/" + transport.Version(), Transform: transform.ForEventTriggers(), Registerer: cfg.Events.metrics,
	})
	if err == nil {
		err = checkTransforms(ecfg, p.EventHandlers)
	}
	if err == nil {
		// The installed capture triggers must be the metadata's: else
		// events are missing or carry another payload.
		err = events.Check(ctx, pool, ecfg)
	}
	if err != nil {
		pool.Close()
		log.Error("event triggers are not delivered: "+err.Error(), "error", err)
		return nil, nil
	}
	svc.Start(context.WithoutCancel(ctx))
	log.Info("delivering event triggers", "triggers", svc.Triggers(), "pool_size", cfg.Events.PoolSize)
	return &eventsServer{pool: pool, svc: svc}, nil
}

// checkTransforms parses the request transforms of the triggers
// delivered to webhooks, so that one that cannot be applied is found at
// start rather than failing its events.
func checkTransforms(cfg *events.Config, handlers map[string]events.Handler) error {
	var errs []error
	for _, t := range cfg.Triggers {
		if len(t.RequestTransform) == 0 || string(t.RequestTransform) == "null" || handlers[t.Name] != nil {
			continue
		}
		if _, err := transform.Parse(t.RequestTransform); err != nil {
			errs = append(errs, fmt.Errorf("event trigger %q: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// ops returns the /v1/metadata operations of event triggers; none when
// nothing is delivered.
func (e *eventsServer) ops() map[string]events.Op {
	if e == nil {
		return nil
	}
	return e.svc.Ops()
}

// shutdown stops claiming and lets the deliveries in flight end until ctx
// is done, then cuts them off and unlocks their events
// (events.Service.Shutdown), in the background: the channel is closed
// when it is over. Safe on nil.
func (e *eventsServer) shutdown(ctx context.Context) <-chan struct{} {
	if e == nil {
		return inBackground(nil)
	}
	return inBackground(func() { e.svc.Shutdown(ctx) })
}

// inBackground runs stop in a goroutine and returns a channel closed once
// it has returned (at once when stop is nil): the server's parts drain
// together, each in its own time.
func inBackground(stop func()) <-chan struct{} {
	done := make(chan struct{})
	if stop == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		stop()
	}()
	return done
}

// close stops claiming, waits for the deliveries in flight to be
// recorded, and closes the pool. Safe on nil and more than once.
func (e *eventsServer) close() {
	if e == nil {
		return
	}
	e.svc.Close()
	e.pool.Close()
}

// startMetadataAPI starts the delivery of event triggers and returns the
// /v1/metadata handler over the operations of the server's parts (those
// of event triggers, and others: scheduled events).
func startMetadataAPI(ctx context.Context, cfg Config, p Project, authn *auth.Authenticator, log *slog.Logger, others ...map[string]events.Op) (*eventsServer, http.Handler, error) {
	evs, err := startEvents(ctx, cfg, p, log)
	if err != nil {
		return nil, nil, err
	}
	ops, err := metadataOps(append([]map[string]events.Op{evs.ops()}, others...)...)
	if err != nil {
		evs.close()
		return nil, nil, err
	}
	return evs, &metadataHandler{auth: authn, ops: ops, log: log}, nil
}
