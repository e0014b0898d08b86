package engine

// Go-handled actions: an action whose Go handler is set (runtime/actions
// Handler) is answered by it instead of its webhook. Its handler runs
// GraphQL as the caller's role on the db the action runs on: in a
// mutation, the request's transaction (mutation.go runs Go actions in it
// like custom fields), so that a failing handler rolls back what it and
// the request's other fields wrote; in a query, the db the query runs
// on, queries only. An action whose output type is a table's returns the
// rows' primary keys, and the rows are read like an output type's
// relationship (action_rel.go): one statement, the table's select root
// field under the caller's permissions, with the client's selection; a
// row the role may not see is null (or left out of a list).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// isGoAction reports whether f is an action field answered by a Go
// handler.
func (e *Engine) isGoAction(f *compile.Field) bool {
	return f.Kind == compile.FieldAction && e.actions.GoHandler(f.AST.Name) != nil
}

// hasWebhookActions reports whether a plan has an action field answered
// by a webhook: such a mutation runs its fields one by one, outside any
// transaction, as Hasura does.
func (e *Engine) hasWebhookActions(p *compile.Plan) bool {
	for i := range p.Fields {
		if p.Fields[i].Kind == compile.FieldAction && !e.isGoAction(&p.Fields[i]) {
			return true
		}
	}
	return false
}

// runGoAction calls the Go handler h of the action field f and returns
// the field's JSON: the handler's output projected through the
// selection set, or the rows of its keys.
func (e *Engine) runGoAction(ctx context.Context, db DBTX, p *Prepared, f *compile.Field, h actions.Handler, call actions.Call) ([]byte, error) {
	input, err := json.Marshal(call.Input)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode the action's input", Err: err}
	}
	mutation := p.Operation == ast.Mutation
	run := func(ctx context.Context, query string, variables json.RawMessage) (json.RawMessage, error) {
		return e.runNested(ctx, db, p, mutation, query, variables)
	}
	req := actions.NewRequest(call, actions.ClientHeaders(ctx), run)
	raw, err := callHandler(ctx, h, req, input)
	if err != nil {
		return nil, actions.HandlerError(err)
	}
	if rows := e.actions.Rows(f.AST.Name); rows != nil {
		return e.actionRows(ctx, db, p, f.AST, rows, raw)
	}
	return e.actionValue(ctx, db, p, f.AST, raw)
}

// callHandler calls h, a panic becoming an error: a handler's bug fails
// its field, not the server.
func callHandler(ctx context.Context, h actions.Handler, req *actions.Request, input json.RawMessage) (out json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "internal error", Err: fmt.Errorf("action %s: handler panicked: %v", req.Action, r)}
		}
	}()
	return h(ctx, req, input)
}

// runNested runs a Go handler's GraphQL request as the caller's session
// on db and returns its data. A query action's handler may only run
// queries; no handler may call actions (its cost stays the request's).
func (e *Engine) runNested(ctx context.Context, db DBTX, p *Prepared, mutation bool, query string, variables json.RawMessage) (json.RawMessage, error) {
	sub, err := e.prepareInternal(ctx, p.Session, &wire.Request{Query: query, Variables: variables})
	if err != nil {
		return nil, err
	}
	switch {
	case sub.Operation == ast.Mutation && !mutation:
		return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "a query action's handler may not run mutations"}
	case sub.Operation == ast.Subscription:
		return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "an action's handler may not run subscriptions"}
	case hasActions(sub.Plan):
		return nil, &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "an action's handler may not call actions"}
	}
	out, err := e.Run(ctx, db, sub, nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read the handler's GraphQL result", Err: err}
	}
	return resp.Data, nil
}

// actionRows answers an action whose output type is a table's: raw holds
// the primary key (an object) or keys (a list) the handler returned, and
// the rows are read with one statement under the caller's select
// permission, with the client's selection. A key whose row the role does
// not see gives null, or is left out of a list.
func (e *Engine) actionRows(ctx context.Context, db DBTX, p *Prepared, field *ast.Field, rows *actions.Rows, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "the action's handler returned invalid JSON", Err: err}
	}
	var keys []map[string]any
	bad := func() error {
		what := "a primary key object"
		if rows.List {
			what = "a list of primary key objects"
		}
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("the action's handler must return %s (fields %v) or null", what, rows.Key)}
	}
	switch v := v.(type) {
	case nil:
		if !rows.List {
			return []byte("null"), nil
		}
	case map[string]any:
		if rows.List {
			return nil, bad()
		}
		keys = append(keys, v)
	case []any:
		if !rows.List {
			return nil, bad()
		}
		for _, el := range v {
			o, ok := el.(map[string]any)
			if !ok {
				return nil, bad()
			}
			keys = append(keys, o)
		}
	default:
		return nil, bad()
	}
	if v == nil {
		if field.Definition.Type.NonNull {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "got null for the action webhook response"}
		}
		return []byte("null"), nil
	}
	rel := rows.Relationship(field.Name)
	value, err := e.relationshipRows(ctx, db, p, rel, field, keys)
	if err != nil {
		return nil, err
	}
	if !rows.List {
		return value(keys[0]), nil
	}
	b := []byte{'['}
	n := 0
	for _, k := range keys {
		row := value(k)
		if bytes.Equal(row, []byte("null")) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, row...)
	}
	return append(b, ']'), nil
}
