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

// TestCachedActionKeysWholeRequest: an action's handler receives every
// session variable (and, with forward_client_headers, the headers), so
// a @cached query with an action field is keyed over all of them: the
// same request is answered from the cache, another user or another
// header calls the handler again.
func TestCachedActionKeysWholeRequest(t *testing.T) {
	hs := newActionHandlers(t)
	e := newActionsEngine(t, hs)
	authn, err := auth.New(context.Background(), auth.Config{AdminSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	h := &transport.Handler{Engine: e.Engine, Auth: authn, DB: e.pool, Cache: cache.New(cache.NewMemory(1<<20), cache.Config{MaxTTL: time.Hour})}
	ask := func(userID, tag string) (string, http.Header) {
		req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(`{"query":"query Who @cached { whoami { id name } }"}`))
		req.Header.Set("X-Hasura-Admin-Secret", "s")
		req.Header.Set("X-Hasura-Role", "user")
		req.Header.Set("X-Hasura-User-Id", userID)
		if tag != "" {
			req.Header.Set("X-Client-Tag", tag)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"whoami":[{"id":1,"name":"a"}`) {
			t.Fatalf("%d %s", w.Code, w.Body.String())
		}
		return w.Body.String(), w.Header()
	}
	for _, tc := range []struct {
		name, user, tag string
		calls           int
	}{
		{"first", "1", "", 1},
		{"same user, same headers: cached", "1", "", 0},
		{"another user", "2", "", 1},
		{"another header", "1", "x", 1},
		{"that header again: cached", "1", "x", 0},
	} {
		_, hdr := ask(tc.user, tc.tag)
		if got := len(hs.take()); got != tc.calls {
			t.Errorf("%s: the handler was called %d times, want %d", tc.name, got, tc.calls)
		}
		if hdr.Get("X-Hasura-Query-Cache-Key") == "" {
			t.Errorf("%s: no cache key header", tc.name)
		}
	}
}
