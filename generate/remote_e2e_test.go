package generate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/internal/remotetest"
	"github.com/hasgen/hasgen/pgtest"
)

// peopleSDL is the remote of the remote schema tests (testdata/remote).
const peopleSDL = `type Query {
  me(id: ID!): User
  users(limit: Int): [User!]!
  fail: String
  slow: String
}
type Mutation { rename(id: ID!, name: String!): User }
type User { id: ID! name: String email: String }
`

// peopleRemote starts the remote: users 1 to 3; fail fails; slow
// sleeps 3 s (over the remote schema's timeout of 2 s).
func peopleRemote(t testing.TB, sdl string) *remotetest.Server {
	t.Helper()
	user := func(id string) map[string]any {
		return map[string]any{"id": id, "name": "user " + id, "email": id + "@example.com"}
	}
	srv, err := remotetest.New(sdl, func(field string, args map[string]any, h http.Header) (any, error) {
		switch field {
		case "me":
			return user(args["id"].(string)), nil
		case "users":
			n := 3
			if l, ok := args["limit"].(int64); ok {
				n = int(l)
			}
			var out []any
			for i := 1; i <= n && i <= 3; i++ {
				out = append(out, user(string(rune('0'+i))))
			}
			return out, nil
		case "fail":
			return nil, errors.New("intentional failure")
		case "slow":
			time.Sleep(3 * time.Second)
			return "late", nil
		case "rename":
			u := user(args["id"].(string))
			u["name"] = args["name"]
			return u, nil
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestRemoteSchemaServe generates and builds a server with two remote
// schemas on one test remote (people: type prefix, a renamed root field,
// permissions with presets; geo: a namespace), and checks what each role
// sees and what reaches the remote.
func TestRemoteSchemaServe(t *testing.T) {
	srv := peopleRemote(t, peopleSDL)
	t.Setenv("PEOPLE_URL", srv.URL)
	t.Setenv("PEOPLE_KEY", "k-123")
	dir, err := filepath.Abs("testdata/remote")
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, filepath.Join(dir, "schema.sql"))
	server := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(dir, "metadata")}, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url,
		"HASURA_GRAPHQL_ADMIN_SECRET": "secret",
		"PEOPLE_URL":                  srv.URL,
		"PEOPLE_KEY":                  "k-123",
	})
	admin := map[string]string{"x-hasura-admin-secret": "secret", "X-Custom": "from-client"}
	user := map[string]string{"x-hasura-admin-secret": "secret", "x-hasura-role": "user", "x-hasura-user-id": "2", "X-Custom": "c"}
	guest := map[string]string{"x-hasura-admin-secret": "secret", "x-hasura-role": "guest"}
	cases := []struct {
		name, query string
		headers     map[string]string
		want        string
		calls       int    // requests the remote gets
		sent        string // the last request's query, when set
		vars        string // the request's variables, when set
	}{
		{"admin: database and remote fields", `{ orgs(order_by: {id: asc}) { name } people(limit: 2) { id name __typename } }`, admin,
			`{"data":{"orgs":[{"name":"acme"},{"name":"globex"}],"people":[{"id":"1","name":"user 1","__typename":"P_User"},{"id":"2","name":"user 2","__typename":"P_User"}]}}`,
			1, `query { people: users(limit: 2) { id name __typename } }`, ""},
		{"two fields, one request, variables", `query q($id: ID!) { a: me(id: $id) { email } b: people { ... on P_User { id } } }`, admin,
			`{"data":{"a":{"email":"3@example.com"},"b":[{"id":"1"},{"id":"2"},{"id":"3"}]}}`,
			1, `query($id: ID!) { a: me(id: $id) { email } b: users { ... on User { id } } }`, `{"id": "3"}`},
		{"namespace", `{ geo { __typename users(limit: 1) { name __typename } } people(limit: 1) { id } }`, admin,
			`{"data":{"geo":{"__typename":"G_Query","users":[{"name":"user 1","__typename":"G_User"}]},"people":[{"id":"1"}]}}`,
			2, "", ""},
		{"user: preset from the session", `{ me { id name } }`, user,
			`{"data":{"me":{"id":"2","name":"user 2"}}}`,
			1, `query($hasgen_preset_1: ID!) { me(id: $hasgen_preset_1) { id name } }`, ""},
		{"user: hidden field", `{ me { email } }`, user,
			`{"errors":[{"message":"field 'email' not found in type: 'P_User'","extensions":{"path":"$.selectionSet.me.selectionSet.email","code":"validation-failed"}}]}`,
			0, "", ""},
		{"user: hidden root field", `{ fail }`, user,
			`{"errors":[{"message":"field 'fail' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.fail","code":"validation-failed"}}]}`,
			0, "", ""},
		{"user: preset argument is not in the schema", `{ me(id: "1") { id } }`, user,
			`{"errors":[{"message":"'me' has no argument named 'id'","extensions":{"path":"$.selectionSet.me","code":"validation-failed"}}]}`,
			0, "", ""},
		{"guest: static preset", `{ people { name } }`, guest,
			`{"data":{"people":[{"name":"user 1"}]}}`,
			1, `query { people: users(limit: 1) { name } }`, ""},
		{"guest: no database table", `{ orgs { id } }`, guest,
			`{"errors":[{"message":"field 'orgs' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.orgs","code":"validation-failed"}}]}`,
			0, "", ""},
		{"remote error passed through", `{ fail }`, admin,
			`{"errors":[{"message":"intentional failure","path":["fail"]}]}`,
			1, "", ""},
		{"remote error in a namespace", `{ geo { oops: fail } }`, admin,
			`{"errors":[{"message":"intentional failure","path":["geo","oops"]}]}`,
			1, "", ""},
		{"mutation", `mutation { rename(id: "1", name: "renamed") { id name } }`, admin,
			`{"data":{"rename":{"id":"1","name":"renamed"}}}`,
			1, `mutation { rename(id: "1", name: "renamed") { id name } }`, ""},
		{"mutation: database and remote fields, in order", `mutation { insert_orgs_one(object: {id: 3, name: "initech"}) { id } rename(id: "2", name: "y") { name } }`, admin,
			`{"data":{"insert_orgs_one":{"id":3},"rename":{"name":"y"}}}`,
			1, `mutation { rename(id: "2", name: "y") { name } }`, ""},
		{"timeout", `{ slow }`, admin,
			`{"errors":[{"message":"HTTP exception occurred while sending the request to \"PEOPLE_URL\": timed out","extensions":{"path":"$","code":"remote-schema-error"}}]}`,
			1, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(srv.Calls())
			got := postRemoteQuery(t, server.URL, c.headers, c.query, c.vars)
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			calls := srv.Calls()
			if n := len(calls) - before; n != c.calls {
				t.Errorf("the remote got %d requests, want %d", n, c.calls)
			}
			if c.sent != "" && len(calls) > 0 && calls[len(calls)-1].Query != c.sent {
				t.Errorf("sent %q\nwant %q", calls[len(calls)-1].Query, c.sent)
			}
			if c.vars != "" && len(calls) > 0 && calls[len(calls)-1].Variables["id"] != "3" {
				t.Errorf("variables sent: %v", calls[len(calls)-1].Variables)
			}
		})
	}
	// Headers: configured, the session's, the client's forwarded.
	postGraphQL(t, server.URL, user, `{ me { id } }`)
	calls := srv.Calls()
	h := calls[len(calls)-1].Header
	for k, v := range map[string]string{"X-Api-Key": "k-123", "X-Hasura-Role": "user", "X-Hasura-User-Id": "2", "X-Custom": "c"} {
		if h.Get(k) != v {
			t.Errorf("header %s: %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("X-Hasura-Admin-Secret") != "" {
		t.Errorf("the admin secret was forwarded")
	}
	// The remote down.
	srv.Close()
	got := postGraphQL(t, server.URL, admin, `{ people { id } }`)
	want := `{"errors":[{"message":"HTTP exception occurred while sending the request to \"PEOPLE_URL\"","extensions":{"path":"$","code":"remote-schema-error"}}]}`
	if got != want {
		t.Errorf("remote down: %s", got)
	}
}

// TestRemoteSchemaSnapshot: generation writes the remote's snapshot; it
// generates offline from it; hasgen check names the remote's drift.
func TestRemoteSchemaSnapshot(t *testing.T) {
	srv := peopleRemote(t, peopleSDL)
	t.Setenv("PEOPLE_URL", srv.URL)
	t.Setenv("PEOPLE_KEY", "k")
	dir, _ := filepath.Abs("testdata/remote")
	url := pgtest.NewDatabase(t, filepath.Join(dir, "schema.sql"))
	out := t.TempDir()
	o := generate.Options{DatabaseURL: url, Config: filepath.Join(dir, "metadata"), Out: out}
	ctx := context.Background()
	if _, err := generate.Generate(ctx, o); err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(filepath.Join(out, "schema/remote/people.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(snap), "  fail: String\n") {
		t.Errorf("snapshot:\n%s", snap)
	}
	full, _ := os.ReadFile(filepath.Join(out, "schema/full.graphqls"))
	for _, s := range []string{"  people(limit: Int): [P_User!]!\n", "  geo: G_Query!\n", "type P_User {", "type G_Mutation {"} {
		if !strings.Contains(string(full), s) {
			t.Errorf("full.graphqls lacks %q", s)
		}
	}
	if strings.Contains(string(full), "__schema") {
		t.Errorf("full.graphqls declares __schema")
	}
	// Offline: the remote gone, from the snapshot; same files.
	srv.Close()
	o.RemoteSnapshots = true
	res, err := generate.Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written) != 0 {
		t.Errorf("offline generation changed %v", res.Written)
	}
	// The remote changed: check names it.
	srv2 := peopleRemote(t, strings.Replace(peopleSDL, "email: String", "email: String phone: String", 1))
	t.Setenv("PEOPLE_URL", srv2.URL)
	o.RemoteSnapshots = false
	diff, err := generate.Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(diff, `remote schema "people" drifted: type User: field phone added`) ||
		!strings.Contains(diff, `remote schema "geo" drifted: type User: field phone added`) {
		t.Errorf("check:\n%s", diff)
	}
}

// postRemoteQuery posts query with its variables (JSON, or "") and
// returns the compacted response.
func postRemoteQuery(t *testing.T, base string, headers map[string]string, query, vars string) string {
	t.Helper()
	req := map[string]any{"query": query}
	if vars != "" {
		req["variables"] = json.RawMessage(vars)
	}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequest("POST", base+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return buf.String()
}
