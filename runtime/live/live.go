package live

// Live queries: a subscription on <t>, <t>_by_pk or <t>_aggregate.
//
// A group's members are cohorts: the distinct values of the statement's
// bound parameters (the variables and exactly the session variables the
// statement reads). A cohort is computed once per poll and its result
// fanned out to all of its subscribers, and only when it changed (the
// first result is always sent). One statement polls a batch of cohorts
// (compile/compile.go).

import (
	"bytes"
	"context"
	"time"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/wire"
)

// liveGroup is the live queries of one role whose root field compiled to
// one statement.
type liveGroup struct {
	group[*cohort]
	cohorts map[string]*cohort // by parameter values; guarded by mu
}

// cohort is the subscribers of a group with the same parameter values.
type cohort struct {
	pos  position[*cohort]
	vars string // the parameter values as a JSON array; the key
	subs map[*liveSub]struct{}
	// result is the last result sent; fresh is set until the first poll.
	result    []byte
	hasResult bool
	lastErr   string
	fresh     bool
	dead      bool
}

func (c *cohort) at() *position[*cohort] { return &c.pos }

// liveSub is one subscriber of a cohort.
type liveSub struct {
	key  string
	sink Sink
	c    *cohort
	gone bool
}

// subscribeLive adds a subscriber to the cohort of its parameter values,
// creating the group and cohort if needed. A new cohort is polled at once;
// a subscriber joining a cohort that has a result gets it at once.
func (p *Poller) subscribeLive(prep *engine.Prepared, f *compile.Field, args []any, sk Sink) (func(), error) {
	vars := encodeVars(args)
	key := prep.Session.Role + "\x00" + f.SQL
	g, err := joinGroup(p, p.live, key, func(forget func()) *liveGroup {
		g := &liveGroup{group: newGroup[*cohort](p, p.liveKind(), key, f, prep, forget), cohorts: map[string]*cohort{}}
		g.pollBatch = g.poll
		return g
	}, func(g *liveGroup) { g.mu.Lock() })
	if err != nil {
		return nil, err
	}
	defer g.mu.Unlock()
	ls := &liveSub{key: f.Key, sink: sk}
	c := g.cohorts[vars]
	if c == nil {
		// A new cohort: polled at once. A subscriber joining a cohort
		// whose first poll is pending gets that poll's result.
		c = &cohort{vars: vars, subs: map[*liveSub]struct{}{}, fresh: true}
		g.cohorts[vars] = c
		p.m.LiveCohorts.Inc()
		g.pollNow(add(&g.group, c))
	} else if c.hasResult {
		sk.Next(ls.key, c.result)
	}
	ls.c = c
	c.subs[ls] = struct{}{}
	p.m.Subscribers.WithLabelValues(metrics.KindLive).Inc()
	return func() { g.leave(&ls.gone, func() { g.dropSub(ls) }) }, nil
}

// dropSub removes a subscriber and, with it, an empty cohort (the last
// cohort of a batch ends the batch). g.mu is held.
func (g *liveGroup) dropSub(ls *liveSub) {
	ls.gone = true
	g.p.m.Subscribers.WithLabelValues(metrics.KindLive).Dec()
	c := ls.c
	delete(c.subs, ls)
	if len(c.subs) > 0 {
		return
	}
	c.dead = true
	delete(g.cohorts, c.vars)
	g.p.m.LiveCohorts.Dec()
	remove(&g.group, c)
}

// dropCohort removes every subscriber of a cohort and returns their sinks.
// g.mu is held.
func (g *liveGroup) dropCohort(c *cohort) []Sink {
	subs := make([]*liveSub, 0, len(c.subs))
	for ls := range c.subs {
		subs = append(subs, ls)
	}
	sinks := make([]Sink, len(subs))
	for i, ls := range subs {
		g.dropSub(ls)
		sinks[i] = ls.sink
	}
	return sinks
}

// close completes every subscriber of the group (shutdown).
func (g *liveGroup) close() { g.group.close(g.dropCohort) }

// poll runs the batch's statement and sends each cohort's result to its
// subscribers when it changed.
func (g *liveGroup) poll(ctx context.Context, b *batch[*cohort]) {
	g.mu.Lock()
	cs := append([]*cohort(nil), b.members...)
	fresh := false
	for _, c := range cs {
		fresh = fresh || c.fresh
	}
	// With read replicas a change hint cannot skip a poll: the primary
	// notifies at commit, possibly before the replica the poll runs on has
	// replayed the change; a skipped poll after that would leave the
	// subscribers with the old result until the next change.
	if !g.begin(b, !fresh && g.p.cfg.Reads == nil) {
		return
	}
	g.mu.Unlock()

	seq := g.p.hints.current()
	start := time.Now()
	vars := make([]string, len(cs))
	for i, c := range cs {
		vars[i] = c.vars
	}
	results, errs := runSplit(len(vars), func(lo, hi int) ([][]byte, error) {
		return g.query(ctx, vars[lo:hi])
	})

	g.mu.Lock()
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
	g.finish(b, seq, start, 0)
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
		ls.sink.Next(ls.key, res)
	}
}

// failCohort reports a failed poll to a cohort's subscribers. When it was
// the cohort's first poll, the subscriptions end (the request was not
// valid: a value Postgres cannot cast, say); later the error is sent once
// and the subscriptions go on. g.mu is held.
func (g *liveGroup) failCohort(c *cohort, err error) {
	sent, _ := g.failure(err, c.fresh)
	if sent == nil {
		return
	}
	if c.fresh {
		for _, sk := range g.dropCohort(c) {
			sk.Fail(sent, true)
		}
		if g.members == 0 {
			// Forget the group now: no unsubscribe will come for it.
			go g.drop()
		}
		return
	}
	msg := wire.First(sent).Message
	if c.lastErr == msg {
		return
	}
	c.lastErr = msg
	c.hasResult = false
	for ls := range c.subs {
		ls.sink.Fail(sent, false)
	}
}

// query runs the poll statement over cohorts' parameter values and returns
// each cohort's result.
func (g *liveGroup) query(ctx context.Context, vars []string) ([][]byte, error) {
	g.p.m.PollStatements.WithLabelValues(metrics.KindLive).Inc()
	ids := make([]int32, len(vars))
	for i := range ids {
		ids[i] = int32(i)
	}
	reads := g.p.cfg.Reads
	if reads == nil {
		return g.queryOn(ctx, g.p.db, ids, vars)
	}
	// A live query reads: the replicas serve it; a replica that fails is
	// taken out and the poll runs again on the next, then the primary.
	for attempt := 0; ; attempt++ {
		pool, r := reads.Read(attempt)
		var db Querier = pool
		if r == nil {
			db = g.p.db
		}
		out, err := g.queryOn(ctx, db, ids, vars)
		if !reads.Failed(ctx, r, err) {
			return out, err
		}
	}
}

// queryOn runs the poll statement on db.
func (g *liveGroup) queryOn(ctx context.Context, db Querier, ids []int32, vars []string) ([][]byte, error) {
	rows, err := db.Query(ctx, g.sql, ids, vars)
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
