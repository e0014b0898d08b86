package engine

// Remote schemas: the root fields that a remote GraphQL server answers
// (package remote). The remote fields of an operation are sent as one
// request per remote, re-printed with the remote's own names (the
// customization undone), the client's variables they use passed on and
// the role's presets added; the remote's data is spliced into the
// response, its __typename values renamed back.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// remoteIndex finds the remote of a root field.
type remoteIndex struct {
	// roots are the remotes' root fields by operation and served name;
	// namespaces their namespace fields.
	roots      map[ast.Operation]map[string]*remote.Remote
	namespaces map[string]*remote.Remote
}

func newRemoteIndex(list []*remote.Remote) *remoteIndex {
	ix := &remoteIndex{roots: map[ast.Operation]map[string]*remote.Remote{ast.Query: {}, ast.Mutation: {}}, namespaces: map[string]*remote.Remote{}}
	for _, r := range list {
		for name := range r.Query {
			ix.roots[ast.Query][name] = r
		}
		for name := range r.Mutation {
			ix.roots[ast.Mutation][name] = r
		}
		if r.Namespace != "" {
			ix.namespaces[r.Namespace] = r
		}
	}
	return ix
}

// of returns the remote that answers root field name of an op operation,
// or nil.
func (ix *remoteIndex) of(op ast.Operation, name string) *remote.Remote {
	if ix == nil {
		return nil
	}
	if r := ix.roots[op][name]; r != nil {
		return r
	}
	if op != ast.Subscription {
		return ix.namespaces[name]
	}
	return nil
}

// markRemote makes the custom fields of a new plan that a remote answers
// remote fields.
func (e *Engine) markRemote(op ast.Operation, plan *compile.Plan) {
	if e.remotes == nil || !plan.Custom {
		return
	}
	custom := false
	for i := range plan.Fields {
		f := &plan.Fields[i]
		if f.Kind != compile.FieldCustom {
			continue
		}
		if e.remotes.of(op, f.AST.Name) != nil {
			f.Kind = compile.FieldRemote
			plan.Remote = true
		} else {
			custom = true
		}
	}
	plan.Custom = custom
}

// onlyRemote reports whether a plan's fields are all remote fields (or
// __typename).
func onlyRemote(p *compile.Plan) bool {
	if !p.Remote || p.Custom {
		return false
	}
	for _, f := range p.Fields {
		if f.Kind != compile.FieldRemote && f.Kind != compile.FieldTypename {
			return false
		}
	}
	return true
}

