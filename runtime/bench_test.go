package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/hasgen/hasgen/runtime/wire"
)

// BenchmarkHandlerByPK is the whole HTTP handler for graphql-bench's
// AlbumByPK, in process, with the database round trip included.
func BenchmarkHandlerByPK(b *testing.B) {
	e := newTestEngine(b, "chinook-bench", chinookConfig, false)
	auth, err := auth.New(context.Background(), auth.Config{AdminSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	h := &transport.Handler{Engine: e.Engine, Auth: auth, DB: e.pool}
	body := `{"query":"query AlbumByPK { albums_by_pk(id: 1) { id title } }"}`
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", "s")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkRLS is graphql-bench's AlbumByPK run in process without and
// with engine.RLS (hasura.user and a database role set for the request's
// statements): the cost of defence in depth per request.
func BenchmarkRLS(b *testing.B) {
	for _, rls := range []*engine.RLS{nil, {}, {Role: "rls_bench"}} {
		name := "off"
		switch {
		case rls != nil && rls.Role == "":
			name = "hasura.user"
		case rls != nil:
			name = "hasura.user+role"
		}
		b.Run(name, func(b *testing.B) {
			e, pool := inProcessEngine(b, chinookFiles(b), chinookConfig, nil, func(cfg *engine.Config) { cfg.RLS = rls })
			ctx := context.Background()
			user := pool.Config().ConnConfig.User
			if _, err := pool.Exec(ctx, `DO $$ BEGIN CREATE ROLE rls_bench NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; GRANT SELECT ON ALL TABLES IN SCHEMA public TO rls_bench; GRANT rls_bench TO "`+user+`"`); err != nil {
				b.Fatal(err)
			}
			s := &session.Session{Role: session.AdminRole}
			req := &wire.Request{Query: `query AlbumByPK { albums_by_pk(id: 1) { id title } }`}
			var out []byte
			for b.Loop() {
				p, err := e.Prepare(ctx, s, req)
				if err == nil {
					out, err = e.Run(ctx, pool, p, out[:0])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
