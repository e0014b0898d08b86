package runtime

// Live queries: a subscription on <t>, <t>_by_pk or <t>_aggregate.
//
// A group is one role's SQL statement. Its cohorts are the distinct
// values of the statement's bound parameters (the variables and exactly
// the session variables the statement reads): a cohort is computed once
// per poll and its result fanned out to all of its subscribers, and only
// when it changed (the first result is always sent). One statement polls
// a batch of cohorts:
//
//	SELECT "_subs"."id", "_res"."root"
//	FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars")
//	LEFT JOIN LATERAL (<the field's SQL, parameters read from "_subs"."vars">) AS "_res" ON true

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pollMarker starts every poll statement, so that the streams' horizon
// (stream.go) can tell the server's own read-only polls in pg_stat_activity.
const pollMarker = "/* hasgen poll */ "

// liveStatement wraps a root field's multiplexed SQL into the poll
// statement of a batch of cohorts.
func liveStatement(field string) string {
	return pollMarker + `SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (` +
		field + `) AS "_res" ON true`
}

// liveGroup is the subscriptions of one role whose root field compiled to
// one statement.
type liveGroup struct {
	s     *Subscriptions
	key   string // role and statement
	sql   string
	admin bool
	hint  []*hintTable

	mu      sync.Mutex
	cohorts map[string]*cohort
	batches []*liveBatch
	dead    bool
}

// cohort is the subscribers of a group with the same parameter values.
type cohort struct {
	g     *liveGroup
	vars  string // the parameter values as a JSON array; the key
	subs  map[*liveSub]struct{}
	batch *liveBatch
	idx   int // position in batch.cohorts
	// result is the last result sent; fresh is set until the first poll.
	result    []byte
	hasResult bool
	lastErr   string
	fresh     bool
	dead      bool
}

// liveSub is one subscriber of a cohort.
type liveSub struct {
	key  string
	sink sink
	c    *cohort
	gone bool
}

// liveBatch is up to LiveBatchSize cohorts of a group, polled with one
// statement.
type liveBatch struct {
	g       *liveGroup
	cohorts []*cohort
	sched   schedule
}

// subscribeLive adds a subscriber to the cohort of its parameter values,
// creating the group and cohort if needed. A new cohort is polled at once;
// a subscriber joining a cohort that has a result gets it at once.
func (s *Subscriptions) subscribeLive(sess *Session, p *subPlan, args []any, sk sink) (func(), *Error) {
	vars := encodeVars(args)
	key := sess.Role + "\x00" + p.sql
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, &Error{Code: CodeUnexpected, Path: "$", Message: "the server is shutting down"}
	}
	g := s.live[key]
	if g == nil {
		g = &liveGroup{s: s, key: key, sql: p.sql, admin: sess.IsAdmin(), hint: p.hint, cohorts: map[string]*cohort{}}
		s.live[key] = g
		s.m.liveGroups.Inc()
	}
	g.mu.Lock()
	s.mu.Unlock()
	defer g.mu.Unlock()
	ls := &liveSub{key: p.key, sink: sk}
	c := g.cohorts[vars]
	if c == nil {
		// A new cohort: polled at once. A subscriber joining a cohort
		// whose first poll is pending gets that poll's result.
		c = &cohort{g: g, vars: vars, subs: map[*liveSub]struct{}{}, fresh: true}
		g.cohorts[vars] = c
		s.m.liveCohorts.Inc()
		g.place(c)
		g.pollNow(c.batch)
	} else if c.hasResult {
		sk.next(ls.key, c.result)
	}
	ls.c = c
	c.subs[ls] = struct{}{}
	s.m.subscribers.WithLabelValues(kindLive).Inc()
	return func() { g.unsubscribe(ls) }, nil
}

