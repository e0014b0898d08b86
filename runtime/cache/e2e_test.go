package cache_test

// End to end: generated servers on graphql-bench's Chinook, in a cluster
// of their own whose pg_stat_statements counts the statements each table
// was read by, so that "answered without touching Postgres" is measured,
// not assumed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const adminSecret = "cache-secret"

// chinook is the test process's database: Chinook in a cluster loading
// pg_stat_statements, and the server generated for it.
var chinook struct {
	once  sync.Once
	err   error
	url   string
	build *e2e.Build
	stats *pgx.Conn
	mu    sync.Mutex // stats is one connection
}

func repoRoot(t testing.TB) string {
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// chinookDB starts the cluster, loads Chinook and builds the server, once.
func chinookDB(t testing.TB) {
	t.Helper()
	root := repoRoot(t)
	chinook.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		srv, err := pgtest.Start(ctx, pgtest.Options{Settings: []string{"shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.max = 10000"}})
		if err != nil {
			chinook.err = err
			return
		}
		pgtest.AtExit(func() { srv.Close() })
		url, err := srv.CreateDatabase(ctx, "chinook", "")
		if err == nil {
			err = srv.LoadFiles(ctx, url, filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql"))
		}
		if err == nil {
			err = srv.LoadSQL(ctx, url, "CREATE EXTENSION pg_stat_statements;")
		}
		if err != nil {
			chinook.err = err
			return
		}
		chinook.url = url
		if chinook.stats, err = pgx.Connect(ctx, url); err != nil {
			chinook.err = err
			return
		}
		pgtest.AtExit(func() { chinook.stats.Close(context.Background()) })
		chinook.build, chinook.err = e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")})
	})
	if chinook.err != nil {
		t.Fatal(chinook.err)
	}
}

// startServer starts a generated server on Chinook with the admin secret
// and env, stopped at cleanup.
func startServer(t testing.TB, env map[string]string) *e2e.Server {
	t.Helper()
	chinookDB(t)
	full := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": chinook.url, "HASURA_GRAPHQL_ADMIN_SECRET": adminSecret}
	for k, v := range env {
		full[k] = v
	}
	s, err := chinook.build.Start(context.Background(), full)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", strings.TrimSpace(s.Logs()))
		}
	})
	return s
}

