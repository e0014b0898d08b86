package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/hasgen/hasgen/runtime/session"
)

// RLS is defence in depth with Postgres's row-level security: every
// request's statements run with the session variables as JSON in the
// setting hasura.user (as Hasura sets it: policies read
// current_setting('hasura.user')::json->>'x-hasura-user-id') and, when
// Role is set, as that database role, so that the database's policies
// check every row a second time.
type RLS struct {
	// Role is the database role the statements run as (set_config('role'),
	// which is SET LOCAL ROLE); empty keeps the connection's.
	Role string
}

// prelude is the statement that sets, for the transaction of a request's
// statements, what the request needs besides the connection's settings:
// its role's statement_timeout when it differs from the global time limit
// (every connection's), hasura.user for a mutation (as Hasura sets it for
// every mutation's transaction: triggers read it) and with RLS for every
// request, and with RLS the database role. It is queued before the
// request's statements, in the same round trip; sql is empty when nothing
// is needed.
func (e *Engine) prelude(p *Prepared, mutation bool) (sql string, args []any) {
	var settings []string
	if t := p.Limits.Time; t > 0 && t != e.limits.Global.Time {
		settings = append(settings, "statement_timeout")
		args = append(args, strconv.FormatInt(t.Milliseconds(), 10))
	}
	if e.rls != nil || mutation {
		settings = append(settings, "hasura.user")
		args = append(args, HasuraUser(p.Session))
	}
	if e.rls != nil {
		if e.rls.Role != "" {
			settings = append(settings, "role")
			args = append(args, e.rls.Role)
		}
	}
	if len(settings) == 0 {
		return "", nil
	}
	sql = "SELECT "
	for i, s := range settings {
		if i > 0 {
			sql += ", "
		}
		sql += "set_config('" + s + "', $" + strconv.Itoa(i+1) + ", true)"
	}
	return sql, args
}

// HasuraUser is the session as Hasura passes it to Postgres in the
// setting hasura.user: the session variables by lower-case name, values as
// strings, x-hasura-role included (the admin secret never is), as a JSON
// object.
func HasuraUser(s *session.Session) string {
	vars := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		vars[k] = v
	}
	vars["x-hasura-role"] = s.Role
	b, _ := json.Marshal(vars) // maps marshal with sorted keys
	return string(b)
}

// SetHasuraUserSQL sets hasura.user for the rest of the transaction; its
// one parameter is HasuraUser's value.
const SetHasuraUserSQL = "SELECT set_config('hasura.user', $1, true)"

// SetHasuraUser sets hasura.user to the session s on db for the rest of
// its transaction, as Hasura does before a mutation's statements, so that
// triggers and functions reading current_setting('hasura.user') see who
// writes. db must be a transaction (outside one the setting is gone when
// the statement ends); to save the round trip, queue SetHasuraUserSQL
// with HasuraUser(s) before the statements of a batch instead. Every
// mutation the engine runs sets it; a tracked function exposed as a
// mutation, or any other write of the request, calls this.
func SetHasuraUser(ctx context.Context, db DBTX, s *session.Session) error {
	br := db.SendBatch(ctx, hasuraUserBatch(s))
	if _, err := br.Exec(); err != nil {
		br.Close()
		return fmt.Errorf("set hasura.user: %w", err)
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("set hasura.user: %w", err)
	}
	return nil
}

func hasuraUserBatch(s *session.Session) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(SetHasuraUserSQL, HasuraUser(s))
	return b
}