// place puts a new cohort in the fullest batch that has room, or in a new
// batch. g.mu is held.
func (g *liveGroup) place(c *cohort) {
	size := g.s.cfg.LiveBatchSize
	var best *liveBatch
	for _, b := range g.batches {
		if len(b.cohorts) < size && (best == nil || len(b.cohorts) > len(best.cohorts)) {
			best = b
		}
	}
	if best == nil {
		best = &liveBatch{g: g}
		best.sched.start(g.s.liveSlots, g.s.cfg.LiveInterval, best.fire)
		g.batches = append(g.batches, best)
	}
	c.batch, c.idx = best, len(best.cohorts)
	best.cohorts = append(best.cohorts, c)
}

// pollNow queues b at once. g.mu is held.
func (g *liveGroup) pollNow(b *liveBatch) {
	if b.sched.now() {
		g.s.queue.push(b)
	}
}

// fire is the batch timer's callback.
func (b *liveBatch) fire() {
	b.g.mu.Lock()
	q := b.sched.fired()
	b.g.mu.Unlock()
	if q {
		b.g.s.queue.push(b)
	}
}

// unsubscribe removes a subscriber; the last one of a cohort removes the
// cohort, the last cohort of a batch the batch, the last cohort of a group
// the group.
func (g *liveGroup) unsubscribe(ls *liveSub) {
	g.mu.Lock()
	if ls.gone {
		g.mu.Unlock()
		return
	}
	g.dropSub(ls)
	empty := len(g.cohorts) == 0
	g.mu.Unlock()
	if empty {
		g.s.dropLiveGroup(g)
	}
}

// dropSub removes a subscriber and, with it, an empty cohort. g.mu is
// held.
func (g *liveGroup) dropSub(ls *liveSub) {
	ls.gone = true
	g.s.m.subscribers.WithLabelValues(kindLive).Dec()
	c := ls.c
	delete(c.subs, ls)
	if len(c.subs) > 0 {
		return
	}
	c.dead = true
	delete(g.cohorts, c.vars)
	g.s.m.liveCohorts.Dec()
	b := c.batch
	b.cohorts = swapRemove(b.cohorts, c.idx, func(x *cohort, i int) { x.idx = i })
	if len(b.cohorts) == 0 {
		b.sched.kill()
		g.batches = without(g.batches, b)
	}
}

// dropLiveGroup forgets a group that has no cohorts left.
func (s *Subscriptions) dropLiveGroup(g *liveGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.cohorts) == 0 && !g.dead {
		g.dead = true
		if s.live[g.key] == g {
			delete(s.live, g.key)
		}
		s.m.liveGroups.Dec()
	}
}

// close completes every subscriber of the group (shutdown).
func (g *liveGroup) close() {
	g.mu.Lock()
	var subs []*liveSub
	for _, c := range g.cohorts {
		for ls := range c.subs {
			subs = append(subs, ls)
		}
	}
	for _, ls := range subs {
		g.dropSub(ls)
	}
	if !g.dead {
		g.dead = true
		g.s.m.liveGroups.Dec()
	}
	g.mu.Unlock()
	for _, ls := range subs {
		ls.sink.complete()
	}
}

// poll runs the batch's statement and sends each cohort's result to its
// subscribers when it changed. With change hints, a regular poll is
// skipped when none of the group's tables changed since the last one.
func (b *liveBatch) poll(ctx context.Context) {
	g := b.g
	s := g.s
	g.mu.Lock()
	if b.sched.dead {
		b.sched.end(0)
		g.mu.Unlock()
		return
	}
	regular := b.sched.begin(time.Now())
	fresh := false
	cs := make([]*cohort, len(b.cohorts))
	copy(cs, b.cohorts)
	for _, c := range cs {
		fresh = fresh || c.fresh
	}
	if regular && !fresh && s.hints.unchanged(g.hint, b.sched.seq) {
		s.m.pollsSkipped.WithLabelValues(kindLive).Inc()
		requeue := b.sched.end(0)
		g.mu.Unlock()
		if requeue {
			s.queue.push(b)
		}
		return
	}
	g.mu.Unlock()

	seq := s.hints.current()
	start := time.Now()
	vars := make([]string, len(cs))
	for i, c := range cs {
		vars[i] = c.vars
	}
	results, errs := s.runLive(ctx, g.sql, vars)

	g.mu.Lock()
	b.sched.seq = seq
	for i, c := range cs {
		if c.dead {
			continue
		}
		if errs != nil && errs[i] != nil {
			g.failCohort(c, errs[i])
			continue
		}
		c.deliver(results[i])
	}
	requeue := b.sched.end(0)
	g.mu.Unlock()
	s.m.pollDuration.WithLabelValues(kindLive).Observe(time.Since(start).Seconds())
	if requeue {
		s.queue.push(b)
	}
}

