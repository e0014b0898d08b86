package main

// The attacks. Each is a few goroutines ("workers"), each a loop that
// stops by itself at the end of the run (attackEnv.loop) and records every
// request it sends in the tally under a kind name such as "bomb admin".
// Every document text differs from the one before (a comment with a
// counter, an operation name), so no answer comes from a cache.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// attack is one kind of hostile request and how many loops send it.
type attack struct {
	name    string
	doc     string
	workers int
	run     func(ctx context.Context, e *attackEnv, worker int)
}

// attackEnv is what the attack loops share.
type attackEnv struct {
	c    *client
	t    *tally
	end  time.Time // no request starts after it
	seed int64
	salt atomic.Int64
	busy *inFlight
}

// requestTimeout bounds one attack request: above the server's 60 s time
// limit, so that the server's own answer is what is counted.
const requestTimeout = 90 * time.Second

// inFlight counts the requests of each attack in flight, for the report
// of a failed /healthz poll.
type inFlight struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *inFlight) enter(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[name]++
}

func (f *inFlight) leave(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n[name]--
}

// String lists the attacks with requests in flight: "huge 2, wide 1".
func (f *inFlight) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for _, name := range sortedKeys(f.n) {
		if f.n[name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, f.n[name]))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// loop calls f(i) for i = 0, 1, ... until the end of the run, ctx is done
// or limit calls were made, starting each call at least pause after the
// one before.
func (e *attackEnv) loop(ctx context.Context, name string, pause time.Duration, limit int, f func(ctx context.Context, i int)) {
	for i := 0; i < limit && ctx.Err() == nil && time.Now().Before(e.end); i++ {
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		e.busy.enter(name)
		f(rctx, i)
		e.busy.leave(name)
		cancel()
		if wait := pause - time.Since(start); wait > 0 {
			sleep(ctx, min(wait, time.Until(e.end)))
		}
	}
}

// rand returns a worker's own random source, the same for every run with
// the same seed.
func (e *attackEnv) rand(name string, worker int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, worker)
	return rand.New(rand.NewPCG(uint64(e.seed), h.Sum64()))
}

// tag is a comment that makes a document text new.
func (e *attackEnv) tag() string { return fmt.Sprintf("\n# %d\n", e.salt.Add(1)) }

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// maxRequests bounds every loop's count, whatever the duration.
const maxRequests = 100_000

// attacks are the hostile kinds of request, in the order -list shows them.
func attacks(o options) []attack {
	as := []attack{
		{name: "bomb", doc: "fragment bombs of 12-30 levels (2^levels fields expanded), anonymous and admin", workers: 2, run: bombs},
		{name: "slow", doc: fmt.Sprintf("%d connections that announce a body and send a byte of it per second", o.slowConns), workers: o.slowConns, run: slowBodies},
		{name: "huge", doc: "queries whose one root field is hundreds of MB: admin, and anonymous within the customer's row limits", workers: 2, run: huge},
		{name: "aliases", doc: "10,000 aliased root fields in one operation, anonymous and admin", workers: 2, run: aliases},
		{name: "batch", doc: "HTTP batches of many operations: anonymous over the batch limit of 100, admin", workers: 2, run: batches},
		{name: "deep", doc: "nested queries over the depth limit of 15 (anonymous, customer 5), and deep as admin (no depth limit)", workers: 3, run: deep},
	}
	as = append(as, attack{name: "cache", doc: "anonymous: a new 999-alias document (37 KB, 1,998 fields) each time, filling the document cache", workers: 1, run: cacheFill})
	as = append(as, attack{name: "fanout", doc: "anonymous: 499 relationship fields side by side in one root field, just under the node limit", workers: 1, run: fanout})
	if o.wideAliases > 0 {
		n := o.wideAliases
		as = append(as, attack{name: "wide", doc: fmt.Sprintf("%d root fields of about 3 MB each, every one under the response cap: admin and anonymous", n), workers: 2,
			run: func(ctx context.Context, e *attackEnv, worker int) { wide(ctx, e, worker, n) }})
	}
	return as
}

// fragmentBomb is a document of a few kilobytes whose fragments double at
// every level: 2^levels fields once expanded (runtime/hardening_test.go's
// shape, named so that each text is new).
func fragmentBomb(levels int, tag string) string {
	var b strings.Builder
	b.WriteString("query Bomb { artists(limit: 1) { ...F0 } }\n")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on artists { albums(limit: 1) { artist { ...F%d } } x: albums(limit: 1) { artist { ...F%d } } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on artists { name }\n", levels)
	b.WriteString(tag)
	return b.String()
}

// bombs sends fragment bombs of 12 to 30 levels: worker 0 anonymously,
// worker 1 as admin. Admin's node limit (100,000) lets 12 to 14 levels
// through (5·2^levels fields).
func bombs(ctx context.Context, e *attackEnv, worker int) {
	r := e.rand("bomb", worker)
	w := []who{anonymous, admin}[worker%2]
	e.loop(ctx, "bomb", 50*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		levels := 12 + r.IntN(19)
		a := e.c.post(ctx, w, requestBody(fragmentBomb(levels, e.tag()), nil), 4096)
		e.t.record("bomb "+w.String(), a)
	})
}

