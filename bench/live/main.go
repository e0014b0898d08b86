// Command live load-tests the generated server's subscriptions: N
// websocket subscribers (graphql-transport-ws), each a user of its own (a
// cohort of its own: the multiplexer's worst case), and a writer that
// changes every subscriber's result once per round. It reports the
// write-to-client latency (p50, p99, max, mean, and p99 minus the refetch
// interval), the database's statements per second, and the server
// process's CPU and memory per subscriber.
//
//	go run ./bench/live -mode live -n 10000
//	go run ./bench/live -mode stream -n 10000
//	go run ./bench/live -mode idle -n 10000 -hints=false   # statements/s, no writer
//	go run ./bench/live -mode idle -n 10000 -hints=true
//
// It starts a throwaway Postgres (or uses $DATABASE_URL), generates and
// builds the server of bench/live/hasgen.yaml, starts it, and opens the
// subscribers from several client processes (this program again, with
// -client), each from its own source address in 127.0.0.0/8, raising
// RLIMIT_NOFILE to its hard limit everywhere (the server needs one file
// per subscriber). Latency is measured from the row's timestamp
// (clock_timestamp() in the writer's statement, just before its commit) to
// the message's arrival, on the same clock. Clients and writer share the
// machine with the server and Postgres: the figures include their CPU
// contention. See RESULTS.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/jackc/pgx/v5"
)

const secret = "bench-secret"

