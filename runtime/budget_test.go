package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/jackc/pgx/v5"
)

const (
	budgetFixture = "testdata/fixtures/budget/schema.sql"
	budgetConfig  = "testdata/fixtures/budget/metadata"
	budgetTotal   = 12 // the metadata's total_max_connections
)

// activity samples pg_stat_activity: the client backends of a database
// (but its own and the test's helper connection), keeping the largest count seen and, when it is over the
// budget, what made it.
type activity struct {
	mu      sync.Mutex
	last    int
	max     int
	over    string // the backends by application_name, the first time over the budget
	samples int
	stop    chan struct{}
	done    chan struct{}
}

func sampleActivity(t *testing.T, url string, helperPID uint32) *activity {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	a := &activity{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		defer conn.Close(context.Background())
		for {
			var names []string
			err := conn.QueryRow(context.Background(), `SELECT coalesce(array_agg(application_name ORDER BY application_name), '{}')
FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> $1`,
				int64(helperPID)).Scan(&names)
			if err == nil {
				a.mu.Lock()
				a.samples++
				a.last = len(names)
				a.max = max(a.max, len(names))
				if len(names) > budgetTotal && a.over == "" {
					a.over = strings.Join(names, ", ")
				}
				a.mu.Unlock()
			}
			select {
			case <-a.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(a.close)
	return a
}

func (a *activity) close() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.done
}

func (a *activity) state() (last, max, samples int, over string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last, a.max, a.samples, a.over
}

// waitFull waits until the database has the whole budget of connections,
// from the instances named only, at most d, and returns how long it took.
func (a *activity) waitFull(t *testing.T, conn *pgx.Conn, what string, names []string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		last, _, _, _ := a.state()
		rows := instanceRows(t, conn)
		n := 0
		for _, name := range names {
			if _, ok := rows[name]; ok {
				n += backendsOf(t, conn, name)
			}
		}
		if last == budgetTotal && n == budgetTotal && len(rows) == len(names) {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: %d connections after %v (%d of %v), rows %v, want %d", what, last, d, n, names, rows, budgetTotal)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// instanceName is the application_name a server's connections carry, from
// its log.
func instanceName(t *testing.T, s *e2e.Server) string {
	t.Helper()
	_, after, ok := strings.Cut(s.Logs(), `"msg":"sharing a connection budget"`)
	_, after, ok2 := strings.Cut(after, `"application_name":"`)
	name, _, ok3 := strings.Cut(after, `"`)
	if !ok || !ok2 || !ok3 {
		t.Fatalf("no application_name in the server's log:\n%s", s.Logs())
	}
	return name
}

// budgetLoad sends slow queries to the live servers until stopped.
type budgetLoad struct {
	mu      sync.Mutex
	servers []*e2e.Server
	ok, bad atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startBudgetLoad(servers []*e2e.Server, workers int) *budgetLoad {
	l := &budgetLoad{servers: servers, stop: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	body := []byte(`{"query":"{ slow_items(args: {ms: 20}) { id } }"}`)
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				l.mu.Lock()
				s := l.servers[rand.IntN(len(l.servers))]
				l.mu.Unlock()
				req, _ := http.NewRequest("POST", s.URL+"/v1/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
				resp, err := client.Do(req)
				if err != nil {
					l.bad.Add(1)
					continue
				}
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.HasPrefix(b.String(), `{"data":{"slow_items":[{"id":1}`) {
					l.ok.Add(1)
				} else {
					l.bad.Add(1)
				}
			}
		}()
	}
	return l
}

// drop stops sending to s.
func (l *budgetLoad) drop(s *e2e.Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.servers {
		if x == s {
			l.servers = append(l.servers[:i:i], l.servers[i+1:]...)
		}
	}
}

func (l *budgetLoad) close() {
	select {
	case <-l.stop:
		return
	default:
	}
	close(l.stop)
	l.wg.Wait()
}

// instanceRows are the rows of hdb_catalog.hasgen_instances:
// application_name → published limit.
func instanceRows(t *testing.T, conn *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT application_name, conn_limit FROM hdb_catalog.hasgen_instances`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// backendsOf counts the client backends of application name app.
func backendsOf(t *testing.T, conn *pgx.Conn, app string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConnectionBudgetInstances: three instances of the generated server
// whose metadata sets total_max_connections: 12 run on one database,
// under load (parallel slow queries over HTTP, live queries polled every
// 100 ms, the change hints' listening connections): pg_stat_activity,
// sampled every few milliseconds, never shows more than 12 of their
// connections, and shows 12. One instance is killed (SIGKILL): the two
// others grow back to the whole 12 within 10 s; another is killed: the
// last one alone uses the 12.
func TestConnectionBudgetInstances(t *testing.T) {
	ctx := context.Background()
	root := repoRoot(t)
	db := pgtest.NewDatabase(t, filepath.Join(root, budgetFixture))
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// conn, the test's helper connection, is not counted.
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, live.ChangeHintsInstallSQL([]live.TableName{{Schema: "public", Name: "items"}})); err != nil {
		t.Fatal(err)
	}
	b, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: db, Config: filepath.Join(root, budgetConfig)})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": db, "HASURA_GRAPHQL_ADMIN_SECRET": rtSecret,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100", "HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup"}
	act := sampleActivity(t, db, conn.PgConn().PID())
	var servers []*e2e.Server
	for range 3 {
		s, err := b.Start(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Stop()
			if t.Failed() {
				t.Logf("server logs:\n%s", strings.TrimSpace(s.Logs()))
			}
		})
		servers = append(servers, s)
	}
	for _, s := range servers {
		for i := range 3 {
			c := dial(t, s.URL, protoNew, nil)
			c.init(adminInit())
			id := fmt.Sprint("live", i)
			c.subscribe(id, `subscription { items(order_by: {id: asc}, limit: 5) { id label } }`, nil)
			c.data(id)
		}
	}
	var names []string
	for _, s := range servers {
		names = append(names, instanceName(t, s))
	}
	sessions := func() int64 {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	sessions0 := sessions()
	loadStart := time.Now()
	load := startBudgetLoad(servers, 48)
	defer load.close()

	took := act.waitFull(t, conn, "three instances", names, 30*time.Second)
	t.Logf("three instances: %d connections after %v", budgetTotal, took.Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	rows := instanceRows(t, conn)
	if len(rows) != 3 {
		t.Errorf("three instances: rows %v", rows)
	}
	for name, n := range rows {
		if n != budgetTotal/3 {
			t.Errorf("three instances: %s publishes %d, want %d", name, n, budgetTotal/3)
		}
	}

	// SIGKILL: no goodbye; the instance's lock goes with its connection.
	kill := func(s *e2e.Server) {
		load.drop(s)
		if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.Exited()
	}
	kill(servers[0])
	took = act.waitFull(t, conn, "two instances after a kill", names[1:], 10*time.Second)
	t.Logf("two instances: %d connections %v after the kill", budgetTotal, took.Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	rows = instanceRows(t, conn)
	if len(rows) != 2 {
		t.Errorf("two instances: rows %v", rows)
	}

	kill(servers[1])
	took = act.waitFull(t, conn, "one instance after a kill", names[2:], 10*time.Second)
	t.Logf("one instance: %d connections %v after the kill", budgetTotal, took.Round(time.Millisecond))
	time.Sleep(time.Second)
	rows = instanceRows(t, conn)
	if len(rows) != 1 {
		t.Fatalf("one instance: rows %v", rows)
	}
	for name, n := range rows {
		if n != budgetTotal {
			t.Errorf("one instance: %s publishes %d, want %d", name, n, budgetTotal)
		}
		if got := backendsOf(t, conn, name); got != budgetTotal {
			t.Errorf("one instance: %d connections named %s, want %d", got, name, budgetTotal)
		}
	}
	load.close()
	_, most, samples, over := act.state()
	t.Logf("%d samples of pg_stat_activity, at most %d connections; %d queries answered in %v, %d failed (those sent to killed instances); %d sessions opened",
		samples, most, load.ok.Load(), time.Since(loadStart).Round(time.Second), load.bad.Load(), sessions()-sessions0)
	if most > budgetTotal {
		t.Errorf("%d connections seen, budget %d: %s", most, budgetTotal, over)
	}
	if load.ok.Load() == 0 {
		t.Error("no query was answered")
	}
}
