package transport

// The HTTP transport of /v1/graphql: Hasura's wire format. A request is a
// JSON object {query, variables, operationName}, or an array of them (a
// batch, answered with an array); or a GET with the same parameters in
// the URL (graphqlhttp.go). Every application/json answer is HTTP 200
// (but on /v1alpha1/graphql: alpha.go; and with the GraphQL-over-HTTP
// media type: graphqlhttp.go); errors are {"errors": [...]} without a
// "data" key. The session comes from the
// authenticator; the engine prepares and runs the request.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/ratelimit"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxBody is the largest request body (and websocket message) accepted.
const maxBody = 16 << 20

// Handler serves GraphQL over HTTP POST.
type Handler struct {
	Engine *engine.Engine
	Auth   *auth.Authenticator
	// DB is what requests run on: the server's pool (the primary).
	DB engine.DBTX
	// Reads, when set, runs queries on the read replicas (replica.Set):
	// round robin over the healthy ones, again on the next one (or DB)
	// when a replica's connection fails. Mutations, and the operations
	// after a mutation in a batch, run on DB.
	Reads *replica.Set
	Log   *slog.Logger
	// BodyTimeout bounds the time to read a request's body; 0 is none.
	BodyTimeout time.Duration
	// Alpha answers as Hasura's /v1alpha1/graphql does: a request that
	// fails gets its error's HTTP status (alpha.go) instead of 200.
	Alpha bool
	// Strict follows the GraphQL-over-HTTP spec under application/json
	// too (graphqlhttp.go): 400 for a request that is not well-formed, 415
	// for a POST that is not application/json.
	Strict bool
	// Logs receives the http-log and query-log lines (log.go); nil
	// writes none.
	Logs *logs.Logger
	// Cache holds the responses of @cached queries (cache.go); nil runs
	// them uncached.
	Cache *cache.Cache
	// RateLimit counts each operation, those of a batch one by one
	// (api_limits.rate_limit); nil is no limit.
	RateLimit *ratelimit.Limiter
}

// clientIPKey carries a request's address for the IP rate limits.
type clientIPKey struct{}

// withClientIP notes r's client address in ctx when rate limits apply.
func (h *Handler) withClientIP(ctx context.Context, r *http.Request) context.Context {
	if h.RateLimit == nil {
		return ctx
	}
	return context.WithValue(ctx, clientIPKey{}, ratelimit.ClientIP(r.Header.Get("X-Real-IP"), r.Header.Get("X-Forwarded-For"), r.RemoteAddr))
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// respPool holds response buffers; one large response makes its buffer
// large for the requests after it, which is what a server of large
// results wants.
var respPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// serveHTTP answers a request (ServeHTTP, in log.go, logs it).
func (h *Handler) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.logger().Error("panic serving request", "panic", p, "stack", string(debug.Stack()))
			h.writeError(w, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "internal error"})
		}
	}()
	m := negotiate(r.Header.Values("Accept"))
	if r.Method == http.MethodGet {
		h.serveGET(w, r, m)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeJSONStatus(w, http.StatusMethodNotAllowed, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "only GET and POST are supported on this endpoint"}))
		return
	}
	if h.Strict && !isJSON(r.Header.Get("Content-Type")) {
		m.write(w, http.StatusUnsupportedMediaType, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeBadRequest, Path: "$",
			Message: "the request body must be application/json"}))
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	// The read time is for the http-log line: without it, no clock read.
	var readStart time.Time
	if _, logged := w.(*logWriter); logged {
		readStart = time.Now()
	}
	rc := http.NewResponseController(w)
	if h.BodyTimeout > 0 {
		// A client sending its body a byte at a time holds a connection
		// and a goroutine only this long.
		rc.SetReadDeadline(time.Now().Add(h.BodyTimeout))
	}
	// net/http's body of a request with a Content-Length ends there: the
	// limit only needs a reader of its own for a body of unknown length.
	var rd io.Reader = r.Body
	if r.ContentLength < 0 || r.ContentLength > maxBody {
		rd = io.LimitReader(r.Body, maxBody+1)
	}
	if _, err := buf.ReadFrom(rd); err != nil {
		w.Header().Set("Connection", "close")
		h.writeBadRequest(w, m, &wire.Error{Code: wire.CodeInvalidJSON, Path: "$", Message: "could not read the request body", Err: err})
		return
	}
	if h.BodyTimeout > 0 {
		rc.SetReadDeadline(time.Time{}) // for the connection's next request
	}
	if buf.Len() > maxBody {
		h.writeBadRequest(w, m, &wire.Error{Code: wire.CodeInvalidJSON, Path: "$", Message: "the request body is too large"})
		return
	}
	noteBody(w, buf.Len(), readStart)
	body := bytes.TrimLeft(buf.Bytes(), " \t\r\n")
	actx := r.Context()
	if h.Auth.HookWantsRequest() {
		actx = auth.WithRequestBody(actx, body)
	}
	s, err := h.Auth.Authenticate(actx, r.Header)
	if err != nil {
		h.writeErrorAs(w, m, err)
		return
	}
	noteSession(w, s)
	ctx := actions.WithClientHeaders(session.With(r.Context(), s), r) // for forward_client_headers
	// Remote schemas with forward_client_headers forward them.
	ctx = remote.WithClientHeaders(ctx, r.Header)
	ctx = h.withClientIP(ctx, r)
	if len(body) > 0 && body[0] == '[' {
		reqs, err := wire.DecodeBatch(body)
		for i := range reqs {
			if err == nil {
				err = h.bareHash(&reqs[i])
			}
		}
		noteRequest(w, nil, true)
		if err != nil {
			h.writeBadRequest(w, m, err)
			return
		}
		if max := h.Engine.Limits(s.Role).Batch; max > 0 && len(reqs) > max {
			h.writeErrorAs(w, m, &wire.Error{Code: wire.CodeValidationFailed, Path: "$",
				Message: fmt.Sprintf("the batch has %d operations, over the batch limit of %d", len(reqs), max)})
			return
		}
		out := make([]byte, 0, 1024)
		out = append(out, '[')
		// Once a mutation of the batch ran, the operations after it read
		// the primary: a replica may not have its writes yet.
		wrote := false
		for i := range reqs {
			if i > 0 {
				out = append(out, ',')
			}
			out, _ = h.serve(ctx, s, &reqs[i], out, false, nil, &wrote)
			if max := h.Engine.MaxResponseSize(); max > 0 && len(out) > max {
				h.writeErrorAs(w, m, &wire.Error{Code: wire.CodeUnexpected, Path: "$",
					Message: fmt.Sprintf("the batch's response is larger than the limit of %d bytes", max)})
				return
			}
		}
		m.write(w, http.StatusOK, append(out, ']'))
		return
	}
	req, err := wire.DecodeRequest(body)
	if err == nil {
		err = h.bareHash(&req)
	}
	if err == nil && h.Strict {
		err = checkParams(body)
	}
	if err != nil {
		h.writeBadRequest(w, m, err)
		return
	}
	noteRequest(w, &req, false)
	out := respPool.Get().(*[]byte)
	*out, err = h.serve(ctx, s, &req, (*out)[:0], false, w.Header(), nil)
	noteError(w, err)
	m.write(w, h.statusAs(m, err), *out)
	if cap(*out) <= 16<<20 {
		respPool.Put(out)
	}
}

