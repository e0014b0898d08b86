package runtime_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestReusePortProcesses: two processes of one generated server binary
// listen on the same port with HASGEN_SERVER_REUSEPORT=true (a third one
// without it cannot). Forty websocket subscribers dialled to that port are
// spread over both processes, and each process serves its own; under HTTP
// load the two share the metadata's connection budget of 12, 6 each, and
// pg_stat_activity never shows more than 12 of their connections. One
// process is killed (SIGKILL): exactly its subscribers lose their
// connection, the other's get the next change, new connections to the
// port are all answered by the survivor, and it grows to the whole budget.
func TestReusePortProcesses(t *testing.T) {
	ctx := context.Background()
	root := repoRoot(t)
	db := pgtest.NewDatabase(t, filepath.Join(root, budgetFixture))
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx) // the test's helper connection, not counted
	b, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: db, Config: filepath.Join(root, budgetConfig)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": db, "HASURA_GRAPHQL_ADMIN_SECRET": rtSecret,
		"HASURA_GRAPHQL_SERVER_PORT": port, "HASGEN_SERVER_REUSEPORT": "true",
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100", "HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup"}
	act := sampleActivity(t, db, conn.PgConn().PID())
	start := func(env map[string]string) (*e2e.Server, error) {
		s, err := b.Start(ctx, env)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			s.Stop()
			if t.Failed() {
				t.Logf("server logs (pid %d):\n%s", s.PID(), strings.TrimSpace(s.Logs()))
			}
		})
		return s, nil
	}
	a, err := start(env)
	if err != nil {
		t.Fatal(err)
	}
	// Without the option the port is taken: the option is what shares it.
	plain := map[string]string{}
	for k, v := range env {
		plain[k] = v
	}
	delete(plain, "HASGEN_SERVER_REUSEPORT")
	if s, err := start(plain); err == nil {
		t.Fatalf("a process without HASGEN_SERVER_REUSEPORT started on the shared port (pid %d)", s.PID())
	} else if !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("a process without HASGEN_SERVER_REUSEPORT: %v", err)
	}
	bs, err := start(env)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:" + port

	// Subscribers: each dials the port anew, the kernel picks a process.
	const subscribers = 40
	query := `subscription { items(order_by: {id: desc}, limit: 1) { id label } }`
	var clients []*wsClient
	for i := range subscribers {
		c := dial(t, url, protoNew, nil)
		c.init(adminInit())
		c.subscribe("s", query, nil)
		if got := jsonOf(c.data("s")); got != `{"items":[{"id":20,"label":"item 20"}]}` {
			t.Fatalf("subscriber %d: %s", i, got)
		}
		clients = append(clients, c)
	}
	onA, err := e2e.Established(a.PID(), port)
	if err != nil {
		t.Fatal(err)
	}
	onB, err := e2e.Established(bs.PID(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d subscribers: %d connections accepted by process A, %d by B", subscribers, onA, onB)
	// Each process may also hold the keep-alive HTTP connection of a
	// /healthz check (e2e.Start); never fewer than the subscribers.
	if onA == 0 || onB == 0 || onA+onB < subscribers || onA+onB > subscribers+2 {
		t.Fatalf("connections not spread: %d on A, %d on B, %d subscribers", onA, onB, subscribers)
	}

	// Both processes share the budget: 6 connections each, 12 at most.
	load := startBudgetLoad([]*e2e.Server{a}, 24) // a.URL is the shared port
	defer load.close()
	nameA, nameB := instanceName(t, a), instanceName(t, bs)
	took := act.waitFull(t, conn, "two processes", []string{nameA, nameB}, 30*time.Second)
	t.Logf("two processes: %d connections after %v", budgetTotal, took.Round(time.Millisecond))
	rows := instanceRows(t, conn)
	if len(rows) != 2 || rows[nameA] != budgetTotal/2 || rows[nameB] != budgetTotal/2 {
		t.Errorf("two processes publish %v, want %d each", rows, budgetTotal/2)
	}
	for _, name := range []string{nameA, nameB} {
		if n := backendsOf(t, conn, name); n > budgetTotal/2 {
			t.Errorf("%s has %d connections, its share is %d", name, n, budgetTotal/2)
		}
	}

	// SIGKILL process A: no drain, its sockets close with it.
	if err := syscall.Kill(a.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.Exited()
	killed := time.Now()
	if _, err := conn.Exec(ctx, `INSERT INTO items (label) VALUES ('after the kill')`); err != nil {
		t.Fatal(err)
	}
	closed, updated := 0, 0
	var lost []int
	for i, c := range clients {
		for {
			m := c.next()
			if m.closed {
				closed++
				lost = append(lost, i)
				break
			}
			if m.Type == "next" && strings.Contains(string(m.Payload), "after the kill") {
				updated++
				break
			}
			if m.Type != "next" {
				t.Fatalf("subscriber %d after the kill: %+v %s", i, m, m.Payload)
			}
		}
	}
	t.Logf("after the kill: %d subscribers lost their connection, %d got the new row", closed, updated)
	if closed == 0 || updated == 0 || closed+updated != subscribers || updated < onB-1 || closed < onA-1 {
		t.Errorf("after the kill: %d closed, %d updated; A had %d connections, B %d", closed, updated, onA, onB)
	}
	// New connections go to the survivor only: every one is answered.
	fresh := &http.Client{Timeout: rtTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 50 {
		req, _ := http.NewRequest("POST", url+"/v1/graphql", bytes.NewReader([]byte(`{"query":"{ items_by_pk(id: 21) { label } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
		resp, err := fresh.Do(req)
		if err != nil {
			t.Fatalf("request %d after the kill: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != `{"data":{"items_by_pk":{"label":"after the kill"}}}` {
			t.Fatalf("request %d after the kill: %d %s", i, resp.StatusCode, body)
		}
	}
	// The subscribers that lost their connection dial again and are served.
	for _, i := range lost {
		c := dial(t, url, protoNew, nil)
		c.init(adminInit())
		c.subscribe("s", query, nil)
		if got := jsonOf(c.data("s")); got != `{"items":[{"id":21,"label":"after the kill"}]}` {
			t.Fatalf("subscriber %d again: %s", i, got)
		}
	}
	if n, err := e2e.Established(bs.PID(), port); err != nil || n < subscribers {
		t.Errorf("after the kill process B holds %d connections (%v), want at least %d", n, err, subscribers)
	}
	act.waitFull(t, conn, "one process after a kill", []string{nameB}, 10*time.Second)
	t.Logf("one process: %d connections %v after the kill", budgetTotal, time.Since(killed).Round(time.Millisecond))
	load.close()
	most, over := act.restart()
	if most > budgetTotal {
		t.Errorf("%d connections seen, budget %d: %s", most, budgetTotal, over)
	}
	if load.ok.Load() == 0 {
		t.Error("no query was answered under load")
	}
	t.Logf("at most %d connections; %d queries answered, %d failed (on connections to the killed process)", most, load.ok.Load(), load.bad.Load())
}
