package runtime_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// noQueries is Hasura's answer to { no_queries_available }.
const noQueries = `{"data":{"no_queries_available":"There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."}}`

// TestNoQueriesAvailable: with no tracked table, and for a role without
// permissions, query_root holds only Hasura's placeholder field, which
// answers with its text.
func TestNoQueriesAvailable(t *testing.T) {
	empty, _ := inProcessEngine(t, []string{"testdata/fixtures/enums/schema.sql"}, "testdata/fixtures/enums/empty.yaml", nil, nil)
	tables, _ := enumsEngine(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, role, query, want string
		tracked                 bool
	}{
		{"no table, admin", session.AdminRole, `{ no_queries_available }`, noQueries, false},
		{"no table, a role", "user", `query q { no_queries_available }`, noQueries, false},
		{"no table, typename", "user", `{ __typename }`, `{"data":{"__typename":"query_root"}}`, false},
		{"no table, aliased", session.AdminRole, `{ a: no_queries_available b: __typename }`,
			strings.Replace(strings.Replace(noQueries, `"no_queries_available"`, `"a"`, 1), "}}", `,"b":"query_root"}}`, 1), false},
		{"role without permissions", "nobody", `{ no_queries_available }`, noQueries, true},
		{"role with permissions", "user", `{ no_queries_available }`,
			`{"errors":[{"message":"field 'no_queries_available' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.no_queries_available","code":"validation-failed"}}]}`, true},
		{"no mutation", "user", `mutation { no_queries_available }`,
			`{"errors":[{"message":"no mutations exist","extensions":{"path":"$","code":"validation-failed"}}]}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := empty
			if c.tracked {
				e = tables
			}
			if got := string(e.Do(ctx, &session.Session{Role: c.role}, &wire.Request{Query: c.query})); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestEmptyMetadataServer generates, builds and starts the server of a
// metadata with no tracked table: it answers Hasura's placeholder and
// introspection.
func TestEmptyMetadataServer(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), "testdata/fixtures/enums/empty.yaml")}, nil)
	post := func(q string) string {
		resp, err := http.Post(s.URL+"/v1/graphql", "application/json", strings.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + string(b)
	}
	if got, want := post(`{"query": "{ no_queries_available }"}`), "200 OK "+noQueries; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := post(`{"query": "{ __type(name: \"query_root\") { fields { name } } }"}`),
		`200 OK {"data":{"__type":{"fields":[{"name":"no_queries_available"},{"name":"hello"}]}}}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
