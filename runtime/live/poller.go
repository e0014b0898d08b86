// Package live runs subscriptions: live queries and streams, polled in
// multiplexed batches.
//
//	transport → engine.Prepare (the root field's poll statement, compile/compile.go)
//	  → Poller.Subscribe → group (one role, one statement; group.go)
//	  → batches of members, each batch one statement per poll (live.go: cohorts
//	    of subscribers with the same parameter values; stream.go: subscribers
//	    with their cursors)
//
// Batches are polled every interval on a small pool of workers, so that
// database connections are bounded by the workers, never by the number of
// subscribers (group.go). hints.go lets a poll be skipped when no table
// it reads changed.
package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5"
)

// Subscription defaults, Hasura's.
const (
	defaultRefetchInterval = time.Second
	defaultBatchSize       = 100
	defaultWorkers         = 4
	scheduleSlots          = 20
)

// HintsMode says whether the poller uses change hints (hints.go).
type HintsMode uint8

// Change-hint modes: HintsAuto uses them when the trigger function is
// installed in the database (HASGEN_CHANGE_HINTS unset).
const (
	HintsAuto HintsMode = iota
	HintsOff
	HintsOn
)

// Config configures live queries and streams.
type Config struct {
	// LiveInterval is HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL
	// and LiveBatchSize HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE
	// (defaults 1 s, 100).
	LiveInterval  time.Duration
	LiveBatchSize int
	// StreamInterval and StreamBatchSize are the same for streams
	// (HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_*).
	StreamInterval  time.Duration
	StreamBatchSize int
	// Workers is HASGEN_SUBSCRIPTION_WORKERS: how many poll statements may
	// run at once, and so how many pool connections the poller holds at
	// most (default 4).
	Workers int
	// Hints is HASGEN_CHANGE_HINTS: true, false, or unset (HintsAuto) to
	// use change hints when the trigger function is installed. They need
	// DatabaseURL, for the listening connection (one of its own, not the
	// pool's).
	Hints       HintsMode
	DatabaseURL string
	// Reads, when set, is where live queries poll: the read replicas,
	// round robin, the next one (or the primary) when a replica's
	// connection fails. Streams and subscriptions to asynchronous actions
	// poll the poller's db, the primary (stream.go says why).
	Reads *replica.Set
	// ConnConfig, when set, adjusts the listening connection's
	// configuration before each connect (the connection budget counts it:
	// runtime/budget). Not read from the environment.
	ConnConfig func(*pgx.ConnConfig)
}

// Querier is what polls run on: a *pgxpool.Pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Poller runs the live queries and streams of an engine. It is safe for
// concurrent use; Close stops it.
type Poller struct {
	db    Querier
	e     *engine.Engine
	ctx   context.Context // ends with Close
	cfg   Config
	m     *metrics.Metrics
	log   *slog.Logger
	queue *taskQueue
	hints *changeHints // nil without change hints
	stop  context.CancelFunc
	wg    sync.WaitGroup

	liveSlots, streamSlots *slots

	mu      sync.Mutex
	closed  bool
	live    map[string]*liveGroup
	streams map[string]*streamGroup
	// actions holds the subscriptions to asynchronous actions' calls
	// (action.go).
	actions actionWatch
}

// New starts the poller of e's subscriptions, polling on db: its workers
// and, with change hints, the listening connection. Close stops them. m
// receives the poller's metrics (nil: a private set).
func New(e *engine.Engine, db Querier, cfg Config, m *metrics.Metrics, log *slog.Logger) *Poller {
	if cfg.LiveInterval <= 0 {
		cfg.LiveInterval = defaultRefetchInterval
	}
	if cfg.StreamInterval <= 0 {
		cfg.StreamInterval = defaultRefetchInterval
	}
	if cfg.LiveBatchSize <= 0 {
		cfg.LiveBatchSize = defaultBatchSize
	}
	if cfg.StreamBatchSize <= 0 {
		cfg.StreamBatchSize = defaultBatchSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if m == nil {
		m = metrics.New(nil)
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Poller{
		db: db, e: e, ctx: ctx, cfg: cfg, m: m, log: log, stop: cancel,
		queue:       newTaskQueue(),
		liveSlots:   newSlots(cfg.LiveInterval),
		streamSlots: newSlots(cfg.StreamInterval),
		live:        map[string]*liveGroup{},
		streams:     map[string]*streamGroup{},
	}
	if cfg.Hints != HintsOff && cfg.DatabaseURL != "" {
		p.hints = newChangeHints(e.Catalog())
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.hints.run(ctx, cfg.DatabaseURL, cfg.ConnConfig, cfg.Hints == HintsOn, p.log, p.m)
		}()
	}
	for i := 0; i < cfg.Workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(ctx)
		}()
	}
	return p
}

// Close ends every subscription (each sink gets Complete), stops the
// poller and waits for running polls to end. Subscribing afterwards fails.
// It is safe to call more than once.
func (p *Poller) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	live, streams := p.live, p.streams
	p.live, p.streams = map[string]*liveGroup{}, map[string]*streamGroup{}
	p.mu.Unlock()
	for _, g := range live {
		g.close()
	}
	for _, g := range streams {
		g.close()
	}
	p.stop()
	p.queue.close()
	p.wg.Wait()
}

// work runs queued polls until the poller stops.
func (p *Poller) work(ctx context.Context) {
	for {
		t, ok := p.queue.pop()
		if !ok {
			return
		}
		t.poll(ctx)
	}
}

// Sink is where a subscription's messages go: a websocket operation.
// Calls come from the poller and must not block (they queue).
type Sink interface {
	// Next sends a result: the root field's JSON value under its response
	// key.
	Next(key string, value []byte)
	// Fail sends err (wire.Errors gives its Hasura errors). final means
	// the subscription has ended (its first poll failed); otherwise it goes
	// on, as in Hasura, where a failed refetch sends {"errors": [...]} as
	// data.
	Fail(err error, final bool)
	// Complete ends the subscription from the server's side (shutdown).
	Complete()
}

// errShuttingDown refuses subscriptions once Close has begun.
var errShuttingDown = &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "the server is shutting down"}

// Subscribe starts a prepared subscription. Results go to sk until the
// returned stop function is called (safe to call more than once) or the
// subscription fails or is completed. The errors are the request's (a
// missing session variable): nothing was started then.
func (p *Poller) Subscribe(prep *engine.Prepared, sk Sink) (stop func(), err error) {
	f := &prep.Plan.Fields[0]
	if f.Kind == compile.FieldTypename {
		sk.Next(f.Key, []byte(`"subscription_root"`))
		return func() {}, nil
	}
	args, err := prep.Bind(f.Params)
	if err != nil {
		return nil, err
	}
	if f.Kind == compile.FieldStream {
		return p.subscribeStream(prep, f, args, sk)
	}
	if f.Kind == compile.FieldAction {
		return p.subscribeAction(prep, f, sk) // action.go
	}
	return p.subscribeLive(prep, f, args, sk)
}

// encodeVars writes a subscriber's bound parameter values as the JSON
// array the multiplexed statement reads ("_subs"."vars"->>n): texts, text
// arrays as arrays, NULLs. It is also the cohort's key.
func encodeVars(args []any) string {
	b := make([]byte, 0, 16*len(args)+2)
	b = append(b, '[')
	for i, a := range args {
		if i > 0 {
			b = append(b, ',')
		}
		switch v := a.(type) {
		case nil:
			b = append(b, "null"...)
		default: // string, []string
			j, _ := json.Marshal(v)
			b = append(b, j...)
		}
	}
	return string(append(b, ']'))
}
