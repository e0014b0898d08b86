package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newActions reads the project's actions (schema/actions.jsonc) and
// resolves their handlers' environment references, those with a Go
// handler (p.ActionHandlers) answered by it; nil when it has none.
// An unset variable stops the server, as Hasura refuses such metadata.
func newActions(p Project) (*actions.Service, error) {
	cfg, err := actions.Load(p.Schemas)
	if err != nil {
		return nil, err
	}
	if len(cfg.Actions) == 0 {
		if len(p.ActionHandlers) > 0 {
			return nil, fmt.Errorf("actions: Go handlers are set but the project has no actions")
		}
		return nil, nil
	}
	// The default transport honours HTTP(S)_PROXY, as Hasura does.
	svc, err := actions.New(cfg, actions.Options{Client: &http.Client{Transport: http.DefaultTransport}, Handlers: p.ActionHandlers})
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	return svc, nil
}

// AsyncConfig configures the worker of asynchronous actions.
type AsyncConfig struct {
	// FetchInterval is the wait between two claims that found nothing
	// (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL, milliseconds, default
	// 1000; 0 processes no asynchronous action in this instance, as in
	// Hasura).
	FetchInterval time.Duration
	// FetchBatchSize bounds the calls claimed at once and so the handler
	// calls in flight (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE,
	// default 10).
	FetchBatchSize int
	// Disabled is set by HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL=0.
	Disabled bool
	// LeaseMargin is actions.WorkerOptions.LeaseMargin (tests shorten
	// it); zero is its default. Not read from the environment.
	LeaseMargin time.Duration
}

// readAsyncEnv reads AsyncConfig's variables, Hasura's names and
// defaults.
func readAsyncEnv(env *envReader, c *AsyncConfig) {
	c.FetchInterval, c.FetchBatchSize = actions.DefaultFetchInterval, actions.DefaultFetchBatchSize
	env.duration(&c.FetchInterval, "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL", time.Millisecond, 0)
	env.num(&c.FetchBatchSize, "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE", 1)
	c.Disabled = c.FetchInterval == 0
}

// asyncPoolConns is the size of the worker's own pool: a claim per fetch
// and a short statement per call, never held during a handler call.
const asyncPoolConns = 4

// asyncServer is a server's worker of asynchronous actions and its pool;
// nil when the project has none (or the instance processes none).
type asyncServer struct {
	pool   *pgxpool.Pool
	worker *actions.Worker
}

// startAsync installs the action log (hdb_catalog.hdb_action_log, under
// the catalog's advisory lock) when the project has asynchronous actions,
// and starts their worker on a pool of its own, unless
// HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL is 0. A log that cannot be
// installed fails the start: the mutations would fail.
func startAsync(ctx context.Context, cfg Config, svc *actions.Service, e *engine.Engine, log *slog.Logger) (*asyncServer, error) {
	names := svc.AsyncNames()
	if len(names) == 0 {
		return nil, nil
	}
	pcfg := cfg
	pcfg.MaxConns, pcfg.MinConns, pcfg.Tracer = asyncPoolConns, 0, nil
	// Claiming relies on read committed, as in events.
	pcfg.IsolationLevel = "read-committed"
	pool, err := NewPool(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("asynchronous actions: %w", err)
	}
	if err := actions.Install(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if cfg.Async.Disabled {
		pool.Close()
		log.Info("asynchronous actions are not processed by this instance (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL=0)")
		return nil, nil
	}
	w := svc.NewWorker(pool, actions.WorkerOptions{FetchInterval: cfg.Async.FetchInterval, BatchSize: cfg.Async.FetchBatchSize,
		LeaseMargin: cfg.Async.LeaseMargin, Validate: e.ValidateActionOutput, Logger: log})
	w.Start(context.WithoutCancel(ctx))
	log.Info("processing asynchronous actions", "actions", names, "lease", w.Lease().String())
	return &asyncServer{pool: pool, worker: w}, nil
}

// shutdown stops claiming; the calls in flight go on until ctx ends, then
// are cut off and put back for another instance. The channel is closed
// once the worker has stopped. Safe on nil.
func (a *asyncServer) shutdown(ctx context.Context) <-chan struct{} {
	if a == nil {
		return inBackground(nil)
	}
	return inBackground(func() { a.worker.Shutdown(ctx) })
}

// close stops the worker, waits for the calls in flight and closes the
// pool. Safe on nil and more than once.
func (a *asyncServer) close() {
	if a == nil {
		return
	}
	a.worker.Close()
	a.pool.Close()
}
