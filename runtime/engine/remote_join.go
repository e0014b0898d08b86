package engine

// Relationships from a remote schema's types to tables (remote
// schemas' remote_relationships, to_source): the request to the remote
// holds, in such a field's place, a placeholder (`<key>: __typename`,
// which also tells the object's type) and the mapped fields under hidden
// keys (hasgen_k<i>_<key>); the remote's answer is then read once to
// collect the objects of each relationship field, each field's rows are
// read with ONE query under the caller's select permission (as an
// action's relationships, action_rel.go), and the answer is rewritten:
// placeholders replaced by the rows, hidden keys dropped, __typename
// values renamed.

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// hiddenKey is the response key of the i-th mapped field of the
// relationship field under key.
func hiddenKey(i int, key string) string { return "hasgen_k" + strconv.Itoa(i) + "_" + key }

// typeRelField writes, for the relationship field f of a remote type,
// its placeholder and the hidden mapped fields.
func (pr *remotePrinter) typeRelField(f *ast.Field, rel *remote.TypeRelationship) {
	pr.typeRels = true
	pr.w.WriteString(" " + f.Alias + ": __typename")
	for i, m := range rel.Mapping {
		pr.w.WriteString(" " + hiddenKey(i, f.Alias) + ": " + m.Field)
	}
}

// relOccurrence is one relationship field of a selection and the objects
// it is selected on.
type relOccurrence struct {
	rel   *remote.TypeRelationship
	field *ast.Field
	objs  []map[string]any
	value relValue
}

// remoteJoin rewrites v, a remote's value for the selections set, with
// its types' relationships to tables answered from db.
type remoteJoin struct {
	e   *Engine
	r   *remote.Remote
	p   *Prepared
	occ map[*ast.Field]*relOccurrence
	// order keeps the occurrences in the order they were found.
	order []*relOccurrence
}

// joinTypeRels answers the relationship fields to tables in v.
func (e *Engine) joinTypeRels(ctx context.Context, db DBTX, p *Prepared, r *remote.Remote, v json.RawMessage, set ast.SelectionSet) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	j := &remoteJoin{e: e, r: r, p: p, occ: map[*ast.Field]*relOccurrence{}}
	if _, err := j.walk(v, set, false); err != nil {
		return nil, err
	}
	for _, o := range j.order {
		mapping := make([]actions.FieldColumn, len(o.rel.Mapping))
		for i, m := range o.rel.Mapping {
			mapping[i] = actions.FieldColumn{Field: "k" + strconv.Itoa(i), Column: m.Column}
		}
		ar := actions.Relationship{Type: o.rel.Type, Name: o.rel.Name, Array: o.rel.Array, Root: o.rel.Root, Namespace: o.rel.Namespace, Mapping: mapping}
		if p.joinMu != nil {
			p.joinMu.Lock()
		}
		val, err := e.relationshipRows(ctx, db, p, ar, o.field, o.objs)
		if p.joinMu != nil {
			p.joinMu.Unlock()
		}
		if err != nil {
			return nil, err
		}
		o.value = val
	}
	return j.walk(v, set, true)
}

// fieldsByKey maps the response keys of a selection set to their fields,
// through fragments; first holds the first field of each key (what
// occurrences are keyed by).
func fieldsByKey(set ast.SelectionSet) (byKey, first map[string]*ast.Field) {
	byKey, first = map[string]*ast.Field{}, map[string]*ast.Field{}
	var walk func(ast.SelectionSet)
	walk = func(s ast.SelectionSet) {
		for _, sel := range s {
			switch x := sel.(type) {
			case *ast.Field:
				if byKey[x.Alias] == nil {
					byKey[x.Alias], first[x.Alias] = x, x
				} else if len(x.SelectionSet) > 0 {
					merged := *byKey[x.Alias]
					merged.SelectionSet = append(append(ast.SelectionSet(nil), merged.SelectionSet...), x.SelectionSet...)
					byKey[x.Alias] = &merged
				}
			case *ast.InlineFragment:
				walk(x.SelectionSet)
			case *ast.FragmentSpread:
				if x.Definition != nil {
					walk(x.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return byKey, first
}

// walk collects the relationship occurrences of v (rewrite false), or
// returns v rewritten (rewrite true).
func (j *remoteJoin) walk(v json.RawMessage, set ast.SelectionSet, rewrite bool) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(set) == 0 {
		return v, nil
	}
	switch v[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, err
		}
		b := []byte{'['}
		for i, it := range items {
			x, err := j.walk(it, set, rewrite)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, x...)
		}
		return append(b, ']'), nil
	case '{':
	default:
		return v, nil
	}
	byKey, first := fieldsByKey(set)
	type kv struct {
		key string
		val json.RawMessage
	}
	var pairs []kv
	raw := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(v))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		pairs = append(pairs, kv{key, val})
		raw[key] = val
	}
	// The relationship fields of this object: placeholders whose value
	// names a type that has the relationship.
	rels := map[string]*remote.TypeRelationship{}
	hidden := map[string]bool{}
	for _, pair := range pairs {
		f := byKey[pair.key]
		if f == nil || f.Name == "__typename" {
			continue
		}
		var typ string
		if json.Unmarshal(pair.val, &typ) != nil {
			continue
		}
		rel := j.r.TypeRel(j.r.ServedType(typ), f.Name)
		if rel == nil {
			continue
		}
		rels[pair.key] = rel
		obj := map[string]any{}
		for i := range rel.Mapping {
			hk := hiddenKey(i, pair.key)
			hidden[hk] = true
			d := json.NewDecoder(bytes.NewReader(raw[hk]))
			d.UseNumber()
			var x any
			if err := d.Decode(&x); err == nil {
				obj["k"+strconv.Itoa(i)] = x
			}
		}
		o := j.occ[first[pair.key]]
		if o == nil {
			o = &relOccurrence{rel: rel, field: first[pair.key]}
			j.occ[first[pair.key]] = o
			j.order = append(j.order, o)
		}
		if rewrite {
			raw[pair.key] = o.value(obj)
		} else {
			o.objs = append(o.objs, obj)
		}
	}
	b := []byte{'{'}
	for _, pair := range pairs {
		if hidden[pair.key] && strings.HasPrefix(pair.key, "hasgen_k") {
			continue
		}
		val := raw[pair.key]
		f := byKey[pair.key]
		switch {
		case rels[pair.key] != nil:
		case f != nil && f.Name == "__typename":
			var name string
			if json.Unmarshal(val, &name) == nil {
				val, _ = json.Marshal(j.r.ServedType(name))
			}
		case f != nil && len(f.SelectionSet) > 0:
			var err error
			if val, err = j.walk(val, f.SelectionSet, rewrite); err != nil {
				return nil, err
			}
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(pair.key)
		b = append(append(append(b, kb...), ':'), val...)
	}
	return append(b, '}'), nil
}

// joinError is the error of a remote's answer that cannot be read.
func joinError(r *remote.Remote, err error) error {
	return &wire.Error{Code: remote.CodeRemoteSchemaError, Path: "$", Err: err,
		Message: "remote schema " + strconv.Quote(r.Name) + " answered data that cannot be joined"}
}
