package engine

import (
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// PersistedMode says how the engine treats Apollo's automatic persisted
// queries (extensions.persistedQuery.sha256Hash) of client requests
// (HASGEN_PERSISTED_QUERIES).
type PersistedMode uint8

const (
	// PersistedOff is Hasura's behaviour: the extension is ignored, and a
	// request that sends only the hash has no query (`key "query" not
	// found`).
	PersistedOff PersistedMode = iota
	// PersistedOn answers a hash of a compiled operation (Config.Operations)
	// without its document, and checks the hash of a request that sends
	// both; other requests run as usual.
	PersistedOn
	// PersistedOnly is PersistedOn, and refuses any request of a role
	// other than admin that is not a compiled operation's hash (with or
	// without its document).
	PersistedOnly
)

// Apollo's errors, which its clients recognise: on PersistedQueryNotFound
// they send the request again with the document.
const (
	codePersistedNotFound = "PERSISTED_QUERY_NOT_FOUND"
	codePersistedOnly     = "PERSISTED_QUERY_ONLY"
)

// PersistedQueries returns the engine's persisted-query mode.
func (e *Engine) PersistedQueries() PersistedMode { return e.persist }

// persisted resolves a client request's persisted query: the request to
// prepare (with the compiled operation's document for a bare hash), or
// the error to answer.
func (e *Engine) persisted(s *session.Session, req *wire.Request) (*wire.Request, error) {
	if e.persist == PersistedOff {
		if req.NoQuery {
			return nil, wire.ErrNoQuery()
		}
		return req, nil
	}
	if req.Persisted == "" {
		if e.persist == PersistedOnly && s.Role != session.AdminRole {
			return nil, &wire.Error{Code: codePersistedOnly, Path: "$", Message: "only persisted queries are accepted: send extensions.persistedQuery with the sha256Hash of a compiled operation"}
		}
		return req, nil
	}
	query, known := e.PersistedQuery(req.Persisted)
	if !req.NoQuery {
		if HashQuery(req.Query) != req.Persisted {
			return nil, &wire.Error{Code: wire.CodeBadRequest, Path: "$.extensions.persistedQuery", Message: "provided sha does not match query"}
		}
		if !known && e.persist == PersistedOnly && s.Role != session.AdminRole {
			return nil, &wire.Error{Code: codePersistedNotFound, Path: "$", Message: "PersistedQueryNotFound"}
		}
		return req, nil
	}
	if !known {
		return nil, &wire.Error{Code: codePersistedNotFound, Path: "$", Message: "PersistedQueryNotFound"}
	}
	r := *req
	r.Query, r.NoQuery = query, false
	return &r, nil
}
