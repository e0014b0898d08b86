package generate_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

// BenchmarkRemoteSchema measures a remote field's round trip through a
// generated server ("via-server") against the same request sent to the
// remote directly ("direct"): the difference is what the server adds
// (validation, re-printing, the extra HTTP hop, splicing).
func BenchmarkRemoteSchema(b *testing.B) {
	srv := peopleRemote(b, peopleSDL)
	b.Setenv("PEOPLE_URL", srv.URL)
	b.Setenv("PEOPLE_KEY", "k")
	dir, err := filepath.Abs("testdata/remote")
	if err != nil {
		b.Fatal(err)
	}
	url := pgtest.NewDatabase(b, filepath.Join(dir, "schema.sql"))
	server := e2e.StartT(b, e2e.Project{DatabaseURL: url, Config: filepath.Join(dir, "metadata")}, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_ADMIN_SECRET": "secret", "PEOPLE_URL": srv.URL, "PEOPLE_KEY": "k",
	})
	run := func(b *testing.B, target, query string, headers map[string]string) {
		body := []byte(`{"query":` + query + `}`)
		client := &http.Client{}
		b.ResetTimer()
		for range b.N {
			req, _ := http.NewRequest("POST", target, bytes.NewReader(body))
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
			if !bytes.Contains(out, []byte(`"user 1"`)) {
				b.Fatalf("response %s", out)
			}
		}
	}
	b.Run("direct", func(b *testing.B) {
		run(b, srv.URL, `"{ users(limit: 2) { id name email } }"`, nil)
	})
	b.Run("via-server", func(b *testing.B) {
		run(b, server.URL+"/v1/graphql", `"{ people(limit: 2) { id name email } }"`, map[string]string{"x-hasura-admin-secret": "secret"})
	})
}
