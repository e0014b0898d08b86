package generate_test

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/internal/remotetest"
	"github.com/hasgen/hasgen/pgtest"
)

// relSDL is the remote of the remote relationship tests
// (testdata/remoterel).
const relSDL = `type Query {
  user(id: Int!): User
  account(id: Int!): Account
  search(filter: UserFilter!, limit: Int): [User!]!
  fail(id: Int!): String
}
input UserFilter { id: Int role: Role }
enum Role { ADMIN MEMBER }
type User { id: Int! name: String email: String posts(limit: Int): [Post!]! }
type Post { title: String! }
type Account { owner: User }
`

// relRemote starts the remote: users 1 to 3, each with 3 posts; search
// gives the user of filter.id (user 9 fails) when filter.role is MEMBER, at most limit;
// fail fails.
func relRemote(t testing.TB) *remotetest.Server {
	t.Helper()
	user := func(id any) any {
		n := fmt.Sprint(id)
		if n < "1" || n > "3" || len(n) != 1 {
			return nil
		}
		var posts []any
		for i := 1; i <= 3; i++ {
			posts = append(posts, map[string]any{"title": fmt.Sprintf("post %s.%d", n, i)})
		}
		return map[string]any{"id": id, "name": "user " + n, "email": n + "@example.com", "posts": posts}
	}
	srv, err := remotetest.New(relSDL, func(field string, args map[string]any, h http.Header) (any, error) {
		switch field {
		case "user":
			if fmt.Sprint(args["id"]) == "9" {
				return nil, errors.New("user 9 is locked")
			}
			return user(args["id"]), nil
		case "account":
			return map[string]any{"owner": user(args["id"])}, nil
		case "search":
			f, _ := args["filter"].(map[string]any)
			out := []any{}
			if u := user(f["id"]); u != nil && f["role"] == "MEMBER" {
				out = append(out, u)
			}
			if l, ok := args["limit"].(int64); ok && int(l) < len(out) {
				out = out[:l]
			}
			return out, nil
		case "fail":
			return nil, errors.New("intentional failure")
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestRemoteRelationshipServe generates and builds a server whose
// tables have remote relationships to a test remote, and checks the
// merged JSON, the remote's calls (one per relationship field per
// operation, an alias per distinct argument set), what each role sees,
// the remote's errors, mutations and subscriptions.
func TestRemoteRelationshipServe(t *testing.T) {
	srv := relRemote(t)
	t.Setenv("RELREMOTE_URL", srv.URL)
	dir, err := filepath.Abs("testdata/remoterel")
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, filepath.Join(dir, "schema.sql"))
	server := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: filepath.Join(dir, "metadata")}, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url,
		"HASURA_GRAPHQL_ADMIN_SECRET": "secret",
		"RELREMOTE_URL":               srv.URL,
	})
	role := func(r string) map[string]string {
		h := map[string]string{"x-hasura-admin-secret": "secret"}
		if r != "" {
			h["x-hasura-role"] = r
		}
		return h
	}
	admin := role("")
	cases := []struct {
		name, query, vars string
		headers           map[string]string
		want              string
		// sent are the requests the remote gets, sorted (they run
		// concurrently).
		sent []string
	}{
		{"rows, aliases, nested under an array relationship, variables",
			`query q($lim: Int) { orgs(where: {id: {_lt: 5}}, order_by: {id: asc}) { name boss: owner { name __typename } members(order_by: {id: asc}) { id member(limit: $lim) { id name } } } }`, `{"lim": 3}`, admin,
			`{"data":{"orgs":[` +
				`{"name":"acme","boss":{"name":"user 1","__typename":"P_User"},"members":[{"id":1,"member":[{"id":1,"name":"user 1"}]},{"id":2,"member":[{"id":2,"name":"user 2"}]}]},` +
				`{"name":"globex","boss":{"name":"user 2","__typename":"P_User"},"members":[{"id":3,"member":[{"id":3,"name":"user 3"}]}]},` +
				`{"name":"initech","boss":{"name":"user 1","__typename":"P_User"},"members":[{"id":4,"member":[{"id":2,"name":"user 2"}]}]},` +
				`{"name":"umbrella","boss":null,"members":[]}]}}`,
			[]string{
				`query($hasgen_0_0: Int!, $hasgen_1_0: Int!) { r0: user(id: $hasgen_0_0) { name __typename } r1: user(id: $hasgen_1_0) { name __typename } }`,
				`query($hasgen_0_0: Int, $lim: Int, $hasgen_1_0: Int, $hasgen_2_0: Int) { r0: search(filter: {id: $hasgen_0_0, role: MEMBER}, limit: $lim) { id name } r1: search(filter: {id: $hasgen_1_0, role: MEMBER}, limit: $lim) { id name } r2: search(filter: {id: $hasgen_2_0, role: MEMBER}, limit: $lim) { id name } }`,
			}},
		{"a path of fields, by primary key", `{ orgs_by_pk(id: 2) { id owner_posts { title } } }`, "", admin,
			`{"data":{"orgs_by_pk":{"id":2,"owner_posts":[{"title":"post 2.1"},{"title":"post 2.2"},{"title":"post 2.3"}]}}}`,
			[]string{`query($hasgen_0_0: Int!) { r0: account(id: $hasgen_0_0) { owner { posts(limit: 2) { title } } } }`}},
		{"aggregate nodes, a fragment", `query { orgs_aggregate(where: {id: {_in: [2, 3]}}, order_by: {id: asc}) { aggregate { count } nodes { ...o } } } fragment o on orgs { id owner { id } }`, "", admin,
			`{"data":{"orgs_aggregate":{"aggregate":{"count":2},"nodes":[{"id":2,"owner":{"id":2}},{"id":3,"owner":{"id":1}}]}}}`,
			[]string{`query($hasgen_0_0: Int!, $hasgen_1_0: Int!) { r0: user(id: $hasgen_0_0) { id } r1: user(id: $hasgen_1_0) { id } }`}},
		{"a null column: null, no call", `{ orgs(where: {id: {_eq: 4}}) { owner { name } } }`, "", admin,
			`{"data":{"orgs":[{"owner":null}]}}`, nil},
		{"two fields of one remote: a request each", `{ orgs(where: {id: {_eq: 1}}) { owner { id } owner_posts { title } } }`, "", admin,
			`{"data":{"orgs":[{"owner":{"id":1},"owner_posts":[{"title":"post 1.1"},{"title":"post 1.2"},{"title":"post 1.3"}]}]}}`,
			[]string{
				`query($hasgen_0_0: Int!) { r0: account(id: $hasgen_0_0) { owner { posts(limit: 2) { title } } } }`,
				`query($hasgen_0_0: Int!) { r0: user(id: $hasgen_0_0) { id } }`,
			}},
		{"user: presets (not on an argument the relationship gives), fields of its permission", `{ members(where: {id: {_eq: 2}}) { member { name } org { owner { id name } } } }`, "", role("user"),
			`{"data":{"members":[{"member":[{"name":"user 2"}],"org":{"owner":{"id":1,"name":"user 1"}}}]}}`,
			[]string{
				`query($hasgen_0_0: Int!) { r0: user(id: $hasgen_0_0) { id name } }`,
				`query($hasgen_0_0: Int) { r0: search(filter: {id: $hasgen_0_0, role: MEMBER}, limit: 5) { name } }`,
			}},
		{"user: a field its remote permission hides", `{ orgs { owner { email } } }`, "", role("user"),
			`{"errors":[{"message":"field 'email' not found in type: 'P_User'","extensions":{"path":"$.selectionSet.orgs.selectionSet.owner.selectionSet.email","code":"validation-failed"}}]}`, nil},
		{"user: a relationship to a field its permission lacks", `{ orgs { broken } }`, "", role("user"),
			`{"errors":[{"message":"field 'broken' not found in type: 'orgs'","extensions":{"path":"$.selectionSet.orgs.selectionSet.broken","code":"validation-failed"}}]}`, nil},
		{"guest: cannot select owner_id", `{ orgs { owner { name } } }`, "", role("guest"),
			`{"errors":[{"message":"field 'owner' not found in type: 'orgs'","extensions":{"path":"$.selectionSet.orgs.selectionSet.owner","code":"validation-failed"}}]}`, nil},
		{"norem: no remote permission", `{ orgs { owner { name } } }`, "", role("norem"),
			`{"errors":[{"message":"field 'owner' not found in type: 'orgs'","extensions":{"path":"$.selectionSet.orgs.selectionSet.owner","code":"validation-failed"}}]}`, nil},
		{"remote errors: Hasura's, the remote's under the rows for admin", `{ orgs(order_by: {id: asc}, limit: 2) { id broken } }`, "", admin,
			`{"errors":[{"message":"Errors from remote server","extensions":{"path":"$","code":"unexpected","internal":{"errors":[` +
				`{"message":"intentional failure","path":["orgs",0,"broken"]},{"message":"intentional failure","path":["orgs",1,"broken"]}]}}}]}`,
			[]string{`query($hasgen_0_0: Int!, $hasgen_1_0: Int!) { r0: fail(id: $hasgen_0_0) r1: fail(id: $hasgen_1_0) }`}},
		{"remote errors: no internal for a role", `{ orgs(where: {id: {_eq: 5}}) { owner { name } } }`, "", role("user"),
			`{"errors":[{"message":"Errors from remote server","extensions":{"path":"$","code":"unexpected"}}]}`,
			[]string{`query($hasgen_0_0: Int!) { r0: user(id: $hasgen_0_0) { name } }`}},
		{"mutation returning", `mutation { update_orgs(where: {id: {_eq: 3}}, _set: {name: "initech2"}) { returning { name owner { name } } } }`, "", role("user"),
			`{"data":{"update_orgs":{"returning":[{"name":"initech2","owner":{"name":"user 1"}}]}}}`,
			[]string{`query($hasgen_0_0: Int!) { r0: user(id: $hasgen_0_0) { name } }`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(srv.Calls())
			got := postRemoteQuery(t, server.URL, c.headers, c.query, c.vars)
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			var sent []string
			for _, call := range srv.Calls()[before:] {
				sent = append(sent, call.Query)
			}
			sort.Strings(sent)
			if strings.Join(sent, "\n") != strings.Join(c.sent, "\n") {
				t.Errorf("the remote got %d requests:\n%s\nwant %d:\n%s", len(sent), strings.Join(sent, "\n"), len(c.sent), strings.Join(c.sent, "\n"))
			}
		})
	}
	// The columns are bound as variables.
	postRemoteQuery(t, server.URL, admin, `{ orgs_by_pk(id: 2) { owner { id } } }`, "")
	calls := srv.Calls()
	if v := calls[len(calls)-1].Variables; fmt.Sprint(v) != "map[hasgen_0_0:2]" {
		t.Errorf("variables: %v", v)
	}
	// Which roles have the fields, by introspection.
	fields := func(r, typ string) string {
		got := postRemoteQuery(t, server.URL, role(r), `{ __type(name: "`+typ+`") { fields { name args { name } } } }`, "")
		return got
	}
	for _, c := range []struct {
		role, typ   string
		has, hasNot []string
	}{
		{"", "orgs", []string{`"name":"owner"`, `"name":"owner_posts"`, `"name":"broken"`}, nil},
		{"", "members", []string{`{"name":"member","args":[{"name":"limit"}]}`}, nil},
		{"user", "orgs", []string{`"name":"owner"`, `"name":"owner_posts"`}, []string{`"name":"broken"`}},
		{"user", "members", []string{`{"name":"member","args":[]}`}, nil},
		{"guest", "orgs", []string{`"name":"name"`}, []string{`"name":"owner"`, `"name":"owner_posts"`, `"name":"broken"`}},
		{"norem", "orgs", []string{`"name":"secret"`}, []string{`"name":"owner"`, `"name":"owner_posts"`, `"name":"broken"`}},
	} {
		got := fields(c.role, c.typ)
		for _, s := range c.has {
			if !strings.Contains(got, s) {
				t.Errorf("role %q, type %s: lacks %s: %s", c.role, c.typ, s, got)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(got, s) {
				t.Errorf("role %q, type %s: has %s: %s", c.role, c.typ, s, got)
			}
		}
	}
	// Subscriptions: refused with a validation error.
	got := subscribeFirst(t, server.URL, admin, `subscription { orgs { owner { name } } }`)
	if !strings.Contains(got, "remote relationship field 'owner' is not served in subscriptions by hasgen") {
		t.Errorf("subscription: %s", got)
	}
}
