package runtime_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/jackc/pgx/v5"
)

// TestReplicaPoolsInBudget: the connection budget holds on a read replica
// too. Two instances sharing a budget of 6, loaded by 32 clients each with
// queries the replica answers, never have more than 6 backends on the
// replica, each instance's 3 at most; the same load on an instance
// without a budget opens more than 6 there (what the budget prevents).
func TestReplicaPoolsInBudget(t *testing.T) {
	c := startReplicas(t, 1)
	project := e2e.Project{DatabaseURL: c.url, Config: filepath.Join(repoRoot(t), replicaConfig)}
	env := func(total string) map[string]string {
		m := map[string]string{
			"HASURA_GRAPHQL_ADMIN_SECRET":      rtSecret,
			"HASURA_GRAPHQL_READ_REPLICA_URLS": c.url1,
			"HASURA_GRAPHQL_PG_CONNECTIONS":    "50",
			"HASGEN_CHANGE_HINTS":              "false",
		}
		if total != "" {
			m["HASGEN_PG_TOTAL_MAX_CONNECTIONS"] = total
		}
		return m
	}
	// load runs 32 clients per server for d, each a query a replica
	// answers, and returns the most backends seen on the replica meanwhile.
	load := func(t *testing.T, d time.Duration, servers ...*e2e.Server) int {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), c.url1)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var (
			wg     sync.WaitGroup
			failed atomic.Int64
			done   = make(chan struct{})
		)
		for _, srv := range servers {
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-done:
							return
						default:
						}
						out, err := gqlPost(srv.URL, map[string]any{"query": `{ items_seen(order_by: {name: desc}) { id name replica } }`})
						if err != nil || len(out) < 1000 {
							failed.Add(1)
						}
					}
				}()
			}
		}
		most := 0
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			var n int
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			most = max(most, n)
		}
		close(done)
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Errorf("%d queries failed under load", n)
		}
		return most
	}

	t.Run("without a budget", func(t *testing.T) {
		srv := e2e.StartT(t, project, env(""))
		most := load(t, 3*time.Second, srv)
		t.Logf("without a budget: at most %d connections on the replica", most)
		if most <= 6 {
			t.Fatalf("an instance without a budget opened at most %d connections on the replica under load: the test cannot tell a budget from none", most)
		}
	})

	t.Run("two instances, budget 6", func(t *testing.T) {
		a := e2e.StartT(t, project, env("6"))
		b := e2e.StartT(t, project, env("6"))
		// Both must know of each other before the load: a lone
		// instance's share is the whole budget.
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			if metric(t, a.URL, "hasgen_connection_budget_instances") == 2 && metric(t, b.URL, "hasgen_connection_budget_instances") == 2 {
				break
			}
			if time.Since(start) > 15*time.Second {
				t.Fatal("the two instances did not see each other within 15 s")
			}
		}
		// Their share is read at the next heartbeat: give it one.
		time.Sleep(1500 * time.Millisecond)
		most := load(t, 4*time.Second, a, b)
		t.Logf("budget 6, two instances: at most %d connections on the replica", most)
		if most > 6 {
			t.Errorf("%d connections on the replica, budget 6", most)
		} else if most < 2 {
			t.Errorf("only %d connections on the replica under load", most)
		}
	})
}
