package runtime

// Subscriptions: live queries and streams, polled in multiplexed batches.
//
//	websocket (ws.go) → Subscriptions.subscribe: the operation's root field
//	  compiled once per role, document and variable shape with the
//	  multiplexed writer (parameters read from "_subs"."vars")
//	→ live.go: group (one role, one SQL statement) → cohort (one set of
//	  bound parameter values, computed once) → subscribers
//	→ stream.go: group → batches of subscribers, each with its cursor
//
// A group's members are split into batches of at most the batch size. Each
// batch is one statement per poll, run every interval on a small pool of
// workers (so database connections are bounded by the workers, never by
// the number of subscribers). Batches start in the least used of twenty
// slots of the interval, so that groups do not all poll at the same
// instant. hints.go lets a poll be skipped when no table it reads changed.

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
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

// SubscriptionConfig configures live queries and streams.
type SubscriptionConfig struct {
	// LiveInterval is HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL
	// and LiveBatchSize HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE
	// (defaults 1 s, 100).
	LiveInterval  time.Duration
	LiveBatchSize int
	// StreamInterval and StreamBatchSize are the same for streams
	// (HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_*).
	StreamInterval  time.Duration
	StreamBatchSize int
	// Workers is how many poll statements may run at once, and so how
	// many pool connections the poller holds at most (default 4).
	Workers int
	// Hints selects change hints; they need DatabaseURL, for the
	// listening connection (a connection of its own, not the pool's).
	Hints       HintsMode
	DatabaseURL string
	// Metrics receives the poller's metrics; nil makes a private set.
	Metrics *Metrics
	Log     *slog.Logger
}

// Subscriptions runs the live queries and streams of an engine. It is
// safe for concurrent use; Close stops it.
type Subscriptions struct {
	e     *Engine
	cfg   SubscriptionConfig
	m     *Metrics
	log   *slog.Logger
	queue *taskQueue
	hints *changeHints // nil without change hints
	stop  context.CancelFunc
	wg    sync.WaitGroup

	liveSlots, streamSlots *slots

	mu      sync.Mutex
	closed  bool
	plans   map[planKey]*subPlan
	live    map[string]*liveGroup
	streams map[string]*streamGroup
}

// NewSubscriptions starts the poller of e's subscriptions: its workers
// and, with change hints, the listening connection. Close stops them.
func NewSubscriptions(e *Engine, cfg SubscriptionConfig) *Subscriptions {
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
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Subscriptions{
		e: e, cfg: cfg, m: cfg.Metrics, log: cfg.Log, stop: cancel,
		queue:       newTaskQueue(),
		liveSlots:   newSlots(cfg.LiveInterval),
		streamSlots: newSlots(cfg.StreamInterval),
		plans:       map[planKey]*subPlan{},
		live:        map[string]*liveGroup{},
		streams:     map[string]*streamGroup{},
	}
	if cfg.Hints != HintsOff && cfg.DatabaseURL != "" {
		s.hints = newChangeHints(e.schema)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.hints.run(ctx, cfg.DatabaseURL, cfg.Hints == HintsOn, s.log, s.m)
		}()
	}
	for i := 0; i < cfg.Workers; i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.work(ctx)
		}()
	}
	return s
}

// Close ends every subscription (each sink gets complete), stops the
// poller and waits for running polls to end. Subscribing afterwards fails.
// It is safe to call more than once.
func (s *Subscriptions) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	live, streams := s.live, s.streams
	s.live, s.streams = map[string]*liveGroup{}, map[string]*streamGroup{}
	s.mu.Unlock()
	for _, g := range live {
		g.close()
	}
	for _, g := range streams {
		g.close()
	}
	s.stop()
	s.queue.close()
	s.wg.Wait()
}

// work runs queued polls until the poller stops.
func (s *Subscriptions) work(ctx context.Context) {
	for {
		t, ok := s.queue.pop()
		if !ok {
			return
		}
		t.poll(ctx)
	}
}

// sink is where a subscription's messages go: a websocket operation.
// Calls come from the poller and must not block (they queue).
type sink interface {
	// next sends a result: the root field's JSON value under its
	// response key.
	next(key string, value []byte)
	// fail sends errors. final means the subscription has ended (its
	// first poll failed); otherwise it goes on, as in Hasura, where a
	// failed refetch sends {"errors": [...]} as data.
	fail(errs []*Error, final bool)
	// complete ends the subscription from the server's side (shutdown).
	complete()
}

// planKey identifies a compiled subscription: a cached document and a
// variable shape.
type planKey struct {
	doc   *document
	shape string
}

const maxCachedPlans = 4096

// subPlan is a subscription's root field, compiled for one role and
// variable shape with the multiplexed writer.
type subPlan struct {
	err *Error
	// key is the response key of the root field; typename is set for a
	// subscription to __typename alone (answered without a query).
	key      string
	typename bool
	kind     rootKind
	// sql is the poll statement and params its parameters, bound per
	// subscriber into "_subs"."vars".
	sql    string
	params []Param
	// hint are the tables the statement reads, for change hints.
	hint []*hintTable
	// stream is set for <t>_stream.
	stream *streamPlan
}

