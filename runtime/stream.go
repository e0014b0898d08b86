package runtime

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

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Hasura's errors for the cursor argument.
const (
	msgOneCursorColumn   = "one streaming column field is expected"
	msgMultipleCursorCol = "multiple column cursors are not supported yet"
)

// maxStreamSamples bounds a group's frontier samples; dropping one only
// makes the frontier lower, never unsafe.
const maxStreamSamples = 128

// streamPlan is what a stream's statement needs besides its SQL.
type streamPlan struct {
	table   *Table
	col     *Column
	dir     string // ASC or DESC
	integer bool   // the cursor is int2, int4 or int8: the lock horizon
	// batch is batch_size and initial the cursor's initial value, bound
	// per subscriber.
	batch, initial Param
}

// compileStream writes a stream's per-subscriber subquery: the next batch
// of rows after "_subs"."cursor", up to "_f"."F", as the JSON array
// "root", the new cursor "cursor" (the last row's value, as text) and the
// number of rows "n".
func (c *compiler) compileStream(ref rootRef, f *collected) *streamPlan {
	t := ref.table
	perm := t.SelectFor(c.role)
	path := "$.selectionSet." + f.alias
	if perm == nil {
		c.fail(path, CodeValidationFailed, "field '%s' not found in type: 'subscription_root'", f.field.Name)
		return nil
	}
	sp := &streamPlan{table: t, dir: "ASC"}
	var cols []field
	for _, item := range c.items(c.arg(f.field, "cursor")) {
		for _, cf := range c.fields(item) {
			switch cf.name {
			case "initial_value":
				cols = append(cols, c.fields(cf.v)...)
			case "ordering":
				if cf.v.enum() == "DESC" {
					sp.dir = "DESC"
				}
			}
		}
	}
	switch {
	case len(cols) == 0:
		c.fail(path+".args.cursor", CodeValidationFailed, msgOneCursorColumn)
		return nil
	case len(cols) > 1:
		c.fail(path+".args.cursor", CodeValidationFailed, msgMultipleCursorCol)
		return nil
	}
	col := t.Column(cols[0].name)
	if col == nil || !perm.Allows(col.Name) {
		c.fail(path+".args.cursor", CodeValidationFailed, "field '%s' not found in type: '%s_stream_cursor_value_input'", cols[0].name, t.Type)
		return nil
	}
	sp.col = col
	sp.integer = col.Type == "int2" || col.Type == "int4" || col.Type == "int8"
	if cols[0].v.isNull() {
		sp.initial = Param{}
	} else {
		sp.initial = c.param(cols[0].v, EncodeText)
	}
	batch := c.arg(f.field, "batch_size")
	if n, ok := batch.literalInt(); ok && n < 0 {
		c.fail(path+".args.batch_size", CodeValidationFailed, "unexpected negative value")
		return nil
	}
	sp.batch = c.param(batch, EncodeText)

	w := c.w
	a := w.Alias()
	last, after := "max", " > "
	if sp.dir == "DESC" {
		last, after = "min", " < "
	}
	w.Write(`SELECT coalesce(json_agg(`, a, `."root" ORDER BY `, a, `."__o0" `, sp.dir, `), '[]') AS "root", (`,
		last, `(`, a, `."__o0"))::text AS "cursor", count(*) AS "n" FROM (`)
	args := selectArgs{
		where: c.arg(f.field, "where"),
		limit: batch,
		ties:  true,
		order: []orderItem{{dir: sp.dir, col: col.Name, expr: func(x string) { w.Write(x, ".", col.sql) }}},
		cond: func(x string) {
			w.Write(`(`, x, `.`, col.sql, after, `("_subs"."cursor")::`, col.Type, ` OR "_subs"."cursor" IS NULL) AND `,
				x, `.`, col.sql, ` <= ("_f"."F")::`, col.Type)
		},
	}
	c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
	w.Write(`) AS `, a)
	return sp
}

// fetchWithTies writes a stream's limit: the batch size (capped by the
// permission's limit), ties included.
func (c *compiler) fetchWithTies(perm *SelectPermission, args selectArgs) {
	w := c.w
	w.WriteString(" FETCH FIRST (")
	if perm.Limit > 0 {
		w.WriteString("least(")
	}
	w.Param(c.param(args.limit, EncodeText), "int8")
	if perm.Limit > 0 {
		w.Write(", ", strconv.Itoa(perm.Limit), ")")
	}
	w.WriteString(") ROWS WITH TIES")
}

