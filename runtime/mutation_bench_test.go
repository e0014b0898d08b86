package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkInsert inserts 1, 100 and 10 000 rows per request: through the
// generated server (HTTP, insert_authors with the rows as a variable) and
// the same rows straight through pgx (one INSERT ... SELECT FROM unnest).
//
//	go test ./runtime -run '^$' -bench BenchmarkInsert -benchtime 3s
func BenchmarkInsert(b *testing.B) {
	e := newFixtureEngine(b, mutSQL, mutConfig, false)
	seq := 0
	rows := func(n int) ([]any, []string, []int32, []int32) {
		objs := make([]any, n)
		names := make([]string, n)
		owners := make([]int32, n)
		ratings := make([]int32, n)
		for i := range objs {
			seq++
			names[i] = "bench" + strconv.Itoa(seq)
			owners[i], ratings[i] = 1, int32(seq%10)
			objs[i] = map[string]any{"name": names[i], "owner_id": 1, "rating": ratings[i]}
		}
		return objs, names, owners, ratings
	}
	client := &http.Client{}
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("rows=%d/hasgen", n), func(b *testing.B) {
			b.SetBytes(0)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				objs, _, _, _ := rows(n)
				body, _ := json.Marshal(map[string]any{
					"query":     `mutation($o: [authors_insert_input!]!) { insert_authors(objects: $o) { affected_rows } }`,
					"variables": map[string]any{"o": objs},
				})
				req, _ := http.NewRequest(http.MethodPost, e.server.URL+"/v1/graphql", bytes.NewReader(body))
				req.Header.Set("X-Hasura-Admin-Secret", e2eSecret)
				b.StartTimer()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(out), `"affected_rows":`+strconv.Itoa(n)) {
					b.Fatalf("%s", out)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(fmt.Sprintf("rows=%d/pgx", n), func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				_, names, owners, ratings := rows(n)
				b.StartTimer()
				tag, err := e.pool.Exec(ctx, `INSERT INTO authors (name, owner_id, rating) SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[])`, names, owners, ratings)
				if err != nil || tag.RowsAffected() != int64(n) {
					b.Fatal(err, tag)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
