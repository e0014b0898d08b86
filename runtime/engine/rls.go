package engine

import (
	"encoding/json"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/jackc/pgx/v5"
)

// RLS is defence in depth with Postgres's row-level security: every
// request's statements run with the session variables as JSON in the
// setting hasura.user (as Hasura sets it: policies read
// current_setting('hasura.user')::json->>'x-hasura-user-id') and, when
// Role is set, as that database role, so that the database's policies
// check every row a second time. Both are set by one statement queued
// before the request's in the same round trip, local to its transaction.
type RLS struct {
	// Role is the database role the statements run as (set_config('role'),
	// which is SET LOCAL ROLE); empty keeps the connection's.
	Role string
}

// queue queues the statement that sets the session for a batch's
// transaction. A nil *RLS queues nothing.
func (r *RLS) queue(b *pgx.Batch, s *session.Session) {
	if r == nil {
		return
	}
	vars := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		vars[k] = v
	}
	vars["x-hasura-role"] = s.Role
	user, _ := json.Marshal(vars) // maps marshal with sorted keys
	if r.Role == "" {
		b.Queue(`SELECT set_config('hasura.user', $1, true)`, string(user))
		return
	}
	b.Queue(`SELECT set_config('hasura.user', $1, true), set_config('role', $2, true)`, string(user), r.Role)
}

// done reads the result of what queue queued.
func (r *RLS) done(br pgx.BatchResults) error {
	if r == nil {
		return nil
	}
	_, err := br.Exec()
	return err
}
