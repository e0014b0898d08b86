package engine

// Actions: root fields answered by an HTTP handler (runtime/actions). The
// handler's JSON is checked against the output type and projected through
// the field's selection set here, as Hasura does: aliases, __typename,
// nested objects and lists; a field the handler leaves out is left out.
// In a mutation, actions run outside any transaction, each root field
// on its own and in order, as Hasura runs root fields it cannot put in one
// transaction.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// markActions makes the action fields of a plan compiled for op
// FieldAction, and leaves Custom set only when gqlgen has a field left.
func (e *Engine) markActions(plan *compile.Plan, op ast.Operation) {
	if e.actions == nil {
		return
	}
	custom := false
	for i := range plan.Fields {
		f := &plan.Fields[i]
		if f.Kind != compile.FieldCustom {
			continue
		}
		// An asynchronous action is also a query and a subscription
		// (action_async.go).
		ok, mutation := e.actions.Has(f.AST.Name)
		if ok && (mutation == (op == ast.Mutation) && op != ast.Subscription || op != ast.Mutation && e.actions.Async(f.AST.Name)) {
			f.Kind = compile.FieldAction
			continue
		}
		custom = true
	}
	plan.Custom = custom
}

// hasActions reports whether a plan has an action field.
func hasActions(p *compile.Plan) bool {
	for _, f := range p.Fields {
		if f.Kind == compile.FieldAction {
			return true
		}
	}
	return false
}

// runActions calls the handlers of the action fields among fields lo to
// hi (excluded), at the same time, and stores each field's JSON in
// results. The first error in field order is returned.
func (e *Engine) runActions(ctx context.Context, db DBTX, p *Prepared, results [][]byte, lo, hi int) error {
	plain := make(map[string]any, len(p.Vars.Values))
	for k, v := range p.Vars.Values {
		plain[k] = wire.Plain(v)
	}
	vars := make(map[string]string, len(p.Session.Vars)+1)
	for k, v := range p.Session.Vars {
		vars[k] = v
	}
	vars["x-hasura-role"] = p.Session.Role
	errs := make([]error, hi-lo)
	var wg sync.WaitGroup
	for i := lo; i < hi; i++ {
		f := p.Plan.Fields[i]
		if f.Kind != compile.FieldAction {
			continue
		}
		call := actions.Call{Name: f.AST.Name, Input: f.AST.ArgumentMap(plain), Session: vars, Query: p.Request.Query}
		if e.actions.Async(call.Name) {
			// The call is logged, or read back (action_async.go).
			results[i], errs[i-lo] = e.runAsync(ctx, db, p, f.AST, call)
			continue
		}
		if h := e.actions.GoHandler(f.AST.Name); h != nil {
			// In process, one at a time: db may be a transaction
			// (action_go.go).
			results[i], errs[i-lo] = e.runGoAction(ctx, db, p, &f, h, call)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := e.actions.Do(ctx, call)
			if err == nil {
				results[i], err = e.actionValue(ctx, db, p, f.AST, raw)
			}
			errs[i-lo] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runMutationWithActions runs a mutation that has action fields: each
// root field on its own, in order; the fields before a failing one stay
// done, as in Hasura.
func (e *Engine) runMutationWithActions(ctx context.Context, db DBTX, p *Prepared, dst []byte) ([]byte, error) {
	results := make([][]byte, len(p.Plan.Fields))
	for i, f := range p.Plan.Fields {
		switch f.Kind {
		case compile.FieldTypename:
		case compile.FieldAction:
			if !e.isGoAction(&f) {
				if err := e.runActions(ctx, db, p, results, i, i+1); err != nil {
					return dst, err
				}
				break
			}
			fallthrough // a Go action in a transaction of its own (action_go.go)
		default:
			plan := *p.Plan
			plan.Fields = p.Plan.Fields[i : i+1]
			plan.Custom = f.Kind == compile.FieldCustom
			plan.Remote = f.Kind == compile.FieldRemote
			plan.Remote = f.Kind == compile.FieldRemote
			sub := *p
			sub.Plan = &plan
			out, err := e.runMutation(ctx, db, &sub, nil)
			if err != nil {
				return dst, err
			}
			var resp struct {
				Data map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				return dst, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read a mutation field's result", Err: err}
			}
			results[i] = resp.Data[f.Key]
		}
	}
	return e.assemble(dst, p.Plan, results)
}

// actionValue checks a handler's JSON against the field's output type and
// projects it through the field's selections, the output type's
// relationships to tables read on db (action_rel.go).
func (e *Engine) actionValue(ctx context.Context, db DBTX, p *Prepared, field *ast.Field, raw []byte) ([]byte, error) {
	schema := p.role.schema
	typ := field.Definition.Type
	named := schema.Types[typ.Name()]
	if named == nil || named.Kind != ast.Object {
		// A scalar or an enum: Hasura returns the JSON as it is, and
		// checks only the built-in scalars.
		if named != nil && named.BuiltIn {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "not a valid json response from webhook", Err: err}
			}
			if err := validateOutput(v, typ, nil, nil); err != nil {
				return nil, err
			}
		}
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "not a valid json response from webhook", Err: err}
	}
	rels := map[string]bool{}
	for _, r := range e.actions.Relationships(named.Name) {
		rels[r.Name] = true
	}
	if err := validateOutput(v, typ, named, rels); err != nil {
		return nil, err
	}
	var objs []map[string]any
	switch v := v.(type) {
	case []any:
		for _, el := range v {
			if o, ok := el.(map[string]any); ok {
				objs = append(objs, o)
			}
		}
	case map[string]any:
		objs = append(objs, v)
	}
	relValues, err := e.actionRelationships(ctx, db, p, named, field.SelectionSet, objs)
	if err != nil {
		return nil, err
	}
	var b []byte
	switch v := v.(type) {
	case []any:
		b = append(b, '[')
		for i, el := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if o, ok := el.(map[string]any); ok {
				b = projectObject(b, schema, named, field.SelectionSet, o, relValues)
			} else {
				b = appendAny(b, el)
			}
		}
		b = append(b, ']')
	case map[string]any:
		b = projectObject(b, schema, named, field.SelectionSet, v, relValues)
	default:
		b = appendAny(b, v)
	}
	return b, nil
}

