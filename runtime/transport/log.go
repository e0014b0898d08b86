package transport

// The HTTP transport's logs: every request gets a request id (the
// client's x-request-id or a new one), sent back in the x-request-id
// response header, and, when enabled, Hasura's http-log line and, for
// queries, its query-log line with the generated SQL. The state of a
// request's log line rides on its ResponseWriter (logWriter), so that the
// handler's many answering paths need no change to be logged.

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// logWriter records what a request's http-log line needs.
type logWriter struct {
	http.ResponseWriter
	status  int
	size    int
	err     error
	session *session.Session
	req     *wire.Request
	batch   bool
	reqSize int
	read    time.Duration
}

var logWriterPool = sync.Pool{New: func() any { return new(logWriter) }}

// Unwrap lets http.ResponseController reach the connection.
func (lw *logWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

func (lw *logWriter) WriteHeader(status int) {
	lw.status = status
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *logWriter) Write(b []byte) (int, error) {
	if lw.status == 0 {
		lw.status = http.StatusOK
	}
	n, err := lw.ResponseWriter.Write(b)
	lw.size += n
	return n, err
}

// noteSession, noteRequest, noteError and noteBody record a request's
// parts for its log line; without logging they do nothing.
func noteSession(w http.ResponseWriter, s *session.Session) {
	if lw, ok := w.(*logWriter); ok {
		lw.session = s
	}
}

func noteRequest(w http.ResponseWriter, req *wire.Request, batch bool) {
	if lw, ok := w.(*logWriter); ok {
		lw.req, lw.batch = req, batch
	}
}

func noteError(w http.ResponseWriter, err error) {
	if lw, ok := w.(*logWriter); ok && err != nil {
		lw.err = err
	}
}

func noteBody(w http.ResponseWriter, size int, readStart time.Time) {
	if lw, ok := w.(*logWriter); ok {
		lw.reqSize, lw.read = size, time.Since(readStart)
	}
}

// ServeHTTP implements http.Handler: the request id, then the request
// (serveHTTP), then its http-log line.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var id string
	if vs := r.Header[logs.RequestIDHeader]; len(vs) > 0 && vs[0] != "" {
		// The client's id, sent back without allocating.
		id = vs[0]
		w.Header()[logs.RequestIDHeader] = vs[:1:1]
	} else {
		id = logs.NewID()
		w.Header()[logs.RequestIDHeader] = []string{id}
	}
	httpLog := h.Logs.Enabled(logs.HTTP, logs.Info)
	if h.Logs.Enabled(logs.Query, logs.Info) || h.Engine.WantsRequestID() {
		// The query-log line and the query tags carry it.
		r = r.WithContext(logs.WithRequestID(r.Context(), id))
	}
	if !httpLog {
		h.serveHTTP(w, r)
		return
	}
	start := time.Now()
	lw := logWriterPool.Get().(*logWriter)
	*lw = logWriter{ResponseWriter: w}
	h.serveHTTP(lw, r)
	h.logHTTP(r, id, lw, time.Since(start))
	*lw = logWriter{}
	logWriterPool.Put(lw)
}

// httpLog is the detail of an http-log line (Hasura's HttpLogContext).
type httpLog struct {
	Operation operationLog `json:"operation"`
	RequestID string       `json:"request_id"`
	HTTPInfo  httpInfo     `json:"http_info"`
}

type operationLog struct {
	QueryExecutionTime float64           `json:"query_execution_time"`
	UserVars           map[string]string `json:"user_vars"`
	RequestID          string            `json:"request_id"`
	ResponseSize       int               `json:"response_size"`
	RequestSize        int               `json:"request_size"`
	RequestReadTime    float64           `json:"request_read_time"`
	RequestMode        string            `json:"request_mode"`
	Error              *errorLog         `json:"error"`
	// Query is the GraphQL request, only on error (Hasura logs it then).
	Query *wire.Request `json:"query"`
}

// errorLog is Hasura's QErr JSON.
type errorLog struct {
	Path  string `json:"path"`
	Error string `json:"error"`
	Code  string `json:"code"`
}

type httpInfo struct {
	Status      int    `json:"status"`
	HTTPVersion string `json:"http_version"`
	URL         string `json:"url"`
	IP          string `json:"ip"`
	Method      string `json:"method"`
}

func (h *Handler) logHTTP(r *http.Request, id string, lw *logWriter, took time.Duration) {
	if lw.err == nil {
		// The common case, encoded by hand: reflection would cost more
		// than the rest of the line.
		h.logHTTPFast(r, id, lw, took)
		return
	}
	op := operationLog{
		QueryExecutionTime: (took - lw.read).Seconds(), RequestID: id, ResponseSize: lw.size,
		RequestSize: lw.reqSize, RequestReadTime: lw.read.Seconds(), RequestMode: "single",
	}
	if lw.batch {
		op.RequestMode = "batched"
	}
	if lw.session != nil {
		op.UserVars = lw.session.Vars
	}
	lv := logs.Info
	if lw.err != nil {
		op.Error = qerr(lw.err)
		op.Query = lw.req
		if op.Error.Code == wire.CodeUnexpected {
			lv = logs.Error
		}
	}
	status := lw.status
	if status == 0 {
		status = http.StatusOK
	}
	h.Logs.Log(logs.HTTP, lv, &httpLog{Operation: op, RequestID: id, HTTPInfo: httpInfo{
		Status: status, HTTPVersion: r.Proto, URL: r.URL.RequestURI(), IP: clientIP(r), Method: r.Method,
	}})
}

