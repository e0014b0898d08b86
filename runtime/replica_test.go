package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/jackc/pgx/v5"
)

const (
	replicaFixture = "testdata/fixtures/replica/schema.sql"
	replicaConfig  = "testdata/fixtures/replica/metadata"
	replicaDB      = "replica_test"
)

// replicaClusters is a primary of its own (not the shared cluster: its
// replicas copy every database of it) with two streaming replicas made by
// pg_basebackup -R, and the fixture's database on it.
type replicaClusters struct {
	primary, r1, r2 *pgtest.Server
	// The database's URL on each server, and each server's port (what the
	// fixture's views answer with inet_server_port()).
	url, url1, url2    string
	port, port1, port2 int
}

func startReplicaClusters(t testing.TB) *replicaClusters { return startReplicas(t, 2) }

// startReplicas starts the primary and n (1 or 2) replicas.
func startReplicas(t testing.TB, n int) *replicaClusters {
	t.Helper()
	ctx := context.Background()
	primary, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	c := &replicaClusters{primary: primary}
	if c.url, err = primary.CreateDatabase(ctx, replicaDB, ""); err != nil {
		t.Fatal(err)
	}
	if err := primary.LoadFiles(ctx, c.url, filepath.Join(repoRoot(t), replicaFixture)); err != nil {
		t.Fatal(err)
	}
	// The replicas are copies taken after the load: they start with the
	// fixture, then stream what the primary writes.
	for _, r := range []**pgtest.Server{&c.r1, &c.r2}[:n] {
		if *r, err = primary.StartReplica(ctx); err != nil {
			t.Fatal(err)
		}
		s := *r
		t.Cleanup(func() { s.Close() })
	}
	c.url1, c.port, c.port1 = c.r1.DatabaseURL(replicaDB), portOf(t, c.url), portOf(t, c.r1.URL)
	if n > 1 {
		c.url2, c.port2 = c.r2.DatabaseURL(replicaDB), portOf(t, c.r2.URL)
	}
	return c
}

func portOf(t testing.TB, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// exec runs SQL on the database at url.
func execOn(t testing.TB, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

// streamSessions counts the sessions of the server at url whose last
// statement is a stream's poll.
func streamSessions(t testing.TB, url string) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%clock_timestamp()%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// served is where one query was answered.
type served struct {
	Replica bool `json:"replica"`
	Port    int  `json:"port"`
}

// gqlPost posts a request (or a batch) with the admin secret and returns
// the body; an error for a transport failure or a status other than 200.
// Safe from any goroutine (no t).
func gqlPost(base string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+"/v1/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d: %s", resp.StatusCode, out)
	}
	return out, err
}

