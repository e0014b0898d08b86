package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2/ast"
)

// DBTX is what a prepared request runs on: a *pgxpool.Pool, a *pgx.Conn or
// a pgx.Tx all satisfy it. Given a transaction, every statement of the
// request runs inside it, so that a caller's own SQL and generated root
// fields commit or roll back together.
type DBTX interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Run executes a prepared query or mutation on db and appends the
// response, {"data": {...}}, to dst. On failure it returns dst as it was
// and the error, an *wire.Error or wire.List (wire.AppendErrors writes
// it): nothing of a failed mutation was committed. ctx cancels the
// statements. Subscriptions are run by package live instead.
func (e *Engine) Run(ctx context.Context, db DBTX, p *Prepared, dst []byte) ([]byte, error) {
	if t := p.Limits.Time; t > 0 && !deadlineWithin(ctx, t) {
		// pgx cancels the running statement when the deadline passes.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	var out []byte
	var err error
	switch p.Operation {
	case ast.Subscription:
		return dst, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "subscriptions are served on the websocket endpoint"}
	case ast.Mutation:
		out, err = e.runMutation(ctx, db, p, dst)
	default:
		out, err = e.runQuery(ctx, db, p, dst)
	}
	if err != nil || len(p.Plan.RemoteRels) == 0 || e.remoteRels == nil {
		return out, err
	}
	// The remote relationships' values replace their markers
	// (remote_rel.go); a mutation's are fetched after its commit.
	start := len(dst)
	body, err := e.resolveRemoteRels(ctx, db, p, out[start:])
	if err != nil {
		return dst[:start], err
	}
	if e.maxResp > 0 && len(body) > e.maxResp {
		return dst[:start], e.tooLarge()
	}
	return append(out[:start], body...), nil
}

// deadlineWithin reports whether ctx already ends within d from now: the
// HTTP transport sets the role's time limit before preparing, and a
// second timer for the same limit, a moment later, would change nothing
// but cost a timer and a context per request.
func deadlineWithin(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) <= d
}

// Do prepares and runs req on the engine's pool and returns the whole
// response body: {"data": ...} or {"errors": [...]}. It is Run's
// shorthand for tools and tests; the transports call Prepare and Run.
func (e *Engine) Do(ctx context.Context, s *session.Session, req *wire.Request) []byte {
	p, err := e.Prepare(ctx, s, req)
	if err != nil {
		return wire.AppendErrors(nil, err)
	}
	out, err := e.Run(ctx, e.pool, p, nil)
	if err != nil {
		return wire.AppendErrors(nil, err)
	}
	return out
}

// runQuery executes a query's plan: the custom fields through gqlgen first,
// then the SQL fields through pgx (one round trip for all of them) with
// each field's JSON copied once, from pgx's read buffer straight into the
// response, in response order.
func (e *Engine) runQuery(ctx context.Context, db DBTX, p *Prepared, dst []byte) ([]byte, error) {
	start := len(dst)
	var custom [][]byte
	if p.Plan.Custom || p.Plan.Remote || hasActions(p.Plan) {
		custom = make([][]byte, len(p.Plan.Fields))
	}
	if p.Plan.Custom {
		if err := e.runCustom(ctx, p, custom, 0, len(custom)); err != nil {
			return dst, err
		}
	}
	if hasActions(p.Plan) {
		if err := e.runActions(ctx, db, p, custom, 0, len(custom)); err != nil {
			return dst, err
		}
	}
	if p.Plan.Remote {
		if err := e.runRemote(ctx, db, p, custom, 0, len(custom)); err != nil {
			return dst, err
		}
	}
	var args [][]any
	for _, f := range p.Plan.Fields {
		if f.Kind != compile.FieldQuery {
			continue
		}
		a, err := p.Bind(f.Params)
		if err != nil {
			return dst, err
		}
		args = append(args, a)
	}
	var br pgx.BatchResults
	preludeSQL, preludeArgs := e.prelude(p, false)
	prelude := preludeSQL != ""
	if len(args) > 1 || prelude {
		batch := &pgx.Batch{}
		if prelude {
			batch.Queue(preludeSQL, preludeArgs...)
		}
		k := 0
		for _, f := range p.Plan.Fields {
			if f.Kind == compile.FieldQuery {
				batch.Queue(e.taggedSQL(ctx, p, f.Key, f.SQL), args[k]...)
				k++
			}
		}
		br = db.SendBatch(ctx, batch)
		defer br.Close()
		if prelude {
			if _, err := br.Exec(); err != nil {
				return dst, DBError(err, p.Session.IsAdmin())
			}
		}
	}
	dst = append(dst, `{"data":{`...)
	k := 0
	for i, f := range p.Plan.Fields {
		dst = appendKey(dst, i, f.Key)
		switch f.Kind {
		case compile.FieldTypename:
			dst = appendTypename(dst, f.Text)
		case compile.FieldQuery:
			var rows pgx.Rows
			var err error
			if br != nil {
				rows, err = br.Query()
			} else {
				rows, err = db.Query(ctx, e.taggedSQL(ctx, p, f.Key, f.SQL), args[k]...)
			}
			k++
			if err == nil {
				dst, err = appendJSON(dst, rows)
			}
			if err != nil {
				return dst[:start], DBError(err, p.Session.IsAdmin())
			}
			if e.maxResp > 0 && len(dst)-start > e.maxResp {
				return dst[:start], e.tooLarge()
			}
		default:
			dst = appendValue(dst, custom[i])
		}
	}
	if br != nil {
		if err := br.Close(); err != nil {
			return dst[:start], DBError(err, p.Session.IsAdmin())
		}
	}
	return append(dst, "}}"...), nil
}

// tooLarge is the error of a response over the response size limit.
func (e *Engine) tooLarge() error {
	return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("the response is larger than the limit of %d bytes", e.maxResp)}
}

// MaxResponseSize is the limit of a response's size (0: none).
func (e *Engine) MaxResponseSize() int { return e.maxResp }

// appendJSON appends the one JSON column of a statement's row, or null for
// no row or NULL.
func appendJSON(dst []byte, rows pgx.Rows) ([]byte, error) {
	defer rows.Close()
	var raw []byte
	if rows.Next() {
		// RawValues is valid until the next call to Next: copied here.
		raw = rows.RawValues()[0]
	}
	dst = appendValue(dst, raw)
	rows.Close()
	return dst, rows.Err()
}

// assemble appends {"data": {...}} from the fields' JSON, in response
// order; a field without a value is null. Over the response size limit it
// is an error.
func (e *Engine) assemble(b []byte, p *compile.Plan, results [][]byte) ([]byte, error) {
	if e.maxResp > 0 {
		n := 0
		for _, r := range results {
			n += len(r)
		}
		if n > e.maxResp {
			return b, e.tooLarge()
		}
	}
	b = append(b, `{"data":{`...)
	for i, f := range p.Fields {
		b = appendKey(b, i, f.Key)
		if f.Kind == compile.FieldTypename {
			b = appendTypename(b, f.Text)
		} else {
			b = appendValue(b, results[i])
		}
	}
	return append(b, "}}"...), nil
}

// appendKey appends the i-th response key of an object (a GraphQL name:
// no escaping needed).
func appendKey(b []byte, i int, key string) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `":`...)
}

func appendTypename(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"')
}

// appendValue appends a field's JSON, null for none.
func appendValue(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return append(b, v...)
}
