package transport

// The response cache of @cached queries over HTTP (runtime/cache holds
// the entries): a query whose key is stored is answered with the stored
// bytes, Postgres untouched; otherwise it runs and its response is
// stored. Either way the response carries Hasura's Cache-Control,
// X-Hasura-Query-Cache-Key and X-Hasura-Query-Family-Cache-Key; a
// response that could not be stored carries Hasura's Warning instead.
// Batches are cached per operation, without headers, as Hasura answers
// a batch without them; so are queries over websockets, which have none.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Cache response headers, Hasura's names.
const (
	HeaderCacheKey       = "X-Hasura-Query-Cache-Key"
	HeaderFamilyCacheKey = "X-Hasura-Query-Family-Cache-Key"
)

// runCached answers a prepared query marked @cached: from c, or by
// running it (RunRouted: on a read replica of reads unless primary, else
// on db) and storing the response. hdr, when not nil, receives the cache
// headers; ql, when not nil, the query-log line (Hasura's kind "cached"
// for a hit).
func runCached(ctx context.Context, c *cache.Cache, e *engine.Engine, db engine.DBTX, reads *replica.Set, primary bool, p *engine.Prepared, cd engine.CacheDirective, dst []byte, hdr http.Header, ql *logs.Logger) ([]byte, error) {
	ttl := c.TTL(cd.TTL)
	if ttl <= 0 {
		// Nothing would be kept: run it as any query.
		LogQuery(ctx, ql, p)
		return RunRouted(ctx, e, db, reads, primary, p, dst)
	}
	k := cacheKey(ctx, e, p)
	if !cd.Refresh {
		if ent, ok := c.Get(ctx, k); ok {
			logCachedQuery(ctx, ql, p)
			setCacheHeaders(hdr, k, ent.Expires)
			return append(dst, ent.Body...), nil
		}
	}
	LogQuery(ctx, ql, p)
	start := len(dst)
	dst, err := RunRouted(ctx, e, db, reads, primary, p, dst)
	if err != nil {
		return dst, err
	}
	outcome, expires := c.Put(ctx, k, dst[start:], ttl)
	if outcome == cache.Stored {
		setCacheHeaders(hdr, k, expires)
	} else if hdr != nil {
		hdr.Set("Warning", outcome.Warning())
	}
	return dst, nil
}

// cacheKey is the request's key: role, the session variables its answer
// depends on, the document (whitespace aside), the operation name and
// the declared variables' values; and for a query some of whose fields
// are not answered by SQL alone, every session variable and the
// request's headers, as Hasura keys a remote schema's or action's
// forwarded headers.
func cacheKey(ctx context.Context, e *engine.Engine, p *engine.Prepared) cache.Key {
	vars, whole := e.CacheSession(p)
	kp := cache.KeyParts{
		Role:          p.Session.Role,
		OperationName: p.Request.OperationName,
		Query:         p.CacheText(),
		Session:       vars,
		Variables:     p.CacheVariables(),
	}
	if whole {
		// Every transport notes them for actions; remote schemas' are
		// the same headers where set.
		hdrs := actions.ClientHeaders(ctx)
		if hdrs == nil {
			hdrs = remote.ClientHeaders(ctx)
		}
		for name, vs := range hdrs {
			if unkeyedHeaders[name] {
				continue
			}
			for _, v := range vs {
				kp.Headers = append(kp.Headers, name+": "+v)
			}
		}
		slices.Sort(kp.Headers)
	}
	return cache.MakeKey(kp)
}

// unkeyedHeaders differ between requests that ask the same: Hasura
// leaves x-request-id out of the key; the rest are the transport's.
var unkeyedHeaders = map[string]bool{
	"X-Request-Id": true, "Content-Length": true, "Connection": true, "Keep-Alive": true,
	"Traceparent": true, "Tracestate": true,
}

// setCacheHeaders writes Hasura's cache headers: the keys, and the
// seconds the entry has left.
func setCacheHeaders(hdr http.Header, k cache.Key, expires time.Time) {
	if hdr == nil {
		return
	}
	left := int64(time.Until(expires) / time.Second)
	if left < 0 {
		left = 0
	}
	hdr.Set("Cache-Control", "max-age="+strconv.FormatInt(left, 10))
	hdr.Set(HeaderCacheKey, k.Key)
	hdr.Set(HeaderFamilyCacheKey, k.Family)
}

// logCachedQuery writes the query-log line of a query answered from the
// cache: Hasura's kind "cached", no SQL.
func logCachedQuery(ctx context.Context, l *logs.Logger, p *engine.Prepared) {
	if !l.Enabled(logs.Query, logs.Info) {
		return
	}
	l.Log(logs.Query, logs.Info, &queryLog{Query: p.Request, RequestID: logs.RequestIDFrom(ctx), Kind: "cached"})
}

// CacheClearPath is Hasura's endpoint that clears the response cache.
const CacheClearPath = "/pro/cache/clear"

// CacheClearHandler serves POST /pro/cache/clear as Hasura does: every
// entry, or ?key= one key, or ?family= one family; admin only. It
// answers {"clearedItemCount": "<n>", "message": "success"}.
func CacheClearHandler(c *cache.Cache, authn *auth.Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeJSONStatus(w, http.StatusMethodNotAllowed, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "only POST is supported on this endpoint"}))
			return
		}
		s, err := authn.Authenticate(r.Context(), r.Header)
		if err != nil {
			writeJSONStatus(w, AlphaStatus(wire.First(err)), wire.AppendErrors(nil, err))
			return
		}
		if !s.IsAdmin() {
			writeJSONStatus(w, http.StatusBadRequest, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeAccessDenied, Path: "$", Message: "restricted access : admin only"}))
			return
		}
		q := r.URL.Query()
		n, err := c.Clear(r.Context(), q.Get("key"), q.Get("family"))
		if err != nil {
			writeJSONStatus(w, http.StatusInternalServerError, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "the response cache could not be cleared: " + err.Error(), Err: err}))
			return
		}
		b, _ := json.Marshal(map[string]string{"clearedItemCount": strconv.Itoa(n), "message": "success"})
		writeJSONStatus(w, http.StatusOK, b)
	})
}