// whoServes asks the server which database answers a query: server_info
// read through GraphQL. An answer with errors is an error.
func whoServes(base string) (served, error) {
	out, err := gqlPost(base, map[string]any{"query": "{ server_info { replica port } }"})
	if err != nil {
		return served{}, err
	}
	var r struct {
		Data struct {
			ServerInfo []served `json:"server_info"`
		} `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Errors != nil || len(r.Data.ServerInfo) != 1 {
		return served{}, fmt.Errorf("unexpected answer %s (%v)", out, err)
	}
	return r.Data.ServerInfo[0], nil
}

func mustServe(t *testing.T, base string) served {
	t.Helper()
	s, err := whoServes(base)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReadReplicas serves a generated server over a primary and two real
// streaming replicas (pg_basebackup -R): queries and live queries are
// answered by the replicas (round robin; the fixture's views say which
// server answered), mutations, the operations after a mutation in a batch
// and streams by the primary, a row written on the primary reaches a live
// query polled on a replica, and replicas stopped under load are taken
// out (every query still succeeds, on the other replica or the primary)
// and come back into rotation once restarted.
func TestReadReplicas(t *testing.T) {
	c := startReplicaClusters(t)
	project := e2e.Project{DatabaseURL: c.url, Config: filepath.Join(repoRoot(t), replicaConfig)}
	base := map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":                                   rtSecret,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL":      "100",
		"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100",
		"HASGEN_CHANGE_HINTS":                                           "false",
	}
	env := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	t.Run("metadata read_replicas", func(t *testing.T) {
		// The fixture's read_replicas names REPLICA_TEST_URL.
		srv := e2e.StartT(t, project, env("REPLICA_TEST_URL", c.url1))
		for range 5 {
			if s := mustServe(t, srv.URL); s != (served{Replica: true, Port: c.port1}) {
				t.Fatalf("a query was served by %+v, want replica 1 (port %d)", s, c.port1)
			}
		}
		out, err := gqlPost(srv.URL, map[string]any{"query": `mutation { insert_items_one(object: {name: "from metadata"}) { id } }`})
		if err != nil || !bytes.Contains(out, []byte(`"insert_items_one":{"id":`)) {
			t.Fatalf("mutation: %s %v", out, err)
		}
		if up := metric(t, srv.URL, fmt.Sprintf(`hasgen_read_replica_up{replica="127.0.0.1:%d/%s"}`, c.port1, replicaDB)); up != 1 {
			t.Errorf("hasgen_read_replica_up = %v, want 1", up)
		}
	})

	// The variable replaces the metadata's list.
	srv := e2e.StartT(t, project, env("HASURA_GRAPHQL_READ_REPLICA_URLS", c.url1+","+c.url2))

	t.Run("queries round robin on the replicas", func(t *testing.T) {
		seen := map[served]int{}
		for range 20 {
			seen[mustServe(t, srv.URL)]++
		}
		want := map[served]int{{Replica: true, Port: c.port1}: 10, {Replica: true, Port: c.port2}: 10}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("20 queries in a row were served by %v, want %v", seen, want)
		}
		// Over the websocket too.
		ws := dial(t, srv.URL, protoNew, nil)
		ws.init(adminInit())
		ws.subscribe("q", "{ server_info { replica port } }", nil)
		d := ws.data("q")
		if info := d["server_info"].([]any)[0].(map[string]any); info["replica"] != true {
			t.Fatalf("a query over the websocket was served by %v", info)
		}
		ws.expect("complete", "q")
	})

	t.Run("mutations and what follows them on the primary", func(t *testing.T) {
		// A replica refuses writes: the mutation succeeding is the
		// primary's doing; the batch's query after it reads the primary,
		// the one before it a replica.
		out, err := gqlPost(srv.URL, []map[string]any{
			{"query": "{ server_info { replica port } }"},
			{"query": `mutation { insert_items_one(object: {name: "batch"}) { id name } }`},
			{"query": "{ server_info { replica port } items_aggregate(where: {name: {_eq: \"batch\"}}) { aggregate { count } } }"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var batch []struct {
			Data struct {
				ServerInfo []served `json:"server_info"`
				Insert     *struct {
					Name string `json:"name"`
				} `json:"insert_items_one"`
				Agg *struct {
					Aggregate struct {
						Count int `json:"count"`
					} `json:"aggregate"`
				} `json:"items_aggregate"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out, &batch); err != nil || len(batch) != 3 {
			t.Fatalf("batch: %s (%v)", out, err)
		}
		if s := batch[0].Data.ServerInfo; len(s) != 1 || !s[0].Replica {
			t.Errorf("the query before the mutation: %s, want a replica", out)
		}
		if batch[1].Data.Insert == nil || batch[1].Data.Insert.Name != "batch" {
			t.Errorf("the mutation: %s", out)
		}
		if s := batch[2].Data.ServerInfo; len(s) != 1 || s[0] != (served{Replica: false, Port: c.port}) {
			t.Errorf("the query after the mutation: %s, want the primary (port %d)", out, c.port)
		}
		if a := batch[2].Data.Agg; a == nil || a.Aggregate.Count != 1 {
			t.Errorf("the query after the mutation does not see its row: %s", out)
		}
	})

	t.Run("a live query polled on a replica sees the primary's writes", func(t *testing.T) {
		ws := dial(t, srv.URL, protoNew, nil)
		ws.init(adminInit())
		ws.subscribe("live", `subscription { items_seen(where: {name: {_like: "lag%"}}, order_by: {id: asc}) { name replica port } }`, nil)
		if rows := ws.data("live")["items_seen"].([]any); len(rows) != 0 {
			t.Fatalf("first result %v, want no row", rows)
		}
		execOn(t, c.url, "INSERT INTO items (name) VALUES ('lag 1')")
		rows := ws.data("live")["items_seen"].([]any)
		if len(rows) != 1 {
			t.Fatalf("after the insert on the primary: %v, want its row", rows)
		}
		row := rows[0].(map[string]any)
		if row["name"] != "lag 1" || row["replica"] != true || (int(row["port"].(float64)) != c.port1 && int(row["port"].(float64)) != c.port2) {
			t.Fatalf("the row came as %v, want it read on a replica", row)
		}
		ws.stop("live")
	})

	t.Run("streams poll the primary", func(t *testing.T) {
		ws := dial(t, srv.URL, protoNew, nil)
		ws.init(adminInit())
		ws.subscribe("s", `subscription { items_stream(batch_size: 5, cursor: {initial_value: {id: 1000}}, where: {name: {_like: "stream%"}}) { id name } }`, nil)
		execOn(t, c.url, "INSERT INTO items (name) VALUES ('stream 1')")
		got := ws.data("s")["items_stream"].([]any)
		if len(got) != 1 || got[0].(map[string]any)["name"] != "stream 1" {
			t.Fatalf("stream: %v", got)
		}
		// The stream's poll (the only statement with clock_timestamp(),
		// its frontier's sample) is the last statement of a session on
		// the primary, and of none on the replicas.
		if n := streamSessions(t, c.url); n == 0 {
			t.Error("no session of the primary ran the stream's poll")
		}
		for _, u := range []string{c.url1, c.url2} {
			if n := streamSessions(t, u); n != 0 {
				t.Errorf("%d sessions of a replica ran the stream's poll", n)
			}
		}
		ws.stop("s")
	})

	t.Run("replicas stopped under load", func(t *testing.T) {
		ctx := context.Background()
		var (
			mu     sync.Mutex
			byPort = map[int]int{}
			errs   []error
			phase  atomic.Value
		)
		phase.Store("before")
		perPhase := map[string]map[int]int{}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					// The phase when the query is sent: one sent after a
					// replica stopped cannot be served by it.
					ph := phase.Load().(string)
					s, err := whoServes(srv.URL)
					mu.Lock()
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", ph, err))
					} else {
						byPort[s.Port]++
						if perPhase[ph] == nil {
							perPhase[ph] = map[int]int{}
						}
						perPhase[ph][s.Port]++
					}
					mu.Unlock()
				}
			}()
		}
		// A live query on server_info meanwhile: its polls fail over too,
		// so its subscriber never gets an error.
		ws := dial(t, srv.URL, protoNew, nil)
		ws.init(adminInit())
		ws.subscribe("info", "subscription { server_info { replica port } }", nil)
		ws.data("info")
		count := func(ph string, port int) int {
			mu.Lock()
			defer mu.Unlock()
			return perPhase[ph][port]
		}
		waitServed := func(ph string, port int) {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for count(ph, port) == 0 {
				if time.Now().After(deadline) {
					mu.Lock()
					defer mu.Unlock()
					t.Fatalf("%s: no query served by port %d within 30 s: %v", ph, port, perPhase)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		waitServed("before", c.port1)
		waitServed("before", c.port2)

		if err := c.r1.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		phase.Store("r1 stopped")
		time.Sleep(time.Second)
		waitServed("r1 stopped", c.port2)
		if err := c.r2.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		phase.Store("both stopped")
		time.Sleep(time.Second)
		waitServed("both stopped", c.port)
		phase.Store("restarting")
		if err := c.r1.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.r2.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		phase.Store("restarted")
		waitServed("restarted", c.port1)
		waitServed("restarted", c.port2)
		// Once both are back, the primary serves no more queries.
		phase.Store("back")
		time.Sleep(time.Second)
		close(stop)
		wg.Wait()
		ws.stop("info")
		for _, m := range ws.sync() {
			if m.Type == "next" && bytes.Contains(m.Payload, []byte(`"errors"`)) || m.Type == "error" {
				t.Errorf("the live query got %s %s", m.Type, m.Payload)
			}
		}

		mu.Lock()
		defer mu.Unlock()
		t.Logf("queries served, by phase and port (primary %d, replicas %d and %d): %v", c.port, c.port1, c.port2, perPhase)
		for _, err := range errs {
			t.Errorf("a query failed: %v", err)
		}
		if n := perPhase["both stopped"][c.port1] + perPhase["both stopped"][c.port2]; n > 0 {
			t.Errorf("%d queries served by a stopped replica", n)
		}
		if n := perPhase["back"][c.port]; n > 0 || perPhase["back"][c.port1] == 0 || perPhase["back"][c.port2] == 0 {
			t.Errorf("with both replicas back: %v, want both replicas and not the primary", perPhase["back"])
		}
		if f := metric(t, srv.URL, fmt.Sprintf(`hasgen_read_replica_failovers_total{replica="127.0.0.1:%d/%s"}`, c.port1, replicaDB)); f == 0 {
			t.Errorf("no failover counted for replica 1")
		}
		if n := metric(t, srv.URL, "hasgen_read_replica_primary_reads_total"); n == 0 {
			t.Errorf("no read counted on the primary")
		}
		for _, want := range []string{"read replica out of rotation", "read replica back in rotation"} {
			if !strings.Contains(srv.Logs(), want) {
				t.Errorf("the server's logs do not say %q", want)
			}
		}
	})

	t.Run("change hints do not skip the polls of a lagging replica", func(t *testing.T) {
		// A replica that applies commits a second late: the primary's
		// notification comes long before the replica has the row, so a
		// poll skipped for want of a new hint would never see it.
		ctx := context.Background()
		execOn(t, c.url, live.ChangeHintsInstallSQL([]live.TableName{{Schema: "public", Name: "items"}}))
		lagging, err := c.primary.StartReplica(ctx, "recovery_min_apply_delay = '1s'")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lagging.Close() })
		srv := e2e.StartT(t, project, env("HASURA_GRAPHQL_READ_REPLICA_URLS", lagging.DatabaseURL(replicaDB), "HASGEN_CHANGE_HINTS", "true"))
		waitMetric(t, srv.URL, "hasgen_change_hints_up", 1)
		ws := dial(t, srv.URL, protoNew, nil)
		ws.init(adminInit())
		ws.subscribe("live", `subscription { items(where: {name: {_like: "hint%"}}) { name } }`, nil)
		if rows := ws.data("live")["items"].([]any); len(rows) != 0 {
			t.Fatalf("first result %v, want no row", rows)
		}
		execOn(t, c.url, "INSERT INTO items (name) VALUES ('hint 1')")
		if rows := ws.data("live")["items"].([]any); len(rows) != 1 {
			t.Fatalf("after the insert: %v, want its row", rows)
		}
		if s := mustServe(t, srv.URL); s.Port != portOf(t, lagging.URL) {
			t.Fatalf("served by %+v, want the lagging replica", s)
		}
	})
}
