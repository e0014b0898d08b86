package runtime_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/transport"
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
