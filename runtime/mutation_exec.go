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
func (e *Engine) runMutation(ctx context.Context, s *Session, r *roleExec, d *document, p *plan, req *Request, vars map[string]any, dst []byte) []byte {
	results := make([][]byte, len(p.fields))
	hasDB := false
	for _, f := range p.fields {
		if f.kind == fieldMutation {
			hasDB = true
			if f.backendOnly && !s.BackendOnly {
				return AppendErrors(dst, &Error{Code: CodeValidationFailed, Path: "$.selectionSet." + f.key,
					Message: fmt.Sprintf("field '%s' not found in type: 'mutation_root'", f.field.Name)})
			}
		}
	}
	if hasDB {
		if err := e.mutate(ctx, s, p, vars, results); err != nil {
			return AppendErrors(dst, err)
		}
	}
	if p.custom {
		if errs := e.runCustom(ctx, s, r, d, p, req, vars, results); errs != nil {
			return AppendErrors(dst, errs...)
		}
	}
	return assemble(dst, p, results)
}

// mutate runs the mutation fields' statements in one transaction: one
// statement alone, or all of them in one pipelined batch, which Postgres
// runs as one implicit transaction. A failed permission check fails its
// statement (checkVerdict), which rolls everything back.
func (e *Engine) mutate(ctx context.Context, s *Session, p *plan, vars map[string]any, results [][]byte) *Error {
	type stmt struct {
		field int
		sql   string
		args  []any
	}
	var stmts []stmt
	for i, f := range p.fields {
		if f.kind != fieldMutation {
			continue
		}
		for _, st := range f.mutations {
			args, perr := bindParams(st.params, s, vars)
			if perr != nil {
				return perr
			}
			stmts = append(stmts, stmt{i, st.sql, args})
		}
	}
	roots := make([][]byte, len(stmts))
	if len(stmts) == 1 {
		ok, root, err := queryMutation(ctx, e.pool, stmts[0].sql, stmts[0].args)
		if err != nil {
			return dbError(err, s)
		}
		if !ok {
			return checkFailed()
		}
		roots[0] = root
	} else {
		batch := &pgx.Batch{}
		for _, st := range stmts {
			batch.Queue(st.sql, st.args...)
		}
		br := e.pool.SendBatch(ctx, batch)
		for k := range stmts {
			rows, err := br.Query()
			if err == nil {
				var ok bool
				ok, roots[k], err = scanMutation(rows)
				if err == nil && !ok {
					br.Close()
					return checkFailed()
				}
			}
			if err != nil {
				br.Close()
				return dbError(err, s)
			}
		}
		if err := br.Close(); err != nil {
			return dbError(err, s)
		}
	}
	// The fields' values: update_<t>_many's statements make an array.
	k := 0
	for i, f := range p.fields {
		if f.kind != fieldMutation {
			continue
		}
		if !f.many {
			results[i] = roots[k]
			k++
			continue
		}
		many := []byte{'['}
		for j := range f.mutations {
			if j > 0 {
				many = append(many, ',')
			}
			many = append(many, roots[k]...)
			k++
		}
		results[i] = append(many, ']')
	}
	return nil
}

// queryMutation runs a mutation statement, which returns one row:
// whether the permission checks hold, and the field's JSON (or NULL).
func queryMutation(ctx context.Context, db DBTX, sql string, args []any) (bool, []byte, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return false, nil, err
	}
	return scanMutation(rows)
}

func scanMutation(rows pgx.Rows) (bool, []byte, error) {
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
