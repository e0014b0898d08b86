package generate_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"bytes"
	"encoding/json"
)

// BenchmarkEvents measures event triggers on one generated server
// (testdata/events) and a webhook receiver on the same machine:
//
//   - deliver/N: N events written by one INSERT of N rows, delivered to
//     the webhook: events/s (from the INSERT to the last delivery) and the
//     latency from the INSERT to each event's arrival, p50 and p99;
//   - mutation/plain and mutation/trigger: GraphQL inserts (16 clients,
//     role user) into a table without and with an event trigger, in the
//     same run, the trigger's deliveries going on meanwhile: req/s;
//   - mutation-capture-only/plain and /trigger: the same on a server that
//     delivers nothing (its webhook variable unset): the cost of the
//     capture trigger alone.
//
// Run it once per figure:
//
//	go test ./generate/ -run '^$' -bench BenchmarkEvents -benchtime 1x
func BenchmarkEvents(b *testing.B) {
	e := newEventsDB(b)
	srv := e.start()
	ctx := context.Background()

	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("deliver/%d", n), func(b *testing.B) {
			for range b.N {
				before := e.delivered("bulk_insert")
				seen := len(e.hook.ofTrigger("bulk_insert"))
				start := time.Now()
				if _, err := e.conn.Exec(ctx, `INSERT INTO bulk (v) SELECT g FROM generate_series(1, $1::int) g`, n); err != nil {
					b.Fatal(err)
				}
				waitFor(b, "the events delivered", 10*time.Minute, func() bool { return e.delivered("bulk_insert") == before+n })
				got := e.hook.ofTrigger("bulk_insert")[seen:]
				if len(got) != n {
					b.Fatalf("%d deliveries, want %d", len(got), n)
				}
				lat := make([]time.Duration, len(got))
				last := start
				for i, r := range got {
					lat[i] = r.At.Sub(start)
					if r.At.After(last) {
						last = r.At
					}
				}
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(n)/last.Sub(start).Seconds(), "events/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	mutations(b, client, srv.URL, "mutation")

	// The same without delivery: a server whose webhook variable is unset
	// delivers nothing, so only the capture trigger's cost remains.
	srv.Stop()
	delete(e.env, "E2E_WEBHOOK")
	quiet := e.start()
	mutations(b, client, quiet.URL, "mutation-capture-only")
}

// mutations runs group/plain and group/trigger: GraphQL inserts into a
// table without and with an event trigger, reporting req/s.
func mutations(b *testing.B, client *http.Client, url, group string) {
	for _, table := range []string{"plain", "bulk"} {
		name := map[string]string{"plain": group + "/plain", "bulk": group + "/trigger"}[table]
		b.Run(name, func(b *testing.B) {
			const clients, perClient = 16, 200
			body, _ := json.Marshal(map[string]string{"query": fmt.Sprintf(`mutation { insert_%s(objects: [{v: 1}]) { affected_rows } }`, table)})
			for range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, clients)
				start := time.Now()
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range perClient {
							if err := postMutation(client, url, body); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(clients*perClient)/elapsed.Seconds(), "req/s")
			}
		})
	}
}

// postMutation posts one mutation as role user and checks it succeeded.
func postMutation(c *http.Client, base string, body []byte) error {
	status, b, err := postJSON(c, base+"/v1/graphql", userHeaders, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
		return fmt.Errorf("mutation: %d %s", status, b)
	}
	return nil
}
