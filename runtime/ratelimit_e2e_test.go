package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/redis/go-redis/v9"
)

// limitsSQL and limitsMetadata are the project of the rate limit tests:
// one table every role reads, and api_limits.rate_limit with a rule of
// each kind: per user (session variable), per role, and a global one per
// IP address.
const limitsSQL = `CREATE TABLE item (id int PRIMARY KEY, owner int NOT NULL);
INSERT INTO item VALUES (1, 1), (2, 2);
`

func limitsMetadata(extraSource string) string {
	perm := func(role string) string {
		return `{"role": "` + role + `", "permission": {"columns": ["id"], "filter": {}}}`
	}
	return `{"version": 3, "sources": [{"name": "default", "kind": "postgres",` + extraSource + `
  "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}},
  "tables": [{"table": {"schema": "public", "name": "item"},
    "select_permissions": [` + perm("user") + `, ` + perm("editor") + `, ` + perm("guest") + `, ` + perm("viewer") + `]}]}],
 "api_limits": {"rate_limit": {
   "global": {"max_reqs_per_min": 4, "unique_params": "IP"},
   "per_role": {
     "user": {"max_reqs_per_min": 5, "unique_params": ["x-hasura-user-id"]},
     "editor": {"max_reqs_per_min": 3}}}}}
`
}

// requireRedis fails the test when no Redis answers at 127.0.0.1:6379 and
// returns a key prefix no other test uses.
func requireRedis(t *testing.T) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("this test needs a Redis server at 127.0.0.1:6379 (apt install redis-server): %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "hasgen-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		defer c.Close()
		keys, _ := c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	return prefix
}

// limitsProject writes the project's files into a test directory.
func limitsProject(t *testing.T, extraSource string) e2e.Project {
	t.Helper()
	dir := t.TempDir()
	sqlFile, config := filepath.Join(dir, "schema.sql"), filepath.Join(dir, "metadata.json")
	if err := os.WriteFile(sqlFile, []byte(limitsSQL), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(limitsMetadata(extraSource)), 0o644); err != nil {
		t.Fatal(err)
	}
	return e2e.Project{DatabaseURL: pgtest.NewDatabase(t, sqlFile), Config: config}
}

// ask posts { item { id } } to base with headers (role, user id, IP) and
// returns the HTTP status and the response.
func ask(t *testing.T, base string, headers map[string]string) (int, string) {
	t.Helper()
	return post(t, base+"/v1/graphql", `{"query": "query Items { item(order_by: {id: asc}) { id } }"}`, headers)
}

const (
	itemsOK = `{"data":{"item":[{"id":1},{"id":2}]}}`
)

// overLimit is Hasura's answer to an operation over a rate limit of n.
func overLimit(n int) string {
	return fmt.Sprintf(`{"errors":[{"message":"rate limit of %d exceeded","extensions":{"path":"$","code":"rate-limit-exceeded"}}]}`, n)
}

// equalJSON reports whether a and b are the same JSON value.
func equalJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// expectAnswers asks n times, alternating between the servers, and
// checks each answer.
func expectAnswers(t *testing.T, what string, servers []*e2e.Server, headers map[string]string, n int, want string) {
	t.Helper()
	for i := range n {
		s := servers[i%len(servers)]
		status, got := ask(t, s.URL, headers)
		if status != http.StatusOK || !equalJSON(got, want) {
			t.Fatalf("%s, request %d of %d (server %d): status %d\n got %s\nwant %s", what, i+1, n, i%len(servers), status, got, want)
		}
	}
}

