// Package session holds who a request runs as: a role and its session
// variables, as authentication (package auth) found them, and the context
// key that hands them to the engine and to custom resolvers.
package session

import (
	"context"
	"strings"
	"time"
)

// Session is who a request runs as: a role and its session variables.
type Session struct {
	// Role is the role whose permissions apply; "admin" bypasses them.
	Role string
	// Vars are the session variables by lower-case name
	// ("x-hasura-user-id"), values as strings: Hasura passes them to
	// Postgres as text and casts them to the column type.
	Vars map[string]string
	// AdminSecret is true when the request carried the correct admin
	// secret (even if it then impersonates another role).
	AdminSecret bool
	// BackendOnly is true when backend-only permissions apply: the admin
	// secret was sent with x-hasura-use-backend-only-permissions: true.
	BackendOnly bool
	// Expires is when the session's JWT expires; zero when it does not.
	Expires time.Time
}

// IsAdmin reports whether permissions are bypassed.
func (s *Session) IsAdmin() bool { return s != nil && s.Role == AdminRole }

// Var returns the session variable name (any case) and whether it is set.
func (s *Session) Var(name string) (string, bool) {
	v, ok := s.Vars[VarName(name)]
	return v, ok
}

// AdminRole is the role that bypasses all permissions.
const AdminRole = "admin"

type sessionKey struct{}

// With returns a context carrying s.
func With(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// From returns the session of the request ctx belongs to, or nil.
// Custom resolvers use it to read the role and session variables.
func From(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// VarName returns the canonical form of a session variable name: ASCII
// lower case (session variable and header names are ASCII).
func VarName(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