// slowBodies holds a connection that announces a 512-byte body and sends
// it a byte a second: the server should cut it off at its body read
// timeout and answer. Workers start 100 ms apart.
func slowBodies(ctx context.Context, e *attackEnv, worker int) {
	sleep(ctx, time.Duration(worker)*100*time.Millisecond)
	addr := strings.TrimPrefix(strings.TrimSuffix(e.c.url, "/v1/graphql"), "http://")
	body := []byte(`{"query": "{ albums_by_pk(id: 1) { title } }"}` + strings.Repeat(" ", 512))[:512]
	e.loop(ctx, "slow", time.Second, maxRequests, func(ctx context.Context, i int) {
		class, example, held := slowBody(ctx, e.end, addr, body)
		e.t.add("slow body", class, example, held, 0)
	})
}

// slowBody sends one slow body until the server answers or closes, or the
// run ends; it returns how that went and how long the connection was
// held.
func slowBody(ctx context.Context, end time.Time, addr string, body []byte) (class, example string, held time.Duration) {
	start := time.Now()
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "no connection: " + transportError(err), err.Error(), 0
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	type result struct {
		a   answer
		err error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		n, err := buf.ReadFrom(resp.Body)
		got <- result{a: answer{status: resp.StatusCode, bytes: n, head: buf.Bytes()}, err: err}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sent := 0
	for {
		select {
		case r := <-got:
			held = time.Since(start)
			if r.err != nil {
				return "closed without an answer: " + transportError(r.err), r.err.Error(), held
			}
			c, ex := r.a.class()
			return "answered: " + c, ex, held
		case <-tick.C:
			if time.Now().After(end) {
				return "still open at the end of the run", "", time.Since(start)
			}
			if sent < len(body) {
				conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := conn.Write(body[sent : sent+1]); err == nil {
					sent++
				}
			}
		case <-ctx.Done():
			return "still open at the end of the run", "", time.Since(start)
		}
	}
}

// The huge queries. Admin's: every track of a genre with every track of
// its genre (the sum of the squares of the genres' sizes, 2.4 million
// rows of tracks). Anonymous (role customer, at most 50 tracks per list):
// genres × 50 tracks × their genre's 50 tracks × their genre's 50 tracks.
var (
	hugeAdmin = []string{
		`{ genres { name tracks { name composer unit_price genre { tracks { name composer milliseconds } } } } }`,
		`{ tracks { name album { title tracks { name composer genre { tracks(limit: 300) { name milliseconds } } } } } }`,
	}
	hugeCustomer = []string{
		`{ genres { tracks { name genre { tracks { name genre { tracks { name milliseconds unit_price } } } } } } }`,
		`{ artists { albums { tracks { name genre { tracks { name album { tracks { name milliseconds } } } } } } } }`,
	}
)

// huge sends huge queries: worker 0 as admin, worker 1 anonymously.
func huge(ctx context.Context, e *attackEnv, worker int) {
	w, qs := admin, hugeAdmin
	if worker%2 == 1 {
		w, qs = anonymous, hugeCustomer
	}
	e.loop(ctx, "huge", 200*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		q := qs[i%len(qs)]
		a := e.c.post(ctx, w, requestBody(q+e.tag(), nil), 4096)
		e.t.record("huge "+w.String(), a)
	})
}

// The wide requests' root fields, each about 3 MB, under any response cap
// of 4 MB or more. Admin's: the 8,715 playlist entries with their track,
// album, artist, genre and media type (19 fields). Anonymous (role
// customer): every genre's 50 first tracks, each with its genre's 50 first
// tracks (8 fields), so that 249 of them fit the node limit of 2,000.
const (
	wideAdmin    = `playlist_track { playlist_id track_id track { id name composer milliseconds bytes unit_price album { id title artist { id name } } genre { id name } media_type { id name } } }`
	wideCustomer = `genres { tracks { name genre { tracks { name milliseconds unit_price } } } }`
)