// statements returns how many statements that read table (its quoted
// name in the SQL) the database has run, server-wide.
func statements(t testing.TB, table string) int64 {
	t.Helper()
	chinook.mu.Lock()
	defer chinook.mu.Unlock()
	var n int64
	err := chinook.stats.QueryRow(context.Background(),
		`SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements
		  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND strpos(query, $1) > 0`,
		`"`+table+`"`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type response struct {
	status int
	body   string
	header http.Header
}

// user is who a request runs as: the admin secret, and a role and user
// id when set.
type user struct{ role, id string }

var admin = user{}

func post(t testing.TB, base string, u user, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	if u.role != "" {
		req.Header.Set("X-Hasura-Role", u.role)
	}
	if u.id != "" {
		req.Header.Set("X-Hasura-User-Id", u.id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}

var hexKey = regexp.MustCompile(`^[0-9a-f]{40}$`)

// maxAge is the response's Cache-Control max-age; -1 without one.
func maxAge(r response) int {
	v, ok := strings.CutPrefix(r.header.Get("Cache-Control"), "max-age=")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// checkStored checks the headers of a response served with the cache:
// both keys, and a max-age within (lo, hi).
func checkStored(t testing.TB, r response, lo, hi int) {
	t.Helper()
	if r.status != 200 || strings.Contains(r.body, `"errors"`) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if !hexKey.MatchString(r.header.Get("X-Hasura-Query-Cache-Key")) || !hexKey.MatchString(r.header.Get("X-Hasura-Query-Family-Cache-Key")) {
		t.Errorf("cache keys %q, %q", r.header.Get("X-Hasura-Query-Cache-Key"), r.header.Get("X-Hasura-Query-Family-Cache-Key"))
	}
	if a := maxAge(r); a < lo || a > hi {
		t.Errorf("Cache-Control %q, want max-age in [%d, %d]", r.header.Get("Cache-Control"), lo, hi)
	}
}

func cacheKey(r response) string { return r.header.Get("X-Hasura-Query-Cache-Key") }

// TestSharedCacheEndToEnd: two instances on one database share the cache
// through Redis: what one stores the other answers without a statement.
func TestSharedCacheEndToEnd(t *testing.T) {
	_, prefix := testRedis(t) // cleans the prefix up
	env := map[string]string{"HASURA_GRAPHQL_REDIS_URL": "redis://" + redisAddr, "HASGEN_CACHE_REDIS_PREFIX": prefix}
	s1, s2 := startServer(t, env), startServer(t, env)

	t.Run("second instance answers from what the first stored", func(t *testing.T) {
		q := `query Artists @cached(ttl: 60) { artists(order_by: {id: asc}, limit: 3) { id name } }`
		n0 := statements(t, "artists")
		r1 := post(t, s1.URL, admin, q, nil)
		checkStored(t, r1, 59, 60)
		n1 := statements(t, "artists")
		if n1 != n0+1 {
			t.Fatalf("first request ran %d statements on artists, want 1", n1-n0)
		}
		if !strings.Contains(r1.body, `{"id":1,"name":"AC/DC"}`) {
			t.Fatalf("first answer %s", r1.body)
		}
		// The same query written with other whitespace and a comment.
		r2 := post(t, s2.URL, admin, "query Artists @cached(ttl: 60) {\n  # the first three\n  artists(order_by: {id: asc}, limit: 3) {\n    id\n    name\n  }\n}", nil)
		checkStored(t, r2, 58, 60)
		if r2.body != r1.body {
			t.Errorf("second instance answered\n%s\nwant\n%s", r2.body, r1.body)
		}
		if n2 := statements(t, "artists"); n2 != n1 {
			t.Errorf("second instance ran %d statements on artists, want none", n2-n1)
		}
		if cacheKey(r2) != cacheKey(r1) || r2.header.Get("X-Hasura-Query-Family-Cache-Key") != r1.header.Get("X-Hasura-Query-Family-Cache-Key") {
			t.Errorf("keys differ between instances: %v / %v", r1.header, r2.header)
		}
		m := get(t, s2.URL+"/metrics")
		if !strings.Contains(m, `hasura_cache_request_count{status="hit"} 1`) {
			t.Errorf("metrics of the second instance lack one hit:\n%s", grepLines(m, "hasura_cache"))
		}
	})

	t.Run("variables: same family, another key", func(t *testing.T) {
		q := `query ArtistByID($id: Int!) @cached { artists_by_pk(id: $id) { id name } }`
		a := post(t, s1.URL, admin, q, map[string]any{"id": 1})
		b := post(t, s1.URL, admin, q, map[string]any{"id": 2})
		checkStored(t, a, 59, 60)
		checkStored(t, b, 59, 60)
		if cacheKey(a) == cacheKey(b) {
			t.Error("two variable values share a key")
		}
		if a.header.Get("X-Hasura-Query-Family-Cache-Key") != b.header.Get("X-Hasura-Query-Family-Cache-Key") {
			t.Error("two variable values are of different families")
		}
		if !strings.Contains(b.body, `"id":2`) || strings.Contains(b.body, `"id":1`) {
			t.Errorf("id 2 answered %s", b.body)
		}
	})

	t.Run("ttl expiry", func(t *testing.T) {
		q := `query Short @cached(ttl: 1) { artists(order_by: {id: asc}, limit: 4) { id } }`
		n0 := statements(t, "artists")
		checkStored(t, post(t, s1.URL, admin, q, nil), 0, 1)
		if r := post(t, s2.URL, admin, q, nil); statements(t, "artists") != n0+1 {
			t.Fatalf("within the ttl the second instance ran a statement (%v)", r.header)
		}
		time.Sleep(1100 * time.Millisecond)
		r := post(t, s2.URL, admin, q, nil)
		checkStored(t, r, 0, 1)
		if n := statements(t, "artists"); n != n0+2 {
			t.Errorf("after the ttl: %d statements, want 2 (the entry expired)", n-n0)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		q := `query Refreshed @cached(ttl: 120) { artists_by_pk(id: 5) { name } }`
		first := post(t, s1.URL, admin, q, nil)
		checkStored(t, first, 119, 120)
		sqlExec(t, `UPDATE artists SET name = 'Renamed' WHERE id = 5`)
		t.Cleanup(func() { sqlExec(t, `UPDATE artists SET name = 'Alice In Chains' WHERE id = 5`) })
		if r := post(t, s2.URL, admin, q, nil); r.body != first.body {
			t.Fatalf("before the refresh the cache answered %s, want the stored %s", r.body, first.body)
		}
		n0 := statements(t, "artists")
		fresh := post(t, s2.URL, admin, `query Refreshed @cached(ttl: 120, refresh: true) { artists_by_pk(id: 5) { name } }`, nil)
		checkStored(t, fresh, 119, 120)
		if !strings.Contains(fresh.body, "Renamed") || statements(t, "artists") != n0+1 {
			t.Fatalf("refresh answered %s", fresh.body)
		}
		if cacheKey(fresh) != cacheKey(first) {
			t.Errorf("refresh: true changed the key: %s, %s", cacheKey(fresh), cacheKey(first))
		}
		after := post(t, s1.URL, admin, q, nil)
		if after.body != fresh.body || statements(t, "artists") != n0+1 {
			t.Errorf("after the refresh: %s (a statement run: %v)", after.body, statements(t, "artists") != n0+1)
		}
	})

	t.Run("users under a permission that reads x-hasura-user-id", func(t *testing.T) {
		q := `query Me @cached { customers { id first_name } }`
		u1, u2 := user{"customer", "1"}, user{"customer", "2"}
		a := post(t, s1.URL, u1, q, nil)
		b := post(t, s2.URL, u2, q, nil)
		checkStored(t, a, 59, 60)
		checkStored(t, b, 59, 60)
		if a.body != `{"data":{"customers":[{"id":1,"first_name":"Luís"}]}}` {
			t.Errorf("user 1: %s", a.body)
		}
		if b.body != `{"data":{"customers":[{"id":2,"first_name":"Leonie"}]}}` {
			t.Errorf("user 2: %s", b.body)
		}
		if strings.Contains(b.body, `"id":1`) || strings.Contains(b.body, "Luís") {
			t.Errorf("user 2 got user 1's row: %s", b.body)
		}
		if cacheKey(a) == cacheKey(b) {
			t.Error("two users share the key of a query whose permission reads their id")
		}
		// Each hits their own entry, on either instance.
		n0 := statements(t, "customers")
		if r := post(t, s1.URL, u2, q, nil); r.body != b.body {
			t.Errorf("user 2 again: %s", r.body)
		}
		if r := post(t, s2.URL, u1, q, nil); r.body != a.body {
			t.Errorf("user 1 again: %s", r.body)
		}
		if n := statements(t, "customers"); n != n0 {
			t.Errorf("the repeated requests ran %d statements", n-n0)
		}
	})

	t.Run("users under a permission that does not read it share", func(t *testing.T) {
		q := `query Albums @cached { albums(order_by: {id: asc}, limit: 2) { id title } }`
		a := post(t, s1.URL, user{"customer", "1"}, q, nil)
		checkStored(t, a, 59, 60)
		n0 := statements(t, "albums")
		b := post(t, s2.URL, user{"customer", "2"}, q, nil)
		checkStored(t, b, 58, 60)
		if cacheKey(a) != cacheKey(b) || a.body != b.body {
			t.Errorf("not shared: %s %s / %s %s", cacheKey(a), a.body, cacheKey(b), b.body)
		}
		if n := statements(t, "albums"); n != n0 {
			t.Errorf("user 2 ran %d statements", n-n0)
		}
		// Another role is another entry, though its rows are the same.
		if c := post(t, s1.URL, user{"employee", "1"}, q, nil); cacheKey(c) == cacheKey(a) {
			t.Error("two roles share an entry")
		}
	})

	t.Run("clearing", func(t *testing.T) {
		q := `query Clear($id: Int!) @cached { albums_by_pk(id: $id) { id } }`
		r1 := post(t, s1.URL, admin, q, map[string]any{"id": 1})
		post(t, s1.URL, admin, q, map[string]any{"id": 2})
		post(t, s1.URL, admin, q, map[string]any{"id": 3})
		key, family := cacheKey(r1), r1.header.Get("X-Hasura-Query-Family-Cache-Key")

		if st, body := clear(t, s2.URL, "", "?key="+key); st == 200 {
			t.Errorf("clearing without the admin secret: %d %s", st, body)
		}
		if st, body := clear(t, s2.URL, adminSecret, "?key="+key); st != 200 || body != `{"clearedItemCount":"1","message":"success"}` {
			t.Errorf("clear key: %d %s", st, body)
		}
		n0 := statements(t, "albums")
		post(t, s2.URL, admin, q, map[string]any{"id": 1})
		post(t, s2.URL, admin, q, map[string]any{"id": 2})
		if n := statements(t, "albums"); n != n0+1 {
			t.Errorf("after clearing key 1: %d statements for ids 1 and 2, want 1 (id 2 still stored)", n-n0)
		}
		if st, body := clear(t, s1.URL, adminSecret, "?family="+family); st != 200 || body != `{"clearedItemCount":"3","message":"success"}` {
			t.Errorf("clear family: %d %s", st, body)
		}
		post(t, s1.URL, admin, `query Other @cached { albums_by_pk(id: 7) { id } }`, nil)
		if st, body := clear(t, s1.URL, adminSecret, ""); st != 200 || !strings.HasPrefix(body, `{"clearedItemCount":"`) || strings.HasPrefix(body, `{"clearedItemCount":"0"`) {
			t.Errorf("clear all: %d %s", st, body)
		}
		n0 = statements(t, "albums")
		post(t, s2.URL, admin, `query Other @cached { albums_by_pk(id: 7) { id } }`, nil)
		if n := statements(t, "albums"); n != n0+1 {
			t.Errorf("after clearing everything the query ran %d statements, want 1", n-n0)
		}
	})

	t.Run("websockets, GET and batches", func(t *testing.T) {
		q := `query Transports @cached { media_types(order_by: {id: asc}) { id name } }`
		first := post(t, s1.URL, admin, q, nil)
		checkStored(t, first, 59, 60)
		n0 := statements(t, "media_types")
		if got := wsQuery(t, s2.URL, q); got != first.body {
			t.Errorf("websocket: %s, want %s", got, first.body)
		}
		g := getResponse(t, s2.URL+"/v1/graphql?query="+url.QueryEscape(q))
		checkStored(t, g, 58, 60)
		if g.body != first.body || cacheKey(g) != cacheKey(first) {
			t.Errorf("GET: %s %s", cacheKey(g), g.body)
		}
		batch := postRaw(t, s2.URL, `[{"query":`+strconv.Quote(q)+`},{"query":`+strconv.Quote(q)+`}]`)
		if batch.body != "["+first.body+","+first.body+"]" {
			t.Errorf("batch: %s", batch.body)
		}
		if batch.header.Get("X-Hasura-Query-Cache-Key") != "" || batch.header.Get("Cache-Control") != "" {
			t.Errorf("a batch carries cache headers: %v", batch.header)
		}
		if n := statements(t, "media_types"); n != n0 {
			t.Errorf("websocket, GET and batch ran %d statements, want none", n-n0)
		}
	})

	t.Run("only queries", func(t *testing.T) {
		for _, tc := range []struct{ query, want string }{
			{`mutation @cached { delete_albums(where: {id: {_eq: -1}}) { affected_rows } }`, `directive "cached" is not allowed on a mutation`},
			{`subscription @cached { albums { id } }`, `directive "cached" is not allowed on a subscription`},
		} {
			r := post(t, s1.URL, admin, tc.query, nil)
			if !strings.Contains(r.body, `"message":"`+strings.ReplaceAll(tc.want, `"`, `\"`)+`"`) || !strings.Contains(r.body, `"code":"validation-failed"`) {
				t.Errorf("%s: %s", tc.query, r.body)
			}
			if r.header.Get("Cache-Control") != "" || r.header.Get("X-Hasura-Query-Cache-Key") != "" {
				t.Errorf("%s: cache headers %v", tc.query, r.header)
			}
		}
		// A query without @cached is not cached.
		r := post(t, s1.URL, admin, `query { albums_by_pk(id: 8) { id } }`, nil)
		if r.header.Get("Cache-Control") != "" || r.header.Get("X-Hasura-Query-Cache-Key") != "" {
			t.Errorf("uncached query: cache headers %v", r.header)
		}
	})
}

// TestInProcessCache: without Redis each instance caches for itself,
// within HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL; the query-log tells hits.
func TestInProcessCache(t *testing.T) {
	s1 := startServer(t, map[string]string{"HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL": "5", "HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup,http-log,query-log"})
	s2 := startServer(t, nil)
	q := `query InProcess @cached(ttl: 300) { tracks(order_by: {id: asc}, limit: 2) { id name } }`
	n0 := statements(t, "tracks")
	a := post(t, s1.URL, admin, q, nil)
	checkStored(t, a, 4, 5) // the ttl cut to the largest
	b := post(t, s1.URL, admin, q, nil)
	checkStored(t, b, 3, 5)
	if a.body != b.body || statements(t, "tracks") != n0+1 {
		t.Errorf("second request on the same instance: %s, %d statements", b.body, statements(t, "tracks")-n0)
	}
	// The query-log says which answer came from the cache, as Hasura's.
	if logs := s1.Logs(); strings.Count(logs, `"kind":"cached"`) != 1 || strings.Count(logs, `"kind":"database"`) != 1 {
		t.Errorf("query-log lines: want one database, one cached:\n%s", grepLines(logs, "query-log"))
	}
	c := post(t, s2.URL, admin, q, nil)
	checkStored(t, c, 299, 300)
	if statements(t, "tracks") != n0+2 {
		t.Error("an instance without Redis answered from another's memory")
	}
}

// TestRedisDownEndToEnd: a Redis that stops answering makes @cached
// queries uncached, answered, with Hasura's warning, and logged; once it
// is back the cache serves again.
func TestRedisDownEndToEnd(t *testing.T) {
	addr, stop := startRedis(t)
	s := startServer(t, map[string]string{"HASURA_GRAPHQL_REDIS_URL": "redis://" + addr, "HASGEN_CACHE_REDIS_PREFIX": testPrefix()})
	q := `query Down @cached { genres(order_by: {id: asc}, limit: 2) { id name } }`
	n0 := statements(t, "genres")
	up := post(t, s.URL, admin, q, nil)
	checkStored(t, up, 59, 60)
	post(t, s.URL, admin, q, nil)
	if statements(t, "genres") != n0+1 {
		t.Fatal("the cache did not answer while Redis was up")
	}
	stop()
	for i := range 3 {
		r := post(t, s.URL, admin, q, nil)
		if r.status != 200 || r.body != up.body {
			t.Fatalf("with Redis down, request %d: %d %s", i, r.status, r.body)
		}
		if w := r.header.Get("Warning"); w != "199 - cache-store-error" {
			t.Errorf("with Redis down, request %d: Warning %q", i, w)
		}
		if r.header.Get("X-Hasura-Query-Cache-Key") != "" {
			t.Errorf("with Redis down, request %d claims to be cached: %v", i, r.header)
		}
	}
	if n := statements(t, "genres"); n != n0+4 {
		t.Errorf("with Redis down: %d statements for 3 requests", n-n0-1)
	}
	if !strings.Contains(s.Logs(), "response cache unavailable") {
		t.Errorf("the outage is not logged:\n%s", s.Logs())
	}
	// Redis back (empty): within the backoff the cache serves again.
	runRedis(t, addr)
	time.Sleep(1100 * time.Millisecond)
	checkStored(t, post(t, s.URL, admin, q, nil), 59, 60)
	n1 := statements(t, "genres")
	checkStored(t, post(t, s.URL, admin, q, nil), 58, 60)
	if statements(t, "genres") != n1 {
		t.Error("Redis is back, but the query still runs")
	}
	if !strings.Contains(s.Logs(), "response cache available again") {
		t.Errorf("the recovery is not logged:\n%s", s.Logs())
	}
}

// startRedis runs a Redis server of the test's own on a free port, for
// stopping it.
func startRedis(t testing.TB) (addr string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	return addr, runRedis(t, addr)
}

// runRedis runs redis-server on addr until stop (or the test's end).
func runRedis(t testing.TB, addr string) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the test needs redis-server on PATH (apt install redis-server): %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
	}
}

func sqlExec(t testing.TB, sql string) {
	t.Helper()
	chinook.mu.Lock()
	defer chinook.mu.Unlock()
	if _, err := chinook.stats.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func clear(t testing.TB, base, secret, query string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/pro/cache/clear"+query, nil)
	if secret != "" {
		req.Header.Set("X-Hasura-Admin-Secret", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BenchmarkResponseCache: graphql-bench's AlbumsArtistTracksGenreAll (every
// album with its artist and tracks with their genre, about 260 KB of
// JSON, uncompressed) as admin, uncached, cached in process and cached in Redis, in
// one run against the same database; 16 clients.
//
//	go test ./runtime/cache -run '^$' -bench ResponseCache -benchtime 5s
func BenchmarkResponseCache(b *testing.B) {
	_, prefix := testRedis(b)
	mem := startServer(b, nil)
	red := startServer(b, map[string]string{"HASURA_GRAPHQL_REDIS_URL": "redis://" + redisAddr, "HASGEN_CACHE_REDIS_PREFIX": prefix})
	const q = `query AlbumsArtistTracksGenreAll%s { albums { id title artist { id name } tracks { id name genre { name } } } }`
	// Uncompressed, as go run ./bench asks: gzip would cost the same on
	// every path.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	for _, tc := range []struct {
		name, url, query string
	}{
		{"uncached", mem.URL, fmt.Sprintf(q, "")},
		{"cached-in-process", mem.URL, fmt.Sprintf(q, " @cached(ttl: 300)")},
		{"cached-redis", red.URL, fmt.Sprintf(q, " @cached(ttl: 300)")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]string{"query": tc.query})
			do := func() int {
				req, _ := http.NewRequest(http.MethodPost, tc.url+"/v1/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return 0
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < 100_000 {
					b.Errorf("status %d, %d bytes", resp.StatusCode, n)
				}
				return int(n)
			}
			size := do() // warms the plan, and the cache
			b.SetBytes(int64(size))
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					do()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// wsQuery runs a query over a websocket (graphql-transport-ws) as admin
// and returns its payload.
func wsQuery(t testing.TB, base, query string) string {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	send := func(v any) {
		if err := c.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": adminSecret}}})
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
	for {
		var m struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case "next":
			return string(m.Payload)
		case "error", "connection_error":
			t.Fatalf("websocket %s: %s", m.Type, m.Payload)
		}
	}
}

func getResponse(t testing.TB, u string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	return do(t, req)
}

func postRaw(t testing.TB, base, body string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	return do(t, req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}
