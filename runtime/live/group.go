package live

// What live queries and streams share: a group is the subscriptions of one
// role whose root field compiled to one poll statement; its members (a
// live query's cohorts, a stream's subscribers) are split into batches of
// at most the batch size, each polled with one statement on its own
// schedule. Members are placed in the fullest batch that has room; the
// last member of a batch ends the batch, the last of a group the group.

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
)

// member is what a batch holds; it knows its place there, so that it is
// removed in constant time.
type member[M any] interface {
	at() *position[M]
}

// position is a member's batch and index in it.
type position[M any] struct {
	batch *batch[M]
	idx   int
}

// kind is what differs between live queries and streams in the
// bookkeeping: the metric label, batch size, interval and slots.
type kind struct {
	label    string
	size     int
	interval time.Duration
	slots    *slots
	groups   prometheus.Gauge
}

func (p *Poller) liveKind() kind {
	return kind{label: "live", size: p.cfg.LiveBatchSize, interval: p.cfg.LiveInterval, slots: p.liveSlots, groups: p.m.LiveGroups}
}

func (p *Poller) streamKind() kind {
	return kind{label: "stream", size: p.cfg.StreamBatchSize, interval: p.cfg.StreamInterval, slots: p.streamSlots, groups: p.m.StreamGroups}
}

type group[M any] struct {
	p     *Poller
	kind  kind
	key   string // role and statement
	sql   string
	admin bool
	hint  []*hintTable
	// pollBatch runs one poll of a batch; forget removes the group from
	// the poller's map (p.mu is held).
	pollBatch func(ctx context.Context, b *batch[M])
	forget    func()

	mu      sync.Mutex
	batches []*batch[M]
	members int
	dead    bool
}

type batch[M any] struct {
	g       *group[M]
	members []M
	sched   schedule
	// Streams: retries counts the polls in a row that held rows back;
	// more is set when a poll must not be skipped for change hints (rows
	// held back, or a subscriber got a full batch and may have more).
	retries int
	more    bool
}

// newGroup returns an empty group for a subscription's root field;
// forget removes it from the poller's map.
func newGroup[M any](p *Poller, k kind, key string, f *compile.Field, prep *engine.Prepared, forget func()) group[M] {
	k.groups.Inc()
	return group[M]{p: p, kind: k, key: key, sql: f.SQL, admin: prep.Session.IsAdmin(), hint: p.hints.lookup(f.Tables), forget: forget}
}

// joinGroup returns the group of key in groups, created by create when
// there is none, with its mutex held (lock).
func joinGroup[G any](p *Poller, groups map[string]*G, key string, create func(forget func()) *G, lock func(*G)) (*G, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errShuttingDown
	}
	g := groups[key]
	if g == nil {
		var made *G
		made = create(func() {
			if groups[key] == made {
				delete(groups, key)
			}
		})
		g = made
		groups[key] = g
	}
	lock(g)
	return g, nil
}

// add puts m in the fullest batch of g that has room, or in a new batch,
// and returns that batch. g.mu is held.
func add[M member[M]](g *group[M], m M) *batch[M] {
	var best *batch[M]
	for _, b := range g.batches {
		if len(b.members) < g.kind.size && (best == nil || len(b.members) > len(best.members)) {
			best = b
		}
	}
	if best == nil {
		best = &batch[M]{g: g}
		best.sched.start(g.kind.slots, g.kind.interval, best.fire)
		g.batches = append(g.batches, best)
	}
	*m.at() = position[M]{best, len(best.members)}
	best.members = append(best.members, m)
	g.members++
	return best
}

// remove takes m out of its batch in g; the last member of a batch ends
// it. g.mu is held.
func remove[M member[M]](g *group[M], m M) {
	pos := m.at()
	b := pos.batch
	b.members = swapRemove(b.members, pos.idx, func(x M, i int) { x.at().idx = i })
	g.members--
	if len(b.members) == 0 {
		b.sched.kill()
		g.batches = without(g.batches, b)
	}
}

// pollNow queues b at once. g.mu is held.
func (g *group[M]) pollNow(b *batch[M]) {
	if b.sched.now() {
		g.p.queue.push(b)
	}
}

// leave is a subscriber's stop function: unless it is gone already, drop
// removes it (and, with it, an emptied member), and the group is forgotten
// when that was its last member.
func (g *group[M]) leave(gone *bool, drop func()) {
	g.mu.Lock()
	if *gone {
		g.mu.Unlock()
		return
	}
	drop()
	empty := g.members == 0
	g.mu.Unlock()
	if empty {
		g.drop()
	}
}

