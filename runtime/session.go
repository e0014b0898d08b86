package runtime

import (
	"context"
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
func (s *Session) IsAdmin() bool { return s.Role == AdminRole }

// Var returns the session variable name (any case) and whether it is set.
func (s *Session) Var(name string) (string, bool) {
	v, ok := s.Vars[lowerASCII(name)]
	return v, ok
}

// AdminRole is the role that bypasses all permissions.
const AdminRole = "admin"

type sessionKey struct{}

// WithSession returns a context carrying s.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session of the request ctx belongs to, or nil.
// Custom resolvers use it to read the role and session variables.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}