// validateOutput checks v against the output type typ as Hasura's
// validateResponse does: the kind of a built-in scalar, lists, and the
// non-null fields of the output object (obj, nil for a scalar) at its top
// level, but its relationships (rels). Its messages are Hasura's, typos
// included.
func validateOutput(v any, typ *ast.Type, obj *ast.Definition, rels map[string]bool) error {
	fail := func(msg string) error {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msg}
	}
	name := typ.NamedType
	switch v := v.(type) {
	case nil:
		if typ.NonNull {
			return fail("got null for the action webhook response")
		}
	case json.Number:
		if name == "" {
			return fail("expecting array for the action webhook response")
		}
		if name != "Int" && name != "Float" {
			return fail("got scalar String for the action webhook response, expecting " + name)
		}
	case bool:
		if name == "" {
			return fail("expecting array for the action webhook response")
		}
		if name != "Boolean" {
			return fail("got scalar Boolean for the action webhook response, expecting " + name)
		}
	case string:
		if name == "" {
			return fail("expecting array for the action webhook response")
		}
		if name != "String" && name != "ID" {
			return fail("got scalar String for the action webhook response, expecting " + name)
		}
	case []any:
		if name != "" {
			return fail("got array for the action webhook response, expecting " + name)
		}
		for _, el := range v {
			if err := validateOutput(el, typ.Elem, obj, rels); err != nil {
				return err
			}
		}
	case map[string]any:
		if name == "" {
			return fail("expecting array for the action webhook response")
		}
		if builtinScalar(name) {
			return fail("got object for the action webhook response, expecting " + name)
		}
		if obj == nil {
			return nil
		}
		for _, fd := range obj.Fields {
			if !fd.Type.NonNull || fd.Name == "__typename" || rels[fd.Name] {
				continue
			}
			fv, ok := v[fd.Name]
			if !ok {
				return fail(fmt.Sprintf("field %q expected in webhook response, but not found", fd.Name))
			}
			if fv == nil {
				return fail(fmt.Sprintf("expecting not null value for field %q", fd.Name))
			}
		}
	}
	return nil
}

func builtinScalar(name string) bool {
	switch name {
	case "Int", "Float", "String", "Boolean", "ID":
		return true
	}
	return false
}

// projectObject appends the object o as the selections sels of type def
// ask for it, in selection order under their response keys. As in
// Hasura, a field o lacks is left out, and a nested value that is
// neither an object, a list nor null is dropped. rels holds the values
// of relationship fields by response key (nil below the top level).
func projectObject(b []byte, schema *ast.Schema, def *ast.Definition, sels ast.SelectionSet, o map[string]any, rels map[string]relValue) []byte {
	b = append(b, '{')
	n := 0
	for _, f := range collectFields(sels, nil, map[string]int{}) {
		var val []byte
		switch {
		case f.Name == "__typename":
			val = appendAny(nil, def.Name)
		case rels[f.Alias] != nil:
			val = rels[f.Alias](o)
		default:
			fv, ok := o[f.Name]
			if !ok {
				continue
			}
			inner := schema.Types[f.Definition.Type.Name()]
			if inner == nil || inner.Kind != ast.Object {
				val = appendAny(nil, fv)
				break
			}
			var ok2 bool
			if val, ok2 = projectNested(nil, schema, inner, f.SelectionSet, fv); !ok2 {
				continue
			}
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendAny(b, f.Alias)
		b = append(b, ':')
		b = append(b, val...)
	}
	return append(b, '}')
}

// projectNested appends a nested object field's value: an object, a list
// of them, or null; false for anything else.
func projectNested(b []byte, schema *ast.Schema, def *ast.Definition, sels ast.SelectionSet, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case map[string]any:
		return projectObject(b, schema, def, sels, v, nil), true
	case []any:
		b = append(b, '[')
		n := 0
		for _, el := range v {
			var ok bool
			mark := len(b)
			if n > 0 {
				b = append(b, ',')
			}
			if b, ok = projectNested(b, schema, def, sels, el); !ok {
				b = b[:mark]
				continue
			}
			n++
		}
		return append(b, ']'), true
	}
	return b, false
}

// collectFields flattens a selection set into its fields, fragments
// spread, one per response key with the selections of repeated keys
// merged.
func collectFields(sels ast.SelectionSet, out []*ast.Field, at map[string]int) []*ast.Field {
	for _, s := range sels {
		switch s := s.(type) {
		case *ast.Field:
			if i, ok := at[s.Alias]; ok {
				merged := *out[i]
				merged.SelectionSet = append(append(ast.SelectionSet{}, merged.SelectionSet...), s.SelectionSet...)
				out[i] = &merged
				continue
			}
			at[s.Alias] = len(out)
			out = append(out, s)
		case *ast.InlineFragment:
			out = collectFields(s.SelectionSet, out, at)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				out = collectFields(s.Definition.SelectionSet, out, at)
			}
		}
	}
	return out
}

// appendAny appends v as JSON (numbers as json.Number keep their text),
// without escaping <, > and &, as Hasura writes them.
func appendAny(b []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return append(b, "null"...)
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}
