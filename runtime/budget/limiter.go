package budget

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limiter holds the connections of one instance to a limit that changes
// while they are in use. Every connection counts, whichever pool opened
// it: each socket to Postgres is counted from its dial to its close
// (ConfigurePool and ConfigureConn set the dial function), and no socket
// is opened while the count is at the limit.
//
// pgxpool's MaxConns cannot change at run time, so the limit is put in
// front of Acquire instead: a pool's acquire tracer (called by every
// Acquire, Query, Exec and Begin of the pool) first takes one of limit
// slots, in FIFO order across the pools, and then makes sure the pool
// will not need a socket beyond the limit: an idle connection of the pool
// is there, a socket is reserved for it, or an idle connection of another
// pool is closed to make room. Shrinking is real: idle connections are
// closed at once, down to the new limit, and connections in use are
// closed when they are released, until the count is within the limit.
//
// A permanent connection (the change hints' listener, ConfigureConn)
// holds a slot for as long as it is open; it is closed when the limit
// would leave no slot for the pools, and may connect again when the limit
// leaves one besides its own.
//
// The zero Limiter is not usable; NewLimiter makes one. It is safe for
// concurrent use.
type Limiter struct {
	mu sync.Mutex
	// limit is how many sockets may be open; open how many are (or are
	// being dialled), reserved how many acquirers are about to dial one.
	limit    int
	open     int
	reserved int
	// closing are the open sockets already closed, counted until their
	// grace is over: room that is coming.
	closing int
	// slots are the acquisitions and permanent connections that hold a
	// slot; waiters wait for one, first come first served.
	slots   int
	waiters []*waiter
	// perm are the open permanent connections, permSlots the slots they
	// and those being dialled hold.
	perm      map[*countedConn]struct{}
	permSlots int
	pools     []*pgxpool.Pool
	// held are the connections acquired with a slot, until released.
	held map[*pgx.Conn]struct{}
	// changed is closed, and replaced, whenever a socket closes or a
	// slot, a reservation or the limit changes.
	changed chan struct{}
	// params are run-time parameters every connection gets unless its
	// configuration sets them (setParams).
	params map[string]string
	// grace bounds how long a closed socket still counts while its
	// server process goes away (countedConn.Close waits for it).
	grace time.Duration
	// down, when set, is why the database cannot be reached now
	// (SetUnavailable): acquirers fail with it instead of waiting.
	down error
}

type waiter struct {
	ch      chan struct{}
	granted bool
	err     error         // set, instead of granted, by SetUnavailable
	pool    *pgxpool.Pool // nil for a permanent connection
	since   time.Time
}

// NewLimiter returns a Limiter of limit connections.
func NewLimiter(limit int) *Limiter {
	return &Limiter{limit: max(limit, 0), perm: map[*countedConn]struct{}{}, held: map[*pgx.Conn]struct{}{},
		changed: make(chan struct{}), grace: 2 * time.Second}
}

// Stats is a Limiter's state.
type Stats struct {
	// Limit is how many connections may be open, Open how many are.
	Limit, Open int
	// InUse are the slots held (acquired connections and permanent
	// ones); Waiting the acquirers waiting for one.
	InUse, Waiting int
}

// Stats returns the limiter's current state.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Limit: l.limit, Open: l.open, InUse: l.slots, Waiting: len(l.waiters)}
}

// SetLimit changes the limit. Waiting acquirers are let in up to a
// larger one; above a smaller one, idle connections are closed at once
// and connections in use when released (and permanent ones when the
// limit leaves the pools no slot).
func (l *Limiter) SetLimit(n int) {
	n = max(n, 0)
	l.mu.Lock()
	l.limit = n
	l.grantLocked(nil)
	l.broadcastLocked()
	over := l.open - l.closing - l.limit
	var revoke []*countedConn
	for c := range l.perm {
		if l.limit >= l.permSlots+1-len(revoke) {
			break
		}
		revoke = append(revoke, c)
	}
	l.mu.Unlock()
	for _, c := range revoke {
		c.Close()
	}
	if over > 0 {
		l.trim(over)
	}
}

// SetUnavailable says that the database cannot be reached (err), or
// again can (nil). While it cannot, the instance has no share to wait
// for: waiting acquirers and dials fail at once with err, and so do new
// ones, rather than waiting for a limit that comes back only with the
// database (a request would otherwise hang until its own deadline).
func (l *Limiter) SetUnavailable(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = err
	if err == nil {
		return
	}
	for _, w := range l.waiters {
		w.err = err
		close(w.ch)
	}
	l.waiters = nil
	l.broadcastLocked()
}

