package runtime_test

// Hardening: every request has a bounded cost, values are bound right
// wherever a literal may stand, and nothing a client sends can take the
// server or Postgres down. Each test is one finding of the attack on the
// generated server (see the README's limits).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/hasgen/hasgen/runtime/wire"
)

func chinookFiles(t testing.TB) []string {
	return []string{filepath.Join(repoRoot(t), "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")}
}

// fragmentBomb is a document of a few kilobytes whose fragments double at
// every level: 2^levels fields once expanded.
func fragmentBomb(levels int) string {
	var b strings.Builder
	b.WriteString("query Bomb { artists(limit: 1) { ...F0 } }\n")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on artists { albums(limit: 1) { artist { ...F%d } } x: albums(limit: 1) { artist { ...F%d } } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on artists { name }\n", levels)
	return b.String()
}

// errorOf returns the one error of a response, failing the test otherwise.
func errorOf(t *testing.T, out []byte) *wire.Error {
	t.Helper()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string
			Extensions struct{ Code, Path string }
		}
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Errors) != 1 || r.Data != nil {
		t.Fatalf("want one error and no data, got %s", out)
	}
	e := r.Errors[0]
	return &wire.Error{Message: e.Message, Code: e.Extensions.Code, Path: e.Extensions.Path}
}

// TestFragmentBombRefused: a 30-level fragment bomb (2^30 fields from 4 KB)
// is refused before it is validated or compiled, for every role, and
// Postgres never sees a statement of it; a deep query is refused by the
// depth limit. Before, it was expanded at every use: 98 MB of SQL at 12
// levels.
func TestFragmentBombRefused(t *testing.T) {
	tr := &sqlTracer{}
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, tr, nil)
	ctx := context.Background()
	bomb := fragmentBomb(30)
	if len(bomb) > 5000 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	for _, s := range []*session.Session{{Role: "customer", Vars: map[string]string{"x-hasura-user-id": "1"}}, {Role: session.AdminRole}} {
		tr.take()
		got := errorOf(t, e.Do(ctx, s, &wire.Request{Query: bomb}))
		if got.Code != wire.CodeValidationFailed || !strings.Contains(got.Message, "fields, over the node limit") {
			t.Errorf("%s: got %q (%s), want the node limit", s.Role, got.Message, got.Code)
		}
		if sqls := tr.take(); len(sqls) > 0 {
			t.Errorf("%s: Postgres saw %d statements", s.Role, len(sqls))
		}
	}
	// A legitimate query of the same shape, 3 levels, runs.
	out := e.Do(ctx, &session.Session{Role: "customer", Vars: map[string]string{"x-hasura-user-id": "1"}}, &wire.Request{Query: fragmentBomb(3)})
	if strings.Contains(string(out), `"errors"`) {
		t.Fatalf("3 levels: %s", out)
	}
	deep := "{ albums(limit: 1) { " + strings.Repeat("artist { albums(limit: 1) { ", 8) + "id" + strings.Repeat(" } }", 8) + " } }"
	got := errorOf(t, e.Do(ctx, &session.Session{Role: "customer", Vars: map[string]string{"x-hasura-user-id": "1"}}, &wire.Request{Query: deep}))
	if !strings.Contains(got.Message, "over the depth limit of 15") {
		t.Errorf("deep query: got %q", got.Message)
	}
}

// BenchmarkFragmentBomb is the time to refuse a 30-level fragment bomb
// that is not cached (a new document each time).
func BenchmarkFragmentBomb(b *testing.B) {
	e := newTestEngine(b, "chinook-bench", chinookConfig, false)
	s := &session.Session{Role: "customer", Vars: map[string]string{"x-hasura-user-id": "1"}}
	bomb := fragmentBomb(30)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out := e.Do(context.Background(), s, &wire.Request{Query: fmt.Sprintf("%s# %d\n", bomb, i)})
		if !strings.Contains(string(out), "node limit") {
			b.Fatalf("not refused: %.200s", out)
		}
	}
}

