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
//	go run ./bench/live -mode live -n 40000 -servers 2 -per-conn 2 -total 32
//
// It starts a throwaway Postgres (or uses $DATABASE_URL), generates and
// builds the server of bench/live/hasgen.yaml, starts it (-servers
// processes: on one port with HASGEN_SERVER_REUSEPORT, or one port each,
// -listen), and opens the subscribers from several client processes (this
// program again, with -client), each from its own source address in
// 127.0.0.0/8, raising RLIMIT_NOFILE to its hard limit everywhere (a
// server process needs one file per websocket, so does a client process).
// With -per-conn K each websocket carries K subscriptions, each to a row
// of its own (a cohort of its own still). -total gives the servers a
// connection budget; the largest number of their connections seen in
// pg_stat_activity is reported. Latency is measured from the row's timestamp
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
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
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
	servers          int
	listen           string
	perConn          int
	total            int
	out              string
}

// conns is the number of websocket connections: n subscriptions, perConn
// on each.
func (o options) conns() int { return o.n / o.perConn }

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
	flag.IntVar(&o.servers, "servers", 1, "server processes")
	flag.StringVar(&o.listen, "listen", "reuseport", "with several servers: reuseport (one port, HASGEN_SERVER_REUSEPORT) or ports (one port each, connections dealt out in turn)")
	flag.IntVar(&o.perConn, "per-conn", 1, "subscriptions per websocket connection (live and idle modes), each to a row of its own")
	flag.IntVar(&o.total, "total", 0, "HASGEN_PG_TOTAL_MAX_CONNECTIONS: the servers' connection budget (0: none)")
	flag.StringVar(&o.out, "out", "", "append the result as a Markdown table row to this file")
	flag.Parse()
	if o.perConn < 1 || o.n%o.perConn != 0 || (o.perConn > 1 && o.mode == "stream") {
		fmt.Fprintln(os.Stderr, "live: -per-conn must divide -n, and streams take one per connection")
		os.Exit(2)
	}
	if o.listen != "reuseport" && o.listen != "ports" {
		fmt.Fprintln(os.Stderr, "live: -listen is reuseport or ports")
		os.Exit(2)
	}
	if o.procs <= 0 {
		o.procs = (o.conns() + 4999) / 5000
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
	// A server process needs a file per connection plus its pools' and a
	// few; with a shared port the kernel's spread is even only on average
	// (four standard deviations of headroom).
	perServer := float64(o.conns()) / float64(o.servers)
	if o.servers > 1 && o.listen == "reuseport" {
		perServer += 4 * math.Sqrt(float64(o.conns())*(1/float64(o.servers))*(1-1/float64(o.servers)))
	}
	if uint64(perServer)+200 > limit {
		return fmt.Errorf("%d connections over %d server processes (%s) need up to %.0f open files in one, more than RLIMIT_NOFILE %d allows: add -servers or -per-conn",
			o.conns(), o.servers, o.listen, perServer+200, limit)
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
	db, err := benchConnect(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close(context.Background())
	// Row i belongs to connection (user) (i-1)/perConn+1.
	if _, err := db.Exec(ctx, `INSERT INTO counters (id, owner) SELECT i, (i - 1) / $2 + 1 FROM generate_series(1, $1) AS i`, o.n, o.perConn); err != nil {
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
		// Tens of thousands of clients connecting at once on a loaded
		// machine: the default 3 s for connection_init is too short.
		"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT": "30",
	}
	if o.workers > 0 {
		env["HASGEN_SUBSCRIPTION_WORKERS"] = strconv.Itoa(o.workers)
	}
	if o.total > 0 {
		env["HASGEN_PG_TOTAL_MAX_CONNECTIONS"] = strconv.Itoa(o.total)
	}
	if o.servers > 1 && o.listen == "reuseport" {
		port, err := freePort()
		if err != nil {
			return err
		}
		env["HASURA_GRAPHQL_SERVER_PORT"] = port
		env["HASGEN_SERVER_REUSEPORT"] = "true"
	}
	var servers []*e2e.Server
	defer func() {
		for _, s := range servers {
			s.Stop()
		}
	}()
	for range o.servers {
		s, err := build.Start(ctx, env)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	var urls []string
	for _, s := range servers {
		if !slices.Contains(urls, s.URL) {
			urls = append(urls, s.URL)
		}
	}
	act, err := watchActivity(ctx, url)
	if err != nil {
		return err
	}
	defer act.close()
	time.Sleep(time.Second) // let the servers settle before the baseline
	base := sample(servers, db)

	logf("clients: %d subscriptions on %d connections (%d each) from %d processes, to %d server processes (%s)",
		o.n, o.conns(), o.perConn, o.procs, o.servers, strings.Join(urls, " "))
	clients, err := startClients(ctx, o, urls)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range clients {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	}()
	subscribed := sample(servers, db)
	logf("subscribed: %d subscriptions; servers' RSS %.1f MB (+%.1f KB per subscription); connections per server process: %v",
		o.n, float64(subscribed.rss)/1e6, float64(subscribed.rss-base.rss)/float64(o.n)/1e3, spread(servers))

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
	act.restart()
	start := sample(servers, db)
	w0 := writes.Load()
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
		return ctx.Err()
	}
	end := sample(servers, db)
	w1 := writes.Load()
	conns, connsAll := act.restart()
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
		pgConns:     conns,
		pgConnsAll:  max(conns, connsAll),
		spread:      spread(servers),
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

// benchApp is the application_name of the benchmark's own connections,
// which the count of the servers' connections leaves out.
const benchApp = "bench-live"

// benchConnect opens one of the benchmark's own connections.
func benchConnect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = benchApp
	return pgx.ConnectConfig(ctx, cfg)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// spread is the number of established connections each server process
// holds on its port: how the clients (or the kernel) spread them.
func spread(servers []*e2e.Server) []int {
	var out []int
	for _, s := range servers {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
		n, _ := e2e.Established(s.PID(), port)
		out = append(out, n)
	}
	return out
}

// activity samples pg_stat_activity every 100 ms: the servers' client
// backends of the database (every one but the benchmark's own).
type activity struct {
	mu        sync.Mutex
	most, all int // the largest count since the last restart, and before it
	stop      chan struct{}
	done      chan struct{}
}

func watchActivity(ctx context.Context, url string) (*activity, error) {
	conn, err := benchConnect(ctx, url)
	if err != nil {
		return nil, err
	}
	a := &activity{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		defer conn.Close(context.Background())
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var n int
			if conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND application_name <> $1`, benchApp).Scan(&n) == nil {
				a.mu.Lock()
				a.most = max(a.most, n)
				a.mu.Unlock()
			}
			select {
			case <-a.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return a, nil
}

// restart returns the largest count since the last restart and the
// largest before it, and starts counting anew.
func (a *activity) restart() (most, before int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	most, before = a.most, a.all
	a.all = max(a.all, a.most)
	a.most = 0
	return most, before
}

func (a *activity) close() {
	close(a.stop)
	<-a.done
}

// writer changes every subscriber's result once per round, in twenty
// statements per round, each its own transaction: live, an UPDATE of a
// twentieth of the counters; stream, an INSERT of an event for a twentieth
// of the subscribers.
func writer(ctx context.Context, url string, o options, writes *atomic.Int64) error {
	conn, err := benchConnect(ctx, url)
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

// sample takes a snapshot of the server processes together.
func sample(servers []*e2e.Server, db *pgx.Conn) snapshot {
	s := snapshot{at: time.Now(), pgCPU: postgresCPU(db)}
	for _, srv := range servers {
		s.cpu += cpuSeconds(srv.PID())
		s.rss += rssBytes(srv.PID())
	}
	load, _ := os.ReadFile("/proc/loadavg")
	s.load = strings.Join(strings.Fields(string(load))[:3], " ")
	m := map[string]float64{}
	for _, one := range scrapeAll(servers) {
		for k, v := range one {
			m[k] += v
		}
	}
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

// scrapeAll reads every server process's /metrics. Processes sharing a
// port (SO_REUSEPORT) are told apart by their process_start_time_seconds:
// each scrape is a new connection, which the kernel gives to any of them,
// so it asks again until it has seen each (or gives up after 200 tries).
func scrapeAll(servers []*e2e.Server) []map[string]float64 {
	byURL := map[string]int{}
	for _, s := range servers {
		byURL[s.URL]++
	}
	var out []map[string]float64
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for u, n := range byURL {
		seen := map[float64]bool{}
		for try := 0; len(seen) < n && try < 200; try++ {
			m := scrape(client, u)
			id := m["process_start_time_seconds"]
			if len(m) > 0 && !seen[id] {
				seen[id] = true
				out = append(out, m)
			}
		}
		if len(seen) < n {
			logf("metrics: saw %d of the %d processes on %s", len(seen), n, u)
		}
	}
	return out
}

// scrape reads a server's /metrics into name{labels} → value.
func scrape(client *http.Client, url string) map[string]float64 {
	out := map[string]float64{}
	resp, err := client.Get(url + "/metrics")
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
func startClients(ctx context.Context, o options, urls []string) ([]*clientProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var clients []*clientProc
	n := o.conns()
	per := (n + o.procs - 1) / o.procs
	for i := 0; i < o.procs; i++ {
		from := i*per + 1
		count := per
		if from+count-1 > n {
			count = n - from + 1
		}
		if count <= 0 {
			break
		}
		cmd := exec.CommandContext(ctx, self, "client", "-urls", strings.Join(urls, ","), "-mode", o.mode, "-per-conn", strconv.Itoa(o.perConn),
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
	pgConns, pgConnsAll                int     // the servers' connections in pg_stat_activity, most: measured, whole run
	spread                             []int   // connections each server process holds
}

func (r result) print(w io.Writer) {
	n := r.lat.total()
	mean := 0.0
	if n > 0 {
		mean = float64(r.lat.Sum) / float64(n) / 1000
	}
	fmt.Fprintf(w, "mode=%s n=%d (servers count %.0f) on %d connections, interval=%s hints=%v batch=%d\n", r.o.mode, r.o.n, r.subscribers, r.o.conns(), r.o.interval, r.o.hints, r.o.batch)
	fmt.Fprintf(w, "  server processes: %d (%s), connections each: %v; Postgres connections of the servers (pg_stat_activity, every 100 ms): at most %d measured, %d in the whole run (budget %d, pool %d each)\n",
		r.o.servers, r.o.listen, r.spread, r.pgConns, r.pgConnsAll, r.o.total, r.o.pool)
	fmt.Fprintf(w, "  messages: %d in %s (%.0f/s)\n", n, r.o.duration, float64(n)/r.o.duration.Seconds())
	if n > 0 {
		p99 := r.lat.quantile(0.99)
		fmt.Fprintf(w, "  latency ms: p50 %.0f  p99 %.0f  max %.0f  mean %.0f  p99-interval %+.0f\n",
			r.lat.quantile(0.5), p99, float64(r.lat.Max)/1000, mean, p99-float64(r.o.interval/time.Millisecond))
	}
	fmt.Fprintf(w, "  servers: CPU %.0f%% (of one core)  RSS %.0f MB; per subscriber: %.1f KB RSS, %.1f KB live heap, %.1f KB stacks\n",
		r.cpu, float64(r.rss)/1e6, r.rssPerSub/1e3, r.heapPerSub/1e3, r.stackPerSub/1e3)
	fmt.Fprintf(w, "  postgres: CPU %.0f%%;  statements/s: %.1f database transactions (writer's %.1f/s excluded), %.1f poll statements\n",
		r.pgCPU, r.xacts, r.writes, r.polls)
	fmt.Fprintf(w, "  poll statement + fan-out ms (server histogram, bucket bounds): p50 <= %.1f  p99 <= %.1f\n", r.pollP50, r.pollP99)
	fmt.Fprintf(w, "  load average: %s\n", r.load)
}

// row is the result as a Markdown table row: mode, N, hints, p50, p99,
// max, mean, p99-interval (ms), server CPU, Postgres CPU, RSS and live
// heap KB per subscriber, transactions/s, poll statements/s, load; with
// several server processes, a connection budget or several subscriptions
// per connection, also the processes, connections per process,
// subscriptions per connection, the servers' Postgres connections (most,
// measured) and the budget.
func (r result) row() string {
	n := r.lat.total()
	mean := 0.0
	if n > 0 {
		mean = float64(r.lat.Sum) / float64(n) / 1000
	}
	p99 := r.lat.quantile(0.99)
	row := fmt.Sprintf("| %s | %d | %v | %.0f | %.0f | %.0f | %.0f | %+.0f | %.0f%% | %.0f%% | %.1f | %.1f | %.1f | %.1f | %s |",
		r.o.mode, r.o.n, r.o.hints, r.lat.quantile(0.5), p99, float64(r.lat.Max)/1000, mean,
		p99-float64(r.o.interval/time.Millisecond), r.cpu, r.pgCPU, r.rssPerSub/1e3, r.heapPerSub/1e3, r.xacts, r.polls, r.load)
	if r.o.servers > 1 || r.o.total > 0 || r.o.perConn > 1 {
		spread := strings.Trim(fmt.Sprint(r.spread), "[]")
		row += fmt.Sprintf(" %d %s | %s | %d | %d | %d |", r.o.servers, r.o.listen, spread, r.o.perConn, r.pgConns, r.o.total)
	}
	return row
}

// client is a client process: users from..from+count-1, one connection
// each from the source address, to the servers' URLs in turn (user u to
// the (u-1) mod len-th), each with perConn subscriptions; "start" and
// "stop" on stdin bound the measurement, whose histogram it prints as
// JSON.
func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	urlList := fs.String("urls", "", "server URLs, comma-separated")
	mode := fs.String("mode", "live", "live, stream or idle")
	from := fs.Int("from", 1, "first user id")
	count := fs.Int("count", 1, "connections (users)")
	perConn := fs.Int("per-conn", 1, "subscriptions per connection, each to a counter of its own (live, idle)")
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
	if *perConn > 1 {
		// The user's rows are ids (u-1)*perConn+1 ... u*perConn; each
		// subscription its own, so each is a cohort of its own.
		query = `subscription ($id: Int!) { counters(where: {id: {_eq: $id}}) { v written_at } }`
	}
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
	var wsURLs []string
	for _, u := range strings.Split(*urlList, ",") {
		wsURLs = append(wsURLs, "ws"+strings.TrimPrefix(u, "http")+"/v1/graphql")
	}
	var ready sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 64)
	for i := 0; i < *count; i++ {
		user := *from + i
		ready.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c, _, err := dialer.Dial(wsURLs[(user-1)%len(wsURLs)], nil)
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
			subs := []string{fmt.Sprintf(`{"type":"subscribe","id":"1","payload":{"query":%q,"variables":%s}}`, query, vars)}
			if *perConn > 1 {
				subs = subs[:0]
				for k := range *perConn {
					subs = append(subs, fmt.Sprintf(`{"type":"subscribe","id":"%d","payload":{"query":%q,"variables":{"id":%d}}}`,
						k+1, query, (user-1)**perConn+k+1))
				}
			}
			go func() {
				acked, first := false, false
				waiting := len(subs) // first results still to come
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
						for _, sub := range subs {
							c.WriteMessage(websocket.TextMessage, []byte(sub))
						}
						if *mode == "stream" {
							ready.Done()
						}
					case strings.HasPrefix(string(b), `{"type":"ping"`):
						c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
					case strings.HasPrefix(string(b), `{"type":"next"`):
						if !first {
							// Ready once every subscription has its first
							// result (each subscription's first message).
							if waiting--; waiting == 0 {
								first = true
								ready.Done()
							}
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