// The horizons of the frontier: the earliest start of the transactions
// that may still write rows, NULL for none, -infinity for unknown.
const (
	// lockHorizon (integer cursors): the sessions holding a write lock
	// on the table or one of its partitions. A lock held by a prepared
	// transaction, or by a session whose transaction start this role may
	// not see, is unknown.
	lockHorizon = `SELECT CASE WHEN bool_or("_a"."xact_start" IS NULL) THEN '-infinity'::timestamptz ELSE min("_a"."xact_start") END` +
		` FROM pg_catalog.pg_locks AS "_l" LEFT JOIN pg_catalog.pg_stat_activity AS "_a" ON "_a"."pid" = "_l"."pid"` +
		` WHERE "_l"."locktype" = 'relation' AND "_l"."granted"` +
		` AND "_l"."database" = (SELECT "oid" FROM pg_catalog.pg_database WHERE "datname" = current_database())` +
		` AND "_l"."relation" IN (SELECT "oid" FROM "_rel")` +
		` AND "_l"."mode" IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')` +
		` AND "_l"."pid" IS DISTINCT FROM pg_backend_pid()`
	// activityHorizon (other cursors): every session of the database in
	// a transaction, but this server's own polls (read-only statements
	// that start with pollMarker) and autovacuum. A session this role
	// may not see, or a prepared transaction, is unknown.
	activityHorizon = `SELECT CASE WHEN bool_or("_a"."xact_start" IS NULL)` +
		` OR EXISTS (SELECT 1 FROM pg_catalog.pg_prepared_xacts WHERE "database" = current_database())` +
		` THEN '-infinity'::timestamptz ELSE min("_a"."xact_start") END` +
		` FROM pg_catalog.pg_stat_activity AS "_a"` +
		` WHERE "_a"."datname" = current_database() AND "_a"."pid" <> pg_backend_pid()` +
		` AND "_a"."backend_type" NOT IN ('autovacuum worker', 'walsender')` +
		` AND ("_a"."xact_start" IS NOT NULL OR "_a"."query" = '<insufficient privilege>')` +
		` AND NOT ("_a"."state" = 'active' AND left("_a"."query", 17) = '/* hasgen poll */')`
)

// statement wraps a stream's per-subscriber subquery into the poll
// statement of a batch of subscribers. Parameters: $1 row ids, $2 each
// row's parameter values, $3 its cursor, $4 the group's frontiers (F of
// polls that ran concurrently; usually one), $5 and $6 its samples
// (t_j, H_j).
func (sp *streamPlan) statement(field string) string {
	typ := sp.col.Type
	horizon := activityHorizon
	if sp.integer {
		horizon = lockHorizon
	}
	return pollMarker +
		`WITH RECURSIVE "_rel"("oid") AS (SELECT ` + QuoteLiteral(sp.table.sql) + `::regclass::oid` +
		` UNION SELECT "_i"."inhrelid" FROM pg_catalog.pg_inherits AS "_i" JOIN "_rel" ON "_i"."inhparent" = "_rel"."oid"),` +
		` "_h" AS MATERIALIZED (SELECT clock_timestamp() AS "t",` +
		` (SELECT max("_m".` + sp.col.sql + `) FROM ` + sp.table.sql + ` AS "_m")::text AS "H", (` + horizon + `) AS "h"),` +
		` "_f" AS MATERIALIZED (SELECT (greatest((SELECT max(("_c")::` + typ + `) FROM unnest($4::text[]) AS "_c"),` +
		` (SELECT max(("_p"."v")::` + typ + `) FROM unnest($5::timestamptz[], $6::text[]) AS "_p"("t", "v") WHERE "_p"."t" <= "_h"."h"),` +
		` CASE WHEN "_h"."h" IS NULL OR "_h"."h" >= "_h"."t" THEN ("_h"."H")::` + typ + ` END))::text AS "F" FROM "_h"),` +
		` "_k" AS MATERIALIZED (SELECT array_agg("_p"."i") AS "i"` +
		` FROM unnest($5::timestamptz[], $6::text[]) WITH ORDINALITY AS "_p"("t", "v", "i"), "_f"` +
		` WHERE "_f"."F" IS NULL OR ("_p"."v")::` + typ + ` > ("_f"."F")::` + typ + `)` +
		` SELECT "_subs"."id", "_res"."root", "_res"."cursor", "_res"."n", "_h"."t", "_h"."H", "_f"."F",` +
		` ("_h"."H" IS NOT NULL AND ("_f"."F" IS NULL OR ("_h"."H")::` + typ + ` > ("_f"."F")::` + typ + `)) AS "held", "_k"."i"` +
		` FROM "_h" CROSS JOIN "_f" CROSS JOIN "_k" CROSS JOIN unnest($1::int4[], $2::json[], $3::text[]) AS "_subs"("id", "vars", "cursor")` +
		` LEFT JOIN LATERAL (` + field + `) AS "_res" ON true`
}