type options struct {
	mode             string
	n, procs         int
	warmup, duration time.Duration
	interval         time.Duration
	round            time.Duration
	hints            bool
	batch, workers   int
	pool             int
	out              string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "client" {
		if err := client(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "client:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.mode, "mode", "live", "live (a live query per subscriber), stream (a stream per subscriber) or idle (live queries, no writer: statements/s)")
	flag.IntVar(&o.n, "n", 1000, "subscribers")
	flag.IntVar(&o.procs, "procs", 0, "client processes (default one per 5000 subscribers)")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "time with the writer running before measuring")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured time")
	flag.DurationVar(&o.interval, "interval", time.Second, "refetch interval (HASURA_GRAPHQL_*_MULTIPLEXED_REFETCH_INTERVAL)")
	flag.DurationVar(&o.round, "round", time.Second, "the writer changes every subscriber's result once per round")
	flag.BoolVar(&o.hints, "hints", false, "install change hints and run the server with HASGEN_CHANGE_HINTS=true")
	flag.IntVar(&o.batch, "batch", 100, "multiplexed batch size")
	flag.IntVar(&o.workers, "workers", 0, "HASGEN_SUBSCRIPTION_WORKERS (default the server's)")
	flag.IntVar(&o.pool, "pool", 16, "HASURA_GRAPHQL_PG_CONNECTIONS")
	flag.StringVar(&o.out, "out", "", "append the result as a Markdown table row to this file")
	flag.Parse()
	if o.procs <= 0 {
		o.procs = (o.n + 4999) / 5000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// raiseFileLimit raises RLIMIT_NOFILE to its hard limit; children inherit
// it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	return l.Cur, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

func run(ctx context.Context, o options) error {
	defer pgtest.Cleanup() // the built server's directory
	limit, err := raiseFileLimit()
	if err != nil {
		return err
	}
	if uint64(o.n)+200 > limit {
		return fmt.Errorf("%d subscribers need more open files than RLIMIT_NOFILE %d allows one server process", o.n, limit)
	}
	root, err := e2e.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "bench", "live")

	logf("database: starting")
	pg, err := pgtest.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer pg.Close()
	name := "hasgen_live_bench"
	pg.DropDatabase(ctx, name)
	url, err := pg.CreateDatabase(ctx, name, "")
	if err != nil {
		return err
	}
	defer pg.DropDatabase(context.Background(), name)
	if err := pg.LoadFiles(ctx, url, filepath.Join(dir, "schema.sql")); err != nil {
		return err
	}
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(ctx, `INSERT INTO counters (id, owner) SELECT i, i FROM generate_series(1, $1) AS i`, o.n); err != nil {
		return err
	}
	if o.hints {
		tables := []live.TableName{{Schema: "public", Name: "counters"}, {Schema: "public", Name: "events"}}
		if _, err := db.Exec(ctx, live.ChangeHintsInstallSQL(tables)); err != nil {
			return err
		}
	}

	logf("server: generating and building")
	build, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: filepath.Join(dir, "hasgen.yaml")})
	if err != nil {
		return err
	}
	ms := strconv.Itoa(int(o.interval / time.Millisecond))
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":                                   url,
		"HASURA_GRAPHQL_ADMIN_SECRET":                                   secret,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL":      ms,
		"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": ms,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE":            strconv.Itoa(o.batch),
		"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE":       strconv.Itoa(o.batch),
		"HASURA_GRAPHQL_PG_CONNECTIONS":                                 strconv.Itoa(o.pool),
		"HASGEN_CHANGE_HINTS":                                           strconv.FormatBool(o.hints),
		"HASGEN_LOG_LEVEL":                                              "warn",
	}
	if o.workers > 0 {
		env["HASGEN_SUBSCRIPTION_WORKERS"] = strconv.Itoa(o.workers)
	}
	srv, err := build.Start(ctx, env)
	if err != nil {
		return err
	}
	defer srv.Stop()
	time.Sleep(time.Second) // let the server settle before the baseline
	base := sample(srv.PID(), srv.URL, db)

	logf("clients: %d subscribers from %d processes", o.n, o.procs)
	clients, err := startClients(ctx, o, srv.URL)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range clients {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	}()
	subscribed := sample(srv.PID(), srv.URL, db)
	logf("subscribed: %d subscribers; server RSS %.1f MB (+%.1f KB per subscriber)", o.n, float64(subscribed.rss)/1e6,
		float64(subscribed.rss-base.rss)/float64(o.n)/1e3)

	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	var writes atomic.Int64
	writerDone := make(chan error, 1)
	if o.mode != "idle" {
		go func() { writerDone <- writer(wctx, url, o, &writes) }()
	}
	select {
	case <-time.After(o.warmup):
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, c := range clients {
		fmt.Fprintln(c.stdin, "start")
	}
	start := sample(srv.PID(), srv.URL, db)
	w0 := writes.Load()
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
		return ctx.Err()
	}
	end := sample(srv.PID(), srv.URL, db)
	w1 := writes.Load()
	for _, c := range clients {
		fmt.Fprintln(c.stdin, "stop")
	}
	var h histogram
	for _, c := range clients {
		ch, err := c.result()
		if err != nil {
			return err
		}
		h.add(&ch)
	}
	stopWriter()
	if o.mode != "idle" {
		if err := <-writerDone; err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("writer: %w", err)
		}
	}

	secs := end.at.Sub(start.at).Seconds()
	r := result{
		o:           o,
		subscribers: end.subscribers,
		lat:         h,
		cpu:         (end.cpu - start.cpu) / secs * 100,
		pgCPU:       (end.pgCPU - start.pgCPU) / secs * 100,
		rssPerSub:   float64(end.rss-base.rss) / float64(o.n),
		heapPerSub:  float64(end.heap-base.heap) / float64(o.n),
		stackPerSub: float64(end.stacks-base.stacks) / float64(o.n),
		load:        start.load + " → " + end.load,
		pollP50:     pollQuantile(start.metrics, end.metrics, o.mode, 0.5),
		pollP99:     pollQuantile(start.metrics, end.metrics, o.mode, 0.99),
		rss:         end.rss,
		xacts:       float64(end.xacts-start.xacts-(w1-w0)) / secs,
		polls:       (end.polls - start.polls) / secs,
		writes:      float64(w1-w0) / secs,
	}
	r.print(os.Stdout)
	if o.out != "" {
		f, err := os.OpenFile(o.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintln(f, r.row())
	}
	return nil
}

// writer changes every subscriber's result once per round, in twenty
// statements per round, each its own transaction: live, an UPDATE of a
// twentieth of the counters; stream, an INSERT of an event for a twentieth
// of the subscribers.
func writer(ctx context.Context, url string, o options, writes *atomic.Int64) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	const slices = 20
	tick := time.NewTicker(o.round / slices)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		lo := (i%slices)*o.n/slices + 1
		hi := (i%slices + 1) * o.n / slices
		var err error
		if o.mode == "stream" {
			_, err = conn.Exec(ctx, `INSERT INTO events (owner) SELECT g FROM generate_series($1::int, $2::int) AS g`, lo, hi)
		} else {
			_, err = conn.Exec(ctx, `UPDATE counters SET v = v + 1, written_at = clock_timestamp() WHERE id BETWEEN $1 AND $2`, lo, hi)
		}
		if err != nil {
			return err
		}
		writes.Add(1)
	}
}

