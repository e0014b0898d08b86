package remoteschema

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/remotetest"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/remote"
)

// testSDL is the remote of these tests, types and fields in an order
// that the snapshot sorts (types) or keeps (fields).
const testSDL = `schema { query: Query mutation: Mutation }

"A user."
type User implements Node {
  id: ID!
  name(upper: Boolean = false): String
  email: String @deprecated(reason: "use contact")
  posts(first: Int = 10, order: Order = ASC): [Post!]!
}

interface Node { id: ID! }

type Post implements Node { id: ID! title: String! }

enum Order { ASC DESC }

union Item = User | Post

input UserFilter { name: String, ids: [ID!] = [] }

scalar Time

type Query {
  user(id: ID!): User
  users(filter: UserFilter): [User!]!
  items: [Item]
  now: Time
}

type Mutation { rename(id: ID!, name: String!): User }
`

// TestIntrospect: a remote introspected over HTTP with its headers
// becomes its SDL, types sorted, which loads back to the same snapshot.
func TestIntrospect(t *testing.T) {
	srv, err := remotetest.New(testSDL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	key := ""
	srv.Before = func(w http.ResponseWriter, r *http.Request) bool {
		key = r.Header.Get("X-Key")
		return true
	}
	c, err := remote.NewClient("users", &remote.Definition{URLFromEnv: "USERS_URL", Headers: []events.Header{{Name: "X-Key", ValueFromEnv: "KEY"}}},
		func(k string) string { return map[string]string{"USERS_URL": srv.URL, "KEY": "secret"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	sdl, err := Introspect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if key != "secret" {
		t.Errorf("X-Key sent: %q", key)
	}
	want := `schema {
  query: Query
  mutation: Mutation
}
union Item = User | Post
type Mutation {
  rename(id: ID!, name: String!): User
}
interface Node {
  id: ID!
}
enum Order {
  ASC
  DESC
}
type Post implements Node {
  id: ID!
  title: String!
}
type Query {
  user(id: ID!): User
  users(filter: UserFilter): [User!]!
  items: [Item]
  now: Time
}
scalar Time
"""
A user.
"""
type User implements Node {
  id: ID!
  name(upper: Boolean = false): String
  email: String @deprecated(reason: "use contact")
  posts(first: Int = 10, order: Order = ASC): [Post!]!
}
input UserFilter {
  name: String
  ids: [ID!] = []
}
`
	if diff := cmp.Diff(want, sdl); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The snapshot of the snapshot is itself.
	srv2, err := remotetest.New(sdl, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	c2, _ := remote.NewClient("again", &remote.Definition{URL: srv2.URL}, nil)
	again, err := Introspect(context.Background(), c2)
	if err != nil {
		t.Fatal(err)
	}
	if again != sdl {
		t.Errorf("not a fixed point:\n%s", cmp.Diff(sdl, again))
	}
	if _, err := Introspect(context.Background(), mustClient(t, "http://127.0.0.1:1/graphql")); err == nil || !strings.Contains(err.Error(), `HTTP exception occurred while sending the request to "http://127.0.0.1:1/graphql"`) {
		t.Errorf("unreachable remote: %v", err)
	}
}

func mustClient(t *testing.T, url string) *remote.Client {
	c, err := remote.NewClient("r", &remote.Definition{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
