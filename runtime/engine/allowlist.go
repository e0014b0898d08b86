package engine

import (
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// The allow list (runtime/allowlist, HASURA_GRAPHQL_ENABLE_ALLOWLIST):
// checked in prepare, once per document and role (the answer is cached
// with the document), after the document parses and before it is
// validated against the role's schema, as Hasura's checkQueryInAllowlist
// does. Admin is exempt; every other role, introspection included, runs
// only what the list holds for it.

// allows reports whether role may run doc (parsed from query): always
// when the allow list is off or the role is admin.
func (e *Engine) allows(role string, doc *ast.QueryDocument, query string) bool {
	if e.allow == nil || role == session.AdminRole {
		return true
	}
	return e.allow.Allows(role, doc, query)
}

// errNotAllowed is Hasura's answer to a document the allow list does not
// hold for the role.
func errNotAllowed() error {
	return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "query is not allowed"}
}