// streamGroup is the stream subscriptions of one role whose root field
// compiled to one statement.
type streamGroup struct {
	s     *Subscriptions
	key   string
	sql   string
	admin bool
	hint  []*hintTable

	mu      sync.Mutex
	n       int // subscribers
	batches []*streamBatch
	dead    bool
	// The frontier knowledge the group's batches share: the frontiers of
	// the latest polls (several when polls ran concurrently) and the
	// samples still above them, oldest first. seq numbers additions.
	fronts  []streamFront
	samples []streamSample
	seq     uint64
}

// streamFront is a frontier F a poll returned, as text.
type streamFront struct {
	v   string
	seq uint64
}

// streamBatch is up to StreamBatchSize subscribers of a group, polled with
// one statement.
type streamBatch struct {
	g     *streamGroup
	subs  []*streamSub
	sched schedule
	// retries counts the polls in a row that held rows back; more is set
	// when a poll must not be skipped for change hints (rows held back,
	// or a subscriber got a full batch and may have more).
	retries int
	more    bool
}

// streamSample is (t_j, H_j): at t_j, max(col) was v.
type streamSample struct {
	t   time.Time
	v   string
	seq uint64
}

// streamSub is one stream subscriber and its cursor.
type streamSub struct {
	key       string
	sink      sink
	b         *streamBatch
	idx       int
	vars      string
	cursor    *string // text; nil before the first row, with a null initial value
	batchSize int64
	lastErr   string
	fresh     bool
	gone      bool
}

// subscribeStream adds a stream subscriber to a batch of its group and
// polls that batch at once.
func (s *Subscriptions) subscribeStream(sess *Session, p *subPlan, vars map[string]any, args []any, sk sink) (func(), *Error) {
	bound, err := bindParams([]Param{p.stream.initial, p.stream.batch}, sess, vars)
	if err != nil {
		return nil, err
	}
	ss := &streamSub{key: p.key, sink: sk, vars: encodeVars(args), fresh: true}
	if v, ok := bound[0].(string); ok {
		ss.cursor = &v
	}
	if v, ok := bound[1].(string); ok {
		ss.batchSize, _ = strconv.ParseInt(v, 10, 64)
	}
	key := sess.Role + "\x00" + p.sql
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, &Error{Code: CodeUnexpected, Path: "$", Message: "the server is shutting down"}
	}
	g := s.streams[key]
	if g == nil {
		g = &streamGroup{s: s, key: key, sql: p.sql, admin: sess.IsAdmin(), hint: p.hint}
		s.streams[key] = g
		s.m.streamGroups.Inc()
	}
	g.mu.Lock()
	s.mu.Unlock()
	defer g.mu.Unlock()
	g.place(ss)
	g.n++
	s.m.subscribers.WithLabelValues(kindStream).Inc()
	if ss.b.sched.now() {
		s.queue.push(ss.b)
	}
	return func() { g.unsubscribe(ss) }, nil
}

// place puts a subscriber in the fullest batch that has room, or in a new
// batch. g.mu is held.
func (g *streamGroup) place(ss *streamSub) {
	size := g.s.cfg.StreamBatchSize
	var best *streamBatch
	for _, b := range g.batches {
		if len(b.subs) < size && (best == nil || len(b.subs) > len(best.subs)) {
			best = b
		}
	}
	if best == nil {
		best = &streamBatch{g: g}
		best.sched.start(g.s.streamSlots, g.s.cfg.StreamInterval, best.fire)
		g.batches = append(g.batches, best)
	}
	ss.b, ss.idx = best, len(best.subs)
	best.subs = append(best.subs, ss)
}

func (b *streamBatch) fire() {
	b.g.mu.Lock()
	q := b.sched.fired()
	b.g.mu.Unlock()
	if q {
		b.g.s.queue.push(b)
	}
}

// unsubscribe removes a subscriber; the last one of a batch removes the
// batch, the last one of the group the group.
func (g *streamGroup) unsubscribe(ss *streamSub) {
	g.mu.Lock()
	if ss.gone {
		g.mu.Unlock()
		return
	}
	g.dropSub(ss)
	empty := g.n == 0
	g.mu.Unlock()
	if empty {
		g.s.dropStreamGroup(g)
	}
}

// dropSub removes a subscriber from its batch. g.mu is held.
func (g *streamGroup) dropSub(ss *streamSub) {
	ss.gone = true
	g.n--
	g.s.m.subscribers.WithLabelValues(kindStream).Dec()
	b := ss.b
	b.subs = swapRemove(b.subs, ss.idx, func(x *streamSub, i int) { x.idx = i })
	if len(b.subs) == 0 {
		b.sched.kill()
		g.batches = without(g.batches, b)
	}
}

