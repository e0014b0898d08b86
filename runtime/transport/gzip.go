package transport

// Response compression as Hasura does it (Hasura.Server.Compression):
// when the request's Accept-Encoding lists gzip, a GraphQL response is
// gzipped at the fastest level (Hasura's compressLevel 1) and sent with
// Content-Encoding: gzip.

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// varyAcceptEncoding is the Vary value of every response Gzip serves.
var varyAcceptEncoding = []string{"Accept-Encoding"}

// addHeader adds the value of vs, a shared one-value slice that is never
// written to, to h's values for the canonical key: without allocating
// when h has none yet, as h.Add would. A slice of full capacity is copied
// by the next append, so sharing it is safe.
func addHeader(h http.Header, key string, vs []string) {
	if old := h[key]; len(old) > 0 {
		h[key] = append(old, vs...)
		return
	}
	h[key] = vs[:len(vs):len(vs)]
}

// Gzip compresses next's responses for clients that accept gzip.
func Gzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgrade := websocket.IsWebSocketUpgrade(r)
		if !upgrade {
			addHeader(w.Header(), "Vary", varyAcceptEncoding)
		}
		if upgrade || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reports whether the Accept-Encoding values list gzip (with
// a q-value other than 0).
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// gzipWriter compresses what is written to it. Nothing is compressed for
// a response without a body (204, 304).
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	started bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.started {
		return
	}
	g.started = true
	if status != http.StatusNoContent && status != http.StatusNotModified && g.Header().Get("Content-Encoding") == "" {
		h := g.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		g.gz = gzipPool.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	if g.gz == nil {
		return g.ResponseWriter.Write(b)
	}
	return g.gz.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines).
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(nil)
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}
