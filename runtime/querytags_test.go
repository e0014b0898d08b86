package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lastStatements returns the statements the database's backends of the
// generated server ran last (pg_stat_activity.query), those that match.
func lastStatements(t *testing.T, url, like string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT query FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'hasgen' AND query LIKE $1`, like)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestQueryTagsInPgStatActivity: a generated server of a source with
// query_tags {omit_request_id: false} comments each root field's
// statement as Hasura does, and pg_stat_activity shows it: a query and a
// mutation with the request's x-request-id, the field and the operation;
// a live query with the field and the hash only; a hostile request id
// cannot end the comment.
func TestQueryTagsInPgStatActivity(t *testing.T) {
	project := limitsProject(t, `"query_tags": {"format": "standard", "omit_request_id": false},`)
	srv := e2e.StartT(t, project, map[string]string{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "50"})
	hash := `[0-9a-f]{40}`

	t.Run("query", func(t *testing.T) {
		status, resp := post(t, srv.URL+"/v1/graphql", `{"query": "query Items { item(order_by: {id: asc}) { id } }"}`, map[string]string{"X-Request-Id": "req-query-1"})
		if status != 200 || !equalJSON(resp, itemsOK) {
			t.Fatalf("%d %s", status, resp)
		}
		got := lastStatements(t, project.DatabaseURL, "%request_id=req-query-1,%")
		want := regexp.MustCompile(`^SELECT .* /\* request_id=req-query-1, field_name=item, parameterized_query_hash=` + hash + `, operation_name=Items \*/$`)
		if len(got) != 1 || !want.MatchString(strings.ReplaceAll(got[0], "\n", " ")) {
			t.Fatalf("pg_stat_activity: %q", got)
		}
	})
	t.Run("mutation", func(t *testing.T) {
		status, resp := post(t, srv.URL+"/v1/graphql", `{"query": "mutation AddItem { insert_item_one(object: {id: 3, owner: 1}) { id } }"}`, map[string]string{"X-Request-Id": "req-mutation-1"})
		if status != 200 || resp != `{"data":{"insert_item_one":{"id":3}}}` {
			t.Fatalf("%d %s", status, resp)
		}
		got := lastStatements(t, project.DatabaseURL, "%request_id=req-mutation-1,%")
		want := regexp.MustCompile(` /\* request_id=req-mutation-1, field_name=insert_item_one, parameterized_query_hash=` + hash + `, operation_name=AddItem \*/$`)
		if len(got) != 1 || !want.MatchString(got[0]) || !strings.Contains(got[0], "INSERT") {
			t.Fatalf("pg_stat_activity: %q", got)
		}
	})
	t.Run("hostile request id", func(t *testing.T) {
		status, resp := post(t, srv.URL+"/v1/graphql", `{"query": "{ item(order_by: {id: asc}) { id } }"}`, map[string]string{"X-Request-Id": "x */ UNION SELECT 1 /*"})
		if status != 200 || !equalJSON(resp, `{"data":{"item":[{"id":1},{"id":2},{"id":3}]}}`) {
			t.Fatalf("%d %s", status, resp)
		}
		got := lastStatements(t, project.DatabaseURL, "%request_id=x%20%2A%2F%20UNION%")
		if len(got) != 1 || strings.Count(got[0], "*/") != 1 {
			t.Fatalf("pg_stat_activity: %q", got)
		}
	})
	t.Run("live query", func(t *testing.T) {
		c := dial(t, srv.URL, protoNew, nil)
		c.init(map[string]any{})
		c.subscribe("1", `subscription Watch { watched: item(where: {id: {_eq: 1}}) { id } }`, nil)
		c.data("1")
		want := regexp.MustCompile(` /\* field_name=watched, parameterized_query_hash=` + hash + ` \*/$`)
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := lastStatements(t, project.DatabaseURL, "%field_name=watched%")
			if len(got) > 0 {
				if !want.MatchString(got[0]) || strings.Contains(got[0], "request_id") {
					t.Fatalf("pg_stat_activity: %q", got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the live query's statement is not seen in pg_stat_activity")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// tagsEngine is the engine of the rate limit tests' project with query
// tags, in process, on a pool whose statements a tracer records.
func tagsEngine(t testing.TB, tags *engine.QueryTags) (*engine.Engine, *pgxpool.Pool, *sqlTracer) {
	t.Helper()
	dir := t.TempDir()
	sqlFile, config := filepath.Join(dir, "schema.sql"), filepath.Join(dir, "metadata.json")
	os.WriteFile(sqlFile, []byte(limitsSQL), 0o644)
	os.WriteFile(config, []byte(limitsMetadata("")), 0o644)
	url := pgtest.NewDatabase(t, sqlFile)
	p, err := generate.LoadProject(context.Background(), generate.Options{DatabaseURL: url, Config: config})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QueryTags = tags
	tr := &sqlTracer{}
	pool := newPool(t, url, tr)
	e, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	return e, pool, tr
}

// TestQueryTagsFormats: each format and omit_request_id, seen by a
// tracer on the pool: the comment Hasura writes, the same text for every
// request when the request id is left out.
func TestQueryTagsFormats(t *testing.T) {
	hash := `[0-9a-f]{40}`
	cases := []struct {
		name string
		tags *engine.QueryTags
		want string // a regexp of the statement's end
	}{
		{"off", nil, `[^/]$`},
		{"standard", &engine.QueryTags{Format: engine.TagsStandard},
			` /\* field_name=first, parameterized_query_hash=` + hash + `, operation_name=Two \*/$`},
		{"standard with request id", &engine.QueryTags{Format: engine.TagsStandard, RequestID: true},
			` /\* request_id=rid-7, field_name=first, parameterized_query_hash=` + hash + `, operation_name=Two \*/$`},
		{"sqlcommenter with request id", &engine.QueryTags{Format: engine.TagsSQLCommenter, RequestID: true},
			` /\* field_name='first',operation_name='Two',parameterized_query_hash='` + hash + `',request_id='rid-7' \*/$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, pool, tr := tagsEngine(t, c.tags)
			ctx := logs.WithRequestID(context.Background(), "rid-7")
			// Two root fields: a pipelined batch.
			req := &wire.Request{Query: `query Two { first: item(where: {id: {_eq: 1}}) { id } second: item(where: {id: {_eq: 2}}) { id } }`}
			for range 2 {
				p, err := e.Prepare(ctx, &session.Session{Role: "admin"}, req)
				if err != nil {
					t.Fatal(err)
				}
				out, err := e.Run(ctx, pool, p, nil)
				if err != nil || string(out) != `{"data":{"first":[{"id":1}],"second":[{"id":2}]}}` {
					t.Fatalf("%s %v", out, err)
				}
			}
			sqls := tr.take()
			if len(sqls) != 4 {
				t.Fatalf("%d statements: %q", len(sqls), sqls)
			}
			want := regexp.MustCompile(c.want)
			if !want.MatchString(sqls[0]) || c.tags == nil && strings.Contains(sqls[0], "field_name") {
				t.Errorf("the first field's statement ends:\n%s\nwant %s", tail(sqls[0]), c.want)
			}
			if c.tags != nil && !strings.Contains(sqls[1], "field_name=second") && !strings.Contains(sqls[1], "field_name='second'") {
				t.Errorf("the second field's statement: %s", tail(sqls[1]))
			}
			if c.tags != nil && sqls[0] != sqls[2] {
				t.Errorf("two requests, two texts:\n%s\n%s", tail(sqls[0]), tail(sqls[2]))
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 160 {
		return "..." + s[len(s)-160:]
	}
	return s
}

// BenchmarkQueryTags measures what query tags cost a query of one root
// field (one statement) and of two (a pipelined batch): off; on without
// the request id (the comment is in the cached plan's SQL, the statement
// prepared once); on with it (the text is new per request: pgx prepares
// each statement). The modes take turns within each iteration, so that
// they share the machine's load; each is reported as its own µs/op
// metric. "lone statement, unique text" compares the two ways to run a
// statement whose text is new each time: through pgx's statement cache
// (what hasgen does) or on the unnamed statement (describe-exec).
func BenchmarkQueryTags(b *testing.B) {
	queries := []struct{ name, query string }{
		{"one field", `query One { item(where: {id: {_eq: 1}}) { id } }`},
		{"two fields", `query Two { first: item(where: {id: {_eq: 1}}) { id } second: item(where: {id: {_eq: 2}}) { id } }`},
	}
	modes := []struct {
		name string
		tags *engine.QueryTags
	}{
		{"off", nil},
		{"tags", &engine.QueryTags{Format: engine.TagsStandard}},
		{"tags+request_id", &engine.QueryTags{Format: engine.TagsStandard, RequestID: true}},
	}
	type runner struct {
		e    *engine.Engine
		pool *pgxpool.Pool
	}
	runners := make([]runner, len(modes))
	for i, m := range modes {
		e, pool, _ := tagsEngine(b, m.tags)
		runners[i] = runner{e, pool}
	}
	s := &session.Session{Role: "admin"}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			req := &wire.Request{Query: q.query}
			spent := make([]time.Duration, len(modes))
			n := 0
			for b.Loop() {
				n++
				for i, r := range runners {
					ctx := logs.WithRequestID(context.Background(), "req-"+strconv.Itoa(n))
					start := time.Now()
					p, err := r.e.Prepare(ctx, s, req)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := r.e.Run(ctx, r.pool, p, nil); err != nil {
						b.Fatal(err)
					}
					spent[i] += time.Since(start)
				}
			}
			for i, m := range modes {
				b.ReportMetric(float64(spent[i].Microseconds())/float64(n), m.name+"-µs/op")
			}
		})
	}
	b.Run("lone statement, unique text", func(b *testing.B) {
		const sql = `SELECT coalesce(json_agg(json_build_object('id', id)), '[]') FROM item WHERE id = $1`
		pool := runners[0].pool
		var cache, describe time.Duration
		n := 0
		for b.Loop() {
			n++
			var out []byte
			start := time.Now()
			if err := pool.QueryRow(context.Background(), sql+" /* request_id=c-"+strconv.Itoa(n)+" */", 1).Scan(&out); err != nil {
				b.Fatal(err)
			}
			cache += time.Since(start)
			start = time.Now()
			if err := pool.QueryRow(context.Background(), sql+" /* request_id=d-"+strconv.Itoa(n)+" */", pgx.QueryExecModeDescribeExec, 1).Scan(&out); err != nil {
				b.Fatal(err)
			}
			describe += time.Since(start)
		}
		b.ReportMetric(float64(cache.Microseconds())/float64(n), "cache-µs/op")
		b.ReportMetric(float64(describe.Microseconds())/float64(n), "describe-exec-µs/op")
	})
}
