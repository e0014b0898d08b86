package engine

import (
	"context"
	"fmt"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5"
)

// runMutation runs a mutation operation: every mutation field in ONE
// transaction, in document order, rolled back when any statement fails,
// any permission check does not hold, or a custom field fails. Without
// custom fields the transaction is implicit (one statement, or one
// pipelined batch that Postgres runs as one transaction: one round trip).
// With custom fields it is explicit: each run of generated fields is one
// batch on it, and each custom field runs with it in its context
// (TxFrom), so that its writes commit or roll back with the rest; so does
// each Go-handled action (action_go.go).
func (e *Engine) runMutation(ctx context.Context, db DBTX, p *Prepared, dst []byte) ([]byte, error) {
	results := make([][]byte, len(p.Plan.Fields))
	for _, f := range p.Plan.Fields {
		if f.Kind == compile.FieldMutation && f.BackendOnly && !p.Session.BackendOnly {
			return dst, &wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet." + f.Key,
				Message: fmt.Sprintf("field '%s' not found in type: 'mutation_root'", f.AST.Name)}
		}
	}
	if e.hasWebhookActions(p.Plan) {
		return e.runMutationWithActions(ctx, db, p, dst) // action.go
	}
	fields := p.Plan.Fields
	if onlyRemote(p.Plan) {
		// Nothing for the database: no transaction (remote.go).
		for i, f := range fields {
			if f.Kind == compile.FieldRemote {
				if err := e.runRemote(ctx, db, p, results, i, i+1); err != nil {
					return dst, err
				}
			}
		}
		return e.assemble(dst, p.Plan, results)
	}
	if !p.Plan.Custom && !p.Plan.Remote && !hasActions(p.Plan) {
		if err := e.mutate(ctx, db, p, results, 0, len(fields)); err != nil {
			return dst, err
		}
		return e.assemble(dst, p.Plan, results)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return dst, DBError(err, p.Session.IsAdmin())
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit
	// Custom fields see the session too, whichever field comes first.
	if err := SetHasuraUser(ctx, tx, p.Session); err != nil {
		return dst, DBError(err, p.Session.IsAdmin())
	}
	txCtx := context.WithValue(ctx, txKey{}, DBTX(tx))
	for lo := 0; lo < len(fields); {
		hi := lo + 1
		switch fields[lo].Kind {
		case compile.FieldCustom:
			err = e.runCustom(txCtx, p, results, lo, hi)
		case compile.FieldRemote:
			// One request per remote field, in order, as Hasura runs a
			// mutation's remote fields.
			err = e.runRemote(ctx, tx, p, results, lo, hi)
		case compile.FieldAction:
			// Go actions only (webhooks take runMutationWithActions):
			// in the transaction (action_go.go).
			err = e.runActions(txCtx, tx, p, results, lo, hi)
		default:
			for hi < len(fields) && fields[hi].Kind != compile.FieldCustom && fields[hi].Kind != compile.FieldRemote && fields[hi].Kind != compile.FieldAction {
				hi++
			}
			err = e.mutate(ctx, tx, p, results, lo, hi)
		}
		if err != nil {
			return dst, err
		}
		lo = hi
	}
	out, err := e.assemble(dst, p.Plan, results)
	if err != nil {
		return dst, err
	}
	if err := tx.Commit(ctx); err != nil {
		return dst, DBError(err, p.Session.IsAdmin())
	}
	return out, nil
}

