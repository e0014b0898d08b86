package templates

// Actions in a role's schema: each action the role may run (admin: every
// action) is a root field of query_root or mutation_root, outside any root
// field namespace as in Hasura, described by its comment; the custom types
// it reaches are defined as actions.graphql writes them. An asynchronous
// action's mutation returns its id (uuid!), and query_root and
// subscription_root get <action>(id: uuid!): <action>, the object type of
// its log (id, created_at, errors, output), as Hasura builds them.

import (
	"strings"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/actions"
)

// actionRootFields returns the root fields of the actions of one
// operation type the role sees, and defines the custom types.
func (b *sdlBuilder) actionRootFields(mutation bool) []*sdlField {
	md := b.p.Metadata
	if md == nil {
		return nil
	}
	var out []*sdlField
	for _, a := range md.Actions {
		if a.Mutation != mutation || !actionVisible(a, b.role) {
			continue
		}
		if a.OutputTable != "" {
			// The table's type, as the role sees it: the role must
			// select the table and its primary key.
			if v := ActionRowsView(b.p, a, b.role); v == nil || b.views[v.Table] == nil {
				continue
			}
		}
		f := &sdlField{name: a.Name, typ: a.OutputType, description: actionDescription(a)}
		for _, arg := range a.Args {
			f.args = append(f.args, sdlArg{name: arg.Name, typ: arg.Type, description: arg.Description, defaultValue: arg.Default})
			b.customType(arg.Type)
		}
		switch {
		case a.Async:
			f.typ = "uuid!"
			b.customType("uuid")
		case a.OutputTable == "":
			b.customType(a.OutputType)
		}
		out = append(out, f)
	}
	return out
}

// actionDescription is an action's root fields' description: its
// comment, else its description in actions.graphql.
func actionDescription(a *metadata.Action) string {
	if a.Comment != "" {
		return a.Comment
	}
	return a.Description
}

// asyncQueryFields returns the <action>(id: uuid!): <action> fields of
// the asynchronous actions the role sees (of query_root and of
// subscription_root alike), and defines their object types with
// Hasura's field names, types and descriptions.
func (b *sdlBuilder) asyncQueryFields() []*sdlField {
	md := b.p.Metadata
	if md == nil {
		return nil
	}
	var out []*sdlField
	for _, a := range md.Actions {
		if !a.Async || !actionVisible(a, b.role) {
			continue
		}
		for _, s := range []string{"uuid", "timestamptz", "json"} {
			b.customType(s)
		}
		b.customType(a.OutputType)
		b.define(&sdlType{kind: sdlObject, name: a.Name, description: `fields of action: "` + a.Name + `"`, fields: []*sdlField{
			{name: "created_at", typ: "timestamptz!", description: "the time at which this action was created"},
			{name: "errors", typ: "json", description: "errors related to the invocation"},
			{name: "id", typ: "uuid!", description: "the unique id of an action"},
			{name: "output", typ: a.OutputType, description: "the output fields of this action"},
		}})
		out = append(out, &sdlField{name: a.Name, typ: a.Name, description: actionDescription(a),
			args: []sdlArg{{name: "id", typ: "uuid!", description: "the unique id of an action"}}})
	}
	return out
}