// serve prepares and runs one request, appending its response to dst,
// and returns the error it answered with, if any. The role's time limit
// runs from here, preparing included. hdr, when not nil, receives the
// response cache's headers. wrote, in a batch, says whether a mutation
// ran before (then a query runs on the primary) and is set when this one
// is a mutation.
func (h *Handler) serve(ctx context.Context, s *session.Session, req *wire.Request, dst []byte, get bool, hdr http.Header, wrote *bool) ([]byte, error) {
	if t := h.Engine.Limits(s.Role).Time; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	var p *engine.Prepared
	err := h.rateLimit(ctx, s)
	if err == nil {
		p, err = h.Engine.Prepare(ctx, s, req)
	}
	if err == nil && get && p.Operation != ast.Query {
		err = errGETMutation(p.Operation)
	}
	if err == nil {
		primary := p.Operation != ast.Query
		if wrote != nil {
			primary = primary || *wrote
			*wrote = *wrote || p.Operation == ast.Mutation
		}
		if cd, ok := p.Cached(); ok && h.Cache != nil {
			dst, err = runCached(ctx, h.Cache, h.Engine, h.DB, h.Reads, primary, p, cd, dst, hdr, h.Logs) // cache.go
		} else {
			LogQuery(ctx, h.Logs, p)
			dst, err = RunRouted(ctx, h.Engine, h.DB, h.Reads, primary, p, dst)
		}
	}
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.CodeUnexpected && we.Err != nil {
			// The client is told little; the operator needs the cause.
			h.logger().Error("unexpected error", "role", s.Role, "error", we.Err)
		}
		return wire.AppendErrors(dst, err), err
	}
	return dst, nil
}

// RunRouted runs p with engine.Run: on db (the primary) when primary is
// true or reads is nil, else on a read replica of reads, round robin, and
// again on the next healthy one, then on the primary, when the replica's
// connection fails (the replica is then out of rotation until its health
// check passes). A failed run leaves dst as it was, so running again is
// safe; a query's statements only read.
func RunRouted(ctx context.Context, e *engine.Engine, db engine.DBTX, reads *replica.Set, primary bool, p *engine.Prepared, dst []byte) ([]byte, error) {
	if primary || reads == nil {
		return e.Run(ctx, db, p, dst)
	}
	for attempt := 0; ; attempt++ {
		pool, r := reads.Read(attempt)
		var rdb engine.DBTX = pool
		if r == nil {
			rdb = db
		}
		out, err := e.Run(ctx, rdb, p, dst)
		if !reads.Failed(ctx, r, err) {
			return out, err
		}
	}
}

// rateLimit counts one operation of s against its rate limit.
func (h *Handler) rateLimit(ctx context.Context, s *session.Session) error {
	if h.RateLimit == nil {
		return nil
	}
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return h.RateLimit.Allow(ctx, s, ip)
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// contentTypeJSON is the Content-Type of a JSON response: one slice for
// every response (net/http only reads it), not one each.
var contentTypeJSON = []string{"application/json; charset=utf-8"}

func writeJSONStatus(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON[:1:1]
	w.WriteHeader(status)
	w.Write(b)
}

// Endpoint serves /v1/graphql: websocket upgrades to ws, everything else
// to plain.
func Endpoint(plain, ws http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			ws.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
}

// bareHash refuses a request that sends only a persisted-query hash, as a
// request without a query, when persisted queries are off (Hasura's
// answer); the engine answers it otherwise (engine/persisted.go).
func (h *Handler) bareHash(req *wire.Request) error {
	if req.NoQuery && h.Engine.PersistedQueries() == engine.PersistedOff {
		return wire.ErrNoQuery()
	}
	return nil
}