// operationOf returns the operation type of a request for the session's
// role, or the errors of its document. Subscriptions go to subscribe, the
// others to Engine.Do.
func (e *Engine) operationOf(s *Session, req *Request) (ast.Operation, []*Error) {
	d := e.document(e.role(s.Role), req)
	if d.errs != nil {
		return "", hasuraSubscriptionErrors(d.errs)
	}
	return d.op.Operation, nil
}

// msgOneRootField is Hasura's error for a subscription with several root
// fields.
const msgOneRootField = "subscriptions must select one top level field"

// hasuraSubscriptionErrors replaces gqlparser's message for a subscription
// with several root fields by Hasura's.
func hasuraSubscriptionErrors(errs []*Error) []*Error {
	for i, e := range errs {
		if strings.HasSuffix(e.Message, "must select only one top level field.") {
			out := append([]*Error(nil), errs...)
			out[i] = &Error{Code: CodeValidationFailed, Path: "$", Message: msgOneRootField}
			return out
		}
	}
	return errs
}

// plan returns the compiled subscription of a request, compiling it on
// first use, and the request's decoded variables.
func (s *Subscriptions) plan(sess *Session, req *Request) (*subPlan, map[string]any, *Error) {
	e := s.e
	r := e.role(sess.Role)
	d := e.document(r, req)
	if d.errs != nil {
		return nil, nil, hasuraSubscriptionErrors(d.errs)[0]
	}
	vars, verr := decodeVariables(req.Variables)
	if verr != nil {
		return nil, nil, verr
	}
	var shape strings.Builder
	if err := shapeOf(&shape, r.schema, d.op, vars); err != nil {
		return nil, nil, err
	}
	key := planKey{doc: d, shape: shape.String()}
	s.mu.Lock()
	p := s.plans[key]
	s.mu.Unlock()
	if p == nil {
		p = s.compile(r, d, vars)
		s.mu.Lock()
		if len(s.plans) >= maxCachedPlans {
			s.plans = map[planKey]*subPlan{}
		}
		s.plans[key] = p
		s.mu.Unlock()
	}
	if p.err != nil {
		return nil, nil, p.err
	}
	return p, vars, nil
}

// compile plans a subscription: exactly one root field, a table's select,
// _by_pk, _aggregate or _stream, written with the multiplexed writer.
func (s *Subscriptions) compile(r *roleExec, d *document, vars map[string]any) *subPlan {
	e := s.e
	c := &compiler{s: e.schema, role: r.name, doc: d.doc, vars: vars, stringify: e.stringify}
	fields := c.collect(d.op.SelectionSet, "subscription_root")
	if len(fields) != 1 {
		return &subPlan{err: &Error{Code: CodeValidationFailed, Path: "$", Message: msgOneRootField}}
	}
	f := fields[0]
	p := &subPlan{key: f.alias}
	if f.field.Name == "__typename" {
		p.typename = true
		return p
	}
	ref, ok := e.roots[f.field.Name]
	if !ok {
		p.err = &Error{Code: CodeValidationFailed, Path: "$.selectionSet." + f.alias,
			Message: "subscriptions are supported on the tables' fields only, not on custom fields"}
		return p
	}
	p.kind = ref.kind
	c.w = NewWriter(true)
	if ref.kind == rootStream {
		p.stream = c.compileStream(ref, f)
	} else {
		c.compileRoot(ref, f)
	}
	if c.err != nil {
		return &subPlan{err: c.err}
	}
	p.params = c.w.Params()
	if p.stream != nil {
		p.sql = p.stream.statement(c.w.String())
	} else {
		p.sql = liveStatement(c.w.String())
	}
	if s.hints != nil {
		tables := c.w.Tables()
		if p.stream != nil {
			// A stream delivers new rows of its own table; changes to
			// the tables of its relationships send nothing.
			tables = []string{ref.table.sql}
		}
		p.hint = s.hints.lookup(tables)
	}
	return p
}