// TestVariablesInsideLiterals: a variable inside a list or object literal
// is bound to its value, in every operator that takes a list or JSON.
// Before, `_in: [$v, 3]` bound the text "v".
func TestVariablesInsideLiterals(t *testing.T) {
	ctx := context.Background()
	admin := &session.Session{Role: session.AdminRole}
	run := func(t *testing.T, e *engine.Engine, query, vars, want string) {
		t.Helper()
		out := e.Do(ctx, admin, &wire.Request{Query: query, Variables: json.RawMessage(vars)})
		if string(out) != want {
			t.Errorf("%s with %s:\n got %s\nwant %s", query, vars, out, want)
		}
	}
	t.Run("chinook", func(t *testing.T) {
		e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, nil)
		run(t, e, `query($v: Int!) { albums(where: {id: {_in: [$v, 3]}}, order_by: {id: asc}) { id } }`, `{"v": 1}`,
			`{"data":{"albums":[{"id":1}, {"id":3}]}}`)
		run(t, e, `query($v: Int!) { albums(where: {_and: [{id: {_lte: 3}}, {id: {_nin: [$v]}}]}, order_by: {id: asc}) { id } }`, `{"v": 2}`,
			`{"data":{"albums":[{"id":1}, {"id":3}]}}`)
		run(t, e, `query($n: String!) { artists(where: {name: {_in: [$n, "Accept"]}}, order_by: {name: asc}) { name } }`, `{"n": "AC/DC"}`,
			`{"data":{"artists":[{"name":"AC/DC"}, {"name":"Accept"}]}}`)
		// Artists 1, 2 and 6 of the first ten have two albums.
		run(t, e, `query($v: Int!) { artists(where: {_and: [{id: {_lte: 10}}, {albums_aggregate: {count: {predicate: {_in: [$v]}}}}]}, order_by: {id: asc}) { id } }`, `{"v": 2}`,
			`{"data":{"artists":[{"id":1}, {"id":2}, {"id":6}]}}`)
		run(t, e, `query($v: Int!) { albums(where: {_or: [{id: {_in: [$v]}}, {id: {_eq: 2}}]}, order_by: {id: asc}) { id } }`, `{"v": 5}`,
			`{"data":{"albums":[{"id":2}, {"id":5}]}}`)
	})
	t.Run("arrays and jsonb", func(t *testing.T) {
		e, _ := newMutationEngineInProcess(t, "", nil)
		run(t, e, `query($t: String!) { authors(where: {tags: {_contains: [$t]}}) { name } }`, `{"t": "math"}`,
			`{"data":{"authors":[{"name":"Ada"}]}}`)
		run(t, e, `query($k: String!) { authors(where: {bio: {_has_keys_any: [$k, "nothing"]}}) { name } }`, `{"k": "langs"}`,
			`{"data":{"authors":[{"name":"Ada"}]}}`)
		run(t, e, `query($l: jsonb!) { authors(where: {bio: {_contains: {langs: $l}}}) { name } }`, `{"l": ["fr"]}`,
			`{"data":{"authors":[{"name":"Ada"}]}}`)
	})
}

// TestLongAliases: aliases longer than Postgres's 63-byte identifiers come
// back whole, two that share their first 63 bytes as two keys.
func TestLongAliases(t *testing.T) {
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, nil)
	long := strings.Repeat("a", 63)
	q := fmt.Sprintf(`{ albums_by_pk(id: 1) { %s1: title %s2: id __typename } }`, long, long)
	out := e.Do(context.Background(), &session.Session{Role: session.AdminRole}, &wire.Request{Query: q})
	want := fmt.Sprintf(`{"data":{"albums_by_pk":{"%s1":"For Those About To Rock We Salute You","%s2":1,"__typename":"albums"}}}`, long, long)
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

// TestPlanCacheBounded: 1,500 variable shapes of one document keep at
// most maxPlansPerDocument plans (before, every one stayed: 356 MiB).
func TestPlanCacheBounded(t *testing.T) {
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, nil)
	ctx := context.Background()
	s := &session.Session{Role: session.AdminRole}
	q := `query($w: albums_bool_exp) { albums_aggregate(where: $w) { aggregate { count } } }`
	for i := 1; i <= 1500; i++ {
		ors := strings.TrimSuffix(strings.Repeat(`{"id": {"_eq": 1}},`, i%300+1), ",")
		vars := fmt.Sprintf(`{"w": {"_or": [%s], "title": {"_is_null": %v}}}`, ors, i%2 == 0)
		if _, err := e.Prepare(ctx, s, &wire.Request{Query: q, Variables: json.RawMessage(vars)}); err != nil {
			t.Fatal(err)
		}
	}
	if docs, plans := e.Cached(); docs != 1 || plans > 64 {
		t.Fatalf("cached %d documents and %d plans, want 1 and at most 64", docs, plans)
	}
}

// TestDocumentCacheBounded: documents are counted by the memory they
// hold (their syntax trees, about 40 bytes per byte of text), so 100
// documents of 100 KB keep only what fits in the cache's 64 MiB.
func TestDocumentCacheBounded(t *testing.T) {
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, nil)
	s := &session.Session{Role: "customer", Vars: map[string]string{"x-hasura-user-id": "1"}}
	for i := 0; i < 100; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "query Q%d { ", i)
		for b.Len() < 100<<10 {
			fmt.Fprintf(&b, "a%d: __typename ", b.Len())
		}
		b.WriteString("}")
		e.Prepare(context.Background(), s, &wire.Request{Query: b.String()})
	}
	if docs, _ := e.Cached(); docs > 17 {
		t.Fatalf("%d documents of 100 KB cached", docs)
	}
}