// runRemote runs the remote fields among fields lo to hi (excluded) of p,
// one request per remote (concurrently), and stores each field's JSON in
// results.
func (e *Engine) runRemote(ctx context.Context, db DBTX, p *Prepared, results [][]byte, lo, hi int) error {
	var order []*remote.Remote
	groups := map[*remote.Remote][]int{}
	for i := lo; i < hi; i++ {
		f := p.Plan.Fields[i]
		if f.Kind != compile.FieldRemote {
			continue
		}
		r := e.remotes.of(p.Operation, f.AST.Name)
		if groups[r] == nil {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	if len(order) == 1 {
		return e.callRemote(ctx, db, p, order[0], groups[order[0]], results)
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for k, r := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = e.callRemote(ctx, db, p, r, groups[r], results)
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

// callRemote sends the fields idx of p to r in one request.
func (e *Engine) callRemote(ctx context.Context, db DBTX, p *Prepared, r *remote.Remote, idx []int, results [][]byte) error {
	pr := &remotePrinter{r: r, p: p, vars: map[string]bool{}}
	var body strings.Builder
	pr.w = &body
	type nsField struct {
		i      int
		fields []*ast.Field // the namespace's sub-fields, by first response key
	}
	var namespaced []nsField
	for _, i := range idx {
		f := p.Plan.Fields[i]
		if r.Namespace != "" && f.AST.Name == r.Namespace {
			nf := nsField{i: i}
			parent := f.AST.Definition.Type.Name()
			for _, sf := range rootFields(f.AST.SelectionSet) {
				nf.fields = append(nf.fields, sf)
				if sf.Name == "__typename" {
					continue
				}
				pr.field(sf, parent, "_"+strconv.Itoa(i)+"_"+sf.Alias, r.Fields[parent][sf.Name])
			}
			namespaced = append(namespaced, nf)
			continue
		}
		parent, names := "query_root", r.Query
		if p.Operation == ast.Mutation {
			parent, names = "mutation_root", r.Mutation
		}
		pr.field(f.AST, parent, f.Key, names[f.AST.Name])
	}
	if pr.err != nil {
		return pr.err
	}
	req := &remote.Request{Query: pr.document(string(p.Operation), body.String()), Variables: pr.values}
	resp, err := r.Client.Do(ctx, p.Session, req)
	if err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		// A namespaced field's sub-fields went under internal aliases:
		// their errors' paths are given back the namespace's key.
		paths := map[string][]any{}
		for _, nf := range namespaced {
			key := p.Plan.Fields[nf.i].Key
			for _, sf := range nf.fields {
				paths["_"+strconv.Itoa(nf.i)+"_"+sf.Alias] = []any{key, sf.Alias}
			}
		}
		return remoteErrors(resp.Errors, paths)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &data); err != nil || data == nil {
		return &wire.Error{Code: remote.CodeRemoteSchemaError, Path: "$", Err: err,
			Message: fmt.Sprintf("remote schema %q answered data that is not an object", r.Name)}
	}
	// finish renames a field's types, or, when the request holds
	// relationship fields to tables, joins them (remote_join.go).
	finish := func(v json.RawMessage, set ast.SelectionSet) (json.RawMessage, error) {
		if !pr.typeRels {
			return renameTypes(r, v, set), nil
		}
		out, err := e.joinTypeRels(ctx, db, p, r, v, set)
		if err != nil {
			var we *wire.Error
			var wl wire.List
			if errors.As(err, &we) || errors.As(err, &wl) {
				return nil, err
			}
			return nil, joinError(r, err)
		}
		return out, nil
	}
	for _, i := range idx {
		f := p.Plan.Fields[i]
		if r.Namespace == "" || f.AST.Name != r.Namespace {
			if results[i], err = finish(data[f.Key], f.AST.SelectionSet); err != nil {
				return err
			}
		}
	}
	for _, nf := range namespaced {
		var b []byte
		b = append(b, '{')
		seen := map[string]bool{}
		parent := p.Plan.Fields[nf.i].AST.Definition.Type.Name()
		for _, sf := range nf.fields {
			if seen[sf.Alias] {
				continue
			}
			seen[sf.Alias] = true
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = appendKey(b, 0, sf.Alias)
			if sf.Name == "__typename" {
				b = appendTypename(b, parent)
				continue
			}
			v, err := finish(data["_"+strconv.Itoa(nf.i)+"_"+sf.Alias], sf.SelectionSet)
			if err != nil {
				return err
			}
			b = appendValue(b, v)
		}
		results[nf.i] = append(b, '}')
	}
	return nil
}

// remoteErrors passes a remote's errors through, as Hasura does; a path
// whose first key is in paths starts with what it maps to instead.
func remoteErrors(raw []json.RawMessage, paths map[string][]any) error {
	l := make(wire.List, len(raw))
	for i, r := range raw {
		var m struct {
			Message string `json:"message"`
			Path    []any  `json:"path"`
		}
		_ = json.Unmarshal(r, &m)
		if len(m.Path) > 0 {
			if k, ok := m.Path[0].(string); ok && paths[k] != nil {
				var obj map[string]json.RawMessage
				if json.Unmarshal(r, &obj) == nil {
					obj["path"], _ = json.Marshal(append(append([]any(nil), paths[k]...), m.Path[1:]...))
					r, _ = json.Marshal(obj)
				}
			}
		}
		l[i] = &wire.Error{Message: m.Message, Path: "$", Code: remote.CodeRemoteSchemaError, Raw: r}
	}
	return l
}

// rootFields flattens the fragments of a selection set (of a root
// type: every fragment applies).
func rootFields(set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, rootFields(s.SelectionSet)...)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				out = append(out, rootFields(s.Definition.SelectionSet)...)
			}
		}
	}
	return out
}