// TestRateLimitAcrossInstances: api_limits.rate_limit served by two
// generated servers on one database that share a Redis. A user's limit of
// 5 a minute holds across both (5 succeed in total, the sixth gets
// Hasura's error on either server) and does not touch another user; a
// role's limit counts its sessions together; the global rule counts per
// IP address (X-Forwarded-For) and per role; batches count each
// operation; websocket operations count with HTTP ones; admin is not
// limited; /v1alpha1/graphql answers 429. Without Redis, each instance
// counts on its own. Every count happens within a second, far inside the
// one-minute window.
func TestRateLimitAcrossInstances(t *testing.T) {
	prefix := requireRedis(t)
	project := limitsProject(t, "")
	shared := map[string]string{"HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:6379/0", "HASGEN_RATE_LIMIT_REDIS_PREFIX": prefix}
	a := e2e.StartT(t, project, shared)
	b := e2e.StartT(t, project, shared)
	both := []*e2e.Server{a, b}
	user := func(id string) map[string]string {
		return map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": id}
	}

	t.Run("per user across instances", func(t *testing.T) {
		expectAnswers(t, "user 1", both, user("1"), 5, itemsOK)
		expectAnswers(t, "user 1 over its limit", both, user("1"), 2, overLimit(5))
		expectAnswers(t, "user 2", both, user("2"), 5, itemsOK)
		expectAnswers(t, "user 2 over its limit", []*e2e.Server{b}, user("2"), 1, overLimit(5))
		expectAnswers(t, "admin", both, nil, 12, itemsOK)
	})
	t.Run("per role", func(t *testing.T) {
		// editor's rule has no unique_params: its sessions share it.
		for i, id := range []string{"1", "2", "3"} {
			expectAnswers(t, "editor "+id, both[i%2:], map[string]string{"X-Hasura-Role": "editor", "X-Hasura-User-Id": id}, 1, itemsOK)
		}
		expectAnswers(t, "editor 4", both, map[string]string{"X-Hasura-Role": "editor", "X-Hasura-User-Id": "4"}, 1, overLimit(3))
	})
	t.Run("global per IP", func(t *testing.T) {
		guest := func(ip string) map[string]string {
			return map[string]string{"X-Hasura-Role": "guest", "X-Forwarded-For": ip + ", 10.0.0.1"}
		}
		expectAnswers(t, "guest from .1", both, guest("203.0.113.1"), 4, itemsOK)
		expectAnswers(t, "guest from .1 over", both, guest("203.0.113.1"), 1, overLimit(4))
		expectAnswers(t, "guest from .2", both, guest("203.0.113.2"), 4, itemsOK)
		// The global rule counts per role: viewer from the same address
		// has its own count.
		expectAnswers(t, "viewer from .1", both, map[string]string{"X-Hasura-Role": "viewer", "X-Forwarded-For": "203.0.113.1"}, 4, itemsOK)
		// X-Real-IP wins over X-Forwarded-For, as in Hasura.
		expectAnswers(t, "guest from .3 by X-Real-IP", both, map[string]string{"X-Hasura-Role": "guest", "X-Real-IP": "203.0.113.3", "X-Forwarded-For": "203.0.113.1"}, 4, itemsOK)
	})
	t.Run("batch and alpha", func(t *testing.T) {
		var ops []string
		for range 7 {
			ops = append(ops, `{"query": "{ item(order_by: {id: asc}) { id } }"}`)
		}
		status, got := post(t, a.URL+"/v1/graphql", "["+strings.Join(ops, ",")+"]", user("10"))
		want := "[" + strings.Repeat(itemsOK+",", 5) + overLimit(5) + "," + overLimit(5) + "]"
		if status != http.StatusOK || !equalJSON(got, want) {
			t.Fatalf("batch of 7: status %d\n got %s\nwant %s", status, got, want)
		}
		status, got = post(t, b.URL+"/v1alpha1/graphql", `{"query": "{ item { id } }"}`, user("10"))
		if status != http.StatusTooManyRequests || !equalJSON(got, overLimit(5)) {
			t.Fatalf("/v1alpha1/graphql: status %d: %s", status, got)
		}
	})
	t.Run("websocket", func(t *testing.T) {
		expectAnswers(t, "user 20 over HTTP", both, user("20"), 4, itemsOK)
		c := dial(t, b.URL, protoNew, nil)
		c.init(map[string]any{"headers": user("20")})
		c.subscribe("1", `query { item(order_by: {id: asc}) { id } }`, nil)
		if d := c.data("1"); jsonOf(d) != `{"item":[{"id":1},{"id":2}]}` {
			t.Fatalf("fifth operation: %s", jsonOf(d))
		}
		c.expect("complete", "1")
		c.subscribe("2", `subscription { item { id } }`, nil)
		m := c.expect("error", "2")
		if !equalJSON(string(m.Payload), `[{"message":"rate limit of 5 exceeded","extensions":{"path":"$","code":"rate-limit-exceeded"}}]`) {
			t.Fatalf("sixth operation: %s", m.Payload)
		}
		expectAnswers(t, "user 20 over HTTP", both, user("20"), 1, overLimit(5))
	})
	t.Run("in process", func(t *testing.T) {
		// Without Redis each instance counts on its own: 5 for user 1
		// on each, whatever the shared Redis says.
		c := e2e.StartT(t, project, nil)
		d := e2e.StartT(t, project, nil)
		for _, s := range []*e2e.Server{c, d} {
			expectAnswers(t, "user 1", []*e2e.Server{s}, user("1"), 5, itemsOK)
			expectAnswers(t, "user 1 over", []*e2e.Server{s}, user("1"), 1, overLimit(5))
		}
	})
}
