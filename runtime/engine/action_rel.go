package engine

// Relationships of an action's output type to tables: for each one the
// client selects, the rows of every object the handler returned are read
// with ONE query, the table's select root field filtered on the mapped
// columns (`where: {col: {_in: $keys}}`), compiled and run like any
// request of the caller's role, so that its select permission applies at
// every level. The rows are then matched to the objects by the mapped
// columns' values.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// relValue gives a relationship field's JSON for one object.
type relValue func(o map[string]any) []byte

// relKeyAlias is the alias under which the query selects the i-th mapped
// column, to match rows to objects.
func relKeyAlias(i int) string { return fmt.Sprintf("hasgen_key_%d", i) }

// actionRelationships runs the queries of the relationship fields that
// sels selects on def, for the objects objs, and returns their values by
// response key.
func (e *Engine) actionRelationships(ctx context.Context, db DBTX, p *Prepared, def *ast.Definition, sels ast.SelectionSet, objs []map[string]any) (map[string]relValue, error) {
	rels := e.actions.Relationships(def.Name)
	if len(rels) == 0 {
		return nil, nil
	}
	out := map[string]relValue{}
	for _, f := range collectFields(sels, nil, map[string]int{}) {
		for _, r := range rels {
			if r.Name != f.Name {
				continue
			}
			v, err := e.relationshipRows(ctx, db, p, r, f, objs)
			if err != nil {
				return nil, err
			}
			out[f.Alias] = v
		}
	}
	return out, nil
}

// relationshipRows reads the rows of relationship r for objs with one
// query and returns the function that picks an object's.
func (e *Engine) relationshipRows(ctx context.Context, db DBTX, p *Prepared, r actions.Relationship, f *ast.Field, objs []map[string]any) (relValue, error) {
	none := []byte("null")
	if r.Array {
		none = []byte("[]")
	}
	// The distinct values of each mapped field.
	keys := make([][]any, len(r.Mapping))
	seen := make([]map[string]bool, len(r.Mapping))
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	for _, o := range objs {
		if _, ok := objectKey(o, r); !ok {
			continue
		}
		for i, m := range r.Mapping {
			k := fmt.Sprint(o[m.Field])
			if !seen[i][k] {
				seen[i][k] = true
				keys[i] = append(keys[i], o[m.Field])
			}
		}
	}
	if len(keys) == 0 || len(keys[0]) == 0 {
		return func(map[string]any) []byte { return none }, nil
	}
	query, vars, err := relationshipQuery(p, r, f)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		b, err := json.Marshal(k)
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode a relationship's keys", Err: err}
		}
		vars[relKeyAlias(i)] = b
	}
	varsJSON, _ := json.Marshal(vars) // raw messages: cannot fail
	sub, err := e.prepareInternal(ctx, p.Session, &wire.Request{Query: query, Variables: varsJSON})
	if err != nil {
		return nil, err
	}
	res, err := e.Run(ctx, db, sub, nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(res, &resp); err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read a relationship's rows", Err: err}
	}
	rowsJSON := resp.Data["r"]
	if r.Namespace != "" {
		var ns map[string]json.RawMessage
		json.Unmarshal(resp.Data[r.Namespace], &ns)
		rowsJSON = ns["r"]
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(rowsJSON, &rows); err != nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read a relationship's rows", Err: err}
	}
	byKey := map[string][][]byte{}
	for _, row := range rows {
		k, obj, err := splitKey(row, len(r.Mapping))
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read a relationship's row", Err: err}
		}
		byKey[k] = append(byKey[k], obj)
	}
	return func(o map[string]any) []byte {
		k, ok := objectKey(o, r)
		if !ok {
			return none
		}
		found := byKey[k]
		if !r.Array {
			if len(found) == 0 {
				return none
			}
			return found[0]
		}
		return append(append([]byte{'['}, bytes.Join(found, []byte{','})...), ']')
	}, nil
}

// objectKey is the key of an object's mapped fields; false when one is
// missing or null (no row matches).
func objectKey(o map[string]any, r actions.Relationship) (string, bool) {
	parts := make([]string, len(r.Mapping))
	for i, m := range r.Mapping {
		v, ok := o[m.Field]
		if !ok || v == nil {
			return "", false
		}
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "\x00"), true
}

// splitKey takes the key columns out of a row: its key, and the row
// without them, its other keys in order.
func splitKey(row []byte, n int) (string, []byte, error) {
	dec := json.NewDecoder(bytes.NewReader(row))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return "", nil, err
	}
	parts := make([]string, n)
	out := []byte{'{'}
	first := true
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", nil, err
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", nil, err
		}
		if i, ok := keyIndex(name, n); ok {
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			d.Decode(&v)
			parts[i] = fmt.Sprint(v)
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = appendAny(out, name)
		out = append(out, ':')
		out = append(out, raw...)
	}
	return strings.Join(parts, "\x00"), append(out, '}'), nil
}

