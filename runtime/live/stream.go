package live

// Streams: <t>_stream(batch_size, cursor: {initial_value: {col: v},
// ordering}, where). Hasura's semantics: each poll sends a subscriber the
// rows after its cursor (col > cursor, or < for DESC) in cursor order, at
// most batch_size of them with ties included, and moves the cursor to the
// last row's value; nothing is sent when there are no new rows.
//
// Unlike Hasura, no row is ever skipped when writers commit out of cursor
// order (T1 takes id 5, T2 takes id 6 and commits, a poll sees 6 and
// moves past 5, T1 commits 5). Each poll delivers rows only up to a safe
// frontier F, below which no row can still appear:
//
//   - every poll k also returns t_k = clock_timestamp() (taken after its
//     snapshot), H_k = max(col) over the whole table (visible to it), and
//     the horizon h_k = the earliest transaction start among the sessions
//     that may still write rows: for an integer cursor the sessions
//     holding a write lock on the table (a sequence value is taken after
//     the INSERT locks the table), for any other cursor every session of
//     the database in a transaction (a now() default is the writer's
//     transaction start); NULL when there is none, -infinity when one is
//     not visible (no privilege to see it, a prepared transaction);
//   - F_k = max{ H_j : t_j <= h_k } over the recorded samples and poll k
//     itself (when h_k is NULL or >= t_k): a transaction that started
//     after t_j can only take values above H_j, so when every writer
//     still in progress started after t_j, nothing at or below H_j can
//     still appear. F never decreases: earlier frontiers are facts too.
//
// Rows are delivered while col <= F, so delivery stays in exact cursor
// order with no gap and no duplicate. While rows are held back the batch
// is polled again sooner (50 ms for a 1 s interval, backing off), so that
// they arrive soon after the writer in progress ends. Samples and
// frontiers are facts about the table, so the batches of a group share
// them: with many batches polled at different instants, samples are
// dense and little is held back. The statement computes F itself, from
// the samples and earlier frontiers passed as parameters, so that it
// filters its rows with the F of its own snapshot:
//
//	WITH RECURSIVE "_rel" (the table and its partitions),
//	  "_h" AS MATERIALIZED (SELECT clock_timestamp() AS "t", max(col) AS "H", <horizon> AS "h"),
//	  "_f" AS MATERIALIZED (SELECT greatest(max of frontiers $4, max of samples $5/$6 with t <= h, H if h is NULL or >= t) AS "F"),
//	  "_k" (the positions of the samples still useful: above F)
//	SELECT "_subs"."id", "_res".*, "_h".*, "_f"."F", ...
//	FROM "_h", "_f", "_k", unnest($1::int4[], $2::json[], $3::text[]) AS "_subs"("id", "vars", "cursor")
//	LEFT JOIN LATERAL (<the subscriber's next batch, col > cursor AND col <= F>) AS "_res" ON true
//
// Streams poll the primary even when read replicas serve live queries
// (Config.Reads): the horizon h_k reads pg_locks and pg_stat_activity,
// which on a replica show the replica's own sessions, never the primary's
// transactions still writing. On a replica h_k would be NULL while T1
// holds id 5, F would jump to 6 and 5 would be skipped for good: the very
// gap the frontier exists to close. (A replica's snapshot also lags; the
// frontier would hold, but not the horizon.)

import (
	"context"
	"strconv"
	"time"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5/pgtype"
)

// maxStreamSamples bounds a group's frontier samples; dropping one only
// makes the frontier lower, never unsafe.
const maxStreamSamples = 128

// streamGroup is the stream subscriptions of one role whose root field
// compiled to one statement.
type streamGroup struct {
	group[*streamSub]
	// The frontier knowledge the group's batches share (guarded by mu):
	// the frontiers of the latest polls (several when polls ran
	// concurrently) and the samples still above them, oldest first. seq
	// numbers additions.
	fronts  []streamFront
	samples []streamSample
	seq     uint64
}

// streamFront is a frontier F a poll returned, as text.
type streamFront struct {
	v   string
	seq uint64
}

// streamSample is (t_j, H_j): at t_j, max(col) was v.
type streamSample struct {
	t   time.Time
	v   string
	seq uint64
}

// streamSub is one stream subscriber and its cursor.
type streamSub struct {
	pos       position[*streamSub]
	key       string
	inner     string // the stream's key inside a namespace (compile.Stream.Inner)
	sink      Sink
	vars      string
	cursor    *string // text; nil before the first row, with a null initial value
	batchSize int64
	lastErr   string
	fresh     bool
	gone      bool
}

func (ss *streamSub) at() *position[*streamSub] { return &ss.pos }

