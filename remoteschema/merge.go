package remoteschema

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// Merged is a remote schema ready to merge into the generated schemas:
// its part of the admin's schema and of each permitted role's, and what
// the server needs to know of it.
type Merged struct {
	Schema *remote.Schema
	// Parts are the SDL to add, by role (admin's under "admin").
	Parts map[string]*Part
	// Warnings say what of the remote is not served.
	Warnings []string
	// Fields are the tables' remote relationship fields, by role
	// (relationship.go).
	Fields []*RelationshipField
	// TypeFields are the relationships from the remote's types to
	// tables (relationship.go).
	TypeFields []*TypeRelationshipField

	remote *ast.Schema
	c      *remote.Customization
	// perms are each role's permitted definitions, by the remote's type
	// name.
	perms map[string]map[string]*ast.Definition
}

// Part is a remote's part of one role's schema: root fields to add to
// query_root and mutation_root (field definitions, one per line group),
// and type definitions.
type Part struct {
	Query, Mutation string
	Types           string
	// QueryNames and MutationNames are the root fields' served names;
	// TypeNames the types'.
	QueryNames, MutationNames, TypeNames []string
}

// Merge builds the parts of r, whose snapshot is the SDL snapshot: the
// admin's part has all the remote's types and root fields; a role's has
// what its permission lists, its @preset arguments removed (and
// recorded). Names are customized. A permission that is not a subset of
// the remote is an error at its position.
func Merge(r *metadata.RemoteSchema, snapshot string) (*Merged, error) {
	ctx := fmt.Sprintf("remote schema %q", r.Name)
	rs, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema/remote/" + r.Name + ".graphqls", Input: snapshot})
	if gerr != nil {
		return nil, fmt.Errorf("%s: the snapshot does not load: %w", ctx, gerr)
	}
	c := r.Definition.Customization
	m := &Merged{Parts: map[string]*Part{}, Schema: &remote.Schema{Name: r.Name, Definition: r.Definition, Namespace: c.Namespace()},
		remote: rs, c: c, perms: map[string]map[string]*ast.Definition{}}
	m.Schema.Definition.Customization = nil // applied here; the server maps names with Types and Fields
	roots := map[string]ast.Operation{}
	if rs.Query != nil {
		roots[rs.Query.Name] = ast.Query
	}
	if rs.Mutation != nil {
		roots[rs.Mutation.Name] = ast.Mutation
	}
	if len(r.Permissions) == 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: no permissions: only admin sees it (as Hasura with HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS=true)", ctx))
	}
	if rs.Subscription != nil {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: subscription fields are not served (Hasura does not either)", ctx))
	}
	var all []*ast.Definition
	for _, d := range rs.Types {
		if d.BuiltIn || (rs.Subscription != nil && d.Name == rs.Subscription.Name) {
			continue
		}
		all = append(all, d)
	}
	admin, err := m.part(rs, all, roots, c)
	if err != nil {
		return nil, err
	}
	m.Parts["admin"] = admin
	for _, p := range r.Permissions {
		pctx := fmt.Sprintf("%s: permission for role %q", ctx, p.Role)
		defs, presets, err := permitted(rs, p, pctx, c)
		if err != nil {
			return nil, err
		}
		if len(presets) > 0 {
			if m.Schema.Presets == nil {
				m.Schema.Presets = map[string][]remote.Preset{}
			}
			m.Schema.Presets[p.Role] = presets
		}
		m.perms[p.Role] = map[string]*ast.Definition{}
		for _, d := range defs {
			m.perms[p.Role][d.Name] = d
		}
		if m.Parts[p.Role], err = m.part(rs, defs, roots, c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// part renders defs (the remote's names) customized, the roots' fields
// as root fields (or under the namespace), and records the name maps.
func (m *Merged) part(rs *ast.Schema, defs []*ast.Definition, roots map[string]ast.Operation, c *remote.Customization) (*Part, error) {
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	p := &Part{}
	types := &ast.SchemaDocument{}
	ns := c.Namespace()
	rename := func(t *ast.Type) *ast.Type { return renameType(t, c) }
	for _, d := range defs {
		name := c.TypeName(d.Name)
		if name != d.Name {
			if m.Schema.Types == nil {
				m.Schema.Types = map[string]string{}
			}
			m.Schema.Types[name] = d.Name
		}
		out := &ast.Definition{Kind: d.Kind, Name: name, Description: d.Description}
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection fields gqlparser adds to the query root
			}
			fn := f.Name
			if d.Kind == ast.Object || d.Kind == ast.Interface {
				fn = c.FieldName(d.Name, f.Name)
			}
			if fn != f.Name {
				if m.Schema.Fields == nil {
					m.Schema.Fields = map[string]map[string]string{}
				}
				if m.Schema.Fields[name] == nil {
					m.Schema.Fields[name] = map[string]string{}
				}
				m.Schema.Fields[name][fn] = f.Name
			}
			nf := &ast.FieldDefinition{Name: fn, Description: f.Description, Type: rename(f.Type), DefaultValue: f.DefaultValue, Directives: keepDeprecated(f.Directives)}
			for _, a := range f.Arguments {
				nf.Arguments = append(nf.Arguments, &ast.ArgumentDefinition{Name: a.Name, Description: a.Description, Type: rename(a.Type), DefaultValue: a.DefaultValue})
			}
			out.Fields = append(out.Fields, nf)
		}
		for _, i := range d.Interfaces {
			out.Interfaces = append(out.Interfaces, c.TypeName(i))
		}
		for _, u := range d.Types {
			out.Types = append(out.Types, c.TypeName(u))
		}
		for _, v := range d.EnumValues {
			out.EnumValues = append(out.EnumValues, &ast.EnumValueDefinition{Name: v.Name, Description: v.Description, Directives: keepDeprecated(v.Directives)})
		}
		op, isRoot := roots[d.Name]
		if isRoot && ns == "" {
			text := fieldsText(out)
			names := make([]string, len(out.Fields))
			served := map[string]string{}
			for i, f := range out.Fields {
				names[i] = f.Name
				served[f.Name] = remoteFields(d)[i].Name
			}
			// Every role's fields are the admin's: the first part's map
			// holds them all.
			if op == ast.Query {
				p.Query, p.QueryNames = text, names
				if m.Schema.Query == nil {
					m.Schema.Query = served
				}
			} else {
				p.Mutation, p.MutationNames = text, names
				if m.Schema.Mutation == nil {
					m.Schema.Mutation = served
				}
			}
			continue
		}
		if isRoot {
			f := fmt.Sprintf("  %s: %s!\n", ns, name)
			if op == ast.Query {
				p.Query, p.QueryNames = f, []string{ns}
			} else {
				p.Mutation, p.MutationNames = f, []string{ns}
			}
		}
		types.Definitions = append(types.Definitions, out)
		p.TypeNames = append(p.TypeNames, name)
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(types)
	p.Types = b.String()
	return p, nil
}

// fieldsText is the body of d's definition as formatted SDL.
func fieldsText(d *ast.Definition) string {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(&ast.SchemaDocument{Definitions: ast.DefinitionList{d}})
	s := b.String()
	_, s, _ = strings.Cut(s, "{\n")
	return strings.TrimSuffix(s, "}\n")
}

func keepDeprecated(l ast.DirectiveList) ast.DirectiveList {
	if d := l.ForName("deprecated"); d != nil {
		return ast.DirectiveList{d}
	}
	return nil
}

func renameType(t *ast.Type, c *remote.Customization) *ast.Type {
	if t == nil {
		return nil
	}
	out := &ast.Type{NonNull: t.NonNull}
	if t.Elem != nil {
		out.Elem = renameType(t.Elem, c)
	} else {
		out.NamedType = c.TypeName(t.NamedType)
	}
	return out
}

// permitted checks the permission p against the remote rs and returns its
// definitions (the remote's names, @preset arguments removed) and its
// presets (served names).
func permitted(rs *ast.Schema, p *metadata.RemoteSchemaPermission, ctx string, c *remote.Customization) ([]*ast.Definition, []remote.Preset, error) {
	errAt := func(pos *ast.Position, format string, args ...any) error {
		at := p.Pos
		if pos != nil {
			at = p.At(pos.Line, pos.Column)
		}
		return &metadata.Error{Pos: at, Msg: ctx + ": " + fmt.Sprintf(format, args...)}
	}
	var defs []*ast.Definition
	var presets []remote.Preset
	defined := map[string]bool{}
	for _, d := range p.Doc.Definitions {
		defined[d.Name] = true
	}
	for _, sd := range p.Doc.Schema {
		for _, o := range sd.OperationTypes {
			want := rootName(rs, o.Operation)
			if o.Type != want {
				return nil, nil, errAt(o.Position, "the %s root is %s in the remote, not %s", o.Operation, want, o.Type)
			}
		}
	}
	check := func(t *ast.Type, pos *ast.Position) error {
		for t.Elem != nil {
			t = t.Elem
		}
		if !defined[t.NamedType] && !builtinScalar[t.NamedType] {
			return errAt(pos, "type %s is used but not defined", t.NamedType)
		}
		return nil
	}
	for _, d := range p.Doc.Definitions {
		rd := rs.Types[d.Name]
		if rd == nil || rd.BuiltIn {
			return nil, nil, errAt(d.Position, "type %s is not in the remote schema", d.Name)
		}
		if rd.Kind != d.Kind {
			return nil, nil, errAt(d.Position, "type %s is %s in the remote schema", d.Name, strings.ToLower(string(rd.Kind)))
		}
		out := &ast.Definition{Kind: d.Kind, Name: d.Name, Description: rd.Description, Interfaces: d.Interfaces, Types: d.Types}
		for _, f := range d.Fields {
			rf := rd.Fields.ForName(f.Name)
			if rf == nil {
				return nil, nil, errAt(f.Position, "field %s.%s is not in the remote schema", d.Name, f.Name)
			}
			if rf.Type.String() != f.Type.String() {
				return nil, nil, errAt(f.Position, "field %s.%s is %s in the remote schema, not %s", d.Name, f.Name, rf.Type, f.Type)
			}
			if err := check(f.Type, f.Position); err != nil {
				return nil, nil, err
			}
			if pr := f.Directives.ForName("preset"); pr != nil && d.Kind == ast.InputObject {
				return nil, nil, errAt(pr.Position, "@preset on input field %s.%s is not supported by hasgen (only on arguments)", d.Name, f.Name)
			}
			nf := &ast.FieldDefinition{Name: f.Name, Description: rf.Description, Type: rf.Type, DefaultValue: rf.DefaultValue, Directives: rf.Directives}
			for _, a := range f.Arguments {
				ra := rf.Arguments.ForName(a.Name)
				if ra == nil {
					return nil, nil, errAt(a.Position, "argument %s of %s.%s is not in the remote schema", a.Name, d.Name, f.Name)
				}
				if ra.Type.String() != a.Type.String() {
					return nil, nil, errAt(a.Position, "argument %s of %s.%s is %s in the remote schema, not %s", a.Name, d.Name, f.Name, ra.Type, a.Type)
				}
				if pr := a.Directives.ForName("preset"); pr != nil {
					ps, err := preset(pr, a, errAt)
					if err != nil {
						return nil, nil, err
					}
					fn := f.Name
					if d.Kind == ast.Object || d.Kind == ast.Interface {
						fn = c.FieldName(d.Name, f.Name)
					}
					ps.Type, ps.Field = c.TypeName(d.Name), fn
					if op, root := rootOp(rs, d.Name); root && c.Namespace() == "" {
						// Root fields are served in hasgen's root types.
						ps.Type = "query_root"
						if op == ast.Mutation {
							ps.Type = "mutation_root"
						}
					}
					presets = append(presets, ps)
					continue
				}
				if err := check(a.Type, a.Position); err != nil {
					return nil, nil, err
				}
				nf.Arguments = append(nf.Arguments, ra)
			}
			out.Fields = append(out.Fields, nf)
		}
		for _, v := range d.EnumValues {
			if rd.EnumValues.ForName(v.Name) == nil {
				return nil, nil, errAt(v.Position, "value %s of enum %s is not in the remote schema", v.Name, d.Name)
			}
			out.EnumValues = append(out.EnumValues, v)
		}
		defs = append(defs, out)
	}
	return defs, presets, nil
}

func rootName(rs *ast.Schema, op ast.Operation) string {
	switch op {
	case ast.Query:
		if rs.Query != nil {
			return rs.Query.Name
		}
	case ast.Mutation:
		if rs.Mutation != nil {
			return rs.Mutation.Name
		}
	case ast.Subscription:
		if rs.Subscription != nil {
			return rs.Subscription.Name
		}
	}
	return ""
}

func rootOp(rs *ast.Schema, name string) (ast.Operation, bool) {
	for _, op := range []ast.Operation{ast.Query, ast.Mutation} {
		if rootName(rs, op) == name {
			return op, true
		}
	}
	return "", false
}

// preset reads @preset(value: ..., static: ...) on argument a: a string
// value starting with x-hasura- (any case) is a session variable unless
// static is true.
func preset(d *ast.Directive, a *ast.ArgumentDefinition, errAt func(*ast.Position, string, ...any) error) (remote.Preset, error) {
	ps := remote.Preset{Arg: a.Name, ArgType: a.Type.String()}
	v := d.Arguments.ForName("value")
	if v == nil || v.Value == nil {
		return ps, errAt(d.Position, "@preset on argument %s has no value", a.Name)
	}
	static := false
	if s := d.Arguments.ForName("static"); s != nil && s.Value != nil && s.Value.Raw == "true" {
		static = true
	}
	if v.Value.Kind == ast.StringValue && !static && strings.HasPrefix(strings.ToLower(v.Value.Raw), "x-hasura-") {
		ps.Session = strings.ToLower(v.Value.Raw)
		return ps, nil
	}
	if v.Value.Kind == ast.Variable {
		return ps, errAt(d.Position, "@preset on argument %s: a variable is not a value", a.Name)
	}
	ps.Value = v.Value.String()
	return ps, nil
}

// remoteFields are d's fields, less the introspection ones.
func remoteFields(d *ast.Definition) ast.FieldList {
	var out ast.FieldList
	for _, f := range d.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}