// remotePrinter writes the selections of a request to a remote with the
// remote's names.
type remotePrinter struct {
	r      *remote.Remote
	p      *Prepared
	w      *strings.Builder
	vars   map[string]bool // the client's variables used
	values map[string]json.RawMessage
	defs   []string // variable definitions
	nPre   int
	err    error
	// typeRels is set when a relationship field to a table was printed
	// (remote_join.go).
	typeRels bool
}

// field writes f of the served type parent as the remote's field name
// (the served name when empty) under the response key alias.
func (pr *remotePrinter) field(f *ast.Field, parent, alias, name string) {
	if name == "" {
		name = f.Name
	}
	w := pr.w
	w.WriteByte(' ')
	if alias != name {
		w.WriteString(alias)
		w.WriteString(": ")
	}
	w.WriteString(name)
	var args []string
	for _, a := range f.Arguments {
		pr.useVars(a.Value)
		args = append(args, a.Name+": "+a.Value.String())
	}
	for _, ps := range pr.r.Presets[pr.p.Session.Role] {
		if ps.Type != parent || ps.Field != f.Name {
			continue
		}
		args = append(args, ps.Arg+": "+pr.preset(ps))
	}
	if len(args) > 0 {
		w.WriteString("(" + strings.Join(args, ", ") + ")")
	}
	pr.directives(f.Directives)
	if len(f.SelectionSet) > 0 {
		pr.selections(f.SelectionSet, f.Definition.Type.Name())
	}
}

func (pr *remotePrinter) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		pr.w.WriteString(" @" + d.Name)
		if len(d.Arguments) > 0 {
			var args []string
			for _, a := range d.Arguments {
				pr.useVars(a.Value)
				args = append(args, a.Name+": "+a.Value.String())
			}
			pr.w.WriteString("(" + strings.Join(args, ", ") + ")")
		}
	}
}

// selections writes a selection set of the served type parent.
func (pr *remotePrinter) selections(set ast.SelectionSet, parent string) {
	pr.w.WriteString(" {")
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if rel := pr.r.TypeRel(parent, s.Name); rel != nil {
				pr.typeRelField(s, rel)
				continue
			}
			pr.field(s, parent, s.Alias, pr.r.Fields[parent][s.Name])
		case *ast.InlineFragment:
			cond := parent
			pr.w.WriteString(" ...")
			if s.TypeCondition != "" {
				cond = s.TypeCondition
				pr.w.WriteString(" on " + pr.r.RemoteType(cond))
			}
			pr.directives(s.Directives)
			pr.selections(s.SelectionSet, cond)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			cond := s.Definition.TypeCondition
			pr.w.WriteString(" ... on " + pr.r.RemoteType(cond))
			pr.directives(s.Directives)
			pr.selections(s.Definition.SelectionSet, cond)
		}
	}
	pr.w.WriteString(" }")
}

// useVars records the client's variables v uses.
func (pr *remotePrinter) useVars(v *ast.Value) {
	if v == nil {
		return
	}
	if v.Kind == ast.Variable {
		if !pr.vars[v.Raw] {
			pr.vars[v.Raw] = true
			pr.define(v.Raw)
		}
		return
	}
	for _, c := range v.Children {
		pr.useVars(c.Value)
	}
}

// define declares the client's variable name in the remote's names, its
// value the client's.
func (pr *remotePrinter) define(name string) {
	var def *ast.VariableDefinition
	if pr.p.op != nil {
		def = pr.p.op.VariableDefinitions.ForName(name)
	}
	if def == nil {
		pr.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: fmt.Sprintf("variable %q is not defined", name)}
		return
	}
	text := "$" + name + ": " + pr.remoteTypeText(def.Type)
	if def.DefaultValue != nil {
		text += " = " + def.DefaultValue.String()
	}
	pr.defs = append(pr.defs, text)
	if raw, ok := pr.p.Vars.Raw[name]; ok {
		if pr.values == nil {
			pr.values = map[string]json.RawMessage{}
		}
		pr.values[name] = raw
	}
}