// setParams sets the run-time parameters of the connections configured
// from now on.
func (l *Limiter) setParams(p map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.params = p
}

// applyParams sets the limiter's run-time parameters that rp lacks.
func (l *Limiter) applyParams(rp map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range l.params {
		if rp[k] == "" {
			rp[k] = v
		}
	}
}

// ConfigurePool makes pc's connections count against the limiter: their
// dial goes through it and every Acquire takes a slot first (through the
// pool's tracer, combined with pc's own). The pool keeps no minimum of
// connections: it opens them when acquired. Register the pool once it is
// made.
func (l *Limiter) ConfigurePool(pc *pgxpool.Config) {
	pc.MinConns, pc.MinIdleConns = 0, 0
	l.applyParams(pc.ConnConfig.RuntimeParams)
	tracers := []pgx.QueryTracer{(*poolTracer)(l)}
	if pc.ConnConfig.Tracer != nil {
		tracers = append(tracers, pc.ConnConfig.Tracer)
	}
	pc.ConnConfig.Tracer = multitracer.New(tracers...)
	before := pc.BeforeConnect
	pc.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		if before != nil {
			if err := before(ctx, cc); err != nil {
				return err
			}
		}
		// cc is this connection's own copy: its dialer counts its socket.
		d := &dialer{l: l, orig: cc.DialFunc, t: ticketFrom(ctx)}
		cc.DialFunc = d.dial
		return nil
	}
}

// Register adds a pool configured by ConfigurePool to those whose idle
// connections may be closed to make room for another pool's.
func (l *Limiter) Register(p *pgxpool.Pool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pools = append(l.pools, p)
}

// Unregister removes a pool that is closed.
func (l *Limiter) Unregister(p *pgxpool.Pool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, q := range l.pools {
		if q == p {
			l.pools = append(l.pools[:i:i], l.pools[i+1:]...)
			return
		}
	}
}

// ConfigureConn makes the connection cc is for a permanent one: its dial
// waits for a slot that leaves at least one to the pools, holds it until
// the connection is closed, and the limiter closes it when a smaller
// limit would leave the pools none. The caller reconnects as it would
// after any lost connection.
func (l *Limiter) ConfigureConn(cc *pgx.ConnConfig) {
	l.applyParams(cc.RuntimeParams)
	d := &dialer{l: l, orig: cc.DialFunc, perm: true}
	cc.DialFunc = d.dial
}

// broadcastLocked wakes everyone waiting for a change.
func (l *Limiter) broadcastLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// handoff is how long the oldest waiter lets waiters of the pool that
// released a connection go first.
const handoff = 250 * time.Millisecond

// grantLocked gives free slots to the waiters, in order; but the slot of
// a connection released by pool from goes to the first waiter of that
// pool, which takes the connection as it is, while the oldest waiter has
// waited less than handoff: a waiter of another pool would have to close
// it and open one of its own.
func (l *Limiter) grantLocked(from *pgxpool.Pool) {
	for len(l.waiters) > 0 && l.slots < l.limit {
		i := 0
		if from != nil && time.Since(l.waiters[0].since) < handoff {
			for j, w := range l.waiters {
				if w.pool == from {
					i = j
					break
				}
			}
		}
		from = nil
		w := l.waiters[i]
		l.waiters = append(l.waiters[:i:i], l.waiters[i+1:]...)
		l.slots++
		w.granted = true
		close(w.ch)
	}
}

// acquireSlot waits for a slot, in turn.
func (l *Limiter) acquireSlot(ctx context.Context, pool *pgxpool.Pool) error {
	l.mu.Lock()
	if err := l.down; err != nil {
		l.mu.Unlock()
		return err
	}
	if len(l.waiters) == 0 && l.slots < l.limit {
		l.slots++
		l.mu.Unlock()
		return nil
	}
	w := &waiter{ch: make(chan struct{}), pool: pool, since: time.Now()}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w.ch:
		return w.err // nil when granted
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.granted {
		l.releaseSlotLocked(nil)
	} else {
		for i, x := range l.waiters {
			if x == w {
				l.waiters = append(l.waiters[:i:i], l.waiters[i+1:]...)
				break
			}
		}
	}
	return ctx.Err()
}

// releaseSlotLocked gives a slot back, that of a connection released by
// pool from when not nil.
func (l *Limiter) releaseSlotLocked(from *pgxpool.Pool) {
	l.slots--
	l.grantLocked(from)
	l.broadcastLocked()
}