// deliver sends a cohort's result to its subscribers unless it is the one
// they already have. g.mu is held.
func (c *cohort) deliver(res []byte) {
	if res == nil {
		res = []byte("null") // _by_pk without a row
	}
	c.fresh = false
	c.lastErr = ""
	if c.hasResult && bytes.Equal(c.result, res) {
		return
	}
	c.result, c.hasResult = res, true
	for ls := range c.subs {
		ls.sink.next(ls.key, res)
	}
}

// failCohort reports a failed poll to a cohort's subscribers. When it was
// the cohort's first poll, the subscriptions end (the request was not
// valid: a value Postgres cannot cast, say); later the error is sent once
// and the subscriptions go on. A connection error on a later poll is
// only logged: the next poll retries. g.mu is held.
func (g *liveGroup) failCohort(c *cohort, err error) {
	s := g.s
	var pgErr *pgconn.PgError
	isPg := errors.As(err, &pgErr)
	if errors.Is(err, context.Canceled) {
		return
	}
	s.m.errors.WithLabelValues(kindLive).Inc()
	e := dbError(err, adminSession(g.admin))
	if c.fresh {
		subs := make([]*liveSub, 0, len(c.subs))
		for ls := range c.subs {
			subs = append(subs, ls)
		}
		for _, ls := range subs {
			g.dropSub(ls)
			ls.sink.fail([]*Error{e}, true)
		}
		if len(g.cohorts) == 0 {
			// The group is dropped by the unsubscribe that follows from
			// the transport, or by the next subscriber's absence: forget
			// it now.
			go s.dropLiveGroup(g)
		}
		return
	}
	if !isPg {
		s.log.Warn("live query poll failed", "error", err)
		return
	}
	if c.lastErr == e.Message {
		return
	}
	c.lastErr = e.Message
	c.hasResult = false
	for ls := range c.subs {
		ls.sink.fail([]*Error{e}, false)
	}
}

// adminSession is the session dbError needs to choose how much of a
// database error to show.
func adminSession(admin bool) *Session {
	if admin {
		return &Session{Role: AdminRole}
	}
	return nil
}

// runLive runs a live poll statement over cohorts' parameter values and
// returns each cohort's result. When the statement fails with a database
// error and has several cohorts, each cohort is run alone, so that one
// cohort's bad value fails only that cohort.
func (s *Subscriptions) runLive(ctx context.Context, sql string, vars []string) ([][]byte, []error) {
	results, err := s.queryLive(ctx, sql, vars)
	if err == nil {
		return results, nil
	}
	errs := make([]error, len(vars))
	var pgErr *pgconn.PgError
	if len(vars) == 1 || !errors.As(err, &pgErr) {
		for i := range errs {
			errs[i] = err
		}
		return nil, errs
	}
	results = make([][]byte, len(vars))
	for i := range vars {
		r, err := s.queryLive(ctx, sql, vars[i:i+1])
		if err != nil {
			errs[i] = err
			continue
		}
		results[i] = r[0]
	}
	return results, errs
}

func (s *Subscriptions) queryLive(ctx context.Context, sql string, vars []string) ([][]byte, error) {
	s.m.pollStatements.WithLabelValues(kindLive).Inc()
	ids := make([]int32, len(vars))
	for i := range ids {
		ids[i] = int32(i)
	}
	rows, err := s.e.pool.Query(ctx, sql, ids, vars)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([][]byte, len(vars))
	for rows.Next() {
		var id int32
		var res []byte
		if err := rows.Scan(&id, &res); err != nil {
			return nil, err
		}
		if id >= 0 && int(id) < len(out) {
			out[id] = res
		}
	}
	return out, rows.Err()
}