// subscribeStream adds a stream subscriber to a batch of its group and
// polls that batch at once.
func (p *Poller) subscribeStream(prep *engine.Prepared, f *compile.Field, args []any, sk Sink) (func(), error) {
	bound, err := prep.Bind([]catalog.Param{f.Stream.Initial, f.Stream.Batch})
	if err != nil {
		return nil, err
	}
	ss := &streamSub{key: f.Key, inner: f.Stream.Inner, sink: sk, vars: encodeVars(args), fresh: true}
	if v, ok := bound[0].(string); ok {
		v = f.Stream.CursorValue(v)
		ss.cursor = &v
	}
	if v, ok := bound[1].(string); ok {
		ss.batchSize, _ = strconv.ParseInt(v, 10, 64)
	}
	key := prep.Session.Role + "\x00" + f.SQL
	g, err := joinGroup(p, p.streams, key, func(forget func()) *streamGroup {
		g := &streamGroup{group: newGroup[*streamSub](p, p.streamKind(), key, f, prep, forget)}
		g.pollBatch = g.poll
		return g
	}, func(g *streamGroup) { g.mu.Lock() })
	if err != nil {
		return nil, err
	}
	defer g.mu.Unlock()
	b := add(&g.group, ss)
	p.m.Subscribers.WithLabelValues(metrics.KindStream).Inc()
	g.pollNow(b)
	return func() { g.leave(&ss.gone, func() { g.dropSub(ss) }) }, nil
}

// dropSub removes a subscriber from its batch and returns its sink. g.mu
// is held.
func (g *streamGroup) dropSub(ss *streamSub) []Sink {
	ss.gone = true
	g.p.m.Subscribers.WithLabelValues(metrics.KindStream).Dec()
	remove(&g.group, ss)
	return []Sink{ss.sink}
}

// close completes every subscriber of the group (shutdown).
func (g *streamGroup) close() { g.group.close(g.dropSub) }

// streamRow is one row of a stream poll: the subscribers of a batch with
// the same parameter values and cursor.
type streamRow struct {
	vars   string
	cursor *string
	subs   []*streamSub
}

// streamResult is a row's result.
type streamResult struct {
	root   []byte
	cursor *string
	n      int64
}

// streamFrontier is a poll's frontier knowledge: what it was given (the
// group's at its start), and what it found.
type streamFrontier struct {
	fronts  []string
	samples []streamSample
	// Found: the frontier F, the sample (t_k, H_k) when it is above F
	// (held: rows are held back), and the positions of the given samples
	// still above F. ok is set when a statement succeeded.
	frontier *string
	own      *streamSample
	kept     []int64
	held     bool
	ok       bool
}

// learn merges what a poll found into the group's frontier knowledge. Its
// frontier replaces those it was given, which it is at least; samples it
// found at or below its frontier are dropped; what concurrent polls added
// meanwhile stays. g.mu is held.
func (g *streamGroup) learn(startSeq uint64, in, out streamFrontier) {
	fronts := g.fronts[:0:0]
	for _, f := range g.fronts {
		if f.seq > startSeq {
			fronts = append(fronts, f)
		}
	}
	if out.frontier != nil {
		g.seq++
		fronts = append(fronts, streamFront{*out.frontier, g.seq})
	} else if len(fronts) == 0 {
		fronts = g.fronts
	}
	g.fronts = fronts
	kept := make(map[uint64]bool, len(out.kept))
	for _, i := range out.kept {
		if i >= 1 && int(i) <= len(in.samples) {
			kept[in.samples[i-1].seq] = true
		}
	}
	samples := make([]streamSample, 0, len(g.samples)+1)
	for _, smp := range g.samples {
		if smp.seq > startSeq || kept[smp.seq] {
			samples = append(samples, smp)
		}
	}
	if out.own != nil {
		g.seq++
		own := *out.own
		own.seq = g.seq
		i := len(samples)
		for i > 0 && samples[i-1].t.After(own.t) {
			i--
		}
		samples = append(samples[:i], append([]streamSample{own}, samples[i:]...)...)
	}
	if len(samples) > maxStreamSamples {
		// The oldest samples are the ones a long transaction in progress
		// lets the frontier use.
		samples = samples[:maxStreamSamples]
	}
	g.samples = samples
}

// followUp is how soon a batch that held rows back is polled again:
// 1/20 of the interval (10 ms to 100 ms), doubling with each poll in a row
// that still holds rows back, at most the interval.
func followUp(interval time.Duration, retries int) time.Duration {
	d := interval / 20
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	if d > 100*time.Millisecond {
		d = 100 * time.Millisecond
	}
	for i := 1; i < retries && d < interval; i++ {
		d *= 2
	}
	if d > interval {
		d = interval
	}
	return d
}