func (pr *remotePrinter) remoteTypeText(t *ast.Type) string {
	var s string
	if t.Elem != nil {
		s = "[" + pr.remoteTypeText(t.Elem) + "]"
	} else {
		s = pr.r.RemoteType(t.NamedType)
	}
	if t.NonNull {
		s += "!"
	}
	return s
}

// preset returns the value of a preset argument: its literal, or a
// variable holding the session variable's value.
func (pr *remotePrinter) preset(ps remote.Preset) string {
	if ps.Session == "" {
		return ps.Value
	}
	v, ok := pr.p.Session.Var(ps.Session)
	if !ok {
		if pr.err == nil {
			pr.err = &wire.Error{Code: wire.CodeNotFound, Path: "$", Message: fmt.Sprintf("missing session variable: %q", ps.Session)}
		}
		return "null"
	}
	pr.nPre++
	name := "hasgen_preset_" + strconv.Itoa(pr.nPre)
	pr.defs = append(pr.defs, "$"+name+": "+ps.ArgType)
	if pr.values == nil {
		pr.values = map[string]json.RawMessage{}
	}
	pr.values[name] = sessionValue(v, ps.ArgType)
	return "$" + name
}

// sessionValue is a session variable's text as a JSON value of the
// argument type typ: a number or boolean for those scalars when it reads
// as one, a string otherwise.
func sessionValue(v, typ string) json.RawMessage {
	base := strings.Trim(typ, "[]!")
	switch base {
	case "Int", "Float":
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.RawMessage(v)
		}
	case "Boolean":
		if v == "true" || v == "false" {
			return json.RawMessage(v)
		}
	}
	b, _ := json.Marshal(v)
	return b
}

// document is the request's document: the operation with its variable
// definitions around body.
func (pr *remotePrinter) document(op, body string) string {
	var b strings.Builder
	b.WriteString(op)
	if len(pr.defs) > 0 {
		b.WriteString("(" + strings.Join(pr.defs, ", ") + ")")
	}
	b.WriteString(" {")
	b.WriteString(body)
	b.WriteString(" }")
	return b.String()
}

// renameTypes renames the remote's type names in the __typename values of
// v (the value of a field with selections set) to the served ones, keys
// in the remote's order. Without renamed types, v is returned as is.
func renameTypes(r *remote.Remote, v json.RawMessage, set ast.SelectionSet) json.RawMessage {
	if len(r.Types) == 0 || len(set) == 0 || v == nil {
		return v
	}
	out, err := renameValue(r, v, set)
	if err != nil {
		return v
	}
	return out
}

func renameValue(r *remote.Remote, v json.RawMessage, set ast.SelectionSet) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
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
			if i > 0 {
				b = append(b, ',')
			}
			x, err := renameValue(r, it, set)
			if err != nil {
				return nil, err
			}
			b = append(b, x...)
		}
		return append(b, ']'), nil
	case '{':
		byKey := map[string]*ast.Field{}
		var walk func(ast.SelectionSet)
		walk = func(s ast.SelectionSet) {
			for _, sel := range s {
				switch x := sel.(type) {
				case *ast.Field:
					if byKey[x.Alias] == nil {
						byKey[x.Alias] = x
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
		dec := json.NewDecoder(bytes.NewReader(v))
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		b := []byte{'{'}
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
			if len(b) > 1 {
				b = append(b, ',')
			}
			kb, _ := json.Marshal(key)
			b = append(append(b, kb...), ':')
			f := byKey[key]
			switch {
			case f != nil && f.Name == "__typename":
				var name string
				if json.Unmarshal(val, &name) == nil {
					val, _ = json.Marshal(r.ServedType(name))
				}
			case f != nil && len(f.SelectionSet) > 0:
				if val, err = renameValue(r, val, f.SelectionSet); err != nil {
					return nil, err
				}
			}
			b = append(b, val...)
		}
		return append(b, '}'), nil
	}
	return v, nil
}
