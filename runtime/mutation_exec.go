package runtime

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// runMutation runs a mutation operation: every mutation field in order in
// ONE transaction, rolled back when any statement fails or any permission
// check does not hold. Custom mutation fields (gqlgen) run after the
// commit: they are the user's code and manage their own transactions.
func (e *Engine) runMutation(ctx context.Context, s *Session, r *roleExec, d *document, p *plan, req *Request, vars map[string]any) []byte {
	results := make([][]byte, len(p.fields))
	hasDB := false
	for _, f := range p.fields {
		if f.kind == fieldMutation {
			hasDB = true
			if f.backendOnly && !s.BackendOnly {
				return AppendErrors(nil, &Error{Code: CodeValidationFailed, Path: "$.selectionSet." + f.key,
					Message: fmt.Sprintf("field '%s' not found in type: 'mutation_root'", f.field.Name)})
			}
		}
	}
	if hasDB {
		if err := e.mutate(ctx, s, p, vars, results); err != nil {
			return AppendErrors(nil, err)
		}
	}
	if p.custom {
		if errs := e.runCustom(ctx, s, r, d, p, req, vars, results); errs != nil {
			return AppendErrors(nil, errs...)
		}
	}
	return assemble(p, results)
}

// mutate runs the mutation fields' statements in one transaction.
func (e *Engine) mutate(ctx context.Context, s *Session, p *plan, vars map[string]any, results [][]byte) *Error {
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		return dbError(err, s)
	}
	defer tx.Rollback(context.Background()) // a no-op after Commit
	for i, f := range p.fields {
		if f.kind != fieldMutation {
			continue
		}
		var many []byte
		for k, st := range f.mutations {
			args, perr := bindParams(st.params, s, vars)
			if perr != nil {
				return perr
			}
			ok, root, err := queryMutation(ctx, tx, st.sql, args)
			if err != nil {
				return dbError(err, s)
			}
			if !ok {
				return checkFailed()
			}
			if !f.many {
				results[i] = root
				continue
			}
			if k == 0 {
				many = append(many, '[')
			} else {
				many = append(many, ',')
			}
			many = append(many, root...)
		}
		if f.many {
			if len(f.mutations) == 0 {
				many = append(many, '[')
			}
			results[i] = append(many, ']')
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return dbError(err, s)
	}
	return nil
}

// queryMutation runs a mutation statement, which returns one row:
// whether the permission checks hold, and the field's JSON (or NULL).
func queryMutation(ctx context.Context, tx pgx.Tx, sql string, args []any) (bool, []byte, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	var ok bool
	var root []byte
	if rows.Next() {
		raw := rows.RawValues()
		ok = len(raw[0]) == 1 && (raw[0][0] == 1 || raw[0][0] == 't')
		if raw[1] != nil {
			root = append([]byte(nil), raw[1]...)
		}
	}
	rows.Close()
	return ok, root, rows.Err()
}
