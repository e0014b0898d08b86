package transport

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): a
// client that accepts application/graphql-response+json gets that media
// type and the spec's status codes: a response without data (a request
// that is not JSON, does not parse, does not validate, whose variables do
// not coerce, that is not authenticated) is 4xx or 5xx, the status
// Hasura's /v1alpha1/graphql gives the error (AlphaStatus: 400, 401 for
// the admin secret, 500 for an unexpected error). application/json (and
// */*, or no Accept) keeps Hasura's answers: 200 with the errors.
//
// GET /v1/graphql takes the request's parameters from the URL (query,
// variables and extensions as JSON, operationName); it runs queries only:
// a mutation or subscription by GET is 405 with Allow: POST, as the spec
// wants, whatever the media type.
//
// HASGEN_STRICT_GRAPHQL_HTTP=true (Handler.Strict) departs from Hasura
// under application/json where the spec asks it to: a request that is
// not well-formed (a body that is not JSON, a query that is not a
// string) is 400, and a POST whose Content-Type is not application/json
// is 415. Hasura's clients that send text/plain (a browser's simple
// request) then fail, which is why it is not the default.

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// media is the response's media type.
type media int

const (
	mediaJSON              media = iota // application/json, Hasura's
	mediaGraphQLResp                    // application/graphql-response+json
	graphQLRespType        = "application/graphql-response+json"
	contentTypeGraphQLResp = graphQLRespType + "; charset=utf-8"
)

// negotiate picks the media type from the Accept header values: the
// acceptable one with the highest q-value, application/graphql-response+json
// on a tie; application/json when neither is named (no Accept, */*,
// application/*).
func negotiate(accept []string) media {
	// The common case, on every request: the media type is not named.
	named := false
	for _, v := range accept {
		named = named || strings.Contains(v, graphQLRespType)
	}
	if !named {
		return mediaJSON
	}
	bestQ, best := -1.0, mediaJSON
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					q = f
				}
			}
			if q <= 0 {
				continue
			}
			switch mt {
			case graphQLRespType:
				if q >= bestQ {
					bestQ, best = q, mediaGraphQLResp
				}
			case "application/json", "*/*", "application/*":
				if q > bestQ {
					bestQ, best = q, mediaJSON
				}
			}
		}
	}
	return best
}

// contentTypeGraphQLRespValue is the header value of that media type,
// shared by every response (net/http only reads it).
var contentTypeGraphQLRespValue = []string{contentTypeGraphQLResp}

// write writes a response body of media type m.
func (m media) write(w http.ResponseWriter, status int, b []byte) {
	if m == mediaGraphQLResp {
		w.Header()["Content-Type"] = contentTypeGraphQLRespValue[:1:1]
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	writeJSONStatus(w, status, b)
}

// statusAs is the HTTP status of a response of media type m that
// answered err (nil: success).
func (h *Handler) statusAs(m media, err error) int {
	if err != nil && m == mediaGraphQLResp {
		return AlphaStatus(wire.First(err))
	}
	return h.status(err)
}

// writeErrorAs answers err as the request's whole response, of media
// type m.
func (h *Handler) writeErrorAs(w http.ResponseWriter, m media, err error) {
	m.write(w, h.statusAs(m, err), wire.AppendErrors(nil, err))
}

// writeBadRequest answers a request that is not a well-formed GraphQL
// request (its body is not JSON, a parameter is missing or of the wrong
// type): under application/json, Hasura's 200, or 400 when Strict.
func (h *Handler) writeBadRequest(w http.ResponseWriter, m media, err error) {
	status := h.statusAs(m, err)
	if h.Strict && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	m.write(w, status, wire.AppendErrors(nil, err))
}

// checkParams checks the types of a request's optional parameters, as a
// well-formed GraphQL-over-HTTP request has them (Strict only: Hasura
// ignores them): operationName a string, variables and extensions
// objects, each possibly null.
func checkParams(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return wire.InvalidJSON(err)
	}
	for key, want := range map[string]byte{"operationName": '"', "variables": '{', "extensions": '{'} {
		v := bytes.TrimSpace(m[key])
		if len(v) == 0 || string(v) == "null" || v[0] == want {
			continue
		}
		kind := "a string"
		if want == '{' {
			kind = "an object"
		}
		return &wire.Error{Code: wire.CodeParseFailed, Path: "$." + key, Message: key + " must be " + kind}
	}
	return nil
}

// isJSON reports whether a Content-Type is application/json.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// getMutationError is a mutation or subscription sent by GET.
type getMutationError struct{ e *wire.Error }

func (g getMutationError) Error() string { return g.e.Error() }
func (g getMutationError) Unwrap() error { return g.e }

func errGETMutation(op ast.Operation) error {
	return getMutationError{&wire.Error{Code: wire.CodeBadRequest, Path: "$",
		Message: "a " + string(op) + " cannot be sent with GET: use POST"}}
}

// serveGET serves a GET request: its parameters from the URL.
func (h *Handler) serveGET(w http.ResponseWriter, r *http.Request, m media) {
	req, err := requestFromQuery(r.URL.Query())
	if err == nil {
		err = h.bareHash(&req)
	}
	if err != nil {
		h.writeBadRequest(w, m, err)
		return
	}
	s, err := h.Auth.Authenticate(r.Context(), r.Header)
	if err != nil {
		h.writeErrorAs(w, m, err)
		return
	}
	ctx := actions.WithClientHeaders(session.With(r.Context(), s), r) // for forward_client_headers
	ctx = h.withClientIP(ctx, r)
	out, err := h.serve(ctx, s, &req, make([]byte, 0, 1024), true, w.Header(), nil)
	noteError(w, err)
	var gm getMutationError
	if errors.As(err, &gm) {
		w.Header().Set("Allow", "POST")
		m.write(w, http.StatusMethodNotAllowed, wire.AppendErrors(nil, gm.e))
		return
	}
	m.write(w, h.statusAs(m, err), out)
}

// requestFromQuery reads a request from a GET's URL parameters.
func requestFromQuery(q url.Values) (wire.Request, error) {
	var req wire.Request
	if ext := q.Get("extensions"); ext != "" {
		req.Persisted = wire.PersistedHash([]byte(ext)) // Apollo's persisted queries (engine/persisted.go)
	}
	if !q.Has("query") {
		if req.Persisted == "" {
			return req, wire.ErrNoQuery()
		}
		req.NoQuery = true
	}
	req.Query = q.Get("query")
	req.OperationName = q.Get("operationName")
	for _, key := range []string{"variables", "extensions"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return req, &wire.Error{Code: wire.CodeInvalidJSON, Path: "$." + key, Message: key + " must be a JSON object: " + err.Error(), Err: err}
		}
		if key == "variables" {
			req.Variables = json.RawMessage(v)
		}
	}
	return req, nil
}
