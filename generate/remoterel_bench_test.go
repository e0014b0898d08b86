package generate_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

// BenchmarkRemoteRelationship measures a query over 4 rows whose
// remote relationship (2 distinct argument sets) a generated server
// answers ("via-server"), against its two parts alone: the same query
// without the relationship through the server ("db-only"), and the
// request the server sends to the remote, sent to it directly
// ("remote-direct"). "added" = via-server - db-only - remote-direct is
// what the relationship adds over the remote's own time (markers, the
// scan, printing the request, merging). ns/op is the three together.
func BenchmarkRemoteRelationship(b *testing.B) {
	srv := relRemote(b)
	b.Setenv("RELREMOTE_URL", srv.URL)
	dir, err := filepath.Abs("testdata/remoterel")
	if err != nil {
		b.Fatal(err)
	}
	url := pgtest.NewDatabase(b, filepath.Join(dir, "schema.sql"))
	server := e2e.StartT(b, e2e.Project{DatabaseURL: url, Config: filepath.Join(dir, "metadata")}, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_ADMIN_SECRET": "secret", "RELREMOTE_URL": srv.URL,
	})
	admin := map[string]string{"x-hasura-admin-secret": "secret"}
	client := &http.Client{}
	post := func(target, body, expect string, headers map[string]string) time.Duration {
		t0 := time.Now()
		req, _ := http.NewRequest("POST", target, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if !bytes.Contains(out, []byte(expect)) {
			b.Fatalf("response %s", out)
		}
		return d
	}
	// The three requests alternate, so that the machine's load weighs
	// on each alike.
	var direct, dbOnly, via time.Duration
	b.ResetTimer()
	for range b.N {
		direct += post(srv.URL, `{"query":"query($hasgen_0_0: Int!, $hasgen_1_0: Int!) { r0: user(id: $hasgen_0_0) { name } r1: user(id: $hasgen_1_0) { name } }","variables":{"hasgen_0_0":1,"hasgen_1_0":2}}`,
			`"user 2"`, nil)
		dbOnly += post(server.URL+"/v1/graphql", `{"query":"{ orgs(where: {id: {_lt: 5}}, order_by: {id: asc}) { name owner_id } }"}`, `"umbrella"`, admin)
		via += post(server.URL+"/v1/graphql", `{"query":"{ orgs(where: {id: {_lt: 5}}, order_by: {id: asc}) { name owner { name } } }"}`, `"user 2"`, admin)
	}
	n := float64(b.N)
	b.ReportMetric(float64(direct.Nanoseconds())/n, "remote-direct-ns/op")
	b.ReportMetric(float64(dbOnly.Nanoseconds())/n, "db-only-ns/op")
	b.ReportMetric(float64(via.Nanoseconds())/n, "via-server-ns/op")
	b.ReportMetric(float64((via-dbOnly-direct).Nanoseconds())/n, "added-ns/op")
}
