package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// streamRows decodes a stream batch: each row's fields.
func streamRows(t *testing.T, data map[string]any, key string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range data[key].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// column returns one field of every row, as text.
func column(rows []map[string]any, f string) string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[f]))
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestStreamBatchesAndTies(t *testing.T) {
	r := newRT(t, rtOptions{})
	// n: 1 2 2 2 3 4 5 5; batches of 2 with ties: [1 2 2 2] [3 4] [5 5].
	r.exec(t, `INSERT INTO events (owner_id, n, note) SELECT 1, n, 'e' || i FROM unnest(ARRAY[1,2,2,2,3,4,5,5]) WITH ORDINALITY AS x(n, i)`)
	for _, proto := range []string{protoNew, protoOld} {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, r.url, proto, nil)
			c.init(userInit(1))
			c.subscribe("s", `subscription { events_stream(batch_size: 2, cursor: {initial_value: {n: 0}}) { n note } }`, nil)
			var got []string
			for len(got) < 3 {
				got = append(got, column(streamRows(t, c.data("s"), "events_stream"), "n"))
			}
			if want := `["1","2","2","2"] ["3","4"] ["5","5"]`; fmt.Sprint(got[0], " ", got[1], " ", got[2]) != want {
				t.Fatalf("batches %v, want %s", got, want)
			}
			// DESC from 5 (exclusive): 4 3 | 2 2 2 | 1.
			c.subscribe("d", `subscription { events_stream(batch_size: 2, cursor: {initial_value: {n: 5}, ordering: DESC}) { n } }`, nil)
			got = nil
			for len(got) < 3 {
				got = append(got, column(streamRows(t, c.data("d"), "events_stream"), "n"))
			}
			if want := `["4","3"] ["2","2","2"] ["1"]`; fmt.Sprint(got[0], " ", got[1], " ", got[2]) != want {
				t.Fatalf("DESC batches %v, want %s", got, want)
			}
			// New rows arrive after the cursor; other users' rows never.
			r.exec(t, `INSERT INTO events (owner_id, n, note) VALUES (2, 6, 'bob'), (1, 7, 'new')`)
			if got := column(streamRows(t, c.data("s"), "events_stream"), "note"); got != `["new"]` {
				t.Fatalf("new rows: %s", got)
			}
			c.stop("s")
			c.stop("d")
			waitMetric(t, r.url, `hasgen_subscribers{kind="stream"}`, 0)
			waitMetric(t, r.url, `hasgen_stream_groups`, 0)
			r.exec(t, `DELETE FROM events WHERE n >= 6`)
		})
	}
}