// snapshot is what is sampled at the start and end of the measurement.
type snapshot struct {
	at                time.Time
	cpu, pgCPU        float64 // CPU seconds: the server, Postgres
	rss, heap, stacks int64   // the server's RSS, live heap (at the last GC), goroutine stacks
	xacts             int64   // committed transactions of the database
	polls             float64
	subscribers       float64
	load              string // /proc/loadavg
	metrics           map[string]float64
}

func sample(pid int, url string, db *pgx.Conn) snapshot {
	s := snapshot{at: time.Now(), cpu: cpuSeconds(pid), pgCPU: postgresCPU(db)}
	s.rss = rssBytes(pid)
	load, _ := os.ReadFile("/proc/loadavg")
	s.load = strings.Join(strings.Fields(string(load))[:3], " ")
	m := scrape(url)
	s.metrics = m
	s.heap = int64(m["go_gc_heap_live_bytes"])
	s.stacks = int64(m["go_memstats_stack_inuse_bytes"])
	s.polls = m[`hasgen_poll_statements_total{kind="live"}`] + m[`hasgen_poll_statements_total{kind="stream"}`]
	s.subscribers = m[`hasgen_subscribers{kind="live"}`] + m[`hasgen_subscribers{kind="stream"}`]
	db.QueryRow(context.Background(), `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&s.xacts)
	return s
}

// cpuSeconds is a process's user and system CPU time (/proc/pid/stat).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // CLK_TCK
}

// postgresCPU sums the CPU time of this database server's processes: the
// postmaster (the parent of db's backend) and its children. Zero when it
// runs elsewhere.
func postgresCPU(db *pgx.Conn) float64 {
	var backend int
	if db.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend) != nil {
		return 0
	}
	postmaster := parentPID(backend)
	if postmaster <= 0 {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	total := cpuSeconds(postmaster)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && parentPID(pid) == postmaster {
			total += cpuSeconds(pid)
		}
	}
	return total
}

func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func rssBytes(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// scrape reads the server's /metrics into name{labels} → value.
func scrape(url string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// pollQuantile is the q-quantile of the server's poll durations between
// two scrapes, as the upper bound of its histogram bucket, in ms.
func pollQuantile(a, b map[string]float64, mode string, q float64) float64 {
	kind := "live"
	if mode == "stream" {
		kind = "stream"
	}
	prefix := `hasgen_poll_duration_seconds_bucket{kind="` + kind + `",le="`
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range b {
		le, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, `"}`)
		f, err := strconv.ParseFloat(le, 64)
		if err != nil {
			f = 1e9 // +Inf
		}
		bs = append(bs, bucket{f, v - a[k]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0
	}
	want := q * bs[len(bs)-1].n
	for _, bk := range bs {
		if bk.n >= want {
			return bk.le * 1000
		}
	}
	return 0
}

// clientProc is a client process.
type clientProc struct {
	cmd   *exec.Cmd
	stdin io.Writer
	out   *bufio.Reader
}

// startClients starts the client processes and waits until every
// subscriber has its first result (live) or is subscribed (stream).
func startClients(ctx context.Context, o options, url string) ([]*clientProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var clients []*clientProc
	per := (o.n + o.procs - 1) / o.procs
	for i := 0; i < o.procs; i++ {
		from := i*per + 1
		count := per
		if from+count-1 > o.n {
			count = o.n - from + 1
		}
		if count <= 0 {
			break
		}
		cmd := exec.CommandContext(ctx, self, "client", "-url", url, "-mode", o.mode,
			"-from", strconv.Itoa(from), "-count", strconv.Itoa(count), "-source", fmt.Sprintf("127.0.0.%d", 10+i))
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		clients = append(clients, &clientProc{cmd: cmd, stdin: stdin, out: bufio.NewReaderSize(stdout, 1<<20)})
	}
	for _, c := range clients {
		line, err := c.out.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready") {
			return clients, fmt.Errorf("client did not get ready: %q %v", line, err)
		}
	}
	return clients, nil
}

// result reads a client's histogram.
func (c *clientProc) result() (histogram, error) {
	var h histogram
	line, err := c.out.ReadString('\n')
	if err != nil {
		return h, fmt.Errorf("client result: %w", err)
	}
	return h, json.Unmarshal([]byte(line), &h)
}

// histogram counts latencies in 1 ms buckets up to 60 s.
type histogram struct {
	Counts []int64 `json:"counts"`
	Max    int64   `json:"max_us"`
	Sum    int64   `json:"sum_us"`
}

const buckets = 60000

func (h *histogram) add(o *histogram) {
	if h.Counts == nil {
		h.Counts = make([]int64, buckets)
	}
	for i, n := range o.Counts {
		h.Counts[i] += n
	}
	h.Max = max(h.Max, o.Max)
	h.Sum += o.Sum
}

func (h *histogram) total() int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// quantile returns the q-quantile in milliseconds.
func (h *histogram) quantile(q float64) float64 {
	n := h.total()
	if n == 0 {
		return 0
	}
	want := int64(q * float64(n))
	var seen int64
	for i, c := range h.Counts {
		seen += c
		if seen > want {
			return float64(i) + 0.5
		}
	}
	return float64(len(h.Counts))
}

type result struct {
	o                                  options
	subscribers                        float64
	lat                                histogram
	cpu, pgCPU                         float64
	rssPerSub, heapPerSub, stackPerSub float64
	rss                                int64
	xacts, polls, writes               float64
	load                               string
	pollP50, pollP99                   float64 // ms, the server's poll statements
}

func (r result) print(w io.Writer) {
	n := r.lat.total()
	mean := 0.0
	if n > 0 {
		mean = float64(r.lat.Sum) / float64(n) / 1000
	}
	fmt.Fprintf(w, "mode=%s n=%d (server counts %.0f) interval=%s hints=%v batch=%d\n", r.o.mode, r.o.n, r.subscribers, r.o.interval, r.o.hints, r.o.batch)
	fmt.Fprintf(w, "  messages: %d in %s (%.0f/s)\n", n, r.o.duration, float64(n)/r.o.duration.Seconds())
	if n > 0 {
		p99 := r.lat.quantile(0.99)
		fmt.Fprintf(w, "  latency ms: p50 %.0f  p99 %.0f  max %.0f  mean %.0f  p99-interval %+.0f\n",
			r.lat.quantile(0.5), p99, float64(r.lat.Max)/1000, mean, p99-float64(r.o.interval/time.Millisecond))
	}
	fmt.Fprintf(w, "  server: CPU %.0f%% (of one core)  RSS %.0f MB; per subscriber: %.1f KB RSS, %.1f KB live heap, %.1f KB stacks\n",
		r.cpu, float64(r.rss)/1e6, r.rssPerSub/1e3, r.heapPerSub/1e3, r.stackPerSub/1e3)
	fmt.Fprintf(w, "  postgres: CPU %.0f%%;  statements/s: %.1f database transactions (writer's %.1f/s excluded), %.1f poll statements\n",
		r.pgCPU, r.xacts, r.writes, r.polls)
	fmt.Fprintf(w, "  poll statement + fan-out ms (server histogram, bucket bounds): p50 <= %.1f  p99 <= %.1f\n", r.pollP50, r.pollP99)
	fmt.Fprintf(w, "  load average: %s\n", r.load)
}

// row is the result as a Markdown table row: mode, N, hints, p50, p99,
// max, mean, p99-interval (ms), server CPU, Postgres CPU, RSS and live
// heap KB per subscriber, transactions/s, poll statements/s, load.
func (r result) row() string {
	n := r.lat.total()
	mean := 0.0
	if n > 0 {
		mean = float64(r.lat.Sum) / float64(n) / 1000
	}
	p99 := r.lat.quantile(0.99)
	return fmt.Sprintf("| %s | %d | %v | %.0f | %.0f | %.0f | %.0f | %+.0f | %.0f%% | %.0f%% | %.1f | %.1f | %.1f | %.1f | %s |",
		r.o.mode, r.o.n, r.o.hints, r.lat.quantile(0.5), p99, float64(r.lat.Max)/1000, mean,
		p99-float64(r.o.interval/time.Millisecond), r.cpu, r.pgCPU, r.rssPerSub/1e3, r.heapPerSub/1e3, r.xacts, r.polls, r.load)
}

// client is a client process: subscribers from..from+count-1, one
// connection each from the source address; "start" and "stop" on stdin
// bound the measurement, whose histogram it prints as JSON.
func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	url := fs.String("url", "", "server URL")
	mode := fs.String("mode", "live", "live, stream or idle")
	from := fs.Int("from", 1, "first user id")
	count := fs.Int("count", 1, "subscribers")
	source := fs.String("source", "127.0.0.1", "source address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := raiseFileLimit(); err != nil {
		return err
	}
	var recording atomic.Bool
	counts := make([]atomic.Int64, buckets)
	var maxUS, sumUS atomic.Int64
	record := func(b []byte, now time.Time) {
		if !recording.Load() {
			return
		}
		key := []byte(`"written_at":"`)
		if *mode == "stream" {
			key = []byte(`"created":"`)
		}
		for {
			i := indexOf(b, key)
			if i < 0 {
				return
			}
			b = b[i+len(key):]
			j := indexOf(b, []byte(`"`))
			if j < 0 {
				return
			}
			at, err := time.Parse(time.RFC3339Nano, string(b[:j]))
			if err != nil {
				return
			}
			us := now.Sub(at).Microseconds()
			if us < 0 {
				us = 0
			}
			ms := us / 1000
			if ms >= buckets {
				ms = buckets - 1
			}
			counts[ms].Add(1)
			sumUS.Add(us)
			for {
				m := maxUS.Load()
				if us <= m || maxUS.CompareAndSwap(m, us) {
					break
				}
			}
		}
	}

	query := `subscription { counters { v written_at } }`
	if *mode == "stream" {
		query = `subscription ($from: bigint!) { events_stream(batch_size: 100, cursor: {initial_value: {id: $from}}) { id created } }`
	}
	// Streams start at id 0: the table is empty when clients start, and
	// each subscriber sees only its own events.
	var startID int64
	dialer := websocket.Dialer{
		Subprotocols:     []string{"graphql-transport-ws"},
		HandshakeTimeout: time.Minute,
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(*source)}}).DialContext,
		ReadBufferSize:   1024, WriteBufferSize: 1024,
	}
	wsURL := "ws" + strings.TrimPrefix(*url, "http") + "/v1/graphql"
	var ready sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 64)
	for i := 0; i < *count; i++ {
		user := *from + i
		ready.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c, _, err := dialer.Dial(wsURL, nil)
			if err != nil {
				failed.Store(err)
				ready.Done()
				return
			}
			init := fmt.Sprintf(`{"type":"connection_init","payload":{"headers":{"x-hasura-admin-secret":%q,"x-hasura-role":"user","x-hasura-user-id":"%d"}}}`, secret, user)
			c.WriteMessage(websocket.TextMessage, []byte(init))
			vars := "null"
			if *mode == "stream" {
				vars = `{"from":` + strconv.FormatInt(startID, 10) + `}`
			}
			sub := fmt.Sprintf(`{"type":"subscribe","id":"1","payload":{"query":%q,"variables":%s}}`, query, vars)
			go func() {
				acked, first := false, false
				if *mode == "stream" {
					first = true // streams send nothing until a row arrives
				}
				for {
					_, b, err := c.ReadMessage()
					if err != nil {
						if !first {
							failed.Store(err)
							ready.Done()
						}
						return
					}
					now := time.Now()
					switch {
					case !acked && strings.Contains(string(b), `"connection_ack"`):
						acked = true
						c.WriteMessage(websocket.TextMessage, []byte(sub))
						if *mode == "stream" {
							ready.Done()
						}
					case strings.HasPrefix(string(b), `{"type":"ping"`):
						c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
					case strings.HasPrefix(string(b), `{"type":"next"`):
						if !first {
							first = true
							ready.Done()
							continue
						}
						record(b, now)
					case strings.HasPrefix(string(b), `{"type":"error"`):
						failed.Store(errors.New(string(b)))
					}
				}
			}()
		}()
	}
	ready.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "start":
			recording.Store(true)
		case "stop":
			recording.Store(false)
			h := histogram{Counts: make([]int64, buckets), Max: maxUS.Load(), Sum: sumUS.Load()}
			for i := range counts {
				h.Counts[i] = counts[i].Load()
			}
			b, _ := json.Marshal(h)
			fmt.Println(string(b))
		}
	}
	return nil
}

func indexOf(b, sep []byte) int {
	return strings.Index(string(b), string(sep))
}
