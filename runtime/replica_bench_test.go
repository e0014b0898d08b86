package runtime_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
)

// BenchmarkReadReplica compares, in one run, query req/s of a generated
// server reading the primary alone with the same server reading one
// streaming replica (HASURA_GRAPHQL_READ_REPLICA_URLS): the same query (50
// rows of items), the same pool size, 16 concurrent clients over HTTP.
// Both clusters run on this machine, so the figure is the routing's cost
// and the replica's own speed, not the relief of a loaded primary.
//
//	go test ./runtime -run '^$' -bench ReadReplica -benchtime 5s
func BenchmarkReadReplica(b *testing.B) {
	c := startReplicas(b, 1)
	// The fixture without read_replicas: one binary, replicas or not by
	// the environment.
	project := e2e.Project{DatabaseURL: c.url, Config: filepath.Join(repoRoot(b), "testdata/fixtures/replica/hasgen.yaml")}
	env := map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret, "HASURA_GRAPHQL_PG_CONNECTIONS": "8", "HASURA_GRAPHQL_LOG_LEVEL": "warn"}
	primaryOnly := e2e.StartT(b, project, env)
	withReplica := e2e.StartT(b, project, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret, "HASURA_GRAPHQL_PG_CONNECTIONS": "8", "HASURA_GRAPHQL_LOG_LEVEL": "warn",
		"HASURA_GRAPHQL_READ_REPLICA_URLS": c.url1,
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := []byte(`{"query":"{ items(limit: 50, order_by: {id: asc}) { id name } server_info { replica } }"}`)
	servers := []struct {
		name    string
		url     string
		replica bool
	}{{"primary", primaryOnly.URL, false}, {"replica", withReplica.URL, true}}
	// Rounds alternate the two, so that the load of the machine (shared
	// with other jobs) weighs on both alike: -benchtime per round.
	for i := range 3 * len(servers) {
		s := servers[i%len(servers)]
		// Where the query runs, checked once: the server_info field says.
		out, err := gqlPost(s.url, map[string]any{"query": "{ server_info { replica } }"})
		if err != nil || !bytes.Contains(out, []byte(fmt.Sprintf(`"replica":%v`, s.replica))) {
			b.Fatalf("%s: %s %v", s.name, out, err)
		}
		b.Run(s.name, func(b *testing.B) {
			b.SetParallelism(8) // 16 clients on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", s.url+"/v1/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !bytes.HasPrefix(out, []byte(`{"data":{"items":[{"id":1,`)) {
						b.Errorf("%d %s", resp.StatusCode, out)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