// subscribe starts a subscription of the session to a request whose
// operation is a subscription. Results go to sk until the returned stop
// function is called (safe to call more than once) or the subscription
// fails or is completed. The errors are those of the request (validation,
// a missing session variable): nothing was started then.
func (s *Subscriptions) subscribe(sess *Session, req *Request, sk sink) (stop func(), err *Error) {
	p, vars, err := s.plan(sess, req)
	if err != nil {
		return nil, err
	}
	if p.typename {
		sk.next(p.key, []byte(`"subscription_root"`))
		return func() {}, nil
	}
	args, err := bindParams(p.params, sess, vars)
	if err != nil {
		return nil, err
	}
	if p.stream != nil {
		return s.subscribeStream(sess, p, vars, args, sk)
	}
	return s.subscribeLive(sess, p, args, sk)
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

// taskQueue is the poller's queue of batches to poll: unbounded, but each
// batch is in it at most once.
type taskQueue struct {
	mu     sync.Mutex
	tasks  []pollTask
	wake   chan struct{}
	closed bool
}

// pollTask is a batch to poll.
type pollTask interface {
	poll(ctx context.Context)
}

func newTaskQueue() *taskQueue { return &taskQueue{wake: make(chan struct{}, 1)} }

func (q *taskQueue) push(t pollTask) {
	q.mu.Lock()
	if !q.closed {
		q.tasks = append(q.tasks, t)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop returns the next task, waiting for one; false once closed.
func (q *taskQueue) pop() (pollTask, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.tasks) > 0 {
			t := q.tasks[0]
			q.tasks[0] = nil
			q.tasks = q.tasks[1:]
			more := len(q.tasks) > 0
			q.mu.Unlock()
			if more {
				select {
				case q.wake <- struct{}{}:
				default:
				}
			}
			return t, true
		}
		q.mu.Unlock()
		<-q.wake
	}
}

func (q *taskQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.tasks = nil
	q.mu.Unlock()
	close(q.wake)
}

// slots spreads batches over the refetch interval: the interval is cut
// into scheduleSlots slots, and a new batch takes the least used one, so
// that polls are evenly spread instead of all due at the same instant.
type slots struct {
	interval time.Duration
	epoch    time.Time
	mu       sync.Mutex
	count    [scheduleSlots]int
}

func newSlots(interval time.Duration) *slots {
	return &slots{interval: interval, epoch: time.Now()}
}

// take picks the least used slot and returns it with the slot's next
// time after now.
func (sl *slots) take(now time.Time) (int, time.Time) {
	sl.mu.Lock()
	best := 0
	for i, n := range sl.count {
		if n < sl.count[best] {
			best = i
		}
	}
	sl.count[best]++
	sl.mu.Unlock()
	offset := time.Duration(best) * sl.interval / scheduleSlots
	elapsed := now.Sub(sl.epoch)
	start := sl.epoch.Add(elapsed - elapsed%sl.interval + offset)
	if !start.After(now) {
		start = start.Add(sl.interval)
	}
	return best, start
}

func (sl *slots) release(slot int) {
	sl.mu.Lock()
	sl.count[slot]--
	sl.mu.Unlock()
}

// schedule is when a batch polls: every interval at its slot's time, and
// at once when members join. Its fields are guarded by the owning group's
// mutex.
type schedule struct {
	timer    *time.Timer
	interval time.Duration
	slots    *slots
	slot     int
	due      time.Time // the next regular poll
	// queued is set while the batch is queued or polling; again asks for
	// one more poll as soon as the current one ends.
	queued, again bool
	dead          bool
	// seq is the change-hint sequence number when the last poll started.
	seq uint64
}

// start arms the schedule of a new batch: fire queues t.
func (sc *schedule) start(sl *slots, interval time.Duration, fire func()) {
	now := time.Now()
	sc.slots, sc.interval = sl, interval
	sc.slot, sc.due = sl.take(now)
	sc.timer = time.AfterFunc(sc.due.Sub(now), fire)
}

// fired is the timer's callback part that runs under the group mutex: it
// reports whether the batch must be queued.
func (sc *schedule) fired() bool {
	if sc.dead || sc.queued {
		return false
	}
	sc.queued = true
	return true
}

// now asks for a poll as soon as possible (new members); it reports
// whether the batch must be queued.
func (sc *schedule) now() bool {
	if sc.dead {
		return false
	}
	if sc.queued {
		sc.again = true
		return false
	}
	sc.queued = true
	sc.timer.Stop()
	return true
}

// begin is called when a poll starts: it reports whether the poll is the
// regular one (not an extra poll for new members) and moves due past now.
func (sc *schedule) begin(now time.Time) (regular bool) {
	regular = !now.Before(sc.due.Add(-2 * time.Millisecond))
	for !sc.due.After(now) {
		sc.due = sc.due.Add(sc.interval)
	}
	return regular
}

// end is called when a poll ends; it reports whether the batch must be
// queued again at once. Otherwise the timer is armed for the next regular
// poll, or for within, when within is shorter (a stream holding rows
// back).
func (sc *schedule) end(within time.Duration) (requeue bool) {
	if sc.dead {
		sc.queued = false
		return false
	}
	if sc.again {
		sc.again = false
		return true
	}
	sc.queued = false
	wait := time.Until(sc.due)
	if within > 0 && within < wait {
		wait = within
	}
	sc.timer.Reset(wait)
	return false
}

// kill stops the schedule of a batch that has no members left.
func (sc *schedule) kill() {
	if sc.dead {
		return
	}
	sc.dead = true
	sc.timer.Stop()
	sc.slots.release(sc.slot)
}

// swapRemove removes s[i] in constant time by moving the last element into
// its place, telling that element its new index.
func swapRemove[T any](s []T, i int, moved func(T, int)) []T {
	last := len(s) - 1
	s[i] = s[last]
	moved(s[i], i)
	var zero T
	s[last] = zero
	return s[:last]
}

// without returns s without its element x (batches of a group).
func without[T comparable](s []T, x T) []T {
	for i, y := range s {
		if y == x {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}