// poll runs the batch's statement and sends each subscriber its next
// rows, if any. With change hints, a regular poll is skipped when the
// stream's table did not change, no rows were held back and no subscriber
// got a full batch last time.
func (g *streamGroup) poll(ctx context.Context, b *batch[*streamSub]) {
	g.mu.Lock()
	fresh := false
	rows := make([]*streamRow, 0, len(b.members))
	byKey := make(map[string]*streamRow, len(b.members))
	for _, ss := range b.members {
		fresh = fresh || ss.fresh
		k := ss.vars + "\x00"
		if ss.cursor != nil {
			k += "v" + *ss.cursor
		}
		r := byKey[k]
		if r == nil {
			r = &streamRow{vars: ss.vars, cursor: ss.cursor}
			byKey[k] = r
			rows = append(rows, r)
		}
		r.subs = append(r.subs, ss)
	}
	if !g.begin(b, !fresh && !b.more) {
		return
	}
	in := streamFrontier{samples: g.samples}
	for _, f := range g.fronts {
		in.fronts = append(in.fronts, f.v)
	}
	startSeq := g.seq
	g.mu.Unlock()

	seq := g.p.hints.current()
	start := time.Now()
	var out streamFrontier
	results, errs := runSplit(len(rows), func(lo, hi int) ([]streamResult, error) {
		r, o, err := g.query(ctx, rows[lo:hi], in)
		if err == nil {
			out = o
		}
		return r, err
	})

	g.mu.Lock()
	if out.ok {
		g.learn(startSeq, in, out)
	}
	full := false
	for i, r := range rows {
		for _, ss := range r.subs {
			if ss.gone || ss.pos.batch != b {
				continue
			}
			if errs != nil && errs[i] != nil {
				g.failSub(ss, errs[i])
				continue
			}
			ss.fresh = false
			ss.lastErr = ""
			res := results[i]
			if res.n == 0 {
				continue
			}
			if ss.inner != "" {
				ss.sink.Next(ss.key, append(append([]byte(`{"`+ss.inner+`":`), res.root...), '}'))
			} else {
				ss.sink.Next(ss.key, res.root)
			}
			if res.cursor != nil {
				c := *res.cursor
				ss.cursor = &c
			}
			g.p.m.StreamRows.Add(float64(res.n))
			full = full || (ss.batchSize > 0 && res.n >= ss.batchSize)
		}
	}
	within := time.Duration(0)
	if out.ok && out.held {
		b.retries++
		within = followUp(g.kind.interval, b.retries)
	} else if out.ok {
		b.retries = 0
	}
	b.more = (out.ok && out.held) || full
	empty := g.members == 0
	g.finish(b, seq, start, within)
	if empty {
		g.drop()
	}
}

// failSub reports a failed poll to a subscriber: on its first poll the
// subscription ends; later the error is sent once and it goes on.
// Connection errors on later polls are only logged. g.mu is held.
func (g *streamGroup) failSub(ss *streamSub, err error) {
	sent, _ := g.failure(err, ss.fresh)
	if sent == nil {
		return
	}
	if ss.fresh {
		g.dropSub(ss)
		ss.sink.Fail(sent, true)
		return
	}
	msg := wire.First(sent).Message
	if ss.lastErr == msg {
		return
	}
	ss.lastErr = msg
	ss.sink.Fail(sent, false)
}

// query runs the poll statement over rows, given the group's frontier
// knowledge in.
func (g *streamGroup) query(ctx context.Context, rows []*streamRow, in streamFrontier) ([]streamResult, streamFrontier, error) {
	g.p.m.PollStatements.WithLabelValues(metrics.KindStream).Inc()
	ids := make([]int32, len(rows))
	vars := make([]string, len(rows))
	cursors := make([]*string, len(rows))
	for i, r := range rows {
		ids[i], vars[i], cursors[i] = int32(i), r.vars, r.cursor
	}
	ts := make([]time.Time, len(in.samples))
	vs := make([]string, len(in.samples))
	for i, smp := range in.samples {
		ts[i], vs[i] = smp.t, smp.v
	}
	q, err := g.p.db.Query(ctx, g.sql, ids, vars, cursors, in.fronts, ts, vs)
	if err != nil {
		return nil, streamFrontier{}, err
	}
	defer q.Close()
	results := make([]streamResult, len(rows))
	var out streamFrontier
	for q.Next() {
		var (
			id     int32
			res    streamResult
			t      time.Time
			h, f   *string
			held   bool
			kept   []int64
			cursor pgtype.Text
			n      *int64
		)
		if err := q.Scan(&id, &res.root, &cursor, &n, &t, &h, &f, &held, &kept); err != nil {
			return nil, streamFrontier{}, err
		}
		if cursor.Valid {
			c := cursor.String
			res.cursor = &c
		}
		if n != nil {
			res.n = *n
		}
		if id >= 0 && int(id) < len(results) {
			results[id] = res
		}
		if !out.ok {
			out.ok, out.frontier, out.held, out.kept = true, f, held, kept
			if held && h != nil {
				out.own = &streamSample{t: t, v: *h}
			}
		}
	}
	if err := q.Err(); err != nil {
		return nil, streamFrontier{}, err
	}
	return results, out, nil
}
