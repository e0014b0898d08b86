package engine

import (
	"encoding/json"
	"strconv"

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
// (every connection's), and with RLS hasura.user and the database role.
// It is queued before the request's statements, in the same round trip;
// sql is empty when nothing is needed.
func (e *Engine) prelude(p *Prepared) (sql string, args []any) {
	var settings []string
	if t := p.Limits.Time; t > 0 && t != e.limits.Global.Time {
		settings = append(settings, "statement_timeout")
		args = append(args, strconv.FormatInt(t.Milliseconds(), 10))
	}
	if e.rls != nil {
		settings = append(settings, "hasura.user")
		args = append(args, hasuraUser(p.Session))
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

// hasuraUser is the session as Hasura passes it to Postgres: the session
// variables, x-hasura-role included, as a JSON object.
func hasuraUser(s *session.Session) string {
	vars := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		vars[k] = v
	}
	vars["x-hasura-role"] = s.Role
	b, _ := json.Marshal(vars) // maps marshal with sorted keys
	return string(b)
}
