package runtime

// The HTTP transport of /v1/graphql: Hasura's wire format. A request is a
// JSON object {query, variables, operationName}, or an array of them (a
// batch, answered with an array). Every answer is HTTP 200; errors are
// {"errors": [...]} without a "data" key. The session comes from
// Authenticator; the engine (engine.go) does the rest.

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
)

// maxBody is the largest request body accepted.
const maxBody = 16 << 20

// Handler serves GraphQL over HTTP POST.
type Handler struct {
	Engine *Engine
	Auth   *Authenticator
	Log    *slog.Logger
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// respPool holds response buffers; one large response makes its buffer
// large for the requests after it, which is what a server of large
// results wants.
var respPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.logger().Error("panic serving request", "panic", p, "stack", string(debug.Stack()))
			writeJSON(w, AppendErrors(nil, &Error{Code: CodeUnexpected, Path: "$", Message: "internal error"}))
		}
	}()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSONStatus(w, http.StatusMethodNotAllowed, AppendErrors(nil, &Error{Code: CodeBadRequest, Path: "$", Message: "only POST is supported on this endpoint"}))
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1)); err != nil {
		writeJSON(w, AppendErrors(nil, &Error{Code: CodeInvalidJSON, Path: "$", Message: "could not read the request body"}))
		return
	}
	if buf.Len() > maxBody {
		writeJSON(w, AppendErrors(nil, &Error{Code: CodeInvalidJSON, Path: "$", Message: "the request body is too large"}))
		return
	}
	body := bytes.TrimLeft(buf.Bytes(), " \t\r\n")
	s, aerr := h.Auth.Authenticate(r.Context(), r.Header)
	if aerr != nil {
		writeJSON(w, AppendErrors(nil, aerr))
		return
	}
	ctx := WithSession(r.Context(), s)
	if len(body) > 0 && body[0] == '[' {
		var reqs []Request
		if err := json.Unmarshal(body, &reqs); err != nil {
			writeJSON(w, AppendErrors(nil, invalidJSON(err)))
			return
		}
		out := make([]byte, 0, 1024)
		out = append(out, '[')
		for i := range reqs {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, h.Engine.Do(ctx, s, &reqs[i])...)
		}
		writeJSON(w, append(out, ']'))
		return
	}
	var req Request
	if !parseRequest(body, &req) {
		req = Request{}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, AppendErrors(nil, invalidJSON(err)))
			return
		}
	}
	out := respPool.Get().(*[]byte)
	*out = h.Engine.AppendDo((*out)[:0], ctx, s, &req)
	writeJSON(w, *out)
	if cap(*out) <= 16<<20 {
		respPool.Put(out)
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func invalidJSON(err error) *Error {
	return &Error{Code: CodeInvalidJSON, Path: "$", Message: "invalid JSON in the request body: " + err.Error()}
}

func writeJSON(w http.ResponseWriter, b []byte) { writeJSONStatus(w, http.StatusOK, b) }

func writeJSONStatus(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	w.WriteHeader(status)
	w.Write(b)
}
