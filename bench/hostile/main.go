// Command hostile attacks the generated server with the requests its
// limits exist for, all at once and for a bounded time, while it checks
// that the server stays healthy, small and correct:
//
//	go run ./bench/hostile                  # 60 s
//	go run ./bench/hostile -duration 10s    # a quick look
//
// It starts a throwaway Postgres (or uses $DATABASE_URL), loads
// graphql-bench's Chinook, generates, builds and starts the server of
// testdata/fixtures/chinook/hasgen.yaml with anonymous requests served as
// role customer and HASGEN_MAX_RESPONSE_SIZE at -response-cap, and then
// runs, concurrently, each attack of attacks.go on its own bounded loop:
// fragment bombs, slow bodies, huge responses, 10,000-alias requests,
// batches, deep queries, and a trickle of normal queries whose answers
// must not change. Meanwhile it polls /healthz every 100 ms (each poll on
// a new connection, 1 s to answer), and in the same way a control process
// whose /healthz only pings Postgres (control.go: what the busy machine
// alone does to a poll), samples the server's RSS every 250 ms and
// Postgres's memory and a SELECT 1 every second (watch.go).
//
// At the end it prints what was sent, how each kind of request was
// answered, the health figures and the memory peaks (report.go). It exits
// 1 if a /healthz poll failed, Postgres stopped answering, a normal query
// failed or changed its answer, or the server died. Every request goes to
// 127.0.0.1; every loop stops at -duration, and what is still in flight
// then gets -grace to finish before it is cancelled.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// secret is the server's admin secret: requests that carry it run as
// admin, or as the role and user they name.
const secret = "hostile-secret"

// options are the command's flags.
type options struct {
	duration    time.Duration
	grace       time.Duration
	responseCap int
	slowConns   int
	wideAliases int
	only        string
	seed        int64
	serve       bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "control" {
		if err := control(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the attacks run")
	flag.DurationVar(&o.grace, "grace", 65*time.Second, "time given to requests still in flight at the end before they are cancelled (above the server's 60 s time limit, so that each gets the server's answer)")
	flag.IntVar(&o.responseCap, "response-cap", 8<<20, "the server's HASGEN_MAX_RESPONSE_SIZE, bytes")
	flag.IntVar(&o.slowConns, "slow", 40, "slow-body connections held open at once")
	flag.IntVar(&o.wideAliases, "wide-aliases", 32, "root fields of a wide request (each under the response cap, together far over it); 0 leaves the attack out")
	flag.StringVar(&o.only, "only", "", "comma-separated attack kinds to run (default all; see -list)")
	list := flag.Bool("list", false, "list the attack kinds and exit")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the random choices (levels, depths, sizes)")
	flag.BoolVar(&o.serve, "serve", false, "start Postgres and the server, print their URLs, and attack nothing: serve for -duration (to reproduce a finding by hand)")
	flag.Parse()
	if *list {
		for _, a := range attacks(o) {
			fmt.Printf("%-10s %s\n", a.name, a.doc)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// run sets everything up, runs the attacks and the watchers, prints the
// report and says whether the server passed.
func run(ctx context.Context, o options) (bool, error) {
	root, err := e2e.RepoRoot()
	if err != nil {
		return false, err
	}
	chinook := filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")
	config := filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")

	logf("database: starting")
	pg, err := pgtest.FromEnv(ctx)
	if err != nil {
		return false, err
	}
	defer pg.Close()
	const name = "hasgen_hostile"
	pg.DropDatabase(ctx, name)
	url, err := pg.CreateDatabase(ctx, name, "")
	if err != nil {
		return false, err
	}
	defer pg.DropDatabase(context.Background(), name)
	if err := pg.LoadFiles(ctx, url, chinook); err != nil {
		return false, err
	}

	logf("server: generating and building")
	// The project goes to a directory of ours, removed at the end: e2e's
	// own temporary directories are removed only by pgtest.Main.
	out, err := os.MkdirTemp("", "hasgen-hostile-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(out)
	build, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: config, Out: out})
	if err != nil {
		return false, fmt.Errorf("build the server: %w", err)
	}
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":      url,
		"HASURA_GRAPHQL_ADMIN_SECRET":      secret,
		"HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "customer",
		"HASGEN_MAX_RESPONSE_SIZE":         strconv.Itoa(o.responseCap),
		"HASGEN_LOG_LEVEL":                 "warn",
	}
	srv, err := build.Start(ctx, env)
	if err != nil {
		return false, fmt.Errorf("start the server: %w", err)
	}
	defer srv.Stop()
	time.Sleep(time.Second) // let the server settle before the baseline
	if o.serve {
		logf("serving for %s: server %s (admin secret %q, pid %d), database %s", o.duration, srv.URL, secret, srv.PID(), url)
		sleep(ctx, o.duration)
		fmt.Fprint(os.Stderr, srv.Logs())
		return true, nil
	}

	c := newClient(srv.URL)
	normals, err := baseline(ctx, c)
	if err != nil {
		return false, fmt.Errorf("normal queries before the attacks: %w", err)
	}
	controlURL, stopControl, err := startControl(ctx, url)
	if err != nil {
		return false, err
	}
	defer stopControl()
	busy := &inFlight{}
	w, err := startWatch(ctx, srv.URL, controlURL, srv.PID(), url, busy)
	if err != nil {
		return false, err
	}
	idleRSS := rssBytes(srv.PID())

	var selected []attack
	for _, a := range attacks(o) {
		if o.only == "" || contains(strings.Split(o.only, ","), a.name) {
			selected = append(selected, a)
		}
	}
	if o.only != "" && len(selected) == 0 {
		return false, fmt.Errorf("-only %q names no attack (see -list)", o.only)
	}
	selected = append(selected, normalAttack(normals))

	// Loops start no request after end; a request in flight at end gets
	// grace, then its context is cancelled.
	loadStart := loadAverage()
	start := time.Now()
	end := start.Add(o.duration)
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cutoff := time.AfterFunc(time.Until(end.Add(o.grace)), cancel)
	defer cutoff.Stop()
	t := newTally()
	shared := &attackEnv{c: c, t: t, end: end, seed: o.seed, busy: busy}
	logf("attacks: %d kinds for %s (%d goroutines before)", len(selected), o.duration, runtime.NumGoroutine())
	var wg sync.WaitGroup
	for _, a := range selected {
		for i := 0; i < a.workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.run(reqCtx, shared, i)
			}()
		}
	}
	progress := time.NewTicker(10 * time.Second)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-progress.C:
			logf("%3.0fs: %s", time.Since(start).Seconds(), w.line())
		case <-ctx.Done():
			cancel()
			<-done
			break wait
		}
	}
	progress.Stop()
	elapsed := time.Since(start)
	// One more second of health and memory after the last request.
	time.Sleep(time.Second)
	ws := w.stop()
	alive := processAlive(srv.PID())

	r := report{
		o: o, elapsed: elapsed, tally: t, watch: ws, idleRSS: idleRSS, alive: alive,
		logs: summarizeLogs(srv.Logs()), loadStart: loadStart,
	}
	r.print(os.Stdout)
	if ctx.Err() != nil {
		return false, errors.New("interrupted")
	}
	return r.passed(), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.TrimSpace(v) == s {
			return true
		}
	}
	return false
}

// processAlive reports whether pid still runs (and is not a zombie).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// pgConnect opens the watcher's own connection to Postgres.
func pgConnect(ctx context.Context, url string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return pgx.Connect(ctx, url)
}