// TestStreamOutOfOrderCommits is the case Hasura gets wrong: T1 takes id 5
// (and the earlier timestamp), T2 takes id 6, commits, a poll sees 6 —
// then T1 commits 5. Rows are held back while T1 runs, then both arrive,
// in cursor order.
func TestStreamOutOfOrderCommits(t *testing.T) {
	for _, cursor := range []string{"id", "at"} {
		t.Run(cursor, func(t *testing.T) {
			ctx := context.Background()
			r := newRT(t, rtOptions{stream: 50 * time.Millisecond})
			r.exec(t, `INSERT INTO events (owner_id, note) SELECT 1, 'e' || i FROM generate_series(1, 4) AS i`)
			c := dial(t, r.url, protoNew, nil)
			c.init(userInit(1))
			initial := `0`
			if cursor == "at" {
				initial = `"1970-01-01T00:00:00Z"`
			}
			c.subscribe("s", `subscription { events_stream(batch_size: 100, cursor: {initial_value: {`+cursor+`: `+initial+`}}) { id } }`, nil)
			if got := column(streamRows(t, c.data("s"), "events_stream"), "id"); got != `["1","2","3","4"]` {
				t.Fatalf("first batch %s", got)
			}

			t1, err := pgx.Connect(ctx, r.dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer t1.Close(ctx)
			tx1, err := t1.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var id5, id6 int64
			if err := tx1.QueryRow(ctx, `INSERT INTO events (owner_id, note) VALUES (1, 'T1') RETURNING id`).Scan(&id5); err != nil {
				t.Fatal(err)
			}
			t2, err := pgx.Connect(ctx, r.dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer t2.Close(ctx)
			if err := t2.QueryRow(ctx, `INSERT INTO events (owner_id, note) VALUES (1, 'T2') RETURNING id`).Scan(&id6); err != nil {
				t.Fatal(err)
			}
			if id5 != 5 || id6 != 6 {
				t.Fatalf("ids %d %d", id5, id6)
			}
			// Two polls that started after T2's commit, then everything
			// they sent: nothing (6 is held back behind T1's 5).
			p0 := metric(t, r.url, `hasgen_poll_statements_total{kind="stream"}`)
			eventually(t, "two polls", func() bool {
				return metric(t, r.url, `hasgen_poll_statements_total{kind="stream"}`) >= p0+2
			})
			for _, m := range c.sync() {
				t.Fatalf("a row was sent while T1 was in progress: %s", m.Payload)
			}
			if err := tx1.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for len(got) < 2 {
				for _, row := range streamRows(t, c.data("s"), "events_stream") {
					got = append(got, fmt.Sprint(row["id"]))
				}
			}
			if fmt.Sprint(got) != "[5 6]" {
				t.Fatalf("after T1's commit: %v, want [5 6]", got)
			}
		})
	}
}

// TestStreamConcurrentWriters: writers insert in transactions of random
// length, some rolled back, several rows each (ties on the timestamp); a
// subscriber receives every committed row exactly once, in cursor order.
func TestStreamConcurrentWriters(t *testing.T) {
	for _, cursor := range []string{"id", "at"} {
		t.Run(cursor, func(t *testing.T) {
			ctx := context.Background()
			r := newRT(t, rtOptions{stream: 20 * time.Millisecond})
			c := dial(t, r.url, protoNew, nil)
			c.init(userInit(1))
			initial := `0`
			if cursor == "at" {
				initial = `"1970-01-01T00:00:00Z"`
			}
			c.subscribe("s", `subscription { events_stream(batch_size: 25, cursor: {initial_value: {`+cursor+`: `+initial+`}}) { id at owner_id } }`, nil)

			const writers, txs = 8, 30
			var mu sync.Mutex
			committed := map[string]bool{}
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					conn, err := pgx.Connect(ctx, r.dbURL)
					if err != nil {
						t.Error(err)
						return
					}
					defer conn.Close(ctx)
					for i := 0; i < txs; i++ {
						tx, err := conn.Begin(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						var ids []string
						for k := 0; k < 1+rng.IntN(3); k++ {
							owner := 1
							if rng.IntN(5) == 0 {
								owner = 2
							}
							var id int64
							if err := tx.QueryRow(ctx, `INSERT INTO events (owner_id) VALUES ($1) RETURNING id`, owner).Scan(&id); err != nil {
								t.Error(err)
								return
							}
							if owner == 1 {
								ids = append(ids, fmt.Sprint(id))
							}
						}
						time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
						if rng.IntN(5) == 0 {
							tx.Rollback(ctx)
							continue
						}
						if err := tx.Commit(ctx); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						for _, id := range ids {
							committed[id] = true
						}
						mu.Unlock()
					}
				}(w)
			}
			done := make(chan struct{})
			go func() {
				wg.Wait()
				close(done)
			}()

			seen := map[string]bool{}
			var lastAt string
			var lastID float64
			target := -1
			for target < 0 || len(seen) < target {
				select {
				case <-done:
					mu.Lock()
					target = len(committed)
					mu.Unlock()
					done = nil
					continue
				default:
				}
				if target >= 0 && len(seen) >= target {
					break
				}
				// Until the writers are done, their end may come first: the
				// last transactions can be rollbacks, which send nothing.
				m, ok := c.receive(false, done)
				if !ok {
					continue
				}
				if m.Type != "next" {
					t.Fatalf("unexpected %s %s", m.Type, m.Payload)
				}
				var p struct {
					Data struct {
						Rows []struct {
							ID    float64 `json:"id"`
							At    string  `json:"at"`
							Owner float64 `json:"owner_id"`
						} `json:"events_stream"`
					}
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					t.Fatal(err)
				}
				for _, row := range p.Data.Rows {
					id := fmt.Sprint(row.ID)
					if row.Owner != 1 {
						t.Fatalf("user 1 received a row of owner %v", row.Owner)
					}
					if seen[id] {
						t.Fatalf("row %s delivered twice", id)
					}
					seen[id] = true
					switch cursor {
					case "id":
						if row.ID <= lastID {
							t.Fatalf("row %v after %v: out of cursor order", row.ID, lastID)
						}
						lastID = row.ID
					case "at":
						a, _ := time.Parse(time.RFC3339Nano, row.At)
						b, _ := time.Parse(time.RFC3339Nano, lastAt)
						if lastAt != "" && a.Before(b) {
							t.Fatalf("row at %s after %s: out of cursor order", row.At, lastAt)
						}
						lastAt = row.At
					}
				}
			}
			for id := range seen {
				if !committed[id] {
					t.Errorf("row %s was delivered but not committed", id)
				}
			}
			for id := range committed {
				if !seen[id] {
					t.Errorf("committed row %s was never delivered", id)
				}
			}
			t.Logf("%d rows delivered in cursor order, each once", len(seen))
		})
	}
}
