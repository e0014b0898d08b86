package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/hasgen/hasgen/runtime/transport"
)

// BenchmarkHandlerByPKCache is BenchmarkHandlerByPK on one engine and
// database, by handlers without and with the response cache: a query
// without @cached by both (the cost the cache adds to every other
// query), and the same query with @cached, answered from the in-process
// cache.
func BenchmarkHandlerByPKCache(b *testing.B) {
	e := newTestEngine(b, "chinook-bench", chinookConfig, false)
	auth, err := auth.New(context.Background(), auth.Config{AdminSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	c := cache.New(cache.NewMemory(100<<20), cache.Config{MaxTTL: time.Hour})
	without := &transport.Handler{Engine: e.Engine, Auth: auth, DB: e.pool}
	with := &transport.Handler{Engine: e.Engine, Auth: auth, DB: e.pool, Cache: c}
	const plain, cached = `{"query":"query AlbumByPK { albums_by_pk(id: 1) { id title } }"}`, `{"query":"query AlbumByPK @cached { albums_by_pk(id: 1) { id title } }"}`
	for _, tc := range []struct {
		name, body string
		h          *transport.Handler
	}{
		{"no-cache", plain, without},
		{"cache-uncached-query", plain, with},
		{"cache-cached-query", cached, with},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(tc.body))
				req.Header.Set("X-Hasura-Admin-Secret", "s")
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
