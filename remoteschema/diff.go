package remoteschema

import (
	"fmt"
	"sort"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Diff names what changed from the snapshot old to the remote's schema
// now (both SDL): types added, removed or of another kind; fields,
// arguments, input fields, enum values and union members added, removed
// or of another type. Sorted; empty when nothing changed.
func Diff(old, now string) ([]string, error) {
	a, err := parser.ParseSchema(&ast.Source{Name: "snapshot", Input: old})
	if err != nil {
		return nil, fmt.Errorf("the snapshot: %w", err)
	}
	b, err := parser.ParseSchema(&ast.Source{Name: "remote", Input: now})
	if err != nil {
		return nil, fmt.Errorf("the remote's schema: %w", err)
	}
	at, bt := byName(a), byName(b)
	var out []string
	for name, d := range at {
		e, ok := bt[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("type %s: removed", name))
		case d.Kind != e.Kind:
			out = append(out, fmt.Sprintf("type %s: was %s, is %s", name, kindName(d.Kind), kindName(e.Kind)))
		default:
			out = append(out, diffType(d, e)...)
		}
	}
	for name := range bt {
		if _, ok := at[name]; !ok {
			out = append(out, fmt.Sprintf("type %s: added", name))
		}
	}
	ra, rb := roots(a), roots(b)
	for _, op := range []ast.Operation{ast.Query, ast.Mutation, ast.Subscription} {
		if ra[op] != rb[op] {
			out = append(out, fmt.Sprintf("schema: %s root was %q, is %q", op, ra[op], rb[op]))
		}
	}
	sort.Strings(out)
	return out, nil
}

func byName(doc *ast.SchemaDocument) map[string]*ast.Definition {
	m := map[string]*ast.Definition{}
	for _, d := range doc.Definitions {
		m[d.Name] = d
	}
	return m
}

func roots(doc *ast.SchemaDocument) map[ast.Operation]string {
	m := map[ast.Operation]string{}
	for _, s := range doc.Schema {
		for _, o := range s.OperationTypes {
			m[o.Operation] = o.Type
		}
	}
	return m
}

func kindName(k ast.DefinitionKind) string {
	return map[ast.DefinitionKind]string{ast.Scalar: "a scalar", ast.Object: "an object", ast.Interface: "an interface",
		ast.Union: "a union", ast.Enum: "an enum", ast.InputObject: "an input object"}[k]
}

func diffType(a, b *ast.Definition) []string {
	var out []string
	what := "field"
	if a.Kind == ast.InputObject {
		what = "input field"
	}
	for _, f := range a.Fields {
		g := b.Fields.ForName(f.Name)
		if g == nil {
			out = append(out, fmt.Sprintf("type %s: %s %s removed", a.Name, what, f.Name))
			continue
		}
		if f.Type.String() != g.Type.String() {
			out = append(out, fmt.Sprintf("type %s: %s %s was %s, is %s", a.Name, what, f.Name, f.Type, g.Type))
		}
		for _, x := range f.Arguments {
			y := g.Arguments.ForName(x.Name)
			if y == nil {
				out = append(out, fmt.Sprintf("type %s: field %s: argument %s removed", a.Name, f.Name, x.Name))
			} else if x.Type.String() != y.Type.String() {
				out = append(out, fmt.Sprintf("type %s: field %s: argument %s was %s, is %s", a.Name, f.Name, x.Name, x.Type, y.Type))
			}
		}
		for _, y := range g.Arguments {
			if f.Arguments.ForName(y.Name) == nil {
				out = append(out, fmt.Sprintf("type %s: field %s: argument %s added", a.Name, f.Name, y.Name))
			}
		}
	}
	for _, g := range b.Fields {
		if a.Fields.ForName(g.Name) == nil {
			out = append(out, fmt.Sprintf("type %s: %s %s added", a.Name, what, g.Name))
		}
	}
	for _, v := range a.EnumValues {
		if b.EnumValues.ForName(v.Name) == nil {
			out = append(out, fmt.Sprintf("enum %s: value %s removed", a.Name, v.Name))
		}
	}
	for _, v := range b.EnumValues {
		if a.EnumValues.ForName(v.Name) == nil {
			out = append(out, fmt.Sprintf("enum %s: value %s added", a.Name, v.Name))
		}
	}
	out = append(out, diffNames("union "+a.Name+": member", a.Types, b.Types)...)
	out = append(out, diffNames("type "+a.Name+": interface", a.Interfaces, b.Interfaces)...)
	return out
}

func diffNames(what string, a, b []string) []string {
	var out []string
	in := func(s string, l []string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, x := range a {
		if !in(x, b) {
			out = append(out, what+" "+x+" removed")
		}
	}
	for _, x := range b {
		if !in(x, a) {
			out = append(out, what+" "+x+" added")
		}
	}
	return out
}