// mutate runs the statements of the mutation fields lo to hi (excluded):
// one statement alone, or all of them in one pipelined batch, which
// Postgres runs as one implicit transaction (or inside db, when db is a
// transaction). A failed permission check fails its statement, which rolls
// everything back.
func (e *Engine) mutate(ctx context.Context, db DBTX, p *Prepared, results [][]byte, lo, hi int) error {
	fields := p.Plan.Fields[lo:hi]
	type stmt struct {
		sql  string
		args []any
		path string // where Hasura reports the statement's errors
	}
	var stmts []stmt
	for _, f := range fields {
		if f.Kind != compile.FieldMutation {
			continue
		}
		for _, st := range f.Mutations {
			args, err := p.Bind(st.Params)
			if err != nil {
				return err
			}
			stmts = append(stmts, stmt{e.taggedSQL(ctx, p, f.Key, st.SQL), args, f.ErrorPath})
		}
	}
	admin := p.Session.IsAdmin()
	roots := make([][]byte, len(stmts))
	preludeSQL, preludeArgs := e.prelude(p, true)
	prelude := preludeSQL != ""
	switch {
	case len(stmts) == 0:
	case len(stmts) == 1 && !prelude:
		rows, err := db.Query(ctx, stmts[0].sql, stmts[0].args...)
		if err == nil {
			roots[0], err = scanMutation(rows)
		}
		if err != nil {
			return atPath(DBError(err, admin), stmts[0].path)
		}
	default:
		batch := &pgx.Batch{}
		if prelude {
			batch.Queue(preludeSQL, preludeArgs...)
		}
		for _, st := range stmts {
			batch.Queue(st.sql, st.args...)
		}
		br := db.SendBatch(ctx, batch)
		if prelude {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return DBError(err, admin)
			}
		}
		for k := range stmts {
			rows, err := br.Query()
			if err == nil {
				roots[k], err = scanMutation(rows)
			}
			if err != nil {
				br.Close()
				return atPath(DBError(err, admin), stmts[k].path)
			}
		}
		if err := br.Close(); err != nil {
			return DBError(err, admin)
		}
	}
	// The fields' values: update_<t>_many's statements make an array.
	k := 0
	for i, f := range fields {
		if f.Kind != compile.FieldMutation {
			continue
		}
		if f.Parts != nil {
			results[lo+i], k = namespaceObject(f.Parts, roots, k)
			continue
		}
		if !f.Many {
			results[lo+i] = roots[k]
			k++
			continue
		}
		many := []byte{'['}
		for j := range f.Mutations {
			if j > 0 {
				many = append(many, ',')
			}
			many = append(many, roots[k]...)
			k++
		}
		results[lo+i] = append(many, ']')
	}
	return nil
}

// scanMutation reads a mutation statement's one row: whether the
// permission checks hold (a failed check is an error), and the field's
// JSON (or NULL).
func scanMutation(rows pgx.Rows) ([]byte, error) {
	defer rows.Close()
	ok := false
	var root []byte
	if rows.Next() {
		raw := rows.RawValues()
		ok = len(raw[0]) == 1 && (raw[0][0] == 1 || raw[0][0] == 't')
		if raw[1] != nil {
			root = append([]byte(nil), raw[1]...)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !ok {
		return nil, compile.CheckFailed()
	}
	return root, nil
}

// namespaceObject assembles the object of a root field namespace's
// mutation fields from the statements' results from k on, and returns it
// with the index of the next result.
func namespaceObject(parts []compile.Part, roots [][]byte, k int) ([]byte, int) {
	obj := []byte{'{'}
	for i, p := range parts {
		obj = appendKey(obj, i, p.Key)
		switch {
		case p.Typename != "":
			obj = appendTypename(obj, p.Typename)
		case p.Many:
			obj = append(obj, '[')
			for j := 0; j < p.Statements; j++ {
				if j > 0 {
					obj = append(obj, ',')
				}
				obj = appendValue(obj, roots[k])
				k++
			}
			obj = append(obj, ']')
		default:
			obj = appendValue(obj, roots[k])
			k++
		}
	}
	return append(obj, '}'), k
}

// atPath sets the path of a statement's error, when the statement has one
// (Hasura's: an insert's errors are at its objects argument).
func atPath(err error, path string) error {
	if we, ok := err.(*wire.Error); ok && path != "" {
		c := *we
		c.Path = path
		return &c
	}
	return err
}
