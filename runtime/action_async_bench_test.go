package runtime_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

// BenchmarkAsyncAction measures an asynchronous action on the generated
// server over HTTP: the mutation (the call logged, its id returned)
// beside a table query as the baseline, and the round trip from the
// mutation to the output read back by the query (the worker woken in
// process, the handler called, the result stored), polling the query
// every millisecond.
func BenchmarkAsyncAction(b *testing.B) {
	h := newOrderHandler(b)
	url := pgtest.NewDatabase(b, filepath.Join(repoRoot(b), asyncSQL))
	srv := e2e.StartT(b, e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(b), asyncConfig)},
		map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret, "ASYNC_BASE": h.URL})
	headers := map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}
	run := func(b *testing.B, query string, variables any) string {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
		status, resp := post(b, srv.URL+"/v1/graphql", string(body), headers)
		if status != 200 || !strings.HasPrefix(resp, `{"data"`) {
			b.Fatalf("%d %s", status, resp)
		}
		return resp
	}
	mutation := `mutation { place_order(item: "bench") }`
	b.Run("table query (baseline)", func(b *testing.B) {
		for b.Loop() {
			run(b, `{ users_by_pk(id: 1) { id name } }`, nil)
		}
	})
	b.Run("mutation", func(b *testing.B) {
		for b.Loop() {
			run(b, mutation, nil)
		}
	})
	b.Run("mutation to output", func(b *testing.B) {
		for b.Loop() {
			var r struct {
				Data struct {
					PlaceOrder string `json:"place_order"`
				} `json:"data"`
			}
			json.Unmarshal([]byte(run(b, mutation, nil)), &r)
			deadline := time.Now().Add(10 * time.Second)
			for strings.Contains(run(b, `query($id: uuid!) { place_order(id: $id) { output { note } } }`, map[string]any{"id": r.Data.PlaceOrder}), `"output":null`) {
				if time.Now().After(deadline) {
					b.Fatal("the output never came")
				}
				time.Sleep(time.Millisecond)
			}
		}
	})
}