// actionVisible reports whether role sees action a: admin sees every
// action, another role those whose permissions list it.
func actionVisible(a *metadata.Action, role string) bool {
	if role == model.AdminRole {
		return true
	}
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// customType defines the custom type typ names, and those its fields
// name; a Postgres scalar (uuid) is defined as the tables define it.
func (b *sdlBuilder) customType(typ string) {
	name := sdlNamedType(typ)
	if sdlBuiltins[name] || b.defs[name] != nil {
		return
	}
	var ct *metadata.CustomType
	for _, t := range b.p.Metadata.CustomTypes {
		if t.Name == name {
			ct = t
		}
	}
	if ct == nil {
		b.define(&sdlType{kind: sdlScalar, name: name})
		return
	}
	d := &sdlType{name: ct.Name, description: ct.Description}
	switch ct.Kind {
	case "scalar":
		d.kind = sdlScalar
	case "enum":
		d.kind = sdlEnum
		for _, v := range ct.Values {
			d.values = append(d.values, sdlValue{name: v.Name, description: v.Description})
		}
	case "input":
		d.kind = sdlInput
	default:
		d.kind = sdlObject
	}
	for _, f := range ct.Fields {
		d.fields = append(d.fields, &sdlField{name: f.Name, typ: f.Type, description: f.Description, defaultValue: f.Default})
	}
	for _, r := range ct.Relationships {
		if v := ActionRelationshipView(b.p, r, b.role); v != nil && b.views[v.Table] != nil {
			typ := v.Table.TypeName("")
			if r.Array {
				typ = "[" + typ + "!]!"
			}
			d.fields = append(d.fields, &sdlField{name: r.Name, typ: typ})
		}
	}
	b.define(d)
	for _, f := range ct.Fields {
		if !strings.HasPrefix(f.Type, "__") {
			b.customType(f.Type)
		}
	}
}

// ActionRelationshipView is role's view of the table of an action output
// type's relationship, or nil when the role does not see the relationship:
// it cannot select from the table, or not every mapped column (the rows
// are found by a filter on them).
func ActionRelationshipView(p *model.Project, r *metadata.ActionRelationship, role string) *model.View {
	t := p.Table(r.Table.Schema, r.Table.Name)
	if t == nil {
		return nil
	}
	v := p.View(t, role)
	if v == nil || t.Roots.Select == "" {
		return nil
	}
	for _, fc := range r.Mapping {
		ok := false
		for _, c := range v.Columns() {
			ok = ok || c.Name == fc.Column
		}
		if !ok {
			return nil
		}
	}
	return v
}

// ActionRowsView is role's view of the table a Go-only action returns the
// rows of, or nil when the role may not see the action's field: it cannot
// select from the table, or not its primary key (the rows are found by a
// filter on it), or its query_root_fields leave out the table's select
// root field (which reads them).
func ActionRowsView(p *model.Project, a *metadata.Action, role string) *model.View {
	t := p.ActionTable(a)
	if t == nil || t.Roots.Select == "" {
		return nil
	}
	v := p.View(t, role)
	if v == nil || !v.HasSelect(false) {
		return nil
	}
	for _, k := range t.PrimaryKey {
		ok := false
		for _, c := range v.Columns() {
			ok = ok || c == k
		}
		if !ok {
			return nil
		}
	}
	return v
}

// ActionRows is what the server reads of a Go-only action that returns a
// table's rows: the select root field and the primary key's fields; nil
// for another action.
func ActionRows(p *model.Project, a *metadata.Action) *actions.Rows {
	t := p.ActionTable(a)
	if t == nil {
		return nil
	}
	r := &actions.Rows{Root: t.Roots.Select, Namespace: p.Naming.Namespace, List: strings.HasPrefix(a.OutputType, "[")}
	for _, k := range t.PrimaryKey {
		r.Key = append(r.Key, k.Field)
	}
	return r
}

// ActionRelationships are the relationships of the actions' output types
// as runtime/actions reads them: the select root field that finds the
// rows, and the GraphQL names of the mapped columns.
func ActionRelationships(p *model.Project) []actions.Relationship {
	var out []actions.Relationship
	for _, ct := range p.Metadata.CustomTypes {
		for _, r := range ct.Relationships {
			t := p.Table(r.Table.Schema, r.Table.Name)
			if t == nil {
				continue
			}
			ar := actions.Relationship{Type: ct.Name, Name: r.Name, Array: r.Array, Root: t.Roots.Select, Namespace: p.Naming.Namespace}
			for _, fc := range r.Mapping {
				if c := t.Column(fc.Column); c != nil {
					ar.Mapping = append(ar.Mapping, actions.FieldColumn{Field: fc.Field, Column: c.Field})
				}
			}
			out = append(out, ar)
		}
	}
	return out
}
