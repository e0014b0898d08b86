package templates

// Actions in a role's schema: each action the role may run (admin: every
// action) is a root field of query_root or mutation_root, outside any root
// field namespace as in Hasura, described by its comment; the custom types
// it reaches are defined as actions.graphql writes them.

import (
	"strings"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
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
		f := &sdlField{name: a.Name, typ: a.OutputType, description: a.Description}
		if a.Comment != "" {
			f.description = a.Comment
		}
		for _, arg := range a.Args {
			f.args = append(f.args, sdlArg{name: arg.Name, typ: arg.Type, description: arg.Description, defaultValue: arg.Default})
			b.customType(arg.Type)
		}
		b.customType(a.OutputType)
		out = append(out, f)
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
	b.define(d)
	for _, f := range ct.Fields {
		if !strings.HasPrefix(f.Type, "__") {
			b.customType(f.Type)
		}
	}
}