func keyIndex(name string, n int) (int, bool) {
	for i := 0; i < n; i++ {
		if name == relKeyAlias(i) {
			return i, true
		}
	}
	return 0, false
}

// relationshipQuery writes the query of relationship r as the client
// selects it in f: the root field filtered on the keys (variables
// hasgen_key_<i>), the mapped columns under their key aliases, and f's
// selections, with the operation's fragments and the variables they use
// (returned with the client's values).
func relationshipQuery(p *Prepared, r actions.Relationship, f *ast.Field) (string, map[string]json.RawMessage, error) {
	schema := p.role.schema
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Request.Query})
	if err != nil {
		return "", nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot reparse the query", Err: err}
	}
	var op *ast.OperationDefinition
	for _, o := range doc.Operations {
		if p.Request.OperationName == "" || o.Name == p.Request.OperationName {
			op = o
			break
		}
	}
	// The type of each key list: the column's _in in the role's schema.
	rootType := schema.Query
	if r.Namespace != "" {
		if nf := rootType.Fields.ForName(r.Namespace); nf != nil {
			rootType = schema.Types[nf.Type.Name()]
		}
	}
	rootDef := rootType.Fields.ForName(r.Root)
	if rootDef == nil || rootDef.Arguments.ForName("where") == nil {
		return "", nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("relationship %s: the role has no field %s", r.Name, r.Root)}
	}
	boolExp := schema.Types[rootDef.Arguments.ForName("where").Type.Name()]
	var where ast.ChildValueList
	q := &ast.OperationDefinition{Operation: ast.Query}
	var keySels ast.SelectionSet
	for i, m := range r.Mapping {
		cf := boolExp.Fields.ForName(m.Column)
		var in *ast.FieldDefinition
		if cf != nil {
			if cmp := schema.Types[cf.Type.Name()]; cmp != nil {
				in = cmp.Fields.ForName("_in")
			}
		}
		if in == nil {
			return "", nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("relationship %s: column %s cannot be filtered on", r.Name, m.Column)}
		}
		name := relKeyAlias(i)
		q.VariableDefinitions = append(q.VariableDefinitions, &ast.VariableDefinition{Variable: name, Type: in.Type})
		where = append(where, &ast.ChildValue{Name: m.Column, Value: &ast.Value{Kind: ast.ObjectValue,
			Children: ast.ChildValueList{{Name: "_in", Value: &ast.Value{Kind: ast.Variable, Raw: name}}}}})
		keySels = append(keySels, &ast.Field{Alias: name, Name: m.Column})
	}
	root := &ast.Field{Alias: "r", Name: r.Root,
		Arguments:    ast.ArgumentList{{Name: "where", Value: &ast.Value{Kind: ast.ObjectValue, Children: where}}},
		SelectionSet: append(keySels, f.SelectionSet...)}
	q.SelectionSet = ast.SelectionSet{root}
	if r.Namespace != "" {
		q.SelectionSet = ast.SelectionSet{&ast.Field{Alias: r.Namespace, Name: r.Namespace, SelectionSet: ast.SelectionSet{root}}}
	}
	// The client's variables and fragments the selections use.
	used := map[string]bool{}
	frags := map[string]bool{}
	walkSelections(f.SelectionSet, doc, used, frags)
	vars := map[string]json.RawMessage{}
	var raw map[string]json.RawMessage
	if len(p.Request.Variables) > 0 {
		json.Unmarshal(p.Request.Variables, &raw)
	}
	if op != nil {
		for _, vd := range op.VariableDefinitions {
			if used[vd.Variable] {
				q.VariableDefinitions = append(q.VariableDefinitions, vd)
				if v, ok := raw[vd.Variable]; ok {
					vars[vd.Variable] = v
				}
			}
		}
	}
	out := &ast.QueryDocument{Operations: ast.OperationList{q}}
	for _, fd := range doc.Fragments {
		if frags[fd.Name] {
			out.Fragments = append(out.Fragments, fd)
		}
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b).FormatQueryDocument(out)
	return b.String(), vars, nil
}

// walkSelections collects the variables and fragments a selection set
// uses, through the fragments of doc.
func walkSelections(sels ast.SelectionSet, doc *ast.QueryDocument, vars, frags map[string]bool) {
	for _, s := range sels {
		switch s := s.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				walkValue(a.Value, vars)
			}
			for _, d := range s.Directives {
				for _, a := range d.Arguments {
					walkValue(a.Value, vars)
				}
			}
			walkSelections(s.SelectionSet, doc, vars, frags)
		case *ast.InlineFragment:
			walkSelections(s.SelectionSet, doc, vars, frags)
		case *ast.FragmentSpread:
			if frags[s.Name] {
				continue
			}
			frags[s.Name] = true
			if fd := doc.Fragments.ForName(s.Name); fd != nil {
				walkSelections(fd.SelectionSet, doc, vars, frags)
			}
		}
	}
}

func walkValue(v *ast.Value, vars map[string]bool) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		vars[v.Raw] = true
	}
	for _, c := range v.Children {
		walkValue(c.Value, vars)
	}
}
