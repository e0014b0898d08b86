package engine

// Asynchronous actions (runtime/actions/async.go): the mutation logs the
// call and returns its id; the query (and the subscription, package live)
// <action>(id:) reads the logged call as the object Hasura gives: id,
// created_at, errors and output, the handler's answer projected through
// the selection set like a synchronous action's (relationships to tables
// under the caller's permissions).

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

// runAsync answers an asynchronous action's field: in a mutation the id
// of the logged call, else the call read back for the caller.
func (e *Engine) runAsync(ctx context.Context, db DBTX, p *Prepared, field *ast.Field, call actions.Call) ([]byte, error) {
	if p.Operation == ast.Mutation {
		id, err := e.actions.Enqueue(ctx, db, call)
		if err != nil {
			return nil, DBError(err, p.Session.IsAdmin())
		}
		return appendAny(nil, id), nil
	}
	b, _, err := e.asyncQuery(ctx, db, p, field, call)
	return b, err
}

// asyncQuery reads the call the query's id argument names, for the
// caller, and returns its value as the selection set asks, and the call
// (nil when there is none for the caller).
func (e *Engine) asyncQuery(ctx context.Context, db DBTX, p *Prepared, field *ast.Field, call actions.Call) ([]byte, *actions.LogEntry, error) {
	id, _ := call.Input["id"].(string)
	var session map[string]string
	if !p.Session.IsAdmin() {
		// Hasura: only the session that made the call reads it.
		session = call.Session
	}
	entry, err := actions.Lookup(ctx, db, call.Name, id, session)
	if err != nil {
		return nil, nil, DBError(err, p.Session.IsAdmin())
	}
	if entry == nil {
		return []byte("null"), nil, nil
	}
	def := p.role.schema.Types[field.Definition.Type.Name()]
	b := []byte{'{'}
	for i, f := range collectFields(field.SelectionSet, nil, map[string]int{}) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendAny(b, f.Alias), ':')
		switch f.Name {
		case "__typename":
			b = appendAny(b, def.Name)
		case "id":
			b = appendAny(b, entry.ID)
		case "created_at":
			b = append(b, entry.CreatedAt...)
		case "errors":
			b = appendValue(b, entry.Errors)
		case "output":
			if entry.Output == nil {
				b = append(b, "null"...)
				break
			}
			v, err := e.actionValue(ctx, db, p, f, entry.Output)
			if err != nil {
				return nil, nil, err
			}
			b = append(b, v...)
		default:
			return nil, nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("unexpected field %q of %s", f.Name, def.Name)}
		}
	}
	return append(b, '}'), entry, nil
}

// AsyncState is the state of an asynchronous action's call that a
// subscription reads.
type AsyncState struct {
	// Value is the root field's value.
	Value []byte
	// ID is the call's id (the field's id argument) and Status its
	// status, empty when the caller cannot read the call.
	ID, Status string
	// Done says the call has its output or its errors, or that the
	// caller cannot read it: nothing changes the value any more.
	Done bool
}

// AsyncValue reads the call a subscription to an asynchronous action
// (its one root field, f, of p) names, as the query does, for package
// live.
func (e *Engine) AsyncValue(ctx context.Context, db DBTX, p *Prepared, f *compile.Field) (*AsyncState, error) {
	plain := make(map[string]any, len(p.Vars.Values))
	for k, v := range p.Vars.Values {
		plain[k] = wire.Plain(v)
	}
	vars := make(map[string]string, len(p.Session.Vars)+1)
	for k, v := range p.Session.Vars {
		vars[k] = v
	}
	vars["x-hasura-role"] = p.Session.Role
	call := actions.Call{Name: f.AST.Name, Input: f.AST.ArgumentMap(plain), Session: vars}
	value, entry, err := e.asyncQuery(ctx, db, p, f.AST, call)
	if err != nil {
		return nil, err
	}
	st := &AsyncState{Value: value, Done: true}
	if entry != nil {
		st.ID, st.Status = entry.ID, entry.Status
		st.Done = entry.Output != nil || entry.Errors != nil
	}
	return st, nil
}

// ValidateActionOutput checks a handler's answer to asynchronous action
// name against its output type, as a synchronous action's answer is
// checked: the worker stores the error as the call's errors.
func (e *Engine) ValidateActionOutput(name string, raw []byte) error {
	r, err := e.role("admin")
	if err != nil {
		return err
	}
	obj := r.schema.Types[name]
	if obj == nil || obj.Fields.ForName("output") == nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("action %q has no output type", name)}
	}
	typ := obj.Fields.ForName("output").Type
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "not a valid json response from webhook", Err: err}
	}
	named := r.schema.Types[typ.Name()]
	rels := map[string]bool{}
	for _, rel := range e.actions.Relationships(typ.Name()) {
		rels[rel.Name] = true
	}
	if named != nil && named.Kind != ast.Object {
		named = nil
	}
	return validateOutput(v, typ, named, rels)
}