func qerr(err error) *errorLog {
	var we *wire.Error
	if errors.As(err, &we) {
		return &errorLog{Path: we.Path, Error: we.Message, Code: we.Code}
	}
	return &errorLog{Path: "$", Error: err.Error(), Code: wire.CodeUnexpected}
}

// clientIP is the first X-Forwarded-For address, else the peer's, as
// Hasura reports the source of a request.
func clientIP(r *http.Request) string {
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		for i := 0; i < len(f); i++ {
			if f[i] == ',' {
				f = f[:i]
				break
			}
		}
		return trimSpace(f)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func trimSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// queryLog is the detail of a query-log line (Hasura's QueryLog):
// the request and, for a query, each root field's SQL and arguments.
type queryLog struct {
	Query        *wire.Request           `json:"query"`
	GeneratedSQL map[string]generatedSQL `json:"generated_sql"`
	RequestID    string                  `json:"request_id"`
	Kind         string                  `json:"kind"`
}

type generatedSQL struct {
	PreparedArguments []any  `json:"prepared_arguments"`
	Query             string `json:"query"`
}

// LogQuery writes the query-log line of a prepared request, when
// enabled: the SQL of its root fields for a query, null for a mutation
// or subscription (as Hasura).
func LogQuery(ctx context.Context, l *logs.Logger, p *engine.Prepared) {
	if !l.Enabled(logs.Query, logs.Info) {
		return
	}
	ql := &queryLog{Query: p.Request, RequestID: logs.RequestIDFrom(ctx), Kind: "database"}
	if p.Operation == ast.Query && p.Plan != nil {
		ql.GeneratedSQL = map[string]generatedSQL{}
		for _, f := range p.Plan.Fields {
			if f.SQL == "" {
				continue
			}
			args, err := p.Bind(f.Params)
			if err != nil {
				continue
			}
			for i, a := range args {
				// Bytes (JSON values) read better as text.
				if b, ok := a.([]byte); ok {
					if json.Valid(b) {
						args[i] = json.RawMessage(b)
					} else {
						args[i] = string(b)
					}
				}
			}
			ql.GeneratedSQL[f.Key] = generatedSQL{PreparedArguments: args, Query: f.SQL}
		}
	}
	l.Log(logs.Query, logs.Info, ql)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// logHTTPFast writes the http-log line of a request that succeeded: the
// same JSON as httpLog marshalled (keys in its order, user_vars sorted).
func (h *Handler) logHTTPFast(r *http.Request, id string, lw *logWriter, took time.Duration) {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"operation":{"query_execution_time":`...)
	b = appendFloat(b, (took - lw.read).Seconds())
	b = append(b, `,"user_vars":`...)
	if lw.session == nil || lw.session.Vars == nil {
		b = append(b, "null"...)
	} else {
		var arr [8]string
		keys := arr[:0]
		for k := range lw.session.Vars {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = logs.AppendString(b, k)
			b = append(b, ':')
			b = logs.AppendString(b, lw.session.Vars[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"request_id":`...)
	b = logs.AppendString(b, id)
	b = append(b, `,"response_size":`...)
	b = strconv.AppendInt(b, int64(lw.size), 10)
	b = append(b, `,"request_size":`...)
	b = strconv.AppendInt(b, int64(lw.reqSize), 10)
	b = append(b, `,"request_read_time":`...)
	b = appendFloat(b, lw.read.Seconds())
	b = append(b, `,"request_mode":"`...)
	if lw.batch {
		b = append(b, "batched"...)
	} else {
		b = append(b, "single"...)
	}
	b = append(b, `","error":null,"query":null},"request_id":`...)
	b = logs.AppendString(b, id)
	b = append(b, `,"http_info":{"status":`...)
	status := lw.status
	if status == 0 {
		status = http.StatusOK
	}
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"http_version":`...)
	b = logs.AppendString(b, r.Proto)
	b = append(b, `,"url":`...)
	b = logs.AppendString(b, r.URL.RequestURI())
	b = append(b, `,"ip":`...)
	b = logs.AppendString(b, clientIP(r))
	b = append(b, `,"method":`...)
	b = logs.AppendString(b, r.Method)
	b = append(b, "}}"...)
	h.Logs.LogJSON(logs.HTTP, logs.Info, b)
	*bp = b
	bufPool.Put(bp)
}

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7, as encoding/json.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