// drop forgets the group if it has no members left.
func (g *group[M]) drop() {
	p := g.p
	p.mu.Lock()
	defer p.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.members == 0 && !g.dead {
		g.dead = true
		g.forget()
		g.kind.groups.Dec()
	}
}

// close ends every member (shutdown): end removes a member and returns the
// sinks to complete, which are completed once g.mu is released.
func (g *group[M]) close(end func(M) []Sink) {
	g.mu.Lock()
	var all []M
	for _, b := range g.batches {
		all = append(all, b.members...)
	}
	var sinks []Sink
	for _, m := range all {
		sinks = append(sinks, end(m)...)
	}
	if !g.dead {
		g.dead = true
		g.kind.groups.Dec()
	}
	g.mu.Unlock()
	for _, sk := range sinks {
		sk.Complete()
	}
}

// poll implements pollTask.
func (b *batch[M]) poll(ctx context.Context) { b.g.pollBatch(ctx, b) }

// fire is the batch timer's callback.
func (b *batch[M]) fire() {
	b.g.mu.Lock()
	q := b.sched.fired()
	b.g.mu.Unlock()
	if q {
		b.g.p.queue.push(b)
	}
}

// begin starts a poll of b: g.mu is held, and stays held when begin
// reports true. A dead batch is not polled; with change hints, neither is
// a regular poll when skippable says nothing can have changed for its
// members (none is new, no rows were held back) and none of the tables
// the statement reads changed since the batch's last poll.
func (g *group[M]) begin(b *batch[M], skippable bool) bool {
	if b.sched.dead {
		b.sched.end(0)
		g.mu.Unlock()
		return false
	}
	regular := b.sched.begin(time.Now())
	if regular && skippable && g.p.hints.unchanged(g.hint, b.sched.seq) {
		g.p.m.PollsSkipped.WithLabelValues(g.kind.label).Inc()
		requeue := b.sched.end(0)
		g.mu.Unlock()
		if requeue {
			g.p.queue.push(b)
		}
		return false
	}
	return true
}

// finish ends a poll that began at start with change-hint sequence seq:
// the batch is scheduled again (within, when not zero, is sooner than the
// interval). g.mu is held and released.
func (g *group[M]) finish(b *batch[M], seq uint64, start time.Time, within time.Duration) {
	b.sched.seq = seq
	requeue := b.sched.end(within)
	g.mu.Unlock()
	g.p.m.PollDuration.WithLabelValues(g.kind.label).Observe(time.Since(start).Seconds())
	if requeue {
		g.p.queue.push(b)
	}
}

// failure says how a failed poll is reported: not at all when the poller
// is stopping (nil), else as the returned error; retry is set for an error
// that is not the database's (a lost connection) on a poll that is not a
// member's first, which is only logged and retried by the next poll.
func (g *group[M]) failure(err error, first bool) (sent error, retry bool) {
	if errors.Is(err, context.Canceled) {
		return nil, false
	}
	g.p.m.Errors.WithLabelValues(g.kind.label).Inc()
	var pgErr *pgconn.PgError
	if !first && !errors.As(err, &pgErr) {
		g.p.log.Warn(g.kind.label+" poll failed", "error", err)
		return nil, true
	}
	return engine.DBError(err, g.admin), false
}

// runSplit runs a poll statement over n rows with run; when it fails with
// a database error and has several rows, each row is run alone, so that
// one subscriber's bad value fails only its own row.
func runSplit[R any](n int, run func(lo, hi int) ([]R, error)) ([]R, []error) {
	results, err := run(0, n)
	if err == nil {
		return results, nil
	}
	errs := make([]error, n)
	var pgErr *pgconn.PgError
	if n == 1 || !errors.As(err, &pgErr) {
		for i := range errs {
			errs[i] = err
		}
		return nil, errs
	}
	results = make([]R, n)
	for i := 0; i < n; i++ {
		r, err := run(i, i+1)
		if err != nil {
			errs[i] = err
			continue
		}
		results[i] = r[0]
	}
	return results, errs
}

// The timing: a queue of batches to poll, run by a fixed number of
// workers, and each batch's schedule, every interval at a slot of its own
// so that batches do not all poll at the same instant.

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