func (s *Subscriptions) dropStreamGroup(g *streamGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 && !g.dead {
		g.dead = true
		if s.streams[g.key] == g {
			delete(s.streams, g.key)
		}
		s.m.streamGroups.Dec()
	}
}

// close completes every subscriber of the group (shutdown).
func (g *streamGroup) close() {
	g.mu.Lock()
	var subs []*streamSub
	for _, b := range g.batches {
		subs = append(subs, b.subs...)
	}
	for _, ss := range subs {
		g.dropSub(ss)
	}
	if !g.dead {
		g.dead = true
		g.s.m.streamGroups.Dec()
	}
	g.mu.Unlock()
	for _, ss := range subs {
		ss.sink.complete()
	}
}

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
func (b *streamBatch) poll(ctx context.Context) {
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
	rows := make([]*streamRow, 0, len(b.subs))
	byKey := make(map[string]*streamRow, len(b.subs))
	for _, ss := range b.subs {
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
	if regular && !fresh && !b.more && s.hints.unchanged(g.hint, b.sched.seq) {
		s.m.pollsSkipped.WithLabelValues(kindStream).Inc()
		requeue := b.sched.end(0)
		g.mu.Unlock()
		if requeue {
			s.queue.push(b)
		}
		return
	}
	in := streamFrontier{samples: g.samples}
	for _, f := range g.fronts {
		in.fronts = append(in.fronts, f.v)
	}
	startSeq := g.seq
	g.mu.Unlock()

	seq := s.hints.current()
	start := time.Now()
	results, errs, out := s.runStream(ctx, g.sql, rows, in)

	g.mu.Lock()
	b.sched.seq = seq
	if out.ok {
		g.learn(startSeq, in, out)
	}
	full := false
	for i, r := range rows {
		for _, ss := range r.subs {
			if ss.gone || ss.b != b {
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
			ss.sink.next(ss.key, res.root)
			if res.cursor != nil {
				c := *res.cursor
				ss.cursor = &c
			}
			s.m.streamRows.Add(float64(res.n))
			full = full || (ss.batchSize > 0 && res.n >= ss.batchSize)
		}
	}
	within := time.Duration(0)
	if out.ok && out.held {
		b.retries++
		within = followUp(s.cfg.StreamInterval, b.retries)
	} else if out.ok {
		b.retries = 0
	}
	b.more = (out.ok && out.held) || full
	requeue := b.sched.end(within)
	empty := g.n == 0
	g.mu.Unlock()
	s.m.pollDuration.WithLabelValues(kindStream).Observe(time.Since(start).Seconds())
	if requeue {
		s.queue.push(b)
	}
	if empty {
		s.dropStreamGroup(g)
	}
}

// failSub reports a failed poll to a subscriber: on its first poll the
// subscription ends; later the error is sent once and it goes on.
// Connection errors on later polls are only logged. g.mu is held.
func (g *streamGroup) failSub(ss *streamSub, err error) {
	s := g.s
	if errors.Is(err, context.Canceled) {
		return
	}
	s.m.errors.WithLabelValues(kindStream).Inc()
	e := dbError(err, adminSession(g.admin))
	if ss.fresh {
		g.dropSub(ss)
		ss.sink.fail([]*Error{e}, true)
		return
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		s.log.Warn("stream poll failed", "error", err)
		return
	}
	if ss.lastErr == e.Message {
		return
	}
	ss.lastErr = e.Message
	ss.sink.fail([]*Error{e}, false)
}

// runStream runs a stream poll statement over rows. When it fails with a
// database error and has several rows, each row is run alone, so that one
// subscriber's bad value fails only that subscriber.
func (s *Subscriptions) runStream(ctx context.Context, sql string, rows []*streamRow, in streamFrontier) ([]streamResult, []error, streamFrontier) {
	results, out, err := s.queryStream(ctx, sql, rows, in)
	if err == nil {
		return results, nil, out
	}
	errs := make([]error, len(rows))
	var pgErr *pgconn.PgError
	if len(rows) == 1 || !errors.As(err, &pgErr) {
		for i := range errs {
			errs[i] = err
		}
		return nil, errs, streamFrontier{}
	}
	results = make([]streamResult, len(rows))
	var last streamFrontier
	for i := range rows {
		r, o, err := s.queryStream(ctx, sql, rows[i:i+1], in)
		if err != nil {
			errs[i] = err
			continue
		}
		results[i], last = r[0], o
	}
	return results, errs, last
}

func (s *Subscriptions) queryStream(ctx context.Context, sql string, rows []*streamRow, in streamFrontier) ([]streamResult, streamFrontier, error) {
	s.m.pollStatements.WithLabelValues(kindStream).Inc()
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
	q, err := s.e.pool.Query(ctx, sql, ids, vars, cursors, in.fronts, ts, vs)
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