// TestSQLSizeLimit: an operation within the node limit whose SQL would be
// too costly to plan (an admin fragment bomb of 8 levels) is refused
// before it runs.
func TestSQLSizeLimit(t *testing.T) {
	tr := &sqlTracer{}
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, tr, func(cfg *engine.Config) { cfg.MaxSQLSize = 64 << 10 })
	tr.take()
	got := errorOf(t, e.Do(context.Background(), &session.Session{Role: session.AdminRole}, &wire.Request{Query: fragmentBomb(8)}))
	if !strings.Contains(got.Message, "bytes of SQL, over the limit of 65536") || got.Path != "$.selectionSet.artists" {
		t.Errorf("got %q at %s", got.Message, got.Path)
	}
	if sqls := tr.take(); len(sqls) > 0 {
		t.Errorf("Postgres saw %d statements", len(sqls))
	}
}

// TestRequestLimits over HTTP: request keys match exactly; a batch over
// the batch limit is refused; a body sent too slowly is cut off.
func TestRequestLimits(t *testing.T) {
	e, pool := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, nil)
	a, err := auth.New(context.Background(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&transport.Handler{Engine: e, Auth: a, DB: pool, BodyTimeout: 300 * time.Millisecond})
	defer srv.Close()
	customer := map[string]string{"X-Hasura-Role": "customer", "X-Hasura-User-Id": "1"}

	if _, body := post(t, srv.URL, `{"QUERY": "{ __typename }"}`, nil); !strings.Contains(body, `key \"query\" not found`) || !strings.Contains(body, `"parse-failed"`) {
		t.Errorf("upper-case key: %s", body)
	}
	if _, body := post(t, srv.URL, `{"query": "{ __typename }", "Query": "{ x }"}`, nil); body != `{"data":{"__typename":"query_root"}}` {
		t.Errorf("exact key: %s", body)
	}
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query": "{ __typename }"},`, 101), ",") + "]"
	if _, body := post(t, srv.URL, batch, customer); !strings.Contains(body, "over the batch limit of 100") {
		t.Errorf("101 operations: %.300s", body)
	}
	if _, body := post(t, srv.URL, batch, nil); strings.Contains(body, "errors") {
		t.Errorf("admin's batch: %.300s", body)
	}

	// A body announced as 1000 bytes, sent 10 bytes then nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound for the test, far above the server's
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "could not read the request body") {
		t.Errorf("stalled body: %s", b)
	}
}

// TestResultLimits: a root field's JSON over the response size limit is
// refused as it arrives, and a statement over its time limit is cancelled.
func TestResultLimits(t *testing.T) {
	e, _ := inProcessEngine(t, chinookFiles(t), chinookConfig, nil, func(cfg *engine.Config) {
		cfg.Limits = &engine.LimitSet{Global: engine.DefaultLimits(), PerRole: map[string]engine.Limits{"employee": {Time: time.Millisecond}}}
		cfg.MaxResponseSize = 20 << 10
	})

	ctx := context.Background()
	url := e.Pool().Config().ConnString()
	small, err := runtime.NewPool(ctx, runtime.Config{DatabaseURL: url, MaxConns: 2, MaxResponseSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	run := func(s *session.Session, q string) (string, error) {
		p, err := e.Prepare(ctx, s, &wire.Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Run(ctx, small, p, nil)
		return string(out), err
	}
	admin := &session.Session{Role: session.AdminRole}
	if out, err := run(admin, `{ albums(limit: 3) { title } }`); err != nil {
		t.Fatalf("small result: %v %s", err, out)
	}
	_, err = run(admin, `{ tracks { name composer } }`)
	if we := wire.First(err); we == nil || !strings.Contains(we.Message, "larger than the limit of 16384 bytes") {
		t.Errorf("large result: %v", err)
	}
	// Root fields each under the pool's limit, together over the engine's.
	_, err = run(admin, `{ a: albums { title } b: albums { title } }`)
	if we := wire.First(err); we == nil || !strings.Contains(we.Message, "larger than the limit of 20480 bytes") {
		t.Errorf("two fields: %v", err)
	}
	// The pool goes on after the connection it closed.
	if out, err := run(admin, `{ albums(limit: 1) { id } }`); err != nil || out != `{"data":{"albums":[{"id":1}]}}` {
		t.Errorf("after: %v %s", err, out)
	}
	employee := &session.Session{Role: "employee", Vars: map[string]string{"x-hasura-user-id": "3"}}
	p, err := e.Prepare(ctx, employee, &wire.Request{Query: `{ customers { invoices { total customer { invoices { total } } } } albums_aggregate { nodes { tracks { name } } } }`})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Run(ctx, e.Pool(), p, nil)
	if we := wire.First(err); we == nil || !strings.Contains(we.Message, "exceeded its time limit") {
		t.Errorf("time limit: %v", err)
	}
}
