package runtime

// POST /v1/metadata: the operations of Hasura's metadata API that
// applications call at run time (event triggers: runtime/events/ops.go;
// scheduled events: runtime/schedule), for the admin only. The metadata
// itself is generated code: operations that change it are not served.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// MetadataPath is where the metadata API is served.
const MetadataPath = "/v1/metadata"

// maxMetadataBody bounds a /v1/metadata request body.
const maxMetadataBody = 16 << 20

// metadataOps merges the operations of the server's parts; a name given
// twice is an error (two parts would answer it).
func metadataOps(maps ...map[string]events.Op) (map[string]events.Op, error) {
	out := map[string]events.Op{}
	for _, m := range maps {
		for name, op := range m {
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("/v1/metadata: operation %q is served twice", name)
			}
			out[name] = op
		}
	}
	return out, nil
}

// metadataHandler serves /v1/metadata.
type metadataHandler struct {
	auth *auth.Authenticator
	ops  map[string]events.Op
	log  *slog.Logger
}

// metadataRequest is {"type", "args"}; bulk's args are a list of them.
type metadataRequest struct {
	Type string          `json:"type"`
	Args json.RawMessage `json:"args"`
}

// metadataError is Hasura's error shape of its /v1 APIs.
type metadataError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
	Code  string `json:"code"`
}

// ServeHTTP answers one request: its session must be the admin's (the
// admin secret, or no secret configured with the admin role); the result
// of the operation is the response's JSON, or Hasura's error shape with
// 400 (401 for a wrong admin secret, 500 for an unexpected error).
func (h *metadataHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.fail(w, http.StatusMethodNotAllowed, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "only POST is supported"})
		return
	}
	s, err := h.auth.Authenticate(r.Context(), r.Header)
	if err != nil {
		status := http.StatusBadRequest
		if we := wire.First(err); we.Code == wire.CodeAccessDenied || we.Code == wire.CodeInvalidJWT {
			status = http.StatusUnauthorized
		}
		h.fail(w, status, err)
		return
	}
	if !s.IsAdmin() {
		h.fail(w, http.StatusBadRequest, &wire.Error{Code: wire.CodeAccessDenied, Path: "$", Message: "restricted access : admin only"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMetadataBody))
	if err != nil {
		h.fail(w, http.StatusBadRequest, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "reading the request body: " + err.Error()})
		return
	}
	var req metadataRequest
	if err := json.Unmarshal(body, &req); err != nil {
		h.fail(w, http.StatusBadRequest, &wire.Error{Code: wire.CodeParseFailed, Path: "$", Message: "the body is not a JSON object with type and args: " + err.Error()})
		return
	}
	ctx := session.With(r.Context(), s)
	var res any
	if req.Type == "bulk" {
		res, err = h.bulk(ctx, req.Args)
	} else {
		res, err = h.run(ctx, req, "$")
	}
	if err != nil {
		h.fail(w, 0, err)
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		h.fail(w, 0, fmt.Errorf("encode the result of %s: %w", req.Type, err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// run runs one operation; the paths of its errors are put under at (a
// bulk's element).
func (h *metadataHandler) run(ctx context.Context, req metadataRequest, at string) (any, error) {
	op := h.ops[req.Type]
	if op == nil {
		return nil, &wire.Error{Code: wire.CodeParseFailed, Path: at, Message: fmt.Sprintf("unknown metadata command %q (this server serves %s)", req.Type, h.served())}
	}
	if len(req.Args) == 0 {
		req.Args = json.RawMessage("{}")
	}
	res, err := op(ctx, req.Args)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && at != "$" {
			moved := *we
			moved.Path = at + strings.TrimPrefix(we.Path, "$")
			return nil, &moved
		}
		return nil, err
	}
	return res, nil
}

// bulk runs a list of operations in order and answers the list of their
// results. It stops at the first error, which it answers; as each
// operation commits on its own, the ones before it stay done (Hasura runs
// a bulk in one transaction).
func (h *metadataHandler) bulk(ctx context.Context, raw json.RawMessage) (any, error) {
	var reqs []metadataRequest
	if err := json.Unmarshal(raw, &reqs); err != nil {
		return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$.args", Message: "bulk: expected a list of {type, args}"}
	}
	out := make([]any, 0, len(reqs))
	for i, req := range reqs {
		res, err := h.run(ctx, req, "$.args["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// served lists the operations served, sorted.
func (h *metadataHandler) served() string {
	names := make([]string, 0, len(h.ops)+1)
	for name := range h.ops {
		names = append(names, name)
	}
	names = append(names, "bulk")
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// fail writes err in Hasura's shape: a *wire.Error with status (400 when
// 0), anything else as an unexpected error (500) that is logged.
func (h *metadataHandler) fail(w http.ResponseWriter, status int, err error) {
	we := wire.First(err)
	if status == 0 {
		status = http.StatusBadRequest
	}
	if we.Code == wire.CodeUnexpected {
		status = http.StatusInternalServerError
		h.log.Error("/v1/metadata: unexpected error", "error", err)
	}
	path := we.Path
	if path == "" {
		path = "$"
	}
	b, _ := json.Marshal(metadataError{Path: path, Error: we.Message, Code: we.Code})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