// wait waits for a change, at most d, or ctx's end.
func (l *Limiter) wait(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	ch := l.changed
	l.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
	case <-t.C:
	}
	return nil
}

// ticket is one Acquire's state, from the tracer's start to its end.
type ticket struct {
	slot     bool // holds a slot
	reserved bool // holds a socket reservation, not yet dialled
}

type ticketKey struct{}

func ticketFrom(ctx context.Context) *ticket {
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	return t
}

// reserve reserves a socket for t when the limit leaves one.
func (l *Limiter) reserve(t *ticket) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open+l.reserved < l.limit {
		l.reserved++
		t.reserved = true
		return true
	}
	return false
}

// takeSocket counts a socket about to be dialled: t's reservation, or
// room under the limit, made by closing an idle connection when needed.
func (l *Limiter) takeSocket(ctx context.Context, t *ticket) error {
	for {
		l.mu.Lock()
		if t != nil && t.reserved {
			t.reserved = false
			l.reserved--
			if l.open+l.reserved < l.limit {
				l.open++
				l.mu.Unlock()
				return nil
			}
			// The limit shrank since: no more room for it.
			l.broadcastLocked()
		}
		if err := l.down; err != nil {
			l.mu.Unlock()
			return err
		}
		if l.open+l.reserved < l.limit {
			l.open++
			l.mu.Unlock()
			return nil
		}
		coming := l.open-l.closing+l.reserved < l.limit
		l.mu.Unlock()
		if !coming && l.evictIdle(nil) {
			continue
		}
		if err := l.wait(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// roomComing reports whether sockets being closed will make room.
func (l *Limiter) roomComing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open-l.closing+l.reserved < l.limit
}

// socketGone uncounts a socket that was never opened (now) or is closed
// (after the grace).
func (l *Limiter) socketGone(c *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if c.isClosed() {
		l.closing--
	}
	if c.perm {
		delete(l.perm, c)
		l.permSlots--
		l.slots--
		l.grantLocked(nil)
	}
	l.broadcastLocked()
}

// evictIdle closes one idle connection of a registered pool other than
// except, to make room; false when there is none.
func (l *Limiter) evictIdle(except *pgxpool.Pool) bool {
	return l.closeIdle(except, 1) > 0
}

// trim closes up to n idle connections.
func (l *Limiter) trim(n int) {
	l.closeIdle(nil, n)
}

// closeIdle closes up to n idle connections of the registered pools but
// except, and returns how many.
func (l *Limiter) closeIdle(except *pgxpool.Pool, n int) int {
	l.mu.Lock()
	pools := append([]*pgxpool.Pool(nil), l.pools...)
	l.mu.Unlock()
	closed := 0
	for _, p := range pools {
		if p == except || closed >= n {
			continue
		}
		conns := p.AcquireAllIdle(context.Background())
		for _, c := range conns {
			if closed < n {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				c.Conn().Close(ctx)
				cancel()
				closed++
			}
			// A closed connection is destroyed on release.
			c.Release()
		}
	}
	return closed
}

// poolTracer is the Limiter as the acquire and release tracer of its
// pools (ConfigurePool); it traces no query.
type poolTracer Limiter

// TraceQueryStart does nothing: the limiter traces acquisitions only.
func (*poolTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd does nothing.
func (*poolTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceAcquireStart takes a slot, then makes sure that the pool has an
// idle connection or room for a new one. Waiting ends with ctx, and then
// the Acquire fails with ctx's error, or when the database is unavailable
// (SetUnavailable), and then the Acquire's dial fails with that error.
func (pt *poolTracer) TraceAcquireStart(ctx context.Context, pool *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	l := (*Limiter)(pt)
	t := &ticket{}
	ctx = context.WithValue(ctx, ticketKey{}, t)
	if l.acquireSlot(ctx, pool) != nil {
		return ctx
	}
	t.slot = true
	// A connection released by the pool becomes idle just after its slot
	// is given back: wait for it a little before closing another pool's.
	patience := time.Now().Add(2 * time.Millisecond)
	for spins := 0; ; spins++ {
		// A pool at its own maximum makes the Acquire wait for one of its
		// connections: no new socket.
		if st := pool.Stat(); st.IdleConns() > 0 || st.TotalConns() >= st.MaxConns() || l.reserve(t) {
			return ctx
		}
		if spins < 20 {
			runtime.Gosched()
			continue
		}
		if time.Now().After(patience) && !l.roomComing() && l.evictIdle(pool) {
			continue
		}
		if l.wait(ctx, 500*time.Microsecond) != nil {
			return ctx
		}
	}
}

// TraceAcquireEnd gives back what an Acquire that failed held, and
// records the connection of one that succeeded.
func (pt *poolTracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	l := (*Limiter)(pt)
	t := ticketFrom(ctx)
	if t == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.reserved {
		// An idle connection was found after all.
		t.reserved = false
		l.reserved--
		l.broadcastLocked()
	}
	switch {
	case data.Err != nil || data.Conn == nil:
		if t.slot {
			l.releaseSlotLocked(nil)
		}
	default:
		if !t.slot {
			// Acquired although the wait for a slot ended: count it.
			l.slots++
		}
		l.held[data.Conn] = struct{}{}
	}
}

// TraceRelease gives the slot back, and closes the connection (which the
// pool then destroys) while the limiter is above its limit.
func (pt *poolTracer) TraceRelease(pool *pgxpool.Pool, data pgxpool.TraceReleaseData) {
	l := (*Limiter)(pt)
	l.mu.Lock()
	over := l.open-l.closing > l.limit
	if _, ok := l.held[data.Conn]; ok {
		delete(l.held, data.Conn)
		from := pool
		if over {
			from = nil // closed below
		}
		l.releaseSlotLocked(from)
	}
	l.mu.Unlock()
	if over && !data.Conn.IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		data.Conn.Close(ctx)
		cancel()
	}
}

// dialer dials one connection's sockets: the first counted (a pool's
// connection uses its Acquire's reservation), later ones while it is
// open not (pgconn dials again only to send a cancel request, which is
// no session).
type dialer struct {
	l    *Limiter
	orig pgconn.DialFunc
	t    *ticket
	perm bool
	mu   sync.Mutex
	cur  *countedConn
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	orig := d.orig
	if orig == nil {
		orig = (&net.Dialer{KeepAlive: 5 * time.Minute}).DialContext
	}
	d.mu.Lock()
	cur := d.cur
	d.mu.Unlock()
	if cur != nil && !cur.isClosed() {
		return orig(ctx, network, addr)
	}
	l := d.l
	if d.perm {
		if err := l.acquirePermSlot(ctx); err != nil {
			return nil, err
		}
	}
	if err := l.takeSocket(ctx, d.t); err != nil {
		if d.perm {
			l.mu.Lock()
			l.permSlots--
			l.releaseSlotLocked(nil)
			l.mu.Unlock()
		}
		return nil, err
	}
	nc, err := orig(ctx, network, addr)
	if err != nil {
		l.socketGone(&countedConn{perm: d.perm})
		return nil, err
	}
	c := &countedConn{Conn: nc, l: l, perm: d.perm}
	if d.perm {
		l.mu.Lock()
		l.perm[c] = struct{}{}
		l.mu.Unlock()
	}
	d.mu.Lock()
	d.cur = c
	d.mu.Unlock()
	return c, nil
}

// acquirePermSlot waits until a slot is free and the limit leaves at
// least one other to the pools, and takes it.
func (l *Limiter) acquirePermSlot(ctx context.Context) error {
	for {
		l.mu.Lock()
		if err := l.down; err != nil {
			l.mu.Unlock()
			return err
		}
		if len(l.waiters) == 0 && l.slots < l.limit && l.limit >= l.permSlots+2 {
			l.slots++
			l.permSlots++
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if err := l.wait(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// countedConn is a socket the limiter counts until it is closed.
type countedConn struct {
	net.Conn
	l      *Limiter
	perm   bool
	once   sync.Once
	mu     sync.Mutex
	closed bool
}

func (c *countedConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close closes the socket; it stops counting once the server's process
// is gone, which the socket tells: Postgres removes a backend from
// pg_stat_activity before it closes its end, so the end of the stream
// after our half-close (or after pgconn's Terminate) is the moment the
// slot is free. The wait is bounded by the limiter's grace.
func (c *countedConn) Close() error {
	first := false
	c.once.Do(func() {
		first = true
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.l.mu.Lock()
		c.l.closing++
		c.l.broadcastLocked()
		c.l.mu.Unlock()
	})
	if !first {
		return c.Conn.Close()
	}
	hc, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || hc.CloseWrite() != nil {
		err := c.Conn.Close()
		time.AfterFunc(c.l.grace, func() { c.l.socketGone(c) })
		return err
	}
	go func() {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.l.grace))
		_, _ = io.Copy(io.Discard, c.Conn)
		_ = c.Conn.Close()
		c.l.socketGone(c)
	}()
	return nil
}
