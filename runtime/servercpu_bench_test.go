package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkServerCPU is the request path of runtime.NewServer's whole
// handler (CORS, gzip negotiation, metrics, request id, authentication,
// decoding, the prepared plan, the statement, the response) against a
// minimal pgx handler that runs the same statement with the same
// arguments and writes {"data":{key:json}}, as bench's raw pgx server
// does: the difference is the server's own cost per request. Each op is
// one request served in process with an httptest recorder; cpu-µs/op is
// the process's CPU time (user and system, GC included) per request,
// which the database's own work (another process) does not count in.
// Typename/hasgen runs no statement at all: the server's own work per
// request, with less noise than a database round trip leaves.
//
//	go test -run XXX -bench BenchmarkServerCPU ./runtime/
func BenchmarkServerCPU(b *testing.B) {
	ctx := context.Background()
	url := pgtest.NewDatabase(b, chinookFiles(b)...)
	const secret = "bench-secret"
	srv := benchServer(b, url, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASGEN_LOG_LEVEL": "warn"})
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	cases := []struct {
		name, query, role string
		session           map[string]string
	}{
		{"AlbumByPK", `query AlbumByPK { albums_by_pk(id: 1) { id title } }`, "admin", nil},
		{"SearchAlbumsWithArtist", `query SearchAlbumsWithArtist { albums(where: {title: {_like: "%Rock%"}}) { id title artist { name id } } }`, "admin", nil},
		{"CustomerInvoicesRole", `query CustomerInvoicesRole { customers { id first_name invoices(order_by: {id: asc}) { id total invoice_lines { quantity track { name } } } } }`, "customer", map[string]string{"x-hasura-user-id": "2"}},
	}
	// No statement: what the server does per request besides the
	// database, measured with less noise than a round trip allows.
	b.Run("Typename/hasgen", func(b *testing.B) {
		body := `{"query":"query Typename { __typename }"}`
		header := http.Header{"Content-Type": {"application/json"}, "X-Hasura-Admin-Secret": {secret}}
		if got := serveOnce(b, srv.Handler, body, header); got != `{"data":{"__typename":"query_root"}}` {
			b.Fatal(got)
		}
		b.ReportAllocs()
		before := cpuTime()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			serveOnce(b, srv.Handler, body, header)
		}
		b.StopTimer()
		b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
	})
	for _, c := range cases {
		body := `{"query":` + string(logs.AppendString(nil, c.query)) + `}`
		header := http.Header{}
		header.Set("Content-Type", "application/json")
		header.Set("X-Hasura-Admin-Secret", secret)
		if c.role != "admin" {
			header.Set("X-Hasura-Role", c.role)
			for k, v := range c.session {
				header.Set(k, v)
			}
		}
		// The raw handler runs the statement hasgen compiled, with its
		// arguments: the same bytes come back.
		s := &session.Session{Role: c.role, Vars: map[string]string{"x-hasura-role": c.role}}
		for k, v := range c.session {
			s.Vars[k] = v
		}
		p, err := srv.Engine.Prepare(ctx, s, &wire.Request{Query: c.query})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Plan.Fields) != 1 {
			b.Fatalf("%s: %d fields", c.name, len(p.Plan.Fields))
		}
		f := p.Plan.Fields[0]
		args, err := p.Bind(f.Params)
		if err != nil {
			b.Fatal(err)
		}
		raw := rawHandler(pool, f.Key, f.SQL, args)
		want := serveOnce(b, raw, body, header)
		if got := serveOnce(b, srv.Handler, body, header); got != want {
			b.Fatalf("%s: hasgen answers\n%s\nraw pgx\n%s", c.name, got, want)
		}
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"raw", raw}, {"hasgen", srv.Handler}} {
			b.Run(c.name+"/"+h.name, func(b *testing.B) {
				b.ReportAllocs()
				before := cpuTime()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					serveOnce(b, h.h, body, header)
				}
				b.StopTimer()
				b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// serveOnce serves one POST /v1/graphql and returns the response body.
// As under net/http, the request's context can be cancelled (pgx then
// watches it) and the response can set a read deadline.
func serveOnce(b *testing.B, h http.Handler, body string, header http.Header) string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/graphql", strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(deadlineRecorder{w}, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// deadlineRecorder is a recorder whose read deadline can be set, as a
// net/http response's can (http.ResponseController finds the method).
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetReadDeadline(time.Time) error { return nil }

// rawHandler is bench's raw pgx server for one statement.
func rawHandler(pool *pgxpool.Pool, key, sql string, args []any) http.Handler {
	prefix := []byte(`{"data":{"` + key + `":`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rows, err := pool.Query(r.Context(), sql, args...)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := append([]byte(nil), prefix...)
		if rows.Next() {
			if v := rows.RawValues()[0]; v != nil {
				out = append(out, v...)
			} else {
				out = append(out, "null"...)
			}
		} else {
			out = append(out, "null"...)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out = append(out, "}}"...)
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer is runtime.NewServer over graphql-bench's Chinook at dbURL,
// configured from env, as bench builds and runs it.
func benchServer(b *testing.B, dbURL string, env map[string]string) *runtime.Server {
	ctx := context.Background()
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: dbURL, Config: filepath.Join(repoRoot(b), chinookConfig)})
	if err != nil {
		b.Fatal(err)
	}
	ec, err := templates.EngineConfig(p)
	if err != nil {
		b.Fatal(err)
	}
	all := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL, "HASURA_GRAPHQL_PG_CONNECTIONS": "32"}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := runtime.ConfigFromEnv(nil, func(k string) string { return all[k] })
	if err != nil {
		b.Fatal(err)
	}
	files := fstest.MapFS{}
	for role, sdl := range ec.SDL {
		name := "roles/" + role + ".graphqls"
		if role == "admin" {
			name = "full.graphqls"
		}
		files[name] = &fstest.MapFile{Data: sdl}
	}
	srv, err := runtime.NewServer(ctx, cfg, runtime.Project{Tables: ec.Tables, Schemas: files}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	})
	return srv
}
