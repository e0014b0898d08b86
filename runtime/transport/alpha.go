package transport

// /v1alpha1/graphql, Hasura's first GraphQL endpoint, serves the same API
// as /v1/graphql but does not turn errors into HTTP 200: a request that
// fails (authentication, parsing, validation, execution) is answered with
// the status of Hasura's error, in the same {"errors": [...]} shape. A
// batch is still 200, each operation's errors inside the array, as Hasura
// answers it.

import (
	"net/http"
	"strings"

	"github.com/hasgen/hasgen/runtime/ratelimit"
	"github.com/hasgen/hasgen/runtime/wire"
)

// writeError answers err as the request's whole response.
func (h *Handler) writeError(w http.ResponseWriter, err error) {
	noteError(w, err)
	writeJSONStatus(w, h.status(err), wire.AppendErrors(nil, err))
}

// status is the HTTP status of a response that answered err (nil: success).
func (h *Handler) status(err error) int {
	if err == nil || !h.Alpha {
		return http.StatusOK
	}
	return AlphaStatus(wire.First(err))
}

// AlphaStatus is the HTTP status Hasura's /v1alpha1/graphql gives a
// request that failed with e: 401 for a missing or wrong admin secret
// (Hasura's throw401), 500 for an unexpected error, 429 for an operation
// over its rate limit, else 400, the status
// of every other error Hasura raises on a GraphQL request (validation,
// parsing, permissions, constraint violations, JWT, session variables).
func AlphaStatus(e *wire.Error) int {
	switch {
	case e == nil:
		return http.StatusOK
	case e.Code == wire.CodeUnexpected:
		return http.StatusInternalServerError
	case e.Code == wire.CodeAccessDenied && strings.Contains(e.Message, "x-hasura-admin-secret"):
		return http.StatusUnauthorized
	case e.Code == ratelimit.CodeRateLimitExceeded:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}