// wideQuery is n aliased copies of field.
func wideQuery(field string, n int) string {
	var b strings.Builder
	b.WriteString("query Wide {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " w%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// wide sends requests of n copies of a 3 MB root field, one at a time:
// worker 0 as admin, worker 1 anonymously. Each root field is under the
// response cap; the answer is n times one, all of it in the server's
// memory before the first byte is written.
func wide(ctx context.Context, e *attackEnv, worker, n int) {
	w, q := admin, wideQuery(wideAdmin, n)
	if worker%2 == 1 {
		w, q = anonymous, wideQuery(wideCustomer, n)
	}
	e.loop(ctx, "wide", time.Second, maxRequests, func(ctx context.Context, i int) {
		a := e.c.post(ctx, w, requestBody(q+e.tag(), nil), 4096)
		e.t.record("wide "+w.String(), a)
	})
}

// fanoutQuery is one root field with n relationship fields side by side,
// each two levels deep: 4n+1 fields, depth 5.
func fanoutQuery(n int, tag string) string {
	var b strings.Builder
	b.WriteString("query Fanout { artists(limit: 1) {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: albums(limit: 1) { artist { albums(limit: 1) { title } } }", i)
	}
	b.WriteString(" } }")
	b.WriteString(tag)
	return b.String()
}

// fanout sends anonymous queries just under the limits (1,997 fields,
// depth 5) whose one statement takes Postgres seconds to plan.
func fanout(ctx context.Context, e *attackEnv, worker int) {
	e.loop(ctx, "fanout", 200*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		a := e.c.post(ctx, anonymous, requestBody(fanoutQuery(499, e.tag()), nil), 4096)
		e.t.record("fanout anonymous", a)
	})
}

// aliasQuery is one operation of n aliased root fields.
func aliasQuery(n int, tag string) string {
	var b strings.Builder
	b.WriteString("query Aliases {")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: albums_by_pk(id: %d) { title }", i, i%347+1)
	}
	b.WriteString(" }")
	b.WriteString(tag)
	return b.String()
}

// cacheFill sends anonymous documents of 999 aliased root fields, each
// text new: every one is parsed, validated, compiled and cached. The
// document cache is bounded by the bytes of the texts (64 MiB), while
// what it keeps of each (the syntax tree, the plan and its 999
// statements) is many times larger.
func cacheFill(ctx context.Context, e *attackEnv, worker int) {
	e.loop(ctx, "cache", 0, maxRequests, func(ctx context.Context, i int) {
		a := e.c.post(ctx, anonymous, requestBody(aliasQuery(999, e.tag()), nil), 4096)
		e.t.record("cache anonymous", a)
	})
}

// aliases sends operations of 10,000 aliases (20,000 fields, over the
// customer's node limit of 2,000 and under admin's of 100,000): worker 0
// anonymously, worker 1 as admin.
func aliases(ctx context.Context, e *attackEnv, worker int) {
	w := []who{anonymous, admin}[worker%2]
	e.loop(ctx, "aliases", 250*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		a := e.c.post(ctx, w, requestBody(aliasQuery(10_000, e.tag()), nil), 4096)
		e.t.record("aliases "+w.String(), a)
	})
}

// batches sends, from worker 0, anonymous batches of 101 to 1,000
// operations (over the batch limit of 100) and, from worker 1, admin
// batches of 100 to 1,000.
func batches(ctx context.Context, e *attackEnv, worker int) {
	r := e.rand("batch", worker)
	w := []who{anonymous, admin}[worker%2]
	e.loop(ctx, "batch", 100*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		n := 101 + r.IntN(900)
		if w == admin {
			n = 100 + r.IntN(901)
		}
		var b bytes.Buffer
		b.WriteByte('[')
		tag := e.tag()
		for k := 0; k < n; k++ {
			if k > 0 {
				b.WriteByte(',')
			}
			b.Write(requestBody(fmt.Sprintf("query Op%d { albums_by_pk(id: %d) { id title artist { name } } }%s", k, k%347+1, tag), nil))
		}
		b.WriteByte(']')
		a := e.c.post(ctx, w, b.Bytes(), 1<<20)
		e.t.record("batch "+w.String(), a)
	})
}

// deepQuery nests albums and their artist levels times: depth 2·levels+2.
func deepQuery(levels int, tag string) string {
	return "query Deep { albums(limit: 1) { " + strings.Repeat("artist { albums(limit: 1) { ", levels) + "id" +
		strings.Repeat(" } }", levels) + " } }" + tag
}

// deep sends queries of depth 18 to 202: from worker 0 anonymously and
// from worker 1 as customer 5 (over the depth limit of 15), from worker 2
// as admin (no depth limit: they run).
func deep(ctx context.Context, e *attackEnv, worker int) {
	r := e.rand("deep", worker)
	w := []who{anonymous, customer5, admin}[worker%3]
	e.loop(ctx, "deep", 50*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
		levels := 8 + r.IntN(93)
		a := e.c.post(ctx, w, requestBody(deepQuery(levels, e.tag()), nil), 4096)
		e.t.record("deep "+w.String(), a)
	})
}
